"""Each validation rule refuses (or warns about) its own broken fixture, in one batch with the good files.

The fixtures are in tests/fixtures/submissions/ (regenerate with make_fixtures.py).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from vision_report.config import load_settings
from vision_report.intake import archive, discover
from vision_report.screening import screen

FIX = Path(__file__).resolve().parent / "fixtures" / "submissions"

# file -> (status, rule that must be among its issues)
EXPECTED = {
    "434337_unknown_kind.csv": ("rejected", "unknown_kind"),
    "434337_unknown_initiative.csv": ("rejected", "unknown_initiative"),
    "434337_unknown_kpi.csv": ("rejected", "unknown_kpi"),
    "434337_not_participant.csv": ("rejected", "not_participant"),
    "434337_not_reporter.csv": ("rejected", "not_reporter"),
    "434337_value_not_number.csv": ("rejected", "value_not_number"),
    "434337_value_empty.csv": ("rejected", "value_not_number"),
    "434337_value_formula.csv": ("rejected", "value_not_number"),
    "434337_negative_expenditure.csv": ("rejected", "negative_expenditure"),
    "434337_negative_count.csv": ("rejected", "negative_count"),
    "434337_unit_not_convertible.csv": ("rejected", "unit_not_convertible"),
    "434337_duplicate_item.csv": ("rejected", "duplicate_item"),
    "434337_municipality_mismatch.csv": ("rejected", "municipality_mismatch"),
    "434337_fiscal_year_mismatch.csv": ("rejected", "fiscal_year_mismatch"),
    "434337_invalid_status.csv": ("rejected", "invalid_status"),
    "434337_formula_in_note.csv": ("rejected", "formula"),
    "434337_missing_column.csv": ("rejected", "missing_column"),
    "434337_empty.csv": ("rejected", "empty"),
    "434337_header_only.csv": ("rejected", "no_rows"),
    "434337_bad_encoding.csv": ("rejected", "encoding"),
    "南阿蘇村.csv": ("rejected", "file_name"),
    "439999_テスト町.csv": ("rejected", "unknown_municipality"),
    "434337_南阿蘇村.txt": ("rejected", "file_type"),
    "434337_warn_over_budget.csv": ("accepted_with_warnings", "over_budget"),
    "434337_warn_spend_without_plan.csv": ("accepted_with_warnings", "spend_without_plan"),
    "434337_warn_magnitude.csv": ("accepted_with_warnings", "magnitude_kpi"),
    "434337_warn_name_mismatch.csv": ("accepted_with_warnings", "name_mismatch"),
    "434337_warn_missing_row.csv": ("accepted_with_warnings", "missing_row"),
    "434337_warn_control_chars.csv": ("accepted_with_warnings", "control_chars"),
}
GOOD = ["434337_南阿蘇村.csv", "434337_南阿蘇村_english.csv", "434337_南阿蘇村_sjis.csv"]


@pytest.fixture(scope="module")
def batch(tmp_path_factory, plan):
    """Every fixture in inputs/2024/ of a temp project, validated in ONE batch (newest-wins switched off)."""
    tmp = tmp_path_factory.mktemp("validation")
    inputs = tmp / "inputs" / "2024"
    inputs.mkdir(parents=True)
    for f in list((FIX / "bad").iterdir()) + list((FIX / "good").iterdir()):
        shutil.copy(f, inputs / f.name)
    old = time.time() - 3600
    for f in inputs.iterdir():
        os.utime(f, (old, old))
    settings = load_settings()
    v = settings.validation
    received = discover(tmp / "inputs", 2024, plan, max_bytes=v.max_file_bytes, settle_seconds=v.settle_seconds)
    for r in received:
        archive(r, tmp / "archive")
    year = screen(received, plan, 2024, settings)
    return {r.name: r for r in year.received}, year.rows


def test_fixture_list_is_complete():
    on_disk = {p.name for p in (FIX / "bad").iterdir()}
    assert on_disk == set(EXPECTED), on_disk ^ set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_rule_has_its_fixture(batch, name):
    received, _ = batch
    status, rule = EXPECTED[name]
    rec = received[name]
    rules = {i.rule for i in rec.issues}
    assert rec.status == status, (rec.status, [(i.rule, i.message) for i in rec.issues])
    assert rule in rules, rules
    if status == "accepted_with_warnings":
        # a warning fixture has exactly its own warning, nothing else
        assert rules == {rule}, rules
    for i in rec.issues:  # every message is Japanese and says where
        assert i.file == name and i.message
        assert any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in i.message)


@pytest.mark.parametrize("name", GOOD)
def test_good_files_in_the_same_batch_are_unaffected(batch, name):
    received, _ = batch
    assert received[name].status == "accepted", [(i.rule, i.message) for i in received[name].issues]


def test_row_level_errors_name_row_column_and_value(batch):
    received, _ = batch
    issue = next(i for i in received["434337_value_not_number.csv"].issues if i.rule == "value_not_number")
    assert issue.column == "実績値" and issue.value == "約500" and issue.row is not None
    assert "数値" in issue.expected
    rows = (FIX / "bad" / "434337_value_not_number.csv").read_text(encoding="utf-8-sig").splitlines()
    assert "約500" in rows[issue.row - 1]  # the row number is the line people see in Excel


def test_values_are_normalised_and_converted(batch):
    _, prepared = batch
    sjis = prepared[prepared["file"] == "434337_南阿蘇村_sjis.csv"].set_index("item_id")
    assert sjis.loc["births", "value"] == 61  # full-width digits
    assert sjis.loc["3.1.1", "value"] == 120  # 120,000 円 -> 120 千円
    assert sjis.loc["net_migration", "value"] == -12  # ▲12
    eng = prepared[prepared["file"] == "434337_南阿蘇村_english.csv"].set_index("item_id")
    assert eng.loc["gdp", "value"] == 52310

"""Compute returns codes and numbers; outputs/words.py chooses the words from templates/labels.yaml (issue 22).

Each rule: the codes compute gives for a tiny case, the words they become, that the published columns are exactly
those of docs/interface.md §5 (the code columns never reach a CSV), and that a coordinator's change of a sentence in
labels.yaml changes what is printed without Python.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from vision_report.compute import budget as compute_budget
from vision_report.compute import kpis as compute_kpis
from vision_report.compute import period as compute_period
from vision_report.compute import plan_tables as compute_plan_tables
from vision_report.core import vocabulary
from vision_report.core.config import RatingThresholds
from vision_report.outputs import words
from vision_report.plan import load_plan

ROOT = Path(__file__).resolve().parents[1]
TINY = load_plan(ROOT / "tests" / "fixtures" / "plan_tiny")
T = RatingThresholds(progress={"A": 100, "B": 50, "C": 0}, attainment={"A": 100, "B": 80, "C": 50})
K, M2, M3 = "431001", "432067", "432083"
RULES = {"increase": ">=", "at_least": ">=", "decrease": "<="}


def rows(*items) -> pd.DataFrame:
    data = [(c, k, i, float(v), (s[0] if s else None)) for c, k, i, v, *s in items]
    return pd.DataFrame(data, columns=["municipality_code", "kind", "item_id", "value", "status"])


def one_kpi(direction, baseline, target, reporters, sent) -> pd.DataFrame:
    table = pd.DataFrame(
        {
            "kpi_id": ["x"],
            "kpi_name": ["指標"],
            "unit": ["人"],
            "baseline": [float(baseline)],
            "target": [float(target)],
            "direction": [direction],
            "measures": ["1"],
            "reporters_expected": [len(reporters)],
        }
    )
    return compute_kpis.kpi_attainment(table, rows(*[(c, "kpi", "x", v) for c, v in sent]), {"x": reporters}, T)


@pytest.fixture()
def project(tmp_path) -> Path:
    """A project root whose templates/ a coordinator may reword (a copy of the shipped one)."""
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    return tmp_path


def reword(root: Path, section: str, key: str, text) -> None:
    path = root / "templates" / "labels.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data[section][key] = text
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    vocabulary._labels.cache_clear()  # a run reads labels.yaml once; this test changes it between two readings


@pytest.mark.parametrize(
    "direction, baseline, target, reporters, sent, codes, worded",
    [
        ("increase", 100, 200, (K,), [(K, 150)], "", ""),
        ("increase", 100, 200, (K, M2), [], "no_reports", "報告なし（0/2市町村）"),
        ("increase", 100, 200, (K, M2, M3), [(K, 150)], "provisional", "暫定: 3市町村中1市町村の合計"),
        (
            "decrease",
            80,
            40,
            (K, M2),
            [(K, 0)],
            "provisional|zero_actual",
            "暫定: 2市町村中1市町村の合計／実績値が0のため達成率を計算できません",
        ),
        ("at_least", 50, 0, (K,), [(K, 1)], "zero_target", "目標値が0のため達成率を計算できません"),
        ("increase", 50, 50, (K,), [(K, 60)], "target_is_baseline", "目標値が現状値と同じため進捗率を計算できません"),
        ("increase", 100, 200, (K,), [(K, np.nan)], "no_value", "評価に必要な値がありません"),  # a value-less row
    ],
)
def test_rating_reason_codes_and_their_words(direction, baseline, target, reporters, sent, codes, worded):
    got = one_kpi(direction, baseline, target, reporters, sent)
    assert got.at[0, "rating_reason_codes"] == codes
    assert set(codes.split("|")) - {""} <= set(compute_kpis.REASON_CODES)
    assert words.rating_reasons(got) == [worded]


def test_target_is_baseline_alone_still_rated_by_attainment():
    """at_least has no progress: a target equal to the baseline gives no reason at all."""
    got = one_kpi("at_least", 50, 50, (K,), [(K, 60)])
    assert (got.at[0, "rating_reason_codes"], got.at[0, "rating"]) == ("", "A")


def test_held_values_add_the_held_code_and_the_count(project):
    kpi = one_kpi("increase", 100, 200, (K, M2), [])
    kpi["values_held"] = [1]
    kpi["rating_reason_codes"] = ["no_reports|held"]
    assert words.rating_reasons(kpi, project) == ["報告なし（0/2市町村）／要確認の値 1件を除く"]
    reword(project, "reasons", "held", "{mark}として{held}件を外しています")
    reword(project, "hold", "mark", "確認中")
    assert words.rating_reasons(kpi, project) == ["報告なし（0/2市町村）／確認中として1件を外しています"]


def test_compute_holds_no_words_and_the_csv_no_codes():
    kpi = one_kpi("increase", 100, 200, (K, M2), [(K, 150)])
    assert "rating_reason" not in kpi and "basis_note" not in kpi
    assert kpi.at[0, "reporters_target"] == 2
    published = words.for_csv(words.worded_table("kpi_attainment", kpi))
    assert list(published.columns) == [
        "kpi_id",
        "kpi_name",
        "unit",
        "baseline",
        "target",
        "actual",
        "attainment_pct",
        "progress_pct",
        "rating",
        "reporters_expected",
        "reporters_received",
        "direction",
        "measures",
        "rating_reason",
        "provisional",
        "basis",
        "actual_all_members",
        "reporters_expected_all",
        "reporters_received_all",
        "provisional_all_members",
        "basis_note",
    ]
    assert not (set(published.columns) & words.CODE_COLUMNS)


def test_basis_note_from_the_basis_code_and_counts():
    table = compute_plan_tables.plan_kpi_table(TINY)
    kpi = compute_kpis.kpi_attainment(
        table,
        rows((K, "kpi", "k_up", 1)),
        {"k_up": (K,), "k_keep": (K,), "k_down": (K,)},
        T,
        all_reporters={"k_up": (K, M2), "k_keep": (K,), "k_down": (K,)},
        basis_sizes={"k_up": 1, "k_keep": 2, "k_down": 1},
    )
    assert kpi["basis"].tolist() == ["plan_basis", "partial_basis", "all_members"]
    assert kpi["reporters_target"].tolist() == [1, 2, 1]
    assert words.basis_notes(kpi) == [
        "実績値・達成率・評価は、ビジョンで目標を設定した1市町村の合計による。（参考：）は、この年度の構成2市町村すべての合計。",
        "目標はビジョンの2市町村について設定。この年度の実績値は、報告の対象となる1市町村の合計（まだ加入していない市町村を含まない）。",
        "",
    ]


def test_plan_note_codes_and_words(project):
    init = compute_plan_tables.plan_initiative_table(TINY, 2025)
    assert init["plan_note_code"].tolist() == ["", "undecided", "blank", ""]
    budget = compute_budget.budget_execution(init, rows())
    assert words.plan_notes(budget) == ["", "未定", "計画額の記載なし", ""]
    reword(project, "plan_note", "undecided", "計画額は未定")
    assert words.plan_notes(budget, project) == ["", "計画額は未定", "計画額の記載なし", ""]


def test_period_plan_note_codes_and_words():
    per_year = {
        y: compute_budget.budget_execution(compute_plan_tables.plan_initiative_table(TINY, y), rows())
        for y in (2021, 2022)
    }
    got = compute_period.period_budget(TINY, per_year, 2021, 2025).set_index("initiative_id")
    assert got.loc["1.1.2", ["plan_years_undecided", "plan_years_blank"]].tolist() == ["2025", "2022"]
    worded = words.worded_table("period_budget", got.reset_index()).set_index("initiative_id")
    assert worded.loc["1.1.2", "plan_note"] == "未定: 2025／記載なし: 2022"
    # 2.1.1 prints only the total of the plan period: over the whole period that total is its plan
    whole = compute_period.period_budget(TINY, per_year, TINY.meta.first_fiscal_year, TINY.meta.last_fiscal_year)
    assert whole.set_index("initiative_id").loc["2.1.1", ["plan_total_only", "plan_years_blank"]].tolist() == [True, ""]
    assert words.period_plan_notes(whole)[whole["initiative_id"].tolist().index("2.1.1")] == "計画期間の合計のみ記載"


def test_period_target_met_and_rule_words(project):
    per_year = {
        2021: pd.DataFrame({"kpi_id": ["k_up", "k_keep", "k_down"], "actual": [250.0, 30.0, np.nan]}).assign(
            provisional=False
        )
    }
    got = compute_period.period_kpi_summary(compute_plan_tables.plan_kpi_table(TINY), per_year, RULES)
    assert got["final_rule"].tolist() == [">=", ">=", "<="]
    assert got["target_met"].tolist() == [True, False, pd.NA]
    assert words.achieved_texts(got) == ["達成", "未達成", "-"]
    assert words.rule_texts(got) == ["最終値 ≥ 目標値", "最終値 ≥ 目標値", "最終値 ≤ 目標値"]
    reword(project, "final_evaluation", "achieved", "目標達成")
    assert words.achieved_texts(got, project)[0] == "目標達成"
    published = words.for_csv(words.worded_table("period_kpi", got))
    cols = list(published.columns)
    assert cols[cols.index("target") : cols.index("target") + 3] == ["target", "rule", "achieved"]
    assert "final_rule" not in cols and "target_met" not in cols


def test_worded_is_idempotent():
    kpi = one_kpi("increase", 100, 200, (K,), [(K, 150)])
    once = words.worded_table("kpi_attainment", kpi)
    assert words.worded_table("kpi_attainment", once) is once

"""Probable errors are held out of every total (要確認) until a coordinator confirms them (docs/interface.md §3).

Submissions: tests/fixtures/submissions/bad/434337_warn_magnitude_expenditure.csv (3.13.3: 2,350,000 千円, about
1,000× the expected size and over the budget bound) and 434337_warn_magnitude.csv (births 61,000 人). One
confirmations file per case in tests/fixtures/confirmations/.
"""

from __future__ import annotations

import math
import os
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest

from vision_report.compute.tables import compute_year
from vision_report.core.config import load_settings
from vision_report.intake.files import archive, discover
from vision_report.outputs.words import worded_table
from vision_report.screening import confirmations as cf
from vision_report.screening.screen import screen

FIX = Path(__file__).resolve().parent / "fixtures"
CONF = FIX / "confirmations"


def _screen(tmp: Path, plan, name: str):
    inputs = tmp / "inputs" / "2024"
    inputs.mkdir(parents=True)
    shutil.copy(FIX / "submissions" / "bad" / name, inputs / name)
    old = time.time() - 3600
    os.utime(inputs / name, (old, old))
    settings = load_settings()
    v = settings.validation
    received = discover(
        tmp / "inputs", 2024, plan, max_bytes=v.max_file_bytes, settle_seconds=v.settle_seconds, limits=v
    )
    for r in received:
        archive(r, tmp / "archive")
    return settings, screen(received, plan, 2024, settings)


@pytest.fixture(scope="module")
def spend(tmp_path_factory, plan):
    return _screen(tmp_path_factory.mktemp("spend"), plan, "434337_warn_magnitude_expenditure.csv")


@pytest.fixture(scope="module")
def kpi(tmp_path_factory, plan):
    return _screen(tmp_path_factory.mktemp("kpi"), plan, "434337_warn_magnitude.csv")


def _budget(plan, settings, rows, initiative="3.13.3"):
    return compute_year(plan, 2024, rows, settings)["budget_execution"].set_index("initiative_id").loc[initiative]


def test_the_flagged_expenditure_is_held(spend, plan):
    settings, year = spend
    held = cf.held_values(year, plan, settings.validation.hold_rules)
    assert held[["municipality_code", "kind", "item_id", "value", "rules", "confirmed"]].values.tolist() == [
        ["434337", "expenditure", "3.13.3", 2350000.0, "magnitude_expenditure;over_budget", False]
    ]
    assert held.loc[0, "municipality_name"] == "南阿蘇村" and held.loc[0, "unit"] == "千円"
    assert "4,796 倍" in held.loc[0, "messages"] and "1.5倍を超えています" in held.loc[0, "messages"]


def test_a_held_value_is_out_of_the_sums(spend, plan):
    settings, year = spend
    before = _budget(plan, settings, year.accepted_rows)
    assert before["actual_thousand_yen"] == 2350000.0  # without holding: the value counts
    held = cf.held_values(year, plan, settings.validation.hold_rules)
    marked = cf.mark_held(year.accepted_rows, held)
    assert marked["held"].sum() == 1
    results = compute_year(plan, 2024, marked, settings)
    b = results["budget_execution"].set_index("initiative_id").loc["3.13.3"]
    assert math.isnan(b["actual_thousand_yen"]) and math.isnan(b["execution_pct"])
    assert b["values_held"] == 1 and b["participants_reported"] == 1 and b["n_implemented"] == 1
    roll = results["rollup"].set_index("id")
    assert roll.loc["3", "values_held"] == 1 and roll.loc["1", "values_held"] == 0
    unheld = compute_year(plan, 2024, year.accepted_rows, settings)["rollup"].set_index("id")
    assert roll.loc["3", "actual_thousand_yen"] == unheld.loc["3", "actual_thousand_yen"] - 2350000.0
    assert roll.loc["1", "actual_thousand_yen"] == unheld.loc["1", "actual_thousand_yen"]


def test_a_held_kpi_counts_as_not_received(kpi, plan):
    settings, year = kpi
    held = cf.held_values(year, plan, settings.validation.hold_rules)
    assert held[["kind", "item_id", "value", "rules"]].values.tolist() == [["kpi", "births", 61000.0, "magnitude_kpi"]]
    k = compute_year(plan, 2024, cf.mark_held(year.accepted_rows, held), settings)["kpi_attainment"]
    births = k.set_index("kpi_id").loc["births"]
    assert births["reporters_received"] == 0 and math.isnan(births["actual"]) and births["values_held"] == 1
    assert births["rating_reason_codes"] == "no_reports|held"  # compute gives codes; outputs/words.py the words
    worded = worded_table("kpi_attainment", k).set_index("kpi_id").loc["births", "rating_reason"]
    assert worded == "報告なし（0/20市町村）／要確認の値 1件を除く"
    assert k.set_index("kpi_id").loc["startups", "actual"] == 9.0  # the file's other values count


def test_a_confirmation_of_the_same_value_makes_it_count(spend, plan):
    settings, year = spend
    held, problems = cf.apply_confirmations(
        cf.held_values(year, plan, settings.validation.hold_rules), cf.read_confirmations(CONF / "matching.csv", 2024)
    )
    assert problems == []
    assert held[["confirmed", "confirmed_by", "confirmed_on", "reason"]].values.tolist() == [
        [True, "山田", "2025-07-10", "南阿蘇村に電話で確認（県補助の一括計上）"]
    ]
    marked = cf.mark_held(year.accepted_rows, held)
    assert marked["held"].sum() == 0
    b = _budget(plan, settings, marked)
    assert b["actual_thousand_yen"] == 2350000.0 and b["values_held"] == 0


def test_a_shift_jis_confirmation_with_a_slash_date_is_read(spend, plan):
    settings, year = spend
    conf = cf.read_confirmations(CONF / "sjis.csv", 2024)
    assert conf.problems == () and conf.rows["confirmed_on"].tolist() == ["2025-07-10"]
    held, problems = cf.apply_confirmations(cf.held_values(year, plan, settings.validation.hold_rules), conf)
    assert problems == [] and held["confirmed"].tolist() == [True]


def test_a_confirmation_of_another_value_is_not_applied_and_reported(spend, plan):
    settings, year = spend
    held, problems = cf.apply_confirmations(
        cf.held_values(year, plan, settings.validation.hold_rules),
        cf.read_confirmations(CONF / "other_value.csv", 2024),
    )
    assert held["confirmed"].tolist() == [False]
    assert problems == [
        "確認ファイル other_value.csv の2行目: 434337 事業費 3.13.3 の要確認の値は 2,350,000 ですが、確認した値は 2,000 です"
        "（確認の後に値が変わった可能性があります）。この行の確認は使っていません。今の値を確かめてから確認し直してください"
        "（今の値を確認するなら：434337,事業費,3.13.3,2350000,確認者,確認日,理由）。"
    ]
    assert cf.mark_held(year.accepted_rows, held)["held"].sum() == 1


def test_bad_rows_are_reported_and_not_applied(spend, plan):
    settings, year = spend
    conf = cf.read_confirmations(CONF / "bad_rows.csv", 2024)
    held, problems = cf.apply_confirmations(cf.held_values(year, plan, settings.validation.hold_rules), conf)
    assert held["confirmed"].tolist() == [False]
    assert problems == [
        "確認ファイル bad_rows.csv の2行目: 確認者が空欄です。この行の確認は使っていません。",
        "確認ファイル bad_rows.csv の3行目: 確認日「7月10日」を日付として読めません（例: 2025-07-10）。この行の確認は使っていません。",
        "確認ファイル bad_rows.csv の5行目: 区分「経費」は 事業費 または KPI にしてください。理由が空欄です。この行の確認は使っていません。",
        "確認ファイル bad_rows.csv の4行目: 434337 事業費 3.1.1 に要確認の値はありません"
        "（この市町村の要確認の値は 3.13.3（2,350,000）です。ID を確かめてください）。この行の確認は使っていません。",
    ]
    table = cf.problems_table(2024, "bad_rows.csv", problems)
    assert table["row"].tolist() == [2, 3, 5, 4] and table.columns.tolist() == cf.PROBLEM_COLUMNS


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "malformed_header.csv",
            "確認ファイル malformed_header.csv に列「市町村コード」「区分」「実績値」「確認者」「確認日」「理由」がありません"
            "（1行目の見出しは 市町村コード、区分、ID、実績値、確認者、確認日、理由）。この確認ファイルは使っていません。",
        ),
        (
            "not_text.csv",
            "確認ファイル not_text.csv を読めません（UTF-8 または Shift_JIS の CSV で保存してください）。",
        ),
    ],
)
def test_a_malformed_confirmations_file_is_reported_and_nothing_is_applied(spend, plan, name, message):
    settings, year = spend
    conf = cf.read_confirmations(CONF / name, 2024)
    assert conf.rows.empty and conf.sha256 is not None
    held, problems = cf.apply_confirmations(cf.held_values(year, plan, settings.validation.hold_rules), conf)
    assert problems == [message] and held["confirmed"].tolist() == [False]


def test_no_confirmations_file_is_no_confirmation(tmp_path):
    conf = cf.read_confirmations(tmp_path / "2024.csv", 2024)
    assert conf.rows.empty and conf.problems == () and conf.sha256 is None


def test_append_confirmation_writes_a_file_that_applies(spend, plan, tmp_path):
    settings, year = spend
    path = tmp_path / "confirmations" / "2024.csv"
    for by in ("山田", "佐藤"):
        cf.append_confirmation(
            path,
            municipality_code="434337",
            kind="expenditure",
            item_id="3.13.3",
            value=2350000.0,
            confirmed_by=by,
            reason="確認済み",
            confirmed_on=pd.Timestamp("2025-07-10").date(),
        )
    assert path.read_bytes().decode("utf-8-sig").splitlines() == [
        "市町村コード,区分,ID,実績値,確認者,確認日,理由",
        '434337,事業費,3.13.3,"2,350,000",山田,2025-07-10,確認済み',
        '434337,事業費,3.13.3,"2,350,000",佐藤,2025-07-10,確認済み',
    ]
    held, problems = cf.apply_confirmations(
        cf.held_values(year, plan, settings.validation.hold_rules), cf.read_confirmations(path, 2024)
    )
    assert problems == [] and held["confirmed_by"].tolist() == ["山田"]  # the first confirmation is kept


def test_confirm_command_takes_the_value_from_held_values(tmp_path, root):
    from vision_report.cli import main
    from vision_report.outputs.writers import write_csv

    out = tmp_path / "outputs"
    held = pd.DataFrame(
        [
            {
                **dict.fromkeys(cf.HELD_COLUMNS, ""),
                "fiscal_year": 2024,
                "municipality_code": "434442",
                "kind": "expenditure",
                "item_id": "3.13.3",
                "value": 2350000.0,
                "confirmed": False,
            }
        ],
        columns=cf.HELD_COLUMNS,
    )
    write_csv(out / "2024" / "held_values.csv", held)
    args = ["--root", str(root), "confirm", "--fiscal-year", "2024", "--municipality", "434442", "--id", "3.13.3"]
    args += ["--by", "山田", "--reason", "電話で確認", "--date", "2025/7/10", "--outputs", str(out)]
    assert main([*args, "--confirmations", str(tmp_path / "conf")]) == 0
    lines = (tmp_path / "conf" / "2024.csv").read_bytes().decode("utf-8-sig").splitlines()
    assert lines[1] == '434442,事業費,3.13.3,"2,350,000",山田,2025-07-10,電話で確認'
    args[args.index("3.13.3")] = "3.1.1"  # no held value for it: refused, nothing written
    assert main([*args, "--confirmations", str(tmp_path / "conf2")]) == 1
    assert not (tmp_path / "conf2").exists()


def test_hold_rules_are_configured(root):
    assert load_settings(root).validation.hold_rules == ("magnitude_kpi", "magnitude_expenditure", "over_budget")


@pytest.fixture(scope="module")
def flow_runs(tmp_path_factory, prefect_backend, root):
    """The flow on 熊本市 and 甲佐町 (3.13.3: 2,350,000 千円) of the samples: once without confirmations, then twice
    with a confirmation of that value."""
    from flows.yearly_report import yearly_report

    tmp = tmp_path_factory.mktemp("confirm_flow")
    inputs = tmp / "inputs" / "2024"
    inputs.mkdir(parents=True)
    for name in ("431001_熊本市_合成データ.csv", "434442_甲佐町_合成データ.csv"):
        shutil.copy(root / "inputs" / "2024" / name, inputs / name)
        old = time.time() - 3600
        os.utime(inputs / name, (old, old))
    out, arch, conf = tmp / "outputs", tmp / "archive", tmp / "confirmations"

    def run() -> dict[str, bytes]:
        yearly_report(fiscal_year=2024, inputs=tmp / "inputs", outputs=out, archive=arch, confirmations=conf)
        return {p.name: p.read_bytes() for p in sorted((out / "2024").glob("*.csv"))}

    before = run()
    kept = tmp / "before"
    shutil.copytree(out / "2024", kept)
    conf.mkdir()
    text = (
        "市町村コード,区分,ID,実績値,確認者,確認日,理由\r\n434442,事業費,3.13.3,2350000,山田,2025-07-10,電話で確認\r\n"
    )
    (conf / "2024.csv").write_bytes(text.encode("cp932"))  # as Excel saves it
    after = run()
    again = run()
    return {"before": before, "after": after, "again": again, "out": out / "2024", "archive": arch, "kept": kept}


def _rows(data: bytes) -> list[dict]:
    import csv
    import io

    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_flow_holds_then_counts_the_confirmed_value(flow_runs):
    def budget(run):
        return {r["initiative_id"]: r for r in _rows(flow_runs[run]["budget_execution.csv"])}["3.13.3"]

    assert budget("before")["values_held"] == "1"
    assert budget("after")["values_held"] == "0"
    assert float(budget("after")["actual_thousand_yen"]) == float(budget("before")["actual_thousand_yen"]) + 2350000
    held = _rows(flow_runs["after"]["held_values.csv"])
    assert [(h["confirmed"], h["confirmed_by"], h["confirmed_on"], h["reason"]) for h in held] == [
        ("true", "山田", "2025-07-10", "電話で確認")
    ]
    assert _rows(flow_runs["after"]["confirmation_problems.csv"]) == []


def test_flow_records_the_confirmation_once_and_archives_the_file(flow_runs):
    import hashlib
    import json

    log = [json.loads(ln) for ln in (flow_runs["archive"] / "audit.jsonl").read_text(encoding="utf-8").splitlines()]
    confirmed = [e for e in log if e["event"] == "value_confirmed"]
    assert len(confirmed) == 1  # two runs with the same confirmation: recorded once
    e = confirmed[0]
    assert (e["municipality_code"], e["item_id"], e["value"], e["confirmed_by"], e["confirmed_on"], e["reason"]) == (
        "434442",
        "3.13.3",
        2350000.0,
        "山田",
        "2025-07-10",
        "電話で確認",
    )
    assert len([e for e in log if e["event"] == "value_held"]) == 1
    archived = list((flow_runs["archive"] / "2024" / "confirmations").iterdir())
    assert [p.name for p in archived] == [f"{e['confirmations_sha256']}.csv"]
    assert hashlib.sha256(archived[0].read_bytes()).hexdigest() == e["confirmations_sha256"]


def test_flow_rerun_without_changes_gives_identical_csvs(flow_runs):
    assert flow_runs["again"] == flow_runs["after"]
    assert "held_values.csv" in flow_runs["again"] and "confirmation_problems.csv" in flow_runs["again"]


def _docx_text(path) -> str:
    from docx import Document

    d = Document(path)
    cells = [c.text for t in d.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in d.paragraphs] + cells)


def test_the_reports_mark_the_held_value_and_say_how_to_confirm(flow_runs):
    kept = flow_runs["kept"]
    region = _docx_text(kept / "report_2024.docx")
    assert "※ 2024年度の実績と執行率には、要確認の値（甲佐町 2,350,000 千円）を含めていません。" in region
    assert "vision-report confirm --fiscal-year 2024 --municipality 市町村コード --id ID" in region
    summary = _docx_text(kept / "report_2024_概要版.docx")
    assert "要確認の値 1 件（甲佐町 事業費 3.13.3 2,350,000 千円）は、誤りの可能性が高いため" in summary
    town = _docx_text(kept / "municipalities" / "434442_甲佐町.docx")
    assert "2,350,000\n要確認" in town
    feedback = (kept / "feedback" / "434442_甲佐町.txt").read_bytes().decode("utf-8-sig")
    assert "33行目：事業費 3.13.3 鳥獣被害対策: 2,350,000 千円 — 要確認（集計に含めていません）" in feedback


def test_the_reports_say_what_was_confirmed(flow_runs):
    text = _docx_text
    region = text(flow_runs["out"] / "report_2024.docx")
    assert (
        "要確認の値（誤りの可能性が高い値）" in region
        and "確認済み（集計に含めています）\n山田（2025年7月10日）" in region
    )
    assert "の実績と執行率には、要確認の値" not in region  # confirmed: nothing is left out any more
    town = text(flow_runs["out"] / "municipalities" / "434442_甲佐町.docx")
    assert "2,350,000\n要確認" not in town


def test_every_hold_rule_is_a_warning_rule_of_the_suites(root):
    import json

    severity = {
        e["meta"]["rule"]: e.get("severity")
        for p in (root / "expectations").glob("*.json")
        for e in json.loads(p.read_text(encoding="utf-8"))["expectations"]
    }
    assert {r: severity.get(r) for r in load_settings(root).validation.hold_rules} == {
        "magnitude_kpi": "warning",
        "magnitude_expenditure": "warning",
        "over_budget": "warning",
    }


def test_hold_rules_that_are_not_a_list_are_refused_in_japanese(tmp_path):
    from vision_report.core.config import ConfigError

    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "vision-report.yaml").write_text("validation:\n  hold_rules: magnitude_kpi\n", "utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(tmp_path)
    assert str(err.value) == (
        "設定 validation.hold_rules には、値を要確認として集計から外す警告のルール名の一覧を書いてください"
        "（例: [magnitude_kpi, magnitude_expenditure, over_budget]。現在: 'magnitude_kpi'）"
    )

"""The real Prefect flow end to end on the shipped synthetic sample set, into tmp_path."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from conftest import CSVS

ROOT = Path(__file__).resolve().parents[1]


def read_csv(path: Path) -> list[dict]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), f"{path.name} must be UTF-8 with BOM"
    return list(csv.DictReader(io.StringIO(data[3:].decode("utf-8"))))


def test_outputs_exist(sample_run):
    out = sample_run["out"]
    assert (out / "data_docs" / "index.html").is_file()  # GX Data Docs of the run
    for name in CSVS + ["report_2024.docx"]:
        assert (out / name).is_file(), name
    assert len(list((out / "municipalities").glob("*.docx"))) == 20
    assert len(list((out / "feedback").glob("*.txt"))) == 21  # 20 members + the non-member file


def test_reruns_give_identical_csvs(sample_run):
    for name in CSVS:
        assert (sample_run["out"] / name).read_bytes() == sample_run["first"][name], name


def test_submission_statuses_match_the_faulty_files(sample_run):
    rows = {r["file"]: r for r in read_csv(sample_run["out"] / "submissions.csv")}
    assert rows["434281_高森町_合成データ.csv"]["status"] == "rejected"
    assert "3.12.2" in rows["434281_高森町_合成データ.csv"]["errors"]
    assert rows["433641_玉東町_合成データ.csv"]["status"] == "rejected"
    assert "約40" in rows["433641_玉東町_合成データ.csv"]["errors"]
    assert rows["434442_甲佐町_合成データ.csv"]["status"] == "accepted_with_warnings"
    assert rows["439999_テスト町_合成データ.csv"]["status"] == "rejected"
    # review 4 #2: 嘉島町 sends the older columns (no 自己評価): accepted with the one warning saying what to fill in
    kashima = rows["434426_嘉島町_合成データ.csv"]
    assert (kashima["status"], kashima["warning_count"]) == ("accepted_with_warnings", "1")
    assert kashima["warnings"].startswith(
        "事業費の49行のすべてで、自己評価、今後の方向性、取組実績、成果、課題の記入がありません"
    )
    others = [
        r
        for f, r in rows.items()
        if f
        not in (
            "434281_高森町_合成データ.csv",
            "433641_玉東町_合成データ.csv",
            "434442_甲佐町_合成データ.csv",
            "439999_テスト町_合成データ.csv",
            "434426_嘉島町_合成データ.csv",
        )
    ]
    assert len(others) == 16 and {r["status"] for r in others} == {"accepted"}
    for r in rows.values():
        assert len(r["sha256"]) == 64


def test_evaluations_of_the_sample_run(sample_run, plan):
    """issue 13: one row per member × initiative; a rejected file and the older format give no grades or texts."""
    ev = read_csv(sample_run["out"] / "evaluations.csv")
    texts = read_csv(sample_run["out"] / "initiative_texts.csv")
    assert len(ev) == len(texts) == sum(len(plan.initiatives_of(m.code, 2024)) for m in plan.members(2024))
    assert [(r["municipality_code"], r["initiative_id"]) for r in ev] == [
        (r["municipality_code"], r["initiative_id"]) for r in texts
    ]
    by = {(r["municipality_code"], r["initiative_id"]): r for r in ev}
    rejected = [r for (code, _i), r in by.items() if code == "434281"]  # 高森町: rejected, nothing used
    assert rejected and all(r["status"] == r["self_evaluation"] == r["result_text_chars"] == "" for r in rejected)
    older = [r for (code, _i), r in by.items() if code == "434426"]  # 嘉島町: the older columns
    assert older and all(r["status"] and r["self_evaluation"] == "" and r["result_text_chars"] == "0" for r in older)
    core = [r for (code, _i), r in by.items() if code == "431001"]
    assert all(r["self_evaluation"] in ("A", "B", "C", "D") for r in core if r["status"] != "未実施")
    written = [r for r in texts if r["result_text"]]
    assert written and all(r["result_text"].startswith("（合成データ）") for r in written)
    assert any("\n" in r["result_text"] for r in written)  # a line break kept inside a quoted cell
    for r in written:
        assert int(by[(r["municipality_code"], r["initiative_id"])]["result_text_chars"]) == len(r["result_text"])


def test_rejected_files_contribute_nothing(sample_run):
    kpi = {r["kpi_id"]: r for r in read_csv(sample_run["out"] / "kpi_attainment.csv")}
    assert kpi["births"]["reporters_expected"] == "20" and kpi["births"]["reporters_received"] == "18"
    assert kpi["births"]["provisional"] == "true"
    assert kpi["port_teu"]["reporters_received"] == "1"
    progress = float(kpi["port_teu"]["progress_pct"])  # port_teu is an `increase` KPI: rated by progress
    want = "A" if progress >= 100 else "B" if progress >= 50 else "C" if progress >= 0 else "D"
    assert kpi["port_teu"]["rating"] == want
    budget = {r["initiative_id"]: r for r in read_csv(sample_run["out"] / "budget_execution.csv")}
    assert int(budget["3.12.2"]["participants_reported"]) <= 3  # 高森町's refused row is not counted


def test_kpi_values_equal_the_sum_of_accepted_files(sample_run, plan):
    from vision_report.intake.reading import decode

    total = 0.0
    for f in (sample_run["tmp"] / "inputs" / "2024").iterdir():
        if f.name.startswith(("434281_", "433641_", "439999_")) or f.suffix != ".csv":
            continue
        text, _ = decode(f.read_bytes())
        for row in csv.reader(io.StringIO(text)):
            if row[1] == "startups":
                total += float(
                    row[3]
                    .replace(",", "")
                    .translate(str.maketrans("０１２３４５６７８９，", "0123456789,"))
                    .replace(",", "")
                )
    xlsx = [f for f in (sample_run["tmp"] / "inputs" / "2024").iterdir() if f.suffix == ".xlsx"]
    from openpyxl import load_workbook

    for f in xlsx:
        for row in load_workbook(f, read_only=True).worksheets[0].iter_rows(values_only=True):
            if row[1] == "startups":
                total += float(str(row[3]).replace(",", ""))
    kpi = {r["kpi_id"]: r for r in read_csv(sample_run["out"] / "kpi_attainment.csv")}
    assert float(kpi["startups"]["actual"]) == pytest.approx(total)


def test_history_covers_every_year_with_inputs(sample_run):
    rows = read_csv(sample_run["out"] / "kpi_history.csv")
    assert list(rows[0])[-4:] == ["2021", "2022", "2023", "2024"]
    assert all(r["2021"] for r in rows)  # every KPI was reported in FY2021 (all files accepted that year)


def test_feedback_tells_what_to_fix(sample_run):
    text = (sample_run["out"] / "feedback" / "433641_玉東町.txt").read_bytes().decode("utf-8-sig")
    assert "差戻し" in text and "約40" in text and "行目" in text and "\r\n" in text
    ok = (sample_run["out"] / "feedback" / "431001_熊本市.txt").read_bytes().decode("utf-8-sig")
    assert "受理" in ok and "差戻し" not in ok


def test_run_summary(sample_run):
    s = sample_run["summary"]
    assert s["fiscal_year"] == 2024 and s["statuses"]["rejected"] == 3
    assert sample_run["summary2"]["statuses"] == s["statuses"]


def test_the_probable_error_of_the_sample_is_held_out(sample_run):
    """甲佐町 sends 2,350,000 千円 on 3.13.3 (a 円/千円 mix-up): held (要確認) and out of every total."""
    held = read_csv(sample_run["out"] / "held_values.csv")
    assert [(h["municipality_code"], h["kind"], h["item_id"], h["value"], h["confirmed"]) for h in held] == [
        ("434442", "expenditure", "3.13.3", "2350000", "false")
    ]
    budget = {r["initiative_id"]: r for r in read_csv(sample_run["out"] / "budget_execution.csv")}
    assert budget["3.13.3"]["values_held"] == "1" and float(budget["3.13.3"]["actual_thousand_yen"]) < 10000
    assert budget["3.13.2"]["values_held"] == "0"
    history = {r["initiative_id"]: r for r in read_csv(sample_run["out"] / "budget_history.csv")}
    assert history["3.13.3"]["2024"] == budget["3.13.3"]["actual_thousand_yen"]
    feedback = (sample_run["out"] / "feedback" / "434442_甲佐町.txt").read_bytes().decode("utf-8-sig")
    assert "要確認（集計に含めていません）" in feedback


def test_the_run_graph_links_each_step_to_the_steps_it_used(sample_run):
    """The steps are called with their arguments wrapped in Prefect's ``opaque`` (issue 21: Prefect no longer walks
    into the plan, the received files and the tables): Prefect still records which task gave each argument."""
    from prefect import get_client

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs()
    by_id = {r.id: r for r in runs}

    def sources(name: str, parameter: str) -> set[str]:
        found = set()
        for r in runs:
            if r.name.startswith(f"{name}-"):
                found |= {by_id[i.id].name.rsplit("-", 1)[0] for i in r.task_inputs.get(parameter, []) if i.id in by_id}
        return found

    assert sources("screen_submissions", "received") == {"collect_submissions"}
    assert sources("hold_probable_errors", "year") == {"screen_submissions"}
    assert sources("write_outputs", "holds") == {"hold_probable_errors"}
    assert sources("publish_artifacts", "plan") == {"load_plan"}

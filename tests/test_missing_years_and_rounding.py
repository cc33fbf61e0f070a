"""Issue 18 items 6 and 8 on a fixture built for them: the FY2025 run of the samples with FY2022–FY2024 without any
submission (FY2022 and FY2024 have no folder, FY2023 an empty one), and 熊本市's FY2025 file changed so that two
published percentages sit on a rounding boundary: 中心市街地の通行量 705,000 / 800,000 = 88.125 % and 公共交通機関の年間利用者
82,124 / 56,000 = 146.65 % (146.64999999999998 as a float).

Every output prints them by the one rule (core.textfmt.round_half_up, half-up from the exact decimal): 88.13 and 146.65 in
the CSVs (2 places), 88.1% and 146.7% in the documents and the Prefect artifact (1 place)."""

from __future__ import annotations

import csv
import io
import os
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest
from docx import Document

ROOT = Path(__file__).resolve().parents[1]
KUMAMOTO = "431001"
NO_DATA = "提出なし"  # templates/labels.yaml history.no_submissions


def _csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes()[3:].decode("utf-8"))))


def _set_values(path: Path, values: dict[str, str]) -> None:
    """Rewrite 熊本市's sample file (Shift_JIS, as Excel writes it) with ``values`` (KPI id -> 実績値)."""
    text = path.read_bytes().decode("cp932")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    for r in rows[1:]:
        if r[1] in values:
            r[3] = values.pop(r[1])
    assert not values, values
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode("cp932"))


@pytest.fixture(scope="module")
def run(tmp_path_factory, prefect_backend):
    from flows.yearly_report import yearly_report
    from vision_report.outputs.reports import pdf

    tmp = tmp_path_factory.mktemp("gaps")
    inputs = tmp / "inputs"
    for fy in (2021, 2025):
        shutil.copytree(ROOT / "inputs" / str(fy), inputs / str(fy))
    (inputs / "2023").mkdir()  # a folder, but nothing in it
    (kumamoto,) = (inputs / "2025").glob(f"{KUMAMOTO}_*")
    _set_values(kumamoto, {"downtown_footfall": "705,000", "transit_riders": "82,124"})
    old = time.time() - 3600
    for p in inputs.rglob("*"):
        os.utime(p, (old, old))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pdf, "write_pdfs", lambda pairs, **_: [])
        yearly_report(fiscal_year=2025, inputs=inputs, outputs=tmp / "out", root=ROOT, archive=tmp / "archive")
    return tmp / "out" / "2025"


# ------------------------------------------------------------------------------------------- item 6: 提出なし


@pytest.mark.parametrize("name", ["kpi_history.csv", "budget_history.csv", "period_kpi.csv"])
def test_every_year_stays_in_the_year_tables_as_no_submissions(run, name):
    rows = _csv(run / name)
    assert [c for c in rows[0] if c.isdigit()] == ["2021", "2022", "2023", "2024", "2025"]
    for r in rows:
        assert (r["2022"], r["2023"], r["2024"]) == (NO_DATA,) * 3
        assert r["2021"] != NO_DATA and r["2025"] != NO_DATA
    assert any(r["2021"] for r in rows) and any(r["2025"] for r in rows)


def test_period_execution_compares_the_plan_of_the_years_with_actuals(run, plan):
    budget = {r["initiative_id"]: r for r in _csv(run / "period_budget.csv")}
    for ini in plan.initiatives:
        r = budget[ini.id]
        assert (r["years_compared"], r["years_without_submissions"]) == ("2021;2025", "2022;2023;2024")
        printed = {y: ini.budget.planned(y) for y in range(2021, 2026)}
        if all(isinstance(printed[y], int) for y in (2021, 2025)):
            assert float(r["planned_thousand_yen"]) == printed[2021] + printed[2025]
    one = budget["1.1.1"]
    assert float(one["planned_period_thousand_yen"]) == sum(plan.initiative("1.1.1").budget.years.values())
    actual, planned = float(one["actual_thousand_yen"]), float(one["planned_thousand_yen"])
    assert one["execution_pct"] == f"{actual / planned * 100:.2f}".rstrip("0").rstrip(".")
    # a plan printed only as the period's total cannot be split over the two years compared: no plan, no 執行率
    assert budget["2.3.2"]["planned_thousand_yen"] == "" and budget["2.3.2"]["execution_pct"] == ""


def test_the_report_says_which_years_had_no_submissions_and_what_the_execution_compares(run):
    doc = Document(run / "report_2025.docx")
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "2022・2023・2024年度は受理した提出がないため、各表で「提出なし」と示し、合計には含めていません。" in text
    assert "事業費の執行率は、提出のあった2021・2025年度の計画額（" in text
    assert "※「提出なし」は、受理した提出が1件もなかった年度（値は0ではなく不明）。" in text
    period = next(
        t
        for t in doc.tables
        if [c.text.replace("\n", "") for c in t.rows[0].cells][:3] == ["KPI", "現状値（年）", "2021年度"]
    )
    header = [c.text.replace("\n", "") for c in period.rows[0].cells]
    for row in period.rows[1:]:
        cells = [c.text for c in row.cells]
        assert [cells[header.index(f"{y}年度")] for y in (2022, 2023, 2024)] == [NO_DATA] * 3


# ------------------------------------------------------------------------------------------- item 8: one rounding


def test_boundary_percentages_are_rounded_half_up_in_the_csvs(run):
    kpi = {r["kpi_id"]: r for r in _csv(run / "kpi_attainment.csv")}
    assert kpi["downtown_footfall"]["actual"] == "705000" and kpi["downtown_footfall"]["attainment_pct"] == "88.13"
    assert kpi["transit_riders"]["actual"] == "82124" and kpi["transit_riders"]["attainment_pct"] == "146.65"
    period = {r["kpi_id"]: r for r in _csv(run / "period_kpi.csv")}
    assert period["downtown_footfall"]["attainment_pct"] == "88.13"
    assert period["transit_riders"]["attainment_pct"] == "146.65"


def test_boundary_percentages_are_rounded_half_up_in_the_documents(run):
    for name in ("report_2025.docx", "report_2025_概要版.docx"):
        doc = Document(run / name)
        rows = [[c.text for c in row.cells] for t in doc.tables for row in t.rows]
        footfall = [r for r in rows if r and r[0].startswith("中心市街地の通行量") and "88.1%" in r]
        transit = [r for r in rows if r and r[0].startswith("公共交通機関の年間利用者") and "146.7%" in r]
        assert footfall and transit, name
        flat = "\n".join("\t".join(r) for r in rows)
        assert "88.2%" not in flat and "146.6%" not in flat, name  # never the float's own rounding


def test_boundary_percentages_in_the_prefect_artifact(run, plan):
    from flows.yearly_report import kpi_artifact_markdown

    kpi = pd.DataFrame(_csv(run / "kpi_attainment.csv"))
    for c in ("actual", "attainment_pct", "progress_pct"):
        kpi[c] = pd.to_numeric(kpi[c])
    kpi.loc[kpi["kpi_id"] == "transit_riders", "attainment_pct"] = 82124 / 56000 * 100  # the float, as computed
    kpi.loc[kpi["kpi_id"] == "downtown_footfall", "attainment_pct"] = 705000 / 800000 * 100
    md = kpi_artifact_markdown(plan, 2025, kpi)
    assert "| 中心市街地の通行量 | 705,000 人 | 88.1% |" in md
    assert "| 公共交通機関の年間利用者 | 82,124 千人/年 | 146.7% |" in md

"""A plain first version of the Word reports (region and per municipality).

The vision-layout reports are built on top of this (issue: Word reports in the vision's own layout).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..config import Settings
from ..plan import Plan
from ..textfmt import fmt_num, fmt_pct, wareki
from .docxutil import add_table, new_document, save
from .parallel import chunks, parallel_map

STATUS_JA = {"accepted": "受理", "accepted_with_warnings": "受理（警告あり）", "rejected": "差戻し",
             "superseded": "差替え済み", "missing": "未提出", "pending": "保留"}


def _kpi_rows(kpi: pd.DataFrame) -> list[list[str]]:
    return [[r.kpi_name, r.unit, fmt_num(r.baseline), fmt_num(r.target), fmt_num(r.actual),
             fmt_pct(r.attainment_pct), fmt_pct(r.progress_pct), str(r.rating)] for r in kpi.itertuples()]


def region_report(plan: Plan, fiscal_year: int, results: dict[str, pd.DataFrame], subs: pd.DataFrame):
    doc = new_document()
    doc.add_heading(f"{plan.meta.title} {wareki(fiscal_year)}（{fiscal_year}年度）進捗状況報告書", level=0)
    doc.add_paragraph(f"{plan.meta.alliance} / {plan.meta.office or ''}")
    doc.add_heading("KPIの状況", level=1)
    add_table(doc, ["KPI", "単位", "現状値", "目標値", "実績値", "達成率", "進捗率", "評価"],
              _kpi_rows(results["kpi_attainment"]), numeric={2, 3, 4, 5, 6})
    doc.add_heading("事業費の執行状況（千円）", level=1)
    b = results["budget_execution"]
    add_table(doc, ["取組", "名称", "計画", "実績", "執行率"],
              [[r.initiative_id, r.initiative_name, fmt_num(r.planned_thousand_yen), fmt_num(r.actual_thousand_yen),
                fmt_pct(r.execution_pct)] for r in b.itertuples()], numeric={2, 3, 4})
    doc.add_heading("提出状況", level=1)
    add_table(doc, ["市町村", "ファイル", "状態", "エラー", "警告"],
              [[f"{r.municipality_name}", r.file or "—", STATUS_JA.get(r.status, r.status), str(r.error_count),
                str(r.warning_count)] for r in subs.itertuples()], numeric={3, 4})
    return doc


def municipality_report(plan: Plan, fiscal_year: int, code: str, results: dict[str, pd.DataFrame],
                        mine: pd.DataFrame, rows: pd.DataFrame):
    """``mine``: this municipality's rows of submissions.csv; ``rows``: its accepted rows."""
    m = plan.municipality(code)
    doc = new_document()
    doc.add_heading(f"{m.name} {wareki(fiscal_year)}（{fiscal_year}年度）{plan.meta.alliance} 取組状況", level=0)
    doc.add_paragraph("提出状況: " + "、".join(f"{r.file or '—'}（{STATUS_JA.get(r.status, r.status)}）"
                                            for r in mine.itertuples()))
    spend = {r.item_id: r.value for r in rows[rows["kind"] == "expenditure"].itertuples()}
    b = results["budget_execution"].set_index("initiative_id")
    doc.add_heading("参加している取組と支出（千円）", level=1)
    add_table(doc, ["取組", "名称", "本市町村の支出", "圏域の計画", "圏域の実績"],
              [[i.id, i.name, fmt_num(spend.get(i.id)), fmt_num(b.loc[i.id, "planned_thousand_yen"]),
                fmt_num(b.loc[i.id, "actual_thousand_yen"])] for i in plan.initiatives_of(code)], numeric={2, 3, 4})
    vals = {r.item_id: r.value for r in rows[rows["kind"] == "kpi"].itertuples()}
    k = results["kpi_attainment"].set_index("kpi_id")
    doc.add_heading("報告しているKPIと圏域に占める割合", level=1)
    out = []
    for kp in plan.kpis_reported_by(code):
        total = k.loc[kp.id, "actual"]
        v = vals.get(kp.id)
        share = (v / total * 100) if v is not None and pd.notna(total) and total else None
        out.append([kp.name, kp.unit, fmt_num(v), fmt_num(total), fmt_pct(share)])
    add_table(doc, ["KPI", "単位", "本市町村の値", "圏域の値", "割合"], out, numeric={2, 3, 4})
    return doc


def _render_chunk(args) -> list[str]:
    plan, fiscal_year, out_dir, results, jobs = args
    written = []
    for code, name, mine, rows in jobs:
        doc = municipality_report(plan, fiscal_year, code, results, mine, rows)
        written.append(str(save(doc, out_dir / "municipalities" / f"{code}_{name}.docx")))
    return written


def write_reports(settings: Settings, plan: Plan, fiscal_year: int, out_dir: Path, results: dict[str, pd.DataFrame],
                  subs: pd.DataFrame, year) -> list[Path]:
    written = [save(region_report(plan, fiscal_year, results, subs), out_dir / f"report_{fiscal_year}.docx")]
    subs_by = dict(tuple(subs.groupby("municipality_code", sort=False)))
    rows_by = dict(tuple(year.accepted_rows.groupby("municipality_code", sort=False)))
    empty_rows = year.accepted_rows.iloc[0:0]
    jobs = [(m.code, m.name, subs_by.get(m.code, subs.iloc[0:0]), rows_by.get(m.code, empty_rows))
            for m in plan.municipalities]
    for path in parallel_map(_render_chunk, [(plan, fiscal_year, out_dir, results, chunk)
                                             for chunk in chunks(jobs, settings)]):
        written += [Path(p) for p in path]
    return written

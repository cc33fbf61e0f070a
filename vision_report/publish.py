"""Write everything a run produces for one fiscal year into outputs/<FY>/ (atomically)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .atomic import remove_stale_temps
from .config import Settings
from .feedback import feedback_text
from .outputs import history_tables, write_csv, write_feedback_text
from .pipeline import ACCEPTED, YearData, submissions_table
from .plan import Plan
from .reports import ReportData, write_reports
from .textfmt import fmt_num

CSV_FILES = ("kpi_attainment", "budget_execution", "rollup")


def _accepted_summary(rows: pd.DataFrame, file_id: int) -> list[str]:
    mine = rows[(rows["file_id"] == file_id)]
    exp = mine[mine["kind"] == "expenditure"]
    kpi = mine[mine["kind"] == "kpi"]
    out = []
    if len(exp):
        out.append(f"事業費 {len(exp)} 件（合計 {fmt_num(exp['value'].sum())} 千円）")
    if len(kpi):
        out.append(
            f"KPI {len(kpi)} 件（" + "、".join(f"{r.item_id} {fmt_num(r.value)}" for r in kpi.itertuples()) + "）"
        )
    return out


def write_feedback(settings: Settings, plan: Plan, fiscal_year: int, out_dir: Path, year: YearData) -> list[Path]:
    """feedback/<code>_<name>.txt for every member (and for any non-member file received)."""
    written = []
    by_code: dict[str, list] = {}
    for r in year.received:
        by_code.setdefault(r.municipality_code or "", []).append(r)
    templates = settings.root / "templates"
    for m in plan.municipalities:
        recs = sorted(by_code.get(m.code, []), key=lambda r: (r.mtime or 0, r.name))
        main = next((r for r in reversed(recs) if r.status not in ("superseded",)), None)
        status = main.status if main else "missing"
        summary = _accepted_summary(year.rows, main.file_id) if main and main.status in ACCEPTED else []
        text = feedback_text(
            plan,
            fiscal_year,
            templates,
            code=m.code,
            name=m.name,
            rec=main,
            status=status,
            accepted_summary=summary,
            other_files=[r for r in recs if r is not main],
        )
        written.append(write_feedback_text(out_dir / "feedback" / f"{m.code}_{m.name}.txt", text))
    for code, recs in sorted(by_code.items()):
        if plan.has_municipality(code):
            continue
        for r in recs:
            stem = Path(r.name).stem
            text = feedback_text(plan, fiscal_year, templates, code=code or "不明", name=stem, rec=r, status=r.status)
            written.append(write_feedback_text(out_dir / "feedback" / f"{stem}.txt", text))
    return written


def write_year_outputs(
    settings: Settings,
    plan: Plan,
    fiscal_year: int,
    out_dir: Path,
    year: YearData,
    results: dict[str, pd.DataFrame],
    per_year: dict[int, dict[str, pd.DataFrame]],
) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(out_dir)  # a run killed mid-way left these; the run lock keeps other runs out
    written = [write_csv(out_dir / f"{name}.csv", results[name]) for name in CSV_FILES]
    subs = submissions_table(plan, year.received, settings.deadlines.for_year(fiscal_year))
    written.append(write_csv(out_dir / "submissions.csv", subs))
    for name, df in history_tables(plan, per_year).items():
        written.append(write_csv(out_dir / f"{name}.csv", df))
    written += write_feedback(settings, plan, fiscal_year, out_dir, year)
    print(f"報告書（圏域・市町村別 {len(plan.municipalities)} 件）を作成しています…")
    data = ReportData(
        settings=settings,
        plan=plan,
        fiscal_year=fiscal_year,
        results=results,
        subs=subs,
        accepted_rows=year.accepted_rows,
        per_year=per_year,
    )
    issues = {
        r.name: [
            ("エラー: " if i.severity == "error" else "警告: ") + (f"{i.row}行目 " if i.row else "") + i.message
            for i in r.issues
        ]
        for r in year.received
    }
    written += write_reports(data, out_dir, issues)
    return written

"""Write everything a run produces for one fiscal year into outputs/<FY>/ (each file atomically)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .atomic import remove_stale_temps
from .compute import compute_period, history_tables
from .config import Settings
from .feedback import feedbacks
from .plan import Plan
from .reports import ReportData, write_reports
from .screening import Screening, submissions_table
from .vocabulary import located_message, severity_label
from .writers import write_csv, write_feedback_text

CSV_FILES = ("kpi_attainment", "budget_execution", "rollup")


def issued_month(year: Screening) -> str:
    """発行年月 for the cover when config report.issued is not set: the month (Japan time) of the newest file
    received for the year, so that the same inputs give the same documents byte for byte; the current month
    when nothing was received."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    times = [r.mtime for r in year.received if r.mtime]
    when = datetime.fromtimestamp(max(times), ZoneInfo("Asia/Tokyo")) if times else datetime.now(ZoneInfo("Asia/Tokyo"))
    return f"{when.year}年{when.month}月"


def write_year_outputs(
    settings: Settings,
    plan: Plan,
    fiscal_year: int,
    out_dir: Path,
    year: Screening,
    results: dict[str, pd.DataFrame],
    per_year: dict[int, dict[str, pd.DataFrame]],
) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(out_dir)  # a run killed mid-way left these; the run lock keeps other runs out
    written = [write_csv(out_dir / f"{name}.csv", results[name]) for name in CSV_FILES]
    subs = submissions_table(plan, year.received, fiscal_year, settings.deadlines.for_year(fiscal_year))
    written.append(write_csv(out_dir / "submissions.csv", subs))
    for name, df in history_tables(plan, per_year).items():
        written.append(write_csv(out_dir / f"{name}.csv", df))
    period = compute_period(plan, per_year, fiscal_year, settings)
    for name, df in period.items():
        written.append(write_csv(out_dir / f"{name}.csv", df))
    for file_name, text in feedbacks(plan, fiscal_year, settings.root / "templates", year).items():
        written.append(write_feedback_text(out_dir / "feedback" / file_name, text))
    print(f"報告書（圏域・市町村別 {len(plan.members(fiscal_year))} 件）を作成しています…")
    data = ReportData(
        issued=settings.report.issued or issued_month(year),
        settings=settings,
        plan=plan,
        fiscal_year=fiscal_year,
        results={**results, **period},
        subs=subs,
        accepted_rows=year.accepted_rows,
        per_year=per_year,
    )
    issues = {r.name: [f"{severity_label(i.severity)}: {located_message(i)}" for i in r.issues] for r in year.received}
    written += write_reports(data, out_dir, issues)
    return written

"""The yearly run as plain functions; flows/yearly_report.py wires them into Prefect tasks.

collect -> read -> validate -> (accepted rows) -> compute -> tables. I/O happens only in collect/read
(intake) and in the writers (outputs, reports).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .atomic import remove_stale_temps
from .config import Settings
from .intake import ROW_COLUMNS, Issue, Received, archive, choose_latest, discover, read_submission
from .normalize import UnitSystem, load_units
from .plan import Plan
from .prepare import coverage, prepare_rows, suite_parameters
from .textfmt import jst
from .validation import findings_to_issues, run_suite

ACCEPTED = ("accepted", "accepted_with_warnings")


@dataclass
class YearData:
    fiscal_year: int
    received: list[Received]
    rows: pd.DataFrame  # prepared rows of every file that was read
    accepted_rows: pd.DataFrame  # municipality_code, kind, item_id, value, status, file
    gx_stats: dict = field(default_factory=dict)


def units_of(settings: Settings) -> UnitSystem:
    return load_units(settings.root / "config" / "units.yaml")


def collect(
    settings: Settings,
    plan: Plan,
    fiscal_year: int,
    inputs_dir: Path,
    archive_dir: Path | None,
    now: float | None = None,
) -> list[Received]:
    """Find, pick the newest per municipality, archive every received file by content hash.

    ``archive_dir=None`` is a read-only look (reminders): nothing is archived, files are read in place.
    """
    v = settings.validation
    received = discover(
        inputs_dir, fiscal_year, plan, max_bytes=v.max_file_bytes, settle_seconds=v.settle_seconds, now=now, limits=v
    )
    choose_latest(received)
    if archive_dir is not None:
        remove_stale_temps(archive_dir / str(fiscal_year))
    for rec in received:
        if archive_dir is not None:
            archive(rec, archive_dir)
        elif not any(i.rule in ("symlink", "not_a_file") for i in rec.issues):
            rec.archived_path = rec.path
    return received


def read_all(received: list[Received]) -> pd.DataFrame:
    frames = [read_submission(r) for r in received if r.status == "" and not r.has_errors]
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=ROW_COLUMNS)


def validate(
    received: list[Received],
    raw_rows: pd.DataFrame,
    plan: Plan,
    fiscal_year: int,
    settings: Settings,
    expectations_dir: Path,
    docs_dir: Path | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Run the GX suites over all rows of the year in one batch; attach issues; decide each file's status."""
    prepared = prepare_rows(raw_rows, plan, fiscal_year, units_of(settings))
    params = suite_parameters(plan, fiscal_year, settings.validation)
    by_id = {r.file_id: r for r in received}
    stats = {}
    findings, stats["submission_rows"] = run_suite(expectations_dir, "submission_rows", prepared, params, docs_dir)
    issues = findings_to_issues(findings, prepared, expectations_dir, fiscal_year, params)
    read_ids = sorted(set(prepared["file_id"].astype(int)))
    files = pd.DataFrame(
        {
            "file_id": read_ids,
            "file": [by_id[i].name for i in read_ids],
            "municipality_code": [by_id[i].municipality_code for i in read_ids],
        }
    )
    cov = coverage(prepared, files, plan)
    cov_findings, stats["submission_coverage"] = run_suite(
        expectations_dir, "submission_coverage", cov, params, docs_dir
    )
    for fid, lst in findings_to_issues(cov_findings, cov, expectations_dir, fiscal_year, params).items():
        issues.setdefault(fid, []).extend(lst)
    for fid, lst in issues.items():
        by_id[fid].issues.extend(lst)
    decide_statuses(received)
    return prepared, stats


def decide_statuses(received: list[Received]) -> None:
    for r in received:
        if r.status in ("pending", "superseded", "not_submission"):
            continue
        if r.has_errors:
            r.status = "rejected"
        elif any(i.severity == "warning" for i in r.issues):
            r.status = "accepted_with_warnings"
        else:
            r.status = "accepted"


def accepted_rows(prepared: pd.DataFrame, received: list[Received]) -> pd.DataFrame:
    ok = {r.file_id for r in received if r.status in ACCEPTED}
    df = prepared[prepared["file_id"].isin(ok)]
    out = df[["municipality_code", "kind", "item_id", "value", "status", "file"]].copy()
    out["status"] = out["status"].where(out["status"] != "", None)
    return out.reset_index(drop=True)


def process_year(
    settings: Settings, plan: Plan, fiscal_year: int, inputs_dir: Path, archive_dir: Path, now: float | None = None
) -> YearData:
    received = collect(settings, plan, fiscal_year, inputs_dir, archive_dir, now)
    raw = read_all(received)
    prepared, stats = validate(received, raw, plan, fiscal_year, settings, settings.root / "expectations")
    return YearData(fiscal_year, received, prepared, accepted_rows(prepared, received), stats)


def compute_year(plan: Plan, fiscal_year: int, rows: pd.DataFrame, settings: Settings) -> dict[str, pd.DataFrame]:
    from . import compute

    kpis = compute.plan_kpi_table(plan)
    reporters = {k.id: k.reporters for k in plan.kpis}
    kpi = compute.kpi_attainment(kpis, rows, reporters, settings.ratings)
    budget = compute.budget_execution(compute.plan_initiative_table(plan, fiscal_year), rows)
    rollup = compute.rollup(plan, kpi, budget)
    return {"kpi_attainment": kpi, "budget_execution": budget, "rollup": rollup}


def _issue_text(issues: list[Issue]) -> str:
    parts = []
    for i in sorted(issues, key=lambda i: (i.row or 0, i.column or "", i.rule)):
        where = "".join([f"{i.row}行目" if i.row else "", f"「{i.column}」" if i.column else ""])
        parts.append(f"{where}{': ' if where else ''}{i.message}")
    return " / ".join(parts)


def timeliness(mtime: float | None, deadline) -> str:
    """on_time / late by the file's modification time against the deadline (end of that day, Japan time)."""
    if mtime is None or deadline is None:
        return ""
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    end = datetime.combine(deadline + timedelta(days=1), time(0), ZoneInfo("Asia/Tokyo")).timestamp()
    return "on_time" if mtime < end else "late"


def submissions_table(plan: Plan, received: list[Received], deadline=None) -> pd.DataFrame:
    """One row per file received and per member that sent none (CONTRACT §5), with its timeliness."""
    order = {m.code: k for k, m in enumerate(plan.municipalities)}
    recs = sorted(received, key=lambda r: (order.get(r.municipality_code or "", len(order)), r.name))
    sent = {r.municipality_code for r in received}
    rows = []
    for r in recs:
        code = r.municipality_code or ""
        rows.append(
            {
                "municipality_code": code,
                "municipality_name": plan.municipality(code).name if plan.has_municipality(code) else "",
                "file": r.name,
                "sha256": r.sha256 or "",
                "status": r.status,
                "errors": _issue_text([i for i in r.issues if i.severity == "error"]),
                "warnings": _issue_text([i for i in r.issues if i.severity == "warning"]),
                "error_count": sum(1 for i in r.issues if i.severity == "error"),
                "warning_count": sum(1 for i in r.issues if i.severity == "warning"),
                "received_at": jst(r.mtime) if r.mtime else "",
                "timeliness": timeliness(r.mtime, deadline),
                "deadline": deadline.isoformat() if deadline else "",
                "size_bytes": r.size if r.size is not None else "",
                "encoding": r.encoding or "",
                "archived_as": r.archived_as or "",
            }
        )
    for m in plan.municipalities:
        if m.code not in sent:
            rows.append(
                {
                    "municipality_code": m.code,
                    "municipality_name": m.name,
                    "file": "",
                    "sha256": "",
                    "status": "missing",
                    "errors": "",
                    "warnings": "",
                    "error_count": 0,
                    "warning_count": 0,
                    "received_at": "",
                    "timeliness": "missing",
                    "deadline": deadline.isoformat() if deadline else "",
                    "size_bytes": "",
                    "encoding": "",
                    "archived_as": "",
                }
            )
    df = pd.DataFrame(rows)
    df["_o"] = df["municipality_code"].map(lambda c: order.get(c, len(order)))
    return df.sort_values(["_o", "file"], kind="stable").drop(columns="_o").reset_index(drop=True)

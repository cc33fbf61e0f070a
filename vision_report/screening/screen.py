"""One way through a fiscal year's files: received files -> decided statuses and accepted rows.

``collect`` finds and archives what arrived (I/O); ``screen`` reads the archived copies, validates every row
of the year in one Great Expectations batch per suite and decides each file's status. The yearly flow,
``vision-report check``, ``reminders`` and ``watch`` all go through ``screen``; none of them validates in
any other way. ``screen`` never changes the ``Received`` objects it is given (it works on copies), so a
retried task gives the same result.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from vision_report.core.atomic import remove_stale_temps
from vision_report.core.config import Settings
from vision_report.core.textfmt import jst
from vision_report.core.vocabulary import ACCEPTED_STATUSES, NOT_SUBMISSIONS, Severity, Status, located_message
from vision_report.intake import synthetic_receipts
from vision_report.intake.files import Received, archive, choose_latest, discover
from vision_report.intake.normalize import COMPUTED_ROW_COLUMNS, EVALUATION_COLUMNS, UnitSystem, load_units
from vision_report.intake.rows import read_columns, rows_frame
from vision_report.plan import Plan
from vision_report.screening.issues import findings_to_issues
from vision_report.screening.prepare import coverage, prepare_rows, suite_parameters
from vision_report.screening.validation import data_docs, validate

# the accepted rows: what computation reads, and the file each row came from
# and the texts, 今後の方向性 and 自己評価 of expenditure rows ("" when absent and on KPI rows; docs/interface.md §2)
ACCEPTED_ROW_COLUMNS = [*COMPUTED_ROW_COLUMNS, "file", *EVALUATION_COLUMNS]


@dataclass(frozen=True)
class Screening:
    """What became of one fiscal year's files."""

    fiscal_year: int
    received: tuple[Received, ...]  # every file found, each with its issues and decided status
    rows: pd.DataFrame  # prepared rows of every file that was read (accepted or not)
    accepted_rows: pd.DataFrame  # ACCEPTED_ROW_COLUMNS, from accepted files only
    # (row_key, rule) of every row-level warning, before messages are capped per rule: what confirmations.held_values
    # reads to hold probable errors (要確認) out of the totals
    warned: tuple[tuple[str, str], ...] = ()

    def status_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.received:
            counts[r.status] = counts.get(r.status, 0) + 1
        return counts


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
    """Find the files of inputs/<FY>/, pick the newest per municipality, archive each by content hash.

    ``archive_dir=None`` is a read-only look (reminders): nothing is archived, files are read in place.
    Returns new objects on every call.
    """
    v = settings.validation
    received = discover(
        inputs_dir,
        fiscal_year,
        plan,
        max_bytes=v.max_file_bytes,
        settle_seconds=v.settle_seconds,
        now=now,
        panel_file=settings.evaluation.coordinator_files,
    )
    synthetic_receipts.apply(received, inputs_dir / str(fiscal_year))  # the samples' receipt times (合成データ)
    choose_latest(received)
    if archive_dir is not None:
        remove_stale_temps(archive_dir / str(fiscal_year))
    for rec in received:
        if archive_dir is not None:
            archive(rec, archive_dir)
        elif not any(i.rule in ("symlink", "not_a_file") for i in rec.issues):
            rec.archived_path = rec.path
    return received


def _read_all(received: list[Received]) -> pd.DataFrame:
    parts = [read_columns(r) for r in received if r.status == "" and not r.has_errors]
    return rows_frame(parts)


def _decide(rec: Received) -> str:
    if rec.status in (Status.PENDING, Status.SUPERSEDED) or rec.status in NOT_SUBMISSIONS:
        return rec.status
    if rec.has_errors:
        return Status.REJECTED.value
    if any(i.severity == Severity.WARNING for i in rec.issues):
        return Status.ACCEPTED_WITH_WARNINGS.value
    return Status.ACCEPTED.value


def screen(
    received: list[Received] | tuple[Received, ...],
    plan: Plan,
    fiscal_year: int,
    settings: Settings,
    docs_dir: Path | None = None,
) -> Screening:
    """Read, validate (GX, one batch per suite for the whole year) and decide every file's status.

    ``docs_dir``: where Great Expectations writes its Data Docs (HTML) for this validation, if anywhere.
    """
    mine = [copy.deepcopy(r) for r in received]
    for r in mine:
        r.settings_evaluation = settings.evaluation
    for r in mine:  # a member of the plan that is not a member in this fiscal year: refused before reading
        code = r.municipality_code
        if code and plan.has_municipality(code) and not plan.is_member(code, fiscal_year):
            r.error(
                "not_member_in_year",
                plan.membership_problem(code, fiscal_year) or "",
                value=code,
                expected=f"{fiscal_year}年度の構成市町村の市町村コード",
            )
    raw = _read_all(mine)
    prepared = prepare_rows(raw, plan, fiscal_year, units_of(settings), settings.evaluation)
    params = suite_parameters(plan, fiscal_year, settings.validation, settings.evaluation)
    expectations = settings.root / "expectations"
    by_id = {r.file_id: r for r in mine}
    with data_docs(docs_dir):  # one set of Data Docs for the two suites
        findings, _ = validate(expectations, "submission_rows", prepared, params)
        read_ids = sorted(set(prepared["file_id"].astype(int)))
        files = pd.DataFrame(
            {
                "file_id": read_ids,
                "file": [by_id[i].name for i in read_ids],
                "municipality_code": [by_id[i].municipality_code for i in read_ids],
            }
        )
        cov = coverage(prepared, files, plan, fiscal_year)
        cov_findings, _ = validate(expectations, "submission_coverage", cov, params)
    issues = findings_to_issues(findings, prepared, expectations, fiscal_year, params)
    for fid, lst in findings_to_issues(cov_findings, cov, expectations, fiscal_year, params).items():
        issues.setdefault(fid, []).extend(lst)
    for fid, lst in issues.items():
        by_id[fid].issues.extend(lst)
    for r in mine:
        r.status = _decide(r)
    ok = {r.file_id for r in mine if r.status in ACCEPTED_STATUSES}
    accepted = prepared[prepared["file_id"].isin(ok)][ACCEPTED_ROW_COLUMNS].copy()
    accepted["status"] = accepted["status"].where(accepted["status"] != "", None)
    warned = tuple(sorted({(f.row_key, f.rule) for f in findings if f.severity == "warning"}))
    return Screening(fiscal_year, tuple(mine), prepared, accepted.reset_index(drop=True), warned)


def issues_text(rec: Received, severity: Severity) -> str:
    """A file's issues of one severity on one line, each with its place (for submissions.csv)."""
    chosen = [i for i in rec.issues if i.severity == severity]
    return " / ".join(located_message(i) for i in sorted(chosen, key=lambda i: (i.row or 0, i.column or "", i.rule)))


def timeliness(mtime: float | None, deadline: date | None) -> str:
    """on_time / late by the file's modification time against the deadline (end of that day, Japan time)."""
    if mtime is None or deadline is None:
        return ""
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    end = datetime.combine(deadline + timedelta(days=1), time(0), ZoneInfo("Asia/Tokyo")).timestamp()
    return "on_time" if mtime < end else "late"


def submissions_table(
    plan: Plan, received: tuple[Received, ...] | list[Received], fiscal_year: int, deadline: date | None = None
) -> pd.DataFrame:
    """One row per file received and per member of the fiscal year that sent none (docs/interface.md §5); the
    coordinator's panel_opinions file is not a submission and is not listed (it is archived and printed)."""
    order = {m.code: k for k, m in enumerate(plan.municipalities)}
    received = [r for r in received if r.status != Status.PANEL_OPINIONS]
    recs = sorted(received, key=lambda r: (order.get(r.municipality_code or "", len(order)), r.name))
    sent = {r.municipality_code for r in received if r.status not in NOT_SUBMISSIONS}
    due = deadline.isoformat() if deadline else ""
    rows = []
    for r in recs:
        code = r.municipality_code or ""
        rows.append(
            {
                "municipality_code": code,
                "municipality_name": plan.municipality(code).name if plan.has_municipality(code) else "",
                "file": r.name,
                "sha256": r.sha256 or "",
                "status": str(r.status),
                "errors": issues_text(r, Severity.ERROR),
                "warnings": issues_text(r, Severity.WARNING),
                "error_count": sum(1 for i in r.issues if i.severity == Severity.ERROR),
                "warning_count": sum(1 for i in r.issues if i.severity == Severity.WARNING),
                "received_at": jst(r.mtime) if r.mtime else "",
                "timeliness": timeliness(r.mtime, deadline),
                "deadline": due,
                "size_bytes": r.size if r.size is not None else "",
                "encoding": r.encoding or "",
                "archived_as": r.archived_as or "",
            }
        )
    for m in plan.members(fiscal_year):
        if m.code not in sent:
            rows.append(
                {
                    "municipality_code": m.code,
                    "municipality_name": m.name,
                    "file": "",
                    "sha256": "",
                    "status": Status.MISSING.value,
                    "errors": "",
                    "warnings": "",
                    "error_count": 0,
                    "warning_count": 0,
                    "received_at": "",
                    "timeliness": "missing",
                    "deadline": due,
                    "size_bytes": "",
                    "encoding": "",
                    "archived_as": "",
                }
            )
    df = pd.DataFrame(rows)
    df["_o"] = df["municipality_code"].map(lambda c: order.get(c, len(order)))
    return df.sort_values(["_o", "file"], kind="stable").drop(columns="_o").reset_index(drop=True)

"""One orchestration of a fiscal year: intake → screening → compute → outputs, composed in one place.

:func:`run_year` is the whole year. It calls each step through a :class:`Steps`: the Prefect flow
(flows/yearly_report.py) passes the same functions wrapped as tasks (names, retries), everything else (tests, tools)
passes :data:`PLAIN`. So the composition exists once, and the flow file is wiring only.

Every table is computed once per run, here: the submissions table, the year's results, the histories and the plan
period's summary; the output step writes what it is given.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import pandas as pd

from vision_report.compute.statuses import MEMBER_SPEND, MEMBER_STATUS, member_spend_table, member_status_table
from vision_report.compute.tables import compute_year
from vision_report.compute.year import YearTables, year_tables
from vision_report.core import audit, timing
from vision_report.core.config import Settings
from vision_report.core.textfmt import jst
from vision_report.core.vocabulary import (
    NOT_SUBMISSIONS,
    Severity,
    Status,
    status_counts_text,
    status_label,
    text_message,
)
from vision_report.intake.files import Received
from vision_report.intake.panel_opinions import panel_of
from vision_report.outputs import year as year_outputs
from vision_report.outputs.reports.parallel import warm_pool
from vision_report.outputs.writers import write_csv
from vision_report.plan import Plan, continuity, load_plan
from vision_report.screening import confirmations, screen
from vision_report.screening.confirmations import Holds
from vision_report.screening.screen import Screening, submissions_table

NO_SUBMISSIONS_WARNING = (
    "{fy}年度の提出ファイルが1件もありません（{inputs}）。報告書の数値はすべて「{missing}」として作成しました。"
    "提出期限と提出先フォルダを確かめてください。"
)


# ----------------------------------------------------------------------------------------------------- the steps


def collect_submissions(
    settings: Settings, plan: Plan, fiscal_year: int, inputs: Path, archive: Path
) -> list[Received]:
    """Intake: find and archive what arrived; each receipt is audited once (a retry records nothing twice)."""
    received = screen.collect(settings, plan, fiscal_year, inputs, archive)
    audit.record_once(
        archive,
        [
            (
                "file_received",
                {"fiscal_year": fiscal_year, "file": r.name, "sha256": r.sha256},
                {"size": r.size, "modified": jst(r.mtime) if r.mtime else None},
            )
            for r in received
            if r.sha256
        ],
    )
    print(f"{fiscal_year}年度: {len(received)} ファイルを受付・保管しました（{archive}）")
    return received


def screen_submissions(
    received: list[Received], plan: Plan, fiscal_year: int, settings: Settings, docs_dir: Path | None = None
) -> Screening:
    """Screening: the Great Expectations suites over every file of the year; each file accepted or refused whole."""
    year = screen.screen(received, plan, fiscal_year, settings, docs_dir)
    print(f"{fiscal_year}年度: 検証結果 {status_counts_text(year.status_counts()) or 'ファイルなし'}")
    return year


def record_decisions(archive: Path, year: Screening, run_id: str) -> None:
    audit.record_once(
        archive,
        [
            (
                "file_checked",
                {"fiscal_year": year.fiscal_year, "run_id": run_id, "file": r.name, "sha256": r.sha256},
                {
                    "status": r.status,
                    "errors": sum(1 for i in r.issues if i.severity == Severity.ERROR),
                    "warnings": sum(1 for i in r.issues if i.severity == Severity.WARNING),
                },
            )
            for r in year.received
        ],
    )


def hold_probable_errors(
    settings: Settings, plan: Plan, year: Screening, archive: Path, folder: Path | None = None
) -> Holds:
    """Values flagged as probable errors (config validation.hold_rules) are held out of the totals (要確認) unless
    confirmations/<FY>.csv confirms them. The confirmations file is archived by content hash, and each held and
    each confirmed value is audited once (docs/interface.md §3)."""
    fy = year.fiscal_year
    path = settings.confirmations_file(fy, folder)
    conf = confirmations.read_confirmations(path, fy)
    events: list[tuple[str, dict, dict]] = []
    if conf.sha256:
        from vision_report.core.atomic import create_once

        dest = archive / str(fy) / "confirmations" / f"{conf.sha256}.csv"
        dest.parent.mkdir(parents=True, exist_ok=True)
        create_once(dest, conf.data)  # the very bytes that were read
        events.append(("confirmations_received", {"fiscal_year": fy, "sha256": conf.sha256}, {"file": str(path)}))
    held = confirmations.held_values(year, plan, settings.validation.hold_rules)
    held, problems = confirmations.apply_confirmations(held, conf, plan)
    for h in held.to_dict("records"):
        key = {
            "fiscal_year": fy,
            "municipality_code": h["municipality_code"],
            "kind": h["kind"],
            "item_id": h["item_id"],
            "value": h["value"],
        }
        events.append(("value_held", key, {"rules": h["rules"], "file": h["file"]}))
        if h["confirmed"]:
            events.append(
                (
                    "value_confirmed",
                    key | {"confirmed_by": h["confirmed_by"], "confirmed_on": h["confirmed_on"]},
                    {"reason": h["reason"], "confirmations_sha256": conf.sha256},
                )
            )
    audit.record_once(archive, events)
    try:
        shown = path.relative_to(settings.root).as_posix()
    except ValueError:
        shown = str(path)
    holds = Holds(fy, held, tuple(problems), shown)
    if len(held):
        print(
            f"{fy}年度: 要確認の値 {len(holds.waiting)} 件を集計から外しました"
            f"（確認済みとして集計に含めた値 {len(holds.confirmed)} 件。確認は {shown} に記入）"
        )
    for p in problems:
        print(f"{fy}年度: {p}")
    return holds


def compute_results(plan: Plan, fiscal_year: int, rows: pd.DataFrame, settings: Settings) -> dict[str, pd.DataFrame]:
    """Compute: every table of one fiscal year from its accepted rows (held values left out)."""
    return compute_year(plan, fiscal_year, rows, settings)


def write_outputs(
    settings: Settings, plan: Plan, fiscal_year: int, stage: Path, year: Screening, tables: YearTables, holds: Holds
) -> list[Path]:
    """Outputs: CSVs, feedback and reports of the year into its staging folder."""
    return year_outputs.write_year_outputs(settings, plan, fiscal_year, stage, year, tables, holds)


def write_after_lock_list(path: Path, subs: pd.DataFrame) -> Path:
    year_outputs.recover_outputs(path.parent.parent)  # a set half swapped in by a killed run is made whole first
    return write_csv(path, subs)


def publish_outputs(stage: Path, out_dir: Path, fiscal_year: int, run_id: str, received: list[Received]) -> dict:
    inputs = [{"file": r.name, "sha256": r.sha256, "status": r.status} for r in received]
    return year_outputs.publish(stage, out_dir, fiscal_year=fiscal_year, run_id=run_id, inputs=inputs)


@dataclass(frozen=True)
class Steps:
    """How :func:`run_year` calls each step: plain functions, or the flow's Prefect tasks wrapping the same ones."""

    collect: Callable[..., list[Received]] = collect_submissions
    screen: Callable[..., Screening] = screen_submissions
    hold: Callable[..., Holds] = hold_probable_errors
    compute: Callable[..., dict[str, pd.DataFrame]] = compute_results
    record_decisions: Callable[..., None] = record_decisions
    begin_staging: Callable[..., Path] = year_outputs.begin_staging
    write: Callable[..., list[Path]] = write_outputs
    publish: Callable[..., dict] = publish_outputs
    write_after_lock_list: Callable[..., Path] = write_after_lock_list

    def timed(self) -> Steps:
        """The same steps, each timed as a phase of its own name (core.timing: only when a profile is asked for)."""
        return Steps(**{f.name: _timed(f.name, getattr(self, f.name)) for f in fields(self)})


def _timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        with timing.phase(name):
            return fn(*args, **kwargs)

    return call


PLAIN = Steps()


# ------------------------------------------------------------------------------------------------------ the year


@dataclass
class YearRun:
    """What a run did: the summary the command line prints, and the tables the flow's artifacts show."""

    summary: dict[str, Any]
    subs: pd.DataFrame
    kpi: pd.DataFrame | None = None
    warning: str | None = None
    notes: tuple[str, ...] = ()  # what the run says about the files it read (the panel file's removed characters …)


def run_year(
    settings: Settings,
    fiscal_year: int,
    plan: Plan,
    inputs: Path,
    out_dir: Path,
    archive: Path,
    run_id: str,
    confirmations_dir: Path | None = None,
    steps: Steps = PLAIN,
) -> YearRun:
    """The whole year, under the caller's run lock: a locked (published) year only archives and lists what arrived;
    otherwise every year of the plan up to ``fiscal_year`` is received, screened and computed (the earlier ones for
    the histories), and the year's outputs are written to a staging folder and swapped in as one set."""
    started = time.monotonic()
    steps = steps.timed()
    lock = audit.year_lock(archive, fiscal_year)
    if lock is not None:
        return run_locked_year(settings, plan, fiscal_year, inputs, archive, out_dir, lock, started, steps)
    stage = steps.begin_staging(out_dir, run_id)
    try:
        # the report workers start now: they import the report code while this process reads and checks the files
        with warm_pool(len(plan.members(fiscal_year))):
            return _staged_year(
                settings, fiscal_year, plan, inputs, out_dir, archive, run_id, confirmations_dir, steps, stage, started
            )
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)  # a failed run leaves no staging folder (issue 23)
        raise


def period_remarks_notice(
    settings: Settings, plan: Plan, fiscal_year: int, inputs: Path, received: Sequence[Received]
) -> str | None:
    """In the plan's final year without the office's 総括所見 file: a line for the run's console saying that the
    report leaves the 総括所見 section out and where the file can be added (templates/labels.yaml texts.remarks_missing);
    None in other years or when the file is there."""
    name = settings.evaluation.period_remarks_file
    if not name or fiscal_year < plan.meta.last_fiscal_year:
        return None
    remarks = panel_of(settings, received, name)
    if remarks.recorded or remarks.unreadable:
        return None
    return text_message("remarks_missing", fy=fiscal_year, path=inputs / str(fiscal_year) / name)


def previous_plan_years(
    settings: Settings,
    plan: Plan,
    fiscal_year: int,
    inputs: Path,
    archive: Path,
    confirmations_dir: Path | None,
    steps: Steps = PLAIN,
) -> dict[int, dict[str, pd.DataFrame]]:
    """The years of the previous plan(s), computed with their own plan and re-keyed to ``plan`` through the
    predecessors it names (plan/continuity.py), so that histories and trend charts run across the boundary."""
    out: dict[int, dict[str, pd.DataFrame]] = {}
    empty = pd.DataFrame(columns=screen.ACCEPTED_ROW_COLUMNS)
    for fy, plan_dir in continuity.previous_plan_years(settings, plan, fiscal_year, inputs):
        old = load_plan(plan_dir)
        year = steps.screen(steps.collect(settings, old, fy, inputs, archive), old, fy, settings, None)
        year_holds = steps.hold(settings, old, year, archive, confirmations_dir)
        year = replace(year, accepted_rows=confirmations.mark_held(year.accepted_rows, year_holds.held))
        old_results = steps.compute(old, fy, year.accepted_rows, settings)
        out[fy] = continuity.rekey_results(plan, old, old_results, steps.compute(plan, fy, empty, settings))
    return out


def _staged_year(
    settings: Settings,
    fiscal_year: int,
    plan: Plan,
    inputs: Path,
    out_dir: Path,
    archive: Path,
    run_id: str,
    confirmations_dir: Path | None,
    steps: Steps,
    stage: Path,
    started: float,
) -> YearRun:
    per_year: dict[int, dict[str, pd.DataFrame]] = {}
    this_year: Screening | None = None
    holds: Holds | None = None
    per_year.update(previous_plan_years(settings, plan, fiscal_year, inputs, archive, confirmations_dir, steps))
    for fy in range(plan.meta.first_fiscal_year, fiscal_year + 1):
        if fy != fiscal_year and not (inputs / str(fy)).is_dir():
            # no folder, no submissions: the year keeps its place in every history as 提出なし (issue 18 item 6)
            per_year[fy] = steps.compute(plan, fy, pd.DataFrame(columns=screen.ACCEPTED_ROW_COLUMNS), settings)
            continue
        received = steps.collect(settings, plan, fy, inputs, archive)
        docs = stage / "data_docs" if fy == fiscal_year else None
        year = steps.screen(received, plan, fy, settings, docs)
        year_holds = steps.hold(settings, plan, year, archive, confirmations_dir)
        year = replace(year, accepted_rows=confirmations.mark_held(year.accepted_rows, year_holds.held))
        per_year[fy] = steps.compute(plan, fy, year.accepted_rows, settings)
        # each member's standing that year: why a provisional value lacks it (sent back, or none arrived; review 3 #13)
        per_year[fy][MEMBER_STATUS] = member_status_table(plan, submissions_table(plan, year.received, fy), fy)
        per_year[fy][MEMBER_SPEND] = member_spend_table(year.accepted_rows)  # a member's own total (review 4 #11)
        if fy == fiscal_year:
            steps.record_decisions(archive, year, run_id)
            this_year, holds = year, year_holds
    assert this_year is not None and holds is not None
    # what the run says about the coordinator's files: the panel's opinions and the 総括所見 (issue 23)
    coordinator = [panel_of(settings, this_year.received, name) for name in settings.evaluation.coordinator_files]
    notes = tuple(n for f in coordinator for n in (*f.notes, f.near_miss_message()) if n)
    for note in notes:
        print(f"警告: {note}")
    remarks_notice = period_remarks_notice(settings, plan, fiscal_year, inputs, this_year.received)
    if remarks_notice:
        print(remarks_notice)
    subs = submissions_table(plan, this_year.received, fiscal_year, settings.deadlines.for_year(fiscal_year))
    in_force = plan.as_of(fiscal_year)  # the KPI targets of the year: a later amendment's revision changes none
    with timing.phase("year_tables"):
        tables = year_tables(settings, in_force, fiscal_year, per_year, subs, this_year.accepted_rows)
    no_submissions = all(r.status in NOT_SUBMISSIONS for r in this_year.received)
    warning = (
        NO_SUBMISSIONS_WARNING.format(
            fy=fiscal_year, inputs=inputs / str(fiscal_year), missing=status_label(Status.MISSING)
        )
        if no_submissions
        else None
    )
    written = steps.write(settings, in_force, fiscal_year, stage, this_year, tables, holds)
    steps.publish(stage, out_dir, fiscal_year, run_id, this_year.received)
    summary = {
        "fiscal_year": fiscal_year,
        "outputs": str(out_dir),
        "files": len(written),
        "statuses": subs["status"].value_counts().to_dict(),
        "seconds": round(time.monotonic() - started, 1),
        "no_submissions": no_submissions,
        "warning": warning,
    }
    print(f"{fiscal_year}年度の処理が完了しました: {out_dir}（{len(written)} ファイル）")
    return YearRun(summary, subs, tables.results["kpi_attainment"], warning, notes)


def run_locked_year(
    settings: Settings,
    plan: Plan,
    fiscal_year: int,
    inputs: Path,
    archive: Path,
    out_dir: Path,
    lock: dict,
    started: float,
    steps: Steps = PLAIN,
) -> YearRun:
    """A published year: archive and list what arrived, change none of the published outputs."""
    received = steps.collect(settings, plan, fiscal_year, inputs, archive)
    year = steps.screen(received, plan, fiscal_year, settings)
    subs = submissions_table(plan, year.received, fiscal_year, settings.deadlines.for_year(fiscal_year))
    after = {r.name: bool(r.mtime and r.mtime >= lock["locked_epoch"]) for r in year.received}
    subs["after_lock"] = [after.get(f, False) for f in subs["file"]]
    path = steps.write_after_lock_list(out_dir / "after_lock" / "submissions.csv", subs)
    late = subs[subs["after_lock"]]
    print(
        f"{fiscal_year}年度は {lock['locked_at']} に確定（ロック）されています。公表済みの出力は変更しません。"
        f"ロック後に届いたファイル: {len(late)} 件（{path}）"
    )
    summary = {
        "fiscal_year": fiscal_year,
        "outputs": str(out_dir / "after_lock"),
        "files": 1,
        "locked": True,
        "statuses": subs["status"].value_counts().to_dict(),
        "seconds": round(time.monotonic() - started, 1),
    }
    return YearRun(summary, subs)

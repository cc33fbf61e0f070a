"""The yearly Prefect flow: collect submissions, screen them (Great Expectations), compute, write outputs.

Run it with `vision-report run --fiscal-year 2024` (or `python -m flows.yearly_report 2024`). The flow is wiring
only: every file it writes and every audit record it makes happens inside a task, and no task changes the
objects it is given, so a retried task gives the same result and the same audit trail.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NONE
from prefect.runtime import flow_run

from vision_report.compute.tables import compute_year
from vision_report.core.config import Settings, load_settings
from vision_report.core.textfmt import fmt_pct, jst
from vision_report.core.vocabulary import NOT_SUBMISSIONS, Severity, Status, status_counts_text, status_label
from vision_report.intake.files import Received
from vision_report.operations import audit
from vision_report.outputs import year as year_outputs
from vision_report.outputs.writers import write_csv
from vision_report.outputs.year import write_year_outputs
from vision_report.plan import Plan, load_plan
from vision_report.screening import confirmations
from vision_report.screening import screen as screening
from vision_report.screening.confirmations import Holds
from vision_report.screening.screen import Screening, submissions_table


def _run_id() -> str:
    return str(flow_run.id or "local")


class _QuietCompletions(logging.Filter):
    """Drop the per-task "Finished in state Completed()" lines unless Prefect logs at DEBUG level."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or logging.getLogger("prefect").getEffectiveLevel() <= logging.DEBUG:
            return True
        return not str(record.msg).startswith("Finished in state Completed")


def quiet_task_completions() -> None:
    """Quiet the per-task completion lines and Great Expectations' INFO chatter at the default log level."""
    if logging.getLogger("prefect").getEffectiveLevel() > logging.DEBUG:
        logging.getLogger("great_expectations").setLevel(logging.WARNING)
    logger = logging.getLogger("prefect.task_runs")
    if not any(isinstance(f, _QuietCompletions) for f in logger.filters):
        logger.addFilter(_QuietCompletions())


quiet_task_completions()

NO_SUBMISSIONS_WARNING = (
    "{fy}年度の提出ファイルが1件もありません（{inputs}）。報告書の数値はすべて「{missing}」として作成しました。"
    "提出期限と提出先フォルダを確かめてください。"
)


@task(name="record_run_event", retries=2, retry_delay_seconds=1, cache_policy=NONE)
def record_run_event(archive: Path, event: str, fiscal_year: int, run_id: str, **details) -> None:
    audit.record_once(archive, [(event, {"fiscal_year": fiscal_year, "run_id": run_id}, details)])


@task(name="close_interrupted_runs", retries=2, retry_delay_seconds=1, cache_policy=NONE)
def close_interrupted_runs(archive: Path, fiscal_year: int, run_id: str) -> list[dict]:
    """Runs of this year that started and never ended were killed (we hold the run lock, so none is running):
    record ``run_interrupted`` once per run and mark the flow run Crashed in Prefect.

    Returns one {"run_id", "started", "crashed"} per interrupted run ("crashed": its Prefect state was changed)."""
    found = []
    for e in audit.unfinished_runs(archive, fiscal_year, exclude=run_id):
        audit.record_once(
            archive,
            [("run_interrupted", {"fiscal_year": fiscal_year, "run_id": e["run_id"]}, {"started": e.get("time")})],
        )
        crashed = _mark_crashed(e["run_id"])
        found.append({"run_id": e["run_id"], "started": e.get("time"), "crashed": crashed})
        print(
            f"前回の{fiscal_year}年度の集計（{e.get('time')} 開始、実行ID {e['run_id']}）は途中で強制終了されていました。"
            f"監査ログに「中断」として記録しました{'（Prefect でも Crashed にしました）' if crashed else ''}。"
        )
    return found


def _mark_crashed(run_id: str) -> bool:
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.states import Crashed

    try:
        uid = UUID(run_id)
    except ValueError:
        return False
    try:
        with get_client(sync_client=True) as client:
            run = client.read_flow_run(uid)
            if run.state is not None and run.state.is_final():
                return False
            client.set_flow_run_state(
                uid, Crashed(message="プロセスが強制終了され、集計が中断されました（次の実行で検出）"), force=True
            )
            return True
    except Exception:  # noqa: BLE001 - recorded on another Prefect server, or already gone
        return False


@task(name="begin_staging", retries=2, retry_delay_seconds=1, cache_policy=NONE)
def begin_staging(out_dir: Path, run_id: str) -> Path:
    return year_outputs.begin_staging(out_dir, run_id)


@task(name="publish_outputs", retries=2, retry_delay_seconds=2, cache_policy=NONE)
def publish_outputs(stage: Path, out_dir: Path, fiscal_year: int, run_id: str, received: Sequence[Received]) -> dict:
    inputs = [{"file": r.name, "sha256": r.sha256, "status": r.status} for r in received]
    return year_outputs.publish(stage, out_dir, fiscal_year=fiscal_year, run_id=run_id, inputs=inputs)


@task(name="load_plan", cache_policy=NONE)
def load_plan_task(settings: Settings, fiscal_year: int) -> Plan:
    """The plan configured for the fiscal year (config plans:), refused in Japanese if none covers it."""
    return load_plan(settings.plan_dir_for(fiscal_year))


@task(name="collect_submissions", retries=2, retry_delay_seconds=2, cache_policy=NONE)
def collect_submissions(
    settings: Settings, plan: Plan, fiscal_year: int, inputs: Path, archive: Path
) -> list[Received]:
    """Find and archive what arrived; each receipt is audited once (a retry records nothing twice)."""
    received = screening.collect(settings, plan, fiscal_year, inputs, archive)
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


@task(name="screen_submissions", retries=2, retry_delay_seconds=2, cache_policy=NONE)
def screen_submissions(
    received: list[Received], plan: Plan, fiscal_year: int, settings: Settings, docs_dir: Path | None = None
) -> Screening:
    year = screening.screen(received, plan, fiscal_year, settings, docs_dir)
    print(f"{fiscal_year}年度: 検証結果 {status_counts_text(year.status_counts()) or 'ファイルなし'}")
    return year


@task(name="record_decisions", retries=2, retry_delay_seconds=1, cache_policy=NONE)
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


@task(name="hold_probable_errors", retries=2, retry_delay_seconds=1, cache_policy=NONE)
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
    held, problems = confirmations.apply_confirmations(held, conf)
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


@task(name="compute_results", cache_policy=NONE)
def compute_results(plan: Plan, fiscal_year: int, rows: pd.DataFrame, settings: Settings) -> dict[str, pd.DataFrame]:
    return compute_year(plan, fiscal_year, rows, settings)


@task(name="write_outputs", retries=2, retry_delay_seconds=2, cache_policy=NONE)
def write_outputs(
    settings: Settings,
    plan: Plan,
    fiscal_year: int,
    out_dir: Path,
    year: Screening,
    results: dict[str, pd.DataFrame],
    history: dict[int, dict[str, pd.DataFrame]],
    holds: Holds | None = None,
) -> list[Path]:
    return write_year_outputs(settings, plan, fiscal_year, out_dir, year, results, history, holds)


@task(name="write_after_lock_list", retries=2, retry_delay_seconds=2, cache_policy=NONE)
def write_after_lock_list(path: Path, subs: pd.DataFrame) -> Path:
    year_outputs.recover_outputs(path.parent.parent)  # a set half swapped in by a killed run is made whole first
    return write_csv(path, subs)


def _first_reasons(r, n: int = 2) -> str:
    text = r.errors if r.errors else r.warnings
    parts = [p for p in str(text).split(" / ") if p]
    return " / ".join(parts[:n]) + (f" …ほか {len(parts) - n} 件" if len(parts) > n else "")


@task(name="publish_artifacts", cache_policy=NONE)
def publish_artifacts(
    plan: Plan, fiscal_year: int, subs: pd.DataFrame, kpi: pd.DataFrame, warning: str | None = None
) -> None:
    if warning:
        create_markdown_artifact(
            key=f"warning-fy{fiscal_year}",
            markdown=f"# ⚠ {fiscal_year}年度: 提出なし\n\n{warning}",
            description=f"{fiscal_year}年度 警告",
        )
    create_table_artifact(
        key=f"submissions-fy{fiscal_year}",
        table=[
            {
                "市町村": f"{r.municipality_name}（{r.municipality_code}）",
                "ファイル": r.file,
                "状態": status_label(r.status),
                "エラー": r.error_count,
                "警告": r.warning_count,
                "主な理由": _first_reasons(r),
            }
            for r in subs.itertuples()
        ],
        description=f"{plan.meta.title} {fiscal_year}年度 提出状況",
    )
    lines = [
        f"# {plan.meta.title} {fiscal_year}年度 KPIの状況",
        "",
        "| KPI | 実績値 | 達成率 | 進捗率 | 評価 |",
        "|---|---:|---:|---:|:-:|",
    ]
    for r in kpi.itertuples():
        actual = "—" if pd.isna(r.actual) else f"{r.actual:,.0f} {r.unit}"
        lines.append(
            f"| {r.kpi_name} | {actual} | {fmt_pct(r.attainment_pct)} | {fmt_pct(r.progress_pct)} | {r.rating} |"
        )
    create_markdown_artifact(
        key=f"kpi-fy{fiscal_year}", markdown="\n".join(lines), description=f"{fiscal_year}年度 KPI達成率"
    )


@flow(name="vision-report-yearly", flow_run_name="fy{fiscal_year}", log_prints=True)
def yearly_report(
    fiscal_year: int,
    inputs: Path | None = None,
    outputs: Path | None = None,
    root: Path | None = None,
    archive: Path | None = None,
    wait_seconds: float = 0.0,
    confirmations: Path | None = None,
) -> dict:
    """One fiscal year: every submission received is archived, validated, and reported.

    One run per fiscal year at a time; a year locked after publication only archives and lists new files.
    """
    settings = load_settings(root)
    archive = Path(archive) if archive else settings.archive
    run_id = _run_id()
    with audit.run_lock(archive, fiscal_year, wait_seconds):
        interrupted = close_interrupted_runs(archive, fiscal_year, run_id)
        record_run_event(archive, "run_started", fiscal_year, run_id)
        try:
            summary = _run_year(settings, fiscal_year, inputs, outputs, archive, run_id, confirmations)
        except BaseException as exc:
            record_run_event(archive, "run_failed", fiscal_year, run_id, error=f"{type(exc).__name__}: {exc}")
            raise
        record_run_event(
            archive,
            "run_finished",
            fiscal_year,
            run_id,
            statuses=summary["statuses"],
            locked=summary.get("locked", False),
            no_submissions=summary.get("no_submissions", False),
        )
        summary["interrupted"] = interrupted
        return summary


def _run_year(
    settings: Settings,
    fiscal_year: int,
    inputs: Path | None,
    outputs: Path | None,
    archive: Path,
    run_id: str,
    confirmations_dir: Path | None = None,
) -> dict:
    started = time.monotonic()
    inputs = Path(inputs) if inputs else settings.inputs
    out_dir = (Path(outputs) if outputs else settings.outputs) / str(fiscal_year)
    plan = load_plan_task(settings, fiscal_year)
    problem = plan.meta.fiscal_year_problem(fiscal_year)
    if problem:  # a deployment run is not checked by the command line
        raise ValueError(problem)

    lock = audit.year_lock(archive, fiscal_year)
    if lock is not None:
        return locked_year(settings, plan, fiscal_year, inputs, archive, out_dir, lock, started)
    stage = begin_staging(out_dir, run_id)
    per_year: dict[int, dict[str, pd.DataFrame]] = {}
    this_year: Screening | None = None
    holds: Holds | None = None
    for fy in range(plan.meta.first_fiscal_year, fiscal_year + 1):
        if fy != fiscal_year and not (inputs / str(fy)).is_dir():
            continue
        received = collect_submissions(settings, plan, fy, inputs, archive)
        docs = stage / "data_docs" if fy == fiscal_year else None
        year = screen_submissions(received, plan, fy, settings, docs)
        year_holds = hold_probable_errors(settings, plan, year, archive, confirmations_dir)
        year = replace(year, accepted_rows=confirmations.mark_held(year.accepted_rows, year_holds.held))
        per_year[fy] = compute_results(plan, fy, year.accepted_rows, settings)
        if fy == fiscal_year:
            record_decisions(archive, year, run_id)
            this_year, holds = year, year_holds
    assert this_year is not None
    results = per_year[fiscal_year]
    no_submissions = all(r.status in NOT_SUBMISSIONS for r in this_year.received)
    warning = (
        NO_SUBMISSIONS_WARNING.format(
            fy=fiscal_year, inputs=inputs / str(fiscal_year), missing=status_label(Status.MISSING)
        )
        if no_submissions
        else None
    )
    if warning:
        get_run_logger().warning(warning)
    written = write_outputs(settings, plan, fiscal_year, stage, this_year, results, per_year, holds)
    publish_outputs(stage, out_dir, fiscal_year, run_id, this_year.received)
    subs = submissions_table(plan, this_year.received, fiscal_year, settings.deadlines.for_year(fiscal_year))
    publish_artifacts(plan, fiscal_year, subs, results["kpi_attainment"], warning)
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
    return summary


def locked_year(
    settings: Settings,
    plan: Plan,
    fiscal_year: int,
    inputs: Path,
    archive: Path,
    out_dir: Path,
    lock: dict,
    started: float,
) -> dict:
    """A published year: archive and list what arrived, change none of the published outputs."""
    received = collect_submissions(settings, plan, fiscal_year, inputs, archive)
    year = screen_submissions(received, plan, fiscal_year, settings)
    subs = submissions_table(plan, year.received, fiscal_year, settings.deadlines.for_year(fiscal_year))
    after = {r.name: bool(r.mtime and r.mtime >= lock["locked_epoch"]) for r in year.received}
    subs["after_lock"] = [after.get(f, False) for f in subs["file"]]
    path = write_after_lock_list(out_dir / "after_lock" / "submissions.csv", subs)
    late = subs[subs["after_lock"]]
    print(
        f"{fiscal_year}年度は {lock['locked_at']} に確定（ロック）されています。公表済みの出力は変更しません。"
        f"ロック後に届いたファイル: {len(late)} 件（{path}）"
    )
    return {
        "fiscal_year": fiscal_year,
        "outputs": str(out_dir / "after_lock"),
        "files": 1,
        "locked": True,
        "statuses": subs["status"].value_counts().to_dict(),
        "seconds": round(time.monotonic() - started, 1),
    }


def previous_fiscal_year(today, deadlines=None) -> int:
    """The latest fiscal year whose submission deadline (config ``deadlines``, Japan time) is before ``today``."""
    from vision_report.core.config import Deadlines

    deadlines = deadlines or Deadlines()
    fy = today.year - 1
    while deadlines.for_year(fy) >= today:
        fy -= 1
    return fy


@flow(name="vision-report-previous-year", log_prints=True)
def previous_year_report(root: Path | None = None) -> dict:
    """For the yearly schedule (prefect.yaml, July 1 in Japan time): the latest year whose deadline has passed."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    settings = load_settings(root)
    fy = previous_fiscal_year(datetime.now(ZoneInfo("Asia/Tokyo")).date(), settings.deadlines)
    print(f"定期実行: 提出期限（{settings.deadlines.for_year(fy):%Y年%m月%d日}）を過ぎた{fy}年度の集計を行います")
    return yearly_report(fiscal_year=fy, root=root)


if __name__ == "__main__":
    yearly_report(int(sys.argv[1]) if len(sys.argv) > 1 else 2024)

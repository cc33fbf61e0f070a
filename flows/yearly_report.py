"""The yearly Prefect flow: collect submissions, screen them (Great Expectations), compute, write outputs.

Run it with `vision-report run --fiscal-year 2024` (or `python -m flows.yearly_report 2024`). The flow is wiring
only: every file it writes and every audit record it makes happens inside a task, and no task changes the
objects it is given, so a retried task gives the same result and the same audit trail.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Generic, ParamSpec, TypeVar

import pandas as pd
from prefect import Task, flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NONE
from prefect.runtime import flow_run
from prefect.utilities.annotations import opaque

from vision_report import pipeline
from vision_report.core import audit
from vision_report.core.config import Settings, load_settings
from vision_report.core.textfmt import fmt_num, fmt_pct, fmt_signed
from vision_report.core.vocabulary import status_label
from vision_report.outputs import year as year_outputs
from vision_report.plan import Plan, load_plan

P = ParamSpec("P")
R = TypeVar("R")


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


@task(name="load_plan", cache_policy=NONE)
def load_plan_task(settings: Settings, fiscal_year: int) -> Plan:
    """The plan configured for the fiscal year (config plans:), refused in Japanese if none covers it."""
    return load_plan(settings.plan_dir_for(fiscal_year))


# The steps of a year are vision_report.pipeline's functions; here they become tasks (names, retries on I/O).


class Opaque(Generic[P, R]):
    """A task called with each of its arguments wrapped in Prefect's ``opaque``: Prefect does not walk into them.
    Without it, Prefect visits every object inside the arguments twice per call, looking for futures and states:
    the steps' arguments (the plan, every received file with its issues, the accepted rows, the tables) took 104 of
    the 242 s of a run at 1,741 submissions under cProfile.

    The run's graph still links an argument that is another task's result to that task; an argument that only holds
    one (the screening copied with its held values marked, given to record_decisions and write_outputs) is not
    looked into, and its link is not drawn (write_outputs is still linked through hold_probable_errors' result).
    Prefect's own keywords (``wait_for``, ``return_state``) are passed as they are."""

    def __init__(self, task: Task[P, R]) -> None:
        self.task = task

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        call: Callable[..., R] = self.task
        return call(
            *(opaque(a) for a in args), **{k: v if k in _PREFECT_KEYWORDS else opaque(v) for k, v in kwargs.items()}
        )


_PREFECT_KEYWORDS = frozenset({"wait_for", "return_state"})


def io_task(name: str, fn: Callable[P, R]) -> Opaque[P, R]:
    """A step that reads or writes files: retried twice (a busy disk or a file still being copied)."""
    return Opaque(task(name=name, retries=2, retry_delay_seconds=2, cache_policy=NONE)(fn))


TASKS = pipeline.Steps(
    collect=io_task("collect_submissions", pipeline.collect_submissions),
    screen=io_task("screen_submissions", pipeline.screen_submissions),
    hold=io_task("hold_probable_errors", pipeline.hold_probable_errors),
    compute=Opaque(task(name="compute_results", cache_policy=NONE)(pipeline.compute_results)),
    record_decisions=io_task("record_decisions", pipeline.record_decisions),
    begin_staging=io_task("begin_staging", year_outputs.begin_staging),
    write=io_task("write_outputs", pipeline.write_outputs),
    publish=io_task("publish_outputs", pipeline.publish_outputs),
    write_after_lock_list=io_task("write_after_lock_list", pipeline.write_after_lock_list),
)


def _first_reasons(r, n: int = 2) -> str:
    text = r.errors if r.errors else r.warnings
    parts = [p for p in str(text).split(" / ") if p]
    return " / ".join(parts[:n]) + (f" …ほか {len(parts) - n} 件" if len(parts) > n else "")


@task(name="publish_artifacts", cache_policy=NONE)
def _publish_artifacts(
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
    create_markdown_artifact(
        key=f"kpi-fy{fiscal_year}",
        markdown=kpi_artifact_markdown(plan, fiscal_year, kpi),
        description=f"{fiscal_year}年度 KPI達成率",
    )


publish_artifacts = Opaque(_publish_artifacts)


def kpi_artifact_markdown(plan: Plan, fiscal_year: int, kpi: pd.DataFrame) -> str:
    """The KPI table of the run's Prefect artifact: every figure printed as the reports print it (textfmt, one
    rounding rule for every published number)."""
    lines = [
        f"# {plan.meta.title} {fiscal_year}年度 KPIの状況",
        "",
        "| KPI | 実績値 | 達成率 | 進捗率 | 評価 |",
        "|---|---:|---:|---:|:-:|",
    ]
    for r in kpi.itertuples():
        negative_allowed = plan.has_kpi(r.kpi_id) and plan.kpi(r.kpi_id).allow_negative
        value = fmt_signed(r.actual) if negative_allowed else fmt_num(r.actual)
        actual = "—" if pd.isna(r.actual) else f"{value} {r.unit}"
        lines.append(
            f"| {r.kpi_name} | {actual} | {fmt_pct(r.attainment_pct)} | {fmt_pct(r.progress_pct)} | {r.rating} |"
        )
    return "\n".join(lines)


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
    plan = load_plan_task(settings, fiscal_year)
    problem = plan.meta.fiscal_year_problem(fiscal_year)
    if problem:  # a deployment run is not checked by the command line
        raise ValueError(problem)
    run = pipeline.run_year(
        settings,
        fiscal_year,
        plan,
        Path(inputs) if inputs else settings.inputs,
        (Path(outputs) if outputs else settings.outputs) / str(fiscal_year),
        archive,
        run_id,
        confirmations_dir,
        steps=TASKS,
    )
    for note in run.notes:
        get_run_logger().warning(note)
    if run.warning:
        get_run_logger().warning(run.warning)
    if run.kpi is not None:
        publish_artifacts(plan, fiscal_year, run.subs, run.kpi, run.warning)
    return run.summary


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

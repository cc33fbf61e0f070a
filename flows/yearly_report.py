"""The yearly Prefect flow: collect submissions, validate (Great Expectations), compute, write outputs.

Run it with `vision-report run --fiscal-year 2024` (or `python -m flows.yearly_report 2024`).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd
from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NONE

from vision_report import audit, pipeline
from vision_report.config import Settings, load_settings
from vision_report.intake import Received
from vision_report.outputs import write_csv
from vision_report.plan import Plan, load_plan
from vision_report.publish import write_year_outputs
from vision_report.textfmt import fmt_pct, jst

STATUS_JA = {
    "accepted": "受理",
    "accepted_with_warnings": "受理（警告あり）",
    "rejected": "差戻し",
    "superseded": "差替え済み",
    "missing": "未提出",
    "pending": "保留（書込み中）",
}


@task(name="load_plan", cache_policy=NONE)
def load_plan_task(settings: Settings) -> Plan:
    return load_plan(settings.plan_dir)


@task(name="collect_submissions", retries=2, retry_delay_seconds=2, cache_policy=NONE)
def collect_submissions(
    settings: Settings, plan: Plan, fiscal_year: int, inputs: Path, archive: Path
) -> list[Received]:
    received = pipeline.collect(settings, plan, fiscal_year, inputs, archive)
    for r in received:
        if r.newly_archived:
            audit.record(
                archive,
                "file_received",
                fiscal_year=fiscal_year,
                file=r.name,
                sha256=r.sha256,
                size=r.size,
                modified=jst(r.mtime) if r.mtime else None,
            )
    print(f"{fiscal_year}年度: {len(received)} ファイルを受付・保管しました（{archive}）")
    return received


@task(name="read_submissions", retries=2, retry_delay_seconds=2, cache_policy=NONE)
def read_submissions(received: list[Received]) -> pd.DataFrame:
    return pipeline.read_all(received)


@task(name="validate_submissions", cache_policy=NONE)
def validate_submissions(
    received: list[Received],
    raw: pd.DataFrame,
    plan: Plan,
    fiscal_year: int,
    settings: Settings,
    docs_dir: Path | None = None,
) -> pd.DataFrame:
    prepared, _stats = pipeline.validate(
        received, raw, plan, fiscal_year, settings, settings.root / "expectations", docs_dir
    )
    counts = pd.Series([r.status for r in received]).value_counts().to_dict() if received else {}
    print(f"{fiscal_year}年度: 検証結果 " + "、".join(f"{STATUS_JA.get(k, k)} {v}" for k, v in sorted(counts.items())))
    return prepared


@task(name="compute_results", cache_policy=NONE)
def compute_results(plan: Plan, fiscal_year: int, rows: pd.DataFrame, settings: Settings) -> dict[str, pd.DataFrame]:
    return pipeline.compute_year(plan, fiscal_year, rows, settings)


@task(name="write_outputs", retries=2, retry_delay_seconds=2, cache_policy=NONE)
def write_outputs(
    settings: Settings,
    plan: Plan,
    fiscal_year: int,
    out_dir: Path,
    year: pipeline.YearData,
    results: dict[str, pd.DataFrame],
    history: dict[int, dict[str, pd.DataFrame]],
) -> list[Path]:
    return write_year_outputs(settings, plan, fiscal_year, out_dir, year, results, history)


@task(name="publish_artifacts", cache_policy=NONE)
def publish_artifacts(plan: Plan, fiscal_year: int, subs: pd.DataFrame, kpi: pd.DataFrame) -> None:
    create_table_artifact(
        key=f"submissions-fy{fiscal_year}",
        table=[
            {
                "市町村": f"{r.municipality_name}（{r.municipality_code}）",
                "ファイル": r.file,
                "状態": STATUS_JA.get(r.status, r.status),
                "エラー": r.error_count,
                "警告": r.warning_count,
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
) -> dict:
    """One fiscal year: every submission received is archived, validated, and reported.

    One run per fiscal year at a time; a year locked after publication only archives and lists new files.
    """
    settings = load_settings(root)
    archive = Path(archive) if archive else settings.archive
    with audit.run_lock(archive, fiscal_year, wait_seconds):
        audit.record(archive, "run_started", fiscal_year=fiscal_year)
        try:
            summary = _run_year(settings, fiscal_year, inputs, outputs, archive)
        except BaseException as exc:
            audit.record(archive, "run_failed", fiscal_year=fiscal_year, error=f"{type(exc).__name__}: {exc}")
            raise
        audit.record(
            archive,
            "run_finished",
            fiscal_year=fiscal_year,
            statuses=summary["statuses"],
            locked=summary.get("locked", False),
        )
        return summary


def _run_year(settings: Settings, fiscal_year: int, inputs: Path | None, outputs: Path | None, archive: Path) -> dict:
    started = time.monotonic()
    inputs = Path(inputs) if inputs else settings.inputs
    out_dir = (Path(outputs) if outputs else settings.outputs) / str(fiscal_year)
    plan = load_plan_task(settings)
    problem = plan.meta.fiscal_year_problem(fiscal_year)
    if problem:  # a deployment run is not checked by the command line
        raise ValueError(problem)

    lock = audit.year_lock(archive, fiscal_year)
    if lock is not None:
        return locked_year(settings, plan, fiscal_year, inputs, archive, out_dir, lock, started)
    per_year: dict[int, dict[str, pd.DataFrame]] = {}
    year_data: pipeline.YearData | None = None
    for fy in range(plan.meta.first_fiscal_year, fiscal_year + 1):
        if fy != fiscal_year and not (inputs / str(fy)).is_dir():
            continue
        received = collect_submissions(settings, plan, fy, inputs, archive)
        raw = read_submissions(received)
        docs = out_dir / "data_docs" if fy == fiscal_year else None
        prepared = validate_submissions(received, raw, plan, fy, settings, docs)
        rows = pipeline.accepted_rows(prepared, received)
        if fy == fiscal_year:
            for r in received:
                audit.record(
                    archive,
                    "file_checked",
                    fiscal_year=fy,
                    file=r.name,
                    sha256=r.sha256,
                    status=r.status,
                    errors=sum(1 for i in r.issues if i.severity == "error"),
                    warnings=sum(1 for i in r.issues if i.severity == "warning"),
                )
        per_year[fy] = compute_results(plan, fy, rows, settings)
        if fy == fiscal_year:
            year_data = pipeline.YearData(fy, received, prepared, rows)
    assert year_data is not None
    results = per_year[fiscal_year]
    written = write_outputs(settings, plan, fiscal_year, out_dir, year_data, results, per_year)
    subs = pipeline.submissions_table(plan, year_data.received, settings.deadlines.for_year(fiscal_year))
    publish_artifacts(plan, fiscal_year, subs, results["kpi_attainment"])
    summary = {
        "fiscal_year": fiscal_year,
        "outputs": str(out_dir),
        "files": len(written),
        "statuses": subs["status"].value_counts().to_dict(),
        "seconds": round(time.monotonic() - started, 1),
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
    raw = read_submissions(received)
    validate_submissions(received, raw, plan, fiscal_year, settings)
    subs = pipeline.submissions_table(plan, received, settings.deadlines.for_year(fiscal_year))
    after = {r.name: bool(r.mtime and r.mtime >= lock["locked_epoch"]) for r in received}
    subs["after_lock"] = [after.get(f, False) for f in subs["file"]]
    write_csv(out_dir / "after_lock" / "submissions.csv", subs)
    late = subs[subs["after_lock"]]
    print(
        f"{fiscal_year}年度は {lock['locked_at']} に確定（ロック）されています。公表済みの出力は変更しません。"
        f"ロック後に届いたファイル: {len(late)} 件（{out_dir / 'after_lock' / 'submissions.csv'}）"
    )
    return {
        "fiscal_year": fiscal_year,
        "outputs": str(out_dir / "after_lock"),
        "files": 1,
        "locked": True,
        "statuses": subs["status"].value_counts().to_dict(),
        "seconds": round(time.monotonic() - started, 1),
    }


def previous_fiscal_year(today) -> int:
    """The fiscal year whose books have just closed: after 出納整理期間 (May 31) of year Y it is Y-1."""
    return today.year - 1 if today.month >= 6 else today.year - 2


@flow(name="vision-report-previous-year", log_prints=True)
def previous_year_report(root: Path | None = None) -> dict:
    """For the yearly schedule (prefect.yaml): run the fiscal year that has just closed."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    fy = previous_fiscal_year(datetime.now(ZoneInfo("Asia/Tokyo")).date())
    print(f"定期実行: {fy}年度の集計を行います")
    return yearly_report(fiscal_year=fy, root=root)


if __name__ == "__main__":
    yearly_report(int(sys.argv[1]) if len(sys.argv) > 1 else 2024)

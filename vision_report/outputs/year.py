"""Write everything a run produces for one fiscal year, and make it visible as one set.

A run builds the whole set in a staging folder beside outputs/<FY> (``.<FY>.staging-<run>``), writes a manifest
(run id, input hashes, each output's sha256) into it, and swaps it in with one atomic rename (Linux renameat2
RENAME_EXCHANGE; elsewhere two renames that the next run completes or undoes). A kill at any moment leaves
outputs/<FY> holding wholly the previous set or wholly the new one. Files in outputs/<FY> that runs do not make
(after_lock/, templates/, feedback written by `watch`) are carried over into the new set.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from vision_report.compute.history import no_submission_years
from vision_report.compute.year import YearTables
from vision_report.core.atomic import remove_stale_temps, write_bytes
from vision_report.core.config import Settings
from vision_report.core.vocabulary import no_submissions_label
from vision_report.intake.panel_opinions import panel_of
from vision_report.outputs.feedback import feedbacks
from vision_report.outputs.reports import ReportData, write_reports
from vision_report.outputs.words import for_csv, worded
from vision_report.outputs.writers import write_csv, write_feedback_text
from vision_report.plan import Plan
from vision_report.screening.confirmations import Holds
from vision_report.screening.screen import Screening

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


def mark_years(df: pd.DataFrame, years: list[int], label: str) -> pd.DataFrame:
    """``df`` with the cells of its fiscal-year columns ("2021", …) of ``years`` (years without any accepted
    submission) holding ``label`` (提出なし) instead of an empty cell: a year is said to be missing, never dropped
    and never confused with an item nobody reported in a year that had submissions."""
    cols = [str(y) for y in years if str(y) in df.columns]
    if not cols:
        return df
    out = df.copy()
    for c in cols:
        out[c] = pd.Series([label] * len(out), index=out.index, dtype="object")
    return out


def write_year_outputs(
    settings: Settings, plan: Plan, fiscal_year: int, out_dir: Path, year: Screening, tables: YearTables, holds: Holds
) -> list[Path]:
    """Write the year's set into ``out_dir`` (the staging folder): every table as the pipeline computed it, the
    feedback and the reports. Nothing is computed here."""
    out_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(out_dir)  # a run killed mid-way left these; the run lock keeps other runs out
    # compute gave codes and numbers; the words users read are chosen here, once, for the CSVs and the reports
    results, period = worded(tables.results, settings.root), worded(tables.period, settings.root)

    def tables_and_feedback() -> list[Path]:
        written = [write_csv(out_dir / f"{name}.csv", for_csv(results[name])) for name in CSV_FILES]
        written.append(write_csv(out_dir / "submissions.csv", tables.subs))
        written.append(write_csv(out_dir / "evaluations.csv", tables.evaluations))
        written.append(write_csv(out_dir / "initiative_texts.csv", tables.texts))
        written.append(write_csv(out_dir / "held_values.csv", holds.held))
        written.append(write_csv(out_dir / "confirmation_problems.csv", holds.problems_table()))
        no_data = no_submission_years(tables.per_year)
        for name, df in {**tables.history, **period}.items():
            written.append(write_csv(out_dir / f"{name}.csv", for_csv(mark_years(df, no_data, no_submissions_label()))))
        for file_name, text in feedbacks(plan, fiscal_year, settings.root / "templates", year, holds.held).items():
            written.append(write_feedback_text(out_dir / "feedback" / file_name, text))
        print(f"報告書（圏域・市町村別 {len(plan.members(fiscal_year))} 件）を作成しています…")
        return written

    data = ReportData(
        issued=settings.report.issued or issued_month(year),
        settings=settings,
        plan=plan,
        fiscal_year=fiscal_year,
        results={**results, **period},
        subs=tables.subs,
        accepted_rows=year.accepted_rows,
        per_year=tables.per_year,
        panel=panel_of(settings, year.received),
        remarks=panel_of(settings, year.received, settings.evaluation.period_remarks_file),
        holds=holds,
    )
    # the tables and the feedback are written while a worker makes the region report (reports.write_reports)
    return write_reports(data, out_dir, meanwhile=tables_and_feedback)


MANIFEST = "manifest.json"
AT_FDCWD = -100
RENAME_EXCHANGE = 2


def _siblings(out_dir: Path, kind: str) -> list[Path]:
    return sorted(out_dir.parent.glob(f".{out_dir.name}.{kind}-*")) if out_dir.parent.is_dir() else []


def recover_outputs(out_dir: Path) -> list[Path]:
    """Undo what a killed run left beside outputs/<FY> (call under the run lock); returns what was removed.

    A run killed between the two renames of the fallback swap left no outputs/<FY> and the previous set in
    ``.<FY>.old-*``: that set is put back. Staging folders of killed runs are removed.
    """
    olds = _siblings(out_dir, "old")
    if not out_dir.exists() and olds:
        os.rename(olds[-1], out_dir)
        olds = olds[:-1]
    removed = []
    for p in [*_siblings(out_dir, "staging"), *olds]:
        shutil.rmtree(p, ignore_errors=True)
        removed.append(p)
    return removed


def begin_staging(out_dir: Path, run_id: str) -> Path:
    """A fresh, empty staging folder for this run's set of outputs (after cleaning up a killed run's)."""
    recover_outputs(out_dir)
    stage = out_dir.parent / f".{out_dir.name}.staging-{run_id}"
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    return stage


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _files(folder: Path) -> dict[str, Path]:
    if not folder.is_dir():
        return {}
    return {
        p.relative_to(folder).as_posix(): p
        for p in sorted(folder.rglob("*"))
        if p.is_file()
        and not p.is_symlink()
        and p.name != MANIFEST
        and not (p.name.startswith(".") and p.name.endswith(".tmp"))
    }


def read_manifest(out_dir: Path) -> dict | None:
    try:
        return json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _carry_over(out_dir: Path, stage: Path, produced: set[str]) -> list[str]:
    """Copy into ``stage`` the files of the current set that runs do not make (hard links where possible)."""
    old = read_manifest(out_dir)
    made_before = set(old["outputs"]) if old else set()
    tops = {rel.split("/", 1)[0] for rel in produced}
    kept = []
    for rel, src in _files(out_dir).items():
        if rel in produced or rel in made_before:
            continue
        if old is None and rel.split("/", 1)[0] in tops:
            continue  # no manifest yet (set made before manifests): what a run makes is not carried over
        dst = stage / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)
        kept.append(rel)
    return kept


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where that is not available."""
    fn = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if fn is None:
        return False
    if fn(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(a))


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def swap_in(stage: Path, out_dir: Path) -> None:
    """Make ``stage`` the new outputs/<FY> in one step; the previous set is removed afterwards."""
    if not out_dir.exists():
        os.rename(stage, out_dir)
    elif _exchange(stage, out_dir):
        shutil.rmtree(stage)  # now holds the previous set
    else:
        old = out_dir.parent / f".{out_dir.name}.old-{stage.name.rsplit('-', 1)[-1]}"
        os.rename(out_dir, old)
        os.rename(stage, out_dir)  # a kill between the two renames is undone by recover_outputs
        shutil.rmtree(old)
    _fsync_dir(out_dir.parent)


def publish(stage: Path, out_dir: Path, *, fiscal_year: int, run_id: str, inputs: list[dict]) -> dict:
    """Write the manifest into ``stage`` and swap it in as outputs/<FY>; returns the manifest.

    Idempotent for a retried task: if this run's set is already in place (the stage is gone), nothing changes.
    """
    current = read_manifest(out_dir)
    if not stage.exists() and current is not None and current.get("run_id") == run_id:
        return current
    produced = _files(stage)
    kept = _carry_over(out_dir, stage, set(produced))
    files = _files(stage)
    manifest = {
        "fiscal_year": fiscal_year,
        "run_id": run_id,
        "created_at": datetime.now(ZoneInfo("Asia/Tokyo")).isoformat(timespec="seconds"),
        "inputs": sorted(inputs, key=lambda i: (str(i.get("file")), str(i.get("sha256")))),
        "outputs": {rel: sha256_file(files[rel]) for rel in produced},
        "kept": {rel: sha256_file(files[rel]) for rel in sorted(kept)},
    }
    write_bytes(stage / MANIFEST, (json.dumps(manifest, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
    _fsync_dir(stage)
    swap_in(stage, out_dir)
    return manifest


def manifest_problems(out_dir: Path, *, strict: bool = True) -> list[str]:
    """What differs between outputs/<FY> and its manifest (empty when they agree).

    ``strict=False`` allows files added after the run by what writes into a published set (after_lock/ of a locked
    year, feedback from `watch`, templates); files the manifest lists must always be there with their hash.
    """
    m = read_manifest(out_dir)
    if m is None:
        return [f"{out_dir / MANIFEST} がありません"]
    listed = {**m["outputs"], **m.get("kept", {})}
    files = _files(out_dir)
    problems = [f"{rel}: マニフェストにないファイル" for rel in sorted(set(files) - set(listed)) if strict]
    problems += [f"{rel}: マニフェストにあるがファイルがない" for rel in sorted(set(listed) - set(files))]
    problems += [
        f"{rel}: sha256 が一致しない"
        for rel in sorted(set(listed) & set(files))
        if sha256_file(files[rel]) != listed[rel]
    ]
    return problems

"""Validate files as soon as they land in inputs/<FY>/ (`vision-report watch`): the clerk gets feedback
within seconds. Polls the folder (no extra dependency); a file is taken once it has not changed for
``settle_seconds`` (debounce: Excel writes in several steps). Every file is archived and audited; the
yearly figures are left to `vision-report run`.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from vision_report.core import audit
from vision_report.core.config import Settings
from vision_report.core.vocabulary import Status
from vision_report.intake.files import Received, inspect_file
from vision_report.intake.files import archive as archive_file
from vision_report.outputs.feedback import feedback_file_name, feedback_text
from vision_report.outputs.writers import write_feedback_text
from vision_report.plan import Plan
from vision_report.screening.confirmations import apply_confirmations, held_values, read_confirmations
from vision_report.screening.screen import screen


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    return st.st_size, st.st_mtime_ns


def _content_hash(path: Path) -> str | None:
    """sha256 of a regular file's content (None for links, folders and unreadable files: judged by name only)."""
    if path.is_symlink() or not path.is_file():
        return None
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    except OSError:
        return None
    return h.hexdigest()


def judged_files(archive: Path, fiscal_year: int) -> set[tuple[str | None, str | None]]:
    """(file name, sha256) of every file with a ``file_checked`` record for ``fiscal_year`` in the audit log."""
    out: set[tuple[str | None, str | None]] = set()
    for e in audit.read_log(archive):
        if e.get("event") == "file_checked" and e.get("fiscal_year") == fiscal_year:
            out.add((e.get("file"), e.get("sha256")))
    return out


@dataclass
class CheckResult:
    """What became of one received file: the screened record, its status, the feedback written (and where), and
    its held (要確認) values. ``feedback`` is None for the coordinator's panel file."""

    rec: Received
    status: str
    feedback: str | None = None
    feedback_path: Path | None = None
    held: pd.DataFrame | None = None


def check_one(settings: Settings, plan: Plan, fiscal_year: int, path: Path, outputs: Path, archive: Path) -> str:
    """Archive, screen and write feedback for one received file; returns its status."""
    return check_file(settings, plan, fiscal_year, path, outputs, archive).status


def check_file(
    settings: Settings,
    plan: Plan,
    fiscal_year: int,
    path: Path,
    outputs: Path,
    archive: Path,
    *,
    via: str = "watch",
    audit_details: dict | None = None,
) -> CheckResult:
    """The one path of a file received in inputs/<FY>/ (dropped there and seen by ``watch``, or placed there by the
    portal): archive it by content hash, screen it, write its feedback, audit it. ``via`` and ``audit_details``
    (e.g. the portal account) go into the audit records."""
    extra = audit_details or {}
    rec = inspect_file(
        path,
        fiscal_year,
        plan,
        max_bytes=settings.validation.max_file_bytes,
        limits=settings.validation,
        panel_file=settings.evaluation.coordinator_files,
    )
    archive_file(rec, archive)
    if rec.sha256:
        audit.record_once(
            archive,
            [
                (
                    "file_received",
                    {"fiscal_year": fiscal_year, "file": rec.name, "sha256": rec.sha256},
                    {"size": rec.size, "via": via, **extra},
                )
            ],
        )
    year = screen([rec], plan, fiscal_year, settings)
    (rec,) = year.received
    if rec.status == Status.PANEL_OPINIONS:  # the coordinator's own file: archived, no feedback to write
        return CheckResult(rec, _checked(archive, fiscal_year, rec, via, extra))
    held, _problems = apply_confirmations(
        held_values(year, plan, settings.validation.hold_rules),
        read_confirmations(settings.confirmations_file(fiscal_year), fiscal_year),
        plan,
    )
    code = rec.municipality_code
    member = code is not None and plan.has_municipality(code)
    text = feedback_text(
        plan,
        fiscal_year,
        settings.root / "templates",
        code=code or "不明",
        name=plan.municipality(code).name if member and code else "構成市町村外",
        rec=rec,
        status=rec.status,
        rows=year.rows,
        held=held,
    )
    key = rec.sha256 or hashlib.sha256(rec.name.encode("utf-8")).hexdigest()
    target = outputs / str(fiscal_year) / "feedback" / feedback_file_name(plan, code, key)
    write_feedback_text(target, text)
    status = _checked(archive, fiscal_year, rec, via, extra)
    return CheckResult(rec, status, text, target, held)


def _checked(archive: Path, fiscal_year: int, rec, via: str = "watch", extra: dict | None = None) -> str:
    """Record that ``watch`` (or the portal) decided on ``rec`` (audit ``file_checked``); returns its status."""
    audit.record(
        archive,
        "file_checked",
        fiscal_year=fiscal_year,
        file=rec.name,
        sha256=rec.sha256,
        status=rec.status,
        via=via,
        **(extra or {}),
    )
    return rec.status


def watch(
    settings: Settings,
    plan: Plan,
    fiscal_year: int,
    inputs: Path,
    outputs: Path,
    archive: Path,
    *,
    interval: float = 1.0,
    stop_after: float | None = None,
    on_result: Callable[[str, str], None] | None = None,
) -> int:
    """Poll inputs/<FY>/ until interrupted (or ``stop_after`` seconds); returns how many files were checked."""
    folder = inputs / str(fiscal_year)
    folder.mkdir(parents=True, exist_ok=True)
    done: dict[str, tuple[int, int]] = {}
    seen: dict[str, tuple[tuple[int, int], float]] = {}
    judged = judged_files(archive, fiscal_year)
    for p in folder.iterdir():  # what is already there and was judged before (by watch or run) is not judged again
        sig = _signature(p)
        if sig and (p.name, _content_hash(p)) in judged:
            done[p.name] = sig
    started = time.monotonic()
    checked = 0
    while stop_after is None or time.monotonic() - started < stop_after:
        now = time.monotonic()
        for p in sorted(folder.iterdir()):
            if p.name.startswith((".", "~$")) or p.is_dir():
                continue
            sig = _signature(p)
            if sig is None or done.get(p.name) == sig:
                continue
            last = seen.get(p.name)
            if last is None or last[0] != sig:
                seen[p.name] = (sig, now)  # new or still changing: wait for it to settle
                continue
            if now - last[1] < settings.validation.settle_seconds:
                continue
            status = check_one(settings, plan, fiscal_year, p, outputs, archive)
            done[p.name] = sig
            seen.pop(p.name, None)
            checked += 1
            if on_result:
                on_result(p.name, status)
        time.sleep(interval)
    return checked

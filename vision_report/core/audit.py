"""Append-only audit log (JSON lines), year locks after publication, and one run per fiscal year at a time."""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import json
import os
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

AUDIT_FILE = "audit.jsonl"


class YearBusy(Exception):
    """Another run for the same fiscal year holds the lock (message in Japanese)."""


def _now() -> str:
    return datetime.now(ZoneInfo("Asia/Tokyo")).isoformat(timespec="seconds")


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "unknown"


def record(archive_dir: Path, event: str, **details) -> None:
    """Append one event. O_APPEND writes of one line are atomic; nothing is ever rewritten."""
    archive_dir.mkdir(parents=True, exist_ok=True)
    line = (
        json.dumps(
            {"time": _now(), "event": event, "user": _user(), **details},
            ensure_ascii=False,
            sort_keys=True,
            default=str,
        )
        + "\n"
    )
    fd = os.open(archive_dir / AUDIT_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def record_once(archive_dir: Path, events: list[tuple[str, dict, dict]]) -> int:
    """Append each (event, key, details) unless the log already holds that event with the same key fields.

    This is what makes a retried task leave the same audit trail as one that did not fail: the key names the
    fact (e.g. this file, with this hash, received for this year), so recording it again changes nothing.
    Returns how many events were appended.
    """
    log = read_log(archive_dir)
    index: dict[tuple[str, tuple[str, ...]], set[str]] = {}

    def fingerprint(fields: tuple[str, ...], values: dict) -> str:
        return json.dumps([values.get(f) for f in fields], ensure_ascii=False, default=str)

    appended = 0
    for event, key, details in events:
        fields = tuple(sorted(key))
        known = index.get((event, fields))
        if known is None:
            known = {fingerprint(fields, e) for e in log if e.get("event") == event}
            index[(event, fields)] = known
        fp = fingerprint(fields, json.loads(json.dumps(key, ensure_ascii=False, default=str)))
        if fp in known:
            continue
        record(archive_dir, event, **key, **details)
        known.add(fp)
        appended += 1
    return appended


def read_log(archive_dir: Path) -> list[dict]:
    path = archive_dir / AUDIT_FILE
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def _lock_path(archive_dir: Path, fiscal_year: int) -> Path:
    return archive_dir / "locks" / f"{fiscal_year}.json"


def year_lock(archive_dir: Path, fiscal_year: int) -> dict | None:
    """The lock record of a published year, or None if the year is open."""
    p = _lock_path(archive_dir, fiscal_year)
    return json.loads(p.read_text(encoding="utf-8")) if p.exists() else None


def lock_year(archive_dir: Path, fiscal_year: int, reason: str = "") -> dict:
    p = _lock_path(archive_dir, fiscal_year)
    p.parent.mkdir(parents=True, exist_ok=True)
    info = {
        "fiscal_year": fiscal_year,
        "locked_at": _now(),
        "locked_epoch": time.time(),
        "by": _user(),
        "reason": reason,
    }
    tmp = p.with_suffix(".tmp")
    tmp.write_text(json.dumps(info, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, p)
    record(archive_dir, "lock", fiscal_year=fiscal_year, reason=reason)
    return info


def unlock_year(archive_dir: Path, fiscal_year: int, reason: str = "") -> bool:
    p = _lock_path(archive_dir, fiscal_year)
    if not p.exists():
        return False
    p.unlink()
    record(archive_dir, "unlock", fiscal_year=fiscal_year, reason=reason)
    return True


_HELD: set[tuple[str, int]] = set()


@contextlib.contextmanager
def run_lock(archive_dir: Path, fiscal_year: int, wait_seconds: float = 0.0):
    """Only one run per fiscal year at a time (an OS file lock: released even if the process is killed).

    Re-entrant within one process: the command line takes the lock before it starts Prefect, and the flow it then
    runs takes it again without waiting for itself.
    """
    key = (str(archive_dir.resolve()), fiscal_year)
    if key in _HELD:
        yield
        return
    d = archive_dir / "locks"
    d.mkdir(parents=True, exist_ok=True)
    fd = os.open(d / f"{fiscal_year}.run", os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise YearBusy(
                        f"{fiscal_year}年度の集計が別に実行中です。終わってから実行してください"
                        f"（待つ場合は --wait 秒数 を指定）。"
                    ) from None
                time.sleep(0.5)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        _HELD.add(key)
        try:
            yield
        finally:
            _HELD.discard(key)
    finally:
        os.close(fd)  # closing releases the lock


RUN_END_EVENTS = ("run_finished", "run_failed", "run_interrupted")


def unfinished_runs(archive_dir: Path, fiscal_year: int, exclude: str | None = None) -> list[dict]:
    """``run_started`` records of ``fiscal_year`` with no end record for their run_id (call under the run lock:
    then none of them is still running, so each one was killed)."""
    log = read_log(archive_dir)
    ended = {e.get("run_id") for e in log if e.get("event") in RUN_END_EVENTS and e.get("fiscal_year") == fiscal_year}
    seen: set[str | None] = set()
    out = []
    for e in log:
        rid = e.get("run_id")
        if e.get("event") != "run_started" or e.get("fiscal_year") != fiscal_year or rid in ended or rid == exclude:
            continue
        if rid not in seen:
            seen.add(rid)
            out.append(e)
    return out

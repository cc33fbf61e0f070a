"""Where a run's time goes: named phases, timed only when $VISION_REPORT_PROFILE names a file (bench/run.py sets it).

Each finished phase appends one JSON line ``{"phase": ..., "seconds": ..., "pid": ...}`` to that file (append mode:
the report workers' processes write to the same file). Without the variable a phase costs one dictionary lookup and
writes nothing, so outputs never depend on it. $VISION_REPORT_PROFILE_T0 (seconds since the epoch, set by the
caller just before it starts the process) lets :func:`since_start` record the interpreter's start and the imports.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

ENV_PROFILE = "VISION_REPORT_PROFILE"
ENV_T0 = "VISION_REPORT_PROFILE_T0"


def record(name: str, seconds: float) -> None:
    """Append ``seconds`` for phase ``name`` to the profile file, if one is asked for."""
    path = os.environ.get(ENV_PROFILE)
    if not path:
        return
    line = json.dumps({"phase": name, "seconds": seconds, "pid": os.getpid()}, ensure_ascii=False)
    with open(path, "a", encoding="utf-8") as f:
        f.write(line + "\n")


def clock() -> float:
    """A monotonic clock for :func:`record` (time.perf_counter)."""
    return time.perf_counter()


@contextmanager
def phase(name: str) -> Iterator[None]:
    """Time the block as phase ``name`` (a phase entered several times is summed by the reader)."""
    if not os.environ.get(ENV_PROFILE):
        yield
        return
    started = time.perf_counter()
    try:
        yield
    finally:
        record(name, time.perf_counter() - started)


def since_start(name: str) -> None:
    """Record the time from $VISION_REPORT_PROFILE_T0 (the caller's clock before it started this process) to now."""
    t0 = os.environ.get(ENV_T0)
    if os.environ.get(ENV_PROFILE) and t0:
        record(name, time.time() - float(t0))


def read_profile(path: str | os.PathLike[str]) -> dict[str, float]:
    """Seconds per phase of one run's profile file, summed over repeated phases and processes."""
    out: dict[str, float] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                out[rec["phase"]] = out.get(rec["phase"], 0.0) + float(rec["seconds"])
    return out

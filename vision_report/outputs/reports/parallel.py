"""Fan report rendering out over processes when there are many municipalities."""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar

SERIAL_BELOW = 60  # documents; below this a process pool costs more than it saves


def workers() -> int:
    env = os.environ.get("VISION_REPORT_WORKERS")
    if env:
        return max(1, int(env))
    return max(1, min(os.cpu_count() or 1, 8))


def chunks(jobs: list) -> list[list]:
    """Serial for a small alliance; otherwise a few chunks per worker (keeps every core busy to the end)."""
    n = workers()
    if len(jobs) < SERIAL_BELOW or n == 1:
        return [jobs]
    size = max(1, len(jobs) // (n * 4))
    return [jobs[i : i + size] for i in range(0, len(jobs), size)]


def use_pool(documents: int) -> bool:
    """Whether a run making ``documents`` reports renders them in worker processes."""
    return documents >= SERIAL_BELOW and workers() > 1


def pool(count: int | None = None) -> ProcessPoolExecutor:
    """The worker processes of one run's reports (``count``, default ``workers()``; spawned: no fork of a process
    holding Prefect's threads), each killed when the process that started it dies (``_die_with``). The death signal
    follows the thread that starts a worker, and a worker starts when a job is given while none is idle: the thread
    that holds the pool gives its jobs."""
    return ProcessPoolExecutor(
        max_workers=count or workers(),
        mp_context=mp.get_context("spawn"),
        initializer=_die_with,
        initargs=(os.getpid(),),
    )


_WARM: ContextVar[ProcessPoolExecutor | None] = ContextVar("vision_report_warm_pool", default=None)
_PR_SET_PDEATHSIG = 1


def _die_with(parent: int) -> None:
    """A warm worker's start: killed when the process that started it dies (Linux: the parent's death signal),
    so that a run stopped by ``kill -9`` leaves no worker behind; if that process is already gone, stop now."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        return
    if os.getppid() != parent:
        os._exit(1)


def _ready() -> None:
    """A worker's first job: import what making a report needs (python-docx, matplotlib, the report modules)."""
    from vision_report.outputs.reports import municipality, region, summary  # noqa: F401


@contextmanager
def warm_pool(documents: int) -> Iterator[ProcessPoolExecutor | None]:
    """Worker processes for the reports of a run of ``documents`` reports, started now: they import the report code
    while the run reads and checks its files on the other core, and ``write_reports`` finds them (``warm``). One
    worker (the region report beside the municipality reports) below ``SERIAL_BELOW`` documents, ``workers()``
    from there; none with one worker. Shut down on the way out, also when the run fails."""
    n = workers()
    if n == 1:
        yield None
        return
    count = n if documents >= SERIAL_BELOW else 1
    executor = pool(count)  # every worker started here, by the thread that holds this block until they shut down
    for _ in range(count):  # each job given while no worker is idle starts one
        executor.submit(_ready)
    token = _WARM.set(executor)
    try:
        yield executor
    finally:
        _WARM.reset(token)
        executor.shutdown(wait=True, cancel_futures=True)


def warm() -> ProcessPoolExecutor | None:
    """The workers ``warm_pool`` started for this run, if any."""
    return _WARM.get()


def parallel_map(fn: Callable, args: Iterable, executor: Executor | None = None) -> list:
    args = list(args)
    if len(args) <= 1 and executor is None:
        return [fn(a) for a in args]
    if executor is not None:
        return list(executor.map(fn, args))
    with pool() as own:
        return list(own.map(fn, args))

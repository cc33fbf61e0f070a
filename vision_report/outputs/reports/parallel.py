"""Fan report rendering out over processes when there are many municipalities."""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ProcessPoolExecutor

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


def pool() -> ProcessPoolExecutor:
    """The worker processes of one run's reports (spawned: no fork of a process holding Prefect's threads)."""
    return ProcessPoolExecutor(max_workers=workers(), mp_context=mp.get_context("spawn"))


def parallel_map(fn: Callable, args: Iterable, executor: Executor | None = None) -> list:
    args = list(args)
    if len(args) <= 1 and executor is None:
        return [fn(a) for a in args]
    if executor is not None:
        return list(executor.map(fn, args))
    with pool() as own:
        return list(own.map(fn, args))

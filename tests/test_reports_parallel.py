"""A large alliance renders the region report in a worker process beside the municipality reports (issue 21): the
same files, byte for byte, as the serial path."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time

import pytest
from test_region_layout import ROOT, _data, _rows

from vision_report.core.config import load_settings
from vision_report.outputs.reports import parallel, write_reports


@pytest.mark.slow  # spawns worker processes (each imports the report code)
def test_the_pool_path_writes_the_same_files_as_the_serial_path(plan, tmp_path, monkeypatch):
    settings = load_settings(ROOT)
    settings = dataclasses.replace(settings, report=dataclasses.replace(settings.report, pdf=False))  # Word only
    data = _data(plan, _rows(plan), settings)
    serial = tmp_path / "serial"
    pooled = tmp_path / "pooled"
    monkeypatch.setenv("VISION_REPORT_WORKERS", "1")
    assert not parallel.use_pool(len(plan.members(data.fiscal_year)))
    written_serial = write_reports(data, serial)
    monkeypatch.setenv("VISION_REPORT_WORKERS", "2")
    monkeypatch.setattr(parallel, "SERIAL_BELOW", 2)  # 24 members: take the pool path
    assert parallel.use_pool(len(plan.members(data.fiscal_year)))
    written_pooled = write_reports(data, pooled)
    assert [p.relative_to(serial) for p in written_serial] == [p.relative_to(pooled) for p in written_pooled]
    docx = [p.relative_to(serial) for p in written_serial if p.suffix == ".docx"]
    assert len(docx) == 2 + len(plan.members(data.fiscal_year))
    for rel in docx:
        assert (serial / rel).read_bytes() == (pooled / rel).read_bytes(), rel


def test_a_chunk_of_municipality_reports_leaves_no_document_alive_and_nothing_frozen(plan, tmp_path):
    """municipality._render_chunk collects after each document and freezes what survived (issue 21: the next
    collection looks at the next document only); when the chunk ends nothing stays frozen and no document, part or
    package of the chunk is left in memory."""
    import gc
    import weakref

    from docx.opc.package import OpcPackage

    from vision_report.outputs.reports import municipality

    settings = load_settings(ROOT)
    data = _data(plan, _rows(plan), settings)
    made: list[weakref.ref] = []
    init = OpcPackage.__init__

    def remembered(self, *args, **kwargs):
        init(self, *args, **kwargs)
        made.append(weakref.ref(self))

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(OpcPackage, "__init__", remembered)
        captured: list = []
        mp.setattr(municipality, "parallel_map", lambda fn, args, executor=None: captured.extend(args) or [])
        municipality.write_municipality_reports(data, tmp_path)
        (args,) = captured
        (tmp_path / "municipalities").mkdir()
        written = municipality._render_chunk(args[:-1] + (args[-1][:4],))
    assert len(written) == 4 and len(made) >= 4
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert [ref for ref in made if ref() is not None] == []


@pytest.mark.slow  # spawns worker processes (each imports the report code)
def test_the_warm_workers_write_the_same_files_as_the_serial_path(plan, tmp_path, monkeypatch):
    """A run starts its report workers before it reads its files (parallel.warm_pool, issue 21): with them, a small
    alliance's region report is made in a worker while the tables, the feedback and the municipality reports are
    written here; the same files, byte for byte, in the same order."""
    settings = load_settings(ROOT)
    settings = dataclasses.replace(settings, report=dataclasses.replace(settings.report, pdf=False))  # Word only
    data = _data(plan, _rows(plan), settings)
    members = len(plan.members(data.fiscal_year))

    def tables() -> list:
        (tmp_path / "t.csv").write_text("t", encoding="utf-8")
        return [tmp_path / "t.csv"]

    monkeypatch.setenv("VISION_REPORT_WORKERS", "1")
    with parallel.warm_pool(members) as none:
        assert none is None and parallel.warm() is None
        serial = write_reports(data, tmp_path / "serial", meanwhile=tables)
    monkeypatch.setenv("VISION_REPORT_WORKERS", "2")
    with parallel.warm_pool(members) as executor:
        assert executor is not None and parallel.warm() is executor
        worker = executor.submit(os.getpid).result()
        assert worker != os.getpid()
        warm = write_reports(data, tmp_path / "warm", meanwhile=tables)
    assert parallel.warm() is None
    assert serial[0] == warm[0] == tmp_path / "t.csv"
    assert [p.relative_to(tmp_path / "serial") for p in serial[1:]] == [
        p.relative_to(tmp_path / "warm") for p in warm[1:]
    ]
    for a, b in zip(serial[1:], warm[1:], strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


@pytest.mark.slow  # spawns processes
def test_a_run_killed_leaves_no_report_worker_behind(tmp_path, monkeypatch):
    """kill -9 of a run holding warm report workers: the workers die with it (their parent's death signal), and a run
    that fails shuts its workers down."""
    script = (
        "import os, sys, time\n"
        "os.environ['VISION_REPORT_WORKERS'] = '2'\n"
        "from vision_report.outputs.reports import parallel\n"
        "with parallel.warm_pool(1000) as ex:\n"
        "    pids = sorted({ex.submit(os.getpid).result() for _ in range(8)})\n"
        "    print(' '.join(map(str, pids)), flush=True)\n"
        "    time.sleep(120)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    workers = [int(p) for p in proc.stdout.readline().split()]
    assert workers and all(_alive(p) for p in workers)
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in workers)

    monkeypatch.setenv("VISION_REPORT_WORKERS", "2")
    pids: set[int] = set()
    with pytest.raises(RuntimeError, match="失敗"), parallel.warm_pool(1000) as ex:
        assert ex is not None
        pids = {ex.submit(os.getpid).result() for _ in range(4)}
        raise RuntimeError("失敗")
    assert pids and not any(_alive(p) for p in pids)


def _alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False

"""A large alliance renders the region report in a worker process beside the municipality reports (issue 21): the
same files, byte for byte, as the serial path."""

from __future__ import annotations

import dataclasses

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

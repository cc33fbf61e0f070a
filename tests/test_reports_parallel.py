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

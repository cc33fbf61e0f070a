"""tests/report_cache.py: a report is shared only between equal inputs, each caller reads its own copy, and a project
with copied templates builds its own."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
from docx import Document

from tests import report_cache
from tests.test_region_layout import _data, _kpi_rows, _rows
from vision_report.outputs.reports.docxutil import docx_bytes


def _counting():
    calls = []

    def build(data):
        calls.append(data)
        doc = Document()
        doc.add_paragraph(f"{len(calls)}")
        return doc

    return build, calls


def test_equal_inputs_share_one_build_and_any_difference_builds_again(plan, monkeypatch):
    monkeypatch.setattr(report_cache, "_BUILT", {})
    build, calls = _counting()
    rows = _rows(plan, writers=1)
    first = report_cache._built("t", _data(plan, rows), build)
    assert report_cache._built("t", _data(plan, rows.copy()), build) == first  # made again, equal: shared
    assert len(calls) == 1
    changed = rows.copy()
    changed.loc[changed.index[5], "outcome_text"] = "別の成果。"
    assert report_cache._built("t", _data(plan, changed), build) != first  # one cell
    meta = dataclasses.replace(plan.meta, population_goal={"year": 2060, "value": 1200000, "basis": None})
    report_cache._built("t", _data(dataclasses.replace(plan, meta=meta), rows), build)  # one field of the plan
    report_cache._built(
        "t", dataclasses.replace(_data(plan, rows), issued="2027年6月"), build
    )  # one field of ReportData
    assert len(calls) == 4
    report_cache._built("t", _data(plan, pd.concat([rows, _kpi_rows(plan, 1.0)], ignore_index=True)), build)
    assert len(calls) == 5


def test_a_copied_project_is_never_shared_and_each_caller_gets_its_own_document(plan, monkeypatch, tmp_path):
    monkeypatch.setattr(report_cache, "_BUILT", {})
    build, calls = _counting()
    data = _data(plan, _rows(plan, writers=1))
    elsewhere = dataclasses.replace(data, settings=dataclasses.replace(data.settings, root=tmp_path))
    report_cache._built("t", elsewhere, build)
    report_cache._built("t", elsewhere, build)
    assert len(calls) == 2  # its templates may have been edited between the two
    assert Path(data.settings.root).resolve() == report_cache.ROOT
    tiny = docx_bytes(build(data))
    monkeypatch.setattr(report_cache, "_BUILT", {("region", report_cache.fingerprint(data)): tiny})
    mine, yours = report_cache.region_document(data), report_cache.region_document(data)  # from the cache, not built
    mine.add_paragraph("書き込み")
    assert [p.text for p in yours.paragraphs] == ["3"] and [p.text for p in mine.paragraphs] == ["3", "書き込み"]


def test_a_chart_drawn_by_another_process_of_the_session_is_read_not_drawn(monkeypatch, tmp_path):
    """report_cache.SharedCharts: a PNG saved in the session's folder by one process is what another process's
    memo gives for the same drawing and arguments; a new drawing is saved there for the others."""
    from vision_report.outputs.reports import charts

    monkeypatch.setenv(report_cache.ENV_SHARED, str(tmp_path))
    drawn = []

    @charts.memoized
    def draw(label: str) -> bytes:
        drawn.append(label)
        return f"png:{label}".encode()

    monkeypatch.setattr(charts, "_memo", report_cache.SharedCharts())
    assert draw("a") == b"png:a" and drawn == ["a"]
    assert len(list(tmp_path.glob("chart-*.png"))) == 1  # saved for the others
    monkeypatch.setattr(charts, "_memo", report_cache.SharedCharts())  # another process: its memo is empty
    assert draw("a") == b"png:a" and drawn == ["a"]  # read from the folder
    assert draw("b") == b"png:b" and drawn == ["a", "b"]
    monkeypatch.delenv(report_cache.ENV_SHARED)
    monkeypatch.setattr(charts, "_memo", report_cache.SharedCharts())  # no session folder: drawn again
    assert draw("a") == b"png:a" and drawn == ["a", "b", "a"]

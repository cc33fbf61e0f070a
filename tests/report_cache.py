"""Reports built once per test process: many tests read different pages of the same region report or 概要版 built from
the same synthetic rows (a build takes 3–5 CPU seconds), so the saved .docx of each set of inputs is kept and every
caller gets its own ``Document`` parsed from it (a test may change its copy).

The key is the content of the ReportData (every field, DataFrames by their values, the plan and the settings by their
fields), so two tests share a build only when everything the builder reads from its argument is equal. What the
builder reads besides its argument is the project's templates: only ReportData of the repository's own project (its
templates are never edited by a test) is kept; a test with a copied, edited templates folder builds its own. Not for a
test that patches the builders or what they call (monkeypatch): that test must call the builder itself.

Across the processes of one test session (pytest-xdist's workers) the saved reports are shared through the folder
$VISION_REPORT_TEST_REPORTS (tests/conftest.py makes it for the session and removes it at the end): 13 of the fast
tier's 60 region reports were built a second time by the other worker (bench/results.md, 2026-12-03 22:40). Never
kept from one session to the next: a changed builder is always run.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import io
import os
from collections import OrderedDict
from datetime import date, datetime
from pathlib import Path, PurePath
from typing import Any

import numpy as np
import pandas as pd
from docx import Document

from vision_report.core.atomic import write_bytes

ROOT = Path(__file__).resolve().parents[1]
ENV_SHARED = "VISION_REPORT_TEST_REPORTS"

_BUILT: dict[tuple[str, str], bytes] = {}


class _Unkeyed(Exception):
    """A value whose content the key cannot read: the report is built without the cache."""


def _feed(h: Any, obj: Any) -> None:
    if isinstance(obj, pd.DataFrame | pd.Series):
        h.update(type(obj).__name__.encode())
        frame = obj.to_frame() if isinstance(obj, pd.Series) else obj
        h.update(repr((list(frame.columns), [str(t) for t in frame.dtypes], list(frame.index.names))).encode())
        h.update(repr(obj.name if isinstance(obj, pd.Series) else None).encode())
        try:
            h.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
        except TypeError:  # unhashable cells (lists): their repr, row by row
            h.update(repr(frame.to_dict("split")).encode())
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        h.update(f"<{type(obj).__module__}.{type(obj).__qualname__}>".encode())
        for f in dataclasses.fields(obj):
            if not f.compare:  # a field left out of equality is derived from the others (Plan._index: lookups)
                continue
            h.update(f.name.encode())
            _feed(h, getattr(obj, f.name))
    elif isinstance(obj, dict):
        h.update(b"{")
        for k in sorted(obj, key=repr):
            _feed(h, k)
            _feed(h, obj[k])
        h.update(b"}")
    elif isinstance(obj, list | tuple):
        h.update(f"{type(obj).__name__}[".encode())
        for v in obj:
            _feed(h, v)
        h.update(b"]")
    elif isinstance(obj, set | frozenset):
        h.update(repr(sorted(map(repr, obj))).encode())
    elif obj is None or isinstance(
        obj, str | bytes | int | float | bool | PurePath | date | datetime | enum.Enum | np.generic
    ):
        h.update(f"{type(obj).__name__}:{obj!r};".encode())
    else:
        raise _Unkeyed(type(obj))


def fingerprint(obj: Any) -> str | None:
    """A digest of ``obj``'s content, or None when part of it cannot be read (then nothing is shared)."""
    h = hashlib.sha256()
    try:
        _feed(h, obj)
    except _Unkeyed:
        return None
    return h.hexdigest()


def _built(kind: str, data, build) -> bytes:
    from vision_report.outputs.reports.docxutil import docx_bytes

    key = fingerprint(data) if Path(data.settings.root).resolve() == ROOT else None
    if key is None:
        return docx_bytes(build(data))
    if (kind, key) not in _BUILT:
        _BUILT[kind, key] = _shared(kind, key, lambda: docx_bytes(build(data)))
    return _BUILT[kind, key]


def _shared_folder() -> Path | None:
    """The session's folder of reports and charts shared by its processes, if there is one."""
    folder = os.environ.get(ENV_SHARED)
    return Path(folder) if folder and Path(folder).is_dir() else None


def _shared(kind: str, key: str, build) -> bytes:
    """The report saved by another process of this session, or built here and saved for the others (written to a
    temporary file and renamed: a reader never sees half a file; two processes building the same one write the same
    bytes)."""
    folder = _shared_folder()
    if folder is None:
        return build()
    path = folder / f"{kind}-{key}.docx"
    if path.is_file():
        return path.read_bytes()
    data = build()
    write_bytes(path, data)
    return data


class SharedCharts(OrderedDict):
    """A stand-in for charts._memo (the PNGs drawn in this process) that also holds the PNGs the other processes of
    the session drew: a miss looks for the chart in the session's folder before it is drawn, and a chart drawn here is
    saved there. The fast tier drew 91 charts, 23 of them a second time in the other worker (bench/results.md,
    2026-12-03 22:25). The key is charts.memoized's (the drawing's name and arguments as canonical JSON)."""

    def _path(self, key: str) -> Path | None:
        folder = _shared_folder()
        return folder / f"chart-{hashlib.sha256(key.encode()).hexdigest()}.png" if folder is not None else None

    def get(self, key, default=None):  # type: ignore[override]
        if key not in self:
            path = self._path(key)
            if path is not None and path.is_file():
                super().__setitem__(key, path.read_bytes())
                from vision_report.outputs.reports import charts

                while len(self) > charts._MEMO_SIZE:  # as charts.memoized bounds its own entries
                    self.popitem(last=False)
        return super().get(key, default)

    def __setitem__(self, key, png) -> None:
        path = self._path(key)
        if path is not None and not path.is_file():
            write_bytes(path, png)
        super().__setitem__(key, png)


def share_charts() -> None:
    """Let this process's charts memo use the session's folder (tests/conftest.py, in every process)."""
    from vision_report.outputs.reports import charts

    if not isinstance(charts._memo, SharedCharts):
        charts._memo = SharedCharts(charts._memo)


def region_docx(data) -> bytes:
    """The saved region report of ``data`` (built once per process for equal inputs)."""
    from vision_report.outputs.reports.region import build_region_report

    return _built("region", data, build_region_report)


def summary_docx(data) -> bytes:
    """The saved 概要版 of ``data`` (built once per process for equal inputs)."""
    from vision_report.outputs.reports.summary import build_summary

    return _built("summary", data, build_summary)


def region_document(data):
    """The region report of ``data`` read back from its saved bytes: the caller's own copy."""
    return Document(io.BytesIO(region_docx(data)))


def summary_document(data):
    """The 概要版 of ``data`` read back from its saved bytes: the caller's own copy."""
    return Document(io.BytesIO(summary_docx(data)))

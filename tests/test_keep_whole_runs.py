"""The runs ``docx_bytes`` splits to keep numbers whole (docxutil._keep_whole_paragraphs) are the same XML however
they are made: a copy of a run made once per process, a run changed in place, or a run built element by element."""

from __future__ import annotations

from lxml import etree

from vision_report.outputs.reports import docxutil
from vision_report.outputs.reports.docxutil import _part_run, _token_run


def _xml(el) -> bytes:
    return etree.tostring(el, encoding="utf-8")


def test_a_piece_of_a_run_without_properties_is_the_run_built_element_by_element():
    for text in ("20市町村", " 前後に空白 ", "年度", ""):
        for token in (False, True):
            made: dict = {}
            copied = _part_run(made, text, None, token)
            assert _xml(copied) == _xml(_token_run(text, None, token))
            assert made == {}  # the shared run is copied, never handed out
    # the shared runs stay as they were made
    assert _xml(docxutil._bare_run(True)) == _xml(_token_run("", None, True))
    assert _xml(docxutil._bare_run(False)) == _xml(_token_run("", None, False))

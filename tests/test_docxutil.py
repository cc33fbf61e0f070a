"""Tables copied from a layout seen before must be the same XML as tables built by python-docx."""

from __future__ import annotations

from pathlib import Path

from docx.oxml.ns import qn
from lxml import etree

from vision_report.outputs.reports.docxutil import _build_table, add_table, new_document
from vision_report.outputs.reports.region_initiatives import _finish_grid

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "templates" / "report_style.docx"


def _xml(tbl) -> bytes:
    return etree.tostring(tbl, encoding="utf-8")


def _by_python_docx(header, rows, **kw):
    doc = new_document(TEMPLATE)
    return _xml(_build_table(doc, header, rows, **kw)._tbl)


def _by_copy(header, first_rows, rows, **kw):
    doc = new_document(TEMPLATE)
    add_table(doc, header, first_rows, **kw)  # builds (or reuses) the layout
    table = add_table(doc, header, rows, **kw)  # a copy with other texts
    return doc, table


def _plain(xml: bytes) -> bytes:
    # python-docx's row copy leaves <w:t></w:t> for an empty text where a fresh run has none: same document
    return xml.replace(b"<w:r><w:t></w:t></w:r>", b"<w:r/>")


def test_copied_table_equals_the_python_docx_table():
    kw = {"widths": [30, 20, 20], "numeric": {1, 2}, "center": {0}, "fills": {1: "F2F2F2"}, "bold_rows": {2}}
    header = ["取組", "計画", "実績"]
    rows = [["1.1.1", "1,000", ""], ["合計", "▲120", " 5 "], ["小計", "", "3"], ["x", "y", "z"]]
    _, table = _by_copy(header, [["a", "b", "c"]] * 4, rows, **kw)
    assert _plain(_xml(table._tbl)) == _plain(_by_python_docx(header, rows, **kw))
    texts = [[c.text for c in r.cells] for r in table.rows]
    assert texts == [header] + rows
    spaced = [t for t in table._tbl.iter(qn("w:t")) if t.text == " 5 "]
    assert spaced and spaced[0].get(qn("xml:space")) == "preserve"


def test_copied_grid_keeps_the_merged_label_and_each_circle_in_its_cell():
    names = [f"市{i}" for i in range(10)]
    first = [["関係市町村"] + names, [""] + ["○"] * 10, [""] + names, [""] + [""] * 10]
    rows = [["関係市町村"] + names, [""] + ["○", ""] * 5, [""] + names, [""] + ["", "○"] * 5]
    kw = {
        "widths": [18] + [15.2] * 10,
        "center": set(range(1, 11)),
        "fills": {0: "F2F2F2", 2: "F2F2F2"},
        "finish": _finish_grid,
    }
    _, table = _by_copy(["関係市町村"] + [""] * 10, first, rows, **kw)
    assert _plain(_xml(table._tbl)) == _plain(_by_python_docx(["関係市町村"] + [""] * 10, rows, **kw))
    got = [[c.text for c in r.cells] for r in table.rows]
    assert got[1][1:] == ["○", ""] * 5 and got[3][1:] == ["", "○"] * 5
    assert got[0][0] == "関係市町村"


def test_text_with_a_line_break_is_built_by_python_docx_not_copied():
    doc = new_document(TEMPLATE)
    kw = {"widths": [40, 40]}
    add_table(doc, ["項目", "内容"], [["a", "b"]], **kw)
    table = add_table(doc, ["項目", "内容"], [["a", "一行目\n二行目"]], **kw)
    assert table.rows[1].cells[1].text == "一行目\n二行目"
    assert table._tbl.find(".//" + qn("w:br")) is not None


def test_each_document_gets_its_own_table_elements():
    header, kw = ["a", "b"], {"widths": [20, 20]}
    d1, t1 = _by_copy(header, [["1", "2"]], [["3", "4"]], **kw)
    d2, t2 = _by_copy(header, [["5", "6"]], [["7", "8"]], **kw)
    assert t1._tbl is not t2._tbl
    assert [[c.text for c in r.cells] for r in d1.tables[0].rows] == [header, ["1", "2"]]
    assert [[c.text for c in r.cells] for r in d2.tables[1].rows] == [header, ["7", "8"]]


def test_a_header_too_wide_breaks_before_its_bracket_not_inside_the_year():
    from vision_report.outputs.reports.docxutil import break_header

    assert break_header("目標値（2025年度）", 20, 8.5) == "目標値\n（2025年度）"
    assert break_header("目標値（2025年度）", 60, 8.5) == "目標値（2025年度）"  # fits: unchanged
    assert break_header("（参考）合計値の列", 10, 8.5) == "（参考）合計値の列"  # a bracket at the start: no break
    assert break_header("評価", 5, 8.5) == "評価"

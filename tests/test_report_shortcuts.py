"""The shortcuts a member report takes for its CPU time give what the plain way gives: the runs ``docx_bytes`` splits
to keep numbers whole (docxutil._keep_whole_paragraphs) are the same XML however they are made (a copy of a run made
once per process, a run changed in place, a run built element by element), table widths are the same with the cell
measures cached or not, and the member's blank check says what pandas says."""

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


_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_PARAGRAPHS = (
    "<w:r><w:t>2025年度の目標は20市町村です</w:t></w:r>",  # a token first, a plain part, a token last
    "<w:r><w:t>12.5%</w:t></w:r>",  # a cell wholly one token
    '<w:r><w:t xml:space="preserve"> 延べ 250人 </w:t></w:r>',  # spaces at the ends, a space in a token
    "<w:r><w:rPr><w:b/></w:rPr><w:t>合計 1,234千円（前年度比）</w:t></w:r>",  # properties copied to each part
    "<w:r><w:rPr><w:b/><w:lang w:val='ja-JP'/><w:specVanish/></w:rPr><w:t>令和7年3月31日まで</w:t></w:r>",
    "<w:r><w:t>回答</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>17/20</w:t></w:r><w:r><w:t>件です</w:t></w:r>",
    "<w:r w:rsidR='00AB12CD'><w:t>20市町村が参加</w:t></w:r>",  # an attribute: new runs, as before
    "<w:r><w:t>前半 3件</w:t><w:br/><w:t>後半 4件の取組</w:t></w:r>",  # two w:t and a break
    "<w:r><w:t>見出し</w:t><w:fldChar w:fldCharType='begin'/></w:r><w:r><w:t>2025年度</w:t></w:r>",  # a field
    "<w:r><w:rPr><w:i/></w:rPr><w:t>20市町村（斜体）</w:t></w:r>",  # italic: left as it is
)


def _kept(xml: str, in_place: bool, monkeypatch) -> bytes:
    from docx.oxml.parser import parse_xml

    with monkeypatch.context() as m:
        if not in_place:
            m.setattr(docxutil, "_in_place_split", lambda *a: False)
        body = parse_xml(f"<w:body {_W}><w:p>{xml}</w:p></w:body>")
        docxutil._keep_whole_paragraphs(body)
    return _xml(body)


def test_a_run_split_in_place_is_the_xml_of_new_runs_in_its_place(monkeypatch):
    for xml in _PARAGRAPHS:
        assert _kept(xml, True, monkeypatch) == _kept(xml, False, monkeypatch), xml
    # both ways were taken above, and the glue and the language went in
    taken = []
    in_place = docxutil._in_place_split
    monkeypatch.setattr(docxutil, "_in_place_split", lambda *a: taken.append(in_place(*a)) or taken[-1])
    kept = [_kept(xml, True, monkeypatch).decode() for xml in _PARAGRAPHS]
    assert True in taken and False in taken
    assert docxutil.WORD_JOINER in kept[0] and kept[0].count('w:eastAsia="en-US"') == 2
    assert docxutil.WORD_JOINER not in kept[-1]


def test_table_widths_are_the_same_with_the_cell_measures_cached_or_not(monkeypatch):
    from vision_report.outputs.reports.docxutil import _body_cell, fit_widths

    tables = [
        (["番号", "取組名", "支出額（千円）", "状況"], [["1-1", "プロモーション事業", "12,345,678", "実施"]] * 3, 0.0),
        (["指標", "値"], [["達成率", "94.7%"], ["未達成", "1,278\n※要確認"], ["○", "—"]], 4.0),
        (["総括の判定", "全年度・全関係市町村で実施"], [["A 2指標", "令和7年3月31日 15:35"]], 0.0),
    ]
    widths = {2: [10.0, 10.0], 4: [8.0, 20.0, 9.0, 6.0]}
    cached = [fit_widths([h, *rows], widths[len(h)], 8.5, room) for h, rows, room in tables]
    again = [fit_widths([h, *rows], widths[len(h)], 8.5, room) for h, rows, room in tables]
    monkeypatch.setattr(docxutil, "_body_cell", _body_cell.__wrapped__)
    uncached = [fit_widths([h, *rows], widths[len(h)], 8.5, room) for h, rows, room in tables]
    assert cached == again == uncached
    assert any(w != widths[len(h)] for w, (h, _, _) in zip(cached, tables, strict=True))  # some were widened


def test_nothing_written_is_what_pandas_finds():
    import pandas as pd

    from vision_report.outputs.reports.municipality import _blank

    cols = ("self_evaluation", "direction")
    frames = [
        {"self_evaluation": ["", ""], "direction": ["", ""]},
        {"self_evaluation": ["", "B"], "direction": ["", ""]},
        {"self_evaluation": ["", ""], "direction": ["継続", ""]},
    ]
    for data in frames:
        for dtype in (object, "string"):
            df = pd.DataFrame(data).astype(dtype)
            assert _blank(df, cols) == bool(df[list(cols)].eq("").all(axis=None)), (data, dtype)
    assert _blank(pd.DataFrame(frames[0]), cols) and not _blank(pd.DataFrame(frames[1]), cols)


def test_a_heading_level_python_docx_refuses_is_refused():
    from docx import Document

    doc = Document()
    for level in (-1, 10):
        try:
            docxutil.add_heading(doc, "見出し", level)
        except ValueError as exc:
            assert str(exc) == "level must be in range 0-9"
        else:
            raise AssertionError(f"level {level} was accepted")

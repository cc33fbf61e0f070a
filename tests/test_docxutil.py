"""Tables copied from a layout seen before must be the same XML as tables built by python-docx."""

from __future__ import annotations

from pathlib import Path

from docx.oxml.ns import qn
from docx.shared import Pt
from lxml import etree

from vision_report.outputs.reports.docxutil import _build_table, _first_body_row_may_split, add_table, new_document
from vision_report.outputs.reports.region_initiatives import _finish_grid

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "templates" / "report_style.docx"


def _xml(tbl) -> bytes:
    return etree.tostring(tbl, encoding="utf-8")


def _by_python_docx(header, rows, **kw):
    doc = new_document(TEMPLATE)
    table = _build_table(doc, header, rows, **kw)
    _first_body_row_may_split(table)  # as add_table does on either path
    return _xml(table._tbl)


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
    # a bracket at the start is a phrase of its own (review 3 #4: a header breaks between its words)
    assert break_header("（参考）合計値の列", 20, 8.5) == "（参考）\n合計値の列"
    assert break_header("評価", 5, 8.5) == "評価"


def test_a_header_too_wide_breaks_between_its_phrases_not_inside_a_word():
    """Review 3 #4: 「総括の判／定」「全年度・／全関係市／町／村で実施」 in a narrow column."""
    from vision_report.outputs.reports.docxutil import break_header

    assert break_header("総括の判定", 14, 8.5) == "総括の\n判定"
    assert break_header("評価の基準", 14, 8.5) == "評価の\n基準"
    assert break_header("全年度・全関係市町村で実施", 24, 8.5) == "全年度・\n全関係市町村で\n実施"
    assert break_header("全関係市町村が実施した年度", 18, 8.5) == "全関係市町村が\n実施した\n年度"
    assert break_header("全関係市町村が実施した年度", 24, 8.5) == "全関係市町村が\n実施した年度"
    assert break_header("KPIの評価\n（指標数）", 30, 8.5) == "KPIの評価\n（指標数）"  # the caller's lines stay
    assert break_header("実績値（20市町村計）", 20, 8.5) == "実績値\n（20市町村計）"
    assert break_header("（参考）合計値の列", 12, 8.5) == "（参考）\n合計値の列"  # never 「…の／列」 alone


def _whole(text: str, header: bool = False) -> list[str]:
    from vision_report.outputs.reports.docxutil import _token_spans

    return [text[a:b] for a, b in _token_spans(text, header)]


def test_a_label_and_its_rate_a_short_bracket_and_a_contact_name_are_kept_whole():
    """Review 3 #4: 「（達成率／94.7%」「評／価 A」「（人／/年）」「【基準／値】」「（20 市町村／計）」「熊本／市政策局…」."""
    assert _whole("KPI：受入数 445 人（達成率 94.7%・評価 B）")[-2:] == ["達成率 94.7%", "評価 B）"]
    # review 4 #8: the label with a rate took 「50%」 from 「50%以上」, and 「50%以／上」 broke in the 要旨's note
    assert _whole("C＝進捗率0%以上（達成率50%以上）")[-1].startswith("達成率50%以上")
    assert _whole("圏域内の創業者数（人/年）") == ["（人/年）"]
    assert _whole("現状維持【基準値】10,813（2019年）") == ["【基準値】", "（2019年）"]
    assert _whole("実績値（20市町村計）") == ["（20市町村計）"]
    # a longer bracket is a phrase that may wrap between its words; its 年度 and its last 2 stay whole
    assert _whole("（2022年度の統計）") == ["2022年度", "統計）"]  # not 「統／計）」
    # a bracket is not joined to a token beside it: 「令和7年度」／「（2025年度）」, 「（暦年）」／「（TEU）」
    assert _whole("ビジョン 令和7年度（2025年度）進捗状況報告書")[:2] == ["令和7年度", "（2025年度）"]
    assert _whole("取扱量（暦年）（TEU）") == ["（暦年）", "（TEU）"]
    text = "詳細は報告書をご覧ください。問合せ先：熊本市政策局総合政策部政策企画課"
    assert _whole(text) == ["問合せ先：熊本市政策局総合政策部政策企画課"]
    assert _whole("判定の方法：増加・水準の維持を目指す") == ["を目指す"]  # not a name ending the paragraph
    assert _whole("③ 物流機能の強化") == ["強化"]  # not 「強／化」 (the last 2 of a short line)


def test_a_grade_its_count_and_the_counts_unit_are_kept_whole():
    """「評価C 96／件」, 「A 2／指標」: the grade and its count were one token and the unit was left to break off."""
    # (a short quoted word is a token of its own too, review 6 P17)
    assert _whole("「実施」で評価C 96件、「一部実施」で評価B 23件")[:4] == [
        "「実施」",
        "C 96件",
        "「一部実施」",
        "B 23件",
    ]
    assert _whole("A 2指標・B 10指標・C 0指標・D 1指標") == ["A 2指標", "B 10指標", "C 0指標", "D 1指標"]
    assert _whole("（A 2・B 10）") == ["A 2", "B 10）"]  # a count without a unit as before


def test_a_header_keeps_each_phrase_whole_and_its_column_wide_enough_for_it():
    from vision_report.outputs.reports.docxutil import fit_widths, keep_whole, plain_text

    assert _whole("総括の\n判定", header=True) == ["総括の", "判定"]
    # (with the token 「全年度」 inside the first phrase)
    assert _whole("全年度・\n全関係市町村で\n実施", header=True) == ["全年度", "全年度・", "全関係市町村で", "実施"]
    assert _whole("実績値\n（20市町村計）", header=True) == ["実績値", "（20市町村計）"]
    # the glue is between the characters of a phrase, not between two phrases
    assert keep_whole("総括の判定", header=True) == "総\u2060括\u2060の判\u2060定"
    assert plain_text(keep_whole("全年度・全関係市町村で実施", header=True)) == "全年度・全関係市町村で実施"
    # a header's phrase wider than its column takes width from a wrapping column
    widths = fit_widths([["総括の判定", "KPI"], ["達成", "圏域内の創業者数の合計"]], [9, 60], 8.5)
    assert widths[0] >= 12 and sum(widths) == 69


def test_widths_stay_in_half_millimetres_and_add_up_to_the_table():
    """Rounding each column to half a millimetre put the table 1 mm over the text block (38 + 6 × 22 → 171); what
    the rounding puts over comes from the column with the most room, not from a narrow one."""
    from vision_report.outputs.reports.docxutil import _half_mm

    got = _half_mm([37.28, 23.67, 21.78, 21.78, 21.78, 21.78, 21.93], [24, 23.67] + [17.7] * 5, 170)
    assert sum(got) == 170 and got[1] == 23.5 and got[0] == 36.5
    assert (
        _half_mm([48.82, 23.67, 21.95, 23.98, 13.77, 15.95, 21.86], [24, 23.7, 20.8, 23.7, 12, 14.9, 18.8], 170)[4]
        == 14.0
    )


def test_a_target_label_puts_its_bracketed_label_on_a_line_of_its_own():
    """「現状維持【基準値】10,813（2019年）」: LibreOffice joins 「】」 to the figure after it (「基準値】10,81／3」), review 3 #4."""
    from types import SimpleNamespace

    from vision_report.outputs.reports.region_kpis import target_text

    kpi = SimpleNamespace(target_label="現状維持【基準値】10,813（2019年）")
    assert target_text(kpi) == "現状維持\n【基準値】\n10,813\n（2019年）"
    assert target_text(SimpleNamespace(target_label="12,460（2024年度）")) == "12,460\n（2024年度）"


def test_a_column_takes_width_first_from_a_column_of_figures_with_room_then_from_wrapping_text():
    """The header 「全年度・全関係市町村で実施」 needs its phrase 「全関係市町村で」: the room comes from the figures'
    column (1,000 in 30 mm) before the name's, which would wrap more (「プロモーショ／ン事業」)."""
    from vision_report.outputs.reports.docxutil import fit_widths

    rows = [["全年度・全関係市町村で実施", "名称", "計画"], ["○", "食の販路拡大・プロモーション事業", "1,000"]]
    assert fit_widths(rows, [14, 40, 30], 8.5) == [24.0, 40.0, 20.0]
    # not enough such room: the figures' column down to its figure, the rest from the name's
    assert fit_widths(rows, [14, 40, 15], 8.5) == [24.0, 32.0, 13.0]


def test_a_column_left_out_leaves_its_width_to_a_column_that_needs_it():
    """FY2024 has no 参考 column: the KPI table was 20 mm narrower and 「（20市町村計）」 did not fit its column
    (LibreOffice broke it 「（／20市町村計）」). The table grows by what the header needs, at most by ``room``."""
    from vision_report.outputs.reports.docxutil import fit_widths

    rows = [["計画", "実績値（20市町村計）"], ["14,892,145", "9,373"]]
    assert fit_widths(rows, [23, 20], 8.5) == [23.0, 20.0]  # no room to spare: as given
    assert fit_widths(rows, [23, 20], 8.5, room=20) == [23.0, 25.5]  # as much as the header needs
    assert fit_widths(rows, [23, 20], 8.5, room=3) == [23.0, 23.0]


def test_the_layout_cache_holds_no_report_and_stays_within_its_cell_budget(monkeypatch):
    """issue 21: a prototype kept from a document kept that whole document alive (lxml), and 256 prototypes of a
    municipality report's size held ~250 MB per process; now each is a standalone copy and the cache is bounded in
    cells, least recently used first."""
    import gc
    import weakref

    from vision_report.outputs.reports import docxutil

    docxutil._TABLE_PROTOS.clear()
    docxutil._PROTO_CELLS.clear()
    docxutil._TABLE_SEEN.clear()
    doc = new_document(TEMPLATE)
    part = weakref.ref(doc.part)
    add_table(doc, ["a", "b"], [["1", "2"]], widths=[20, 20])
    assert not docxutil._TABLE_PROTOS  # a layout seen once keeps no prototype
    add_table(doc, ["a", "b"], [["3", "4"]], widths=[20, 20])
    ((proto, _paths),) = docxutil._TABLE_PROTOS.values()
    assert proto.getroottree().getroot() is proto  # its own tree, not the document's body
    del doc
    gc.collect()
    assert part() is None  # the document is gone while its layout stays cached

    monkeypatch.setattr(docxutil, "_TABLE_PROTO_CELLS", 160)  # the rule, at a size a test builds quickly
    budget = docxutil._TABLE_PROTO_CELLS
    rows = budget // 8 // 2  # tables of 8 cells a row: two of them fill the budget
    for n in range(4):  # four layouts (row counts differ), each seen twice: the oldest ones go
        doc = new_document(TEMPLATE)
        for _ in range(2):
            add_table(doc, [str(c) for c in range(8)], [["x"] * 8] * (rows - n), widths=[10] * 8)
    assert sum(docxutil._PROTO_CELLS.values()) <= budget
    assert [k[-2] for k in docxutil._TABLE_PROTOS] == [(8,) * (rows - 2), (8,) * (rows - 3)]
    doc = new_document(TEMPLATE)
    for _ in range(2):
        add_table(doc, ["a"], [["x"]] * (budget + 1), widths=[20])  # larger than the whole budget: never cached
    assert len(docxutil._TABLE_PROTOS) == 2


def test_a_layout_seen_once_is_the_same_xml_as_its_copies_and_remembers_only_its_key(monkeypatch):
    """issue 21: the first table of a layout is built by python-docx and keeps no prototype (a municipality report's
    tables seldom repeat a layout); the second makes the prototype and the third copies it. All three are the same
    XML, byte for byte (empty cells included); the keys seen once are bounded, the oldest going first."""
    from vision_report.outputs.reports import docxutil

    docxutil._TABLE_PROTOS.clear()
    docxutil._PROTO_CELLS.clear()
    docxutil._TABLE_SEEN.clear()
    kw = {"widths": [30, 20, 20], "numeric": {1, 2}, "center": {0}, "fills": {1: "F2F2F2"}, "bold_rows": {2}}
    header = ["取組", "計画", "実績"]
    rows = [["1.1.1", "1,000", "500"], ["合計", "▲120", " 5 "], ["小計", "", "3"], ["x", "", "z"], ["", "y", ""]]
    doc = new_document(TEMPLATE)
    tables = []
    for k in range(3):
        tables.append(_xml(add_table(doc, header, rows, **kw)._tbl))
        assert len(docxutil._TABLE_PROTOS) == (0 if k == 0 else 1)
    assert tables[0] == tables[1] == tables[2]
    assert b"<w:t/>" not in tables[0] and b"<w:t></w:t>" not in tables[0]

    monkeypatch.setattr(docxutil, "_TABLE_SEEN_KEYS", 3)
    for n in range(5):
        add_table(doc, ["a"], [["x"]] * (n + 1), widths=[20])
    assert [k[-2] for k in docxutil._TABLE_SEEN] == [(1,) * 3, (1,) * 4, (1,) * 5]


def _kept(el) -> bool:
    paragraphs = [el] if el.tag == qn("w:p") else list(el.iter(qn("w:p")))
    return all(p.pPr is not None and p.pPr.keepNext_val for p in paragraphs)


def test_keep_table_ends_keeps_a_tables_last_rows_with_its_first_notes_and_a_caption_with_its_notes():
    """Issue 18: a table's last row alone atop a page, a note parted from its table or a chart's caption from its
    note. The last 3 body rows stay together, the last row with the first note, the notes with each other; a
    caption with the notes under it; a table with nothing noted under it keeps only its last rows."""
    from vision_report.outputs.reports.docxutil import add_note, keep_table_ends

    doc = new_document(TEMPLATE)
    doc.add_heading("表", level=2)
    noted = add_table(doc, ["a", "b"], [[str(k), "x"] for k in range(8)], widths=[20, 20])
    notes = [add_note(doc, f"※ 注{k}") for k in range(4)]
    text = doc.add_paragraph("本文")
    plain = add_table(doc, ["a", "b"], [[str(k), "x"] for k in range(5)], widths=[20, 20])
    after = doc.add_paragraph("本文")
    caption = doc.add_paragraph("図 グラフ", style="Caption")
    chart_note = add_note(doc, "※ グラフの注")
    lone = doc.add_paragraph("図 注のないグラフ", style="Caption")
    keep_table_ends(doc, 3)
    # the header with the first row (add_table), then the rows that may break, then the last 3 with the notes
    assert [_kept(tr) for tr in noted._tbl.tr_lst] == [True] * 4 + [False] * 2 + [True] * 3
    assert [_kept(p._p) for p in notes] == [True, True, True, False]
    assert _kept(text._p)  # by add_table: the paragraph before a table goes with it
    assert [_kept(tr) for tr in plain._tbl.tr_lst] == [True] * 5 + [False]  # short: kept whole but for the last
    assert not _kept(after._p)
    assert (_kept(caption._p), _kept(chart_note._p), _kept(lone._p)) == (True, False, False)
    # written as Word writes it: the bare element (the OOXML validator flags w:val="true")
    body = doc.element.body
    assert body.findall(f".//{qn('w:keepNext')}") and not [
        k for k in body.iter(qn("w:keepNext")) if k.get(qn("w:val")) is not None
    ]
    keep_table_ends(doc, 0)  # page_flow.keep_edge_rows 0: nothing more kept


def test_keep_table_ends_with_no_rows_to_keep_changes_nothing():
    from vision_report.outputs.reports.docxutil import add_note, keep_table_ends

    doc = new_document(TEMPLATE)
    table = add_table(doc, ["a", "b"], [[str(k), "x"] for k in range(4)], widths=[20, 20])
    note = add_note(doc, "※ 注")
    keep_table_ends(doc, 0)
    assert [_kept(tr) for tr in table._tbl.tr_lst] == [True, False, False, False, False] and not _kept(note._p)


def test_a_short_quoted_word_and_its_count_are_kept_whole():
    """review 6 P17: 「拡／充」8件 and 「改／善」53件 broke inside the quoted word at a line's end."""
    from vision_report.outputs.reports.docxutil import keep_whole

    j = "\u2060"
    assert keep_whole("方向性は「拡充」8件・「改善」53件、その他の取組があります。") == (
        f"方向性は「{j}拡{j}充{j}」{j}8{j}\u202f{j}件・「{j}改{j}善{j}」{j}53{j}\u202f{j}件、その他の取組があり{j}ま{j}す{j}。"
    )


# ---------------------------------------------------------------- the direct primitives equal python-docx's calls


def _pair():
    """Two documents with the same styles: one built with python-docx's calls, one with docxutil's primitives."""
    return new_document(TEMPLATE), new_document(TEMPLATE)


def _body(doc) -> bytes:
    return b"".join(_xml(el) for el in doc.element.body if el.tag == qn("w:p"))


TEXTS = [
    "本文",
    " 前後に空白 ",
    "",
    "タブ\tと改行\nを含む",
    "A 2指標（94.7%）",
    "末尾の空白 ",
    "改行で終わる\n",
    "\n改行で始まる",
    "復帰と改行\r\nの間 \n 空白",
    "\t\t",
    "\n",
]


def test_add_text_writes_what_add_run_writes():
    from vision_report.outputs.reports.docxutil import add_text

    theirs, ours = _pair()
    for text in TEXTS:
        for bold in (False, True):
            p = theirs.add_paragraph()
            run = p.add_run(text)
            if bold:
                run.bold = True
            q = ours.add_paragraph()
            mine = add_text(q, text, bold)
            assert mine.text == run.text and mine.bold == run.bold
    assert _body(ours) == _body(theirs)


def test_add_paragraph_and_add_heading_write_what_python_docx_writes():
    from vision_report.outputs.reports.docxutil import add_heading, add_paragraph

    theirs, ours = _pair()
    for text in TEXTS:
        for style in (None, "Title", "List Bullet", "Normal", "注記"):
            assert add_paragraph(ours, text, style).text == theirs.add_paragraph(text, style).text
    for level in (0, 1, 2, 3):
        assert (
            add_heading(ours, "見出し 2025年度", level).style.name
            == theirs.add_heading("見出し 2025年度", level).style.name
        )
    assert _body(ours) == _body(theirs)
    assert b'<w:pPr><w:pStyle w:val="Title"/></w:pPr>' in _body(ours) and b"<w:pPr/>" in _body(ours)


def test_keep_next_and_the_style_id_write_what_python_docx_writes():
    from vision_report.outputs.reports.docxutil import keep_with_next, set_style_id

    theirs, ours = _pair()
    note = theirs.styles["注記"].style_id
    # a plain paragraph, a styled one (keepNext after w:pStyle), one already kept (twice) and one set off first
    for styled, before in ((False, None), (True, None), (True, True), (False, False), (True, False)):
        p, q = theirs.add_paragraph("本文"), ours.add_paragraph("本文")
        if styled:
            p._p.style = note
            set_style_id(q._p, note)
        if before is not None:
            p.paragraph_format.keep_with_next = before
            q.paragraph_format.keep_with_next = before
        p.paragraph_format.space_before = Pt(6)  # a later pPr child: keepNext goes before it
        q.paragraph_format.space_before = Pt(6)
        p.paragraph_format.keep_with_next = True
        assert keep_with_next(q) is q
    # a style set on a paragraph that has other properties already: w:pStyle goes first
    p, q = theirs.add_paragraph("本文"), ours.add_paragraph("本文")
    p.paragraph_format.keep_with_next = True
    q.paragraph_format.keep_with_next = True
    p._p.style = note
    set_style_id(q._p, note)
    assert _body(ours) == _body(theirs)
    assert b"<w:keepNext/>" in _body(ours) and b'w:val="0"' not in _body(ours)


def test_the_quick_check_for_a_token_never_skips_a_text_that_holds_one():
    """``_MAY_HOLD_TOKEN`` lets a text skip the long expression of tokens only when the expression finds nothing in
    it: one text per kind of token, full-width figures, and every phrase of the report templates."""
    import yaml

    from vision_report.outputs.reports.docxutil import _MAY_HOLD_TOKEN, _WHOLE

    kinds = [
        "令和7年4月1日 9:30",
        "4月1日",
        "20市町村",
        "２０市町村",  # full-width figures are figures too
        "評価 A 2指標",
        "次年度",
        "完了・一部実施 2・未実施",
        "（改善 7（17/20回答））",
        "達成率 94.7%",
        "（人/年）",
        "【基準値】",
        "「拡充」8件",
        "問合せ先：熊本市政策局総合政策部政策企画課",
    ]
    for text in kinds:
        assert _WHOLE.search(text), text
        assert _MAY_HOLD_TOKEN.search(text), text

    def strings(node):
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            for v in node.values():
                yield from strings(v)
        elif isinstance(node, list):
            for v in node:
                yield from strings(v)

    seen = 0
    for path in sorted((ROOT / "templates").rglob("*.yaml")):
        for text in strings(yaml.safe_load(path.read_text(encoding="utf-8"))):
            if _WHOLE.search(text):
                seen += 1
                assert _MAY_HOLD_TOKEN.search(text), (path.name, text)
    assert seen > 50
    assert not _MAY_HOLD_TOKEN.search("熊本市・菊池市") and not _WHOLE.search("熊本市・菊池市")


def test_a_new_row_and_an_alignment_write_what_python_docx_writes():
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.shared import Mm

    from vision_report.outputs.reports.docxutil import _add_row, keep_with_next, set_alignment, set_style_id

    theirs, ours = _pair()
    widths = [14, 40.5, 16]
    a, b = theirs.add_table(rows=0, cols=3), ours.add_table(rows=0, cols=3)
    row = a.add_row()
    for cell, w in zip(row.cells, widths, strict=True):
        cell.width = Mm(w)
    _row, cells = _add_row(b, widths)
    assert [c._tc for c in cells] == list(_row._tr.iterchildren(qn("w:tc")))
    assert _xml(b._tbl) == _xml(a._tbl)
    note = theirs.styles["注記"].style_id
    # alignment on a plain, a styled and a kept paragraph (appended last), and one with a later property (python-docx)
    for styled, kept, later in ((False, False, False), (True, False, False), (True, True, False), (True, True, True)):
        for align in (WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT):
            p, q = theirs.add_paragraph("12"), ours.add_paragraph("12")
            if styled:
                p._p.style = note
                set_style_id(q._p, note)
            if kept:
                p.paragraph_format.keep_with_next = True
                keep_with_next(q)
            if later:
                p._p.get_or_add_pPr().append(OxmlElement("w:rPr"))  # the paragraph mark's properties
                q._p.get_or_add_pPr().append(OxmlElement("w:rPr"))
            p.alignment = align
            set_alignment(q, align)
    assert _body(ours) == _body(theirs)
    assert b'<w:jc w:val="right"/>' in _body(ours)


def test_the_tests_text_getters_read_what_python_docxs_own_read():
    """tests/conftest.py reads a run's, a hyperlink's and a paragraph's text without XPath: on a paragraph with
    every kind of run content (a tab, line and page breaks, a carriage return, a non-breaking hyphen, a position
    tab, a picture's place, a hyperlink) and on a whole report, they give what python-docx's getters give."""
    import io

    from docx import Document
    from docx.oxml.parser import oxml_parser
    from docx.oxml.text.hyperlink import CT_Hyperlink
    from docx.oxml.text.paragraph import CT_P
    from docx.oxml.text.run import CT_R

    from tests.report_cache import region_docx
    from tests.test_region_layout import _data, _rows
    from vision_report.core.config import load_settings
    from vision_report.plan import load_plan

    own = {cls: cls.__dict__["text"].fget.xpath_getter for cls in (CT_R, CT_P, CT_Hyperlink)}
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    p = etree.fromstring(
        f'<w:p {w}><w:pPr/><w:r><w:t>前</w:t><w:tab/><w:t xml:space="preserve"> 1,234 </w:t><w:br/>'
        '<w:br w:type="page"/><w:cr/><w:noBreakHyphen/><w:ptab w:alignment="left" w:relativeTo="margin" '
        'w:leader="none"/><w:drawing/></w:r><w:hyperlink><w:r><w:t>リンク</w:t></w:r><w:r><w:tab/></w:r>'
        "</w:hyperlink><w:bookmarkStart/><w:r><w:t>後</w:t></w:r></w:p>",
        parser=oxml_parser,
    )
    plan = load_plan(load_settings(ROOT).plan_dir_for(2025))
    doc = Document(io.BytesIO(region_docx(_data(plan, _rows(plan)))))
    paragraphs = [p, *doc.element.body.iter(qn("w:p"))]
    assert len(paragraphs) > 1000
    for el in paragraphs:
        assert el.text == own[CT_P](el)
        for child in el:
            if isinstance(child, CT_R | CT_Hyperlink):
                assert child.text == own[type(child)](child)
    assert p.text == "前\t 1,234 \n\n-\tリンク\t後"


def test_the_package_is_zipped_once_with_the_bytes_of_python_docx_saved_and_rezipped():
    """issue 21: the .docx is written straight from python-docx's package writer into a zip with the issue date on
    every entry, instead of python-docx's save followed by a second zip of every entry. Both give the same bytes, for
    a document with a footer, properties, a picture and tables; the installed python-docx takes the direct way."""
    import io
    import struct
    import zipfile
    import zlib
    from datetime import date

    from vision_report.outputs.reports import docxutil
    from vision_report.outputs.reports.docxutil import DocProps, add_picture, page_number_footer

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 1, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(b"\x00" + b"\xff\x00\x00" * 2)) + chunk(b"IEND", b"")

    assert docxutil._PACKAGE_WRITER_STEPS is not None  # a python-docx whose writer changed: look at _package_zip
    doc = new_document(TEMPLATE, DocProps(title="試験", author="事務局", issued=date(2025, 6, 1)))
    page_number_footer(doc.sections[0])
    for _ in range(3):
        add_table(doc, ["項目", "値"], [["a", "1"], ["b", ""]], widths=[40, 20], numeric={1})
    add_picture(doc, png, 80, "図1")
    when = doc._vr_zip_time
    assert when[:3] == (2025, 6, 1)
    direct = docxutil.docx_bytes(doc)  # keeps numbers whole first, then the direct way
    assert direct == docxutil._rezipped(doc, when) == docxutil._package_zip(doc, when)
    with zipfile.ZipFile(io.BytesIO(direct)) as z:
        names = z.namelist()
        assert names[0] == "[Content_Types].xml" and "word/media/image1.png" in names
        assert {i.date_time for i in z.infolist()} == {when}


def test_documents_of_one_template_share_their_style_lookups_until_one_adds_a_style():
    """issue 21: each municipality report looked up its style names again (python-docx walks every style of the
    template per name). Documents of one template share the ids found; a document that added a style (the region
    report's TOC styles) looks its names up apart, so another document never gets a style it does not have."""
    import pytest
    from docx.enum.style import WD_STYLE_TYPE

    from vision_report.outputs.reports import docxutil

    docxutil._STYLE_IDS.clear()
    first, second = new_document(TEMPLATE), new_document(TEMPLATE)
    heading = first.part.get_style_id("Heading 2", WD_STYLE_TYPE.PARAGRAPH)
    assert heading and second.part.get_style_id("Heading 2", WD_STYLE_TYPE.PARAGRAPH) == heading
    assert len(docxutil._STYLE_IDS) == 1  # one lookup table for the two documents
    first.styles.add_style("目次 9", WD_STYLE_TYPE.PARAGRAPH)
    added = first.part.get_style_id("目次 9", WD_STYLE_TYPE.PARAGRAPH)
    assert added and first.part.get_style_id("Heading 2", WD_STYLE_TYPE.PARAGRAPH) == heading
    with pytest.raises(KeyError):  # the other document does not have it, and still says so
        second.part.get_style_id("目次 9", WD_STYLE_TYPE.PARAGRAPH)
    with pytest.raises(KeyError):
        new_document(TEMPLATE).part.get_style_id("目次 9", WD_STYLE_TYPE.PARAGRAPH)
    assert docxutil.has_style(first, "List Bullet") and not docxutil.has_style(second, "目次 9")

"""python-docx helpers: the style template, tables filled row by row, fields (TOC, page numbers), atomic save."""

from __future__ import annotations

import copy
import io
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table

from ..atomic import write_bytes

HEADER_FILL = "DCE6F1"
SUBTLE_FILL = "F2F2F2"


@lru_cache(maxsize=4)
def _template_bytes(path: str, mtime_ns: int, size: int) -> bytes:
    return Path(path).read_bytes()


def new_document(template: Path | None = None):
    """A document with the styles of templates/report_style.docx (or python-docx's default)."""
    if template is not None and template.is_file():
        st = template.stat()  # a template restyled while `vision-report watch` runs is read again
        data = _template_bytes(str(template), st.st_mtime_ns, st.st_size)
        doc = Document(io.BytesIO(data))
        doc._vr_template_key = (str(template), st.st_mtime_ns, st.st_size)  # same styles, same table XML
        return doc
    doc = Document()
    doc._vr_template_key = "python-docx default"
    return doc


def _fld(run, instr: str, placeholder: str = "") -> None:
    """A complex field (TOC, PAGE) inside ``run``; Word fills it in (LibreOffice too, for PAGE)."""
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    begin.set(qn("w:dirty"), "true")
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instr} "
    sep = OxmlElement("w:fldChar")
    sep.set(qn("w:fldCharType"), "separate")
    shown = OxmlElement("w:t")
    shown.text = placeholder
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    for el in (begin, text, sep, shown, end):
        run._r.append(el)


def add_toc(doc, entries: list[str], note: str) -> None:
    """A TOC field whose shown result lists the headings (Word rebuilds it with page numbers on opening)."""
    first = doc.add_paragraph()
    run = first.add_run()
    for tag, attrs, text in (
        ("w:fldChar", {"w:fldCharType": "begin", "w:dirty": "true"}, None),
        ("w:instrText", {"xml:space": "preserve"}, ' TOC \\o "1-2" \\h \\z \\u '),
        ("w:fldChar", {"w:fldCharType": "separate"}, None),
    ):
        el = OxmlElement(tag)
        for k, v in attrs.items():
            el.set(qn(k), v)
        if text:
            el.text = text
        run._r.append(el)
    first.add_run(note)
    for entry in entries:
        doc.add_paragraph(entry)
    last = doc.add_paragraph()
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    last.add_run()._r.append(end)
    settings = doc.settings.element
    upd = settings.find(qn("w:updateFields"))
    if upd is None:
        upd = OxmlElement("w:updateFields")
        settings.append(upd)
    upd.set(qn("w:val"), "true")  # Word offers to update the TOC and page numbers on opening


def keep_together(table) -> None:
    """Keep a small table on one page together with what follows it."""
    for row in table.rows:
        for cell in row.cells:
            for p in cell.paragraphs:
                p.paragraph_format.keep_with_next = True


def page_number_footer(section, prefix: str = "") -> None:
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if prefix:
        p.add_run(prefix)
    run = p.add_run()
    _fld(run, "PAGE", "1")
    run.font.size = Pt(9)


def shade(cell, fill: str) -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tcpr.append(shd)


def repeat_header(row) -> None:
    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    trpr.append(el)


def cant_split(row) -> None:
    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:cantSplit")
    el.set(qn("w:val"), "true")
    trpr.append(el)


def _set_widths(table, widths_mm: list[float]) -> None:
    table.autofit = False
    tbl = table._tbl
    grid = tbl.tblGrid
    for gc, w in zip(grid.findall(qn("w:gridCol")), widths_mm, strict=False):
        gc.set(qn("w:w"), str(int(Mm(w).twips)))
    tblpr = tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tblpr.append(layout)
    margins = OxmlElement("w:tblCellMar")  # narrower cell padding than Word's default 1.9 mm
    for side in ("left", "right"):
        m = OxmlElement(f"w:{side}")
        m.set(qn("w:w"), "57")
        m.set(qn("w:type"), "dxa")
        margins.append(m)
    tblpr.append(margins)


def _style_or_none(doc, name: str):
    try:
        return doc.styles[name]
    except KeyError:
        return None


def _put(cell, text: str, style, align=None, bold: bool = False) -> None:
    p = cell.paragraphs[0]
    if style is not None:
        # set the style id directly: python-docx's ``p.style = …`` scans every style of the document per call
        p._p.style = style.style_id
    run = p.add_run(text)
    if bold:
        run.bold = True
    if align is not None:
        p.alignment = align


def add_table(
    doc,
    header: list[str],
    rows: list[list[str]],
    *,
    widths: list[float],
    numeric=frozenset(),
    center=frozenset(),
    header_rows: int = 1,
    fills: dict[int, str] | None = None,
    bold_rows=frozenset(),
    finish: Callable | None = None,
):
    """A grid table, header repeated on every page, numbers right-aligned.

    ``finish(table)`` may restyle the built table (merge cells, keep it on one page). A table of a layout seen
    before (same styles template, header, widths, alignment, fills, bold rows, row lengths and ``finish``) is a
    copy of the first one's XML with only the cell texts replaced: python-docx costs milliseconds per cell, a copy
    does not. The result is the same XML either way. Texts with a line break or a tab always take python-docx.
    """
    template_key = getattr(doc, "_vr_template_key", None)
    if template_key is None or any(_special(v) for r in rows for v in r):
        return _build_table(
            doc,
            header,
            rows,
            widths=widths,
            numeric=numeric,
            center=center,
            fills=fills,
            bold_rows=bold_rows,
            finish=finish,
        )
    key = (
        template_key,
        tuple(header),
        tuple(widths),
        frozenset(numeric),
        frozenset(center),
        header_rows,
        tuple(sorted((fills or {}).items())),
        frozenset(bold_rows),
        tuple(len(r) for r in rows),
        finish,
    )
    proto = _TABLE_PROTOS.get(key)
    if proto is None:
        # build once with a marker in every body cell, note where each marker ended up, keep the XML
        table = _build_table(
            doc,
            header,
            [[_MARK] * len(r) for r in rows],
            widths=widths,
            numeric=numeric,
            center=center,
            fills=fills,
            bold_rows=bold_rows,
            finish=None,
        )
        tbl = table._tbl
        marks = [t for t in tbl.iter(qn("w:t")) if t.text == _MARK]  # cell order, before finish moves any
        if finish is not None:
            finish(table)
        paths = [_index_path(tbl, t) for t in marks]  # None: ``finish`` dropped that cell's text
        tbl.getparent().remove(tbl)
        if len(_TABLE_PROTOS) >= _TABLE_PROTO_LIMIT:
            _TABLE_PROTOS.clear()
        proto = _TABLE_PROTOS[key] = (tbl, paths)
    tbl = copy.deepcopy(proto[0])
    empty = []
    for path, text in zip(proto[1], (v for r in rows for v in r), strict=True):
        if path is None:
            continue
        t = tbl
        for i in path:
            t = t[i]
        if text:
            t.text = text
            if text != text.strip():
                t.set(qn("xml:space"), "preserve")
        else:
            empty.append(t)  # python-docx writes a run without w:t for an empty text
    for t in empty:
        t.getparent().remove(t)
    doc._body._element._insert_tbl(tbl)
    return Table(tbl, doc._body)


def _special(text: str) -> bool:
    """python-docx turns a line break or tab into its own element: such a text cannot go into a copied w:t."""
    return "\n" in text or "\t" in text


_MARK = "\u2063#\u2063"  # never in a report's text
_TABLE_PROTOS: dict[tuple, tuple] = {}
_TABLE_PROTO_LIMIT = 256


def _index_path(root, el) -> tuple[int, ...] | None:
    path = []
    while el is not root:
        parent = el.getparent()
        if parent is None:
            return None
        path.append(parent.index(el))
        el = parent
    return tuple(reversed(path))


def _build_table(
    doc,
    header: list[str],
    rows: list[list[str]],
    *,
    widths: list[float],
    numeric=frozenset(),
    center=frozenset(),
    fills: dict[int, str] | None = None,
    bold_rows=frozenset(),
    finish: Callable | None = None,
):
    """The python-docx way, filled row by row (never ``Table.cell()``, which rebuilds the grid on every call)."""
    table = doc.add_table(rows=0, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _set_widths(table, widths)
    head_style = _style_or_none(doc, "表見出し")
    body_style = _style_or_none(doc, "表本文")
    row = table.add_row()
    repeat_header(row)
    cant_split(row)
    for cell, text, w in zip(row.cells, header, widths, strict=True):
        cell.width = Mm(w)
        shade(cell, HEADER_FILL)
        _put(cell, text, head_style, WD_ALIGN_PARAGRAPH.CENTER, bold=head_style is None)
    proto = None  # a plain body row, copied as XML for the next plain rows
    for k, values in enumerate(rows):
        fill = (fills or {}).get(k)
        plain = not fill and k not in bold_rows and not any(_special(v) for v in values)
        if plain and proto is not None:
            tr = copy.deepcopy(proto)
            for t, text in zip(tr.iter(qn("w:t")), values, strict=True):
                t.text = text
            table._tbl.append(tr)
            continue
        row = table.add_row()
        cant_split(row)
        for j, (cell, text, w) in enumerate(zip(row.cells, values, widths, strict=True)):
            cell.width = Mm(w)
            align = WD_ALIGN_PARAGRAPH.RIGHT if j in numeric else (WD_ALIGN_PARAGRAPH.CENTER if j in center else None)
            _put(cell, text, body_style, align, bold=k in bold_rows)
            if fill:
                shade(cell, fill)
        if plain and proto is None and all(len(list(tc.iter(qn("w:t")))) == 1 for tc in row._tr.tc_lst):
            proto = copy.deepcopy(row._tr)
    if finish is not None:
        finish(table)
    return table


def merge_column(table, col: int, first: int, last: int) -> None:
    """Merge rows first..last of column ``col`` (vertical merge); the first cell's text is the merged cell's, the
    others' is dropped."""
    for row in table.rows[first + 1 : last + 1]:
        for p in row.cells[col].paragraphs:  # dropped, not carried into the merged cell as extra lines
            for r in list(p._p.r_lst):
                p._p.remove(r)
    table.rows[first].cells[col].merge(table.rows[last].cells[col])


def add_note(doc, text: str):
    style = _style_or_none(doc, "注記")
    p = doc.add_paragraph(style=style) if style is not None else doc.add_paragraph()
    p.add_run(text)
    return p


def add_picture(doc, png: bytes, width_mm: float, caption: str | None = None) -> None:
    doc.add_picture(io.BytesIO(png), width=Mm(width_mm))
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.paragraphs[-1].paragraph_format.keep_with_next = caption is not None
    if caption:
        style = _style_or_none(doc, "Caption")
        p = doc.add_paragraph(caption, style=style) if style is not None else doc.add_paragraph(caption)
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER


def page_break(doc) -> None:
    doc.add_page_break()


def clone(el):
    return copy.deepcopy(el)


def save(doc, path: Path) -> Path:
    buf = io.BytesIO()
    doc.save(buf)
    write_bytes(path, buf.getvalue())
    return path

"""python-docx helpers: A4, East Asian fonts on styles, tables filled row by row, atomic save."""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from ..atomic import write_bytes

FONT_LATIN = "Yu Mincho"
FONT_EA = "游明朝"
FONT_HEAD_EA = "游ゴシック"


def set_east_asian(style, latin: str, east_asian: str) -> None:
    style.font.name = latin
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi"):
        fonts.set(qn(attr), latin)
    fonts.set(qn("w:eastAsia"), east_asian)


def new_document() -> Document:
    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.left_margin = sec.right_margin = Mm(20)
    sec.top_margin = sec.bottom_margin = Mm(20)
    set_east_asian(doc.styles["Normal"], FONT_LATIN, FONT_EA)
    doc.styles["Normal"].font.size = Pt(10.5)
    for name in ("Title", "Heading 1", "Heading 2", "Heading 3"):
        set_east_asian(doc.styles[name], "Yu Gothic", FONT_HEAD_EA)
    return doc


def repeat_header(row) -> None:
    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    trpr.append(el)


def add_table(doc, header: list[str], rows: list[list[str]], numeric: set[int] = frozenset(), widths=None):
    """A grid table with a repeated header row; numeric columns right-aligned. Filled row by row."""
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    hdr = table.rows[0]
    repeat_header(hdr)
    for cell, text in zip(hdr.cells, header, strict=True):
        cell.text = text
        p = cell.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        for r in p.runs:
            r.bold = True
    for values in rows:
        cells = table.add_row().cells
        for j, (cell, text) in enumerate(zip(cells, values, strict=True)):
            cell.text = text
            if j in numeric:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    if widths:
        for row in table.rows:
            for cell, w in zip(row.cells, widths, strict=False):
                cell.width = Mm(w)
    return table


def save(doc, path: Path) -> Path:
    buf = io.BytesIO()
    doc.save(buf)
    write_bytes(path, buf.getvalue())
    return path

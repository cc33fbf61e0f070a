"""Build templates/report_style.docx: the styles every Word report uses (A4, fonts, headings, tables).

    python tools/make_report_template.py

A coordinator may instead open templates/report_style.docx in Word, change the styles (fonts, sizes,
colours, margins) and save it: the reports take the look from that file, the content from the code.
The document body of the template is ignored.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from vision_report.core.atomic import write_bytes
from vision_report.core.config import load_settings
from vision_report.outputs.reports.context import issue_date
from vision_report.outputs.reports.docxutil import DocProps, docx_bytes, drop_stale_parts, set_properties
from vision_report.plan import load_plan

ROOT = Path(__file__).resolve().parents[1]
MINCHO = ("Yu Mincho", "游明朝")
GOTHIC = ("Yu Gothic", "游ゴシック")


def fonts(
    style, latin_ea: tuple[str, str], size: float | None = None, bold: bool | None = None, color: RGBColor | None = None
) -> None:
    latin, ea = latin_ea
    style.font.name = latin
    rpr = style.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    rfonts.set(qn("w:ascii"), latin)
    rfonts.set(qn("w:hAnsi"), latin)
    rfonts.set(qn("w:eastAsia"), ea)
    if size:
        style.font.size = Pt(size)
    if bold is not None:
        style.font.bold = bold
    if color is not None:
        style.font.color.rgb = color


def main() -> Path:
    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.left_margin = sec.right_margin = Mm(20)
    sec.top_margin, sec.bottom_margin = Mm(20), Mm(18)
    st = doc.styles
    fonts(st["Normal"], MINCHO, 10.5)
    st["Normal"].paragraph_format.space_after = Pt(4)
    navy = RGBColor(0x1F, 0x3A, 0x5F)
    fonts(st["Title"], GOTHIC, 24, True, navy)
    fonts(st["Subtitle"], GOTHIC, 16, False, navy)
    for name, size in (("Heading 1", 16), ("Heading 2", 13), ("Heading 3", 11)):
        fonts(st[name], GOTHIC, size, True, navy)
        st[name].paragraph_format.keep_with_next = True
        st[name].paragraph_format.space_before = Pt(12 if name == "Heading 1" else 8)
    st["Heading 1"].paragraph_format.page_break_before = True
    fonts(st["Caption"], GOTHIC, 9, False, RGBColor(0x33, 0x33, 0x33))
    for name, size, bold in (("表本文", 8.5, False), ("表見出し", 8.5, True), ("注記", 8.5, False)):
        s = st.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        s.base_style = st["Normal"]
        fonts(s, GOTHIC if bold else MINCHO, size, bold)
        s.paragraph_format.space_after = Pt(0)
        s.paragraph_format.space_before = Pt(0)
    st["表見出し"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    st["注記"].font.color.rgb = RGBColor(0x44, 0x44, 0x44)
    s = st.add_style("表紙", WD_STYLE_TYPE.PARAGRAPH)
    s.base_style = st["Normal"]
    fonts(s, GOTHIC, 14, False, navy)
    s.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    lang = doc.styles.element.find(
        qn("w:docDefaults") + "/" + qn("w:rPrDefault") + "/" + qn("w:rPr") + "/" + qn("w:lang")
    )
    lang.set(qn("w:val"), "ja-JP")  # python-docx's default document says en-US for every script
    lang.set(qn("w:eastAsia"), "ja-JP")
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    drop_stale_parts(doc)  # python-docx's stylesWithEffects disagrees with the styles above: Word would "repair"
    meta = load_plan(load_settings(ROOT).plan_dir).meta
    set_properties(
        doc,
        DocProps(
            title=f"{meta.title} 進捗状況報告書（書式）",
            author=meta.office or meta.alliance,
            issued=issue_date(meta.revision),  # fixed: the same generator gives the same file
            subject=meta.alliance,
        ),
    )
    out = ROOT / "templates" / "report_style.docx"
    write_bytes(out, docx_bytes(doc))
    return out


if __name__ == "__main__":
    print(main())

"""python-docx helpers: the style template, tables filled row by row, fields (TOC, page numbers), atomic save.

Why one module of ~600 lines: these are the Word primitives every report shares (styles, tables, column widths
fitted to their figures, fields, deterministic zip output); splitting them would spread the Open XML details that
tests/test_docx_schema.py checks over several files."""

from __future__ import annotations

import copy
import io
import re
import unicodedata
import weakref
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import nsmap, qn
from docx.oxml.parser import oxml_parser
from docx.oxml.table import CT_Tc
from docx.parts.styles import StylesPart
from docx.shared import Mm, Pt
from docx.table import Table, _Cell, _Row
from docx.text.run import Run

from vision_report.core.atomic import write_bytes

# The key of the table-copy cache per document (by its main part): which template its styles, and so its
# table XML, came from.
_TEMPLATE_KEYS: weakref.WeakKeyDictionary[Any, object] = weakref.WeakKeyDictionary()
HEADER_FILL = "DCE6F1"
SUBTLE_FILL = "F2F2F2"


@lru_cache(maxsize=4)
def _template_bytes(path: str, mtime_ns: int, size: int) -> bytes:
    return Path(path).read_bytes()


def new_document(template: Path | None = None, props: DocProps | None = None, share_styles: bool = False):
    """A document with the styles of templates/report_style.docx (or python-docx's default) and, given ``props``,
    its document properties.

    ``share_styles``: the document reads the template's styles but never adds or changes one (a municipality
    report; not the region report, which adds its TOC styles). Its styles part is the one of the template parsed,
    serialized and deflated once per process (:class:`_SharedStyles`): 9,108 elements that each of 1,741 reports
    parsed, wrote and compressed again (~8 ms of a report's ~50). The bytes are the same."""
    shared = None
    if template is not None and template.is_file():
        st = template.stat()  # a template restyled while `vision-report watch` runs is read again
        key = (str(template), st.st_mtime_ns, st.st_size)
        data = _template_bytes(*key)
        shared = _shared_styles(key, data) if share_styles else None
        doc = Document(io.BytesIO(data if shared is None else shared.stub))
        _TEMPLATE_KEYS[doc.part] = key  # same styles, same table XML
    else:
        doc = Document()
        _TEMPLATE_KEYS[doc.part] = "python-docx default"
    drop_stale_parts(doc)
    if shared is None:
        latin_language(doc)
    else:
        _adopt_styles(doc, shared)
    _remember_style_ids(doc)
    if props is not None:
        set_properties(doc, props)
    return doc


class _SharedStyles:
    """A template's styles part as every document that shares it writes it: the element (after
    :func:`latin_language`), its serialization and that deflated as a zip entry; ``stub`` is the template with an
    empty styles part (what such a document loads instead of parsing the styles again)."""

    __slots__ = ("element", "blob", "deflated", "children", "stub", "italic", "named")

    def __init__(self, data: bytes) -> None:
        doc = Document(io.BytesIO(data))
        part: Any = doc.part.part_related_by(RT.STYLES)  # KeyError: none (python-docx makes one per document)
        latin_language(doc)
        self.element = part.element
        self.children = len(self.element)
        self.blob = part.blob
        deflate = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)  # as zipfile deflates
        self.deflated = deflate.compress(self.blob) + deflate.flush()
        self.italic = italic_styles(doc)
        self.named: dict[str, Any] = {}  # style name -> the style (python-docx's proxy of the shared element) or None
        self.stub = _with_entry(data, part.partname.membername, _EMPTY_STYLES)


_EMPTY_STYLES = f'<w:styles xmlns:w="{nsmap["w"]}"/>'.encode()
_SHARED: OrderedDict[tuple, _SharedStyles | None] = OrderedDict()  # by template (path, mtime, size); a few at most


def _shared_styles(key: tuple, data: bytes) -> _SharedStyles | None:
    """The template's shared styles part, made once per process; None for a template without one."""
    if key not in _SHARED:
        try:
            _SHARED[key] = _SharedStyles(data)
        except KeyError:  # no styles part: python-docx makes its default one per document
            _SHARED[key] = None
        while len(_SHARED) > 4:
            _SHARED.popitem(last=False)
    return _SHARED[key]


def _with_entry(data: bytes, name: str, blob: bytes) -> bytes:
    """The zip ``data`` with entry ``name`` holding ``blob`` (the other entries' contents as they are), every entry
    stored, not deflated: each document opened from it (a member report, ``_SharedStyles.stub``) reads its parts
    without inflating them (new_document 0.80 -> 0.64 ms, medians of 1,000; the saved document deflates its parts itself)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            content = blob if info.filename == name else src.read(info)
            info.compress_type = zipfile.ZIP_STORED
            dst.writestr(info, content)
    return out.getvalue()


class _SharedStylesPart(StylesPart):
    """A styles part whose element is a :class:`_SharedStyles`' (shared with the other documents of the template:
    read, never changed). It writes the shared serialization; one that gained or lost a style is a bug that has
    changed every document of the template, and raises."""

    _vr_shared: _SharedStyles

    @property
    def blob(self) -> bytes:
        shared = self._vr_shared
        if len(self._element) != shared.children:
            raise RuntimeError("a document changed the styles it shares with the other documents of its template")
        return shared.blob


def _adopt_styles(doc, shared: _SharedStyles) -> None:
    part = doc.part.part_related_by(RT.STYLES)
    part.__class__ = _SharedStylesPart
    part._element = shared.element
    part._vr_shared = shared
    doc._vr_shared_styles = shared


# style name -> style id, per styles template and number of styles (see _remember_style_ids)
_STYLE_IDS: dict[tuple[object, int], dict[tuple[str, Any], str | None]] = {}


def _remember_style_ids(doc) -> None:
    """Look up each style name once per styles template. python-docx resolves a name (``add_heading``,
    ``table.style = "Table Grid"``) by walking every style of the template on each call — milliseconds each, a
    second per region report, and a few milliseconds for each of 1,741 municipality reports when each document
    looked its names up again. Documents of one template share what was found while they have the same number of
    styles: a report adds styles (the region report's TOC styles) but never renames or removes one, so a document
    that added some looks its names up apart. A name that is not there still raises each time."""
    part = doc.part
    lookup = part.get_style_id
    template_key = _TEMPLATE_KEYS.get(part)
    styles = doc.styles.element
    own: dict[tuple[str, Any], str | None] = {}

    def get_style_id(style_or_name, style_type):
        if not isinstance(style_or_name, str):
            return lookup(style_or_name, style_type)
        known = own if template_key is None else _STYLE_IDS.setdefault((template_key, len(styles)), {})
        key = (style_or_name, style_type)
        if key not in known:
            known[key] = lookup(style_or_name, style_type)
        return known[key]

    part.get_style_id = get_style_id


# The language of Latin-script text (digits, "TEU", "JR") in a Japanese document, as Word in Japan writes it
# (w:val="en-US" w:eastAsia="ja-JP"). With w:val="ja-JP", LibreOffice breaks lines with its Japanese break rules
# inside half-width runs too and splits numbers anywhere: 「（2／025年度）」, 「1,27／8」, 「03:／42」.
LATIN_LANGUAGE = "en-US"
EAST_ASIAN_LANGUAGE = "ja-JP"


def latin_language(doc) -> None:
    """Set the document default languages: Latin text ``LATIN_LANGUAGE``, East Asian text ``EAST_ASIAN_LANGUAGE``
    (a restyled template keeps its fonts, sizes and colours; only the languages are set)."""
    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    if defaults is None:
        defaults = OxmlElement("w:docDefaults")
        styles.insert(0, defaults)
    rpr_default = defaults.find(qn("w:rPrDefault"))
    if rpr_default is None:
        rpr_default = OxmlElement("w:rPrDefault")
        defaults.insert(0, rpr_default)  # CT_DocDefaults: rPrDefault before pPrDefault
    rpr = rpr_default.find(qn("w:rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        rpr_default.append(rpr)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = rpr.insert_element_before(OxmlElement("w:lang"), "w:eastAsianLayout", "w:specVanish", "w:oMath")
    lang.set(qn("w:val"), LATIN_LANGUAGE)
    lang.set(qn("w:eastAsia"), EAST_ASIAN_LANGUAGE)
    for style in styles.findall(qn("w:style")):  # a style that names the Latin language would undo the default
        for el in style.iter(qn("w:lang")):
            if el.get(qn("w:val")) == EAST_ASIAN_LANGUAGE:
                el.set(qn("w:val"), LATIN_LANGUAGE)


_STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"


def drop_stale_parts(doc) -> None:
    """Drop the parts that describe some other document than this one.

    stylesWithEffects is Word 2010's second copy of the styles (Word 2013 and later neither write nor need it); a
    template restyled in a later Word keeps the stale copy, and a copy that disagrees with styles.xml is what Word
    reports as unreadable content. The thumbnail is python-docx's picture of its own blank page.
    """
    for rels, reltype in ((doc.part.rels, _STYLES_WITH_EFFECTS), (doc.part.package.rels, RT.THUMBNAIL)):
        for rid in [r.rId for r in rels.values() if r.reltype == reltype]:
            del rels[rid]


@dataclass(frozen=True)
class DocProps:
    """What File > Properties shows. ``issued`` is the report's issue date: created and modified are that day
    (00:00 UTC), never the clock, so the same inputs give the same file."""

    title: str
    author: str
    issued: date
    subject: str = ""
    language: str = "ja-JP"


def set_properties(doc, props: DocProps) -> None:
    cp = doc.core_properties
    stamp = datetime(props.issued.year, props.issued.month, props.issued.day, tzinfo=UTC)  # written with "Z"
    cp.title = props.title
    cp.subject = props.subject
    cp.author = props.author
    cp.last_modified_by = props.author
    cp.created = stamp
    cp.modified = stamp
    cp.revision = 1
    cp.language = props.language
    cp.comments = ""  # python-docx's default says "generated by python-docx"
    cp.keywords = ""
    cp.category = ""
    doc._vr_zip_time = (max(props.issued.year, 1980), props.issued.month, props.issued.day, 0, 0, 0)


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


def add_toc(doc, entries: list[str], note: str, levels: int = 2) -> None:
    """A TOC field of heading levels 1..``levels`` whose shown result lists the headings (Word rebuilds it with page
    numbers on opening)."""
    first = doc.add_paragraph()
    run = first.add_run()
    for tag, attrs, text in (
        ("w:fldChar", {"w:fldCharType": "begin", "w:dirty": "true"}, None),
        ("w:instrText", {"xml:space": "preserve"}, f' TOC \\o "1-{levels}" \\h \\z \\u '),
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
    if upd is None:  # in CT_Settings order (Word reports an element out of order as unreadable content)
        upd = settings.insert_element_before(OxmlElement("w:updateFields"), *_SETTINGS_AFTER_UPDATE_FIELDS)
    upd.set(qn("w:val"), "true")  # Word offers to update the TOC and page numbers on opening


# The few Word primitives a report makes thousands of times (a paragraph kept with the next, a run of text, a
# style looked up by name), written directly: python-docx finds an element's schema place by searching for each of
# its possible successors in turn (~40 for a run property), a fifth of a report's build (bench/results.md,
# 2026-12-03 22:30). Each writes the XML python-docx writes (the same element classes, namespaces and order):
# tests/test_docxutil.py compares them with python-docx's own calls.
_W_NSMAP = {"w": nsmap["w"]}
W_P, W_R, W_T, W_PPR, W_RPR, _W_TR = qn("w:p"), qn("w:r"), qn("w:t"), qn("w:pPr"), qn("w:rPr"), qn("w:tr")
_W_B, _W_PSTYLE, _W_KEEP_NEXT, _W_VAL = qn("w:b"), qn("w:pStyle"), qn("w:keepNext"), qn("w:val")
_XML_SPACE = qn("xml:space")
_W_W, _W_JC = qn("w:w"), qn("w:jc")
# what follows w:jc in a w:pPr (CT_PPr): with none of them there, a new w:jc goes last
_PPR_AFTER_JC = frozenset(
    qn(t)
    for t in (
        "w:jc",
        "w:textDirection",
        "w:textAlignment",
        "w:textboxTightWrap",
        "w:outlineLvl",
        "w:divId",
        "w:cnfStyle",
        "w:rPr",
        "w:sectPr",
        "w:pPrChange",
    )
)


def w_element(clark: str):
    """``OxmlElement`` of a w: tag given in Clark notation (``qn("w:r")``): the same element, without parsing the
    prefixed name on every call."""
    return oxml_parser.makeelement(clark, nsmap=_W_NSMAP)


def _ppr(p):
    """The w:pPr of the paragraph element ``p``, made first in it where there is none: python-docx's
    ``p.get_or_add_pPr()`` (CT_P puts a new w:pPr first) without its descriptor's layers, which were half the
    time of a call made ~300 times per member report (keepNext, styles, alignments)."""
    ppr = next(p.iterchildren(W_PPR), None)
    if ppr is None:
        ppr = w_element(W_PPR)
        p.insert(0, ppr)
    return ppr


def keep_next(p) -> None:
    """The paragraph element ``p`` goes onto the page of what follows it: python-docx's ``keepNext_val = True``
    (the bare ``<w:keepNext/>`` right after w:pStyle, CT_PPr's order)."""
    ppr = _ppr(p)
    kn = ppr.find(_W_KEEP_NEXT)
    if kn is not None:
        kn.attrib.pop(_W_VAL, None)  # on is the default: written bare
        return
    kn = w_element(_W_KEEP_NEXT)
    if len(ppr) and ppr[0].tag == _W_PSTYLE:
        ppr[0].addnext(kn)
    else:
        ppr.insert(0, kn)


def set_style_id(p, style_id: str) -> None:
    """The paragraph element ``p`` in the style ``style_id``: python-docx's ``p.style = style_id`` (w:pStyle first
    in w:pPr)."""
    ppr = _ppr(p)
    ps = ppr.find(_W_PSTYLE)
    if ps is None:
        ps = w_element(_W_PSTYLE)
        ppr.insert(0, ps)
    ps.set(_W_VAL, style_id)


def set_alignment(paragraph, align) -> None:
    """``paragraph.alignment = align``: a new w:jc goes last in w:pPr when nothing that follows it there is present
    (a cell's paragraph: its style and keepNext only); otherwise python-docx places it."""
    ppr = _ppr(paragraph._p)
    if any(child.tag in _PPR_AFTER_JC for child in ppr):
        paragraph.alignment = align
        return
    jc = w_element(_W_JC)
    jc.set(_W_VAL, WD_ALIGN_PARAGRAPH.to_xml(align))
    ppr.append(jc)


def _set_text(t, text: str) -> None:
    """A w:t's text, with xml:space="preserve" exactly when it starts or ends with a space (as python-docx writes)."""
    t.text = text
    if text != text.strip():
        t.set(_XML_SPACE, "preserve")
    else:
        t.attrib.pop(_XML_SPACE, None)


def keep_with_next(paragraph):
    """``paragraph.paragraph_format.keep_with_next = True`` (``keep_next``); returns the paragraph."""
    keep_next(paragraph._p)
    return paragraph


_RUN_BREAK = re.compile("([\t\r\n])")
_W_TAB, _W_BR = qn("w:tab"), qn("w:br")


def add_text(paragraph, text: str, bold: bool = False) -> Run:
    """``paragraph.add_run(text)`` (and ``.bold = True``): a run appended with a w:t for each stretch of text
    (preserving spaces at its ends), a w:tab for a tab and a w:br for a line break (\\n or \\r), as python-docx
    writes them. python-docx's ``add_run`` clears the new run with an XPath and appends character by character
    (~0.1 ms for a cell with a line break, ~9 in a member report)."""
    r = w_element(W_R)
    if bold:
        rpr = w_element(W_RPR)
        rpr.append(w_element(_W_B))
        r.append(rpr)
    for i, piece in enumerate(_RUN_BREAK.split(text) if text else ()):
        if i % 2:  # a separator
            r.append(w_element(_W_TAB if piece == "\t" else _W_BR))
        elif piece:
            t = w_element(W_T)
            _set_text(t, piece)
            r.append(t)
    paragraph._p.append(r)
    return Run(r, paragraph)


def add_paragraph(doc, text: str = "", style: str | None = None):
    """``doc.add_paragraph(text, style)``: the same XML, its run written by ``add_text`` and its style set by id
    (``set_style_id``; a name without an id, the default style, leaves the bare w:pPr python-docx leaves), not
    through python-docx's run and style setters (~0.05 ms of a paragraph's ~0.08)."""
    p = doc.add_paragraph()
    if text:
        add_text(p, text)
    if style is not None:
        style_id = doc.part.get_style_id(style, WD_STYLE_TYPE.PARAGRAPH)
        if style_id is None:
            _ppr(p._p)
        else:
            set_style_id(p._p, style_id)
    return p


def add_heading(doc, text: str, level: int):
    """``doc.add_heading(text, level)`` by ``add_paragraph``: the style Title (level 0) or Heading ``level``."""
    if not 0 <= level <= 9:
        raise ValueError("level must be in range 0-9")  # python-docx's own check
    return add_paragraph(doc, text, "Title" if level == 0 else f"Heading {level}")


def keep_together(table, with_next: bool = False) -> None:
    """Keep a small table on one page (every row with the next one); ``with_next``: with what follows it too."""
    rows = table._tbl.tr_lst if with_next else table._tbl.tr_lst[:-1]
    for tr in rows:  # the row's own cells: ``row.cells`` gives a vertically merged cell's first one instead
        for p in tr.iter(W_P):
            keep_next(p)


def keep_last_row_with_next(table, rows: int = 1) -> None:
    """The table's last ``rows`` rows go onto the page of the paragraph after it (a note about the table), so the
    note never opens the next page alone, nor with a single row above it (review 4 #16: 「和水町」 and 嘉島町's note
    alone on a page); the rows above still break across pages as usual."""
    for tr in table._tbl.tr_lst[-rows:]:
        for p in tr.iter(W_P):
            keep_next(p)


def keep_rows_with_next(table, n: int) -> None:
    """The table's first ``n`` rows go onto the page of the row after them: a title above the table (kept with
    it) and a label row are never alone at a page's foot."""
    for tr in table._tbl.tr_lst[:n]:
        for p in tr.iter(W_P):
            keep_next(p)


def _keep_all_next(el) -> None:
    """Every paragraph of ``el`` (a paragraph or a table row) goes onto the page of what follows it."""
    paragraphs = [el] if el.tag == W_P else el.iter(W_P)
    for p in paragraphs:
        keep_next(p)


def _style_id(doc, name: str) -> str | None:
    style = _style_or_none(doc, name)
    return style.style_id if style is not None else None


def keep_table_ends(doc, rows: int) -> None:
    """Page flow for a whole document, after it is built (issue 18): no table's last row (or last few) opens a page
    alone, and the notes right under a table or a chart's caption stay on the page of what they explain.

    - a table's first ``rows`` rows (not its repeated header) stay with the header and the row after them, and its
      last ``rows`` rows stay on one page: each but the last is kept with the next row (a short table is kept whole);
    - the notes (注記 style) right after a table: the table's last row is kept with the first note and each note
      with the next one, so the last ``rows`` rows and all the notes under them are on one page (a note parted
      from its table, or the last of six alone atop the page before a new chapter, review of issue 18);
    - a caption (Caption style, under a chart) with notes right after it: the caption and the notes likewise
      (the picture is kept with its caption by ``add_picture``).

    Only keepNext is added, written as Word writes it (``<w:keepNext/>``); nothing already kept is changed.
    ``rows`` 0: nothing is kept."""
    if rows <= 0:
        return
    note = _style_id(doc, "注記")
    caption = _style_id(doc, "Caption")
    p_tag, tbl_tag = qn("w:p"), qn("w:tbl")

    def is_note(el) -> bool:
        return note is not None and el is not None and el.tag == p_tag and el.style == note

    def keep_notes_after(el) -> bool:
        """Chain the notes after ``el``; True when there is at least one."""
        nxt = el.getnext()
        if not is_note(nxt):
            return False
        while is_note(nxt.getnext()):
            _keep_all_next(nxt)
            nxt = nxt.getnext()
        return True

    for el in doc.element.body.iterchildren():
        if el.tag == tbl_tag:
            trs = [tr for tr in el.findall(qn("w:tr")) if not _repeats_as_header(tr)]
            if not trs:
                continue
            for tr in trs[:rows]:  # the header and the first rows: no first row alone at a page's foot (review 7)
                _keep_all_next(tr)
            for tr in trs[-rows:][:-1]:
                _keep_all_next(tr)
            if keep_notes_after(el):
                _keep_all_next(trs[-1])
        elif el.tag == p_tag and caption is not None and el.style == caption and keep_notes_after(el):
            _keep_all_next(el)


def keep_with_table(doc) -> None:
    """The paragraph the next table follows (a heading, a caption, a lead-in) goes onto the table's page."""
    body = doc.element.body
    last = body[-1]
    if last.tag == qn("w:sectPr"):
        last = last.getprevious()
    if last is not None and last.tag == qn("w:p"):
        keep_next(last)


def page_number_footer(section, prefix: str = "") -> None:
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if prefix:
        p.add_run(prefix)
    run = p.add_run()
    _fld(run, "PAGE", "1")
    run.font.size = Pt(9)


# Children that must follow a given element, in the order of the ECMA-376 schema (CT_Settings, CT_TcPr, CT_TblPr):
# Word treats an element out of its sequence as unreadable content and offers to repair the file.
_SETTINGS_AFTER_UPDATE_FIELDS = (
    "w:hdrShapeDefaults",
    "w:footnotePr",
    "w:endnotePr",
    "w:compat",
    "w:docVars",
    "w:rsids",
    "m:mathPr",
    "w:attachedSchema",
    "w:themeFontLang",
    "w:clrSchemeMapping",
    "w:doNotIncludeSubdocsInStats",
    "w:doNotAutoCompressPictures",
    "w:forceUpgrade",
    "w:captions",
    "w:readModeInkLockDown",
    "w:smartTagType",
    "sl:schemaLibrary",
    "w:shapeDefaults",
    "w:doNotEmbedSmartTags",
    "w:decimalSymbol",
    "w:listSeparator",
)
_TCPR_AFTER_SHD = (
    "w:noWrap",
    "w:tcMar",
    "w:textDirection",
    "w:tcFitText",
    "w:vAlign",
    "w:hideMark",
    "w:headers",
    "w:cellIns",
    "w:cellDel",
    "w:cellMerge",
    "w:tcPrChange",
)
_TBLPR_AFTER_CELL_MAR = ("w:tblLook", "w:tblCaption", "w:tblDescription", "w:tblPrChange")


def shade(cell, fill: str) -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tcpr.remove_all("w:shd")
    tcpr.insert_element_before(shd, *_TCPR_AFTER_SHD)


def _row_flag(row, tag: str) -> None:
    """An on/off row property, written as Word writes it: the bare element means on. (Open XML's trPr flags take
    only on/off, not true: ``w:val="true"`` there fails validation.) trPr's children are a choice: any order."""
    trpr = row._tr.get_or_add_trPr()
    if trpr.find(qn(tag)) is None:
        trpr.append(OxmlElement(tag))


def repeat_header(row) -> None:
    """The row repeats at the top of every page the table runs onto."""
    _row_flag(row, "w:tblHeader")


def cant_split(row) -> None:
    """The row is never broken across pages."""
    _row_flag(row, "w:cantSplit")


def _set_widths(table, widths_mm: Sequence[float]) -> None:
    table.autofit = False
    tbl = table._tbl
    grid = tbl.tblGrid
    for gc, w in zip(grid.findall(qn("w:gridCol")), widths_mm, strict=False):
        gc.set(qn("w:w"), str(int(Mm(w).twips)))
    # ``autofit = False`` above is python-docx's w:tblLayout type="fixed", in its schema place
    margins = OxmlElement("w:tblCellMar")  # narrower cell padding than Word's default 1.9 mm
    for side in ("left", "right"):
        m = OxmlElement(f"w:{side}")
        m.set(qn("w:w"), "57")
        m.set(qn("w:type"), "dxa")
        margins.append(m)
    tbl.tblPr.insert_element_before(margins, *_TBLPR_AFTER_CELL_MAR)


def has_style(doc, name: str) -> bool:
    """Whether ``doc`` has a style named ``name`` (looked up once per document, ``_style_or_none``)."""
    return _style_or_none(doc, name) is not None


def _style_or_none(doc, name: str):
    """The style ``name`` of ``doc`` or None, looked up once per document (python-docx's lookup runs an XPath over
    every style of the template; a report asks hundreds of times)."""
    cache = getattr(doc, "_vr_styles", None)
    if cache is None:  # documents sharing their styles (new_document's share_styles) share what was found too
        shared = getattr(doc, "_vr_shared_styles", None)
        cache = doc._vr_styles = {} if shared is None else shared.named
    if name not in cache:
        try:
            cache[name] = doc.styles[name]
        except KeyError:
            cache[name] = None
    return cache[name]


def _put(cell, text: str, style, align=None, bold: bool = False) -> None:
    p = cell.paragraphs[0]
    if style is not None:
        # set the style id directly: python-docx's ``p.style = …`` scans every style of the document per call
        set_style_id(p._p, style.style_id)
    add_text(p, text, bold)
    if align is not None:
        set_alignment(p, align)


def add_table(*args, **kwargs):
    """``_add_table``, then its first row under the header made splittable (``_first_body_row_may_split``)."""
    table = _add_table(*args, **kwargs)
    if table is not None:
        _first_body_row_may_split(table)
    return table


def _add_table(
    doc,
    header: list[str],
    rows: list[list[str]],
    *,
    widths: Sequence[float],
    numeric=frozenset(),
    center=frozenset(),
    header_rows: int = 1,
    fills: dict[int, str] | None = None,
    bold_rows=frozenset(),
    finish: Callable | None = None,
    room: float = 0.0,
):
    """A grid table, header repeated on every page, numbers right-aligned; ``room``: how much wider than
    ``widths`` the table may grow where a column needs it (``fit_widths``).

    ``finish(table)`` may restyle the built table (merge cells, keep it on one page). A table of a layout seen
    before (same styles template, header, widths, alignment, fills, bold rows, row lengths and ``finish``) is a
    copy of a prototype's XML with only the cell texts replaced: python-docx costs milliseconds per cell, a copy
    does not. The first table of a layout is built by python-docx and kept as nothing but its key; the second makes
    the prototype. The result is the same XML either way. Texts with a line break or a tab always take python-docx.

    Page flow: the paragraph before the table stays with it, no row splits across pages, the header row repeats
    on every page and never stays behind alone.
    """
    keep_with_table(doc)
    font_pt = _table_font_pt(doc)
    widths = fit_widths([header, *rows], widths, font_pt, room)
    header = [break_header(h, w, font_pt) for h, w in zip(header, widths, strict=True)]
    template_key = _TEMPLATE_KEYS.get(doc.part)

    def build(cells: list[list[str]], then: Callable | None):
        """The table the python-docx way, with ``cells`` as its body and ``then`` as its ``finish``."""
        return _build_table(
            doc,
            header,
            cells,
            widths=widths,
            numeric=numeric,
            center=center,
            fills=fills,
            bold_rows=bold_rows,
            finish=then,
        )

    if template_key is None or any(_special(v) for r in rows for v in r):
        return build(rows, finish)
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
    if proto is not None:
        _TABLE_PROTOS.move_to_end(key)
    elif _first_sighting(key):
        # a layout seen once so far is built the python-docx way and not kept: a municipality report's tables name
        # the member in their header and fit their widths to its texts, so their layout seldom comes again, and a
        # prototype of each cost more than the table (the marker build, the copies, the paths)
        table = build(rows, finish)
        # python-docx's row copy leaves an empty w:t where a copied layout has none: the same bytes either way
        for tr in table._tbl.findall(qn("w:tr"))[1:]:
            for t in [t for t in tr.iter(qn("w:t")) if not t.text]:
                t.getparent().remove(t)
        return table
    else:
        # build once with a marker in every body cell, note where each marker ended up, keep the XML
        table = build([[_MARK] * len(r) for r in rows], None)
        tbl = table._tbl
        marks = [t for t in tbl.iter(qn("w:t")) if t.text == _MARK]  # cell order, before finish moves any
        if finish is not None:
            finish(table)
        paths = [_index_path(tbl, t) for t in marks]  # None: ``finish`` dropped that cell's text
        tbl.getparent().remove(tbl)
        # a copy: an lxml element, even removed from its tree, keeps its whole document alive, so the prototype
        # would hold the report it was first built in (1,741 municipality reports: ~1.6 MB each, to 880 MB per
        # process; the region report's 1 GB of XML through all the municipality reports)
        proto = (copy.deepcopy(tbl), paths)
        _remember_proto(key, proto, len(paths))
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


# What a reader takes as one word and a line must not break inside (issue 18): a number and its unit or counter
# (「20市町村」「延べ250人」「57取組中」「（17/20回答）」), a date with its era and a time after it, a grade or a label and
# its count (「A 2」「完了 1」), 年度 and the word it ends (「次年度」). LibreOffice and Word may break between any two
# Japanese characters, and between a figure and the Japanese character next to it.
_NUM = r"\d(?:[\d,.:/]*\d)?"
_UNITS = (
    "市町村|百万円|千円|万円|円|年度|か年|か月|ヶ月|カ月|年|月|日|時間|時|分|人|名|件|指標|取組|分野|回答|報告|回|"
    "か所|箇所|団体|施設|事業|社|校|世帯|戸|台|本|個|点|歳|倍|割|%|％|TEU"
)
_KANA_KANJI = "\u3041-\u30fa\u30fc-\u30ff\u3400-\u9fff\u3005"  # not 「・」
_KANJI_KATAKANA = "\u30a1-\u30fa\u30fc-\u30ff\u3400-\u9fff\u3005"  # a label: 達成率, 評価 (not 「と答えた人が」)
_CLOSING_BRACKETS = "\uff09)\u3011"  # 「）」「)」「】」
_OPENING_BRACKETS = "\uff08(\u3010"  # 「（」「(」「【」
_BRACKET = 6  # characters inside a bracket kept whole with it: 「（20市町村計）」
_NAME = 24  # characters: the longest name after a label kept whole (an office: 「熊本市政策局総合政策部政策企画課」)
_WHOLE = re.compile(
    "|".join(
        (
            rf"(?:令和|平成|昭和)?(?:{_NUM}|元)年{_NUM}月(?:{_NUM}日)?(?: ?{_NUM}:{_NUM})?",
            rf"{_NUM}月{_NUM}日(?: ?{_NUM}:{_NUM})?",
            rf"(?:令和|平成|昭和)?{_NUM} ?(?:{_UNITS})(?:中|以上|以下|未満)?",
            # a grade and its count, with the count's unit: 「A 2指標」「C 96件」 (the unit broke off 「C 96」)
            rf"(?<![A-Za-z])[A-D] {_NUM}(?:{_UNITS})?(?![\d,.])",
            r"[次全前本当各同翌初]?年度",
            # a label and its count in a 「・」 list, or before a bracket: 「完了 1」「一部実施 2」「改善 7（17/20回答）」
            rf"(?<=・)[{_KANA_KANJI}]{{1,6}} ?\d+(?=[・（()）、。\s]|$)",
            rf"(?:(?<=[（(：:\s])|^)[{_KANA_KANJI}]{{1,6}} ?\d+(?=[・（(])",
            # a label and its rate or grade: 「（達成率 94.7%・評価 A）」 (review 3 #4), with a bound after the rate:
            # 「（達成率50%以上）」 (review 4 #8: the label took 「50%」 from 「50%以上」, which then broke)
            rf"(?:(?<=[（(：:\s\u30fb\u3001])|^)[{_KANJI_KATAKANA}]{{1,6}} ?"
            rf"(?:{_NUM}[%％](?:以上|以下|未満)?|[A-D](?![A-Za-z0-9]))",
            # a short bracket, a unit or a word: 「（人/年）」「【基準値】」「（20市町村計）」 (a longer one is a phrase
            # that may wrap at a word: 「（2022年度の／統計）」)
            rf"[\uff08(\u3010][^\uff08\uff09()\u3010\u3011\n、。・]{{1,{_BRACKET}}}[\uff09)\u3011]",
            # a short quoted word and the count after it: 「拡充」8件 (review 6 P17: 「拡／充」 broke at a line's end)
            rf"\u300c[^\u300c\u300d\n]{{1,{_BRACKET}}}\u300d(?:{_NUM} ?(?:{_UNITS}))?",
            # a label and the name that ends the paragraph: 「問合せ先：熊本市政策局総合政策部政策企画課」
            rf"(?:(?<=[。\s])|^)[{_KANA_KANJI}]{{1,6}}：[{_KANA_KANJI}]{{2,{_NAME}}}(?=\n|$)",
        )
    )
)
# a character every alternative of _WHOLE needs (a figure, 年, a grade, an opening bracket or quote, a full-width
# colon): a text without any has no token (most cells of names and words), and skips the long expression
_MAY_HOLD_TOKEN = re.compile("[\\d\u5e74A-D\uff08(\u3010\u300c\uff1a]")
# How a token is kept whole, measured with LibreOffice 7.4 (tools/line_breaks.py on a table cell and a paragraph
# that bring each token to the line end at 60 offsets). LibreOffice breaks Japanese text (East Asian language ja-JP)
# with its own rule, not Unicode's: anywhere except before and after its kinsoku characters
# (i18npool BreakIterator_CJK::getLineBreak), so no joiner character inside Japanese text holds: U+2060 WORD
# JOINER, U+FEFF, U+200D, U+00A0, U+202F, w:noLineBreaksBefore/After all still broke 「190／人」「次年／度」. Where the
# text's language is not a CJK one it uses ICU's Unicode line breaking, which never breaks at a word joiner. So the
# characters of a token get a word joiner between them, and its run the East Asian language LATIN_LANGUAGE
# (w:lang w:eastAsia; the font and the glyphs are those of the other runs): 0 breaks in 120 line ends, against 60
# without either. Word breaks by Unicode's line classes too; a word joiner is "no break here" there as well (UAX #14
# class WJ). A space inside a token is a thin space between joiners: LibreOffice breaks at U+00A0. Where a figure
# meets a kanji a narrow no-break space between joiners keeps the gap LibreOffice and Word put there (their
# autospace), which a joiner alone closes. pdftotext gives the PDF's words with these gaps as spaces.
WORD_JOINER = "\u2060"
NARROW_NO_BREAK_SPACE = "\u202f"
THIN_SPACE = "\u2009"
_GLUE = frozenset((WORD_JOINER, NARROW_NO_BREAK_SPACE, THIN_SPACE))
_FIGURE_KANJI = WORD_JOINER + NARROW_NO_BREAK_SPACE + WORD_JOINER  # the gap of the autospace, kept
# a space inside a token: 「A 2」「完了 1」 (LibreOffice breaks at U+00A0)
_SPACE = WORD_JOINER + THIN_SPACE + WORD_JOINER


def plain_text(text: str) -> str:
    """The words of a saved report's text without the glue of ``keep_whole`` (a search, a test of the wording)."""
    return text.replace(_FIGURE_KANJI, "").replace(_SPACE, " ").replace(WORD_JOINER, "")


_LAST_LINE = 4  # characters: a paragraph's last line is never shorter (「た。」 alone on a line)
_LONG_LINE = 12  # characters: a text this long has its last ``_LAST_LINE`` characters kept together
_SHORT_LINE = 5  # characters: a shorter text of this many or more keeps its last 2 together (「物流機能の／強化」)


def _kanji_or_kana(c: str) -> bool:
    """A kanji, hiragana or katakana letter (not the 「・」 or other punctuation of those blocks)."""
    in_block = "\u3040" <= c <= "\u30ff" or "\u3400" <= c <= "\u9fff" or c == "\u3005"
    return in_block and unicodedata.category(c) in ("Lo", "Lm")


def _narrow(c: str) -> bool:
    return not c.isspace() and unicodedata.east_asian_width(c) in "NaH"


def _phrases(line: str) -> list[str]:
    """The phrases of a table header's line, where it may wrap (a 文節, roughly): before an opening bracket, after
    a full-width mark (「全年度・」), after kana that ends a word (「総括の」「全関係市町村で」); never before a closing
    character (kinsoku), and a 1-character phrase stays with the one before it (「合計値の列」 not 「合計値の／列」)."""
    out: list[str] = []
    for i, c in enumerate(line):
        a = line[i - 1] if i else ""
        cut = (
            bool(out)
            and c not in _CLOSING
            and (
                c in _OPENING
                or (_full_width_mark(a) and a not in _OPENING)
                or ("\u3041" <= a <= "\u309f" and not "\u3041" <= c <= "\u309f" and not _full_width_mark(c))
            )
        )
        if cut:
            out.append(c)
        elif out:
            out[-1] += c
        else:
            out.append(c)
    merged: list[str] = []
    for q in out:
        if merged and (len(q.strip()) < 2 or len(merged[-1].strip()) < 2):
            merged[-1] += q
        else:
            merged.append(q)
    return merged


def _token_spans(text: str, header: bool = False) -> list[tuple[int, int]]:
    """The spans of ``text`` a line must not break inside, merged where they overlap or touch. ``header``: the text
    of a table's header row, each phrase of up to ``_HEADER_WORD`` characters kept whole too (``_phrases``: a line
    breaks between them only, 「総括の／判定」 not 「総括の判／定」); those spans are not merged with each other."""
    spans = [m.span() for m in _WHOLE.finditer(text)] if _MAY_HOLD_TOKEN.search(text) else []
    phrases: list[tuple[int, int]] = []
    at = 0
    for line in text.split("\n"):
        size = len(line.strip())
        end = at + len(line.rstrip())
        if header:
            k = at
            for q in _phrases(line):
                if 1 < len(q.strip()) <= _HEADER_WORD:
                    lead = len(q) - len(q.lstrip())
                    phrases.append((k + lead, k + len(q.rstrip())))
                k += len(q)
        elif size >= _LONG_LINE:
            spans.append((end - _LAST_LINE, end))
        elif size >= _SHORT_LINE:  # the last 2 letters and the marks after them: 「強化」, 「統計）」
            last = end - (len(line.rstrip()) - len(line.rstrip().rstrip(_CLOSING)))
            spans.append((last - 2, end))
        at += len(line) + 1
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        # two tokens that touch are one, but not a bracket and a token beside it: 「（暦年）」 and 「（TEU）」,
        # 「令和7年度」 and 「（2025年度）」 may go on two lines
        touch = (
            merged
            and start == merged[-1][1]
            and text[start - 1] not in _CLOSING_BRACKETS
            and text[start] not in _OPENING_BRACKETS
        )
        if merged and (start < merged[-1][1] or touch):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return sorted({s for s in merged + phrases if s[1] - s[0] > 1})


def _glue_at(text: str, spans: list[tuple[int, int]]) -> dict[int, tuple[bool, str]]:
    """The glue of ``spans``: {index i: (replace text[i], the glue)}. Glue goes between ``text[i-1]`` and
    ``text[i]``; a space inside a token is replaced (``replace`` true). None between two half-width characters:
    ICU never breaks inside a figure (「12,258」「17/20」「15:35」)."""
    out: dict[int, tuple[bool, str]] = {}
    for start, end in spans:
        for i in range(start + 1, end):
            a, b = text[i - 1], text[i]
            if a in _GLUE or b in _GLUE or a == "\n" or b == "\n":
                continue
            if b == " ":
                out[i] = (True, _SPACE)
            elif a == " " or (_narrow(a) and _narrow(b)):
                continue  # the space is replaced at its own index
            elif (_narrow(a) and a.isalnum() and _kanji_or_kana(b)) or (
                _kanji_or_kana(a) and _narrow(b) and b.isalnum()
            ):
                out[i] = (False, _FIGURE_KANJI)
            else:
                out[i] = (False, WORD_JOINER)
    return out


def _glued(text: str, glue: Mapping[int, tuple[bool, str]], offset: int = 0) -> str:
    out = []
    for k, c in enumerate(text):
        g = glue.get(k + offset)
        if g is not None:
            out.append(g[1])
            if g[0]:
                continue
        out.append(c)
    return "".join(out)


def keep_whole(text: str, header: bool = False) -> str:
    """``text`` with the glue of its tokens: a number and its unit, a date, a time, a grade count, 年度, a label
    and its rate or grade, a short bracket, a label and the name ending the paragraph, the last ``_LAST_LINE``
    characters of a line of ``_LONG_LINE`` or more (the last 2 of a shorter line of ``_SHORT_LINE`` or more), and
    in a table's header row (``header``) each phrase instead. In a document the tokens' runs also get the East Asian
    language ``LATIN_LANGUAGE`` (``_keep_whole_paragraphs``); this is the text alone (widths)."""
    glue = _glue_at(text, _token_spans(text, header))
    return _glued(text, glue) if glue else text


_RUN_TEXT_CHILDREN = frozenset((qn("w:t"), qn("w:br"), qn("w:cr"), qn("w:tab")))
_W_LANG, _W_EAST_ASIA, _W_I = qn("w:lang"), qn("w:eastAsia"), qn("w:i")
_RPR_AFTER_LANG = (qn("w:eastAsianLayout"), qn("w:specVanish"), qn("w:oMath"))
_W_TRPR, _W_TBL_HEADER = qn("w:trPr"), qn("w:tblHeader")


def _token_run(text: str, rpr, token: bool):
    """A run of ``text`` with the properties ``rpr``; a token's run with the East Asian language
    ``LATIN_LANGUAGE`` (w:lang in its CT_RPr place, before w:eastAsianLayout, w:specVanish, w:oMath)."""
    new = w_element(W_R)
    if rpr is not None:
        new.append(copy.deepcopy(rpr))
    if token:
        _mark_token(new)
    t = w_element(W_T)
    _set_text(t, text)
    new.append(t)
    return new


def _mark_token(run) -> None:
    """The run's East Asian language ``LATIN_LANGUAGE``: w:lang w:eastAsia in its w:rPr (made first in the run
    where there is none), the w:lang in its CT_RPr place (before w:eastAsianLayout, w:specVanish, w:oMath)."""
    props = run.find(W_RPR)
    if props is None:
        props = w_element(W_RPR)
        run.insert(0, props)
    lang = props.find(_W_LANG)
    if lang is None:
        lang = w_element(_W_LANG)
        later = [props.find(t) for t in _RPR_AFTER_LANG]
        nxt = next((el for el in later if el is not None), None)
        if nxt is None:
            props.append(lang)
        else:
            nxt.addprevious(lang)
    lang.set(_W_EAST_ASIA, LATIN_LANGUAGE)


@lru_cache(maxsize=2)
def _bare_run(token: bool):
    """``_token_run("", None, token)``, made once per process: the run of a piece of a run without properties (most
    runs: python-docx writes none for plain text), only ever copied (``_part_run``)."""
    return _token_run("", None, token)


def _part_run(made: dict[bool, Any], text: str, rpr, token: bool):
    """``_token_run(text, rpr, token)``, as a copy of the run of that kind made before for the same run (``made``),
    or of ``_bare_run`` for a run without properties: the same XML, without building the run again (a copy is one
    lxml call; four new elements are four new lxml documents, ~3x the time)."""
    first = made.get(token) if rpr is not None else _bare_run(token)
    if first is None:
        made[token] = new = _token_run(text, rpr, token)
        return new
    new = copy.deepcopy(first)
    _set_text(new[-1], text)
    return new


def _on(el) -> bool:
    """An on/off property element (w:i …) that is on."""
    return el is not None and el.get(qn("w:val"), "true") not in ("0", "false", "off")


def italic_styles(doc) -> frozenset[str]:
    """The ids of the paragraph styles whose text is italic (directly or by the style they are based on)."""
    shared = getattr(doc, "_vr_shared_styles", None)
    if shared is not None:
        return shared.italic
    styles = {el.get(qn("w:styleId")): el for el in doc.styles.element.findall(qn("w:style"))}

    def italic(sid: str | None, depth: int = 0) -> bool:
        el = styles.get(sid) if sid else None
        if el is None or depth > 20:
            return False
        rpr = el.find(qn("w:rPr"))
        if rpr is not None and rpr.find(qn("w:i")) is not None:
            return _on(rpr.find(qn("w:i")))
        based = el.find(qn("w:basedOn"))
        return italic(based.get(qn("w:val")) if based is not None else None, depth + 1)

    return frozenset(sid for sid, el in styles.items() if el.get(qn("w:type")) == "paragraph" and italic(sid))


def _repeats_as_header(tr) -> bool:
    """The table row is repeated on every page (w:tblHeader)."""
    # tr.find("w:trPr/w:tblHeader"), without ElementPath's parsing of the path on each call (~160 rows a report)
    return any(next(trpr.iterchildren(_W_TBL_HEADER), None) is not None for trpr in tr.iterchildren(_W_TRPR))


@lru_cache(maxsize=8192)
def _text_plan(text: str, header: bool) -> tuple[Mapping[int, tuple[bool, str]], bytes] | None:
    """A paragraph's text planned for ``_keep_whole_paragraphs``: its glue (``_glue_at``) and, per character, whether
    it is inside a token (1) or not (0); None when nothing is kept whole. Measured once per process for each text:
    the paragraphs and cells of the reports repeat (the 24 sample municipality reports: 13,492 paragraphs, 2,333
    different texts). Both are read-only: every caller shares them."""
    spans = _token_spans(text, header)
    if not spans:
        return None
    inside = bytearray(len(text))
    for start, end in spans:
        inside[start:end] = b"\x01" * (end - start)
    return MappingProxyType(_glue_at(text, spans)), bytes(inside)


@lru_cache(maxsize=8192)
def _piece_parts(text: str, header: bool, start: int, end: int) -> tuple[tuple[str, bool], ...]:
    """``text[start:end]`` (one run's piece of a paragraph's text) cut where it enters or leaves a token, each part
    with its glue and whether it is in a token (``_text_plan``; once per process for each text and piece). Glue
    before the first character of a part goes with it: the part is wholly in or out."""
    planned = _text_plan(text, header)
    assert planned is not None
    glue, inside = planned
    out = []
    k = start
    while k < end:
        j = k
        while j < end and inside[j] == inside[k]:
            j += 1
        out.append((_glued(text[k:j], glue, k), inside[k] == 1))
        k = j
    return tuple(out)


def _keep_whole_paragraphs(root, italic_style_ids: frozenset[str] = frozenset()) -> None:
    """The tokens of every paragraph under ``root`` kept whole (``keep_whole``), across its runs (a figure in one
    run, its unit in the next): each run a token crosses is split so that the token's part is a run of its own
    with the East Asian language ``LATIN_LANGUAGE`` and the glue between its characters (``_split_run``).

    Italic paragraphs (a cover's subtitle) are left as they are: LibreOffice slants Japanese text in italic only
    where its language is Japanese, so a token's run would stand upright in a slanted line.

    One pass over each paragraph's runs finds its text, its runs' properties and whether it is italic (a member
    report has ~550 paragraphs, most of them one run of one w:t: the scans per paragraph were a third of this)."""
    # the paragraphs of table rows repeated as the header (their phrases are kept whole), found once per document
    header_rows = {p for tr in root.iter(_W_TR) if _repeats_as_header(tr) for p in tr.iter(W_P)}
    for p in root.iter(W_P):
        if italic_style_ids and _style_of(p) in italic_style_ids:
            continue
        runs = []  # (run, its w:rPr, its text children with their text and offset, whether it holds only text)
        at = 0
        italic = False
        for r in p.iter(W_R):
            rpr = None
            items = []
            only_text = True
            for child in r:
                tag = child.tag
                if tag == W_T:
                    piece = child.text
                    if piece:
                        items.append((child, piece, at))
                        at += len(piece)
                elif tag in _RUN_TEXT_CHILDREN:
                    items.append((child, "\n", at))
                    at += 1
                elif tag == W_RPR:
                    rpr = child if rpr is None else rpr
                    italic = italic or _on(next(child.iterchildren(_W_I), None))
                else:
                    only_text = False  # a field, a picture: left as it is
            if items:
                runs.append((r, rpr, items, only_text))
        if italic or at < 2:
            continue
        text = "".join(piece for _, _, items, _ in runs for _, piece, _ in items)
        header = p in header_rows
        planned = _text_plan(text, header)
        if planned is None:
            continue
        inside = planned[1]
        for r, rpr, items, only_text in runs:
            _, last, end = items[-1]
            if only_text and 1 in inside[items[0][2] : end + len(last)]:
                _split_run(r, rpr, items, text, header)


def _style_of(p) -> str | None:
    """The style id of the paragraph element ``p`` (its w:pPr's w:pStyle)."""
    ppr = next(p.iterchildren(W_PPR), None)
    pstyle = next(ppr.iterchildren(_W_PSTYLE), None) if ppr is not None else None
    return pstyle.get(_W_VAL) if pstyle is not None else None


def _split_run(r, rpr, items: list[tuple[Any, str, int]], text: str, header: bool) -> None:
    """The run ``r`` (properties ``rpr``; ``items``: its text children, their text and offset in the paragraph's
    ``text``) as runs of its parts in and out of tokens (``_piece_parts``), each with the run's properties.

    A run of one w:t (most runs) keeps its element for its first part: its text is set and, in a token, its language
    (``_mark_token``); only the parts after it are new runs. The same XML as new runs in its place, without making
    and moving a run per paragraph (_in_place_split says when it is the same)."""
    if _in_place_split(r, rpr, items):
        t, piece, o = items[0]
        (first, token), *rest = _piece_parts(text, header, o, o + len(piece))
        made: dict[bool, Any] = {}
        after = [_part_run(made, part, rpr, tok) for part, tok in rest]  # copies of rpr before it may change
        _set_text(t, first)
        if token:
            _mark_token(r)
        for new in reversed(after):
            r.addnext(new)
        return
    new_runs = []
    made = {}  # the first run of each kind (in a token or not): the next are its copies
    for child, piece, o in items:
        if child.tag != W_T:
            holder = w_element(W_R)
            if rpr is not None:
                holder.append(copy.deepcopy(rpr))
            holder.append(child)
            new_runs.append(holder)
            continue
        for part, token in _piece_parts(text, header, o, o + len(piece)):
            new_runs.append(_part_run(made, part, rpr, token))
    for new in new_runs:
        r.addprevious(new)
    r.getparent().remove(r)


def _in_place_split(r, rpr, items: list[tuple[Any, str, int]]) -> bool:
    """Whether ``r`` changed in place is the XML of a new run (``_token_run``): its children are its properties
    (first) and one w:t, and neither it nor its w:t has an attribute (xml:space aside) or a tail a new one lacks.
    (``r.text`` is python-docx's text of the run, not the element's own: a w:r has none, its text is in its w:t.)"""
    if len(items) != 1 or len(r) != (1 if rpr is None else 2) or (rpr is not None and r[0] is not rpr):
        return False
    t = items[0][0]
    return (
        t.tag == W_T
        and not r.keys()
        and r.tail is None
        and all(k == _XML_SPACE for k in t.keys())
        and t.tail is None
        and not len(t)
    )


# What a line should not break inside (with the Latin language set, see ``latin_language``): a figure with its
# signs and separators, the unit after it (up to two characters: 人, 件, 年度, 千円) and the brackets or stops around.
_UNBREAKABLE = re.compile(  # \uFF08\uFF09 full-width brackets, \u300C\u300D 「」, \u25B2\u25B3 ▲△, \u3001\u3002 、。
    r"[\uFF08(\u300C\u25B2\u25B3+\-]*[0-9A-Za-z][0-9A-Za-z,.:%/\-]*"
    r"(?:[^\s0-9A-Za-z\uFF08(\u300C\uFF09)\u300D\u3001\u3002\u30FB\uFF1A]{1,2})?[\uFF09)\u300D\u3001\u3002%]*"
)
_HALF_EM = 0.66  # a half-width character's width (digits, Latin letters) in em: DejaVu Sans digits are 0.64
_GLUE_EM = {WORD_JOINER: 0.0, NARROW_NO_BREAK_SPACE: 0.25, THIN_SPACE: 0.25}
_CELL_PADDING_MM = 2 * 57 / 56.7 + 1.0  # tblCellMar left + right (57 twips each, ``_set_widths``) and some air
_DEFAULT_TABLE_PT = 8.5
_SLACK_MM = 0.25  # a column this little narrower than its need is not widened (within the padding's air)
_SHORT_LABEL = 3  # characters: a cell text this short is a label never broken (未達成)


def _table_font_pt(doc) -> float:
    style = _style_or_none(doc, "表本文")
    size = style.font.size if style is not None else None
    return size.pt if size is not None else _DEFAULT_TABLE_PT


def text_width_mm(text: str, font_pt: float) -> float:
    """The width ``text`` takes on one line: full-width characters one em, half-width ones ``_HALF_EM``."""
    ems = sum(_GLUE_EM.get(c, _HALF_EM if unicodedata.east_asian_width(c) in "NaH" else 1.0) for c in text)
    return ems * font_pt * 25.4 / 72


_OPENING = "（(「『【〔［"
_CLOSING = (
    "）)」』】〕］、。，．・：；！？ー々ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ"  # never start a line (kinsoku)
)


def _chunks(text: str) -> list[str]:
    """The pieces of ``text`` (after ``keep_whole``) no line break can fall inside: glue holds, half-width runs are
    words, kinsoku keeps a bracket with its neighbour, and a figure keeps the bracket after it (Unicode LB30)."""
    out, cur = [], ""
    for c in text:
        if cur and c not in " \n":
            a = cur[-1]
            joined = (
                a in _GLUE
                or c in _GLUE
                or (_narrow(a) and _narrow(c))
                or c in _CLOSING
                or a in _OPENING
                or (a.isalnum() and _narrow(a) and c in _OPENING)
            )
            if not joined:
                out.append(cur)
                cur = ""
        if c in " \n":
            if cur:
                out.append(cur)
            cur = ""
        else:
            cur += c
    if cur:
        out.append(cur)
    return out


@lru_cache(maxsize=16384)  # a table's cells repeat (○, —, 実施, the same figures): measured once per process
def min_width_mm(text: str, font_pt: float) -> float:
    """The narrowest a cell holding ``text`` can be without breaking a figure, a figure and its unit, or any other
    token ``keep_whole`` joins."""
    tokens = [m.group() for line in text.split("\n") for m in _UNBREAKABLE.finditer(line)]
    tokens += _chunks(keep_whole(text))
    if not tokens:
        return 0.0
    return max(text_width_mm(t, font_pt) for t in tokens) + _CELL_PADDING_MM


def break_header(text: str, width_mm: float, font_pt: float) -> str:
    """A header too wide for its column breaks between its phrases (``_phrases``: 「目標値」／「（2025年度）」,
    「総括の」／「判定」, 「全年度・」／「全関係市町村で」／「実施」), as many on a line as fit, not wherever the line is
    full (「目標値（2025年」／「度）」「総括の判／定」): LibreOffice and Word may break between any two Japanese
    characters. A line the caller set (``\\n``) stays a line."""
    room = width_mm - _CELL_PADDING_MM
    out = []
    for line in text.split("\n"):
        cur = ""
        for q in _phrases(line) if text_width_mm(line, font_pt) > room else [line]:
            if cur and text_width_mm(cur + q, font_pt) > room:
                out.append(cur)
                cur = q
            else:
                cur += q
        out.append(cur)
    return "\n".join(out)


def _full_width_mark(c: str) -> bool:
    """A full-width punctuation mark: 「・」「：」「、」 (and the brackets, 「（」)."""
    return bool(c) and unicodedata.category(c) in ("Po", "Ps", "Pe") and unicodedata.east_asian_width(c) in "WF"


_HEADER_WORD = (
    8  # characters: a header's phrase this short is one word (「2025年度計画」「総括の」), a longer one wraps
)


def _header_word_mm(header: str, font_pt: float) -> float:
    """The width of the widest phrase of a header (``_phrases``) that is kept whole (``_HEADER_WORD``)."""
    parts = [q.strip() for line in header.split("\n") for q in _phrases(line)]
    short = [q for q in parts if 1 < len(q) <= _HEADER_WORD]
    return max((text_width_mm(q, font_pt) + _CELL_PADDING_MM for q in short), default=0.0)


def fit_widths(
    table_rows: Sequence[Sequence[str]], widths: Sequence[float], font_pt: float, room: float = 0.0
) -> list[float]:
    """Column widths (mm) sized from the content: a column too narrow for its widest figure takes the missing
    width first from ``room`` (the table may grow by that much: the width of a column left out), then from the
    columns with the most room to spare (wrapping Japanese text), the table's width otherwise unchanged.

    The widths given are the layout's preference; they change only where a figure would otherwise be split
    (「1,27／8」). When the table cannot give enough room, each column gets what there is, in proportion."""
    need = [0.0] * len(widths)
    widest = [0.0] * len(widths)  # a column with a text but no figure (未達成, a name) has no room its text needs
    body = [[_body_cell(str(text), font_pt) for text in row[: len(widths)]] for row in table_rows[1:]]
    for row in body:
        for j, (cell_need, line, word) in enumerate(row):
            need[j] = max(need[j], cell_need)
            widest[j] = max(widest[j], line, float(widths[j]) if word else 0.0)
    for j, text in enumerate(table_rows[0][: len(widths)] if table_rows else []):
        # a header's phrase is whole (review 3 #4)
        need[j] = max(need[j], min_width_mm(str(text), font_pt), _header_word_mm(str(text), font_pt))
    out = [float(w) for w in widths]
    short = [n - w if n - w > _SLACK_MM else 0.0 for n, w in zip(need, out, strict=True)]
    missing = sum(short)
    if missing <= 0:
        return list(widths)
    # a column gives no width it needs for a word of its header that fits it now (「2025年度計画」 not 「…計／画」)
    keep = (
        [min(w, _header_word_mm(str(h), font_pt)) for h, w in zip(table_rows[0], out, strict=False)]
        if table_rows
        else []
    )
    keep += [0.0] * (len(out) - len(keep))
    spare = [max(0.0, w - max(n, k)) for n, k, w in zip(need, keep, out, strict=True)]
    available = sum(spare)
    grow = min(missing, max(0.0, room))  # the width of a column left out (layout.spec_table's skip), as needed
    if available <= 0 and grow <= 0:
        return list(widths)
    # first the room no text needs (a column of figures wider than its widest line), then the room of the columns
    # whose text wraps (「プロモーション事業」 rather not 「プロモーショ／ン事業」), each in proportion
    free = [min(sp, max(0.0, w - wd)) for sp, w, wd in zip(spare, out, widest, strict=True)]
    first = min(missing - grow, sum(free))
    give = [f / sum(free) * first if first else 0.0 for f in free]
    rest = [sp - g for sp, g in zip(spare, give, strict=True)]
    then = min(missing - grow - first, sum(rest))
    give = [g + (r / sum(rest) * then if then > 0 else 0.0) for g, r in zip(give, rest, strict=True)]
    take = (grow + first + then) / missing  # the share of each shortfall that can be met
    out = [w + s * take - g for w, s, g in zip(out, short, give, strict=True)]
    return _half_mm(out, need, sum(widths) + grow)


@lru_cache(maxsize=16384)
def _body_cell(text: str, font_pt: float) -> tuple[float, float, bool]:
    """What ``fit_widths`` reads of a body cell's ``text``: the width it needs (``min_width_mm``; a short label, 達成
    未達成 ○, stays whole: its column never gives all its width), the width of its widest line, and whether a line
    is a word with no figure. Measured once per process for each text: the cells repeat (a member report's 70
    initiatives are every member's; measured per cell and line they were ~2 ms of a report's ~33)."""
    need = min_width_mm(text, font_pt)
    if 0 < len(text) <= _SHORT_LABEL and "\n" not in text:
        need = max(need, text_width_mm(text, font_pt) + _CELL_PADDING_MM)
    lines = [q for q in text.split("\n") if q]
    widest = max((text_width_mm(q, font_pt) + _CELL_PADDING_MM for q in lines), default=0.0)
    return need, widest, any(not re.search(r"\d", q) and q.strip("—- ") for q in lines)


def _half_mm(widths: Sequence[float], need: Sequence[float], total: float) -> list[float]:
    """``widths`` rounded to half millimetres (the same input gives the same widths), adding up to ``total``: what
    the rounding put over or under goes from or to the column with the most room over its ``need`` (the first of
    equal ones), a wrapping column, not a narrow one (判定)."""
    halves = [round(w * 2) for w in widths]
    left = round(total * 2) - sum(halves)
    while left:
        step = 1 if left > 0 else -1
        j = max(range(len(halves)), key=lambda k: (halves[k] / 2 - need[k], -k))
        halves[j] += step
        left -= step
    return [h / 2 for h in halves]


def _special(text: str) -> bool:
    """python-docx turns a line break or tab into its own element: such a text cannot go into a copied w:t."""
    return "\n" in text or "\t" in text


_MARK = "\u2063#\u2063"  # never in a report's text
_TABLE_PROTOS: OrderedDict[tuple, tuple] = OrderedDict()
_PROTO_CELLS: dict[tuple, int] = {}
# Prototypes kept per process, in cells (~2.4 KB of XML tree each): the least recently used go first. A bound by
# count let 256 tables of a municipality report's size (widths fit to each member's texts, so seldom reused) hold
# ~250 MB in every rendering process.
_TABLE_PROTO_CELLS = 20_000


_TABLE_SEEN: OrderedDict[tuple, None] = OrderedDict()
_TABLE_SEEN_KEYS = 4096  # layouts remembered as seen once (keys only: a few hundred bytes each)


def _first_sighting(key: tuple) -> bool:
    """True the first time ``key`` comes (and it is remembered, the oldest of ``_TABLE_SEEN_KEYS`` going first);
    False when it came before: the second table of a layout makes the prototype the later ones copy."""
    if key in _TABLE_SEEN:
        del _TABLE_SEEN[key]
        return False
    _TABLE_SEEN[key] = None
    if len(_TABLE_SEEN) > _TABLE_SEEN_KEYS:
        _TABLE_SEEN.popitem(last=False)
    return True


def _remember_proto(key: tuple, proto: tuple, cells: int) -> None:
    if cells > _TABLE_PROTO_CELLS:
        return
    _TABLE_PROTOS[key] = proto
    _PROTO_CELLS[key] = cells
    total = sum(_PROTO_CELLS.values())
    while total > _TABLE_PROTO_CELLS:
        old, _ = _TABLE_PROTOS.popitem(last=False)
        total -= _PROTO_CELLS.pop(old)


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
    widths: Sequence[float],
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
    row, cells = _add_row(table, widths)
    repeat_header(row)
    cant_split(row)
    for cell, text in zip(cells, header, strict=True):
        shade(cell, HEADER_FILL)
        _put(cell, text, head_style, WD_ALIGN_PARAGRAPH.CENTER, bold=head_style is None)
        # the header row never ends a page alone: Word keeps it with the first body row. LibreOffice (7.4) needs
        # it more: a table whose unsplittable header row is all that fits at a page end loses its body rows
        keep_with_next(cell.paragraphs[0])
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
        row, cells = _add_row(table, widths)
        cant_split(row)
        for j, (cell, text) in enumerate(zip(cells, values, strict=True)):
            align = WD_ALIGN_PARAGRAPH.RIGHT if j in numeric else (WD_ALIGN_PARAGRAPH.CENTER if j in center else None)
            _put(cell, text, body_style, align, bold=k in bold_rows)
            if fill:
                shade(cell, fill)
        if plain and proto is None and all(len(list(tc.iter(qn("w:t")))) == 1 for tc in row._tr.tc_lst):
            proto = copy.deepcopy(row._tr)
    if finish is not None:
        finish(table)
    return table


@lru_cache(maxsize=1)
def _tc_proto():
    """A cell as python-docx makes it with a width (``CT_Tc.new()``, ``tc.width``): copied for every new cell."""
    tc = CT_Tc.new()
    tc.width = Mm(1)
    return tc


def _add_row(table, widths_mm: Sequence[float]) -> tuple[_Row, list[_Cell]]:
    """``table.add_row()`` with each cell's width set (``cell.width = Mm(w)``) and its cells: the same XML, each
    cell a copy of one made by python-docx (``add_row`` finds every cell's schema place, and ``row.cells`` rebuilds
    the table's grid, on each call)."""
    tr = table._tbl.add_tr()
    cells = []
    for w in widths_mm:
        tc = copy.deepcopy(_tc_proto())
        tc[0][0].set(_W_W, str(Mm(w).twips))
        tr.append(tc)
        cells.append(_Cell(tc, table))
    return _Row(tr, table), cells


def _first_body_row_may_split(table) -> None:
    """The first row under the header may break across pages. LibreOffice (7.4) drops every later row of a table
    whose repeated, unsplittable header and unsplittable first row close a page: the 総括's table of 36 rows printed
    its first row only (review 4, found by tools/line_breaks.py: 112 figures missing from the PDF). With that row
    splittable the table flows on; a row of a few short lines rarely splits."""
    rows = table._tbl.findall(qn("w:tr"))
    if len(rows) > 1 and _repeats_as_header(rows[0]):  # a table whose header ``finish`` removed keeps every row whole
        trpr = rows[1].find(qn("w:trPr"))
        flag = trpr.find(qn("w:cantSplit")) if trpr is not None else None
        if flag is not None:
            trpr.remove(flag)
            if not len(trpr):
                rows[1].remove(trpr)


def merge_column(table, col: int, first: int, last: int) -> None:
    """Merge rows first..last of column ``col`` (vertical merge); the first cell's text is the merged cell's, the
    others' is dropped."""
    for row in table.rows[first + 1 : last + 1]:
        for p in row.cells[col].paragraphs:  # dropped, not carried into the merged cell as extra lines
            for r in list(p._p.r_lst):
                p._p.remove(r)
    table.rows[first].cells[col].merge(table.rows[last].cells[col])


def add_note(doc, text: str):
    """A paragraph in the 注記 style (looked up once per document, ``_style_or_none``)."""
    style_id = _style_id(doc, "注記")
    p = doc.add_paragraph()
    if style_id is not None:
        set_style_id(p._p, style_id)
    add_text(p, text)
    return p


def add_picture(doc, png: bytes, width_mm: float, caption: str | None = None) -> None:
    # as Document.add_picture does, keeping the paragraph (doc.paragraphs lists the whole body on every call)
    pic = doc.add_paragraph()
    pic.add_run().add_picture(io.BytesIO(png), width=Mm(width_mm))
    pic.alignment = WD_ALIGN_PARAGRAPH.CENTER
    pic.paragraph_format.keep_with_next = caption is not None
    if caption:
        style = _style_or_none(doc, "Caption")
        p = doc.add_paragraph(caption, style=style) if style is not None else doc.add_paragraph(caption)
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER


_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry


def docx_bytes(doc) -> bytes:
    """The .docx as bytes, the same bytes for the same document.

    Every paragraph and cell gets ``keep_whole`` first (no line break inside a number and its unit, a date …).
    python-docx stamps every zip entry with the time of saving; here each entry carries the document's issue date
    (``set_properties``), or 1980-01-01. The package is written as python-docx's ``PackageWriter`` writes it (the
    same entries in the same order, compressed the same way) straight into a zip with those dates
    (``_package_zip``); where python-docx's writer is not the one this was made for, python-docx saves and every
    entry is written again with its date (``_rezipped``: the same bytes, twice the work).
    """
    if not getattr(doc, "_vr_kept_whole", False):  # once per document: the glue is in its XML from then on
        _keep_whole_paragraphs(doc.element.body, italic_styles(doc))
        doc._vr_kept_whole = True
    when = getattr(doc, "_vr_zip_time", _ZIP_EPOCH)
    if _PACKAGE_WRITER_STEPS is None:
        return _rezipped(doc, when)
    return _package_zip(doc, when)


def _package_writer_steps():
    """python-docx's ``PackageWriter`` steps (private: content types, package rels, parts), or None where this
    python-docx writes its packages otherwise."""
    try:
        from docx.opc.phys_pkg import _ZipPkgWriter
        from docx.opc.pkgwriter import PackageWriter
    except ImportError:
        return None
    names = ("_write_content_types_stream", "_write_pkg_rels", "_write_parts")
    steps = tuple(getattr(PackageWriter, n, None) for n in names)
    if not all(callable(f) for f in steps) or not callable(getattr(_ZipPkgWriter, "write", None)):
        return None
    return steps


_PACKAGE_WRITER_STEPS = _package_writer_steps()


class _DatedZipWriter:
    """python-docx's zip writer (``_ZipPkgWriter.write(pack_uri, blob)``), each entry dated ``when``, read-write
    for its owner only, deflated as python-docx deflates it; a shared styles part's entry is deflated once per
    process (``shared``: the document's shared styles, their blob deflated as zipfile deflates it)."""

    def __init__(self, when: tuple, shared: _SharedStyles | None = None) -> None:
        self.buffer = io.BytesIO()
        self.zip = zipfile.ZipFile(self.buffer, "w", compression=zipfile.ZIP_DEFLATED)
        self.when = when
        self.shared = shared

    def write(self, pack_uri, blob: bytes) -> None:
        shared = self.shared
        deflated = shared.deflated if shared is not None and blob is shared.blob else None
        _write_entry(self.zip, pack_uri.membername, self.when, blob, deflated)


class _Deflated:
    """A compressor that has compressed already: zipfile's entry writer asks it for the deflated bytes of the one
    blob it is given (``compress``, then ``flush``), and counts the sizes and the CRC itself."""

    def __init__(self, deflated: bytes) -> None:
        self.deflated = deflated

    def compress(self, data: bytes) -> bytes:
        out, self.deflated = self.deflated, b""
        return out

    def flush(self) -> bytes:
        return b""


def _write_entry(dst: zipfile.ZipFile, name: str, when: tuple, blob: bytes, deflated: bytes | None = None) -> None:
    entry = zipfile.ZipInfo(name, date_time=when)
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry.external_attr = 0o600 << 16
    if deflated is None:
        dst.writestr(entry, blob)
        return
    entry.file_size = len(blob)  # as writestr does
    out: Any
    with dst.open(entry, mode="w") as out:
        if "_compressor" in vars(out):  # zipfile's entry writer (private); elsewhere the blob is deflated again
            out._compressor = _Deflated(deflated)
        out.write(blob)


def _package_zip(doc, when: tuple) -> bytes:
    """``Document.save`` (``OpcPackage.save``: each part's ``before_marshal``, then ``PackageWriter.write``) into a
    ``_DatedZipWriter``: one compression of each entry instead of two and a decompression."""
    package = doc.part.package
    for part in package.parts:
        part.before_marshal()
    content_types, pkg_rels, parts = _PACKAGE_WRITER_STEPS
    writer = _DatedZipWriter(when, getattr(doc, "_vr_shared_styles", None))
    with writer.zip:
        content_types(writer, package.parts)
        pkg_rels(writer, package.rels)
        parts(writer, package.parts)
    return writer.buffer.getvalue()


def _rezipped(doc, when: tuple) -> bytes:
    """python-docx's save, then every entry written again with its date, in the same order and compression."""
    buf = io.BytesIO()
    doc.save(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            _write_entry(dst, info.filename, when, src.read(info))
    return out.getvalue()


def save(doc, path: Path) -> Path:
    write_bytes(path, docx_bytes(doc))
    return path

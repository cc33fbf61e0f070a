"""The region's yearly progress report (report_<FY>.docx) in the vision's own layout: the cover, the table of
contents, the 要旨, はじめに and the pillars' chapters, assembled in layout.yaml's order. The parts live beside it:
region_kpis (KPI tables and charts), region_initiatives (areas and initiatives), region_management (進行管理),
region_period (計画期間の総括), region_abstract (the 要旨's sentences) and appendix (資料編)."""

from __future__ import annotations

import math

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from vision_report.core.textfmt import fmt_num
from vision_report.core.vocabulary import (
    date_label,
    year_label,
)
from vision_report.core.vocabulary import synthetic as synthetic_label
from vision_report.outputs.reports.appendix import APPENDIX_SECTIONS
from vision_report.outputs.reports.context import ReportData
from vision_report.outputs.reports.docxutil import (
    SUBTLE_FILL,
    add_note,
    add_table,
    add_text,
    add_toc,
    keep_table_ends,
    keep_with_next,
    new_document,
    page_number_footer,
)
from vision_report.outputs.reports.figures import unit_terms
from vision_report.outputs.reports.layout import columns, keep_edge_rows, sections, setting, spec_table
from vision_report.outputs.reports.region_abstract import abstract_line, abstract_lines
from vision_report.outputs.reports.region_initiatives import add_area, add_held_section, share_line
from vision_report.outputs.reports.region_kpis import (
    add_kpi_table,
    add_trend,
    at_least_names,
    baseline_notes,
    basis_counts,
    has_reference,
    kpi_fields,
    kpi_line,
    over_target_names,
    single_reporter_notes,
    target_notes,
)
from vision_report.outputs.reports.region_management import (
    BODY_SECTIONS,
    add_management,
    chapter_number,
    management_headings,
)
from vision_report.outputs.reports.region_period import add_period, period_sections, period_title
from vision_report.plan import Kpi

PILLAR_SECTIONS = ("direction", "kpi", "initiatives")


# what add_overview gives overview.txt.j2 beside ReportData.text_context (tests/test_reports.py)
OVERVIEW_VALUES = ("abstract_shown", "submissions")
BASIS_VALUES = ("n_basis", "n_all", "added", "idle", "mark")  # what basis.txt.j2 gets beside text_context


# what abstract.txt.j2 gets beside abstract_values and text_context (behind_baseline: region_kpis.behind_baseline)
ABSTRACT_EXTRA = (
    "part",
    "column",
    "at_least",
    "kpi_name",
    "attainment",
    "baseline",
    "baseline_year",
    "change",
    "rating",
    "data_year",
)


def pillar_kpis(data: ReportData, pillar) -> list[Kpi]:
    return [
        k
        for k in data.plan.kpis
        if k.measures == str(pillar.id) or k.measures in pillar.subfield_ids or k.measures in pillar.area_ids
    ]


def _pillar_direction(doc, data: ReportData, pillar) -> None:
    plan = data.plan
    doc.add_heading(data.heading("pillar_direction"), level=2)
    for para in (pillar.direction or "").split("\n"):
        if para.strip():
            doc.add_paragraph(para.strip())
    rows: list[list[str]] = []
    fills: dict[int, str] = {}
    current = None
    for a in pillar.area_ids:
        area = plan.area(a)
        if area.subfield and area.subfield != current:  # 《…に係る政策分野》 as the vision groups them
            current = area.subfield
            fills[len(rows)] = SUBTLE_FILL
            rows.append([data.phrase("subfield_group", name=plan.subfield(current).name), ""])
        rows.append([f"{area.circled} {area.name}", (area.direction or "—").strip()])
    add_table(doc, data.phrases("block_header"), rows, widths=[50, 120], fills=fills)


def _pillar_kpi(doc, data: ReportData, pillar) -> None:
    plan = data.plan
    doc.add_heading(data.heading("pillar_kpi"), level=2)
    kpis = pillar_kpis(data, pillar)
    add_kpi_table(doc, data, kpis)
    first = min([plan.meta.first_fiscal_year, *data.years()])  # earlier when a previous plan's years are carried
    caption = data.phrase("kpi_trend_caption", id=pillar.id, first=first, fy=data.fiscal_year)
    add_trend(doc, data, kpis, caption)


def _pillar_initiatives(doc, data: ReportData, pillar) -> None:
    plan = data.plan
    doc.add_heading(data.heading("pillar_initiatives"), level=2)
    first = plan.pillars[0]
    if (
        pillar is first
    ):  # the reading of an entry once, at the first (3) 具体的取組; later ones point to it (review 6 P17)
        intro = data.phrase("entry_intro")
    else:
        heading = data.heading("pillar_initiatives")
        intro = data.phrase("entry_intro_again", pillar=data.phrase("pillar_short", id=first.id), heading=heading)
    keep_with_next(add_note(doc, intro))
    if data.is_final_year and pillar is plan.pillars[0]:  # once, before the first members' texts (review 3 #18)
        note = data.phrase("entry_final_year_note", fy=data.fiscal_year, next=data.fiscal_year + 1)
        keep_with_next(add_note(doc, note))
    # the section's lead goes under the chart on the page before; the first policy area may start the next page
    # (chained to it, the lead left a third of the chart's page blank: review 4 #16)
    share_line(doc, data, "pillar", str(pillar.id)).paragraph_format.keep_with_next = False
    current_sub = None
    for a in pillar.area_ids:
        area = plan.area(a)
        if area.subfield and area.subfield != current_sub:
            current_sub = area.subfield
            sub = plan.subfield(area.subfield)
            p = doc.add_paragraph()
            keep_with_next(p)
            add_text(p, data.phrase("subfield_heading", id=sub.id, name=sub.name), bold=True)
            kpi_line(doc, data, [k for k in plan.kpis if k.measures == sub.id], "kpi_line_subfield_label")
        add_area(doc, data, area)


def add_pillars(doc, data: ReportData) -> None:
    for pillar in data.plan.pillars:
        add_pillar(doc, data, pillar)


def add_pillar(doc, data: ReportData, pillar) -> None:
    heading = doc.add_heading(f"{pillar.id} {pillar.name}", level=1)
    if pillar is not data.plan.pillars[0] and not setting(data.templates, "pillar_new_page", False):
        # the next pillar follows the last one's initiatives on the same page: a pillar's chapter ending a third
        # of the way down left the rest of the page blank (review 4 #16); layout.yaml pillar_new_page restores it
        heading.paragraph_format.page_break_before = False

    build = {"direction": _pillar_direction, "kpi": _pillar_kpi, "initiatives": _pillar_initiatives}
    for key in sections(data.templates, "pillar", PILLAR_SECTIONS):
        build[key](doc, data, pillar)


def add_overview(doc, data: ReportData) -> None:
    """はじめに: what the report is, the members (join dates, which are the targets' basis), one sentence on the
    submissions (the log is in the 資料編), the held values, and how figures are rated."""
    plan = data.plan
    doc.add_heading(data.heading("overview"), level=1)
    # whose reports arrived is said once, in the 要旨; はじめに refers to it (review 4 #12)
    abstract_shown = "abstract" in sections(data.templates, "body", BODY_SECTIONS)
    for line in data.text("overview", abstract_shown=abstract_shown, submissions=abstract_line(data, "submissions")):
        doc.add_paragraph(line)
    doc.add_heading(data.phrase("overview_members"), level=2)
    basis = {m.code for m in plan.basis_members}
    shown = [m for m in plan.municipalities if plan.membership(m.code).reports_in(data.fiscal_year) or m.code in basis]
    mark = data.phrase("as_planned_mark")

    def joined(code: str) -> str:
        day = plan.membership(code).joined
        return date_label(day.isoformat()) if day else "—"

    rows = [
        [m.name, m.code, fmt_num(m.population), fmt_num(m.households), fmt_num(m.area_km2, 2), joined(m.code),
         mark if m.code in basis else ""]
        for m in shown
    ]  # fmt: skip
    known = [m for m in shown if m.population is not None]
    total = "overview_members_total" if len(known) == len(shown) else "overview_members_total_of"
    rows.append(
        [
            data.phrase(total, n=len(known)),
            "",
            fmt_num(sum(m.population or 0 for m in shown)),
            fmt_num(sum(m.households or 0 for m in shown)),
            fmt_num(sum(m.area_km2 or 0 for m in shown), 2),
            "",
            str(len(basis)),
        ]
    )
    add_table(
        doc,
        data.phrases("overview_members_header"),
        rows,
        widths=[24, 20, 28, 28, 26, 28, 16],
        numeric={2, 3, 4},
        center={1, 5, 6},
        bold_rows={len(rows) - 1},
    )
    unknown = any(m.population is None for m in shown)
    after = data.phrase("overview_members_note_after", added=data.text_context()["added_after"]) if unknown else ""
    add_note(doc, data.phrase("overview_members_note", as_of=plan.meta.population_as_of or "", after=after))
    n_all = len(plan.members(data.fiscal_year))
    values = dict(zip(BASIS_VALUES, (len(basis), n_all, _added_members(data), data.idle_members, mark), strict=True))
    for line in data.text("basis", **values):
        add_note(doc, line)
    add_held_section(doc, data)
    doc.add_heading(data.phrase("overview_method"), level=2)
    for line in data.text("method", subfields=list(data.plan.subfields), unit_terms=unit_terms(data)):
        add_note(doc, line)


def _added_members(data: ReportData) -> list[tuple[list[str], str]]:
    """The members added after the vision, grouped by join date: (names in plan order, join date), the dates in the
    order their first member comes in the plan (one date said once for four members, review 7 #18)."""
    plan = data.plan
    groups: dict[str, list[str]] = {}
    for m in plan.members(data.fiscal_year):
        ms = plan.membership(m.code)
        if ms.amendment is not None:
            groups.setdefault(date_label(ms.joined.isoformat()) if ms.joined else "—", []).append(m.name)
    return [(names, day) for day, names in groups.items()]


def add_cover(doc, data: ReportData) -> None:
    cover = data.text("cover")
    for _ in range(6):
        doc.add_paragraph()
    doc.add_paragraph(cover[0], style="Title").alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph(cover[1], style="Subtitle").alignment = WD_ALIGN_PARAGRAPH.CENTER
    for _ in range(8):
        doc.add_paragraph()
    for line in cover[2:]:
        doc.add_paragraph(line, style="表紙")
    if data.synthetic:
        doc.add_paragraph()
        p = doc.add_paragraph(style="表紙")
        run = add_text(p, synthetic_label("banner"), bold=True)
        run.font.size = Pt(11)
    doc.add_page_break()


def toc_entries(data: ReportData) -> list[str]:
    """The headings the TOC field shows before Word or LibreOffice fills in page numbers (same order)."""
    out: list[str] = []
    for key in sections(data.templates, "body", BODY_SECTIONS):
        if key == "abstract":
            out.append(data.heading("abstract"))
        elif key == "overview":
            out.append(data.heading("overview"))
        elif key == "pillars":
            for pl in data.plan.pillars:
                out.append(f"{pl.id} {pl.name}")
                for k in sections(data.templates, "pillar", PILLAR_SECTIONS):
                    out.append("　" + data.heading(f"pillar_{k}"))
                    if k == "initiatives":
                        out += ["　　" + f"{data.plan.area(a).circled} {data.plan.area(a).name}" for a in pl.area_ids]
        elif key == "management":
            out.append(data.heading("management", number=chapter_number(data, "management")))
            out += ["　" + h for h in management_headings(data)]
        elif key == "period":
            out.append(period_title(data))
            out += ["　" + data.heading(f"period_{k}", n=n) for n, k in enumerate(period_sections(data), start=1)]
    keys = sections(data.templates, "appendix", APPENDIX_SECTIONS)
    if keys:
        out.append(data.heading("appendix"))
        out += ["　" + data.heading(f"appendix_{k}", n=n) for n, k in enumerate(keys, start=1)]
    return out


TOC_TITLE_PT = 40.0  # the TOC's title line (Subtitle) and a little room under it, in points
TOC_NATURAL_PT = 13.0  # the pitch of a 9 pt TOC line at single spacing (the font's own line height)
TOC_MIN_PT = 10.5  # the tightest pitch of a 9 pt TOC line that still reads (1.17 × the font)
TOC_LEVEL1_EXTRA_PT = 3.0  # a chapter's line: 1 pt larger and 2 pt before


def toc_pitch(page_pt: float, counts: dict[int, int]) -> float | None:
    """The line pitch (points) that puts a TOC of ``counts`` lines per level on one page of ``page_pt`` points of
    text; None when single spacing already fits, or when even the tightest pitch does not (the TOC then runs on to
    a second page, full enough not to leave a page of 8 lines: review 4 #16)."""
    n1, rest = counts.get(1, 0), sum(n for level, n in counts.items() if level > 1)
    if not n1 + rest:
        return None
    pitch = (page_pt - TOC_TITLE_PT - TOC_LEVEL1_EXTRA_PT * n1) / (n1 + rest)
    if pitch >= TOC_NATURAL_PT or pitch < TOC_MIN_PT:
        return None
    return math.floor(pitch * 10) / 10


def heading_counts(doc, levels: int) -> dict[int, int]:
    """How many headings of each level 1..``levels`` the document has (the lines LibreOffice and Word put in the
    TOC)."""
    ids = {f"Heading{n}": n for n in range(1, levels + 1)}
    counts: dict[int, int] = {}
    for el in doc.element.body.iter(qn("w:pStyle")):
        level = ids.get(el.get(qn("w:val")))
        if level:
            counts[level] = counts.get(level, 0) + 1
    return counts


def compact_toc_styles(doc, levels: int) -> None:
    """The TOC's paragraph styles (Word's 「toc 1」…, LibreOffice's Contents 1…) with a smaller font and no space
    after, at a line pitch that fits the document's headings on one page where it can (``toc_pitch``), so the
    要旨 starts on page 3 without a page of a few TOC lines before it; a styles template that defines them keeps
    its own. Called once the document's headings are all there."""
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_LINE_SPACING

    section = doc.sections[0]
    page = section.page_height.pt - section.top_margin.pt - section.bottom_margin.pt
    pitch = toc_pitch(page, heading_counts(doc, levels))
    names = {s.name for s in doc.styles}
    for level in range(1, levels + 1):
        name = f"toc {level}"
        if name in names or f"TOC {level}" in names:
            continue
        style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = doc.styles["Normal"]
        pf = style.paragraph_format
        pf.space_before = Pt(2 if level == 1 else 0)
        pf.space_after = Pt(0)
        if pitch is None:
            pf.line_spacing = 1.0
        else:
            pf.line_spacing = Pt(pitch + (1 if level == 1 else 0))
            pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.left_indent = Pt(10 * (level - 1))
        style.font.size = Pt(10 if level == 1 else 9)


def build_region_report(data: ReportData):
    """Cover, TOC, then the body (要旨 first) and the 資料編, in templates/report/layout.yaml's order."""
    from vision_report.outputs.reports.appendix import add_appendix

    doc = new_document(data.style_template, data.doc_props(data.phrase("region_kind")))
    page_number_footer(doc.sections[0])
    add_cover(doc, data)
    doc.add_paragraph(data.phrase("toc_title"), style="Subtitle")
    levels = int(setting(data.templates, "toc_levels", 3))
    add_toc(doc, toc_entries(data), data.phrase("toc_note"), levels=levels)
    build = {
        "abstract": add_abstract,
        "overview": add_overview,
        "pillars": add_pillars,
        "management": add_management,
        "period": add_period,
    }
    for key in sections(data.templates, "body", BODY_SECTIONS):
        build[key](doc, data)
    add_appendix(doc, data)
    compact_toc_styles(doc, levels)  # its pitch depends on how many headings the document has
    keep_table_ends(doc, keep_edge_rows(data.templates))  # no last row alone atop a page, notes with their table
    return doc


def add_abstract(doc, data: ReportData) -> None:
    """要旨 (at most two pages): the KPI verdicts with 達成率, money with its year and period, the A・B share, the
    総括 verdict in the final year, and what comes next."""
    doc.add_heading(data.heading("abstract"), level=1)
    for line in abstract_lines(data, "lead"):
        doc.add_paragraph(line)
    bullet = "List Bullet" if "List Bullet" in [s.name for s in doc.styles] else None
    for line in abstract_lines(data, "points") + abstract_lines(data, "submissions"):
        doc.add_paragraph(line, style=bullet)
    p = doc.add_paragraph()
    keep_with_next(p)
    add_text(p, data.heading("abstract_kpi", year=year_label(data.fiscal_year)), bold=True)
    spec_table(
        doc,
        data.templates,
        "abstract_kpi",
        list(data.plan.kpis),
        kpi_fields(data),
        {"kpi_target": data.heading("kpi_target"), **basis_counts(data)},
        skip=(() if data.is_final_year else ("verdict",)) + (() if has_reference(data) else ("reference",)),
    )
    for line in target_notes(data, list(data.plan.kpis)):  # a target cell unlike its header, said under the table
        add_note(doc, line)
    for line in single_reporter_notes(
        data, list(data.plan.kpis), "abstract_kpi"
    ):  # a member's own value under a sum's header
        add_note(doc, line)
    rated_by = [
        c.header for c in columns(data.templates, "abstract_kpi", list(kpi_fields(data))) if c.field == "rated_by"
    ]
    for line in abstract_lines(data, "kpi_note", column=rated_by[0] if rated_by else "", at_least=at_least_names(data)):
        add_note(doc, line)
    names = over_target_names(data, list(data.plan.kpis))
    if names:
        add_note(doc, abstract_line(data, "over_target", kpi_name=names))
    for line in baseline_notes(data, list(data.plan.kpis)):
        add_note(doc, line)
    p = doc.add_paragraph()
    keep_with_next(p)
    add_text(p, data.heading("abstract_next"), bold=True)
    for line in abstract_lines(data, "next"):
        doc.add_paragraph(line)

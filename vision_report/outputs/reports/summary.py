"""概要版: the three pillars at a glance for council sessions (2–4 pages)."""

from __future__ import annotations

import operator

from docx.shared import Pt

from vision_report.compute.period import implementation_share
from vision_report.core.textfmt import fmt_num, fmt_pct, is_missing, wareki
from vision_report.core.vocabulary import synthetic as synthetic_label
from vision_report.core.vocabulary import year_label
from vision_report.outputs.reports import charts
from vision_report.outputs.reports.context import ReportData
from vision_report.outputs.reports.docxutil import (
    add_note,
    add_picture,
    add_table,
    add_text,
    keep_rows_with_next,
    keep_table_ends,
    keep_with_next,
    new_document,
    page_number_footer,
)
from vision_report.outputs.reports.figures import progress_note, unit_terms
from vision_report.outputs.reports.layout import columns, keep_edge_rows, sections, spec_table
from vision_report.outputs.reports.region_abstract import abstract_line, abstract_lines, abstract_values
from vision_report.outputs.reports.region_kpis import (
    at_least_names,
    baseline_notes,
    basis_counts,
    has_reference,
    kpi_fields,
    over_target_names,
    single_reporter_notes,
    target_notes,
)
from vision_report.outputs.reports.region_management import (
    BODY_SECTIONS,
    add_panel_blocks,
    chapter_number,
    implemented_cell,
    implemented_column_note,
    management_heading,
    management_sections,
    rating_counts,
    reached_kpis,
    row_kpi_ids,
    year_done_shares,
)
from vision_report.outputs.reports.region_period import period_done_pct, period_heading, period_sections, period_title

POINT_VALUES = (
    "idle",
    "ratings",
    "planned",
    "actual",
    "execution",
    "period_planned",
    "period_actual",
    "period_execution",
)  # what summary_points.txt.j2 gets beside text_context
PERIOD_VALUES = ("trend_place",)  # what period.txt.j2 gets from the 概要版 (where the region report has the trends)


def build_summary(data: ReportData):
    plan, fy = data.plan, data.fiscal_year
    doc = new_document(data.style_template, data.doc_props(data.phrase("summary_kind")))
    page_number_footer(doc.sections[0])
    doc.add_paragraph(data.phrase("summary_title", title=plan.meta.title, wareki=wareki(fy), fy=fy), style="Title")
    doc.add_paragraph(
        data.phrase("summary_subtitle", alliance=plan.meta.alliance, issued=data.issued), style="Subtitle"
    )
    if data.synthetic:
        p = doc.add_paragraph()
        add_text(p, synthetic_label("banner_short"), bold=True)
    share = data.evaluation_share[data.evaluation_share["level"] == "pillar"]
    evaluated, good = int(share["evaluated"].sum()), int(share["good"].sum())
    ratings = data.kpi["rating"].tolist()
    roll = data.rollup
    pillars = roll[roll["level"] == "pillar"]
    planned = pillars["planned_thousand_yen"].sum()
    actual = pillars["actual_thousand_yen"].sum()
    doc.add_heading(data.phrase("summary_points_heading"), level=2)
    source_note(doc, data, ["abstract"])
    period = abstract_values(data)  # the 要旨's period totals: in the final year the first 概要 point
    values = {
        "ratings": {g: ratings.count(g) for g in ("A", "B", "C", "D", "-")},
        "planned": planned,
        "actual": actual,
        "execution": fmt_pct(actual / planned * 100 if planned else None),
        **{k: period[k] for k in ("period_planned", "period_actual", "period_execution")},
        # members in no initiative this year, said as はじめに says it (review 8: the 概要版 never did)
        "idle": data.idle_members,
    }
    points = data.text("summary_points", **values)
    for line in [
        *points,
        data.snippet(
            "summary_point",
            evaluated=evaluated,
            expected=period["expected"],
            unevaluated=period["unevaluated"],
            good=data.good_label(),
            pct=fmt_pct(good / evaluated * 100 if evaluated else None),
        ),
        *abstract_lines(data, "status_mismatch"),  # answers whose grade disagrees with their 実施状況 (as the 要旨)
    ]:
        p = (
            doc.add_paragraph(style="List Bullet")
            if "List Bullet" in [s.name for s in doc.styles]
            else doc.add_paragraph()
        )
        add_text(p, line)
    waiting = data.holds.waiting if data.holds is not None else None
    if waiting is not None and len(waiting):  # what the figures above leave out (要確認)
        for line in data.held_text("summary"):
            add_note(doc, line)
    add_terms(doc, data)
    doc.add_heading(data.heading("summary_pillars"), level=2)
    source_note(doc, data, ["management_budget"])
    cells: list[dict[str, str]] = []
    labels, counts = [], []
    shares = year_done_shares(data)
    for _, r in pillars.iterrows():
        cells.append(
            {
                "name": f"{r['id']} {r['name']}",
                "kpis": str(len(r["kpi_ids"].split(";")) if r["kpi_ids"] else 0),
                "ratings": rating_counts(data, r),
                "reached": str(len(reached_kpis(data, row_kpi_ids(r)))),
                "planned": fmt_num(r["planned_thousand_yen"]),
                "actual": fmt_num(r["actual_thousand_yen"]),
                "execution": fmt_pct(r["execution_pct"]),
                "implemented": implemented_cell(
                    data, shares.get(("pillar", str(r["id"]))), int(r["initiatives_implemented"]), int(r["initiatives"])
                ),
            }
        )
        labels.append(data.phrase("pillar_short", id=r["id"]))
        counts.append(
            {"A": r["rating_A"], "B": r["rating_B"], "C": r["rating_C"], "D": r["rating_D"], "-": r["rating_none"]}
        )
    spec_table(  # columns: layout.yaml tables.summary_pillars (review 7 #16: no 「目標値に届いたKPI」 beside the A count)
        doc,
        data.templates,
        "summary_pillars",
        cells,
        {f: operator.itemgetter(f) for f in PILLAR_FIELDS},
        {"fy": fy},
    )
    add_picture(
        doc, charts.rating_bars(labels, counts, data.phrase_map("chart")), 120, data.phrase("rating_chart_caption")
    )
    doc.add_heading(data.phrase("summary_kpi_heading"), level=2)
    source_note(doc, data, ["abstract", "management_kpi"])
    add_summary_kpis(doc, data)
    reference = reference_note(data)
    if reference:  # the reference sums, right under the table when it has no column for them
        add_note(doc, reference)
    # a target cell in the plan's own words (kpis.yaml target_label: a statistic's year, 「現状維持【基準値】…」), said
    # under the table; a target that merely lies behind the baseline the table shows is left to the region report
    # (review 7 #9: ten notes, longer than the table, and 今後に向けて on a page of its own)
    for line in target_notes(data, [k for k in plan.kpis if k.target_label]):
        add_note(doc, line)
    for line in single_reporter_notes(
        data, list(data.plan.kpis), "summary_kpi"
    ):  # a member's own value under a sum's header
        add_note(doc, line)
    rated_by = [
        c.header for c in columns(data.templates, "summary_kpi", list(kpi_fields(data))) if c.field == "rated_by"
    ]
    scale = abstract_line(data, "rating_scale", column=rated_by[0] if rated_by else "", at_least=at_least_names(data))
    terms = data.text_context()
    add_note(
        doc,
        data.phrase(
            "summary_kpi_note",
            scale=scale,
            basis="" if reference else data.phrase("summary_kpi_basis", basis=terms["basis_term"]),
            reference=(
                data.phrase("summary_kpi_reference_column", added=terms["added_after"])
                if reference_column(data)
                else ""
            ),
            overview=data.heading("overview"),
            method=data.phrase("overview_method"),
        ),
    )
    beyond = progress_note(data, [data.kpi.loc[k.id] for k in plan.kpis])
    if beyond:
        add_note(doc, beyond)
    names = over_target_names(data, list(plan.kpis))
    if names and not reference:  # the reference sum passes the target while the rating, on the basis, is low
        add_note(doc, abstract_line(data, "over_target", kpi_name=names))  # (in the reference note when it has one)
    for line in baseline_notes(data, list(plan.kpis)):  # a rating unlike the move from the baseline, as in the 要旨
        add_note(doc, line)
    add_execution_chart(doc, data)
    add_period_summary(doc, data)
    add_panel_summary(doc, data)
    add_next_steps(doc, data)
    p = doc.add_paragraph()
    p.paragraph_format.space_before = Pt(8)
    add_text(p, data.phrase("summary_footer", title=plan.meta.title, wareki=wareki(fy), office=plan.meta.office or ""))
    keep_table_ends(doc, keep_edge_rows(data.templates))  # no last row alone atop a page, notes with their table
    return doc


PILLAR_FIELDS = ("name", "kpis", "ratings", "reached", "planned", "actual", "execution", "implemented")


def add_terms(doc, data: ReportData) -> None:
    """用語: what the 概要版's figures mean, for a reader who has only the 概要版 (review 4 #10) — 達成率・進捗率・
    執行率 and 取組の自己評価 A〜D in the words of the region report's 「評価の方法」 (method.txt.j2 with ``terms``),
    and what the pillar table's column 「…全関係市町村が実施した取組」 counts (the note the region report prints
    under its own such table). The KPI rating's A〜D is said under the KPI table."""
    doc.add_heading(data.heading("summary_terms"), level=2)
    for line in data.text("method", terms=True, unit_terms=unit_terms(data)):
        add_note(doc, line)
    column = implemented_column_note(data, "")
    add_note(doc, column.removeprefix("※ "))  # a term among the terms, without the mark of a note under a table


def region_place(data: ReportData, key: str) -> str:
    """Where the region report prints a part, by its numbered heading as printed there: 「要旨」, 「4 進行管理」の
    「(3) 柱・小分野ごとの事業費と評価」, 「5 計画期間の総括（2021〜2025年度）」の「(2) …」; "" when layout.yaml leaves
    the part out. ``key``: abstract, management_<section> or period_<section>."""
    body = sections(data.templates, "body", BODY_SECTIONS)
    if key == "abstract":
        return data.phrase("summary_source_chapter", chapter=data.heading("abstract")) if key in body else ""
    chapter, _, section = key.partition("_")
    if chapter not in body:
        return ""
    if chapter == "management":
        heading_key = f"management_{section}"
        if heading_key not in [k for k, _ in management_sections(data)]:
            return ""
        title = data.heading("management", number=chapter_number(data, "management"))
        return data.phrase("summary_source_section", chapter=title, section=management_heading(data, heading_key))
    if section not in period_sections(data):
        return ""
    return data.phrase("summary_source_section", chapter=period_title(data), section=period_heading(data, section))


def source_note(doc, data: ReportData, keys: list[str]) -> None:
    """Under a 概要版 heading, where the region report gives the same figures in full (by its numbered headings:
    the 概要版 is printed apart from it, so page numbers could not be kept right). Sections of one chapter are named
    after the chapter once: 「5 計画期間の総括（…）」の「(1) …」「(2) …」 (review 4 #10: a block's heading names all
    it covers)."""
    places: list[str] = []
    grouped: dict[str, list[str]] = {}
    for k in keys:
        place = region_place(data, k)
        if not place:
            continue
        chapter, _, section = k.partition("_")
        if section and chapter in ("management", "period"):
            title = data.heading("management", number=chapter_number(data, "management"))
            title = title if chapter == "management" else period_title(data)
            if title not in grouped:
                grouped[title] = []
                places.append(title)  # placeholder, in the order of the keys
            grouped[title].append(
                management_heading(data, k) if chapter == "management" else period_heading(data, section)
            )
        else:
            places.append(place)
    places = [
        (
            data.phrase(
                "summary_source_sections",
                chapter=p,
                sections="".join(data.phrase("summary_source_section_item", section=x) for x in grouped[p]),
            )
            if p in grouped
            else p
        )
        for p in places
    ]
    if places:
        p = add_note(doc, data.phrase("summary_source", places=data.phrase("names_joiner").join(places)))
        keep_with_next(p)


def add_execution_chart(doc, data: ReportData) -> None:
    """事業費の執行状況: planned and actual per pillar, a pillar's sub-fields after it marked as its breakdown
    (「うち小分野3A」, lighter bars), each amount printed on its bar."""
    roll = data.rollup
    sel = roll[roll["level"].isin(["pillar", "subfield"])]
    if not len(sel):
        return
    doc.add_heading(data.heading("summary_execution", fy=data.fiscal_year), level=2)
    source_note(doc, data, ["management_budget"])
    parts = [r["level"] == "subfield" for _, r in sel.iterrows()]
    labels = [
        data.phrase("subfield_part", id=r["id"]) if part else data.phrase("pillar_short", id=r["id"])
        for part, (_, r) in zip(parts, sel.iterrows(), strict=True)
    ]
    add_picture(
        doc,
        charts.execution_bars(
            labels,
            [0 if is_missing(v) else v for v in sel["planned_thousand_yen"]],
            [0 if is_missing(v) else v for v in sel["actual_thousand_yen"]],
            data.phrase_map("chart"),
            parts if any(parts) else None,
        ),
        120,
        data.phrase("summary_execution_caption", year=year_label(data.fiscal_year)),
    )
    subs = roll[roll["level"] == "subfield"]
    if len(subs):
        names = data.phrase("kpi_line_joiner").join(f"{r['id']} {r['name']}" for _, r in subs.iterrows())
        add_note(doc, data.phrase("summary_subfields_note", names=names))


def add_next_steps(doc, data: ReportData) -> None:
    """今後に向けて, as the 要旨 ends: the 今後の方向性 counts and what the next year (or the next vision) takes up."""
    doc.add_heading(data.heading("abstract_next"), level=2)
    source_note(doc, data, ["abstract"])
    for line in abstract_lines(data, "next", summary=True):
        doc.add_paragraph(line)


def add_summary_kpis(doc, data: ReportData) -> None:
    """The KPI table (layout.yaml tables.summary_kpi): 現状値, target, the year's actual on the targets' basis (its
    header names the basis, 「実績値（20市町村計）」), the reference sum over every member in a column of its own (when
    members joined after the targets were set), 達成率, 進捗率, rating and, in the final year, the 総括's verdict.
    Its heading and header go with its first layout.yaml page_flow.keep_edge_rows rows (a table opening with one row
    at a page's foot reads as two tables); the rest flows on, its last rows kept with the notes under it
    (``keep_table_ends``). Kept whole, the table went to page 3 and left page 2 nearly empty (issue 18)."""
    fields = kpi_fields(data)
    table = spec_table(
        doc,
        data.templates,
        "summary_kpi",
        list(data.plan.kpis),
        fields,
        {"kpi_target": data.heading("kpi_target"), **basis_counts(data)},
        skip=(() if data.is_final_year else ("verdict",)) + (() if has_reference(data) else ("reference",)),
    )
    keep_rows_with_next(table, keep_edge_rows(data.templates) + 1)


def reference_column(data: ReportData) -> bool:
    """True when the 概要版's KPI table prints the reference sums in a column (layout.yaml tables.summary_kpi)."""
    return has_reference(data) and any(
        c.field == "reference" for c in columns(data.templates, "summary_kpi", list(kpi_fields(data)))
    )


def reference_note(data: ReportData) -> str:
    """The reference sums (all the year's members) of the KPIs that have one, in a note under the KPI table when
    layout.yaml gives the table no column for them: the KPI names then wrap in 2–3 lines, not 4–6 (issue 18).
    The one note on the two bases: it says that the targets' basis rates the KPIs and names the KPIs whose reference
    sum passes the target (two notes said it twice, review 7 #9). "" when the table has the column or no KPI has a
    reference sum."""
    if not has_reference(data) or reference_column(data):
        return ""
    reference = kpi_fields(data)["reference"]
    items = [
        data.phrase("summary_kpi_reference_item", name=k.name, unit=k.unit, value=reference(k))
        for k in data.plan.kpis
        if reference(k) != "—"
    ]
    if not items:
        return ""
    terms = data.text_context()
    names = over_target_names(data, list(data.plan.kpis))
    return data.phrase(
        "summary_kpi_reference",
        added=terms["added_after"],
        n_all=basis_counts(data)["n_all"],
        values=data.phrase("kpi_line_joiner").join(items),
        basis=terms["basis_term"],
        verdict=data.phrase("summary_kpi_reference_verdict") if data.is_final_year else "",
        over=data.phrase("summary_kpi_reference_over", names=names) if names else "",
    )


def add_panel_summary(doc, data: ReportData) -> None:
    """ビジョン懇談会の意見 in brief (the whole text is in the region report's 進行管理 chapter)."""
    doc.add_heading(data.heading("summary_panel"), level=2)
    panel = data.panel
    if panel.unreadable:
        doc.add_paragraph(data.snippet("panel_unreadable", file=panel.file))
        return
    if not panel.recorded:
        near = panel.near_miss_message() if panel.near_miss else ""
        doc.add_paragraph(data.snippet("panel_near_miss", message=near) if near else data.snippet("panel_missing"))
        return
    # the whole text as the region report prints it (headings, bullets, numbering), a long one bounded to
    # evaluation.panel_opinions_summary_chars: picking one block per heading dropped bullets and left 「1.」 alone
    source_note(doc, data, ["management_panel"])
    blocks, cut = panel.excerpt(list(panel.blocks))
    first = len(doc.paragraphs)
    add_panel_blocks(doc, data, blocks)
    if len(doc.paragraphs) > first:  # the heading never ends a page with only the first block under it
        keep_with_next(doc.paragraphs[first])
    if cut:
        add_note(
            doc,
            data.snippet(
                "panel_more", heading=f"{data.heading('management')} {management_heading(data, 'management_panel')}"
            ),
        )


def add_period_summary(doc, data: ReportData) -> None:
    """計画期間の総括 at a glance (in other years: the period to date): the sentences and a table per pillar."""
    if "period_rollup" not in data.results:
        return
    doc.add_heading(data.heading("summary_period_final" if data.is_final_year else "summary_period_to_date"), level=2)
    source_note(doc, data, ["period_kpi", "period_budget", "period_initiatives"])
    # where the region report has each KPI's years: said in the text only when the note above does not name it
    # (review 7 #9: the note and the sentence named the same section, and 今後に向けて's last lines went to a page 5)
    trend = "" if region_place(data, "period_kpi") else region_place(data, "abstract")
    for line in data.text("period", summary=True, trend_place=trend):
        doc.add_paragraph(line)
    roll = data.results["period_rollup"]
    rows = [
        [
            data.phrase("node_pillar", id=r.id, name=r.name),
            fmt_num(r.planned_thousand_yen),
            fmt_num(r.actual_thousand_yen),
            fmt_pct(r.execution_pct),
            implemented_cell(data, period_done_pct(r), r.initiatives_as_planned, r.initiatives),
        ]
        for r in roll.itertuples(index=False)
        if r.level == "pillar"
    ]
    pillars = roll[roll["level"] == "pillar"]
    planned, actual = pillars["planned_thousand_yen"].sum(), pillars["actual_thousand_yen"].sum()
    rows.append(  # the first 概要 point's period totals, traceable here
        [
            data.phrase("region_total"),
            fmt_num(planned),
            fmt_num(actual),
            fmt_pct(actual / planned * 100 if planned else None),
            implemented_cell(
                data,
                implementation_share(data.results["period_budget"])[2],
                int(pillars["initiatives_as_planned"].sum()),
                int(pillars["initiatives"].sum()),
            ),
        ]
    )
    add_table(
        doc,
        data.phrases(
            "summary_period_header",
            period=data.phrase("summary_period_label", first=data.plan.meta.first_fiscal_year, fy=data.fiscal_year),
        ),
        rows,
        widths=[66, 25, 25, 18, 36],
        numeric={1, 2, 3},
        center={4},
        bold_rows={len(rows) - 1},
    )

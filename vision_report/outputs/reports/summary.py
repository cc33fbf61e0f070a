"""概要版: the three pillars at a glance for council sessions (2–4 pages)."""

from __future__ import annotations

from docx.shared import Pt

from vision_report.core.textfmt import fmt_num, fmt_pct, is_missing, wareki
from vision_report.core.vocabulary import synthetic as synthetic_label
from vision_report.core.vocabulary import year_label
from vision_report.outputs.reports import charts
from vision_report.outputs.reports.context import ReportData, kpi_value
from vision_report.outputs.reports.docxutil import add_note, add_picture, add_table, new_document, page_number_footer
from vision_report.outputs.reports.figures import kpi_progress, progress_note
from vision_report.outputs.reports.region_abstract import abstract_line, abstract_values
from vision_report.outputs.reports.region_kpis import (
    at_least_names,
    baseline_text,
    behind_baseline,
    kpi_fields,
    rating_text,
    target_text,
)
from vision_report.outputs.reports.region_management import (
    add_panel_blocks,
    management_heading,
    rating_counts,
    reached_kpis,
    row_kpi_ids,
)

POINT_VALUES = (
    "ratings",
    "planned",
    "actual",
    "execution",
    "period_planned",
    "period_actual",
    "period_execution",
)  # what summary_points.txt.j2 gets beside text_context


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
        p.add_run(synthetic_label("banner_short")).bold = True
    share = data.evaluation_share[data.evaluation_share["level"] == "pillar"]
    evaluated, good = int(share["evaluated"].sum()), int(share["good"].sum())
    ratings = data.kpi["rating"].tolist()
    roll = data.rollup
    pillars = roll[roll["level"] == "pillar"]
    planned = pillars["planned_thousand_yen"].sum()
    actual = pillars["actual_thousand_yen"].sum()
    doc.add_heading(data.phrase("summary_points_heading"), level=2)
    period = abstract_values(data)  # the 要旨's period totals: in the final year the first 概要 point
    values = {
        "ratings": {g: ratings.count(g) for g in ("A", "B", "C", "D", "-")},
        "planned": planned,
        "actual": actual,
        "execution": fmt_pct(actual / planned * 100 if planned else None),
        **{k: period[k] for k in ("period_planned", "period_actual", "period_execution")},
    }
    points = data.text("summary_points", **values)
    for line in [
        *points,
        data.snippet(
            "summary_point",
            evaluated=evaluated,
            good=data.good_label(),
            pct=fmt_pct(good / evaluated * 100 if evaluated else None),
        ),
    ]:
        p = (
            doc.add_paragraph(style="List Bullet")
            if "List Bullet" in [s.name for s in doc.styles]
            else doc.add_paragraph()
        )
        p.add_run(line)
    waiting = data.holds.waiting if data.holds is not None else None
    if waiting is not None and len(waiting):  # what the figures above leave out (要確認)
        for line in data.held_text("summary"):
            add_note(doc, line)
    doc.add_heading(data.heading("summary_pillars"), level=2)
    rows = []
    labels, counts = [], []
    for _, r in pillars.iterrows():
        rows.append(
            [
                f"{r['id']} {r['name']}",
                str(len(r["kpi_ids"].split(";")) if r["kpi_ids"] else 0),
                rating_counts(data, r),
                str(len(reached_kpis(data, row_kpi_ids(r)))),
                fmt_num(r["planned_thousand_yen"]),
                fmt_num(r["actual_thousand_yen"]),
                fmt_pct(r["execution_pct"]),
                data.phrase("implemented_count", done=int(r["initiatives_implemented"]), total=int(r["initiatives"])),
            ]
        )
        labels.append(data.phrase("pillar_short", id=r["id"]))
        counts.append(
            {"A": r["rating_A"], "B": r["rating_B"], "C": r["rating_C"], "D": r["rating_D"], "-": r["rating_none"]}
        )
    add_table(
        doc,
        data.phrases("summary_pillar_header", fy=fy),
        rows,
        widths=[36, 12, 32, 16, 20, 20, 14, 20],
        numeric={4, 5, 6},
        center={1, 2, 3, 7},
    )
    add_picture(
        doc, charts.rating_bars(labels, counts, data.phrase_map("chart")), 120, data.phrase("rating_chart_caption")
    )
    doc.add_heading(data.phrase("summary_kpi_heading"), level=2)
    add_summary_kpis(doc, data)
    scale = abstract_line(data, "rating_scale", column="", at_least=at_least_names(data))
    terms = data.text_context()
    add_note(doc, data.phrase("summary_kpi_note", scale=scale, basis=terms["basis_term"], added=terms["added_after"]))
    beyond = progress_note(data, [data.kpi.loc[k.id] for k in plan.kpis])
    if beyond:
        add_note(doc, beyond)
    for k in plan.kpis:  # a high 達成率 beside the lowest rating says why, as in the 要旨
        behind = behind_baseline(data, k)
        if behind:
            add_note(doc, abstract_line(data, "behind_baseline", kpi_name=k.name, **behind))
    subs = roll[roll["level"] == "subfield"]
    labels = [
        data.phrase("pillar_short", id=r["id"]) if r["level"] == "pillar" else data.phrase("subfield_short", id=r["id"])
        for _, r in roll[roll["level"].isin(["pillar", "subfield"])].iterrows()
    ]
    sel = roll[roll["level"].isin(["pillar", "subfield"])]
    add_picture(
        doc,
        charts.execution_bars(
            labels,
            [0 if is_missing(v) else v for v in sel["planned_thousand_yen"]],
            [0 if is_missing(v) else v for v in sel["actual_thousand_yen"]],
            data.phrase_map("chart"),
        ),
        120,
        data.phrase("summary_execution_caption", year=year_label(fy)),
    )
    if len(subs):
        names = data.phrase("kpi_line_joiner").join(f"{r['id']} {r['name']}" for _, r in subs.iterrows())
        add_note(doc, data.phrase("summary_subfields_note", names=names))
    add_period_summary(doc, data)
    add_panel_summary(doc, data)
    p = doc.add_paragraph()
    p.paragraph_format.space_before = Pt(8)
    p.add_run(data.phrase("summary_footer", title=plan.meta.title, wareki=wareki(fy), office=plan.meta.office or ""))
    return doc


def reference_members(data: ReportData) -> int:
    """How many members the reference sums cover (0: every KPI is summed over the basis its target was set on)."""
    kpi = data.kpi
    if "actual_all_members" not in kpi.columns or "reporters_expected_all" not in kpi.columns:
        return 0
    wider = kpi["reporters_expected_all"].fillna(0).astype(int) > kpi["reporters_expected"].fillna(0).astype(int)
    return int(kpi.loc[wider, "reporters_expected_all"].max()) if wider.any() else 0


def add_summary_kpis(doc, data: ReportData) -> None:
    """The KPI table: 現状値, target, the year's actual on the target's basis, the reference sum over every member
    in a column of its own (when members joined after the targets were set), 達成率, 進捗率, rating."""
    plan, fy = data.plan, data.fiscal_year
    n_all = reference_members(data)
    header = data.phrases("summary_kpi_header", kpi_target=data.heading("kpi_target"), fy=fy)
    widths = [50, 21, 23, 19, 15, 17, 11]
    if n_all:
        header.insert(4, data.phrase("summary_kpi_reference_header", n=n_all))
        widths = [40, 19, 21, 18, 18, 14, 15, 10]
    verdict = kpi_fields(data)["verdict"] if data.is_final_year else None
    if verdict is not None:  # the plan's final year: 達成・未達成 beside the year's rating
        header.append(data.phrase("summary_kpi_verdict_header"))
        widths.append(14)
    rows = []
    for k in plan.kpis:
        r = data.kpi.loc[k.id]
        row = [
            f"{k.name}（{k.unit}）",
            baseline_text(k),
            target_text(k),
            kpi_value(k, r["actual"]),
            fmt_pct(r["attainment_pct"]),
            kpi_progress(data, r),
            rating_text(r),
        ]
        if n_all:
            wider = int(r.get("reporters_expected_all", 0) or 0) > int(r["reporters_expected"] or 0)
            row.insert(4, kpi_value(k, r["actual_all_members"]) if wider else "—")
        if verdict is not None:
            row.append(verdict(k))
        rows.append(row)
    last = len(header) - 1
    centered = {last - 1, last} if verdict is not None else {last}
    add_table(doc, header, rows, widths=widths, numeric=set(range(1, min(centered))), center=centered)


def panel_summary_blocks(blocks) -> tuple[list, bool]:
    """The opinions in brief: every heading and the first block under it (the whole text when it has no
    headings but a single block); and whether anything was left out."""
    out, taken = [], False
    for b in blocks:
        if b.kind == "heading":
            out.append(b)
            taken = False
        elif not taken:
            out.append(b)
            taken = True
    return out, len(out) < len(blocks)


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
    blocks, cut = panel_summary_blocks(panel.blocks)
    blocks, bounded = panel.excerpt(
        blocks
    )  # a huge paste prints a bounded excerpt (evaluation.panel_opinions_summary_chars)
    cut = cut or bounded
    add_panel_blocks(doc, data, blocks)
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
    for line in data.text("period", summary=True):
        doc.add_paragraph(line)
    roll = data.results["period_rollup"]
    rows = [
        [
            data.phrase("node_pillar", id=r.id, name=r.name),
            fmt_num(r.planned_thousand_yen),
            fmt_num(r.actual_thousand_yen),
            fmt_pct(r.execution_pct),
            data.phrase("implemented_count", done=r.initiatives_as_planned, total=r.initiatives),
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
            data.phrase(
                "implemented_count",
                done=int(pillars["initiatives_as_planned"].sum()),
                total=int(pillars["initiatives"].sum()),
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
        widths=[70, 28, 28, 18, 26],
        numeric={1, 2, 3},
        center={4},
        bold_rows={len(rows) - 1},
    )

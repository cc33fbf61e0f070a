"""The region report's 進行管理 chapter (layout.yaml region.management): structure, KPIs by measure, money by pillar and
sub-field, self-evaluations, each member's report, the panel's opinions; and the chapter numbering of the body."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable

from docx.oxml.ns import qn
from docx.shared import Pt

from vision_report.compute.period import implementation_share
from vision_report.core.textfmt import fmt_num, fmt_pct, is_missing
from vision_report.core.vocabulary import (
    year_label,
)
from vision_report.outputs.reports import charts
from vision_report.outputs.reports.context import ReportData
from vision_report.outputs.reports.docxutil import (
    SUBTLE_FILL,
    add_note,
    add_picture,
    add_table,
    add_text,
    keep_last_row_with_next,
    keep_with_next,
)
from vision_report.outputs.reports.figures import progress_note
from vision_report.outputs.reports.layout import columns, sections, spec_table
from vision_report.outputs.reports.region_kpis import basis_counts, has_reference, kpi_fields, single_reporter_notes

TAIL_ROWS = 3  # a table's rows kept with the note under it (never one row alone over the note on a new page)
MANAGEMENT_SECTIONS = ("structure", "kpi", "budget", "evaluation", "municipalities", "panel")


def management_sections(data: ReportData) -> list[tuple[str, Callable]]:
    """The 進行管理 chapter's sub-sections in layout.yaml's order (heading key, builder); numbered (1), (2)… as
    printed. 管理体制 only when the plan has its text."""
    build: dict[str, tuple[str, Callable]] = {
        "structure": ("management_structure", _management_structure),
        "kpi": ("management_kpi", _management_kpi),
        "budget": ("management_budget", _management_budget),
        "evaluation": ("management_evaluation", add_evaluation_share),
        "municipalities": ("management_municipalities", add_municipality_evaluations),
        "panel": ("management_panel", add_panel_opinions),
    }
    keys = sections(data.templates, "management", MANAGEMENT_SECTIONS)
    return [build[k] for k in keys if k != "structure" or data.plan.meta.management.get("structure")]


def management_headings(data: ReportData) -> list[str]:
    return [data.heading(key, n=n) for n, (key, _) in enumerate(management_sections(data), start=1)]


def management_heading(data: ReportData, key: str) -> str:
    """One sub-section's heading of the 進行管理 chapter with its number, e.g. 「(6) ビジョン懇談会の意見」."""
    keys = [k for k, _ in management_sections(data)]
    return management_headings(data)[keys.index(key)]


def add_management(doc, data: ReportData) -> None:
    doc.add_heading(data.heading("management", number=chapter_number(data, "management")), level=1)
    for title, (_, build) in zip(management_headings(data), management_sections(data), strict=True):
        doc.add_heading(title, level=2)
        build(doc, data)


# what management_text gives management.txt.j2 beside ReportData.text_context (tests/test_reports.py's contract test)
MANAGEMENT_VALUES = ("part", "plan_text", "n_basis", "n_all")


def management_text(data: ReportData, part: str) -> list[str]:
    """The sentences of templates/report/management.txt.j2 ``part`` around the vision's own text of that item
    (plan.yaml management:), which they quote; none when the vision has no such text."""
    text = str(data.plan.meta.management.get(part) or "").strip().rstrip("。")
    return data.text("management", part=part, plan_text=text, **basis_counts(data))


def _management_structure(doc, data: ReportData) -> None:
    """(1) 管理体制: what the vision sets, said as a report (management.txt.j2)."""
    for line in management_text(data, "structure"):
        doc.add_paragraph(line)


def _management_kpi(doc, data: ReportData) -> None:
    """(2) 施策ごとのKPI: the KPIs under a shaded row naming the measure they gauge (printed once over its KPIs), in
    the columns of layout.yaml tables.management_kpi, headed 「実績値（20市町村計）」 like the pillars' tables with the
    24 members' sum in its own column; the last rows kept with the notes under it (review 4 #14)."""
    kpis = list(data.plan.kpis)
    for line in management_text(data, "kpi"):
        doc.add_paragraph(line)
    fields = kpi_fields(data)
    skip = () if has_reference(data) else ("reference",)
    every = columns(data.templates, "management_kpi", list(fields))
    cols = [c for c in every if c.field not in skip]
    values = {"kpi_target": data.heading("kpi_target"), **basis_counts(data)}
    rows: list[list[str]] = []
    groups: list[int] = []
    for first, last in measure_runs([data.node_label(k.measures) for k in kpis]):
        groups.append(len(rows))
        rows.append([data.node_label(kpis[first].measures)] + [""] * (len(cols) - 1))
        rows += [[fields[c.field](k) for c in cols] for k in kpis[first : last + 1]]
    add_table(
        doc,
        [c.header.format(**values) for c in cols],
        rows,
        widths=[c.width for c in cols],
        room=sum(c.width for c in every if c.field in skip),
        numeric={i for i, c in enumerate(cols) if c.align == "right"},
        center={i for i, c in enumerate(cols) if c.align == "center"},
        fills=dict.fromkeys(groups, SUBTLE_FILL),
        finish=functools.partial(_finish_kpi_table, tuple(groups), TAIL_ROWS),
    )
    for line in single_reporter_notes(data, kpis):  # a member's own value under a sum's header
        add_note(doc, line)
    beyond = progress_note(data, [data.kpi.loc[k.id] for k in kpis])
    if beyond:
        add_note(doc, beyond)


def _finish_kpi_table(groups: tuple[int, ...], tail: int, table) -> None:
    """Each measure's row (body rows ``groups``, counted under the header row) one cell across the table, kept with
    the KPI under it; the last ``tail`` rows kept with the note under the table (a plain function of plain values:
    the table cache keys on it)."""
    rows = table.rows
    for g in groups:
        row = rows[g + 1]
        cell = row.cells[0].merge(row.cells[len(row.cells) - 1])
        for extra in cell._tc.p_lst[1:]:  # the other cells' (empty) paragraphs, moved in by the merge
            cell._tc.remove(extra)
        for p in row._tr.iter(qn("w:p")):
            p.get_or_add_pPr().keepNext_val = True
    keep_last_row_with_next(table, min(tail, len(rows) - 1))


def measure_runs(values: list[str]) -> list[tuple[int, int]]:
    """(first, last) indices of each run of equal neighbouring values: the KPIs printed under one measure's row
    (「3 圏域全体の生活関連機能サービスの向上」 once over its two KPIs)."""
    runs, start = [], 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            runs.append((start, i - 1))
            start = i
    return runs


BUDGET_FIELDS = ("name", "planned", "actual", "execution", "implemented", "ratings", "reached")


def _management_budget(doc, data: ReportData) -> None:
    """柱・小分野ごとの事業費と評価: one row per pillar and sub-field and the 圏域計, its columns from layout.yaml
    tables.management_budget (review 7 #16: 「目標値に届いたKPI」 repeated the A count and is left out there)."""
    roll = data.rollup
    shares = year_done_shares(data)
    cells: list[dict[str, str]] = []
    labels, planned, actual = [], [], []
    for _, r in roll[roll["level"].isin(["pillar", "subfield"])].iterrows():
        if r["level"] == "pillar":
            name = data.phrase("pillar_label", id=r["id"], name=r["name"])
        else:
            name = data.phrase("subfield_label", id=r["id"], name=r["name"])
        cells.append(
            {
                "name": name,
                "planned": fmt_num(r["planned_thousand_yen"]),
                "actual": fmt_num(r["actual_thousand_yen"]),
                "execution": fmt_pct(r["execution_pct"]),
                "implemented": implemented_cell(
                    data,
                    shares.get((str(r["level"]), str(r["id"]))),
                    int(r["initiatives_implemented"]),
                    int(r["initiatives"]),
                ),
                "ratings": rating_counts(data, r),
                "reached": reached_count(data, r),
            }
        )
        if r["level"] == "pillar":
            labels.append(data.phrase("pillar_short", id=r["id"]))
            planned.append(0 if is_missing(r["planned_thousand_yen"]) else r["planned_thousand_yen"])
            actual.append(0 if is_missing(r["actual_thousand_yen"]) else r["actual_thousand_yen"])
    pillars = roll[roll["level"] == "pillar"]
    total_planned, total_actual = pillars["planned_thousand_yen"].sum(), pillars["actual_thousand_yen"].sum()
    cells.append(
        {
            "name": data.phrase("region_total"),
            "planned": fmt_num(total_planned),
            "actual": fmt_num(total_actual),
            "execution": fmt_pct(total_actual / total_planned * 100 if total_planned else None),
            "implemented": implemented_cell(
                data,
                implementation_share(data.budget)[2],
                int(pillars["initiatives_implemented"].sum()),
                int(pillars["initiatives"].sum()),
            ),
            "ratings": data.phrase("rating_counts", **{g: data.kpi["rating"].tolist().count(g) for g in "ABCD"}),
            "reached": data.phrase(
                "reached_count", n=len(reached_kpis(data, list(data.kpi["kpi_id"]))), total=len(data.kpi)
            ),
        }
    )
    fields: dict[str, Callable[[dict[str, str]], str]] = {f: operator.itemgetter(f) for f in BUDGET_FIELDS}
    spec_table(
        doc,
        data.templates,
        "management_budget",
        cells,
        fields,
        {"year": year_label(data.fiscal_year)},
        bold_rows={len(cells) - 1},
    )
    add_note(doc, implemented_column_note(data, ""))
    waiting = data.holds.waiting if data.holds is not None else None
    if waiting is not None and len(waiting):
        for line in data.held_text("management"):
            add_note(doc, line)
    caption = data.phrase("execution_chart_caption", year=year_label(data.fiscal_year))
    add_picture(doc, charts.execution_bars(labels, planned, actual, data.phrase_map("chart")), 140, caption)


def implemented_cell(data: ReportData, pct: float | None, done: int, total: int) -> str:
    """The cell of a pillar's (or the region's) implementation (review 6 P5): the share of the participants' reports
    saying 「実施」 or 「完了」 first, then the strict count of initiatives every participant carried out, labelled
    (phrases.yaml implemented_share; 「89.2%」 over 「（1/7取組）」)."""
    return data.phrase("implemented_share", pct=fmt_pct(pct), done=done, total=total)


def year_done_shares(data: ReportData) -> dict[tuple[str, str], float]:
    """(level, id) of each node of the year's rollup -> the share (%) of its initiatives' reports of the year saying
    「実施」 or 「完了」 (compute.period.implementation_share over the node's rows of budget_execution)."""
    from vision_report.compute.rollup import _rollup_nodes

    be = data.budget
    out = {}
    for level, nid, _name, _scope, inits in _rollup_nodes(data.plan):
        out[(level, nid)] = implementation_share(be[be["initiative_id"].isin(inits)])[2]
    return out


def implemented_column_note(data: ReportData, header: str) -> str:
    """What the column 「…に全関係市町村が実施した取組」 counts, beside the share of the year's reports saying 実施."""
    imp = data.implementation_context()
    return data.phrase(
        "implemented_column_note",
        header=header.replace("\n", ""),
        year=year_label(data.fiscal_year),
        reports=fmt_num(imp["year_reports"]),
        done=fmt_num(imp["year_reports_done"]),
        pct=imp["year_done_pct"],
    )


def reached_kpis(data: ReportData, kpi_ids: list[str]) -> list[str]:
    """The KPIs of ``kpi_ids`` whose reporting-year value reached the target (達成率 ≥ 100 %). Counted instead of a
    mean of 達成率 over KPIs of unlike units, which reads as a measure it is not (review #4)."""
    k = data.kpi
    return [
        i
        for i in kpi_ids
        if i in k.index and not is_missing(k.at[i, "attainment_pct"]) and float(k.at[i, "attainment_pct"]) >= 100
    ]


def row_kpi_ids(r) -> list[str]:
    """The KPI ids of a rollup row (its kpi_ids column, ";"-joined; empty or missing: none)."""
    return [] if is_missing(r["kpi_ids"]) else [i for i in str(r["kpi_ids"]).split(";") if i]


def reached_count(data: ReportData, r) -> str:
    """「1（4指標中）」: a rollup row's KPIs that reached the target, of its KPIs (「—」 without KPIs)."""
    ids = row_kpi_ids(r)
    if not ids:
        return "—"
    return data.phrase("reached_count", n=len(reached_kpis(data, ids)), total=len(ids))


def rating_counts(data: ReportData, r) -> str:
    """「A 0・B 3・C 0・D 1」 (and 「（評価なし 1）」 for KPIs without a rating)."""
    text = data.phrase("rating_counts", **{g: int(r[f"rating_{g}"]) for g in "ABCD"})
    return text + (data.phrase("rating_counts_none", n=int(r["rating_none"])) if r["rating_none"] else "")


def _grade_header(data: ReportData) -> list[str]:
    return list(data.settings.evaluation.self_evaluation)


def add_evaluation_share(doc, data: ReportData) -> None:
    """取組の自己評価: per pillar, sub-field and policy area, the grades given and the share of good grades."""
    e = data.settings.evaluation
    add_note(doc, data.snippet("evaluation_intro", criteria=e.self_evaluation, good=data.good_label()))
    counts = data.evaluation_counts
    by_area = counts.groupby("area_id", sort=False)[[f"grade_{g}" for g in e.self_evaluation]].sum()
    rows: list[list[str]] = []
    fills: dict[int, str] = {}
    for r in data.evaluation_share.itertuples(index=False):
        if r.level == "pillar":
            fills[len(rows)] = SUBTLE_FILL
            name, areas = data.phrase("pillar_label", id=r.id, name=r.name), data.plan.pillar(r.id).area_ids
        elif r.level == "subfield":
            name, areas = data.phrase("subfield_label", id=r.id, name=r.name), data.plan.subfield(str(r.id)).area_ids
        else:
            area = data.plan.area(str(r.id))
            name, areas = data.phrase("period_area_label", circled=area.circled, name=area.name), (area.id,)
        grades = by_area.reindex(list(areas)).fillna(0).sum()
        expected = int(counts[counts["area_id"].isin(list(areas))]["expected"].sum())
        rows.append(
            [name, f"{int(r.evaluated)}/{expected}"]
            + [str(int(grades[f"grade_{g}"])) for g in e.self_evaluation]
            + [fmt_pct(r.good_pct)]
        )
    pillars = data.evaluation_share[data.evaluation_share["level"] == "pillar"]
    evaluated, good = int(pillars["evaluated"].sum()), int(pillars["good"].sum())
    fills[len(rows)] = SUBTLE_FILL
    rows.append(
        [data.phrase("region_total"), f"{evaluated}/{int(counts['expected'].sum())}"]
        + [str(int(counts[f"grade_{g}"].sum())) for g in e.self_evaluation]
        + [fmt_pct(good / evaluated * 100 if evaluated else None)]
    )
    grades = _grade_header(data)
    add_table(
        doc,
        [*data.phrases("evaluation_share_header"), *grades, data.heading("good_share", good=data.good_label())],
        rows,
        widths=[74, 20] + [12] * len(grades) + [76 - 12 * len(grades)],
        numeric=set(range(1, len(grades) + 3)),
        fills=fills,
        bold_rows={len(rows) - 1},
    )


def add_municipality_evaluations(doc, data: ReportData) -> None:
    """市町村ごと: how many of its initiatives each member reported, and its self-evaluations."""
    members = data.municipality_evaluations.to_dict("records")
    idle = [str(r["municipality_name"]) for r in members if not int(r["initiatives"])]  # 「0/0」: in no initiative
    add_note(doc, data.snippet("municipalities_intro", idle=idle))
    grades = _grade_header(data)
    rows = []
    for r in members:
        rows.append(
            [
                str(r["municipality_name"]),
                f"{r['reported']}/{r['initiatives']}",
                f"{r['evaluated']}",
                *[str(r[f"grade_{g}"]) for g in grades],
                fmt_pct(r["good"] / r["evaluated"] * 100 if r["evaluated"] else None),
                f"{r['with_result']}",
            ]
        )
    table = add_table(
        doc,
        [
            *data.phrases("municipality_evaluations_header"),
            data.heading("self_evaluation"),
            *grades,
            data.heading("good_share", good=data.good_label()),
            data.heading("result_text"),
        ],
        rows,
        widths=[28, 26, 20] + [11] * len(grades) + [30, 66 - 11 * len(grades)],
        numeric=set(range(1, len(grades) + 5)),
    )
    unevaluated = [r for r in members if int(r["reported"]) and not int(r["evaluated"])]
    if unevaluated:  # the table's last rows go onto the page of the notes under it
        keep_last_row_with_next(table, TAIL_ROWS)
    for r in unevaluated:  # e.g. 嘉島町 49/49 reported, no self-evaluation
        add_note(
            doc,
            data.snippet(
                "no_self_evaluation",
                name=r["municipality_name"],
                reported=int(r["reported"]),
                no_text=not int(r["with_result"]),
                good=data.good_label(),
            ),
        )


def add_panel_blocks(doc, data: ReportData, blocks) -> None:
    """The opinions' blocks as Word paragraphs: headings bold, list items as bullets; no Markdown symbols."""
    bullet = "List Bullet" if "List Bullet" in [s.name for s in doc.styles] else None
    for b in blocks:
        if b.kind == "heading":
            p = doc.add_paragraph()
            keep_with_next(p)
            p.paragraph_format.space_before = Pt(6)
            add_text(p, b.text, bold=True)
        elif b.kind == "item":
            doc.add_paragraph(b.text, style=bullet)
        elif b.kind == "numbered":
            p = doc.add_paragraph(f"{b.number}. {b.text}")
            p.paragraph_format.left_indent = Pt(12)
        else:
            doc.add_paragraph(b.text)


def add_panel_opinions(doc, data: ReportData) -> None:
    """ビジョン懇談会の意見, from the coordinator's file in inputs/<FY>/ (or the sentence that none was recorded)."""
    panel = data.panel
    if panel.unreadable:
        doc.add_paragraph(data.snippet("panel_unreadable", file=panel.file))
    elif not panel.recorded and panel.near_miss:
        doc.add_paragraph(data.snippet("panel_near_miss", message=panel.near_miss_message()))
    elif not panel.recorded:
        doc.add_paragraph(data.snippet("panel_missing"))
    else:
        intro = doc.add_paragraph(data.snippet("panel_intro"))
        keep_with_next(intro)  # the heading and this line go with the first opinion
        add_panel_blocks(doc, data, panel.blocks)


BODY_SECTIONS = ("abstract", "overview", "pillars", "management", "period")


def chapter_number(data: ReportData, key: str) -> int:
    """The number of the 進行管理 or 総括 chapter: after the pillars, in layout.yaml's order."""
    n = len(data.plan.pillars)
    for k in sections(data.templates, "body", BODY_SECTIONS):
        if k in ("management", "period"):
            n += 1
            if k == key:
                return n
    return n + 1

"""The region report's 計画期間の総括 chapter (layout.yaml region.period): KPIs over the period, money by pillar, sub-field,
area and initiative, and the office's 総括所見."""

from __future__ import annotations

import numbers

import pandas as pd

from vision_report.compute.period import implementation_share
from vision_report.core.textfmt import fmt_num, fmt_pct, fmt_signed, is_missing
from vision_report.core.vocabulary import (
    no_submissions_label,
    year_label,
)
from vision_report.outputs.reports.context import ReportData, kpi_value
from vision_report.outputs.reports.docxutil import (
    SUBTLE_FILL,
    add_note,
    add_table,
    add_text,
    keep_with_next,
)
from vision_report.outputs.reports.layout import sections
from vision_report.outputs.reports.region_kpis import (
    PAGE_WIDTH_MM,
    baseline_text,
    baseline_year_text,
    provisional_note,
    target_text,
)
from vision_report.outputs.reports.region_management import add_panel_blocks, chapter_number, implemented_cell
from vision_report.outputs.words import achieved_words

PERIOD_SECTIONS = ("kpi", "budget", "initiatives", "analysis", "remarks")
# what analysis.txt.j2 gets beside text_context (kpi_analysis, execution_analysis, missed_analysis and its ``good``)
ANALYSIS_VALUES = (
    *("part", "near", "far", "low", "threshold", "mark"),
    *("missed", "toward", "away", "low_nodes", "handover", "n_linked", "good"),
)
LOW_LISTED = 5  # analysis.txt.j2 lists this many of the low-execution initiatives ([:5]) and counts the rest


def period_title(data: ReportData) -> str:
    number = chapter_number(data, "period")
    return data.heading("period_final" if data.is_final_year else "period_to_date", number=number)


def add_period(doc, data: ReportData) -> None:
    """計画期間の総括 in the plan's last year; the same tables to date in the other years."""
    doc.add_heading(period_title(data), level=1)
    for line in data.text("period"):
        doc.add_paragraph(line)
    _population_goal(doc, data)
    build = {
        "kpi": _period_kpi,
        "budget": _period_budget,
        "initiatives": _period_initiatives,
        "analysis": _analysis,
        "remarks": _remarks,
    }
    for key in period_sections(data):
        doc.add_heading(period_heading(data, key), level=2)
        build[key](doc, data)


def period_heading(data: ReportData, key: str) -> str:
    """The heading of a section of the 総括, numbered in the order of the sections shown (「(4) …」)."""
    return data.heading(f"period_{key}", n=period_sections(data).index(key) + 1)


def period_sections(data: ReportData) -> list[str]:
    """The 総括 chapter's sections; 総括所見 only when the office wrote one (or its file could not be read): without
    the file the section is left out, and the run's console says that it can be added."""
    keys = sections(data.templates, "period", PERIOD_SECTIONS)
    shown = data.remarks.recorded or data.remarks.unreadable
    keys = [k for k in keys if k != "remarks" or shown]
    return [k for k in keys if k != "analysis" or data.is_final_year]  # the analysis of the period: its last year


def _population_goal(doc, data: ReportData) -> None:
    """In the final year, the vision's 目指すべき圏域人口 with its number beside the population of the same members
    (the targets' basis) as of the plan's population date, and the gap. Nothing when the plan data has no number
    (plan.yaml population_goal.value): the year and basis alone compared nothing (review 4 #13)."""
    goal = data.plan.meta.population_goal
    if not (data.is_final_year and goal) or goal.get("value") in (None, ""):
        return
    m = data.plan.meta
    population = sum(x.population or 0 for x in data.plan.basis_members)
    doc.add_paragraph(
        data.snippet(
            "population_goal",
            goal=goal["value"],
            goal_year=goal.get("year"),
            basis=str(goal.get("basis") or "").strip(),
            population=population,
            gap=population - int(goal["value"]),
            as_of=m.population_as_of or "",
            n_basis=len(data.plan.basis_members),
            basis_term=data.text_context()["basis_term"],
        )
    )


def _remarks(doc, data: ReportData) -> None:
    """総括所見: the office's own remarks (inputs/<FY>/<evaluation.period_remarks_file>), or that the file could not
    be read."""
    remarks = data.remarks
    if remarks.unreadable:
        doc.add_paragraph(data.snippet("remarks_unreadable", file=remarks.file))
    else:
        doc.add_paragraph(data.snippet("remarks_intro", office=data.plan.meta.office or data.plan.meta.alliance))
        add_panel_blocks(doc, data, remarks.blocks)


def _period_kpi(doc, data: ReportData) -> None:
    """Two tables within the text block: the verdict (現状値, 最終値, 目標値, 判定, 達成率, 目標との差), then the
    values of every year (one column per year beside the KPI would not fit 170 mm without breaking figures)."""
    plan = data.plan
    kpi = data.results["period_kpi"]
    years = [c for c in kpi.columns if c.isdigit()]
    no_data = {str(y) for y in data.no_submission_years()}
    verdict_rows, trend_rows = [], []
    partial = False
    for k, r in zip(plan.kpis, kpi.to_dict("records"), strict=True):
        provisional = set(str(r["provisional_years"]).split(";")) if r["provisional_years"] else set()
        short_basis = {str(y) for y in data.kpi_partial_basis_years(k.id)}  # a basis member had not joined yet
        partial = partial or bool(short_basis & set(years))
        values = [
            no_submissions_label()
            if y in no_data
            else kpi_value(k, r[y]) + ("*" if y in provisional else "") + ("†" if y in short_basis else "")
            for y in years
        ]
        final = kpi_value(k, r["final_value"]) + ("*" if r["final_provisional"] else "")
        if k.data_year_lag and isinstance(r["final_data_year"], numbers.Integral):
            final += "\n" + data.phrase("kpi_data_year_cell", year=year_label(int(r["final_data_year"])))
        name = f"{k.name}（{k.unit}）"
        verdict_rows.append(
            [
                name,
                baseline_text(k),
                final,
                target_text(k),
                str(r["achieved"]),
                fmt_pct(r["attainment_pct"]),
                fmt_signed(r["gap_to_target"]),  # + over the target, ▲ short of it
            ]
        )
        trend_rows.append([name, baseline_text(k), *values])
    _caption(doc, data.phrase("period_kpi_verdict_caption"))
    add_table(
        doc,
        [
            *data.phrases("period_kpi_header_first"),
            data.phrase("period_kpi_final_header"),
            data.heading("kpi_target"),
            *data.phrases("period_kpi_header_last"),
        ],
        verdict_rows,
        widths=[50, 22, 22, 24, 14, 16, 22],
        numeric={1, 2, 3, 5, 6},
        center={4},
    )
    decreasing = any(k.direction == "decrease" for k in data.plan.kpis)
    add_note(
        doc, data.phrase("period_gap_note", decrease=data.phrase("period_gap_note_decrease") if decreasing else "")
    )
    for line in data.text("analysis", part="kpi", **kpi_analysis(data)):
        doc.add_paragraph(line)
    _caption(doc, data.phrase("period_kpi_trend_caption"))
    first = 38.0
    add_table(
        doc,
        [*data.phrases("period_kpi_header_first"), *[year_label(int(y)) for y in years]],
        trend_rows,
        widths=[first] + [(PAGE_WIDTH_MM - first) / (len(years) + 1)] * (len(years) + 1),
        numeric=set(range(1, 2 + len(years))),
    )
    add_note(doc, data.phrase("period_baseline_note"))
    place = data.phrase("provisional_place_section", chapter=period_title(data), section=period_heading(data, "kpi"))
    add_note(doc, provisional_note(doc, data, [k.id for k in plan.kpis], place))
    if no_data & set(years):
        add_note(doc, data.phrase("period_no_submissions_note", label=no_submissions_label()))
    for k, r in zip(plan.kpis, kpi.to_dict("records"), strict=True):
        if k.data_year_lag and isinstance(r["final_data_year"], numbers.Integral):
            data_year = year_label(int(r["final_data_year"]))
            add_note(doc, data.phrase("period_data_year_note", name=k.name, lag=k.data_year_lag, data_year=data_year))
    if partial:
        add_note(doc, data.phrase("period_partial_note", n=len(plan.basis_members)))


def kpi_analysis(data: ReportData) -> dict:
    """What analysis.txt.j2 ``kpi`` names: the KPIs that missed the target, nearest first (near) and farthest first
    (far, without those already named as near), each with its 達成率 and gap to the target in its unit."""
    _yes, no = achieved_words(data.settings.root)
    period = data.results["period_kpi"]
    missed = []
    for k, r in zip(data.plan.kpis, period.to_dict("records"), strict=True):
        if r["achieved"] != no or is_missing(r["attainment_pct"]):
            continue
        item = {"name": k.name, "pct": fmt_pct(r["attainment_pct"]), "gap": fmt_signed(r["gap_to_target"]) + k.unit}
        missed.append((float(r["attainment_pct"]), item))
    missed.sort(key=lambda m: -m[0])
    near = [m[1] for m in missed]
    shown = 2 if len(near) > 2 else len(near)  # the far list begins after what near can show (its [:2])
    far = [m[1] for m in reversed(missed[shown:])]
    return {"near": near, "far": far}


def execution_analysis(data: ReportData) -> dict:
    """What analysis.txt.j2 ``execution`` names: the initiatives whose period 執行率 is below config
    report.low_execution_pct, lowest first, and whether the plan gave only the period's total for them."""
    threshold = data.settings.report.low_execution_pct
    budget = data.results["period_budget"]
    low = [
        {
            "id": r["initiative_id"],
            "name": data.plan.initiative(r["initiative_id"]).name,
            "pct": fmt_pct(r["execution_pct"]),
            "value": float(r["execution_pct"]),
            "total_only": bool(r.get("plan_total_only", False)),
        }
        for r in budget.to_dict("records")
        if not is_missing(r["execution_pct"]) and float(r["execution_pct"]) < threshold
    ]
    low.sort(key=lambda i: i["value"])
    return {"low": low, "threshold": fmt_num(threshold), "mark": data.phrase("total_only_mark")}


def total_only_ids(data: ReportData) -> list[str]:
    """The initiatives whose period plan is the total the vision gives for the whole period (plan_total_only)."""
    budget = data.results["period_budget"]
    if "plan_total_only" not in budget.columns:
        return []
    return [str(i) for i in budget.loc[budget["plan_total_only"].astype(bool), "initiative_id"]]


def period_plan_note(data: ReportData) -> str:
    """The note under the 総括's table of initiatives: what the period plan sums, and once, naming them, what the
    plan of an initiative with only a period total is; the analysis below marks their numbers with ※ instead of
    repeating it (review 6 P16: the same parenthesis five times on two pages)."""
    ids = total_only_ids(data)
    if not ids:
        return data.phrase("period_plan_note", total_only=data.phrase("period_plan_note_total_only_rule"))
    named = data.phrase(
        "period_plan_note_total_only",
        ids=data.phrase("total_only_joiner").join(ids),
        first=ids[0],
        mark=data.phrase("total_only_mark"),
    )
    return data.phrase("period_plan_note", total_only=named)


def _caption(doc, text: str) -> None:
    p = doc.add_paragraph()
    keep_with_next(p)
    add_text(p, text, bold=True)


def _period_budget(doc, data: ReportData) -> None:
    plan = data.plan
    roll = data.results["period_rollup"]
    rrows: list[list[str]] = []
    fills = {}
    for r in roll.itertuples(index=False):
        if r.level == "pillar":
            fills[len(rrows)] = SUBTLE_FILL
            name = data.phrase("pillar_label", id=r.id, name=r.name)
        elif r.level == "subfield":
            name = data.phrase("subfield_label", id=r.id, name=r.name)
        else:
            area = plan.area(str(r.id))
            name = data.phrase("period_area_label", circled=area.circled, name=area.name)
        rrows.append(
            [
                name,
                fmt_num(r.planned_thousand_yen),
                fmt_num(r.actual_thousand_yen),
                fmt_pct(r.execution_pct),
                implemented_cell(data, period_done_pct(r), r.initiatives_as_planned, r.initiatives),
            ]
        )
    pillars = roll[roll["level"] == "pillar"]
    planned, actual = pillars["planned_thousand_yen"].sum(), pillars["actual_thousand_yen"].sum()
    rrows.append(  # the 要旨's period totals, traceable here (the single-year table has the same row)
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
        data.phrases("period_rollup_header", first=plan.meta.first_fiscal_year, fy=data.fiscal_year),
        rrows,
        widths=[66, 25, 25, 18, 36],
        numeric={1, 2, 3},
        center={4},
        fills=fills,
        bold_rows={len(rrows) - 1},
    )


def period_done_pct(r) -> float | None:
    """The share (%) of a period_rollup row's reports saying 「実施」 or 「完了」 (None without any report)."""
    return r.reports_done / r.reports * 100 if r.reports else None


def _period_initiatives(doc, data: ReportData) -> None:
    plan = data.plan
    budget = data.results["period_budget"]
    irows = [
        [
            r.initiative_id,
            plan.initiative(r.initiative_id).name,
            fmt_num(r.planned_thousand_yen),
            fmt_num(r.actual_thousand_yen),
            fmt_pct(r.execution_pct),
            data.phrase("years_count", done=r.years_implemented, total=r.years),
            data.phrase("as_planned_mark") if r.carried_out_as_planned else "",
        ]
        for r in budget.itertuples(index=False)
    ]
    planned, actual = budget["planned_thousand_yen"].sum(), budget["actual_thousand_yen"].sum()
    irows.append(
        [
            data.phrase("region_total"),
            "",
            fmt_num(planned),
            fmt_num(actual),
            fmt_pct(actual / planned * 100 if planned else None),
            "",
            str(int(budget["carried_out_as_planned"].eq(True).sum())),
        ]
    )
    add_table(
        doc,
        data.phrases("period_initiatives_header", first=plan.meta.first_fiscal_year, fy=data.fiscal_year),
        irows,
        widths=[14, 52, 26, 26, 16, 22, 14],
        numeric={2, 3, 4},
        center={0, 5, 6},
        bold_rows={len(irows) - 1},
    )
    add_note(doc, period_plan_note(data))
    add_note(doc, data.phrase("period_strict_note"))
    for line in data.text("analysis", part="execution", **execution_analysis(data)):
        doc.add_paragraph(line)


def _node_areas(data: ReportData, level: str, node: str) -> list[str]:
    """The policy areas a KPI's node (pillar, sub-field or area) spans."""
    if level == "pillar":
        return list(next(p for p in data.plan.pillars if str(p.id) == node).area_ids)
    if level == "subfield":
        return list(data.plan.subfield(node).area_ids)
    return [node]


def _node_label(data: ReportData, level: str, node: str, name: str) -> str:
    if level == "pillar":
        return data.phrase("pillar_label", id=node, name=name)
    if level == "subfield":
        return data.phrase("subfield_label", id=node, name=name)
    area = data.plan.area(node)  # circled numbers restart in each pillar: the pillar is named with it
    return data.phrase("period_area_in_pillar", pillar=area.pillar, circled=area.circled, name=area.name)


def missed_analysis(data: ReportData) -> dict:
    """What analysis.txt.j2 ``missed`` and ``handover`` say of each KPI that missed its target (review 3 #5), in
    plan order, all from the tables: its gap to the target, its move from the baseline (toward the target or away
    from it), and the initiatives of the node it measures (pillar, sub-field or policy area): their number, their
    execution over the period, the share of the participants' reports saying 実施, this year's share of good
    self-evaluations and the count of each 今後の方向性. ``handover`` counts the 今後の方向性 over the initiatives of
    every missed KPI's node, each initiative once."""
    _yes, no = achieved_words(data.settings.root)
    period = data.results["period_kpi"]
    roll = data.results["period_rollup"]
    nodes = {(str(r["id"])): r for r in roll.to_dict("records")}
    share = {(str(r["level"]), str(r["id"])): r for r in data.evaluation_share.to_dict("records")}
    counts = data.evaluation_counts
    directions = list(data.settings.evaluation.directions)
    threshold = data.settings.report.low_execution_pct
    budget = data.results["period_budget"]
    total_only = set(total_only_ids(data))
    missed, linked = [], set()
    for k, r in zip(data.plan.kpis, period.to_dict("records"), strict=True):
        if r["achieved"] != no:
            continue
        change = float(r["final_value"]) - float(k.baseline)
        toward = change < 0 if k.direction == "decrease" else change > 0
        item = {
            "name": k.name,
            "pct": fmt_pct(r["attainment_pct"]),
            "gap": fmt_signed(r["gap_to_target"]) + k.unit,
            "baseline": kpi_value(k, k.baseline),
            "baseline_year": baseline_year_text(k),
            "change": fmt_signed(change) + k.unit,
            "toward": bool(toward),
            "flat": change == 0,
        }
        node = nodes.get(str(k.measures))
        if node is not None:
            areas = _node_areas(data, str(node["level"]), str(node["id"]))
            mine = counts[counts["area_id"].isin(areas)]
            linked |= set(mine["initiative_id"])
            ev = share.get((str(node["level"]), str(node["id"])), {})
            low = not is_missing(node["execution_pct"]) and float(node["execution_pct"]) < threshold
            ids = sorted(set(mine["initiative_id"].astype(str)) & total_only)
            without = _execution_without(data, budget, areas, total_only) if low and ids else None
            item |= {
                "node": _node_label(data, str(node["level"]), str(node["id"]), str(node["name"])),
                "n": int(node["initiatives"]),
                "execution": fmt_pct(node["execution_pct"]),
                "low": low,
                "done_pct": fmt_pct(node["reports_done"] / node["reports"] * 100 if node["reports"] else None),
                "good_pct": fmt_pct(ev.get("good_pct")),
                "directions": {d: int(mine[f"direction_{d}"].sum()) for d in directions},
                # its initiatives whose plan the vision gives only as the period's total (review 4 #7: 14.0 % read
                # as spending that never happened, without the caveat the 総括's table gives)
                "total_only_ids": ids,
                # below the threshold only because of them: without them the rate reaches it (review 6 P16)
                "lifted": without is not None and without >= threshold,
                "without": fmt_pct(without),
            }
        missed.append(item)
    chosen = counts[counts["initiative_id"].isin(linked)]
    return {
        "missed": missed,
        "toward": [m["name"] for m in missed if m["toward"]],
        "away": [m["name"] for m in missed if not m["toward"] and not m["flat"]],
        "low_nodes": [
            {k: m[k] for k in ("node", "total_only_ids", "lifted", "without")} for m in missed if m.get("low")
        ],
        "threshold": fmt_num(threshold),
        "mark": data.phrase("total_only_mark"),
        "handover": {d: int(chosen[f"direction_{d}"].sum()) for d in directions},
        "n_linked": len(linked),
    }


def _execution_without(data: ReportData, budget, areas: list[str], excluded: set[str]) -> float | None:
    """The period 執行率 of the initiatives of ``areas`` without those in ``excluded`` (the sums of the 総括's
    rollup, NaN skipped); None when nothing is left to compare."""
    ids = {i for a in areas for i in data.plan.area(a).initiative_ids} - excluded
    rest = budget[budget["initiative_id"].astype(str).isin(ids)]
    planned = pd.to_numeric(rest["planned_thousand_yen"], errors="coerce").dropna()
    actual = pd.to_numeric(rest["actual_thousand_yen"], errors="coerce").dropna()
    if not len(planned) or not len(actual) or float(planned.sum()) == 0:
        return None
    return float(actual.sum()) / float(planned.sum()) * 100


def _analysis(doc, data: ReportData) -> None:
    """目標に届かなかったKPIと次期ビジョンへの引継ぎ (final year): one paragraph per missed KPI, then the whole."""
    values = missed_analysis(data)
    lines = data.text("analysis", part="missed", good=data.good_label(), **values)
    bullet = "List Bullet" if "List Bullet" in [s.name for s in doc.styles] else None
    for i, line in enumerate(lines):  # the intro, one bulleted paragraph per missed KPI, then the whole
        doc.add_paragraph(line, style=bullet if 1 <= i <= len(values["missed"]) else None)

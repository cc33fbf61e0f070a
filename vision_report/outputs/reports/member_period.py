"""A member's plan period in its report of the plan's last year (review 4 #11): its own spending per year beside the
region's figures of the initiatives it took part in, and every KPI's final verdict; and how a member report keeps its
short tables on one page (review 4 #16)."""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from pathlib import Path

from docx.oxml.ns import qn

from vision_report.core.textfmt import fmt_num, fmt_pct, is_missing, jinja_env
from vision_report.core.vocabulary import year_label
from vision_report.outputs.reports.context import ReportData, kpi_value
from vision_report.outputs.reports.docxutil import (
    add_heading,
    add_note,
    add_paragraph,
    add_table,
    keep_rows_with_next,
    keep_together,
)
from vision_report.outputs.reports.layout import keep_edge_rows, layout
from vision_report.outputs.reports.region_kpis import target_text
from vision_report.plan import Plan


def render(templates: Path, part: str, **values) -> str:
    """One part of templates/report/municipality.txt.j2."""
    return jinja_env(templates).get_template("report/municipality.txt.j2").render(part=part, **values).strip()


@dataclass(frozen=True)
class MemberPeriod:
    """A member's plan period (review 4 #11): its own spending and the region's figures of the initiatives it took
    part in, per year; every KPI's final verdict. Plain values (the reports are built in worker processes)."""

    first: int
    last: int
    # (year, its own spending or None when no file of that year was accepted, region plan, region actual)
    years: tuple[tuple[int, float | None, float, float], ...]
    # the initiatives it took part in whose plan gives only the period's total (every year they ran), and the sum of
    # those totals: their period plan, as the region report's period_budget counts it (review 6 P4)
    total_only_ids: tuple[str, ...]
    total_only_planned: float
    # (KPI name and unit, final value as printed, target as printed, 達成/未達成, reported by this member)
    kpis: tuple[tuple[str, str, str, str, bool], ...]
    n_met: int
    n_missed: int
    rule: str  # the rule the verdict applies (「増加・水準の維持を目指すKPIは最終値が目標値以上であれば「達成」」)
    provisional: bool  # a final value is provisional (marked 「*」)


def member_period(data: ReportData, code: str) -> MemberPeriod | None:
    """The member's plan period, for the report of the plan's last year (None otherwise, or without the period's
    tables). Years: those of the plan in which it was a member and took part in an initiative. The region's plan and
    actual sum the amounts of those initiatives that year (an initiative without a plan amount adds none), as the
    summary at the top of the report does for the year."""
    from vision_report.compute.statuses import MEMBER_SPEND
    from vision_report.outputs.words import achieved_words

    plan, fy = data.plan, data.fiscal_year
    period = data.results.get("period_kpi")
    if not data.is_final_year or period is None:
        return None
    yes, no = achieved_words(data.settings.root)
    years = []
    joined: dict[int, set[str]] = {}
    for y in range(plan.meta.first_fiscal_year, fy + 1):
        ids = [i.id for i in plan.initiatives_of(code, y)] if plan.is_member(code, y) else []
        joined[y] = set(ids)
        tables = data.per_year.get(y)
        if not ids or tables is None:
            continue
        b = tables["budget_execution"].set_index("initiative_id")
        b = b.loc[[i for i in ids if i in b.index]]
        spend = tables.get(MEMBER_SPEND)
        own = spend.set_index("municipality_code")["spent_thousand_yen"].get(code) if spend is not None else None
        years.append(
            (
                y,
                None if own is None or is_missing(own) else float(own),
                float(b["planned_thousand_yen"].dropna().sum()),
                float(b["actual_thousand_yen"].dropna().sum()),
            )
        )
    total_only_ids, total_only_planned = _total_only_plans(data, joined)
    reported = {k.id for k in plan.kpis_reported_by(code, fy)}
    kpis = []
    for k, r in zip(plan.kpis, period.to_dict("records"), strict=True):
        final = kpi_value(k, r["final_value"]) + ("*" if r["final_provisional"] else "")
        if k.data_year_lag and isinstance(r["final_data_year"], numbers.Integral):  # as the region report's table
            final += "\n" + str(data.phrase("kpi_data_year_cell", year=year_label(int(r["final_data_year"]))))
        kpis.append((f"{k.name}（{k.unit}）", final, target_text(k), str(r["achieved"]), k.id in reported))
    return MemberPeriod(
        first=plan.meta.first_fiscal_year,
        last=fy,
        years=tuple(years),
        total_only_ids=total_only_ids,
        total_only_planned=total_only_planned,
        kpis=tuple(kpis),
        n_met=sum(1 for x in kpis if x[3] == yes),
        n_missed=sum(1 for x in kpis if x[3] == no),
        rule=str(data.period_context()["rule_text"]),
        provisional=any(bool(r["final_provisional"]) for r in period.to_dict("records")),
    )


def _total_only_plans(data: ReportData, joined: dict[int, set[str]]) -> tuple[tuple[str, ...], float]:
    """The initiatives whose plan gives only the period's total (plan_total_only of the region's period_budget) that
    the member took part in every year they ran, and the sum of their period plans (period_budget's
    planned_thousand_yen: the same figure the region report's period tables count; NaN, a year without submissions,
    adds none). The yearly rows have no plan of these initiatives, so the total row adds it (review 6 P4)."""
    budget = data.results.get("period_budget")
    if budget is None or not len(budget):
        return (), 0.0
    ids, planned = [], 0.0
    for r in budget[budget["plan_total_only"]].to_dict("records"):
        init = data.plan.initiative(str(r["initiative_id"]))
        ran = [y for y in joined if init.runs_in(y)]
        if ran and all(init.id in joined[y] for y in ran) and not is_missing(r["planned_thousand_yen"]):
            ids.append(init.id)
            planned += float(r["planned_thousand_yen"])
    return tuple(ids), planned


def add_period(doc, plan: Plan, code: str, period: MemberPeriod, P, templates: Path) -> None:
    """計画期間（2021〜2025年度）のまとめ: the member's own spending per year beside the region's plan, actual and
    執行率 of the initiatives it took part in (its own column first; the header says the others are the region's:
    a submission has no plan amount of its own), then every KPI's final verdict, as the region report gives it."""
    name = plan.municipality(code).name
    add_heading(doc, P["muni_period"].format(first=period.first, last=period.last), 2)
    unreported = [y for y, own, _p, _a in period.years if own is None]
    spent = sum(own for _y, own, _p, _a in period.years if own is not None)
    taken = [y for y, *_ in period.years]
    values = {
        "name": name,
        "years": taken,
        "contiguous": bool(taken) and taken == list(range(taken[0], taken[-1] + 1)),
        "spent": spent,
        "unreported": str(P["names_joiner"]).join(year_label(y) for y in unreported),
        "n_kpis": len(period.kpis),
        "n_met": period.n_met,
        "n_missed": period.n_missed,
    }
    for line in (ln for ln in render(templates, "period_lead", **values).splitlines() if ln.strip()):
        add_paragraph(doc, line)
    if period.years:
        rows = [
            [
                year_label(y),
                fmt_num(own) if own is not None else "—",
                fmt_num(p),
                fmt_num(a),
                fmt_pct(a / p * 100 if p else None),
            ]
            for y, own, p, a in period.years
        ]
        planned = sum(p for *_x, p, _a in period.years) + period.total_only_planned
        actual = sum(a for *_x, a in period.years)
        if period.total_only_ids:
            rows.append([str(P["muni_period_total_only"]), "", fmt_num(period.total_only_planned), "", ""])
        rows.append(
            [
                str(P["muni_period_total"]),
                fmt_num(spent),
                fmt_num(planned),
                fmt_num(actual),
                fmt_pct(actual / planned * 100 if planned else None),
            ]
        )
        spend_table = add_table(
            doc,
            [str(h).format(name=name) for h in P["muni_period_spend_header"]],
            rows,
            widths=[24, 34, 40, 40, 26],
            numeric={1, 2, 3, 4},
            center={0},
        )
        keep_on_page(spend_table, templates)
        add_note(
            doc,
            render(
                templates,
                "period_spend_note",
                name=name,
                unreported=bool(unreported),
                total_only=str(P["muni_period_total_only"]),
                total_only_ids=list(period.total_only_ids),
            ),
        )
    # the KPIs' sentence leads their table in (kept with it): the spending's note is not chained to the next table
    add_paragraph(doc, render(templates, "period_kpi_lead", **values))
    mark = str(P["muni_period_reports"])
    verdicts = add_table(
        doc,
        [str(h).format(name=name) for h in P["muni_period_kpi_header"]],
        [[n, final, target, verdict, mark if mine else ""] for n, final, target, verdict, mine in period.kpis],
        widths=[70, 28, 30, 18, 18],
        numeric={1, 2},
        center={3, 4},
    )
    keep_on_page(verdicts, templates)
    add_note(
        doc,
        render(templates, "period_kpi_note", rule=period.rule, provisional=period.provisional, mark=mark, name=name),
    )


def keep_on_page(table, templates: Path) -> None:
    """A short table (at most layout.yaml municipality.keep_whole_rows rows, its header included) on one page with
    the note under it; a longer one keeps its header with its first page_flow.keep_edge_rows rows, and its last
    keep_edge_rows rows with the note: never 1–2 rows left at a page's foot or alone on the next (review 4 #16: 嘉島町 p2→p3)."""
    if table is None:
        return
    settings = layout(templates).get("municipality", {}) or {}
    whole = int(settings.get("keep_whole_rows", 16))
    edge = keep_edge_rows(templates)
    rows = table._tbl.tr_lst
    if len(rows) <= whole:
        keep_together(table, with_next=True)
        return
    keep_rows_with_next(table, edge + 1)
    for tr in rows[-edge:]:
        for p in tr.iter(qn("w:p")):
            p.get_or_add_pPr().keepNext_val = True

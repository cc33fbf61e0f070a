"""One municipality's part and contribution (municipalities/<code>_<name>.docx)."""

from __future__ import annotations

import gc
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from vision_report.core.config import EvaluationSettings
from vision_report.core.paths import find_root
from vision_report.core.textfmt import fmt_num, fmt_pct, is_missing, jinja_env, wareki
from vision_report.core.vocabulary import date_label, hold_label, status_label, year_label
from vision_report.core.vocabulary import synthetic as synthetic_label
from vision_report.outputs.reports import evaluation_context as ev
from vision_report.outputs.reports.context import ReportData, kpi_value, member_terms, report_headings, report_phrases
from vision_report.outputs.reports.docxutil import (
    DocProps,
    add_heading,
    add_note,
    add_paragraph,
    add_table,
    add_text,
    has_style,
    keep_table_ends,
    keep_with_next,
    new_document,
    page_number_footer,
    save,
)
from vision_report.outputs.reports.layout import keep_edge_rows
from vision_report.outputs.reports.member_period import MemberPeriod, add_period, keep_on_page, member_period, render
from vision_report.outputs.reports.parallel import chunks, parallel_map
from vision_report.outputs.reports.region_initiatives import planned_text
from vision_report.outputs.reports.region_kpis import rating_text, target_text
from vision_report.plan import Kpi, Plan


def build_municipality_report(
    plan: Plan,
    fiscal_year: int,
    code: str,
    kpi: pd.DataFrame,
    budget: pd.DataFrame,
    mine: pd.DataFrame,
    rows: pd.DataFrame,
    template: Path | None,
    synthetic: bool,
    props: DocProps | None = None,
    evaluation: EvaluationSettings | None = None,
    issued: str = "",
    period: MemberPeriod | None = None,
    region: RegionFacts | None = None,
):
    """``mine``: this municipality's rows of submissions.csv; ``rows``: its accepted rows;
    ``props``: the document properties (the title names
    the municipality); ``evaluation``: config evaluation: (the self-evaluation criteria printed under its table);
    ``issued``: the issue month printed under the title (the region report's, from the data: never the clock);
    ``period``: the plan period's figures of the member (:func:`member_period`, the plan's last year only);
    ``region``: the region's verdict and A・B share the summary opens with and sets the member's beside
    (:func:`region_facts`; None: not said).

    The member's summary comes first (its initiatives and spending, its self-evaluations, its KPIs: what a
    councillor of that member asks), then the tables, and one sentence on the year's report (the office's record of
    the files is in the region report's 資料編, what was found in a file in the member's feedback)."""
    m = plan.municipality(code)
    templates = template.parent if template is not None else find_root() / "templates"
    P = report_phrases(templates)
    e = evaluation or EvaluationSettings()
    doc = new_document(template, props, share_styles=True)
    page_number_footer(doc.sections[0])
    add_paragraph(doc, P["muni_title"].format(name=m.name), "Title")
    add_paragraph(
        doc, P["muni_subtitle"].format(title=plan.meta.title, wareki=wareki(fiscal_year), fy=fiscal_year), "Subtitle"
    )
    if issued:
        add_paragraph(doc, P["muni_issued"].format(issued=issued))
    if synthetic:
        add_text(doc.add_paragraph(), synthetic_label("banner_short"), bold=True)

    spend = rows[rows["kind"] == "expenditure"].set_index("item_id") if len(rows) else rows.iloc[0:0]
    # values held out of the totals (要確認): printed with the mark, left out of this report's own total too
    flagged = rows[rows["held"].astype(bool)] if "held" in rows.columns else rows.iloc[0:0]
    held = set(zip(flagged["kind"], flagged["item_id"], strict=True))
    kpi_rows = kpi_table_rows(plan, fiscal_year, code, kpi, rows, held)
    own = ev.own_evaluations(plan, rows, code, fiscal_year)
    summary = summary_values(plan, fiscal_year, code, budget, spend, held, own, mine, kpi_rows, P, e)
    summary["region"] = region
    summary["period_heading"] = P["muni_period"].format(first=period.first, last=period.last) if period else ""
    text = render(templates, "lead", **summary).splitlines()
    for line in (ln for ln in text if ln.strip()):
        add_paragraph(doc, line)
    bullet = "List Bullet" if has_style(doc, "List Bullet") else None
    for line in (ln for ln in render(templates, "points", **summary).splitlines() if ln.strip()):
        add_paragraph(doc, line, bullet)

    if plan.initiatives_of(code, fiscal_year):  # a member in no initiative is told so in the summary
        add_heading(doc, P["muni_initiatives"], 2)
        add_initiatives(doc, P, plan, fiscal_year, code, m.name, budget, spend, held, template)
    add_own_evaluations(doc, plan, fiscal_year, code, own, templates, e)
    if kpi_rows:
        add_kpis(doc, plan, fiscal_year, code, kpi_rows, P, templates)
    if period is not None:
        add_period(doc, plan, code, period, P, templates)

    if summary["accepted"] and summary["timeliness"] is not None:
        # one sentence for councillors: file names, receipt times and the screening's counts are the office's record
        # (the region report's 資料編) and the submitter's feedback, not council words
        add_paragraph(doc, render(templates, "receipt", **summary))
    add_note(doc, P["muni_contact"].format(office=plan.meta.office or ""))
    keep_table_ends(doc, keep_edge_rows(templates))  # no last row alone atop a page, notes with their table
    return doc


@dataclass(frozen=True)
class RegionFacts:
    """What the region report's 要旨 says of the whole region, for a member's summary (review 7 #6: 熊本市's 71.0 % A・B
    stood without the region's 83.4 %, and the region's verdict was first said on the report's last page): the year's
    KPI ratings, the plan period's verdict in its last year, the A・B share of every answer. Plain values (the
    reports are built in worker processes)."""

    n_kpis: int
    ratings: dict[str, int]  # the year's count of each KPI rating (A–D, "-" without one)
    final: bool  # the plan's last year with its period verdict: the summary gives the verdict, not the ratings
    n_achieved: int
    n_not_achieved: int
    n_no_value: int
    good_pct: str | None  # the A・B share of every member's answers; None without an answer


def region_facts(data: ReportData) -> RegionFacts:
    """The region's figures of the 要旨 (:func:`~vision_report.outputs.reports.region_abstract.abstract_values` and
    the period's verdict of :meth:`ReportData.period_context`): the same values the region report prints."""
    from vision_report.outputs.reports.region_abstract import abstract_values

    values = abstract_values(data)
    period = data.period_context()
    return RegionFacts(
        n_kpis=len(data.plan.kpis),
        ratings=dict(values["ratings"]),
        final=data.is_final_year and data.results.get("period_kpi") is not None,
        n_achieved=int(period["n_achieved"]),
        n_not_achieved=int(period["n_not_achieved"]),
        n_no_value=int(period["n_no_value"]),
        good_pct=str(values["good_pct"]) if values["evaluated"] else None,
    )


@dataclass(frozen=True)
class KpiRow:
    kpi: Kpi
    value: float | None  # this member's (None: not reported, or held out)
    region: float | None  # every member's sum of the year (the share's denominator)
    basis: float | None  # the sum over the members the target was set for (what the rating compares)
    share: float | None
    rating: str
    is_held: bool
    basis_share: float | None = None  # the member's value in ``basis`` (a member the target was set for)


def _negative(r: KpiRow) -> bool:
    """The member's value or the region's is negative this year: its share is no share (社会増減数)."""
    return any(v is not None and not is_missing(v) and v < 0 for v in (r.value, r.region))


def _left_out_of_range(kpi_rows: list[KpiRow]) -> list[str]:
    """The KPIs others report too whose share the summary's range leaves out this year (a negative value): named in
    the summary and in the note under the KPI table."""
    return [r.kpi.name for r in kpi_rows if r.share is not None and _negative(r) and len(r.kpi.reporters) > 1]


def kpi_table_rows(plan: Plan, fiscal_year: int, code: str, kpi: pd.DataFrame, rows, held: set) -> list[KpiRow]:
    in_basis = plan.is_basis_member(code)
    vals = rows[rows["kind"] == "kpi"].set_index("item_id")["value"] if len(rows) else pd.Series(dtype=float)
    out = []
    for k in plan.kpis_reported_by(code, fiscal_year):
        r = kpi.loc[k.id]
        v = vals.get(k.id)
        v = None if v is None or is_missing(v) else float(v)
        # the denominator the note names: every member's accepted submissions of the year (new members included)
        region = (
            r["actual_all_members"] if "actual_all_members" in r and pd.notna(r["actual_all_members"]) else r["actual"]
        )
        region = None if is_missing(region) else float(region)
        is_held = ("kpi", k.id) in held
        share = v / region * 100 if v is not None and region and not is_held else None
        basis = None if is_missing(r["actual"]) else float(r["actual"])
        # review 7 #7: the share of what the rating compares, for a member in it (熊本市 676 of 1,153, not only of 1,278)
        basis_share = v / basis * 100 if in_basis and v is not None and basis and basis > 0 and not is_held else None
        out.append(KpiRow(k, v, region, basis, share, rating_text(r), is_held, basis_share))
    return out


def summary_values(
    plan: Plan,
    fiscal_year: int,
    code: str,
    budget: pd.DataFrame,
    spend: pd.DataFrame,
    held: set,
    own: pd.DataFrame,
    mine: pd.DataFrame,
    kpi_rows: list[KpiRow],
    P,
    e: EvaluationSettings,
) -> dict:
    """The values of templates/report/municipality.txt.j2 ``lead`` and ``points`` for one member."""
    m = plan.municipality(code)
    joined = plan.initiatives_of(code, fiscal_year)
    since = plan.membership(code).joined
    ids = [i.id for i in joined]
    b = budget.loc[[i for i in ids if i in budget.index]] if ids else budget.iloc[0:0]
    planned = b["planned_thousand_yen"].dropna().sum() if len(b) else 0.0
    actual = b["actual_thousand_yen"].dropna().sum() if len(b) else 0.0
    spent_by = spend["value"].to_dict() if len(spend) else {}
    spent = sum(
        float(spent_by[i] or 0) for i in ids if ("expenditure", i) not in held and not is_missing(spent_by.get(i))
    )
    # every accepted spending row of the member (held values left out): what a member in no initiative is told it spent
    # (review 7 #19: said from its rows, not assumed to be nothing)
    spent_any = sum(
        float(v)
        for i, v in (spend["value"].items() if len(spend) else ())
        if not is_missing(v) and ("expenditure", i) not in held
    )
    order = list(P["entry_status_labels"].values())
    found = [str(s) for s in (spend["status"] if len(spend) else []) if isinstance(s, str) and s]
    statuses = [(s, found.count(s)) for s in order if s in found] + [
        (s, found.count(s)) for s in dict.fromkeys(found) if s not in order
    ]
    reported = own[own["reported"].astype(bool)] if len(own) else own
    graded = [str(g) for g in reported["self_evaluation"] if g] if len(reported) else []
    good = sum(1 for g in graded if g in e.good_grades)
    accepted = bool(len(spend)) or any(True for r in kpi_rows if r.value is not None)
    current = mine[~mine["status"].isin(("superseded", "not_submission"))] if len(mine) else mine
    state = status_label(str(current["status"].iloc[-1])) if len(current) else status_label("missing")
    # the latest file's on_time / late ("" when not known); None without a file
    timeliness = str(current["timeliness"].iloc[-1] or "") if len(current) else None
    members = plan.members(fiscal_year)
    n_basis = len(plan.basis_members)
    reported_kpis = {r.kpi.id for r in kpi_rows}
    others: dict[str, int] = {}
    for k in plan.kpis:
        if k.id in reported_kpis:
            continue
        names = str(P["names_joiner"]).join(x.name for x in plan.members_reporting(k.id, fiscal_year))
        others[names] = others.get(names, 0) + 1

    # the share's range over the KPIs others report too, leaving out a KPI whose value or the region's is negative this
    # year (社会増減数; review 6 P18: left out in a year both were positive, its 2.7 % stood outside the range)
    shared = [r.share for r in kpi_rows if r.share is not None and not _negative(r) and len(r.kpi.reporters) > 1]
    # where the sum of every member is not what the rating compares (members joined after the targets were set), the
    # member in the basis is also given its share of the basis sum, over the same KPIs (review 7 #7)
    rated = [
        r.basis_share
        for r in kpi_rows
        if r.basis_share is not None and r.share is not None and not _negative(r) and len(r.kpi.reporters) > 1
    ]
    rated = rated if len(plan.members(fiscal_year)) > n_basis and len(rated) == len(shared) else []
    alone = [r for r in kpi_rows if r.kpi.reporters == (code,)]
    signed = _left_out_of_range(kpi_rows)
    return {
        "name": m.name,
        "code": m.code,
        "population": m.population,
        "fiscal_year": fiscal_year,
        "final": fiscal_year >= plan.meta.last_fiscal_year,
        "joined": date_label(since.isoformat()) if since else "",
        "n_initiatives": len(plan.initiatives_in(fiscal_year)),
        "n_joined": len(joined),
        "n_kpis": len(kpi_rows),
        "accepted": accepted,
        "state": state,
        "timeliness": timeliness,
        "spent": spent,
        "spent_any": spent_any,
        "planned": planned,
        "actual": actual,
        "execution": fmt_pct(actual / planned * 100 if planned else None),
        "statuses": statuses,
        "n_reported": len(reported),
        "n_evaluated": len(graded),
        "no_text": bool(len(reported)) and _blank(reported, ev.TEXT_COLUMNS),
        "grades": [(g, graded.count(g)) for g in e.self_evaluation],
        "good": str(P["grades_joiner"]).join(e.good_grades),
        "good_pct": fmt_pct(good / len(graded) * 100 if graded else None),
        "others": [(names, n) for names, n in others.items() if names],
        "n_other": sum(others.values()),
        "all_summed": all(r.kpi.reporters_all for r in kpi_rows),
        "share_low": fmt_pct(min(shared)) if shared else None,
        "share_high": fmt_pct(max(shared)) if shared else None,
        "basis_low": fmt_pct(min(rated)) if rated else None,
        "basis_high": fmt_pct(max(rated)) if rated else None,
        "n_alone": len(alone) if shared else 0,
        "signed_left": str(P["names_joiner"]).join(signed) if shared else "",
        "n_all": len(members),
        "n_basis": n_basis,
        "not_in_basis": not plan.is_basis_member(code) and bool(kpi_rows),
    }


def _blank(reported: pd.DataFrame, columns=("self_evaluation", "direction", *ev.TEXT_COLUMNS)) -> bool:
    """Nothing written by the member in ``columns`` (default: self-evaluation, direction, texts) for any initiative
    it reported (:func:`ev.own_evaluations` writes str, "" for nothing; pandas' eq("").all() took ~0.6 ms a call)."""
    return not any(isinstance(v, str) and v for c in columns for v in reported[c].tolist())


def add_kpis(doc, plan: Plan, fiscal_year: int, code: str, kpi_rows: list[KpiRow], P, templates: Path) -> None:
    """報告しているKPI: this member's value, the sum of every member (the share's denominator), and what the
    rating compares — the sum over the members the target was set for and the target — where they differ."""
    m = plan.municipality(code)
    add_heading(doc, P["muni_kpis"], 2)
    mark = hold_label("mark")
    n_all, n_basis = len(plan.members(fiscal_year)), len(plan.basis_members)
    reference = n_all > n_basis
    table = []
    for r in kpi_rows:
        k = r.kpi
        name = f"{k.name}（{k.unit}）"
        if k.data_year_lag:
            name += "\n" + str(P["kpi_data_year_cell"]).format(year=year_label(fiscal_year - k.data_year_lag))
        row = [
            name,
            kpi_value(k, r.value) + (f"\n{mark}" if r.is_held else ""),
            kpi_value(k, r.region),
            # a KPI only this member reports: its value is the region's, a share of 100 % says nothing (review 8)
            str(P["muni_kpi_share_alone"]) if k.reporters == (code,) else fmt_pct(r.share),
        ]
        if reference:
            row.append(kpi_value(k, r.basis))
        table.append([*row, target_text(k), r.rating])
    header = [
        str(h).format(name=m.name, n_all=n_all, n_basis=n_basis)
        for h in P["muni_kpis_header_reference" if reference else "muni_kpis_header"]
    ]
    widths = [44, 18, 22, 18, 25, 30, 13] if reference else [58, 22, 24, 20, 32, 14]
    n = len(widths)
    keep_on_page(add_table(doc, header, table, widths=widths, numeric=set(range(1, n - 2)), center={n - 1}), templates)
    terms = member_terms(P, plan)
    # the note names only what the summary's range left out this year (review 7: it named 社会増減数 in a year it was in)
    negative = str(P["names_joiner"]).join(_left_out_of_range(kpi_rows))
    note = render(
        templates,
        "kpi_note",
        reference=reference,
        fiscal_year=fiscal_year,
        n_all=n_all,
        name=m.name,
        basis=terms["basis_term"],
        added=terms["added_after"],
        negative=negative,
        alone=any(r.kpi.reporters == (code,) for r in kpi_rows),
    )
    add_note(doc, note)


def add_initiatives(
    doc, P, plan: Plan, fiscal_year: int, code: str, name: str, budget, spend, held: set, template
) -> None:
    """参加している取組と支出: this member's spending per initiative beside the initiative's whole plan/actual
    (``spend``: its accepted expenditure rows by initiative; ``held``: the (kind, id) held out as 要確認)."""
    mark = hold_label("mark")
    irows = []
    total = 0.0
    joined = plan.initiatives_of(code, fiscal_year)  # one lookup for all (a row lookup each was most of the time)
    read = ["planned_thousand_yen", "actual_thousand_yen", "execution_pct"]  # of 18 columns: to_dict was ~0.7 ms
    budgets = budget.loc[[i.id for i in joined], read].to_dict("index") if joined else {}
    values, statuses = (spend[c].to_dict() if len(spend) else {} for c in ("value", "status"))
    for ini in joined:
        b, v, st = budgets[ini.id], values.get(ini.id), statuses.get(ini.id)
        is_held = ("expenditure", ini.id) in held
        total += 0 if is_held else (v or 0)
        irows.append(
            [
                ini.id,
                ini.name,
                fmt_num(v) + (f"\n{mark}" if is_held else ""),
                st or "—",
                planned_text(ini, fiscal_year, b["planned_thousand_yen"]),
                fmt_num(b["actual_thousand_yen"]),
                fmt_pct(b["execution_pct"]),
            ]
        )
    add_table(
        doc,
        [h.format(name=name) for h in P["muni_initiatives_header"]],
        irows,
        widths=[15, 55, 20, 16, 22, 22, 20],
        numeric={2, 4, 5, 6},
        center={0, 3},
    )
    add_note(doc, P["muni_initiatives_note"].format(name=name, total=fmt_num(total)))
    if held and template is not None:  # the sentence is in templates/report/held.txt.j2 beside the style template
        text = jinja_env(template.parent).get_template("report/held.txt.j2").render(part="municipality", mark=mark)
        for line in (ln for ln in text.splitlines() if ln.strip()):
            add_note(doc, line)


def add_own_evaluations(
    doc,
    plan: Plan,
    fiscal_year: int,
    code: str,
    own: pd.DataFrame,
    templates: Path,
    e: EvaluationSettings,
) -> None:
    """取組ごとの自己評価と取組実績: what this municipality wrote for each of its initiatives (its own texts); a
    sentence instead of a table that would show nothing but 「—」 and 「未報告」."""
    h = report_headings(templates)
    not_reported = render(templates, "not_reported")
    if own.empty:
        return
    name = plan.municipality(code).name
    add_heading(doc, h["municipality_evaluations"], 2)
    reported = own[own["reported"].astype(bool)]
    if not len(reported):
        add_paragraph(doc, render(templates, "own_none", name=name, fiscal_year=fiscal_year))
        return
    if _blank(reported):
        n = len(reported)
        text = render(templates, "own_empty", name=name, fiscal_year=fiscal_year, n=n, n_unreported=len(own) - n)
        add_paragraph(doc, text)
        return
    out = []
    mismatched = []
    # review 7 #5: 「C（実施）」 read as "C (implemented)"; the grade gets a mark (「C※」) that the note under the table
    # explains first (review 4 #15: a grade that disagrees with its 実施状況 is not left unmarked)
    mark = render(templates, "own_mismatch_cell")
    for r in own.to_dict("records"):
        parts = [f"{h[c]}：{r[c]}" for c in ev.TEXT_COLUMNS if r[c]]
        grade = str(r["self_evaluation"] or "—")
        if ev.disagrees(e.grades_by_status, str(r.get("status") or ""), str(r["self_evaluation"] or "")):
            grade += mark
            mismatched.append(str(r["initiative_id"]))
        out.append(
            [
                str(r["initiative_id"]),
                str(r["name"]),
                grade if r["reported"] else not_reported,
                (r["direction"] or "—") if r["reported"] else "—",
                "\n".join(parts) or "—",
            ]
        )
    P = report_phrases(templates)
    if mismatched:
        # the mark's legend right above the table, kept with its header: read before the marks, on the page they open
        # (under a table of several pages, a note kept with its last rows can still be pushed alone onto the next page)
        legend = add_note(doc, render(templates, "own_mismatch_note", mark=mark, name=name, rules=status_rules(e)))
        keep_with_next(legend)
    add_table(
        doc,
        [
            *P["own_evaluations_header"],
            h["self_evaluation"],
            h["direction"],
            str(P["grades_joiner"]).join(h[c] for c in ev.TEXT_COLUMNS),
        ],
        out,
        widths=[14, 40, 16, 20, 80],
        center={0, 2, 3},
    )
    dash = any("—" in row[2:] for row in out)
    unreported = not_reported if any(row[2] == not_reported for row in out) else ""
    add_note(
        doc, render(templates, "own_note", name=name, criteria=e.self_evaluation, dash=dash, unreported=unreported)
    )


def status_rules(e: EvaluationSettings) -> list[tuple[list[str], list[str]]]:
    """config evaluation.grades_by_status with the statuses that agree with the same grades together, in the order of
    their first status: [(["実施", "完了"], ["A", "B"]), (["一部実施"], ["C"]), (["未実施"], ["D"])]."""
    grouped: dict[tuple[str, ...], list[str]] = {}
    for status, grades in e.grades_by_status.items():
        grouped.setdefault(tuple(grades), []).append(status)
    return [(statuses, list(grades)) for grades, statuses in grouped.items()]


def _render_chunk(args) -> list[str]:
    plan, fiscal_year, out_dir, kpi, budget, template, synthetic, props, evaluation, issued, region, jobs = args
    written = []
    # A python-docx Document is a web of reference cycles holding lxml trees (C memory the collector does not
    # see): left to the collector's own pace, 1,741 documents pile up to ~1.2 GB. Collect after each document;
    # freezing what exists before, and again what survived each collection (the caches of table layouts, texts and
    # styles, which grow with the documents made), makes each collection look at this document's objects only
    # (at 1,741 members a collection took 6.3 ms with the survivors looked at again, 2.1 ms without).
    gc.freeze()
    muni_title = report_phrases(template.parent if template is not None else find_root() / "templates")["muni_title"]
    try:
        for code, name, mine, rows, period in jobs:
            doc = build_municipality_report(
                plan,
                fiscal_year,
                code,
                kpi,
                budget,
                mine,
                rows,
                template,
                synthetic,
                replace(props, title=props.title + muni_title.format(name=name)),
                evaluation,
                issued,
                period,
                region,
            )
            written.append(str(save(doc, out_dir / "municipalities" / f"{code}_{name}.docx")))
            del doc
            gc.collect()
            gc.freeze()
    finally:
        gc.unfreeze()
    return written


def write_municipality_reports(data: ReportData, out_dir: Path, executor: Executor | None = None) -> list[Path]:
    plan, subs = data.plan, data.subs
    subs_by = dict(tuple(subs.groupby("municipality_code", sort=False)))
    rows_by = dict(tuple(data.accepted_rows.groupby("municipality_code", sort=False)))
    empty_rows = data.accepted_rows.iloc[0:0]
    jobs = []
    for m in plan.members(data.fiscal_year):
        mine = subs_by.get(m.code, subs.iloc[0:0])
        period = member_period(data, m.code)
        jobs.append((m.code, m.name, mine, rows_by.get(m.code, empty_rows), period))
    written = []
    region = region_facts(data)
    args = [
        (
            plan,
            data.fiscal_year,
            out_dir,
            data.kpi,
            data.budget,
            data.style_template,
            data.synthetic,
            data.doc_props(),
            data.settings.evaluation,
            data.issued,
            region,
            chunk,
        )
        for chunk in chunks(jobs)
    ]
    for paths in parallel_map(_render_chunk, args, executor if len(args) > 1 else None):
        written += [Path(p) for p in paths]
    return written

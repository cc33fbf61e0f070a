"""One municipality's part and contribution (municipalities/<code>_<name>.docx)."""

from __future__ import annotations

import gc
from dataclasses import replace
from pathlib import Path

import pandas as pd

from vision_report.core.config import EvaluationSettings
from vision_report.core.paths import find_root
from vision_report.core.textfmt import fmt_num, fmt_pct, jinja_env, wareki
from vision_report.core.vocabulary import date_label, hold_label, status_label, timeliness_label
from vision_report.core.vocabulary import synthetic as synthetic_label
from vision_report.outputs.reports import evaluation_context as ev
from vision_report.outputs.reports.context import ReportData, kpi_value, member_terms, report_headings, report_phrases
from vision_report.outputs.reports.docxutil import DocProps, add_note, add_table, new_document, page_number_footer, save
from vision_report.outputs.reports.parallel import chunks, parallel_map
from vision_report.plan import Plan


def build_municipality_report(
    plan: Plan,
    fiscal_year: int,
    code: str,
    kpi: pd.DataFrame,
    budget: pd.DataFrame,
    mine: pd.DataFrame,
    rows: pd.DataFrame,
    issues: dict[str, list[str]],
    template: Path | None,
    synthetic: bool,
    props: DocProps | None = None,
    evaluation: EvaluationSettings | None = None,
):
    """``mine``: this municipality's rows of submissions.csv; ``rows``: its accepted rows;
    ``issues``: file -> Japanese error/warning lines; ``props``: the document properties (the title names
    the municipality); ``evaluation``: config evaluation: (the self-evaluation criteria printed under its table)."""
    m = plan.municipality(code)
    P = report_phrases(template.parent if template is not None else find_root() / "templates")
    doc = new_document(template, props)
    page_number_footer(doc.sections[0])
    doc.add_paragraph(P["muni_title"].format(name=m.name), style="Title")
    doc.add_paragraph(
        P["muni_subtitle"].format(title=plan.meta.title, wareki=wareki(fiscal_year), fy=fiscal_year), style="Subtitle"
    )
    if synthetic:
        p = doc.add_paragraph()
        r = p.add_run(synthetic_label("banner_short"))
        r.bold = True
    population = P["muni_population"].format(population=fmt_num(m.population)) if m.population is not None else ""
    joined = plan.initiatives_of(code, fiscal_year)
    n_kpis = len(plan.kpis_reported_by(code, fiscal_year))
    if joined:
        intro = P["muni_intro"].format(
            name=m.name,
            code=m.code,
            population=population,
            n_initiatives=len(plan.initiatives_in(fiscal_year)),
            n_joined=len(joined),
            n_kpis=n_kpis,
        )
    else:
        since = plan.membership(code).joined
        intro = P["muni_intro_no_initiatives"].format(
            name=m.name,
            code=m.code,
            population=population,
            joined=P["muni_joined"].format(date=date_label(since.isoformat())) if since else "",
            n_kpis=n_kpis,
            why=P["muni_kpis_why"].format(n_other=len(plan.kpis) - n_kpis, name=m.name)
            if 0 < n_kpis < len(plan.kpis)
            else "",
        )
    doc.add_paragraph(intro)

    doc.add_heading(P["muni_submissions"], level=2)
    srows = [
        [
            r.file or "—",
            r.received_at or "—",
            timeliness_label(r.timeliness),
            status_label(r.status),
            str(r.error_count),
            str(r.warning_count),
        ]
        for r in mine.itertuples()
    ]
    add_table(
        doc,
        list(P["muni_submissions_header"]),
        srows,
        widths=[62, 32, 14, 32, 15, 15],
        numeric={4, 5},
        center={2, 3},
    )
    for f, lines in issues.items():
        for line in lines:
            add_note(doc, P["muni_issue"].format(file=f, line=line))

    spend = rows[rows["kind"] == "expenditure"].set_index("item_id")
    # values held out of the totals (要確認): printed with the mark, left out of this report's own total too
    flagged = rows[rows["held"].astype(bool)] if "held" in rows.columns else rows.iloc[0:0]
    held = set(zip(flagged["kind"], flagged["item_id"], strict=True))
    mark = hold_label("mark")
    doc.add_heading(P["muni_initiatives"], level=2)
    if not joined:  # a sentence, not a table with headers only
        doc.add_paragraph(
            P["muni_no_initiatives"].format(name=m.name, n_initiatives=len(plan.initiatives_in(fiscal_year)))
        )
    else:
        add_initiatives(doc, P, plan, fiscal_year, code, m.name, budget, spend, held, template)
    add_own_evaluations(doc, plan, fiscal_year, code, rows, template, evaluation or EvaluationSettings())

    doc.add_heading(P["muni_kpis"], level=2)
    vals = rows[rows["kind"] == "kpi"].set_index("item_id")["value"] if len(rows) else pd.Series(dtype=float)
    krows = []
    for k in plan.kpis_reported_by(code, fiscal_year):
        r = kpi.loc[k.id]
        v = vals.get(k.id)
        # the denominator the note names: every member's accepted submissions of the year (new members included)
        region = (
            r["actual_all_members"] if "actual_all_members" in r and pd.notna(r["actual_all_members"]) else r["actual"]
        )
        is_held = ("kpi", k.id) in held
        share = v / region * 100 if v is not None and pd.notna(region) and region and not is_held else None
        krows.append(
            [
                f"{k.name}（{k.unit}）",
                kpi_value(k, v) + (f"\n{mark}" if is_held else ""),
                kpi_value(k, region),
                fmt_pct(share),
                "—" if r["rating"] == "-" else str(r["rating"]),
            ]
        )
    add_table(
        doc,
        [h.format(name=m.name) for h in P["muni_kpis_header"]],
        krows,
        widths=[78, 26, 26, 20, 20],
        numeric={1, 2, 3},
        center={4},
    )
    terms = member_terms(P, plan)
    note = P["muni_kpis_note"].format(
        name=m.name,
        fy=fiscal_year,
        n=len(plan.members(fiscal_year)),
        basis=terms["basis_term"],
        added=terms["added_after"],
    )
    add_note(doc, note)
    add_note(doc, P["muni_contact"].format(office=plan.meta.office or ""))
    return doc


def add_initiatives(
    doc, P, plan: Plan, fiscal_year: int, code: str, name: str, budget, spend, held: set, template
) -> None:
    """参加している取組と支出: this member's spending per initiative beside the initiative's whole plan/actual
    (``spend``: its accepted expenditure rows by initiative; ``held``: the (kind, id) held out as 要確認)."""
    mark = hold_label("mark")
    irows = []
    total = 0.0
    for ini in plan.initiatives_of(code, fiscal_year):
        b = budget.loc[ini.id]
        v = spend["value"].get(ini.id) if len(spend) else None
        st = spend["status"].get(ini.id) if len(spend) else None
        is_held = ("expenditure", ini.id) in held
        total += 0 if is_held else (v or 0)
        irows.append(
            [
                ini.id,
                ini.name,
                fmt_num(v) + (f"\n{mark}" if is_held else ""),
                st or "—",
                fmt_num(b["planned_thousand_yen"]),
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
    doc, plan: Plan, fiscal_year: int, code: str, rows: pd.DataFrame, template: Path | None, e: EvaluationSettings
) -> None:
    """取組ごとの自己評価と取組実績: what this municipality wrote for each of its initiatives (its own texts)."""
    templates = template.parent if template is not None else find_root() / "templates"
    h = report_headings(templates)
    tpl = jinja_env(templates).get_template("report/evaluation.txt.j2")

    def snippet(part: str, **values) -> str:
        return tpl.render(part=part, fiscal_year=fiscal_year, **values).strip()

    own = ev.own_evaluations(plan, rows, code, fiscal_year)
    if own.empty:
        return
    doc.add_heading(h["municipality_evaluations"], level=2)
    out = []
    for r in own.to_dict("records"):
        parts = [f"{h[c]}：{r[c]}" for c in ev.TEXT_COLUMNS if r[c]]
        out.append(
            [
                str(r["initiative_id"]),
                str(r["name"]),
                (r["self_evaluation"] or "—") if r["reported"] else snippet("not_reported"),
                r["direction"] or "—",
                "\n".join(parts) or "—",
            ]
        )
    add_table(
        doc,
        [
            *report_phrases(templates)["own_evaluations_header"],
            h["self_evaluation"],
            h["direction"],
            str(report_phrases(templates)["grades_joiner"]).join(h[c] for c in ev.TEXT_COLUMNS),
        ],
        out,
        widths=[14, 40, 16, 20, 80],
        center={0, 2, 3},
    )
    reported = own[own["reported"].astype(bool)]
    blank = reported[["self_evaluation", *ev.TEXT_COLUMNS]].eq("").all(axis=None) if len(reported) else False
    if blank:  # accepted, yet nothing written: say so rather than a table of 「—」 alone
        add_note(doc, snippet("own_empty", name=plan.municipality(code).name, n=len(reported)))
    add_note(doc, snippet("own_note", criteria=e.self_evaluation))


def _render_chunk(args) -> list[str]:
    plan, fiscal_year, out_dir, kpi, budget, template, synthetic, props, evaluation, jobs = args
    written = []
    # A python-docx Document is a web of reference cycles holding lxml trees (C memory the collector does not
    # see): left to the collector's own pace, 1,741 documents pile up to ~1.2 GB. Collect after each document;
    # freezing what exists before makes each collection look at this document's objects only.
    gc.freeze()
    muni_title = report_phrases(template.parent if template is not None else find_root() / "templates")["muni_title"]
    try:
        for code, name, mine, rows, issues in jobs:
            doc = build_municipality_report(
                plan,
                fiscal_year,
                code,
                kpi,
                budget,
                mine,
                rows,
                issues,
                template,
                synthetic,
                replace(props, title=props.title + muni_title.format(name=name)),
                evaluation,
            )
            written.append(str(save(doc, out_dir / "municipalities" / f"{code}_{name}.docx")))
            del doc
            gc.collect()
    finally:
        gc.unfreeze()
    return written


def write_municipality_reports(data: ReportData, out_dir: Path, issues_by_file: dict[str, list[str]]) -> list[Path]:
    plan, subs = data.plan, data.subs
    subs_by = dict(tuple(subs.groupby("municipality_code", sort=False)))
    rows_by = dict(tuple(data.accepted_rows.groupby("municipality_code", sort=False)))
    empty_rows = data.accepted_rows.iloc[0:0]
    jobs = []
    for m in plan.members(data.fiscal_year):
        mine = subs_by.get(m.code, subs.iloc[0:0])
        issues = {f: issues_by_file[f] for f in mine["file"] if f in issues_by_file}
        jobs.append((m.code, m.name, mine, rows_by.get(m.code, empty_rows), issues))
    written = []
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
            chunk,
        )
        for chunk in chunks(jobs)
    ]
    for paths in parallel_map(_render_chunk, args):
        written += [Path(p) for p in paths]
    return written

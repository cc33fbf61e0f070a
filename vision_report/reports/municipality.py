"""One municipality's part and contribution (municipalities/<code>_<name>.docx)."""

from __future__ import annotations

import gc
from dataclasses import replace
from pathlib import Path

import pandas as pd

from ..config import EvaluationSettings, find_root
from ..plan import Plan
from ..textfmt import fmt_num, fmt_pct, jinja_env, wareki
from ..vocabulary import hold_label, status_label, timeliness_label
from ..vocabulary import synthetic as synthetic_label
from . import evaluation_context as ev
from .context import ReportData, kpi_value, report_headings
from .docxutil import DocProps, add_note, add_table, new_document, page_number_footer, save
from .parallel import chunks, parallel_map


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
    doc = new_document(template, props)
    page_number_footer(doc.sections[0])
    doc.add_paragraph(f"{m.name}の取組状況", style="Title")
    doc.add_paragraph(f"{plan.meta.title} {wareki(fiscal_year)}（{fiscal_year}年度）", style="Subtitle")
    if synthetic:
        p = doc.add_paragraph()
        r = p.add_run(synthetic_label("banner_short"))
        r.bold = True
    doc.add_paragraph(
        f"{m.name}（団体コード {m.code}、人口 {fmt_num(m.population)} 人）は、ビジョンの{len(plan.initiatives)}の具体的取組のうち"
        f"{len(plan.initiatives_of(code, fiscal_year))}の取組に参加し、{len(plan.kpis_reported_by(code, fiscal_year))}のKPIの実績を報告します。"
    )

    doc.add_heading("提出状況", level=2)
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
        ["ファイル", "受付日時", "期限", "状態", "エラー", "警告"],
        srows,
        widths=[62, 32, 14, 32, 15, 15],
        numeric={4, 5},
        center={2, 3},
    )
    for f, lines in issues.items():
        for line in lines:
            add_note(doc, f"※ {f}: {line}")

    spend = rows[rows["kind"] == "expenditure"].set_index("item_id")
    # values held out of the totals (要確認): printed with the mark, left out of this report's own total too
    flagged = rows[rows["held"].astype(bool)] if "held" in rows.columns else rows.iloc[0:0]
    held = set(zip(flagged["kind"], flagged["item_id"], strict=True))
    mark = hold_label("mark")
    doc.add_heading("参加している取組と支出", level=2)
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
        ["取組", "名称", "本市町村の支出", "実施状況", "圏域の計画", "圏域の実績", "執行率"],
        irows,
        widths=[15, 55, 20, 16, 22, 22, 20],
        numeric={2, 4, 5, 6},
        center={0, 3},
    )
    add_note(
        doc,
        f"※ 金額は千円。本市町村の支出の合計 {fmt_num(total)} 千円。圏域の計画・実績は取組全体（全参加市町村）の額。",
    )
    if held and template is not None:  # the sentence is in templates/report/held.txt.j2 beside the style template
        text = jinja_env(template.parent).get_template("report/held.txt.j2").render(part="municipality", mark=mark)
        for line in (ln for ln in text.splitlines() if ln.strip()):
            add_note(doc, line)
    add_own_evaluations(doc, plan, fiscal_year, code, rows, template, evaluation or EvaluationSettings())

    doc.add_heading("報告しているKPIと圏域に占める割合", level=2)
    vals = rows[rows["kind"] == "kpi"].set_index("item_id")["value"] if len(rows) else pd.Series(dtype=float)
    krows = []
    for k in plan.kpis_reported_by(code, fiscal_year):
        r = kpi.loc[k.id]
        v = vals.get(k.id)
        region = r["actual"]
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
        ["KPI", "本市町村の値", "圏域の値", "割合", "圏域の評価"],
        krows,
        widths=[78, 26, 26, 20, 20],
        numeric={1, 2, 3},
        center={4},
    )
    add_note(
        doc,
        "※ 割合は、圏域の値（受理した提出の合計）に占める本市町村の値。社会増減数は負の値があるため割合が100%を超えることがある。"
        f"　問合せ先: {plan.meta.office or ''}",
    )
    return doc


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
        ["取組", "名称", h["self_evaluation"], h["direction"], "・".join(h[c] for c in ev.TEXT_COLUMNS)],
        out,
        widths=[14, 40, 16, 20, 80],
        center={0, 2, 3},
    )
    add_note(doc, snippet("own_note", criteria=e.self_evaluation))


def _render_chunk(args) -> list[str]:
    plan, fiscal_year, out_dir, kpi, budget, template, synthetic, props, evaluation, jobs = args
    written = []
    # A python-docx Document is a web of reference cycles holding lxml trees (C memory the collector does not
    # see): left to the collector's own pace, 1,741 documents pile up to ~1.2 GB. Collect after each document;
    # freezing what exists before makes each collection look at this document's objects only.
    gc.freeze()
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
                replace(props, title=f"{props.title} {name}の取組状況"),
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

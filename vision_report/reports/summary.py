"""概要版: the three pillars at a glance for council sessions (2–4 pages)."""

from __future__ import annotations

from docx.shared import Pt

from ..textfmt import fmt_num, fmt_pct, is_missing, wareki
from ..vocabulary import Status, status_label
from ..vocabulary import synthetic as synthetic_label
from . import charts
from .context import ReportData
from .docxutil import add_note, add_picture, add_table, new_document, page_number_footer
from .region import actual_text, rating_text, target_text


def build_summary(data: ReportData):
    plan, fy = data.plan, data.fiscal_year
    doc = new_document(data.style_template, data.doc_props("進捗状況報告書【概要版】"))
    page_number_footer(doc.sections[0])
    doc.add_paragraph(f"{plan.meta.title} {wareki(fy)}（{fy}年度）進捗状況【概要版】", style="Title")
    doc.add_paragraph(f"{plan.meta.alliance}　{data.issued}", style="Subtitle")
    if data.synthetic:
        p = doc.add_paragraph()
        p.add_run(synthetic_label("banner_short")).bold = True
    c = data.counts()
    ratings = data.kpi["rating"].tolist()
    roll = data.rollup
    pillars = roll[roll["level"] == "pillar"]
    planned = pillars["planned_thousand_yen"].sum()
    actual = pillars["actual_thousand_yen"].sum()
    doc.add_heading("ポイント", level=2)
    for line in [
        f"実績の提出: 構成{len(plan.members(fy))}市町村のうち {c['accepted']} 市町村を受理"
        f"（{status_label(Status.REJECTED)} {c['rejected']}・{status_label(Status.MISSING)} {c['missing']}）。",
        f"KPI（{len(plan.kpis)}指標）の評価: A {ratings.count('A')}・B {ratings.count('B')}・C {ratings.count('C')}・"
        f"D {ratings.count('D')}" + (f"・評価なし {ratings.count('-')}" if "-" in ratings else "") + "。",
        f"事業費（{len(plan.initiatives)}取組）: 計画 {fmt_num(planned)} 千円に対し実績 {fmt_num(actual)} 千円"
        f"（執行率 {fmt_pct(actual / planned * 100 if planned else None)}）。",
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
                f"A{r['rating_A']} B{r['rating_B']} C{r['rating_C']} D{r['rating_D']}"
                + (f" －{r['rating_none']}" if r["rating_none"] else ""),
                fmt_pct(r["kpi_attainment_mean"]),
                fmt_num(r["planned_thousand_yen"]),
                fmt_num(r["actual_thousand_yen"]),
                fmt_pct(r["execution_pct"]),
                f"{int(r['initiatives_implemented'])}/{int(r['initiatives'])}",
            ]
        )
        labels.append(f"柱{r['id']}")
        counts.append(
            {"A": r["rating_A"], "B": r["rating_B"], "C": r["rating_C"], "D": r["rating_D"], "-": r["rating_none"]}
        )
    add_table(
        doc,
        ["柱", "KPI", "評価の内訳", "平均達成率", "計画（千円）", "実績（千円）", "執行率", "全参加市町村が実施"],
        rows,
        widths=[46, 10, 24, 16, 20, 20, 15, 19],
        numeric={3, 4, 5, 6},
        center={1, 2, 7},
    )
    add_picture(doc, charts.rating_bars(labels, counts), 120, "図 柱ごとのKPIの評価")
    doc.add_heading("KPIの達成状況", level=2)
    krows = []
    for k in plan.kpis:
        r = data.kpi.loc[k.id]
        krows.append(
            [
                f"{k.name}（{k.unit}）",
                target_text(k),
                actual_text(data, k),
                fmt_pct(r["attainment_pct"]),
                fmt_pct(r["progress_pct"]),
                rating_text(r),
            ]
        )
    add_table(
        doc,
        ["KPI", data.heading("kpi_target"), "実績値", "達成率", "進捗率", "評価"],
        krows,
        widths=[70, 30, 22, 15, 18, 15],
        numeric={1, 2, 3, 4},
        center={5},
    )
    subs = roll[roll["level"] == "subfield"]
    labels = [
        f"柱{r['id']}" if r["level"] == "pillar" else f"小分野{r['id']}"
        for _, r in roll[roll["level"].isin(["pillar", "subfield"])].iterrows()
    ]
    sel = roll[roll["level"].isin(["pillar", "subfield"])]
    add_picture(
        doc,
        charts.execution_bars(
            labels,
            [0 if is_missing(v) else v for v in sel["planned_thousand_yen"]],
            [0 if is_missing(v) else v for v in sel["actual_thousand_yen"]],
        ),
        120,
        f"図 柱・小分野ごとの事業費（{fy}年度）",
    )
    if len(subs):
        add_note(doc, "※ 小分野: " + "、".join(f"{r['id']} {r['name']}" for _, r in subs.iterrows()))
    add_period_summary(doc, data)
    p = doc.add_paragraph()
    p.paragraph_format.space_before = Pt(8)
    p.add_run(f"詳細は「{plan.meta.title} {wareki(fy)} 進捗状況報告書」を参照。問合せ先: {plan.meta.office or ''}")
    return doc


def add_period_summary(doc, data: ReportData) -> None:
    """計画期間の総括 at a glance (in other years: the period to date): the sentences and a table per pillar."""
    if "period_rollup" not in data.results:
        return
    doc.add_heading(data.heading("summary_period_final" if data.is_final_year else "summary_period_to_date"), level=2)
    for line in data.text("period"):
        doc.add_paragraph(line)
    roll = data.results["period_rollup"]
    rows = [
        [
            f"柱{r.id} {r.name}",
            fmt_num(r.planned_thousand_yen),
            fmt_num(r.actual_thousand_yen),
            fmt_pct(r.execution_pct),
            f"{r.initiatives_as_planned}/{r.initiatives}",
        ]
        for r in roll.itertuples(index=False)
        if r.level == "pillar"
    ]
    add_table(
        doc,
        ["柱", "計画（千円）", "実績（千円）", "執行率", "計画どおり実施"],
        rows,
        widths=[70, 28, 28, 18, 26],
        numeric={1, 2, 3},
        center={4},
    )

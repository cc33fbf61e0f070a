"""The region's yearly progress report (report_<FY>.docx) in the vision's own layout."""

from __future__ import annotations

from docx.enum.table import WD_ALIGN_VERTICAL
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from ..plan import Initiative, Kpi, PolicyArea
from ..textfmt import fmt_num, fmt_pct, is_missing
from ..vocabulary import hold_label, kind_labels, status_label, timeliness_label
from ..vocabulary import synthetic as synthetic_label
from . import charts
from .context import ReportData, kpi_value
from .docxutil import (
    SUBTLE_FILL,
    add_note,
    add_picture,
    add_table,
    add_toc,
    keep_together,
    merge_column,
    new_document,
    page_number_footer,
    shade,
)

KPI_HEADER = ["KPI", "現状値（年）", "{kpi_target}", "実績値", "達成率", "進捗率", "評価", "出典"]
KPI_WIDTHS = [36, 25, 27, 21, 15, 16, 10, 20]
PAGE_WIDTH_MM = 170


def rating_text(row, inline: bool = False) -> str:
    r = str(row["rating"])
    if r == "-":
        return "－"
    if bool(row["provisional"]):
        return f"{r}（暫定）" if inline else f"{r}\n暫定"
    return r


def baseline_text(k: Kpi) -> str:
    return f"{kpi_value(k, k.baseline)}\n（{k.baseline_year_label or k.baseline_year}）"


def target_text(k: Kpi) -> str:
    return (k.target_label or kpi_value(k, k.target)).replace("（", "\n（").replace("【", "\n【")


def actual_text(data: ReportData, k: Kpi) -> str:
    """The year's value on the basis the target was set on; the value of all the year's members beside it when
    the year's members differ from that basis (e.g. 24 members against a 20-member target)."""
    r = data.kpi.loc[k.id]
    text = kpi_value(k, r["actual"])
    if "actual_all_members" in r and int(r.get("reporters_expected_all", 0) or 0) > int(r["reporters_expected"] or 0):
        text += f"\n（全{int(r['reporters_expected_all'])}市町村 {kpi_value(k, r['actual_all_members'])}）"
    return text


def kpi_header(data: ReportData) -> list[str]:
    return [h.format(kpi_target=data.heading("kpi_target")) for h in KPI_HEADER]


def kpi_rows(data: ReportData, kpis: list[Kpi]) -> list[list[str]]:
    out = []
    for k in kpis:
        r = data.kpi.loc[k.id]
        out.append(
            [
                f"{k.name}（{k.unit}）",
                baseline_text(k),
                target_text(k),
                actual_text(data, k),
                fmt_pct(r["attainment_pct"]),
                fmt_pct(r["progress_pct"]),
                rating_text(r),
                k.source or "—",
            ]
        )
    return out


def add_kpi_table(doc, data: ReportData, kpis: list[Kpi]) -> None:
    add_table(doc, kpi_header(data), kpi_rows(data, kpis), widths=KPI_WIDTHS, numeric={1, 2, 3, 4, 5}, center={6})
    reasons = [f"{k.name}: {data.kpi.loc[k.id, 'rating_reason']}" for k in kpis if data.kpi.loc[k.id, "rating_reason"]]
    notes = [f"{k.name}: {k.notes}" for k in kpis if k.notes]
    basis = [str(data.kpi.loc[k.id, "basis_note"]) for k in kpis if "（全" in actual_text(data, k)]
    for line in reasons + notes + sorted(set(basis)):
        add_note(doc, "※ " + line)


def add_trend(doc, data: ReportData, kpis: list[Kpi], caption: str) -> None:
    years = list(range(data.plan.meta.first_fiscal_year, data.fiscal_year + 1))
    panels = [
        {
            "name": k.name,
            "unit": k.unit,
            "baseline": k.baseline,
            "baseline_year": k.baseline_year,
            "target": k.target,
            "values": data.kpi_values(k.id),
            "provisional": data.kpi_provisional_years(k.id),
            "partial": data.kpi_partial_basis_years(k.id),
        }
        for k in kpis
    ]
    png = charts.kpi_trends(panels, years, cols=2 if len(kpis) > 1 else 1)
    add_picture(doc, png, PAGE_WIDTH_MM if len(kpis) > 1 else 100, caption)


def grid_table(doc, data: ReportData, ini: Initiative) -> None:
    """関係市町村: every member of the year, rows of names (config report.grid_columns, 10 as the vision prints
    them), each followed by its row of ○; however many members there are, none is dropped."""
    munis = data.plan.members(data.fiscal_year)
    per_row = data.settings.report.grid_columns
    participants = set(data.plan.participants(ini.id, data.fiscal_year))
    rows = []
    for start in range(0, len(munis), per_row):
        part = munis[start : start + per_row]
        rows.append([m.name for m in part] + [""] * (per_row - len(part)))
        rows.append(["○" if m.code in participants else "" for m in part] + [""] * (per_row - len(part)))
    labelled = [["関係市町村" if k == 0 else ""] + r for k, r in enumerate(rows)]
    add_table(
        doc,
        ["関係市町村"] + [""] * per_row,
        labelled,
        widths=[18] + [152 / per_row] * per_row,
        center=set(range(1, per_row + 1)),
        fills={k: SUBTLE_FILL for k in range(0, len(rows), 2)},
        finish=_finish_grid,
    )


def _finish_grid(table) -> None:
    table.rows[0]._tr.getparent().remove(table.rows[0]._tr)  # no separate header row for the grid
    merge_column(table, 0, 0, len(table.rows) - 1)
    table.rows[0].cells[0].vertical_alignment = WD_ALIGN_VERTICAL.CENTER
    keep_together(table)


def budget_table(doc, data: ReportData, ini: Initiative) -> None:
    years = list(data.plan.meta.fiscal_years)
    spend = data.spend_by_year(ini.id)
    plan_row = ["計画"] + [fmt_num(v) if isinstance(v, int) else (v or "—") for v in ini.budget.years.values()]
    total = ini.budget.total
    plan_row.append(fmt_num(total) if isinstance(total, int) else (total or "—"))
    act = [spend.get(y) if y <= data.fiscal_year else None for y in years]
    act_row = ["実績"] + [
        fmt_num(v) if v is not None else ("—" if y <= data.fiscal_year else "") for v, y in zip(act, years, strict=True)
    ]
    done = [v for v in act if v is not None]
    act_row.append(fmt_num(sum(done)) if done else "—")
    exe_row = ["執行率"]
    for y, v in zip(years, act, strict=True):
        p = ini.budget.planned(y)
        exe_row.append(
            fmt_pct(v / p * 100)
            if v is not None and isinstance(p, int) and p > 0
            else ("" if y > data.fiscal_year else "—")
        )
    exe_row.append("")
    add_table(
        doc,
        ["事業費（千円）"] + [f"{y}年度" for y in years] + ["合計"],
        [plan_row, act_row, exe_row],
        widths=[26] + [20] * len(years) + [24],
        numeric=set(range(1, len(years) + 2)),
        center={0},
        finish=_finish_budget,
    )


def _finish_budget(table) -> None:
    keep_together(table, with_next=True)  # with the 実施状況 line under it


def status_line(data: ReportData, ini: Initiative) -> str:
    b = data.budget.loc[ini.id]
    parts = [
        f"実施 {int(b['n_implemented'])}",
        f"一部実施 {int(b['n_partial'])}",
        f"未実施 {int(b['n_not_implemented'])}",
        f"完了 {int(b['n_completed'])}",
    ]
    done = "（全参加市町村が実施・完了）" if bool(b["implemented_by_all"]) else ""
    return (
        f"{data.fiscal_year}年度の実施状況: "
        + "・".join(parts)
        + f"（報告 {int(b['participants_reported'])}/{int(b['participants_expected'])} 市町村）{done}"
    )


def add_initiative(doc, data: ReportData, ini: Initiative) -> None:
    p = doc.add_paragraph()
    p.paragraph_format.keep_with_next = True
    p.paragraph_format.space_before = Pt(8)
    run = p.add_run(f"{ini.label} {ini.name}")
    run.bold = True
    p.add_run(f"（{ini.id}）").font.size = Pt(8)
    grid_table(doc, data, ini)
    blocks = [
        ("事業内容", ini.description),
        ("役割分担（熊本市）", ini.role_kumamoto),
        ("役割分担（近隣市町村）", ini.role_neighbours),
        ("費用負担", ini.cost_sharing),
        ("スケジュール", "\n".join(ini.schedule)),
        ("国・県補助制度等", ini.subsidies),
        ("効果", ini.effects),
    ]
    rows = [[label, text.strip()] for label, text in blocks if text and text.strip()]
    if rows:  # the vision's own blocks, in its order and words, full texts with its line breaks
        _gap(doc)
        add_table(doc, ["項目", "内容"], rows, widths=[40, 130], finish=_finish_blocks)
    _gap(doc)
    budget_table(doc, data, ini)
    add_note(doc, status_line(data, ini))
    add_held_note(doc, data, "expenditure", ini.id)


def add_held_note(doc, data: ReportData, kind: str, item_id: str) -> None:
    """Under an item's figures: the held values (要確認) its totals leave out, if any."""
    waiting = data.holds.waiting if data.holds is not None else None
    if waiting is None or not len(waiting):
        return
    mine = waiting[(waiting["kind"] == kind) & (waiting["item_id"] == item_id)]
    if len(mine):
        for line in data.held_text("initiative", mine, with_item=False):
            add_note(doc, line)


def add_held_section(doc, data: ReportData) -> None:
    """要確認の値: what was held out of the totals, why, whether confirmed, and how to confirm (docs/interface.md §3)."""
    holds = data.holds
    if holds is None or (not len(holds.held) and not holds.problems):
        return
    doc.add_heading(data.heading("held"), level=2)
    for line in data.held_text("section"):
        doc.add_paragraph(line)
    kinds = kind_labels()
    rows = [
        [
            h.municipality_name,
            f"{kinds.get(h.kind, h.kind)} {h.item_id}",
            h.item_name,
            f"{fmt_num(h.value)} {h.unit}".strip(),
            h.messages,
            hold_label("mark")
            if not h.confirmed
            else f"{hold_label('confirmed')}\n{h.confirmed_by}（{h.confirmed_on}）\n{h.reason}",
        ]
        for h in holds.held.itertuples(index=False)
    ]
    if rows:
        add_table(
            doc,
            ["市町村", "区分・ID", "項目", "値", "理由", "状態"],
            rows,
            widths=[18, 22, 34, 26, 44, 26],
            numeric={3},
            center={1},
        )
    for line in holds.problems:
        add_note(doc, "※ " + line)


def _gap(doc) -> None:
    """A small paragraph between two tables (tables in a row would run together in Word)."""
    doc.add_paragraph().paragraph_format.space_after = Pt(2)


def _finish_blocks(table) -> None:
    """Label | text rows as the vision prints its blocks: no header row, the labels shaded and bold."""
    table.rows[0]._tr.getparent().remove(table.rows[0]._tr)
    for row in table.rows:
        shade(row.cells[0], SUBTLE_FILL)
        for run in row.cells[0].paragraphs[0].runs:
            run.bold = True


def area_kpis(data: ReportData, area: PolicyArea) -> tuple[list[Kpi], str | None]:
    own = [k for k in data.plan.kpis if k.measures == area.id]
    if own:
        return own, None
    for node in data.plan.parent_nodes(area.id):
        inherited = [k for k in data.plan.kpis if k.measures == node]
        if inherited:
            label = (
                f"小分野{node[-1]}「{data.plan.node_name(node)}」"
                if not node.isdigit()
                else f"柱{node}「{data.plan.node_name(node)}」"
            )
            return inherited, label
    return [], None


def add_area(doc, data: ReportData, area: PolicyArea) -> None:
    label = f"【{data.plan.subfield(area.subfield).name}】" if area.subfield else ""
    doc.add_heading(f"{area.circled} {area.name}", level=3)
    if area.agreement.field_label or label:  # the lines under the heading go with the first initiative
        add_note(doc, f"{label}{area.agreement.field_label or ''}").paragraph_format.keep_with_next = True
    kpis, inherited = area_kpis(data, area)
    if kpis:
        line = "、".join(
            f"{k.name} {kpi_value(k, data.kpi.loc[k.id, 'actual'])}{k.unit}"
            f"（達成率 {fmt_pct(data.kpi.loc[k.id, 'attainment_pct'])}・評価 {rating_text(data.kpi.loc[k.id], inline=True)}）"
            for k in kpis
        )
        prefix = f"KPI（{inherited}のKPIを表示）: " if inherited else "KPI: "
        p = doc.add_paragraph()
        p.paragraph_format.keep_with_next = True
        p.add_run(prefix).bold = True
        p.add_run(line)
    agreement = area.agreement
    rows = [
        [label, text.strip()]
        for label, text in (
            ("政策分野", area.name if agreement.content else None),
            ("取組内容", agreement.content),
            ("熊本市の役割", agreement.role_kumamoto),
            ("近隣市町村の役割", agreement.role_neighbours),
        )
        if text and text.strip()
    ]
    if rows:
        p = doc.add_paragraph()
        p.paragraph_format.keep_with_next = True
        p.add_run("[連携協約]").bold = True
        add_table(doc, ["項目", "内容"], rows, widths=[40, 130], finish=_finish_blocks)
    for ini in data.plan.area_initiatives(area.id):
        add_initiative(doc, data, ini)


def add_pillar(doc, data: ReportData, pillar) -> None:
    plan = data.plan
    doc.add_heading(f"{pillar.id} {pillar.name}", level=1)
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
            rows.append([f"《{plan.subfield(current).name}に係る政策分野》", ""])
        rows.append([f"{area.circled} {area.name}", (area.direction or "—").strip()])
    add_table(doc, ["項目", "内容"], rows, widths=[50, 120], fills=fills)
    doc.add_heading(data.heading("pillar_kpi"), level=2)
    kpis = [
        k
        for k in plan.kpis
        if k.measures == str(pillar.id) or k.measures in pillar.subfield_ids or k.measures in pillar.area_ids
    ]
    add_kpi_table(doc, data, kpis)
    add_trend(doc, data, kpis, f"図 柱{pillar.id}のKPIの推移（{plan.meta.first_fiscal_year}〜{data.fiscal_year}年度）")
    doc.add_heading(data.heading("pillar_initiatives"), level=2)
    current_sub = None
    for a in pillar.area_ids:
        area = plan.area(a)
        if area.subfield and area.subfield != current_sub:
            current_sub = area.subfield
            sub = plan.subfield(area.subfield)
            p = doc.add_paragraph()
            p.paragraph_format.keep_with_next = True
            p.add_run(f"《{sub.name}に係る政策分野》").bold = True
        add_area(doc, data, area)


def add_overview(doc, data: ReportData) -> None:
    plan = data.plan
    doc.add_heading("はじめに", level=1)
    for line in data.text("overview"):
        doc.add_paragraph(line)
    doc.add_heading("構成市町村", level=2)
    rows = [
        [m.name, m.code, fmt_num(m.population), fmt_num(m.households), fmt_num(m.area_km2, 2)]
        for m in plan.municipalities
    ]
    rows.append(
        [
            "圏域合計",
            "",
            fmt_num(sum(m.population or 0 for m in plan.municipalities)),
            fmt_num(sum(m.households or 0 for m in plan.municipalities)),
            fmt_num(sum(m.area_km2 or 0 for m in plan.municipalities), 2),
        ]
    )
    add_table(
        doc,
        ["市町村", "団体コード", "人口（人）", "世帯数", "面積（km²）"],
        rows,
        widths=[34, 26, 36, 36, 36],
        numeric={2, 3, 4},
        center={1},
        bold_rows={len(rows) - 1},
    )
    add_note(doc, f"※ 人口・世帯数・面積はビジョン記載の基本データ（{plan.meta.population_as_of or ''}）")
    doc.add_heading(f"{data.fiscal_year}年度の実績の提出状況", level=2)
    srows = []
    for r in data.subs.itertuples():
        srows.append(
            [
                r.municipality_name or "（構成市町村外）",
                r.file or "—",
                r.received_at or "—",
                timeliness_label(r.timeliness),
                status_label(r.status),
                str(r.error_count),
                str(r.warning_count),
            ]
        )
    deadline = next((d for d in data.subs["deadline"] if d), "")
    if deadline:
        add_note(doc, f"提出期限: {deadline.replace('-', '年', 1).replace('-', '月', 1)}日")
    add_table(
        doc,
        ["市町村", "ファイル", "受付日時", "期限", "状態", "エラー", "警告"],
        srows,
        widths=[20, 56, 32, 14, 26, 11, 11],
        numeric={5, 6},
        center={3, 4},
    )
    add_held_section(doc, data)
    doc.add_heading("評価の方法", level=2)
    for line in data.text("method"):
        add_note(doc, line)


def add_management(doc, data: ReportData) -> None:
    plan = data.plan
    doc.add_heading(data.heading("management"), level=1)
    doc.add_heading(data.heading("management_kpi"), level=2)
    rows = []
    for k in plan.kpis:
        r = data.kpi.loc[k.id]
        rows.append(
            [
                f"{k.measures} {plan.node_name(k.measures)}",
                f"{k.name}（{k.unit}）",
                baseline_text(k),
                target_text(k),
                actual_text(data, k),
                fmt_pct(r["attainment_pct"]),
                fmt_pct(r["progress_pct"]),
                rating_text(r),
            ]
        )
    add_table(
        doc,
        ["取組内容", "KPI", "現状値", "目標値", "実績値", "達成率", "進捗率", "評価"],
        rows,
        widths=[28, 38, 22, 22, 18, 14, 17, 11],
        numeric={2, 3, 4, 5, 6},
        center={7},
    )
    doc.add_heading(data.heading("management_budget"), level=2)
    roll = data.rollup
    brows, labels, planned, actual = [], [], [], []
    for _, r in roll[roll["level"].isin(["pillar", "subfield"])].iterrows():
        name = f"{'柱' if r['level'] == 'pillar' else '小分野'}{r['id']} {r['name']}"
        brows.append(
            [
                name,
                fmt_num(r["planned_thousand_yen"]),
                fmt_num(r["actual_thousand_yen"]),
                fmt_pct(r["execution_pct"]),
                f"{int(r['initiatives_implemented'])}/{int(r['initiatives'])}",
                f"A{r['rating_A']} B{r['rating_B']} C{r['rating_C']} D{r['rating_D']}"
                + (f" －{r['rating_none']}" if r["rating_none"] else ""),
                fmt_pct(r["kpi_attainment_mean"]),
            ]
        )
        if r["level"] == "pillar":
            labels.append(f"柱{r['id']}")
            planned.append(0 if is_missing(r["planned_thousand_yen"]) else r["planned_thousand_yen"])
            actual.append(0 if is_missing(r["actual_thousand_yen"]) else r["actual_thousand_yen"])
    add_table(
        doc,
        ["区分", "計画（千円）", "実績（千円）", "執行率", "全参加市町村が実施", "KPIの評価", "平均達成率"],
        brows,
        widths=[46, 24, 24, 14, 22, 26, 14],
        numeric={1, 2, 3, 6},
        center={4, 5},
    )
    waiting = data.holds.waiting if data.holds is not None else None
    if waiting is not None and len(waiting):
        for line in data.held_text("management"):
            add_note(doc, line)
    add_picture(
        doc, charts.execution_bars(labels, planned, actual), 140, f"図 柱ごとの事業費（{data.fiscal_year}年度、千円）"
    )


def build_region_report(data: ReportData):
    doc = new_document(data.style_template, data.doc_props("進捗状況報告書"))
    page_number_footer(doc.sections[0])
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
        run = p.add_run(synthetic_label("banner"))
        run.bold = True
        run.font.size = Pt(11)
    doc.add_page_break()
    p = doc.add_paragraph("目次", style="Subtitle")
    headings = ["はじめに"]
    for pl in data.plan.pillars:
        headings += [f"{pl.id} {pl.name}"] + [
            "　" + data.heading(k) for k in ("pillar_direction", "pillar_kpi", "pillar_initiatives")
        ]
    headings += [data.heading("management")] + ["　" + data.heading(k) for k in ("management_kpi", "management_budget")]
    headings += [period_title(data)] + [
        "　" + data.heading(k) for k in ("period_kpi", "period_budget", "period_initiatives")
    ]
    add_toc(doc, headings, "（Wordで開くと目次とページ番号が更新されます）")
    add_overview(doc, data)
    for pillar in data.plan.pillars:
        add_pillar(doc, data, pillar)
    add_management(doc, data)
    add_period(doc, data)
    return doc


def period_title(data: ReportData) -> str:
    number = len(data.plan.pillars) + 2
    return data.heading("period_final" if data.is_final_year else "period_to_date", number=number)


def add_period(doc, data: ReportData) -> None:
    """計画期間の総括 in the plan's last year; the same tables to date in the other years."""
    plan = data.plan
    kpi = data.results["period_kpi"]
    budget = data.results["period_budget"]
    roll = data.results["period_rollup"]
    doc.add_heading(period_title(data), level=1)
    for line in data.text("period"):
        doc.add_paragraph(line)
    doc.add_heading(data.heading("period_kpi"), level=2)
    years = [c for c in kpi.columns if c.isdigit()]
    rows = []
    partial = False
    for k, r in zip(plan.kpis, kpi.to_dict("records"), strict=True):
        provisional = set(str(r["provisional_years"]).split(";")) if r["provisional_years"] else set()
        short_basis = {str(y) for y in data.kpi_partial_basis_years(k.id)}  # a basis member had not joined yet
        partial = partial or bool(short_basis & set(years))
        values = [
            kpi_value(k, r[y]) + ("*" if y in provisional else "") + ("†" if y in short_basis else "") for y in years
        ]
        rows.append([f"{k.name}（{k.unit}）", baseline_text(k), *values, target_text(k), str(r["achieved"])])
    widths = [40, 20] + [round(90 / max(len(years), 1), 1)] * len(years) + [20, 14]
    add_table(
        doc,
        ["KPI", "現状値（年）", *[f"{y}年度" for y in years], data.heading("kpi_target"), "判定"],
        rows,
        widths=widths,
        numeric=set(range(1, 2 + len(years) + 1)),
        center={2 + len(years) + 1},
    )
    add_note(doc, "※ * は暫定値（報告が揃っていない年度の値）。判定は各KPIの最も新しい年度の値による。")
    if partial:
        add_note(
            doc,
            f"※ † は、目標を設定した{len(plan.basis_members)}市町村のうち、その年度にまだ加入していなかった市町村を"
            "除いた合計（前後の年度とは市町村の範囲が異なるため、増減の比較には注意）。",
        )
    doc.add_heading(data.heading("period_budget"), level=2)
    rrows: list[list[str]] = []
    fills = {}
    for r in roll.itertuples(index=False):
        if r.level == "pillar":
            fills[len(rrows)] = SUBTLE_FILL
            name = f"柱{r.id} {r.name}"
        elif r.level == "subfield":
            name = f"小分野{r.id} {r.name}"
        else:
            area = plan.area(str(r.id))
            name = f"　{area.circled} {area.name}"
        rrows.append(
            [
                name,
                fmt_num(r.planned_thousand_yen),
                fmt_num(r.actual_thousand_yen),
                fmt_pct(r.execution_pct),
                f"{r.initiatives_as_planned}/{r.initiatives}",
            ]
        )
    add_table(
        doc,
        ["区分", "計画（千円）", "実績（千円）", "執行率", "計画どおり実施"],
        rrows,
        widths=[70, 28, 28, 18, 26],
        numeric={1, 2, 3},
        center={4},
        fills=fills,
    )
    doc.add_heading(data.heading("period_initiatives"), level=2)
    irows = [
        [
            r.initiative_id,
            plan.initiative(r.initiative_id).name,
            fmt_num(r.planned_thousand_yen),
            fmt_num(r.actual_thousand_yen),
            fmt_pct(r.execution_pct),
            f"{r.years_implemented}/{r.years}",
            "○" if r.carried_out_as_planned else "",
        ]
        for r in budget.itertuples(index=False)
    ]
    add_table(
        doc,
        ["取組", "名称", "計画（千円）", "実績（千円）", "執行率", "全参加市町村が実施した年度", "計画どおり"],
        irows,
        widths=[14, 56, 24, 24, 16, 22, 14],
        numeric={2, 3, 4},
        center={0, 5, 6},
    )
    add_note(doc, "※ 計画は計画書に金額の記載がある年度の合計（未定・記載なしの年度は含まない）。")

"""The region's yearly progress report (report_<FY>.docx) in the vision's own layout."""

from __future__ import annotations

from collections.abc import Callable

from docx.enum.table import WD_ALIGN_VERTICAL
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from vision_report.core.textfmt import fmt_num, fmt_pct, is_missing
from vision_report.core.vocabulary import (
    date_label,
    hold_label,
    kind_labels,
    status_label,
    timeliness_label,
    year_label,
)
from vision_report.core.vocabulary import synthetic as synthetic_label
from vision_report.outputs.reports import charts
from vision_report.outputs.reports.context import ReportData, kpi_value, report_phrases
from vision_report.outputs.reports.docxutil import (
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
from vision_report.plan import Initiative, Kpi, PolicyArea

KPI_WIDTHS = [36, 25, 27, 21, 15, 16, 10, 20]
PAGE_WIDTH_MM = 170


def rating_text(row, inline: bool = False) -> str:
    """A rating as printed: 「—」 for none, 「B（暫定）」 inline or 「B」 over 「暫定」 in a table cell (phrases.yaml)."""
    r = str(row["rating"])
    if r == "-":
        return "—"
    if bool(row["provisional"]):
        words = report_phrases(_templates())
        return str(words["rating_provisional_inline" if inline else "rating_provisional_cell"]).format(rating=r)
    return r


def _templates():
    from vision_report.core.paths import find_root
    from vision_report.core.vocabulary import _default_root

    return (_default_root() or find_root()) / "templates"


def baseline_year_text(k: Kpi) -> str:
    """The baseline's year as printed: the plan's label (e.g. 2022年 for a calendar-year statistic) or 2022年度."""
    return k.baseline_year_label or year_label(k.baseline_year)


def baseline_text(k: Kpi) -> str:
    return f"{kpi_value(k, k.baseline)}\n（{baseline_year_text(k)}）"


def target_text(k: Kpi) -> str:
    return (k.target_label or kpi_value(k, k.target)).replace("（", "\n（").replace("【", "\n【")


def actual_text(data: ReportData, k: Kpi) -> str:
    """The year's value on the basis the target was set on; the value of all the year's members beside it when
    the year's members differ from that basis (e.g. 24 members against a 20-member target)."""
    r = data.kpi.loc[k.id]
    text = kpi_value(k, r["actual"])
    if "actual_all_members" in r and int(r.get("reporters_expected_all", 0) or 0) > int(r["reporters_expected"] or 0):
        text += "\n" + data.phrase(
            "kpi_all_members", n=int(r["reporters_expected_all"]), value=kpi_value(k, r["actual_all_members"])
        )
    return text


def kpi_header(data: ReportData) -> list[str]:
    return data.phrases("kpi_header", kpi_target=data.heading("kpi_target"))


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
    reasons = [(k.name, data.kpi.loc[k.id, "rating_reason"]) for k in kpis if data.kpi.loc[k.id, "rating_reason"]]
    notes = [(k.name, k.notes) for k in kpis if k.notes]
    for name, text in reasons + notes:
        add_note(doc, data.phrase("kpi_note_named", name=name, text=text))
    basis = {
        str(data.kpi.loc[k.id, "basis_note"])
        for k in kpis
        if actual_text(data, k) != kpi_value(k, data.kpi.loc[k.id, "actual"])
    }
    for text in sorted(basis):
        add_note(doc, data.phrase("kpi_note", text=text))


def add_trend(doc, data: ReportData, kpis: list[Kpi], caption: str) -> None:
    years = list(range(data.plan.meta.first_fiscal_year, data.fiscal_year + 1))
    panels = [
        {
            "name": k.name,
            "unit": k.unit,
            "baseline": k.baseline,
            "baseline_year": baseline_year_text(k),
            "target": k.target,
            "values": data.kpi_values(k.id),
            "provisional": data.kpi_provisional_years(k.id),
            "partial": data.kpi_partial_basis_years(k.id),
        }
        for k in kpis
    ]
    png = charts.kpi_trends(panels, years, data.phrase_map("chart"), cols=2 if len(kpis) > 1 else 1)
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
        mark = data.phrase("as_planned_mark")
        rows.append([mark if m.code in participants else "" for m in part] + [""] * (per_row - len(part)))
    title = data.phrase("grid_title")
    labelled = [[title if k == 0 else ""] + r for k, r in enumerate(rows)]
    add_table(
        doc,
        [title] + [""] * per_row,
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
    plan_row = [data.phrase("budget_row_plan")] + [
        fmt_num(v) if isinstance(v, int) else (v or "—") for v in ini.budget.years.values()
    ]
    total = ini.budget.total
    plan_row.append(fmt_num(total) if isinstance(total, int) else (total or "—"))
    act = [spend.get(y) if y <= data.fiscal_year else None for y in years]
    act_row = [data.phrase("budget_row_actual")] + [
        fmt_num(v) if v is not None else ("—" if y <= data.fiscal_year else "") for v, y in zip(act, years, strict=True)
    ]
    done = [v for v in act if v is not None]
    act_row.append(fmt_num(sum(done)) if done else "—")
    exe_row = [data.phrase("budget_row_execution")]
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
        [data.phrase("budget_header_first"), *[year_label(y) for y in years], data.phrase("budget_header_total")],
        [plan_row, act_row, exe_row],
        widths=[26] + [20] * len(years) + [24],
        numeric=set(range(1, len(years) + 2)),
        center={0},
        finish=_finish_budget,
    )


def _finish_budget(table) -> None:
    keep_together(table, with_next=True)  # with the 実施状況 line under it


def status_line(data: ReportData, ini: Initiative) -> str:
    """「2025年度の実施状況: 実施 5・一部実施 1・未実施 0・完了 0（報告 6/7 市町村）」 (phrases.yaml status_line)."""
    b = data.budget.loc[ini.id]
    return data.phrase(
        "status_line",
        year=year_label(data.fiscal_year),
        implemented=int(b["n_implemented"]),
        partial=int(b["n_partial"]),
        not_implemented=int(b["n_not_implemented"]),
        completed=int(b["n_completed"]),
        reported=int(b["participants_reported"]),
        expected=int(b["participants_expected"]),
    ) + (data.phrase("status_line_all_done") if bool(b["implemented_by_all"]) else "")


def add_initiative(doc, data: ReportData, ini: Initiative) -> None:
    p = doc.add_paragraph()
    p.paragraph_format.keep_with_next = True
    p.paragraph_format.space_before = Pt(8)
    run = p.add_run(f"{ini.label} {ini.name}")
    run.bold = True
    p.add_run(data.phrase("initiative_id", id=ini.id)).font.size = Pt(8)
    grid_table(doc, data, ini)
    core = data.plan.municipality(data.plan.meta.core_municipality).name
    blocks = [
        (data.phrase("block_description"), ini.description),
        (data.phrase("block_role_core", core=core), ini.role_kumamoto),
        (data.phrase("block_role_neighbours"), ini.role_neighbours),
        (data.phrase("block_cost_sharing"), ini.cost_sharing),
        (data.phrase("block_schedule"), "\n".join(ini.schedule)),
        (data.phrase("block_subsidies"), ini.subsidies),
        (data.phrase("block_effects"), ini.effects),
    ]
    rows = [[label, text.strip()] for label, text in blocks if text and text.strip()]
    if rows:  # the vision's own blocks, in its order and words, full texts with its line breaks
        _gap(doc)
        add_table(doc, data.phrases("block_header"), rows, widths=[40, 130], finish=_finish_blocks)
    _gap(doc)
    budget_table(doc, data, ini)
    add_note(doc, status_line(data, ini))
    add_held_note(doc, data, "expenditure", ini.id)
    add_initiative_results(doc, data, ini)


def add_initiative_results(doc, data: ReportData, ini: Initiative) -> None:
    """What was done: the lead's 取組実績・成果・課題 (plan.lead_of), the participants' self-evaluations and
    directions as counts, then the other participants' texts that add something, each with its municipality."""
    texts = data.initiative_texts(ini.id)
    is_lead = texts["lead"].astype(bool)
    lead = texts.loc[is_lead]
    if len(lead):
        name = data.plan.municipality(data.plan.lead_of(ini.id)).name
        rows = [[data.heading(f"lead_{r.column}", name=name), str(r.text)] for r in lead.itertuples(index=False)]
        _gap(doc)
        add_table(doc, data.phrases("block_header"), rows, widths=[40, 130], finish=_finish_blocks)
    c = data.evaluation_counts.loc[ini.id]
    e = data.settings.evaluation
    add_note(
        doc,
        data.snippet(
            "counts",
            grades=[(g, int(c[f"grade_{g}"])) for g in e.self_evaluation],
            directions=[(d, int(c[f"direction_{d}"])) for d in e.directions],
            evaluated=int(c["evaluated"]),
            directed=int(c["directed"]),
            expected=int(c["expected"]),
        ),
    )
    others = texts.loc[~is_lead]
    for column, part in others.groupby("column", sort=False):
        p = doc.add_paragraph()
        p.paragraph_format.keep_with_next = True
        p.paragraph_format.space_before = Pt(4)
        title = data.snippet("others_title", label=data.heading(str(column)), lead_wrote=bool(len(lead)))
        p.add_run(title).bold = True
        for r in part.itertuples(index=False):
            add_note(doc, data.snippet("other", names=list(r.names), text=str(r.text)))


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
            else data.phrase(
                "held_confirmed",
                state=hold_label("confirmed"),
                by=h.confirmed_by,
                on=date_label(str(h.confirmed_on)),
                reason=h.reason,
            ),
        ]
        for h in holds.held.itertuples(index=False)
    ]
    if rows:
        add_table(
            doc,
            data.phrases("held_header"),
            rows,
            widths=[16, 20, 26, 22, 42, 44],
            numeric={3},
            center={1},
        )
    for line in holds.problems:
        add_note(doc, data.phrase("kpi_note", text=line))


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


def kpi_line(doc, data: ReportData, kpis: list[Kpi], label_key: str = "kpi_line_label") -> None:
    """One line naming the KPIs with this year's value, 達成率 and 評価 (kept with what follows)."""
    if not kpis:
        return
    line = data.phrase("kpi_line_joiner").join(
        data.phrase(
            "kpi_line_item",
            name=k.name,
            value=kpi_value(k, data.kpi.loc[k.id, "actual"]),
            unit=k.unit,
            attainment=fmt_pct(data.kpi.loc[k.id, "attainment_pct"]),
            rating=rating_text(data.kpi.loc[k.id], inline=True),
        )
        for k in kpis
    )
    p = doc.add_paragraph()
    p.paragraph_format.keep_with_next = True
    p.add_run(data.phrase(label_key)).bold = True
    p.add_run(line)


def share_text(data: ReportData, level: str, node: str) -> str:
    """「取組の自己評価: A・B の割合 80.0%（8/10件）」 of a pillar, sub-field or policy area."""
    share = data.evaluation_share
    r = share[(share["level"] == level) & (share["id"] == node)].iloc[0]
    return data.snippet(
        "share",
        good=data.good_label(),
        pct=fmt_pct(r["good_pct"]),
        n_good=int(r["good"]),
        evaluated=int(r["evaluated"]),
    )


def share_line(doc, data: ReportData, level: str, node: str) -> None:
    add_note(doc, share_text(data, level, node)).paragraph_format.keep_with_next = True


def add_area(doc, data: ReportData, area: PolicyArea) -> None:
    label = data.phrase("area_field_label", name=data.plan.subfield(area.subfield).name) if area.subfield else ""
    doc.add_heading(f"{area.circled} {area.name}", level=3)
    if area.agreement.field_label or label:  # the lines under the heading go with the first initiative
        add_note(doc, f"{label}{area.agreement.field_label or ''}").paragraph_format.keep_with_next = True
    kpi_line(doc, data, [k for k in data.plan.kpis if k.measures == area.id])
    share_line(doc, data, "area", area.id)
    agreement = area.agreement
    core = data.plan.municipality(data.plan.meta.core_municipality).name
    rows = [
        [label, text.strip()]
        for label, text in (
            (data.phrase("agreement_field"), area.name if agreement.content else None),
            (data.phrase("agreement_content"), agreement.content),
            (data.phrase("agreement_role_core", core=core), agreement.role_kumamoto),
            (data.phrase("agreement_role_neighbours"), agreement.role_neighbours),
        )
        if text and text.strip()
    ]
    if rows:
        p = doc.add_paragraph()
        p.paragraph_format.keep_with_next = True
        p.add_run(data.phrase("agreement_title")).bold = True
        add_table(doc, data.phrases("block_header"), rows, widths=[40, 130], finish=_finish_blocks)
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
            rows.append([data.phrase("subfield_group", name=plan.subfield(current).name), ""])
        rows.append([f"{area.circled} {area.name}", (area.direction or "—").strip()])
    add_table(doc, data.phrases("block_header"), rows, widths=[50, 120], fills=fills)
    doc.add_heading(data.heading("pillar_kpi"), level=2)
    kpis = [
        k
        for k in plan.kpis
        if k.measures == str(pillar.id) or k.measures in pillar.subfield_ids or k.measures in pillar.area_ids
    ]
    add_kpi_table(doc, data, kpis)
    caption = data.phrase("kpi_trend_caption", id=pillar.id, first=plan.meta.first_fiscal_year, fy=data.fiscal_year)
    add_trend(doc, data, kpis, caption)
    doc.add_heading(data.heading("pillar_initiatives"), level=2)
    share_line(doc, data, "pillar", str(pillar.id))
    current_sub = None
    for a in pillar.area_ids:
        area = plan.area(a)
        if area.subfield and area.subfield != current_sub:
            current_sub = area.subfield
            sub = plan.subfield(area.subfield)
            p = doc.add_paragraph()
            p.paragraph_format.keep_with_next = True
            p.add_run(data.phrase("subfield_group", name=sub.name)).bold = True
            kpi_line(doc, data, [k for k in plan.kpis if k.measures == sub.id], "kpi_line_subfield_label")
        add_area(doc, data, area)


def add_overview(doc, data: ReportData) -> None:
    plan = data.plan
    doc.add_heading(data.heading("overview"), level=1)
    for line in data.text("overview"):
        doc.add_paragraph(line)
    doc.add_heading(data.phrase("overview_members"), level=2)
    rows = [
        [m.name, m.code, fmt_num(m.population), fmt_num(m.households), fmt_num(m.area_km2, 2)]
        for m in plan.municipalities
    ]
    rows.append(
        [
            data.phrase("overview_members_total"),
            "",
            fmt_num(sum(m.population or 0 for m in plan.municipalities)),
            fmt_num(sum(m.households or 0 for m in plan.municipalities)),
            fmt_num(sum(m.area_km2 or 0 for m in plan.municipalities), 2),
        ]
    )
    add_table(
        doc,
        data.phrases("overview_members_header"),
        rows,
        widths=[34, 26, 36, 36, 36],
        numeric={2, 3, 4},
        center={1},
        bold_rows={len(rows) - 1},
    )
    unknown = any(m.population is None for m in plan.municipalities)
    after = data.phrase("overview_members_note_after") if unknown else ""
    add_note(doc, data.phrase("overview_members_note", as_of=plan.meta.population_as_of or "", after=after))
    doc.add_heading(data.phrase("overview_submissions", year=year_label(data.fiscal_year)), level=2)
    srows = []
    for r in data.subs.itertuples():
        srows.append(
            [
                r.municipality_name or data.phrase("overview_outside_member"),
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
        add_note(doc, data.phrase("overview_deadline", date=date_label(deadline)))
    add_table(
        doc,
        data.phrases("overview_submissions_header"),
        srows,
        widths=[20, 50, 38, 14, 26, 11, 11],
        numeric={5, 6},
        center={3, 4},
    )
    add_held_section(doc, data)
    doc.add_heading(data.phrase("overview_method"), level=2)
    for line in data.text("method"):
        add_note(doc, line)


def management_sections(data: ReportData) -> list[tuple[str, Callable]]:
    """The 進行管理 chapter's sub-sections in order (heading key, builder); numbered (1), (2)… as printed."""
    sections: list[tuple[str, Callable]] = []
    if data.plan.meta.management.get("structure"):
        sections.append(("management_structure", _management_structure))
    sections += [
        ("management_kpi", _management_kpi),
        ("management_budget", _management_budget),
        ("management_evaluation", add_evaluation_share),
        ("management_municipalities", add_municipality_evaluations),
        ("management_panel", add_panel_opinions),
    ]
    return sections


def management_headings(data: ReportData) -> list[str]:
    return [data.heading(key, n=n) for n, (key, _) in enumerate(management_sections(data), start=1)]


def management_heading(data: ReportData, key: str) -> str:
    """One sub-section's heading of the 進行管理 chapter with its number, e.g. 「(6) ビジョン懇談会の意見」."""
    keys = [k for k, _ in management_sections(data)]
    return management_headings(data)[keys.index(key)]


def add_management(doc, data: ReportData) -> None:
    doc.add_heading(data.heading("management"), level=1)
    for title, (_, build) in zip(management_headings(data), management_sections(data), strict=True):
        doc.add_heading(title, level=2)
        build(doc, data)


def _management_structure(doc, data: ReportData) -> None:
    """(1) 管理体制: the vision's own text."""
    doc.add_paragraph(data.plan.meta.management["structure"])


def _management_kpi(doc, data: ReportData) -> None:
    plan = data.plan
    if plan.meta.management.get("kpi"):
        doc.add_paragraph(plan.meta.management["kpi"])
    rows = []
    for k in plan.kpis:
        r = data.kpi.loc[k.id]
        rows.append(
            [
                data.node_label(k.measures),
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
        data.phrases("management_kpi_header", kpi_target=data.heading("kpi_target")),
        rows,
        widths=[28, 38, 22, 22, 18, 14, 17, 11],
        numeric={2, 3, 4, 5, 6},
        center={7},
    )


def _management_budget(doc, data: ReportData) -> None:
    roll = data.rollup
    brows, labels, planned, actual = [], [], [], []
    for _, r in roll[roll["level"].isin(["pillar", "subfield"])].iterrows():
        if r["level"] == "pillar":
            name = data.phrase("pillar_label", id=r["id"], name=r["name"])
        else:
            name = data.phrase("subfield_label", id=r["id"], name=r["name"])
        brows.append(
            [
                name,
                fmt_num(r["planned_thousand_yen"]),
                fmt_num(r["actual_thousand_yen"]),
                fmt_pct(r["execution_pct"]),
                data.phrase("implemented_count", done=int(r["initiatives_implemented"]), total=int(r["initiatives"])),
                rating_counts(data, r),
                fmt_pct(r["kpi_attainment_mean"]),
            ]
        )
        if r["level"] == "pillar":
            labels.append(data.phrase("pillar_short", id=r["id"]))
            planned.append(0 if is_missing(r["planned_thousand_yen"]) else r["planned_thousand_yen"])
            actual.append(0 if is_missing(r["actual_thousand_yen"]) else r["actual_thousand_yen"])
    add_table(
        doc,
        data.phrases("management_budget_header"),
        brows,
        widths=[38, 22, 22, 14, 24, 34, 16],
        numeric={1, 2, 3, 6},
        center={4, 5},
    )
    waiting = data.holds.waiting if data.holds is not None else None
    if waiting is not None and len(waiting):
        for line in data.held_text("management"):
            add_note(doc, line)
    caption = data.phrase("execution_chart_caption", year=year_label(data.fiscal_year))
    add_picture(doc, charts.execution_bars(labels, planned, actual, data.phrase_map("chart")), 140, caption)


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
    grades = _grade_header(data)
    add_table(
        doc,
        [*data.phrases("evaluation_share_header"), *grades, data.heading("good_share", good=data.good_label())],
        rows,
        widths=[74, 20] + [12] * len(grades) + [76 - 12 * len(grades)],
        numeric=set(range(1, len(grades) + 3)),
        fills=fills,
    )


def add_municipality_evaluations(doc, data: ReportData) -> None:
    """市町村ごと: how many of its initiatives each member reported, and its self-evaluations."""
    add_note(doc, data.snippet("municipalities_intro"))
    grades = _grade_header(data)
    rows = []
    for r in data.municipality_evaluations.to_dict("records"):
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
    add_table(
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


def add_panel_blocks(doc, data: ReportData, blocks) -> None:
    """The opinions' blocks as Word paragraphs: headings bold, list items as bullets; no Markdown symbols."""
    bullet = "List Bullet" if "List Bullet" in [s.name for s in doc.styles] else None
    for b in blocks:
        if b.kind == "heading":
            p = doc.add_paragraph()
            p.paragraph_format.keep_with_next = True
            p.paragraph_format.space_before = Pt(6)
            p.add_run(b.text).bold = True
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
    elif not panel.recorded:
        doc.add_paragraph(data.snippet("panel_missing"))
    else:
        doc.add_paragraph(data.snippet("panel_intro"))
        add_panel_blocks(doc, data, panel.blocks)


def build_region_report(data: ReportData):
    doc = new_document(data.style_template, data.doc_props(data.phrase("region_kind")))
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
    p = doc.add_paragraph(data.phrase("toc_title"), style="Subtitle")
    headings = [data.heading("overview")]
    for pl in data.plan.pillars:
        headings += [f"{pl.id} {pl.name}"] + [
            "　" + data.heading(k) for k in ("pillar_direction", "pillar_kpi", "pillar_initiatives")
        ]
    headings += [data.heading("management")] + ["　" + h for h in management_headings(data)]
    headings += [period_title(data)] + [
        "　" + data.heading(k) for k in ("period_kpi", "period_budget", "period_initiatives")
    ]
    add_toc(doc, headings, data.phrase("toc_note"))
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
        [
            *data.phrases("period_kpi_header_first"),
            *[year_label(int(y)) for y in years],
            data.heading("kpi_target"),
            data.phrase("period_kpi_header_last"),
        ],
        rows,
        widths=widths,
        numeric=set(range(1, 2 + len(years) + 1)),
        center={2 + len(years) + 1},
    )
    add_note(doc, data.phrase("period_provisional_note"))
    if partial:
        add_note(doc, data.phrase("period_partial_note", n=len(plan.basis_members)))
    doc.add_heading(data.heading("period_budget"), level=2)
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
                data.phrase("implemented_count", done=r.initiatives_as_planned, total=r.initiatives),
            ]
        )
    add_table(
        doc,
        data.phrases("period_rollup_header"),
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
            data.phrase("years_count", done=r.years_implemented, total=r.years),
            data.phrase("as_planned_mark") if r.carried_out_as_planned else "",
        ]
        for r in budget.itertuples(index=False)
    ]
    add_table(
        doc,
        data.phrases("period_initiatives_header"),
        irows,
        widths=[14, 56, 24, 24, 16, 22, 14],
        numeric={2, 3, 4},
        center={0, 5, 6},
    )
    add_note(doc, data.phrase("period_plan_note"))

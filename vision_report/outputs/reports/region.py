"""The region's yearly progress report (report_<FY>.docx) in the vision's own layout."""

from __future__ import annotations

import numbers
from collections.abc import Callable

from docx.enum.table import WD_ALIGN_VERTICAL
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from vision_report.core.textfmt import fmt_num, fmt_pct, fmt_signed, is_missing
from vision_report.core.vocabulary import (
    date_label,
    hold_label,
    kind_labels,
    no_submissions_label,
    status_label,
    timeliness_label,
    year_label,
)
from vision_report.core.vocabulary import synthetic as synthetic_label
from vision_report.outputs.reports import charts
from vision_report.outputs.reports.appendix import APPENDIX_SECTIONS
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
from vision_report.outputs.reports.figures import is_count_unit, kpi_progress, progress_note
from vision_report.outputs.reports.layout import sections, setting, spec_table
from vision_report.plan import Initiative, Kpi, PolicyArea

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


def kpi_fields(data: ReportData) -> dict[str, Callable[[Kpi], str]]:
    """What each column field of a KPI table (layout.yaml tables.kpi / abstract_kpi) prints for one KPI."""

    def row(k: Kpi):
        return data.kpi.loc[k.id]

    def verdict(k: Kpi) -> str:
        period = data.results.get("period_kpi")
        if period is None or "kpi_id" not in period.columns:
            return "—"
        hit = period.loc[period["kpi_id"] == k.id, "achieved"]
        return str(hit.iloc[0]) if len(hit) else "—"

    def reference(k: Kpi) -> str:
        r = row(k)
        if "actual_all_members" not in r or int(r.get("reporters_expected_all", 0) or 0) <= int(
            r["reporters_expected"] or 0
        ):
            return "—"
        return kpi_value(k, r["actual_all_members"])

    return {
        "name": lambda k: f"{k.name}（{k.unit}）",
        "measures": lambda k: data.node_label(k.measures),
        "baseline": baseline_text,
        "target": target_text,
        "actual": lambda k: actual_text(data, k),
        "attainment": lambda k: fmt_pct(row(k)["attainment_pct"]),
        "progress": lambda k: kpi_progress(data, row(k)),
        "rating": lambda k: rating_text(row(k)),
        "source": lambda k: k.source or "—",
        "verdict": verdict,
        "basis_actual": lambda k: kpi_value(k, row(k)["actual"]),
        "reference": reference,
    }


def basis_counts(data: ReportData) -> dict[str, int]:
    """{n_basis}: the members the targets were set for; {n_all}: the year's members (for table headers)."""
    return {"n_basis": len(data.plan.basis_members), "n_all": len(data.plan.members(data.fiscal_year))}


def has_reference(data: ReportData) -> bool:
    """True when some KPI of the year has a sum over more members than the targets' basis (the 参考 column)."""
    k = data.kpi
    if "reporters_expected_all" not in k.columns:
        return False
    return bool(
        (k["reporters_expected_all"].fillna(0).astype(int) > k["reporters_expected"].fillna(0).astype(int)).any()
    )


def reference_passes_target(data: ReportData, k: Kpi) -> bool:
    """True when the sum over all the year's members (参考) reaches the target while the basis sum, on which the
    rating is made, does not: the row would read as a contradiction without a sentence."""
    r = data.kpi.loc[k.id]
    if "actual_all_members" not in r or int(r.get("reporters_expected_all", 0) or 0) <= int(
        r["reporters_expected"] or 0
    ):
        return False
    ref, basis = r["actual_all_members"], r["actual"]
    if is_missing(ref) or is_missing(basis):
        return False
    if k.direction == "decrease":
        return float(ref) <= k.target < float(basis)
    return float(ref) >= k.target > float(basis)


def add_kpi_table(doc, data: ReportData, kpis: list[Kpi]) -> None:
    spec_table(
        doc,
        data.templates,
        "kpi",
        kpis,
        kpi_fields(data),
        {"kpi_target": data.heading("kpi_target"), **basis_counts(data)},
        skip=() if has_reference(data) else ("reference",),
    )
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
    beyond = progress_note(data, [data.kpi.loc[k.id] for k in kpis])
    if beyond:
        add_note(doc, beyond)
    for k in kpis:
        if reference_passes_target(data, k):
            add_note(doc, abstract_line(data, "over_target", kpi_name=k.name))


def add_trend(doc, data: ReportData, kpis: list[Kpi], caption: str) -> None:
    # from the plan's first year, or earlier when the years of the previous plan are carried (KPI predecessors)
    years = list(range(min([data.plan.meta.first_fiscal_year, *data.years()]), data.fiscal_year + 1))
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
            "no_submissions": set(data.no_submission_years()),
            "count": is_count_unit(data, k.unit),
        }
        for k in kpis
    ]
    words = data.phrase_map("chart") | {"no_submissions": no_submissions_label()}
    png = charts.kpi_trends(panels, years, words, cols=2 if len(kpis) > 1 else 1)
    add_picture(doc, png, PAGE_WIDTH_MM if len(kpis) > 1 else 100, caption)
    for k in kpis:  # plan continuity: where a series crosses the plan boundary, or starts anew (planbook, issue 20)
        if k.predecessor and k.new_series:
            add_note(doc, data.phrase("kpi_new_series", name=k.name, first=data.plan.meta.first_fiscal_year))
        elif k.predecessor and years[0] < data.plan.meta.first_fiscal_year:
            last = data.plan.meta.first_fiscal_year - 1
            key = "kpi_continued" if years[0] < last else "kpi_continued_one"
            add_note(doc, data.phrase(key, name=k.name, first=years[0], last=last))


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


def initiative_title(doc, data: ReportData, ini: Initiative) -> None:
    """「ア 名称（3.15.2）」 in bold, kept with what follows."""
    p = doc.add_paragraph()
    p.paragraph_format.keep_with_next = True
    p.paragraph_format.space_before = Pt(6)
    run = p.add_run(f"{ini.label} {ini.name}")
    run.bold = True
    p.add_run(data.phrase("initiative_id", id=ini.id)).font.size = Pt(8)


def initiative_fields(data: ReportData) -> dict[str, Callable[[Initiative], str]]:
    """What each column field of the body's initiative entry (layout.yaml tables.initiative) prints."""
    e = data.settings.evaluation
    joiner = data.phrase("grades_joiner")

    def planned(ini: Initiative) -> str:
        v = data.budget.loc[ini.id, "planned_thousand_yen"]
        if not is_missing(v):
            return fmt_num(v)
        p = ini.budget.planned(data.fiscal_year)
        return str(p) if p and not isinstance(p, int) else "—"

    def actual(ini: Initiative) -> str:
        return fmt_num(data.budget.loc[ini.id, "actual_thousand_yen"])

    def execution(ini: Initiative) -> str:
        return fmt_pct(data.budget.loc[ini.id, "execution_pct"])

    def status(ini: Initiative) -> str:
        b = data.budget.loc[ini.id]
        labels = data.phrase_map("entry_status_labels")
        parts = [f"{label}{int(b[f'n_{key}'])}" for key, label in labels.items() if int(b[f"n_{key}"])]
        return data.phrase(
            "entry_status",
            items=joiner.join(parts) or data.phrase("entry_none"),
            reported=int(b["participants_reported"]),
            expected=int(b["participants_expected"]),
        )

    def counted(ini: Initiative, prefix: str, names, total: str) -> str:
        c = data.evaluation_counts.loc[ini.id]
        parts = [f"{g} {int(c[f'{prefix}_{g}'])}" for g in names if int(c[f"{prefix}_{g}"])]
        return data.phrase(
            "entry_counts", items=joiner.join(parts) or data.phrase("entry_none"), n=int(c[total]),
            expected=int(c["expected"]),
        )  # fmt: skip

    return {
        "planned": planned,
        "actual": actual,
        "execution": execution,
        "status": status,
        "grades": lambda ini: counted(ini, "grade", list(e.self_evaluation), "evaluated"),
        "directions": lambda ini: counted(ini, "direction", list(e.directions), "directed"),
    }


def clip(text: str, limit: int, more: str) -> str:
    """``text`` on one line, cut to ``limit`` characters with ``more`` (the full text is in the 資料編)."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[:limit].rstrip() + more


def add_initiative(doc, data: ReportData, ini: Initiative) -> None:
    """One compact entry per initiative in the body: the year's money, 実施状況, A–D and 今後の方向性 counts in one
    table row, then the lead's 取組実績・成果・課題 cut to a fixed length (the full texts, the vision's own blocks and
    the other participants' texts are in the 資料編): the body's length does not depend on how much members write."""
    initiative_title(doc, data, ini)
    spec_table(
        doc, data.templates, "initiative", [ini], initiative_fields(data), {"year": year_label(data.fiscal_year)}
    )
    add_held_note(doc, data, "expenditure", ini.id)
    texts = data.initiative_texts(ini.id)
    lead = texts.loc[texts["lead"].astype(bool)] if len(texts) else texts
    limit = int(setting(data.templates, "lead_text_chars", 90))
    more = data.phrase("entry_more")
    name = data.plan.municipality(data.plan.lead_of(ini.id)).name
    if not len(lead):
        add_note(doc, data.phrase("entry_lead_none", name=name))
        return
    for r in lead.itertuples(index=False):
        p = add_note(doc, "")
        p.add_run(data.heading(f"lead_{r.column}", name=name) + data.phrase("entry_label_sep")).bold = True
        p.add_run(clip(str(r.text), limit, more))


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
    """A policy area in the body: its heading (in the TOC), KPI line, share of good self-evaluations, and one compact
    entry per initiative; its [連携協約] is in the 資料編."""
    label = data.phrase("area_field_label", name=data.plan.subfield(area.subfield).name) if area.subfield else ""
    doc.add_heading(f"{area.circled} {area.name}", level=3)
    if area.agreement.field_label or label:  # the lines under the heading go with the first initiative
        add_note(doc, f"{label}{area.agreement.field_label or ''}").paragraph_format.keep_with_next = True
    kpi_line(doc, data, [k for k in data.plan.kpis if k.measures == area.id])
    share_line(doc, data, "area", area.id)
    for ini in data.plan.area_initiatives(area.id):
        add_initiative(doc, data, ini)


PILLAR_SECTIONS = ("direction", "kpi", "initiatives")
BASIS_VALUES = ("n_basis", "n_all", "added", "idle", "mark")  # what basis.txt.j2 gets beside text_context
ABSTRACT_EXTRA = ("part", "kpi_name")  # what abstract.txt.j2 gets beside abstract_values and text_context


def pillar_kpis(data: ReportData, pillar) -> list[Kpi]:
    return [
        k
        for k in data.plan.kpis
        if k.measures == str(pillar.id) or k.measures in pillar.subfield_ids or k.measures in pillar.area_ids
    ]


def _pillar_direction(doc, data: ReportData, pillar) -> None:
    plan = data.plan
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


def _pillar_kpi(doc, data: ReportData, pillar) -> None:
    plan = data.plan
    doc.add_heading(data.heading("pillar_kpi"), level=2)
    kpis = pillar_kpis(data, pillar)
    add_kpi_table(doc, data, kpis)
    first = min([plan.meta.first_fiscal_year, *data.years()])  # earlier when a previous plan's years are carried
    caption = data.phrase("kpi_trend_caption", id=pillar.id, first=first, fy=data.fiscal_year)
    add_trend(doc, data, kpis, caption)


def _pillar_initiatives(doc, data: ReportData, pillar) -> None:
    plan = data.plan
    doc.add_heading(data.heading("pillar_initiatives"), level=2)
    add_note(doc, data.phrase("entry_intro")).paragraph_format.keep_with_next = True
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


def add_pillars(doc, data: ReportData) -> None:
    for pillar in data.plan.pillars:
        add_pillar(doc, data, pillar)


def add_pillar(doc, data: ReportData, pillar) -> None:
    doc.add_heading(f"{pillar.id} {pillar.name}", level=1)
    build = {"direction": _pillar_direction, "kpi": _pillar_kpi, "initiatives": _pillar_initiatives}
    for key in sections(data.templates, "pillar", PILLAR_SECTIONS):
        build[key](doc, data, pillar)


def add_overview(doc, data: ReportData) -> None:
    """はじめに: what the report is, the members (join dates, which are the targets' basis), one sentence on the
    submissions (the log is in the 資料編), the held values, and how figures are rated."""
    plan = data.plan
    doc.add_heading(data.heading("overview"), level=1)
    for line in data.text("overview"):
        doc.add_paragraph(line)
    doc.add_heading(data.phrase("overview_members"), level=2)
    basis = {m.code for m in plan.basis_members}
    shown = [m for m in plan.municipalities if plan.membership(m.code).reports_in(data.fiscal_year) or m.code in basis]
    mark = data.phrase("as_planned_mark")

    def joined(code: str) -> str:
        day = plan.membership(code).joined
        return date_label(day.isoformat()) if day else "—"

    rows = [
        [m.name, m.code, fmt_num(m.population), fmt_num(m.households), fmt_num(m.area_km2, 2), joined(m.code),
         mark if m.code in basis else ""]
        for m in shown
    ]  # fmt: skip
    rows.append(
        [
            data.phrase("overview_members_total"),
            "",
            fmt_num(sum(m.population or 0 for m in shown)),
            fmt_num(sum(m.households or 0 for m in shown)),
            fmt_num(sum(m.area_km2 or 0 for m in shown), 2),
            "",
            str(len(basis)),
        ]
    )
    add_table(
        doc,
        data.phrases("overview_members_header"),
        rows,
        widths=[24, 20, 28, 28, 26, 28, 16],
        numeric={2, 3, 4},
        center={1, 5, 6},
        bold_rows={len(rows) - 1},
    )
    unknown = any(m.population is None for m in shown)
    after = data.phrase("overview_members_note_after") if unknown else ""
    add_note(doc, data.phrase("overview_members_note", as_of=plan.meta.population_as_of or "", after=after))
    idle = [m.name for m in plan.members(data.fiscal_year) if not plan.initiatives_of(m.code, data.fiscal_year)]
    n_all = len(plan.members(data.fiscal_year))
    values = dict(zip(BASIS_VALUES, (len(basis), n_all, _added_members(data), idle, mark), strict=True))
    for line in data.text("basis", **values):
        add_note(doc, line)
    doc.add_heading(data.phrase("overview_submissions", year=year_label(data.fiscal_year)), level=2)
    doc.add_paragraph(abstract_line(data, "submissions"))
    add_held_section(doc, data)
    doc.add_heading(data.phrase("overview_method"), level=2)
    for line in data.text("method"):
        add_note(doc, line)


def _added_members(data: ReportData) -> list[tuple[str, str]]:
    """The members added after the vision (name, join date), in plan order."""
    plan = data.plan
    out = []
    for m in plan.members(data.fiscal_year):
        ms = plan.membership(m.code)
        if ms.amendment is not None:
            out.append((m.name, date_label(ms.joined.isoformat()) if ms.joined else "—"))
    return out


def add_submission_log(doc, data: ReportData) -> None:
    """資料編: every file received for the year, its receipt time, timeliness and status."""
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
                kpi_progress(data, r),
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
    beyond = progress_note(data, [data.kpi.loc[k.id] for k in plan.kpis])
    if beyond:
        add_note(doc, beyond)


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
    pillars = roll[roll["level"] == "pillar"]
    total_planned, total_actual = pillars["planned_thousand_yen"].sum(), pillars["actual_thousand_yen"].sum()
    brows.append(
        [
            data.phrase("region_total"),
            fmt_num(total_planned),
            fmt_num(total_actual),
            fmt_pct(total_actual / total_planned * 100 if total_planned else None),
            data.phrase(
                "implemented_count",
                done=int(pillars["initiatives_implemented"].sum()),
                total=int(pillars["initiatives"].sum()),
            ),
            data.phrase("rating_counts", **{g: data.kpi["rating"].tolist().count(g) for g in "ABCD"}),
            "",
        ]
    )
    add_table(
        doc,
        data.phrases("management_budget_header", year=year_label(data.fiscal_year)),
        brows,
        widths=[38, 22, 22, 14, 24, 34, 16],
        numeric={1, 2, 3, 6},
        center={4, 5},
        bold_rows={len(brows) - 1},
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
    elif not panel.recorded and panel.near_miss:
        doc.add_paragraph(data.snippet("panel_near_miss", message=panel.near_miss_message()))
    elif not panel.recorded:
        doc.add_paragraph(data.snippet("panel_missing"))
    else:
        doc.add_paragraph(data.snippet("panel_intro"))
        add_panel_blocks(doc, data, panel.blocks)


BODY_SECTIONS = ("abstract", "overview", "pillars", "management", "period")
PERIOD_SECTIONS = ("kpi", "budget", "initiatives", "remarks")


def chapter_number(data: ReportData, key: str) -> int:
    """The number of the 進行管理 or 総括 chapter: after the pillars, in layout.yaml's order."""
    n = len(data.plan.pillars)
    for k in sections(data.templates, "body", BODY_SECTIONS):
        if k in ("management", "period"):
            n += 1
            if k == key:
                return n
    return n + 1


def add_cover(doc, data: ReportData) -> None:
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


def toc_entries(data: ReportData) -> list[str]:
    """The headings the TOC field shows before Word or LibreOffice fills in page numbers (same order)."""
    out: list[str] = []
    for key in sections(data.templates, "body", BODY_SECTIONS):
        if key == "abstract":
            out.append(data.heading("abstract"))
        elif key == "overview":
            out.append(data.heading("overview"))
        elif key == "pillars":
            for pl in data.plan.pillars:
                out.append(f"{pl.id} {pl.name}")
                for k in sections(data.templates, "pillar", PILLAR_SECTIONS):
                    out.append("　" + data.heading(f"pillar_{k}"))
                    if k == "initiatives":
                        out += ["　　" + f"{data.plan.area(a).circled} {data.plan.area(a).name}" for a in pl.area_ids]
        elif key == "management":
            out.append(data.heading("management", number=chapter_number(data, "management")))
            out += ["　" + h for h in management_headings(data)]
        elif key == "period":
            out.append(period_title(data))
            out += ["　" + data.heading(f"period_{k}") for k in period_sections(data)]
    keys = sections(data.templates, "appendix", APPENDIX_SECTIONS)
    if keys:
        out.append(data.heading("appendix"))
        out += ["　" + data.heading(f"appendix_{k}", n=n) for n, k in enumerate(keys, start=1)]
    return out


def compact_toc_styles(doc, levels: int) -> None:
    """The TOC's paragraph styles (Word's 「toc 1」…, LibreOffice's Contents 1…) with single spacing and a smaller
    font, so a TOC down to the policy areas fits two pages and the 要旨 starts on page 4; a styles template that
    defines them keeps its own."""
    from docx.enum.style import WD_STYLE_TYPE

    names = {s.name for s in doc.styles}
    for level in range(1, levels + 1):
        name = f"toc {level}"
        if name in names or f"TOC {level}" in names:
            continue
        style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = doc.styles["Normal"]
        pf = style.paragraph_format
        pf.space_before = Pt(2 if level == 1 else 0)
        pf.space_after = Pt(0)
        pf.line_spacing = 1.0
        pf.left_indent = Pt(10 * (level - 1))
        style.font.size = Pt(10 if level == 1 else 9)


def build_region_report(data: ReportData):
    """Cover, TOC, then the body (要旨 first) and the 資料編, in templates/report/layout.yaml's order."""
    from vision_report.outputs.reports.appendix import add_appendix

    doc = new_document(data.style_template, data.doc_props(data.phrase("region_kind")))
    page_number_footer(doc.sections[0])
    add_cover(doc, data)
    doc.add_paragraph(data.phrase("toc_title"), style="Subtitle")
    compact_toc_styles(doc, int(setting(data.templates, "toc_levels", 3)))
    add_toc(doc, toc_entries(data), data.phrase("toc_note"), levels=int(setting(data.templates, "toc_levels", 3)))
    build = {
        "abstract": add_abstract,
        "overview": add_overview,
        "pillars": add_pillars,
        "management": add_management,
        "period": add_period,
    }
    for key in sections(data.templates, "body", BODY_SECTIONS):
        build[key](doc, data)
    add_appendix(doc, data)
    return doc


def abstract_values(data: ReportData) -> dict:
    """The figures of the 要旨 — the same totals the 概要版 prints (pillar sums of money, answers and A・B share of
    the self-evaluations, the count of each KPI rating) — plus the period to date."""
    e = data.settings.evaluation
    roll = data.rollup
    pillars = roll[roll["level"] == "pillar"]
    planned = pillars["planned_thousand_yen"].sum()
    actual = pillars["actual_thousand_yen"].sum()
    share = data.evaluation_share[data.evaluation_share["level"] == "pillar"]
    evaluated, good = int(share["evaluated"].sum()), int(share["good"].sum())
    counts = data.evaluation_counts
    ratings = data.kpi["rating"].tolist()
    proll = data.results.get("period_rollup")
    period_planned = period_actual = None
    if proll is not None and len(proll):
        pp = proll[proll["level"] == "pillar"]
        period_planned, period_actual = pp["planned_thousand_yen"].sum(), pp["actual_thousand_yen"].sum()
    return {
        "ratings": {g: ratings.count(g) for g in ("A", "B", "C", "D", "-")},
        "planned": planned,
        "actual": actual,
        "execution": fmt_pct(actual / planned * 100 if planned else None),
        "period_planned": period_planned,
        "period_actual": period_actual,
        "period_execution": fmt_pct(period_actual / period_planned * 100 if period_planned else None),
        "evaluated": evaluated,
        "good": data.good_label(),
        "good_pct": fmt_pct(good / evaluated * 100 if evaluated else None),
        "grades": [(g, int(counts[f"grade_{g}"].sum())) for g in e.self_evaluation],
        "directions": [(d, int(counts[f"direction_{d}"].sum())) for d in e.directions],
        "directed": int(counts["directed"].sum()),
        "n_all": len(data.plan.members(data.fiscal_year)),
    }


def abstract_line(data: ReportData, part: str, **extra) -> str:
    """One paragraph of templates/report/abstract.txt.j2 (``part`` chooses it), lines joined."""
    return "".join(abstract_lines(data, part, **extra))


def abstract_lines(data: ReportData, part: str, **extra) -> list[str]:
    return data.text("abstract", **(abstract_values(data) | {"part": part} | extra))


def add_abstract(doc, data: ReportData) -> None:
    """要旨 (at most two pages): the KPI verdicts with 達成率, money with its year and period, the A・B share, the
    総括 verdict in the final year, and what comes next."""
    doc.add_heading(data.heading("abstract"), level=1)
    for line in abstract_lines(data, "lead"):
        doc.add_paragraph(line)
    bullet = "List Bullet" if "List Bullet" in [s.name for s in doc.styles] else None
    for line in abstract_lines(data, "points") + abstract_lines(data, "submissions"):
        doc.add_paragraph(line, style=bullet)
    p = doc.add_paragraph()
    p.paragraph_format.keep_with_next = True
    p.add_run(data.heading("abstract_kpi", year=year_label(data.fiscal_year))).bold = True
    spec_table(
        doc,
        data.templates,
        "abstract_kpi",
        list(data.plan.kpis),
        kpi_fields(data),
        {"kpi_target": data.heading("kpi_target"), **basis_counts(data)},
        skip=(() if data.is_final_year else ("verdict",)) + (() if has_reference(data) else ("reference",)),
    )
    for line in abstract_lines(data, "kpi_note"):
        add_note(doc, line)
    for k in data.plan.kpis:
        if reference_passes_target(data, k):
            add_note(doc, abstract_line(data, "over_target", kpi_name=k.name))
    p = doc.add_paragraph()
    p.paragraph_format.keep_with_next = True
    p.add_run(data.heading("abstract_next")).bold = True
    for line in abstract_lines(data, "next"):
        doc.add_paragraph(line)


def period_title(data: ReportData) -> str:
    number = chapter_number(data, "period")
    return data.heading("period_final" if data.is_final_year else "period_to_date", number=number)


def add_period(doc, data: ReportData) -> None:
    """計画期間の総括 in the plan's last year; the same tables to date in the other years."""
    doc.add_heading(period_title(data), level=1)
    for line in data.text("period"):
        doc.add_paragraph(line)
    build = {"kpi": _period_kpi, "budget": _period_budget, "initiatives": _period_initiatives, "remarks": _remarks}
    for key in period_sections(data):
        doc.add_heading(data.heading(f"period_{key}"), level=2)
        build[key](doc, data)


def period_sections(data: ReportData) -> list[str]:
    """The 総括 chapter's sections; 総括所見 only in the final year or when the office wrote one."""
    keys = sections(data.templates, "period", PERIOD_SECTIONS)
    shown = data.is_final_year or data.remarks.recorded or data.remarks.unreadable
    return [k for k in keys if k != "remarks" or shown]


def _remarks(doc, data: ReportData) -> None:
    """総括所見: in the final year the vision's 目指すべき圏域人口 against the latest figure, then the office's own
    remarks (inputs/<FY>/<evaluation.period_remarks_file>) or one sentence that none was recorded."""
    goal = data.plan.meta.population_goal
    if data.is_final_year and goal:
        m = data.plan.meta
        latest = sum(x.population or 0 for x in data.plan.basis_members)
        doc.add_paragraph(
            data.snippet(
                "population_goal",
                goal=goal.get("value"),
                goal_year=goal.get("year"),
                basis=str(goal.get("basis", "")).strip(),
                latest=latest,
                latest_as_of=m.population_as_of or "",
                n_basis=len(data.plan.basis_members),
            )
        )
    remarks, file = data.remarks, data.settings.evaluation.period_remarks_file
    if remarks.unreadable:
        doc.add_paragraph(data.snippet("remarks_unreadable", file=remarks.file))
    elif not remarks.recorded:
        doc.add_paragraph(data.snippet("remarks_missing", file=file))
    else:
        doc.add_paragraph(data.snippet("remarks_intro", office=data.plan.meta.office or data.plan.meta.alliance))
        add_panel_blocks(doc, data, remarks.blocks)


def _period_kpi(doc, data: ReportData) -> None:
    plan = data.plan
    kpi = data.results["period_kpi"]
    years = [c for c in kpi.columns if c.isdigit()]
    no_data = {str(y) for y in data.no_submission_years()}
    rows = []
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
        gap = fmt_signed(r["gap_to_target"]) if k.allow_negative else fmt_num(r["gap_to_target"])
        rows.append(
            [
                f"{k.name}（{k.unit}）",
                baseline_text(k),
                *values,
                target_text(k),
                str(r["achieved"]),
                fmt_pct(r["attainment_pct"]),
                gap,
            ]
        )
    widths = [32, 18] + [round(78 / max(len(years), 1), 1)] * len(years) + [24, 10, 13, 15]
    add_table(
        doc,
        [
            *data.phrases("period_kpi_header_first"),
            *[year_label(int(y)) for y in years],
            data.heading("kpi_target"),
            *data.phrases("period_kpi_header_last"),
        ],
        rows,
        widths=widths,
        numeric=set(range(1, 2 + len(years) + 1)) | {len(years) + 4, len(years) + 5},
        center={2 + len(years) + 1},
    )
    add_note(doc, data.phrase("period_provisional_note"))
    add_note(doc, data.phrase("period_gap_note"))
    if no_data & set(years):
        add_note(doc, data.phrase("period_no_submissions_note", label=no_submissions_label()))
    for k, r in zip(plan.kpis, kpi.to_dict("records"), strict=True):
        if k.data_year_lag and isinstance(r["final_data_year"], numbers.Integral):
            data_year = year_label(int(r["final_data_year"]))
            add_note(doc, data.phrase("period_data_year_note", name=k.name, lag=k.data_year_lag, data_year=data_year))
    if partial:
        add_note(doc, data.phrase("period_partial_note", n=len(plan.basis_members)))


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
                data.phrase("implemented_count", done=r.initiatives_as_planned, total=r.initiatives),
            ]
        )
    add_table(
        doc,
        data.phrases("period_rollup_header", first=plan.meta.first_fiscal_year, fy=data.fiscal_year),
        rrows,
        widths=[70, 28, 28, 18, 26],
        numeric={1, 2, 3},
        center={4},
        fills=fills,
    )


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
    add_table(
        doc,
        data.phrases("period_initiatives_header", first=plan.meta.first_fiscal_year, fy=data.fiscal_year),
        irows,
        widths=[14, 56, 24, 24, 16, 22, 14],
        numeric={2, 3, 4},
        center={0, 5, 6},
    )
    add_note(doc, data.phrase("period_plan_note"))
    add_note(doc, data.phrase("period_strict_note"))

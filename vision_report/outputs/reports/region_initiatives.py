"""The region report's policy areas and initiatives: the one-row entry of each initiative (layout.yaml
tables.initiative), the participation grid, held values, shares."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pandas as pd
from docx.enum.table import WD_ALIGN_VERTICAL
from docx.shared import Pt

from vision_report.core.textfmt import fmt_num, fmt_pct, is_missing
from vision_report.core.vocabulary import (
    date_label,
    hold_label,
    kind_labels,
    year_label,
)
from vision_report.outputs.reports.context import ReportData
from vision_report.outputs.reports.docxutil import (
    SUBTLE_FILL,
    add_note,
    add_table,
    add_text,
    keep_together,
    keep_with_next,
    merge_column,
    shade,
)
from vision_report.outputs.reports.layout import setting, spec_table
from vision_report.outputs.reports.region_kpis import kpi_line
from vision_report.plan import Initiative, PolicyArea


def grid_table(doc, data: ReportData, ini: Initiative):
    """関係市町村: every member of the year, rows of names (config report.grid_columns, 10 as the vision prints
    them), each followed by its row of ○; however many members there are, none is dropped."""
    munis = data.plan.members(data.fiscal_year)
    per_row = data.settings.report.grid_columns
    participants = set(data.plan.participants(ini.id, data.fiscal_year))
    if len(munis) > data.settings.report.grid_max_members:
        return _participation_sentence(doc, data, munis, participants)
    rows = []
    for start in range(0, len(munis), per_row):
        part = munis[start : start + per_row]
        rows.append([m.name for m in part] + [""] * (per_row - len(part)))
        mark = data.phrase("as_planned_mark")
        rows.append([mark if m.code in participants else "" for m in part] + [""] * (per_row - len(part)))
    title = data.phrase("grid_title")
    labelled = [[title if k == 0 else ""] + r for k, r in enumerate(rows)]
    return add_table(
        doc,
        [title] + [""] * per_row,
        labelled,
        widths=[18] + [152 / per_row] * per_row,
        center=set(range(1, per_row + 1)),
        fills={k: SUBTLE_FILL for k in range(0, len(rows), 2)},
        finish=_finish_grid,
    )


def _participation_sentence(doc, data: ReportData, munis, participants: set[str]):
    """関係市町村 of a large alliance in one paragraph: all members, all but the few that do not take part, or the
    list of those that do (whichever names fewer municipalities)."""
    joiner = data.phrase("grid_names_joiner")
    inside = [m.name for m in munis if m.code in participants]
    outside = [m.name for m in munis if m.code not in participants]
    if not outside:
        text = data.phrase("grid_all", n=f"{len(inside):,}")
    elif len(outside) < len(inside):
        text = data.phrase(
            "grid_all_but",
            n=f"{len(inside):,}",
            total=f"{len(munis):,}",
            k=f"{len(outside):,}",
            names=joiner.join(outside),
        )
    else:
        text = data.phrase("grid_list", n=f"{len(inside):,}", names=joiner.join(inside))
    return add_note(doc, text)


def _finish_grid(table) -> None:
    table.rows[0]._tr.getparent().remove(table.rows[0]._tr)  # no separate header row for the grid
    merge_column(table, 0, 0, len(table.rows) - 1)
    table.rows[0].cells[0].vertical_alignment = WD_ALIGN_VERTICAL.CENTER
    keep_together(table)


def initiative_title(doc, data: ReportData, ini: Initiative) -> None:
    """「ア 名称（3.15.2）」 in bold, kept with what follows."""
    p = doc.add_paragraph()
    keep_with_next(p)
    p.paragraph_format.space_before = Pt(6)
    add_text(p, f"{ini.label} {ini.name}", bold=True)
    add_text(p, data.phrase("initiative_id", id=ini.id)).font.size = Pt(8)


def planned_text(ini: Initiative, fiscal_year: int, value) -> str:
    """An initiative's plan of the year as a cell: ``value`` (budget_execution's planned_thousand_yen) or, without
    one, what the plan prints for the year (「未定」), else 「—」 — the same in the region report and a member's
    (review 7 #20: 3.5.4's plan was 「未定」 in one and 「—」 in the other)."""
    if not is_missing(value):
        return fmt_num(value)
    p = ini.budget.planned(fiscal_year)
    return str(p) if p and not isinstance(p, int) else "—"


def initiative_fields(data: ReportData) -> dict[str, Callable[[Initiative], str]]:
    """What each column field of the body's initiative entry (layout.yaml tables.initiative) prints."""
    e = data.settings.evaluation
    joiner = data.phrase("grades_joiner")

    def planned(ini: Initiative) -> str:
        return planned_text(ini, data.fiscal_year, data.budget.loc[ini.id, "planned_thousand_yen"])

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
    table = spec_table(
        doc, data.templates, "initiative", [ini], initiative_fields(data), {"year": year_label(data.fiscal_year)}
    )
    keep_together(table, with_next=True)  # the row and the lead's texts under it on one page (issue 18: 3.22.1)
    add_held_note(doc, data, "expenditure", ini.id)
    texts = data.initiative_texts(ini.id)
    lead = texts.loc[texts["lead"].astype(bool)] if len(texts) else texts
    limit = int(setting(data.templates, "lead_text_chars", 90))
    more = data.phrase("entry_more")
    name = data.plan.municipality(data.plan.lead_of(ini.id)).name
    if not len(lead):
        add_note(doc, data.phrase("entry_lead_none", name=name))
        return
    notes = []
    status = lead_status_apart(data, ini.id)
    if status:  # e.g. 「実施 17・一部実施 2・未実施 1」 above a lead's 「実施しなかった」 (review 4 #15)
        notes.append(add_note(doc, data.phrase("entry_lead_status", name=name, status=status)))
    for r in lead.itertuples(index=False):
        p = add_note(doc, "")
        add_text(p, data.heading(f"lead_{r.column}", name=name) + data.phrase("entry_label_sep"), bold=True)
        add_text(p, clip(str(r.text), limit, more))
        notes.append(p)
    for p in notes[:-1]:
        keep_with_next(p)


def lead_status_apart(data: ReportData, initiative_id: str) -> str:
    """The lead's own 実施状況 when it is not the one most participants reported ("" otherwise, or when the lead gave
    none): the row's counts are every participant's, the texts under it the lead's, and 「実施 17」 above 「実施しなかった」
    reads as a contradiction unless the lead's own status is said (review 4 #15)."""
    rows = data.initiative_rows(initiative_id)
    if not len(rows):
        return ""
    lead = data.plan.lead_of(initiative_id)
    statuses = rows["status"].tolist()  # plain lists: this runs for every initiative of the report
    codes = rows["municipality_code"].tolist()
    mine = [s for c, s in zip(codes, statuses, strict=True) if c == lead and isinstance(s, str) and s]
    if not mine:
        return ""
    counts = Counter(str(s) for s in statuses if not pd.isna(s))  # a status given ("" is none)
    counts.pop("", None)
    top = max(counts.values(), default=0)
    return "" if counts.get(mine[0]) == top else mine[0]


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


def _gap(doc):
    """A small paragraph between two tables (tables in a row would run together in Word)."""
    p = doc.add_paragraph()
    p.paragraph_format.space_after = Pt(2)
    return p


def _finish_blocks(table) -> None:
    """Label | text rows as the vision prints its blocks: no header row, the labels shaded and bold."""
    table.rows[0]._tr.getparent().remove(table.rows[0]._tr)
    for row in table.rows:
        shade(row.cells[0], SUBTLE_FILL)
        for run in row.cells[0].paragraphs[0].runs:
            run.bold = True


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


def share_line(doc, data: ReportData, level: str, node: str):
    p = add_note(doc, share_text(data, level, node))
    keep_with_next(p)
    return p


def first_field_area(data: ReportData) -> str | None:
    """The first policy area in the report's order whose [連携協約] has a field label (「【地域医療】」), or None."""
    for pillar in data.plan.pillars:
        for a in pillar.area_ids:
            if data.plan.area(a).agreement.field_label:
                return a
    return None


def add_area(doc, data: ReportData, area: PolicyArea) -> None:
    """A policy area in the body: its heading (in the TOC), KPI line, share of good self-evaluations, and one compact
    entry per initiative; its [連携協約] is in the 資料編."""
    doc.add_heading(f"{area.circled} {area.name}", level=3)
    field = area.agreement.field_label
    if field:  # the lines under the heading go with the first initiative
        keep_with_next(add_note(doc, field))
        if area.id == first_field_area(data):  # what the 【…】 is, once (review 4 #9)
            sub = data.plan.subfield(area.subfield) if area.subfield else None
            vision = data.phrase("area_field_vision", letter=sub.letter, name=sub.name, field=field) if sub else field
            keep_with_next(add_note(doc, data.phrase("area_field_note", field=field, vision=vision)))
    kpi_line(doc, data, [k for k in data.plan.kpis if k.measures == area.id])
    share_line(doc, data, "area", area.id)
    for ini in data.plan.area_initiatives(area.id, data.fiscal_year):
        add_initiative(doc, data, ini)

"""The region report's 資料編 (after the body, on a new page): the submission log, the vision's own blocks of every
initiative in its words and order (関係市町村, 事業内容, 役割分担, 費用負担, スケジュール, 国・県補助制度等, 効果, and
each policy area's [連携協約]), and every participant's 取組実績・成果・課題 in full — one paragraph per member (or per
group of members that wrote the same words) with a hanging indent, closed by 「（記載なし：…）」.

Everything here may grow with the number of members and with how much they write; the body does not."""

from __future__ import annotations

from docx.shared import Pt
from docx.text.paragraph import Paragraph

from vision_report.core.vocabulary import date_label
from vision_report.outputs.reports.context import ReportData
from vision_report.outputs.reports.docxutil import (
    add_note,
    add_table,
    add_text,
    keep_last_row_with_next,
    keep_rows_with_next,
    keep_with_next,
)
from vision_report.outputs.reports.evaluation_context import TEXT_COLUMNS, same_text_key
from vision_report.outputs.reports.layout import sections, setting
from vision_report.outputs.reports.submission_log import add_log_intro, log_occurs, log_rows
from vision_report.plan import Initiative, PolicyArea

APPENDIX_SECTIONS = ("submissions", "vision", "texts")
HANGING_PT = 36


def add_appendix(doc, data: ReportData) -> None:
    """資料編: a level-1 heading, then 資料1, 資料2 … in layout.yaml's order (region.appendix)."""
    keys = sections(data.templates, "appendix", APPENDIX_SECTIONS)
    if not keys:
        return
    doc.add_heading(data.heading("appendix"), level=1)
    doc.add_paragraph(data.phrase("appendix_intro"))
    build = {"submissions": add_submission_log, "vision": add_vision_blocks, "texts": add_participant_texts}
    new_page = bool(setting(data.templates, "appendix_part_new_page", True))
    for n, key in enumerate(keys, start=1):
        heading = doc.add_heading(data.heading(f"appendix_{key}", n=n), level=2)
        # each 資料 after the first starts a page (layout.yaml region.appendix_part_new_page): a 資料's heading and
        # intro were left at a page's foot with its content on the next page (review 7 #17)
        heading.paragraph_format.page_break_before = new_page and n > 1
        build[key](doc, data)


def add_submission_log(doc, data: ReportData) -> None:
    """資料編: the office's record of every file received for the year (its receipt time, timeliness, state and the
    screening's counts), after a sentence saying what the columns mean; a file name breaks only after a 「_」."""
    add_log_intro(doc, data.templates, "region", **log_occurs(data.subs))
    deadline = next((d for d in data.subs["deadline"] if d), "")
    if deadline:
        add_note(doc, data.phrase("overview_deadline", date=date_label(deadline)))
    widths = [17, 54, 38, 15, 24, 11, 11]
    add_table(
        doc,
        data.phrases("overview_submissions_header"),
        log_rows(doc, data.subs, widths, 1, member=data.phrase("overview_outside_member")),
        widths=widths,
        numeric={5, 6},
        center={3, 4},
    )
    for r in data.municipality_evaluations.to_dict(
        "records"
    ):  # accepted, yet nothing evaluated (its file has the evaluation_blank warning)
        if int(r["reported"]) and not int(r["evaluated"]):
            add_note(doc, data.snippet("accepted_unevaluated", name=r["municipality_name"]))


def _label(doc, text: str, size: float | None = None, before: float = 6):
    """A bold run-in title (pillar, area, initiative) that is not a heading: the TOC stays with the body."""
    p = doc.add_paragraph()
    keep_with_next(p)
    p.paragraph_format.space_before = Pt(before)
    run = add_text(p, text, bold=True)
    if size:
        run.font.size = Pt(size)
    return p


def _areas(data: ReportData):
    for pillar in data.plan.pillars:
        yield pillar, [data.plan.area(a) for a in pillar.area_ids]


def add_vision_blocks(doc, data: ReportData) -> None:
    """資料: the vision's text of every policy area ([連携協約]) and initiative (関係市町村 and its blocks)."""
    from vision_report.outputs.reports.region_initiatives import _finish_blocks, _gap, grid_table

    add_note(doc, data.phrase("appendix_vision_intro"))
    for pillar, areas in _areas(data):
        _label(doc, f"{pillar.id} {pillar.name}", size=12, before=10)
        for area in areas:
            _agreement(doc, data, area, _finish_blocks)
            for ini in data.plan.area_initiatives(area.id, data.fiscal_year):
                _label(doc, f"{ini.label} {ini.name}{data.phrase('initiative_id', id=ini.id)}", before=4)
                grid = grid_table(doc, data, ini)
                rows = _blocks(data, ini)
                if rows:
                    # the title and the grid go with the first block (事業内容), never alone at a page's foot
                    # (review 3 #16)
                    if isinstance(grid, Paragraph):  # a large alliance: one sentence, not a grid
                        keep_with_next(grid)
                    else:
                        keep_last_row_with_next(grid)
                    keep_with_next(_gap(doc))
                    add_table(doc, data.phrases("block_header"), rows, widths=[40, 130], finish=_finish_blocks)


def _agreement(doc, data: ReportData, area: PolicyArea, finish) -> None:
    _label(doc, f"{area.circled} {area.name}", before=8)
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
        keep_with_next(p)
        add_text(p, data.phrase("agreement_title"), bold=True)
        table = add_table(doc, data.phrases("block_header"), rows, widths=[40, 130], finish=finish)
        if len(table.rows) > 1:  # the title and the first row (政策分野) go with the agreement (review 3 #16)
            keep_rows_with_next(table, 1)


def _blocks(data: ReportData, ini: Initiative) -> list[list[str]]:
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
    return [[label, text.strip()] for label, text in blocks if text and text.strip()]


def participant_texts(data: ReportData, initiative_id: str) -> list[tuple[str, list[tuple[list[str], str]], list[str]]]:
    """Per text column: the texts in plan order (the lead first), each distinct text once with every member that
    wrote it, and the participants that wrote nothing (or sent no row)."""
    plan = data.plan
    participants = list(plan.participants(initiative_id, data.fiscal_year))
    lead = plan.lead_of(initiative_id)
    if lead in participants:
        participants.remove(lead)
        participants.insert(0, lead)
    exp = data.initiative_rows(initiative_id)  # already expenditure_rows (once per report)
    first: dict[str, int] = {}  # a member's first row (plain lists: this runs for every initiative of the report)
    for k, code in enumerate(exp["municipality_code"].tolist()):
        first.setdefault(code, k)
    out = []
    for col in TEXT_COLUMNS:
        values = exp[col].tolist()
        groups: dict[str, tuple[list[str], str]] = {}
        missing: list[str] = []
        for code in participants:
            name = plan.municipality(code).name
            text = str(values[first[code]]).strip() if code in first else ""
            key = same_text_key(text)
            if not key:
                missing.append(name)
            elif key in groups:
                groups[key][0].append(name)
            else:
                groups[key] = ([name], text)
        out.append((col, list(groups.values()), missing))
    return out


def add_participant_texts(doc, data: ReportData) -> None:
    """資料: every participant's texts for every initiative, one paragraph per member with a hanging indent."""
    add_note(doc, data.phrase("appendix_texts_intro"))
    joiner = data.phrase("names_joiner")
    for pillar, areas in _areas(data):
        _label(doc, f"{pillar.id} {pillar.name}", size=12, before=10)
        for area in areas:
            _label(doc, f"{area.circled} {area.name}", before=8)
            for ini in data.plan.area_initiatives(area.id, data.fiscal_year):
                _label(doc, f"{ini.label} {ini.name}{data.phrase('initiative_id', id=ini.id)}", before=4)
                for col, texts, missing in participant_texts(data, ini.id):
                    if not texts:
                        add_note(doc, data.phrase("appendix_texts_none", label=data.heading(col)))
                        continue
                    p = doc.add_paragraph()
                    keep_with_next(p)
                    add_text(p, data.heading(col), bold=True)
                    for names, text in texts:
                        para = add_note(doc, "")
                        add_text(para, joiner.join(names) + data.phrase("entry_label_sep"), bold=True)
                        add_text(para, " ".join(text.split()))
                        para.paragraph_format.left_indent = Pt(HANGING_PT)
                        para.paragraph_format.first_line_indent = Pt(-HANGING_PT)
                    if missing:
                        add_note(doc, data.phrase("appendix_texts_missing", names=joiner.join(missing)))

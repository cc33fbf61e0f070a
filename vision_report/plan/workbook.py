"""The plan as one Excel workbook the office reads and edits (`vision-report plan export`).

Sheet names, headers, choices and the 記入方法 text come from templates/planbook/workbook.yaml; the same file tells
the importer (planbook_import.py) which column is which.

Why one module of ~500 lines: it writes one workbook, sheet after sheet, in the order the office reads them;
each sheet's block is short and shares the workbook's styles, choices and validations defined at the top.
"""

from __future__ import annotations

import math
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from vision_report.core import xlsx
from vision_report.core.yamlio import load_yaml
from vision_report.plan.models import Plan, first_fiscal_year_after, fiscal_year_of

LABELS_FILE = Path("planbook") / "workbook.yaml"
HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
MAX_ROWS = 500  # drop-downs reach this far down, so rows the office adds get them too

# column key -> width class (templates/planbook/workbook.yaml widths:)
WIDTH_OF = {
    "code": "code",
    "id": "short",
    "area": "short",
    "pillar": "mark",
    "letter": "mark",
    "subfield": "mark",
    "predecessor": "short",
    "lead": "short",
    "name": "name",
    "title": "name",
    "source": "name",
    "target": "short",
    "kind": "short",
    "measures": "short",
    "unit": "short",
    "direction": "short",
    "reporters": "name",
    "initiatives": "name",
    "areas": "short",
    "field_label": "short",
}
TEXT_KEYS = {
    "direction_text",
    "description",
    "role_kumamoto",
    "role_neighbours",
    "cost_sharing",
    "schedule",
    "subsidies",
    "effects",
    "agreement_content",
    "agreement_role_kumamoto",
    "agreement_role_neighbours",
    "notes",
}


@cache
def _labels_cached(path: str) -> dict[str, Any]:
    return load_yaml(Path(path).read_text(encoding="utf-8"))


def labels(templates: Path) -> dict[str, Any]:
    """templates/planbook/workbook.yaml."""
    return _labels_cached(str(templates / LABELS_FILE))


def _raw_plan_yaml(plan_dir: Path | None) -> dict[str, Any]:
    if plan_dir is None or not (plan_dir / "plan.yaml").is_file():
        return {}
    return load_yaml((plan_dir / "plan.yaml").read_text(encoding="utf-8")) or {}


def _header(ws: Worksheet, headers: list[str], widths: list[int]) -> None:
    ws.append(headers)
    for col, (h, w) in enumerate(zip(headers, widths, strict=True), start=1):
        cell = ws.cell(row=1, column=col)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        ws.column_dimensions[get_column_letter(col)].width = max(w, min(_display_len(h) + 2, 34))
    ws.freeze_panes = "A2"


def _wrap(ws: Worksheet) -> None:
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if isinstance(cell.value, str):
                cell.number_format = "@"


def _row_heights(ws: Worksheet, first_row: int = 2) -> None:
    """Explicit row heights for wrapped text (spreadsheet programs do not all grow rows on opening): a line per
    paragraph and per column width's worth of full-width characters."""
    widths = {col: (ws.column_dimensions[get_column_letter(col)].width or 10) for col in range(1, ws.max_column + 1)}
    for row in ws.iter_rows(min_row=first_row):
        lines = 1
        for cell in row:
            if isinstance(cell.value, str) and cell.value:
                per_line = max(int(widths[cell.column] / 2) - 1, 1)
                n = sum(max(math.ceil(_display_len(p) / 2 / per_line), 1) for p in cell.value.split("\n"))
                lines = max(lines, n)
        if lines > 1:
            ws.row_dimensions[row[0].row].height = min(15 * lines + 3, 409)


def _display_len(text: str) -> int:
    """Width in half-width units: full-width (CJK) characters count 2."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _width(key: str, widths: dict[str, int]) -> int:
    if key in TEXT_KEYS:
        return widths["text"]
    return widths[WIDTH_OF.get(key, "number")]


def _list_validation(ws: Worksheet, ref: str, col: int, first_row: int = 2) -> None:
    """A drop-down on column ``col`` (rows first_row..MAX_ROWS) from the 選択肢 sheet range ``ref``."""
    dv = DataValidation(type="list", formula1=ref, allow_blank=True)
    letter = get_column_letter(col)
    dv.add(f"{letter}{first_row}:{letter}{MAX_ROWS}")
    ws.add_data_validation(dv)


def _table(ws: Worksheet, columns: dict[str, str], rows: list[dict[str, Any]], widths: dict[str, int]) -> list[str]:
    keys = list(columns)
    _header(
        ws,
        [columns[k] for k in keys],
        [_width("direction_text" if k == "direction" and "pillar" not in columns else k, widths) for k in keys],
    )
    for r in rows:
        ws.append([r.get(k) for k in keys])
    for col, k in enumerate(keys, start=1):  # an id or code column as wide as its longest value
        if k not in TEXT_KEYS:
            longest = max((_display_len(str(r.get(k))) for r in rows if r.get(k) is not None), default=0)
            letter = get_column_letter(col)
            ws.column_dimensions[letter].width = max(ws.column_dimensions[letter].width or 0, min(longest + 2, 40))
    _wrap(ws)
    return keys


def _date(d) -> str | None:
    return d.isoformat() if d else None


def build_workbook(plan: Plan, templates: Path, plan_dir: Path | None = None) -> Workbook:
    """The whole plan as a workbook (base members and their ○ grid; members added later are on the 改定 sheet)."""
    lab = labels(templates)
    sheets, cols, ch, widths = lab["sheets"], lab["columns"], lab["choices"], lab["widths"]
    raw = _raw_plan_yaml(plan_dir)
    m = plan.meta
    wb = Workbook()
    guide = wb.active
    guide.title = sheets["guide"]
    guide.append([lab["guide"]["title"]])
    guide["A1"].font = Font(bold=True, size=14)
    for line in lab["guide"]["lines"]:
        guide.append([line])
    guide.column_dimensions["A"].width = 120
    for row in guide.iter_rows(min_row=2):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")

    # 選択肢 (lists for the drop-downs)
    base = plan.basis_members
    lists = wb.create_sheet(sheets["lists"])
    list_cols = {
        "directions": list(ch["directions"].values()),
        "kinds": list(ch["amendment_kinds"].values()),
        "mark": [ch["mark"]],
        "pillars": [str(p.id) for p in plan.pillars],
        "subfield_letters": sorted({s.letter for s in plan.subfields}),
        "areas": [a.id for a in plan.areas],
        "members": [x.code for x in base],
        "nodes": [*(str(p.id) for p in plan.pillars), *(s.id for s in plan.subfields), *(a.id for a in plan.areas)],
    }
    refs = {}
    for col, (key, values) in enumerate(list_cols.items(), start=1):
        letter = get_column_letter(col)
        lists.cell(row=1, column=col, value=key)
        for r, v in enumerate(values, start=2):
            lists.cell(row=r, column=col, value=v).number_format = "@"
        refs[key] = f"'{sheets['lists']}'!${letter}$2:${letter}${max(len(values) + 1, 2)}"
    lists.sheet_state = "hidden"

    # 計画
    ws = wb.create_sheet(sheets["plan"], 1)
    totals = raw.get("municipality_totals") or {}
    meta_values: dict[str, Any] = {
        "id": m.id,
        "title": m.title,
        "alliance": m.alliance,
        "revision": m.revision,
        "published": _text(raw.get("published")),
        "first_fiscal_year": m.first_fiscal_year,
        "last_fiscal_year": m.last_fiscal_year,
        "period_note": m.period_note,
        "core_municipality": m.core_municipality,
        "office": m.office,
        "source": raw.get("source"),
        "description": raw.get("description"),
        "population_as_of": m.population_as_of,
        "population_source": raw.get("population_source"),
        "budget_unit": raw.get("budget_unit"),
        "management_structure": m.management.get("structure"),
        "management_kpi": m.management.get("kpi"),
        "total_population": totals.get("population"),
        "total_households": totals.get("households"),
        "total_area_km2": totals.get("area_km2"),
        **{f"population_goal_{k}": (m.population_goal or {}).get(k) for k in ("year", "value", "basis")},
    }
    _header(ws, [lab["plan_header"]["key"], lab["plan_header"]["value"]], [30, 100])
    for key, label in lab["plan_fields"].items():
        ws.append([label, meta_values.get(key)])
    _wrap(ws)

    # 構成市町村 (the members the plan itself lists)
    ws = wb.create_sheet(sheets["members"])
    rows = []
    for x in base:
        ms = plan.membership(x.code)
        # the reporting start only when it is not the one the join date gives
        derived = ms.joined is not None and ms.first_fiscal_year == first_fiscal_year_after(ms.joined)
        explicit = None if derived else ms.first_fiscal_year
        rows.append(
            {
                "code": x.code,
                "name": x.name,
                "population": x.population,
                "households": x.households,
                "area_km2": x.area_km2,
                "joined": _date(ms.joined),
                "left": _date(ms.left),
                "first_fiscal_year": explicit,
            }
        )
    _table(ws, cols["members"], rows, widths)

    # 柱・小分野・政策分野
    ws = wb.create_sheet(sheets["pillars"])
    _table(
        ws,
        cols["pillars"],
        [{"id": p.id, "name": p.name, "direction": p.direction, "source_line": p.source_line} for p in plan.pillars],
        widths,
    )
    ws = wb.create_sheet(sheets["subfields"])
    _table(
        ws,
        cols["subfields"],
        [
            {
                "id": s.id,
                "pillar": s.pillar,
                "letter": s.letter,
                "name": s.name,
                "areas": f"{s.area_ids[0]}-{s.area_ids[-1]}",
            }
            for s in plan.subfields
        ],
        widths,
    )
    _list_validation(ws, refs["pillars"], 2)
    ws = wb.create_sheet(sheets["areas"])
    keys = _table(
        ws,
        cols["areas"],
        [
            {
                "id": a.id,
                "pillar": a.pillar,
                "subfield": plan.subfield(a.subfield).letter if a.subfield else None,
                "name": a.name,
                "direction": a.direction,
                "field_label": a.agreement.field_label,
                "agreement_content": a.agreement.content,
                "agreement_role_kumamoto": a.agreement.role_kumamoto,
                "agreement_role_neighbours": a.agreement.role_neighbours,
                "source_line": a.source_line,
            }
            for a in plan.areas
        ],
        widths,
    )
    _list_validation(ws, refs["pillars"], keys.index("pillar") + 1)
    _list_validation(ws, refs["subfield_letters"], keys.index("subfield") + 1)

    # 取組 (texts)
    ws = wb.create_sheet(sheets["initiatives"])
    keys = _table(
        ws,
        cols["initiatives"],
        [
            {
                "id": i.id,
                "area": i.area_id,
                "name": i.name,
                "predecessor": i.predecessor,
                "lead": i.lead,
                "description": i.description,
                "role_kumamoto": i.role_kumamoto,
                "role_neighbours": i.role_neighbours,
                "cost_sharing": i.cost_sharing,
                "schedule": "\n".join(i.schedule) or None,
                "subsidies": i.subsidies,
                "effects": i.effects,
                "source_line": i.source_line,
            }
            for i in plan.initiatives
        ],
        widths,
    )
    ws.freeze_panes = "D2"
    _list_validation(ws, refs["areas"], keys.index("area") + 1)
    _list_validation(ws, refs["members"], keys.index("lead") + 1)

    # 関係市町村 (○ grid: the plan's members, then those added by an amendment, whose ○ are only on the initiatives
    # an amendment added; their part in the plan's own initiatives is on the 改定 sheet)
    ws = wb.create_sheet(sheets["participants"])
    pc = cols["participants"]
    later = [x for x in plan.municipalities if not plan.is_basis_member(x.code)]
    grid = [*base, *later]
    headers = [pc["id"], pc["name"], *(x.name for x in grid)]
    _header(ws, headers, [widths["short"], widths["name"], *([widths["mark"]] * len(grid))])
    added = {(c, i) for a in plan.amendments for mem in a.members_added for i in mem.initiatives for c in [mem.code]}
    for i in plan.initiatives:
        ws.append(
            [
                i.id,
                i.name,
                *(ch["mark"] if x.code in i.participants and (x.code, i.id) not in added else None for x in grid),
            ]
        )
    for row in ws.iter_rows(min_row=2):
        for cell in row[2:]:
            cell.alignment = Alignment(horizontal="center", vertical="center")
        row[0].alignment = Alignment(vertical="center")
        row[1].alignment = Alignment(wrap_text=True, vertical="center")
    for c in range(3, len(headers) + 1):
        ws.cell(row=1, column=c).alignment = Alignment(text_rotation=255, horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 60
    ws.freeze_panes = "C2"
    if base:
        dv = DataValidation(type="list", formula1=refs["mark"], allow_blank=True)
        dv.add(f"C2:{get_column_letter(len(headers))}{MAX_ROWS}")
        ws.add_data_validation(dv)

    # 事業費
    ws = wb.create_sheet(sheets["budgets"])
    bc = cols["budgets"]
    years = m.fiscal_years
    _header(
        ws,
        [bc["id"], bc["name"], *(bc["year"].format(year=y) for y in years), bc["total"]],
        [widths["short"], widths["name"], *([widths["number"]] * (len(years) + 1))],
    )
    for i in plan.initiatives:
        ws.append([i.id, i.name, *(i.budget.years.get(y) for y in years), i.budget.total])
    for row in ws.iter_rows(min_row=2):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")
        for cell in row[2:]:
            cell.number_format = "#,##0"
    ws.freeze_panes = "C2"
    dv = DataValidation(
        type="custom",
        formula1='OR(ISBLANK(C2),ISNUMBER(C2),C2="' + ch["undecided"] + '")',
        allow_blank=True,
    )
    dv.add(f"C2:{get_column_letter(len(years) + 3)}{MAX_ROWS}")
    ws.add_data_validation(dv)

    # KPI
    ws = wb.create_sheet(sheets["kpis"])
    dirs = ch["directions"]
    as_set = _kpi_targets_as_set(plan_dir)
    keys = _table(
        ws,
        cols["kpis"],
        [
            {
                "id": k.id,
                "name": k.name,
                "measures": k.measures,
                "unit": k.unit,
                "baseline": _num(k.baseline),
                "baseline_year": k.baseline_year,
                "baseline_year_label": k.baseline_year_label,
                "target": _num(as_set.get(k.id, (k.target, None))[0]),
                "target_label": as_set.get(k.id, (None, k.target_label))[1],
                "direction": dirs[k.direction],
                "reporters": ch["all_members"] if k.reporters_all else "、".join(k.reporters),
                "source": k.source,
                "notes": k.notes,
                "allow_negative": ch["flag"] if k.allow_negative else None,
                "predecessor": k.predecessor,
                "new_series": ch["flag"] if k.new_series else None,
                "data_year_lag": k.data_year_lag or None,
                "source_line": k.source_line,
            }
            for k in plan.kpis
        ],
        widths,
    )
    for key in ("baseline", "target"):
        for row in ws.iter_rows(min_row=2, min_col=keys.index(key) + 1, max_col=keys.index(key) + 1):
            row[0].number_format = "#,##0.###"
    ws.freeze_panes = "C2"
    _list_validation(ws, refs["directions"], keys.index("direction") + 1)
    _list_validation(ws, refs["nodes"], keys.index("measures") + 1)
    _list_validation(ws, refs["mark"], keys.index("allow_negative") + 1)
    _list_validation(ws, refs["mark"], keys.index("new_series") + 1)

    # 改定
    ws = wb.create_sheet(sheets["amendments"])
    kinds = ch["amendment_kinds"]
    rows = []
    for a in plan.amendments:
        common = {"id": a.id, "date": a.date.isoformat(), "title": a.title, "source": a.source}
        for mem in a.members_added:
            ms = plan.membership(mem.code)
            rows.append(
                common
                | {
                    "kind": kinds["member_added"],
                    "target": mem.code,
                    "name": mem.name,
                    "joined": mem.joined.isoformat(),
                    "population": plan.municipality(mem.code).population,
                    "first_fiscal_year": ms.first_fiscal_year
                    if ms.first_fiscal_year != first_fiscal_year_after(mem.joined)
                    else None,
                    "initiatives": "、".join(mem.initiatives) or None,
                }
            )
        for iid in a.initiatives_added:
            ini = plan.initiative(iid)
            rows.append(
                common
                | {
                    "kind": kinds["initiative_added"],
                    "target": iid,
                    "first_fiscal_year": ini.first_fiscal_year
                    if ini.first_fiscal_year != first_fiscal_year_after(a.date)
                    else None,
                }
            )
        for end in a.initiatives_ended:
            rows.append(
                common
                | {
                    "kind": kinds["initiative_ended"],
                    "target": end.initiative,
                    "last_fiscal_year": end.last_fiscal_year
                    if end.last_fiscal_year != fiscal_year_of(a.date - timedelta(days=1))
                    else None,
                }
            )
        for t in a.targets_revised:
            rows.append(
                common
                | {
                    "kind": kinds["target_revised"],
                    "target": t.kpi,
                    "value": _num(t.target),
                    "value_label": t.target_label,
                }
            )
    keys = _table(ws, cols["amendments"], rows, widths)
    _list_validation(ws, refs["kinds"], keys.index("kind") + 1)

    order = [
        sheets[k]
        for k in (
            "guide",
            "plan",
            "members",
            "pillars",
            "subfields",
            "areas",
            "initiatives",
            "participants",
            "budgets",
            "kpis",
            "amendments",
            "lists",
        )
    ]
    wb._sheets = [wb[n] for n in order]  # noqa: SLF001 - openpyxl has no public reorder
    wide = {sheets["initiatives"], sheets["areas"], sheets["kpis"], sheets["amendments"]}
    for w in wb.worksheets:
        w.sheet_view.zoomScale = 90
        _row_heights(w, 2 if w.title == sheets["participants"] else 1)
        # printed (or made into PDF): landscape A4, the header row (and the id columns) on every page; the narrow
        # sheets as wide as the page, the wide text sheets across pages at a readable size
        w.page_setup.orientation = "landscape"
        w.page_setup.paperSize = w.PAPERSIZE_A4
        if w.title not in wide:
            w.sheet_properties.pageSetUpPr.fitToPage = True
            w.page_setup.fitToWidth = 1
            w.page_setup.fitToHeight = 0
        if w.title != sheets["guide"]:
            w.print_title_rows = "1:1"
        if w.title in wide:
            w.print_title_cols = "A:A"
    return wb


def _kpi_targets_as_set(plan_dir: Path | None) -> dict[str, tuple[Any, Any]]:
    """id -> (target, target_label) as kpis.yaml sets them (the loader applies amendments' revisions on top)."""
    if plan_dir is None or not (plan_dir / "kpis.yaml").is_file():
        return {}
    raw = load_yaml((plan_dir / "kpis.yaml").read_text(encoding="utf-8")) or {}
    return {str(k.get("id")): (k.get("target"), _text(k.get("target_label"))) for k in raw.get("kpis") or []}


def _num(x: float | None):
    if x is None:
        return None
    return int(x) if float(x).is_integer() else x


def _text(v) -> str | None:
    return None if v is None else str(v)


def workbook_bytes(plan: Plan, templates: Path, plan_dir: Path | None = None) -> bytes:
    """The plan workbook's bytes: the same plan, templates and folder give the same file (core.xlsx)."""
    return xlsx.workbook_bytes(build_workbook(plan, templates, plan_dir))

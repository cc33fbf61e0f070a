"""Read a plan workbook (`vision-report plan import`), check all of it, and write plans/<ID>/ and the config.

Every problem is collected with its sheet, row and column (Japanese, templates/planbook/workbook.yaml) and listed at
once; nothing is written until the workbook is clean. The plan folder is built in a temporary folder beside
plans/<ID>, loaded with the ordinary loader (its checks too), and swapped in with a rename; the year range is added
to config ``plans:`` by editing the text, so the file's comments stay.

Why one module of ~1,000 lines: read_plan_workbook reads the sheets in their dependency order (members,
pillars, sub-fields, areas, initiatives, participants, budgets, KPIs, amendments) and checks each row against the
sheets read before it with one problem list; the writing of the plan folder (_files) follows. Splitting the sheets
into modules would pass that shared state through every call; a split by sheet is the next step if it grows.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from openpyxl import load_workbook

from vision_report.core.atomic import write_text
from vision_report.plan.loader import PlanError, check_digit_ok, load_plan
from vision_report.plan.models import (
    Plan,
    date_ja,
    first_fiscal_year_after,
    fiscal_year_of,
    last_full_fiscal_year_before,
)
from vision_report.plan.workbook import labels

AREA_ID = re.compile(r"^(\d+)\.(\d+)$")
INITIATIVE_ID = re.compile(r"^(\d+\.\d+)\.(\d+)$")
YEAR_HEADER = re.compile(r"^(\d{4})")
SPLIT = re.compile(r"[、,，\s]+")


@dataclass(frozen=True)
class Problem:
    sheet: str | None
    row: int | None
    column: str | None
    message: str


@dataclass
class ImportResult:
    problems: list[str]
    changes: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    plan: Plan | None = None


@dataclass
class _Sheet:
    title: str
    header: dict[str, int]  # key -> 0-based column index
    labels: dict[str, str]  # key -> header text
    rows: list[tuple[int, list[Any]]]  # (excel row number, values)

    def get(self, values: list[Any], key: str) -> Any:
        i = self.header.get(key)
        if i is None or i >= len(values):
            return None
        v = values[i]
        if isinstance(v, str):
            v = v.strip()
            return v or None
        return v


def _s(v: Any) -> str | None:
    """A cell as text: numbers typed into a text column come back as text (431001.0 -> '431001')."""
    if v is None:
        return None
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, datetime):
        return v.date().isoformat()
    return str(v).strip() or None


class _Reader:
    def __init__(self, path: Path, templates: Path):
        self.lab = labels(templates)
        self.msg = self.lab["messages"]
        self.ch = self.lab["choices"]
        self.problems: list[Problem] = []
        self.wb = load_workbook(path, data_only=True)

    def problem(self, sheet: _Sheet | str | None, row: int | None, key: str | None, name: str, **values) -> None:
        title = sheet.title if isinstance(sheet, _Sheet) else sheet
        column = sheet.labels.get(key, key) if isinstance(sheet, _Sheet) and key else key
        self.problems.append(Problem(title, row, column, str(self.msg[name]).format(**values)))

    def sheet(self, key: str, columns: dict[str, str] | None, required: tuple[str, ...] = ()) -> _Sheet | None:
        title = self.lab["sheets"][key]
        if title not in self.wb.sheetnames:
            self.problem(title, None, None, "missing_sheet")
            return None
        ws = self.wb[title]
        all_rows = list(ws.iter_rows(values_only=True))
        head = [(_s(h) or "") for h in (all_rows[0] if all_rows else ())]
        header: dict[str, int] = {}
        if columns is not None:
            for k, label in columns.items():
                if label in head:
                    header[k] = head.index(label)
                elif k in required:
                    self.problem(title, 1, None, "missing_column", column=label)
        rows = [(n, list(r)) for n, r in enumerate(all_rows[1:], start=2) if any(v not in (None, "") for v in r)]
        return (
            _Sheet(title, header, dict(columns or {}), rows)
            if columns is not None
            else _Sheet(title, {h: i for i, h in enumerate(head)}, {}, rows)
        )

    # -- cell readers ------------------------------------------------------------------------------------------
    def text(self, sh: _Sheet, n: int, values: list[Any], key: str, required: bool = False) -> str | None:
        v = _s(sh.get(values, key))
        if v is None and required:
            self.problem(sh, n, key, "required")
        return v

    def integer(self, sh: _Sheet, n: int, values: list[Any], key: str, required: bool = False) -> int | None:
        v = sh.get(values, key)
        if v is None:
            if required:
                self.problem(sh, n, key, "required")
            return None
        if isinstance(v, bool):
            self.problem(sh, n, key, "not_integer", value=v)
            return None
        if isinstance(v, (int, float)) and float(v).is_integer():
            return int(v)
        try:
            return int(str(v).replace(",", ""))
        except ValueError:
            self.problem(sh, n, key, "not_integer", value=v)
            return None

    def year(self, sh: _Sheet, n: int, values: list[Any], key: str, required: bool = False) -> int | None:
        v = sh.get(values, key)
        if v is None:
            if required:
                self.problem(sh, n, key, "required")
            return None
        t = _s(v) or ""
        if not re.fullmatch(r"\d{4}", t):
            self.problem(sh, n, key, "not_year", value=v)
            return None
        return int(t)

    def number(self, sh: _Sheet, n: int, values: list[Any], key: str, missing: str = "required") -> float | None:
        v = sh.get(values, key)
        if v is None:
            self.problem(sh, n, key, missing)
            return None
        if isinstance(v, bool):
            self.problem(sh, n, key, "not_number", value=v)
            return None
        if isinstance(v, (int, float)):
            return float(v)
        try:
            return float(str(v).replace(",", "").replace("+", ""))
        except ValueError:
            self.problem(sh, n, key, "not_number", value=v)
            return None

    def day(self, sh: _Sheet, n: int, values: list[Any], key: str, required: bool = False) -> date | None:
        v = sh.get(values, key)
        if v is None:
            if required:
                self.problem(sh, n, key, "required")
            return None
        if isinstance(v, datetime):
            return v.date()
        if isinstance(v, date):
            return v
        try:
            return date.fromisoformat(str(v).strip().replace("/", "-"))
        except ValueError:
            self.problem(sh, n, key, "not_date", value=v)
            return None

    def flag(self, sh: _Sheet, n: int, values: list[Any], key: str) -> bool:
        v = _s(sh.get(values, key))
        if v is None:
            return False
        if v == self.ch["flag"]:
            return True
        self.problem(sh, n, key, "bad_mark", value=v)
        return False

    def unique(self, sh: _Sheet, n: int, key: str, value: str | None, seen: dict[str, int]) -> None:
        if value is None:
            return
        if value in seen:
            self.problem(sh, n, key, "duplicate", value=value, first=seen[value])
        else:
            seen[value] = n


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100000, default_flow_style=False)


def _quoted_ids(text: str) -> str:
    return text


def read_plan_workbook(
    path: Path,
    templates: Path,
    plan_id: str,
    from_fiscal_year: int,
    previous: Plan | None,
    others: list[tuple[str, int | None, int | None]],
    current: Plan | None = None,
) -> tuple[dict[str, str], list[Problem]]:
    """The plan folder's files (relative path -> text) built from the workbook, and every problem found.

    ``current``: the plan the workbook re-imports (an amendment to plans/<plan_id>), None for a new plan: an
    initiative it lists as adopted with the plan cannot be "added" by an amendment.

    ``previous``: the plan in force before ``from_fiscal_year`` (its ids are what 前計画 columns may name);
    ``others``: (label, first, last) of the other plans in the config, whose periods the new plan must not overlap.
    """
    r = _Reader(path, templates)
    lab, cols, ch, msg = r.lab, r.lab["columns"], r.ch, r.msg
    directions = {v: k for k, v in ch["directions"].items()}
    kinds = {v: k for k, v in ch["amendment_kinds"].items()}

    # 計画 (key / value rows)
    meta: dict[str, Any] = {}
    plan_sheet = r.sheet("plan", None)
    field_of = {v: k for k, v in lab["plan_fields"].items()}
    value_col = lab["plan_header"]["value"]
    key_col = lab["plan_header"]["key"]
    meta_rows: dict[str, int] = {}
    if plan_sheet is not None:
        for n, values in plan_sheet.rows:
            label = _s(values[0]) if values else None
            if label in field_of:
                meta[field_of[label]] = values[1] if len(values) > 1 else None
                meta_rows[field_of[label]] = n
    psh = _Sheet(lab["sheets"]["plan"], {}, {}, [])

    def meta_text(key: str, required: bool = False) -> str | None:
        v = _s(meta.get(key))
        if v is None and required:
            r.problems.append(
                Problem(psh.title, meta_rows.get(key), value_col, f"{lab['plan_fields'][key]}: {msg['required']}")
            )
        return v

    def meta_year(key: str) -> int | None:
        v = _s(meta.get(key))
        if v is None or not re.fullmatch(r"\d{4}", v):
            r.problems.append(
                Problem(
                    psh.title,
                    meta_rows.get(key),
                    value_col,
                    f"{lab['plan_fields'][key]}: "
                    + (msg["required"] if v is None else msg["not_year"].format(value=v)),
                )
            )
            return None
        return int(v)

    _ = key_col
    first, last = meta_year("first_fiscal_year"), meta_year("last_fiscal_year")
    for key in ("title", "alliance", "revision", "core_municipality"):
        meta_text(key, required=True)
    years: tuple[int, ...] = ()
    if first is not None and last is not None:
        if last < first:
            r.problems.append(
                Problem(
                    psh.title,
                    meta_rows.get("last_fiscal_year"),
                    value_col,
                    msg["period_order"].format(first=first, last=last),
                )
            )
        else:
            years = tuple(range(first, last + 1))
            if not first <= from_fiscal_year <= last:
                r.problems.append(
                    Problem(
                        psh.title,
                        meta_rows.get("first_fiscal_year"),
                        value_col,
                        msg["from_outside"].format(fy=from_fiscal_year, first=first, last=last),
                    )
                )
            for label, o_first, o_last in others:
                lo = max(from_fiscal_year, o_first if o_first is not None else -(10**9))
                hi = min(last, o_last if o_last is not None else 10**9)
                if lo <= hi:
                    r.problems.append(
                        Problem(
                            psh.title,
                            meta_rows.get("first_fiscal_year"),
                            value_col,
                            msg["overlap"].format(
                                first=from_fiscal_year,
                                last=last,
                                plan=label,
                                other=f"{o_first or ''}〜{o_last or ''}年度",
                            ),
                        )
                    )

    # 構成市町村
    members: list[dict[str, Any]] = []
    code_row: dict[str, int] = {}
    name_to_code: dict[str, str] = {}
    membership_years: dict[str, tuple[int | None, int | None]] = {}
    member_dates: dict[str, tuple[date | None, date | None]] = {}  # code -> (joined, left)
    sh = r.sheet("members", cols["members"], ("code", "name"))
    if sh is not None:
        seen_names: dict[str, int] = {}
        for n, v in sh.rows:
            code = r.text(sh, n, v, "code", required=True)
            name = r.text(sh, n, v, "name", required=True)
            if code is not None and not check_digit_ok(code):
                r.problem(sh, n, "code", "bad_code", value=code)
            r.unique(sh, n, "code", code, code_row)
            r.unique(sh, n, "name", name, seen_names)
            joined, left = r.day(sh, n, v, "joined"), r.day(sh, n, v, "left")
            fy_first = r.year(sh, n, v, "first_fiscal_year")
            row = {
                "code": code,
                "name": name,
                "population": r.integer(sh, n, v, "population"),
                "households": r.integer(sh, n, v, "households"),
                "area_km2": r.number(sh, n, v, "area_km2", "required") if sh.get(v, "area_km2") is not None else None,
                "joined": joined.isoformat() if joined else "",
                "left": left.isoformat() if left else "",
                "first_fiscal_year": fy_first if fy_first is not None else "",
            }
            members.append(row)
            if code and name:
                name_to_code[name] = code
                member_dates[code] = (joined, left)
                membership_years[code] = (
                    fy_first if fy_first is not None else (first_fiscal_year_after(joined) if joined else None),
                    last_full_fiscal_year_before(left) if left else None,
                )
    core = meta_text("core_municipality")
    if core is not None and members and core not in code_row:
        r.problems.append(
            Problem(psh.title, meta_rows.get("core_municipality"), value_col, msg["core_not_member"].format(value=core))
        )

    # 改定, read ahead (checked row by row after the KPIs): the members it adds (the ○ grid has their columns) and
    # the initiatives it adds (their ○ must be members on the amendment's date)
    amend_sh = r.sheet("amendments", cols["amendments"], ("id", "date", "title", "source", "kind", "target"))
    added_members: dict[str, tuple[str, date | None]] = {}  # code -> (name, joined)
    added_inits: dict[str, tuple[date, int]] = {}  # initiative id -> (amendment date, first fiscal year)
    if amend_sh is not None:
        for _n, v in amend_sh.rows:
            kind = kinds.get(_s(amend_sh.get(v, "kind")) or "")
            obj, day = _s(amend_sh.get(v, "target")), _lenient_day(amend_sh.get(v, "date"))
            if kind == "member_added" and obj and check_digit_ok(obj) and obj not in code_row:
                name = _s(amend_sh.get(v, "name"))
                if name:
                    added_members.setdefault(obj, (name, _lenient_day(amend_sh.get(v, "joined"))))
            elif kind == "initiative_added" and obj and day and obj not in added_inits:
                fy = _s(amend_sh.get(v, "first_fiscal_year")) or ""
                added_inits[obj] = (day, int(fy) if re.fullmatch(r"\d{4}", fy) else first_fiscal_year_after(day))
    added_name_to_code = {name: code for code, (name, _joined) in added_members.items()}

    def member_on(code: str, day: date) -> bool:
        """A member on ``day``: joined on or before it (the plan's members or those an amendment added), not left."""
        if code in added_members:
            joined_on = added_members[code][1]
            return joined_on is not None and joined_on <= day
        joined, left = member_dates.get(code, (None, None))
        return (joined is None or joined <= day) and (left is None or left > day)

    def member_in_period(code: str) -> bool:
        fy_first, fy_last = membership_years.get(code, (None, None))
        if not years:
            return True
        lo, hi = max(from_fiscal_year, years[0]), years[-1]
        return (fy_first is None or fy_first <= hi) and (fy_last is None or fy_last >= lo)

    # 柱
    pillars: dict[int, dict[str, Any]] = {}
    sh = r.sheet("pillars", cols["pillars"], ("id", "name"))
    if sh is not None:
        seen: dict[str, int] = {}
        for n, v in sh.rows:
            pid = r.integer(sh, n, v, "id", required=True)
            r.unique(sh, n, "id", None if pid is None else str(pid), seen)
            name = r.text(sh, n, v, "name", required=True)
            if pid is not None:
                pillars[pid] = {
                    "id": pid,
                    "name": name,
                    "direction": r.text(sh, n, v, "direction"),
                    "source_line": r.integer(sh, n, v, "source_line"),
                    "areas": [],
                }

    # 小分野
    subfields: list[dict[str, Any]] = []
    letters: dict[tuple[int, str], str] = {}
    sh = r.sheet("subfields", cols["subfields"], ("id", "pillar", "letter", "name", "areas"))
    if sh is not None:
        seen = {}
        for n, v in sh.rows:
            sid = r.text(sh, n, v, "id", required=True)
            r.unique(sh, n, "id", sid, seen)
            pid = r.integer(sh, n, v, "pillar", required=True)
            if pid is not None and pid not in pillars:
                r.problem(sh, n, "pillar", "unknown_pillar", value=pid)
            letter = r.text(sh, n, v, "letter", required=True)
            rng = r.text(sh, n, v, "areas", required=True)
            if sid and pid is not None and letter:
                letters[(pid, letter)] = sid
                subfields.append(
                    {
                        "id": sid,
                        "pillar": pid,
                        "letter": letter,
                        "name": r.text(sh, n, v, "name", required=True),
                        "areas": rng,
                    }
                )

    # 政策分野
    areas: dict[str, dict[str, Any]] = {}
    area_rows: dict[str, int] = {}
    sh = r.sheet("areas", cols["areas"], ("id", "pillar", "name"))
    area_sheet = sh
    if sh is not None:
        position: dict[int, int] = {}
        for n, v in sh.rows:
            aid = r.text(sh, n, v, "id", required=True)
            pid = r.integer(sh, n, v, "pillar", required=True)
            name = r.text(sh, n, v, "name", required=True)
            if aid is None or pid is None:
                continue
            if aid in area_rows:
                r.unique(sh, n, "id", aid, area_rows)
                continue
            area_rows[aid] = n
            if not AREA_ID.match(aid):
                r.problem(sh, n, "id", "bad_id", value=aid, pattern="柱.番号（例 3.15）")
                continue
            if pid not in pillars:
                r.problem(sh, n, "pillar", "unknown_pillar", value=pid)
                continue
            position[pid] = position.get(pid, 0) + 1
            if aid != f"{pid}.{position[pid]}":
                r.problem(sh, n, "id", "bad_area_number", value=aid, pillar=pid, expected=position[pid])
            letter = r.text(sh, n, v, "subfield")
            if letter is not None and (pid, letter) not in letters:
                r.problem(sh, n, "subfield", "unknown_subfield", value=letter)
            agreement = {
                k: val
                for k, val in (
                    ("field_label", r.text(sh, n, v, "field_label")),
                    ("content", r.text(sh, n, v, "agreement_content")),
                    ("role_kumamoto", r.text(sh, n, v, "agreement_role_kumamoto")),
                    ("role_neighbours", r.text(sh, n, v, "agreement_role_neighbours")),
                )
                if val is not None
            }
            area: dict[str, Any] = {
                "id": aid,
                "name": name,
                "subfield": letter,
                "direction": r.text(sh, n, v, "direction"),
                "agreement": agreement or None,
                "source_line": r.integer(sh, n, v, "source_line"),
                "initiatives": [],
            }
            areas[aid] = area
            pillars[pid]["areas"].append(area)

    # 取組
    initiatives: dict[str, dict[str, Any]] = {}
    init_rows: dict[str, int] = {}
    sh = r.sheet("initiatives", cols["initiatives"], ("id", "area", "name"))
    prev_initiatives = {i.id for i in previous.initiatives} if previous else set()
    if sh is not None:
        position_a: dict[str, int] = {}
        for n, v in sh.rows:
            iid = r.text(sh, n, v, "id", required=True)
            aid = r.text(sh, n, v, "area", required=True)
            name = r.text(sh, n, v, "name", required=True)
            if iid is None:
                continue
            if iid in init_rows:
                r.unique(sh, n, "id", iid, init_rows)
                continue
            init_rows[iid] = n
            m = INITIATIVE_ID.match(iid)
            if not m:
                r.problem(sh, n, "id", "bad_id", value=iid, pattern="政策分野ID.番号（例 3.15.2）")
            if aid is not None and aid not in areas:
                r.problem(sh, n, "area", "unknown_area", value=aid)
            elif aid is not None:
                position_a[aid] = position_a.get(aid, 0) + 1
                if iid != f"{aid}.{position_a[aid]}":
                    r.problem(sh, n, "id", "bad_initiative_number", value=iid, area=aid, expected=position_a[aid])
            pred = r.text(sh, n, v, "predecessor")
            if pred is not None:
                if previous is None:
                    r.problem(sh, n, "predecessor", "no_previous_plan", value=pred)
                elif pred not in prev_initiatives:
                    r.problem(sh, n, "predecessor", "unknown_predecessor", plan=previous.meta.id, value=pred)
            lead = r.text(sh, n, v, "lead")
            if (
                lead is not None
                and lead not in code_row
                and lead not in name_to_code
                and lead not in added_members
                and lead not in added_name_to_code
            ):
                r.problem(sh, n, "lead", "unknown_member", value=lead)
            schedule = r.text(sh, n, v, "schedule")
            item: dict[str, Any] = {
                "id": iid,
                "name": name,
                "predecessor": pred,
                "lead": lead,
                "participants": [],
                "description": r.text(sh, n, v, "description"),
                "roles": {
                    "kumamoto": r.text(sh, n, v, "role_kumamoto"),
                    "neighbours": r.text(sh, n, v, "role_neighbours"),
                },
                "cost_sharing": r.text(sh, n, v, "cost_sharing"),
                "schedule": [x.strip() for x in schedule.splitlines() if x.strip()] if schedule else [],
                "budget": {},
                "subsidies": r.text(sh, n, v, "subsidies"),
                "effects": r.text(sh, n, v, "effects"),
                "source_line": r.integer(sh, n, v, "source_line"),
            }
            initiatives[iid] = item
            if aid in areas:
                areas[aid]["initiatives"].append(item)
    for aid, area in areas.items():
        if not area["initiatives"] and area_sheet is not None:
            r.problem(area_sheet, area_rows[aid], "id", "area_without_initiative", value=aid)

    # 関係市町村 (○ grid; columns are member names)
    sh = r.sheet("participants", None)
    if sh is not None:
        pc = cols["participants"]
        id_col = sh.header.get(pc["id"])
        member_cols: dict[int, str] = {}
        for head, i in sh.header.items():
            if head in (pc["id"], pc["name"]) or not head:
                continue
            code = name_to_code.get(head) or (head if head in code_row else None)
            code = code or added_name_to_code.get(head) or (head if head in added_members else None)
            if code is None:
                r.problems.append(Problem(sh.title, 1, head, msg["unknown_member"].format(value=head)))
            else:
                member_cols[i] = code
        if id_col is None:
            r.problem(sh.title, 1, None, "missing_column", column=pc["id"])
        else:
            seen = {}
            marked: set[str] = set()
            for n, v in sh.rows:
                iid = _s(v[id_col]) if id_col < len(v) else None
                if iid is None:
                    continue
                if iid in seen:
                    r.problems.append(
                        Problem(sh.title, n, pc["id"], msg["duplicate"].format(value=iid, first=seen[iid]))
                    )
                    continue
                seen[iid] = n
                if iid not in initiatives:
                    r.problems.append(Problem(sh.title, n, pc["id"], msg["unknown_initiative"].format(value=iid)))
                    continue
                codes = []
                for i, code in member_cols.items():
                    cell = _s(v[i]) if i < len(v) else None
                    if cell is None:
                        continue
                    head = next(h for h, j in sh.header.items() if j == i)
                    if cell != ch["mark"]:
                        r.problems.append(Problem(sh.title, n, head, msg["bad_mark"].format(value=cell)))
                        continue
                    if iid in added_inits and not member_on(code, added_inits[iid][0]):
                        r.problems.append(
                            Problem(
                                sh.title,
                                n,
                                head,
                                msg["not_member_on_date"].format(
                                    name=head, code=code, id=iid, date=date_ja(added_inits[iid][0])
                                ),
                            )
                        )
                    elif code in added_members and iid not in added_inits:
                        r.problems.append(
                            Problem(sh.title, n, head, msg["added_member_on_plan_initiative"].format(name=head, id=iid))
                        )
                        continue
                    if code not in added_members and not member_in_period(code):
                        r.problems.append(
                            Problem(
                                sh.title,
                                n,
                                head,
                                msg["not_member_in_period"].format(
                                    name=head,
                                    code=code,
                                    first=max(from_fiscal_year, years[0]) if years else "",
                                    last=years[-1] if years else "",
                                ),
                            )
                        )
                    codes.append(code)
                initiatives[iid]["participants"] = codes
                marked.add(iid)
                if not codes:
                    r.problems.append(Problem(sh.title, n, None, msg["no_participant"]))
                lead = initiatives[iid]["lead"]
                lead_code = name_to_code.get(lead, added_name_to_code.get(lead, lead)) if lead else None
                if lead_code and codes and lead_code not in codes:
                    r.problems.append(Problem(sh.title, n, None, msg["lead_not_participant"].format(value=lead)))
            for iid in initiatives:
                if iid not in marked:
                    r.problems.append(Problem(sh.title, None, None, msg["no_initiative_row"].format(value=iid)))

    # 事業費
    sh = r.sheet("budgets", None)
    if sh is not None:
        bc = cols["budgets"]
        year_cols = {}
        for head, i in sh.header.items():
            m = YEAR_HEADER.match(head)
            if m and head == bc["year"].format(year=m.group(1)):
                year_cols[i] = int(m.group(1))
        id_col, total_col = sh.header.get(bc["id"]), sh.header.get(bc["total"])
        if id_col is None:
            r.problem(sh.title, 1, None, "missing_column", column=bc["id"])
        else:
            seen = {}
            for n, v in sh.rows:
                iid = _s(v[id_col]) if id_col < len(v) else None
                if iid is None:
                    continue
                if iid in seen:
                    r.problems.append(
                        Problem(sh.title, n, bc["id"], msg["duplicate"].format(value=iid, first=seen[iid]))
                    )
                    continue
                seen[iid] = n
                if iid not in initiatives:
                    r.problems.append(Problem(sh.title, n, bc["id"], msg["unknown_initiative"].format(value=iid)))
                    continue
                budget: dict[str, Any] = {}

                def value(raw: Any, column: str, n: int = n, sheet: str = sh.title) -> Any:
                    if raw is None or (isinstance(raw, str) and not raw.strip()):
                        return None
                    if isinstance(raw, str) and raw.strip() == ch["undecided"]:
                        return ch["undecided"]
                    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and float(raw).is_integer():
                        if raw < 0:
                            r.problems.append(Problem(sheet, n, column, msg["negative"].format(value=raw)))
                        return int(raw)
                    r.problems.append(Problem(sheet, n, column, msg["bad_budget"].format(value=raw)))
                    return None

                for i, y in sorted(year_cols.items(), key=lambda t: t[1]):
                    head = bc["year"].format(year=y)
                    budget[str(y)] = value(v[i] if i < len(v) else None, head)
                total = value(v[total_col] if total_col is not None and total_col < len(v) else None, bc["total"])
                budget["total"] = total
                printed = [x for k, x in budget.items() if k != "total"]
                if (
                    isinstance(total, int)
                    and printed
                    and all(isinstance(x, int) for x in printed)
                    and sum(printed) != total
                ):
                    r.problems.append(
                        Problem(
                            sh.title,
                            n,
                            bc["total"],
                            msg["total_mismatch"].format(total=f"{total:,}", sum=f"{sum(printed):,}"),
                        )
                    )
                initiatives[iid]["budget"] = budget

    # KPI
    kpis: list[dict[str, Any]] = []
    sh = r.sheet(
        "kpis",
        cols["kpis"],
        ("id", "name", "measures", "unit", "baseline", "baseline_year", "target", "direction", "reporters"),
    )
    nodes = {str(p) for p in pillars} | set(areas) | {s["id"] for s in subfields}
    prev_kpis = {k.id for k in previous.kpis} if previous else set()
    if sh is not None:
        seen = {}
        for n, v in sh.rows:
            kid = r.text(sh, n, v, "id", required=True)
            r.unique(sh, n, "id", kid, seen)
            measures = r.text(sh, n, v, "measures", required=True)
            if measures is not None and measures not in nodes:
                r.problem(sh, n, "measures", "unknown_node", value=measures)
            d = r.text(sh, n, v, "direction", required=True)
            if d is not None and d not in directions:
                r.problem(sh, n, "direction", "bad_direction", value=d, choices="・".join(directions))
            rep = r.text(sh, n, v, "reporters", required=True)
            reporters: Any = None
            if rep == ch["all_members"]:
                reporters = "all"
            elif rep is not None:
                reporters = []
                for x in SPLIT.split(rep):
                    if not x:
                        continue
                    code = name_to_code.get(x, x)
                    if code not in code_row:
                        r.problem(sh, n, "reporters", "unknown_member", value=x)
                    else:
                        reporters.append(code)
            baseline = r.number(sh, n, v, "baseline", "missing_baseline")
            target = r.number(sh, n, v, "target", "missing_target")
            if (
                baseline is not None
                and target is not None
                and baseline == target
                and directions.get(d or "") in ("increase", "decrease")
            ):
                r.problem(sh, n, "target", "same_baseline_target")
            pred = r.text(sh, n, v, "predecessor")
            if pred is not None:
                if previous is None:
                    r.problem(sh, n, "predecessor", "no_previous_plan", value=pred)
                elif pred not in prev_kpis:
                    r.problem(sh, n, "predecessor", "unknown_predecessor", plan=previous.meta.id, value=pred)
            item = {
                "id": kid,
                "name": r.text(sh, n, v, "name", required=True),
                "measures": measures,
                "unit": r.text(sh, n, v, "unit", required=True),
                "baseline": _num(baseline),
                "baseline_year": r.year(sh, n, v, "baseline_year", required=True),
                "baseline_year_label": r.text(sh, n, v, "baseline_year_label"),
                "target": _num(target),
                "target_label": r.text(sh, n, v, "target_label"),
                "direction": directions.get(d or ""),
                "reporters": reporters,
                "source": r.text(sh, n, v, "source"),
                "notes": r.text(sh, n, v, "notes"),
                "allow_negative": r.flag(sh, n, v, "allow_negative"),
                "predecessor": pred,
                "new_series": r.flag(sh, n, v, "new_series"),
                "data_year_lag": r.integer(sh, n, v, "data_year_lag"),
                "source_line": r.integer(sh, n, v, "source_line"),
            }
            kpis.append(item)

    # 改定
    amendments: dict[str, dict[str, Any]] = {}
    sh = amend_sh
    if sh is not None:
        kpi_ids = {k["id"] for k in kpis}
        added_codes: dict[str, int] = {}
        added_rows: dict[str, int] = {}
        ended_rows: dict[str, int] = {}
        for n, v in sh.rows:
            aid = r.text(sh, n, v, "id", required=True)
            day = r.day(sh, n, v, "date", required=True)
            title = r.text(sh, n, v, "title", required=True)
            source = r.text(sh, n, v, "source", required=True)
            kind_label = r.text(sh, n, v, "kind", required=True)
            kind = kinds.get(kind_label or "")
            if kind_label is not None and kind is None:
                r.problem(sh, n, "kind", "bad_kind", value=kind_label, choices="・".join(kinds))
            obj = r.text(sh, n, v, "target", required=True)
            if aid is None or day is None:
                continue
            a = amendments.setdefault(
                aid,
                {
                    "id": aid,
                    "date": day,
                    "title": title,
                    "source": source,
                    "members_added": [],
                    "targets_revised": [],
                    "initiatives_added": [],
                    "initiatives_ended": [],
                },
            )
            if kind == "member_added" and obj is not None:
                if not check_digit_ok(obj):
                    r.problem(sh, n, "target", "bad_code", value=obj)
                    continue
                if obj in code_row:
                    r.problem(
                        sh,
                        n,
                        "target",
                        "duplicate",
                        value=obj,
                        first=f"{lab['sheets']['members']} {code_row[obj]}",
                    )
                    continue
                r.unique(sh, n, "target", obj, added_codes)
                joined = r.day(sh, n, v, "joined", required=True)
                inits = [x for x in SPLIT.split(r.text(sh, n, v, "initiatives") or "") if x]
                for x in inits:
                    if x not in initiatives:
                        r.problem(sh, n, "initiatives", "unknown_initiative", value=x)
                fy_first = r.year(sh, n, v, "first_fiscal_year")
                entry: dict[str, Any] = {
                    "code": obj,
                    "name": r.text(sh, n, v, "name", required=True),
                    "joined": joined,
                    "population": r.integer(sh, n, v, "population"),
                }
                if fy_first is not None:
                    entry["first_fiscal_year"] = fy_first
                entry["initiatives"] = inits
                a["members_added"].append(entry)
            elif kind == "target_revised" and obj is not None:
                if obj not in kpi_ids:
                    r.problem(sh, n, "target", "unknown_node", value=obj)
                    continue
                new_target = r.number(sh, n, v, "value", "missing_target")
                if new_target is not None:
                    rev: dict[str, Any] = {"kpi": obj, "target": _num(new_target)}
                    label = r.text(sh, n, v, "value_label")
                    if label:
                        rev["target_label"] = label
                    a["targets_revised"].append(rev)
            elif kind == "initiative_added" and obj is not None:
                if obj not in initiatives:
                    r.problem(sh, n, "target", "added_not_on_sheet", value=obj)
                    continue
                if current is not None and current.has_initiative(obj) and current.initiative(obj).added_by is None:
                    r.problem(sh, n, "target", "initiative_exists", value=obj)
                    continue
                if obj in added_rows:
                    r.unique(sh, n, "target", obj, added_rows)
                    continue
                added_rows[obj] = n
                fy_first = r.year(sh, n, v, "first_fiscal_year")
                if fy_first is not None and fy_first < fiscal_year_of(day):
                    r.problem(
                        sh,
                        n,
                        "first_fiscal_year",
                        "start_before_date",
                        value=fy_first,
                        date=day,
                        expected=fiscal_year_of(day),
                    )
                    continue
                a["initiatives_added"].append({"id": obj, "first_fiscal_year": fy_first})
            elif kind == "initiative_ended" and obj is not None:
                if obj not in initiatives:
                    r.problem(sh, n, "target", "unknown_initiative", value=obj)
                    continue
                if obj in ended_rows:
                    r.unique(sh, n, "target", obj, ended_rows)
                    continue
                ended_rows[obj] = n
                default_last = fiscal_year_of(day - timedelta(days=1))
                explicit = r.year(sh, n, v, "last_fiscal_year")
                if explicit is not None and explicit < default_last:
                    r.problem(
                        sh, n, "last_fiscal_year", "end_before_date", value=explicit, date=day, expected=default_last
                    )
                    continue
                last = explicit if explicit is not None else default_last
                start = added_inits[obj][1] if obj in added_inits else (years[0] if years else last)
                if last < start or (obj in added_inits and day < added_inits[obj][0]):
                    r.problem(sh, n, "target", "ends_before_start", value=obj, first=start, last=last)
                    continue
                a["initiatives_ended"].append({"id": obj} | ({"last_fiscal_year": explicit} if explicit else {}))

    files = _files(plan_id, meta, members, pillars, subfields, kpis, amendments, years)
    return files, r.problems


def _number_or_text(x: Any) -> int | float | str | None:
    """A cell of the 計画 sheet as a number when it reads as one (「2,000,000」 too), else its text (the plan check
    names what is wrong), None when empty."""
    if x in (None, ""):
        return None
    try:
        return _num(float(str(x).replace(",", "")))
    except ValueError:
        return str(x).strip()


def _num(x: float | None) -> int | float | None:
    if x is None:
        return None
    return int(x) if float(x).is_integer() else x


def _files(
    plan_id: str,
    meta: dict[str, Any],
    members: list[dict[str, Any]],
    pillars: dict[int, dict[str, Any]],
    subfields: list[dict[str, Any]],
    kpis: list[dict[str, Any]],
    amendments: dict[str, dict[str, Any]],
    years: tuple[int, ...],
) -> dict[str, str]:
    t = {k: _s(v) for k, v in meta.items()}
    # initiatives an amendment adds: written in the amendment's file, not in the pillar's
    moved: dict[str, dict[str, Any]] = {}
    for a in amendments.values():
        for entry in a["initiatives_added"]:
            for p in pillars.values():
                for block in p["areas"]:
                    for item in list(block["initiatives"]):
                        if item["id"] == entry["id"]:
                            block["initiatives"].remove(item)
                            moved[entry["id"]] = _added_initiative(item, block["id"], entry["first_fiscal_year"])
    head = "# vision-report plan import で計画ワークブックから作成。直すときはワークブックを直して取り込み直す。\n"
    plan: dict[str, Any] = {
        "id": plan_id,
        "title": t.get("title"),
        "alliance": t.get("alliance"),
        "revision": t.get("revision"),
    }
    if t.get("published"):
        plan["published"] = t["published"]
    if t.get("description"):
        plan["description"] = t["description"]
    plan["period"] = {
        "first_fiscal_year": years[0] if years else None,
        "last_fiscal_year": years[-1] if years else None,
    }
    if t.get("period_note"):
        plan["period"]["note"] = t["period_note"]
    plan["core_municipality"] = t.get("core_municipality")
    for k in ("office", "source", "population_as_of", "population_source", "budget_unit"):
        if t.get(k):
            plan[k] = t[k]
    goal_year = meta.get("population_goal_year")
    if goal_year not in (None, "") or t.get("population_goal_basis"):
        value = meta.get("population_goal_value")
        plan["population_goal"] = {
            "year": _number_or_text(goal_year),
            "value": _number_or_text(value),
            "basis": t.get("population_goal_basis"),
        }
    management = {k: t[f"management_{k}"] for k in ("structure", "kpi") if t.get(f"management_{k}")}
    if management:
        plan["management"] = management
    plan["pillar_files"] = [f"pillars/{pid}.yaml" for pid in pillars]
    plan["subfields"] = [dict(s) for s in subfields]
    totals = {
        k: _num(float(meta[f"total_{k}"]))
        for k in ("population", "households", "area_km2")
        if meta.get(f"total_{k}") not in (None, "")
    }
    if totals:
        plan["municipality_totals"] = totals
    files = {"plan.yaml": head + _dump(plan)}

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["code", "name", "population", "households", "area_km2", "joined", "left", "first_fiscal_year"])
    for m in members:
        w.writerow(
            [
                "" if m[k] is None else m[k]
                for k in ("code", "name", "population", "households", "area_km2", "joined", "left", "first_fiscal_year")
            ]
        )
    files["municipalities.csv"] = buf.getvalue()

    for pid, p in pillars.items():
        out_areas = []
        for a in p["areas"]:
            area: dict[str, Any] = {"id": a["id"], "name": a["name"]}
            if a["subfield"]:
                area["subfield"] = a["subfield"]
            if a["direction"]:
                area["direction"] = a["direction"]
            if a["agreement"]:
                area["agreement"] = a["agreement"]
            if a["source_line"] is not None:
                area["source_line"] = a["source_line"]
            area["initiatives"] = [
                {k: v for k, v in i.items() if v not in (None, [], {}) or k in ("participants", "budget")}
                for i in a["initiatives"]
            ]
            for i in area["initiatives"]:
                roles = {k: v for k, v in (i.get("roles") or {}).items() if v}
                if roles:
                    i["roles"] = roles
                else:
                    i.pop("roles", None)
            out_areas.append(area)
        doc: dict[str, Any] = {"id": pid, "name": p["name"]}
        if p["direction"]:
            doc["direction"] = p["direction"]
        if p["source_line"] is not None:
            doc["source_line"] = p["source_line"]
        doc["areas"] = out_areas
        files[f"pillars/{pid}.yaml"] = head + _dump(doc)

    files["kpis.yaml"] = head + _dump({"kpis": [{k: v for k, v in x.items() if v not in (None, False)} for x in kpis]})
    for aid, a in amendments.items():
        doc = {"id": aid, "date": a["date"], "title": a["title"], "source": a["source"]}
        if a["members_added"]:
            doc["members_added"] = a["members_added"]
        if a["targets_revised"]:
            doc["targets_revised"] = a["targets_revised"]
        if a["initiatives_added"]:
            doc["initiatives_added"] = [moved[x["id"]] for x in a["initiatives_added"] if x["id"] in moved]
        if a["initiatives_ended"]:
            doc["initiatives_ended"] = a["initiatives_ended"]
        safe = re.sub(r"[^0-9A-Za-z_.-]", "_", aid)
        files[f"amendments/{a['date'].isoformat()}_{safe}.yaml"] = head + _dump(doc)
    return files


def _added_initiative(item: dict[str, Any], area_id: str, first_fiscal_year: int | None) -> dict[str, Any]:
    """An initiative of the 取組 sheets as an amendment's ``initiatives_added`` entry (loader: amendments)."""
    out: dict[str, Any] = {"id": item["id"], "area": area_id}
    out |= {
        k: v
        for k, v in item.items()
        if k not in ("id", "predecessor", "source_line")
        and (v not in (None, [], {}) or k in ("participants", "budget"))
    }
    roles = {k: v for k, v in (out.get("roles") or {}).items() if v}
    if roles:
        out["roles"] = roles
    else:
        out.pop("roles", None)
    if first_fiscal_year is not None:
        out["first_fiscal_year"] = first_fiscal_year
    return out


def _lenient_day(v: Any) -> date | None:
    """A date cell read ahead without reporting (the row's own check reports it)."""
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    try:
        return date.fromisoformat(str(v).strip().replace("/", "-")) if v not in (None, "") else None
    except ValueError:
        return None


def format_problems(problems: list[Problem], templates: Path) -> list[str]:
    msg = labels(templates)["messages"]
    out = []
    for p in problems:
        if p.row is not None and p.column is not None:
            out.append(msg["location"].format(sheet=p.sheet, row=p.row, column=p.column, message=p.message))
        elif p.row is not None:
            out.append(msg["location_row"].format(sheet=p.sheet, row=p.row, message=p.message))
        elif p.sheet is not None:
            out.append(msg["location_sheet"].format(sheet=p.sheet, message=p.message))
        else:
            out.append(msg["location_plain"].format(message=p.message))
    return out


def write_plan_folder(files: dict[str, str], target: Path) -> None:
    """Write the files into a temporary folder beside ``target`` and swap it in with renames."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        for rel, text in files.items():
            p = tmp / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text, encoding="utf-8")
        old = None
        if target.exists():
            old = target.parent / f".{target.name}.old-{os.getpid()}"
            os.rename(target, old)
        os.rename(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def check_built(files: dict[str, str], parent: Path) -> tuple[Plan | None, list[str]]:
    """Load the built files with the ordinary loader (in a throw-away folder): its problems too."""
    with tempfile.TemporaryDirectory(prefix=".planbook-check-", dir=parent) as d:
        for rel, text in files.items():
            p = Path(d) / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text, encoding="utf-8")
        try:
            return load_plan(Path(d)), []
        except PlanError as exc:
            return None, exc.problems


PLANS_ITEM = re.compile(r"^(\s+)-\s*\{.*\bplan:\s*([^,}]+?)\s*\}\s*(#.*)?$")


def register_in_config(config_path: Path, plan_rel: str, first: int, last: int) -> None:
    """Add (or replace) ``- {from: first, to: last, plan: plan_rel}`` in ``plans:``, keeping every other line."""
    lines = config_path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next((n for n, line in enumerate(lines) if re.match(r"^plans:\s*(#.*)?$", line)), None)
    new = f"{{from: {first}, to: {last}, plan: {plan_rel}}}"
    if start is None:
        lines = [*lines, "plans:\n", f"  - {new}\n"]
    else:
        last_item, indent, replaced = start, "  ", False
        for n in range(start + 1, len(lines)):
            line = lines[n]
            if line.strip() == "" or line.lstrip().startswith("#"):
                continue
            if not line.startswith((" ", "\t")):
                break
            m = PLANS_ITEM.match(line)
            if m:
                indent = m.group(1)
                last_item = n
                if m.group(2).strip().strip("'\"").rstrip("/") == plan_rel:
                    lines[n] = f"{indent}- {new}\n"
                    replaced = True
        if not replaced:
            lines.insert(last_item + 1, f"{indent}- {new}\n")
    write_text(config_path, "".join(lines))

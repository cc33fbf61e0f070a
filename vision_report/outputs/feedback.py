"""Feedback for submitters: what was accepted, what must be fixed, row by row (Japanese)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from vision_report.core.textfmt import fmt_num, jinja_env, jst
from vision_report.core.vocabulary import (
    ACCEPTED_STATUSES,
    Severity,
    Status,
    hold_label,
    kind_labels,
    labels,
    location,
    severity_label,
    status_label,
)
from vision_report.intake.files import Issue, Received, submission_of
from vision_report.intake.normalize import HEADER_JA
from vision_report.plan import Plan


@dataclass(frozen=True)
class FeedbackItem:
    where: str
    message: str
    value: str | None
    expected: str | None
    rule: str = ""


def _item(i: Issue) -> FeedbackItem:
    where = location(i.row, i.column)
    sep = labels()["location"]["separator"]
    return FeedbackItem(where + sep if where else "", i.message, i.value, i.expected, i.rule)


MISSING_RESULT_RULE = "result_text_missing"  # expectations/submission_rows.json


def missing_results(rows, file_id: int | None) -> list[dict]:
    """Every row of one file marked 実施/一部実施 without 取組実績 (all of them: the warnings are capped per rule),
    in file order: where (row), item_id, name, status."""
    if rows is None or file_id is None or rows.empty or "result_text_ok" not in rows.columns:
        return []
    mine = rows[(rows["file_id"] == file_id) & ~rows["result_text_ok"].astype(bool)]
    if mine.empty:
        return []
    # only the columns read (a tuple type of every column of the rows was made per file: 1,741 files at scale)
    mine = mine[["row", "item_id", "plan_name", "name", "status"]].sort_values("row")
    return [
        {"where": location(int(r.row), None), "item_id": r.item_id, "name": r.plan_name or r.name, "status": r.status}
        for r in mine.itertuples()
    ]


# the columns whose filling the feedback counts (issue 18 item 7), in the order it lists them
COUNTED_COLUMNS = ("self_evaluation", "result_text")


def unfilled_counts(rows, file_id: int | None) -> list[dict]:
    """For one accepted file, how many of its expenditure rows have 自己評価 and 取組実績 filled: one dict per column
    of ``COUNTED_COLUMNS`` with fewer filled than rows (column = its Japanese header, filled, total, missing);
    [] when every row has both, or the file has no expenditure row."""
    if rows is None or file_id is None or rows.empty or "file_id" not in rows.columns:
        return []
    exp = (rows["file_id"] == file_id) & (rows["kind"] == "expenditure")  # a column filtered, not the frame
    total = int(exp.sum())
    out = []
    for col in COUNTED_COLUMNS:
        if not total:
            break
        values = rows[col][exp].fillna("").astype(str).str.strip() if col in rows.columns else pd.Series([""] * total)
        filled = int((values != "").sum())
        if filled < total:
            out.append({"column": HEADER_JA[col], "filled": filled, "total": total, "missing": total - filled})
    return out


def feedback_text(
    plan: Plan,
    fiscal_year: int,
    templates_dir: Path,
    *,
    code: str,
    name: str,
    rec: Received | None,
    status: str,
    accepted_summary: list[str] | None = None,
    other_files: list[Received] | None = None,
    rows=None,
    held=None,
) -> str:
    """templates/feedback.txt.j2 rendered for one submitter. ``rows``: the prepared rows of the screening (to list
    every row without 取組実績; without them the capped warnings say it); ``held``: its rows of the held values
    (要確認)."""
    ctx = feedback_context(
        plan,
        fiscal_year,
        code=code,
        name=name,
        rec=rec,
        status=status,
        accepted_summary=accepted_summary,
        other_files=other_files,
        rows=rows,
        held=held,
    )
    return jinja_env(templates_dir).get_template("feedback.txt.j2").render(**ctx)


def feedback_context(
    plan: Plan,
    fiscal_year: int,
    *,
    code: str,
    name: str,
    rec: Received | None,
    status: str,
    accepted_summary: list[str] | None = None,
    other_files: list[Received] | None = None,
    rows=None,
    held=None,
) -> dict:
    """Every variable templates/feedback.txt.j2 may use."""
    issues = sorted(rec.issues if rec else [], key=lambda i: (i.row or 0, i.column or "", i.rule))
    no_result = missing_results(rows, rec.file_id if rec else None)
    unfilled = unfilled_counts(rows, rec.file_id) if rec and status in ACCEPTED_STATUSES else []
    warnings = [_item(i) for i in issues if i.severity == Severity.WARNING]
    if no_result:  # listed in a section of their own, every one of them
        warnings = [w for w in warnings if w.rule != MISSING_RESULT_RULE]
    to_submit = []
    kinds = kind_labels()
    if status in (Status.MISSING, Status.REJECTED) and plan.is_member(code, fiscal_year):
        to_submit = [f"{kinds['expenditure']} {i.id} {i.name}（千円）" for i in plan.initiatives_of(code, fiscal_year)]
        to_submit += [f"{kinds['kpi']} {k.id} {k.name}（{k.unit}）" for k in plan.kpis_reported_by(code, fiscal_year)]
    ctx = {
        "plan_title": plan.meta.title,
        "fiscal_year": fiscal_year,
        "office": plan.meta.office or "",
        "municipality_name": name,
        "municipality_code": code,
        "file": rec.name if rec else None,
        "received_at": jst(rec.mtime) if rec and rec.mtime else "",
        "sha256": rec.sha256 if rec else None,
        "status_label": status_label(status, "long"),
        "status_explanation": status_label(status, "explanation"),
        "errors": [_item(i) for i in issues if i.severity == Severity.ERROR],
        "warnings": warnings,
        "missing_results": no_result,
        "unfilled": unfilled,
        "error_label": severity_label(Severity.ERROR),
        "error_heading": severity_label(Severity.ERROR, "long"),
        "warning_label": severity_label(Severity.WARNING),
        "warning_heading": severity_label(Severity.WARNING, "long"),
        "accepted_summary": accepted_summary or [],
        "other_files": [{"file": o.name, "status_label": status_label(o.status, "long")} for o in (other_files or [])],
        "to_submit": to_submit,
        "hold_mark": hold_label("mark"),
        "held": held_items(held),
    }
    return ctx


def _where(row) -> str:
    """「33行目：」 (the row of the file, as the issues above say it), "" without a row."""
    where = location(int(row), None) if row is not None and row == row and str(row) != "" else ""
    return where + labels()["location"]["separator"] if where else ""


def held_items(held) -> list[dict]:
    """Held values (confirmations.HELD_COLUMNS rows) for the feedback: what, the value, held or confirmed."""
    if held is None or len(held) == 0:
        return []
    kinds = kind_labels()
    out = []
    for h in held.to_dict("records"):
        confirmed = bool(h["confirmed"])
        out.append(
            {
                "where": _where(h["row"]),
                "what": f"{kinds.get(h['kind'], h['kind'])} {h['item_id']} {h['item_name']}".strip(),
                "value": f"{fmt_num(h['value'])} {h['unit']}".strip(),
                "messages": h["messages"],
                "confirmed": confirmed,
                "state": hold_label("confirmed" if confirmed else "held"),
                "confirmed_by": h["confirmed_by"],
                "confirmed_on": h["confirmed_on"],
            }
        )
    return out


def feedback_file_name(plan: Plan, code: str | None, sha256: str | None) -> str:
    """feedback/<code>_<name>.txt from the plan's member list, never from the name of the file received.

    A file that names no member gets <code>_構成市町村外 (or 不明) and the start of its content hash.
    """
    if code and plan.has_municipality(code):  # a member of another year keeps its own name
        return f"{code}_{plan.municipality(code).name}.txt"
    return f"{code or '不明'}_構成市町村外_{(sha256 or 'nohash')[:12]}.txt"


# the columns of the prepared rows that missing_results, unfilled_counts and accepted_summary read
_READ_FROM_ROWS = frozenset(
    ("file_id", "kind", "value", "item_id", "row", "plan_name", "name", "status", "result_text_ok", *COUNTED_COLUMNS)
)


def accepted_summary(rows, file_id: int, plan: Plan | None = None) -> list[str]:
    """What was taken from an accepted file: counts and totals, for its feedback (KPIs by name and unit when the
    plan is given, so that the clerk can compare them with what was sent)."""
    kinds = kind_labels()
    mine = rows["file_id"] == file_id
    kind, value = rows["kind"], rows["value"]  # columns, not the frame, are filtered (once per file at scale)
    exp = value[mine & (kind == "expenditure")]
    is_kpi = mine & (kind == "kpi")
    out = []
    if len(exp):
        out.append(f"{kinds['expenditure']} {len(exp)} 件（合計 {fmt_num(exp.sum())} 千円）")
    if is_kpi.any():
        pairs = zip(rows["item_id"][is_kpi].tolist(), value[is_kpi].tolist(), strict=True)
        out.append(
            f"{kinds['kpi']} {int(is_kpi.sum())} 件（"
            + "、".join(_kpi_value_text(plan, str(item), v) for item, v in pairs)
            + "）"
        )
    return out


def _kpi_value_text(plan: Plan | None, kpi_id: str, value) -> str:
    k = next((k for k in plan.kpis if k.id == kpi_id), None) if plan is not None else None
    return f"{k.name} {fmt_num(value)}{k.unit}" if k is not None else f"{kpi_id} {fmt_num(value)}"


def feedbacks(plan: Plan, fiscal_year: int, templates_dir: Path, screening, held=None) -> dict[str, str]:
    """Feedback text per feedback file name: every member of the plan, and every file from a non-member.
    ``held``: the year's held values (confirmations.HELD_COLUMNS), each told to its municipality."""
    out: dict[str, str] = {}
    by_code: dict[str, list[Received]] = {}
    for r in screening.received:
        if r.status == Status.PANEL_OPINIONS:  # the coordinator's file: nobody to give feedback to
            continue
        by_code.setdefault(r.municipality_code or "", []).append(r)
    members = plan.members(fiscal_year)
    member_codes = {m.code for m in members}
    # each file's own rows and held values, found once (filtering the year's rows for every member: 20 s at 1,741)
    rows = screening.rows
    if rows is not None:  # the columns the feedback reads (a file's rows are filtered five times; 67 columns each)
        rows = rows[[c for c in rows.columns if c in _READ_FROM_ROWS]]
    rows_of = dict(tuple(rows.groupby("file_id", sort=False))) if rows is not None and "file_id" in rows else {}
    no_rows = rows.iloc[0:0] if rows is not None else None
    held_of = dict(tuple(held.groupby("file", sort=False))) if held is not None and len(held) else {}
    for m in members:
        recs = sorted(by_code.get(m.code, []), key=lambda r: (r.mtime or 0, r.name))
        main = submission_of(recs)  # never a symlink, a stray PDF or a superseded file
        status = main.status if main else Status.MISSING.value
        own = rows_of.get(main.file_id, no_rows) if main else no_rows
        summary = accepted_summary(own, main.file_id, plan) if main and main.status in ACCEPTED_STATUSES else []
        out[feedback_file_name(plan, m.code, None)] = feedback_text(
            plan,
            fiscal_year,
            templates_dir,
            code=m.code,
            name=m.name,
            rec=main,
            status=status,
            accepted_summary=summary,
            other_files=[r for r in recs if r is not main],
            rows=own,
            held=held_of.get(main.name, held.iloc[0:0]) if held is not None and len(held) and main else None,
        )
    for code, recs in sorted(by_code.items()):
        if code in member_codes:
            continue
        for r in recs:
            key = r.sha256 or hashlib.sha256(r.name.encode("utf-8")).hexdigest()
            out[feedback_file_name(plan, code, key)] = feedback_text(
                plan, fiscal_year, templates_dir, code=code or "不明", name="構成市町村外", rec=r, status=r.status
            )
    return out

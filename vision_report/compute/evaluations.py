"""取組実績・成果・課題・今後の方向性・自己評価 per member and initiative (issue 13; docs/interface.md §5).

Pure functions: the plan and the accepted rows (screening.ACCEPTED_ROW_COLUMNS) in, a DataFrame out. One row per
member of the fiscal year × initiative it takes part in that year (the plan's order), whether or not it sent a row:
the columns of a member that sent nothing for the initiative are empty.
"""

from __future__ import annotations

import pandas as pd

from vision_report.intake.normalize import TEXT_COLUMNS
from vision_report.plan import Plan

KEY_COLUMNS = ["fiscal_year", "municipality_code", "municipality_name", "initiative_id", "initiative_name"]
EVALUATIONS_COLUMNS = [
    *KEY_COLUMNS,
    "status",
    "self_evaluation",
    "direction",
    *(f"{c}_chars" for c in TEXT_COLUMNS),
]
TEXTS_COLUMNS = [*KEY_COLUMNS, "status", "self_evaluation", "direction", *TEXT_COLUMNS]


def _text(v) -> str:
    return "" if v is None or (isinstance(v, float) and v != v) else str(v)


def _sent(accepted_rows: pd.DataFrame | None) -> dict[tuple[str, str], dict]:
    """(municipality_code, initiative_id) -> the accepted expenditure row, as a dict."""
    if accepted_rows is None or accepted_rows.empty:
        return {}
    exp = accepted_rows[accepted_rows["kind"] == "expenditure"]
    read = {"municipality_code", "item_id", "status", "self_evaluation", "direction", *TEXT_COLUMNS}
    exp = exp[[c for c in exp.columns if c in read]]  # what the tables read (every column as dicts: 1.6 s at 1,741)
    return {(str(r["municipality_code"]), str(r["item_id"])): r for r in exp.to_dict("records")}


def _rows(plan: Plan, accepted_rows: pd.DataFrame | None, fiscal_year: int):
    sent = _sent(accepted_rows)
    for m in plan.members(fiscal_year):
        for ini in plan.initiatives_of(m.code, fiscal_year):
            yield m, ini, sent.get((m.code, ini.id))


def _key(fiscal_year: int, m, ini) -> dict:
    """The columns that name a row of evaluations.csv and initiative_texts.csv (member × initiative)."""
    return {
        "fiscal_year": fiscal_year,
        "municipality_code": m.code,
        "municipality_name": m.name,
        "initiative_id": ini.id,
        "initiative_name": ini.name,
    }


def evaluations_table(plan: Plan, accepted_rows: pd.DataFrame | None, fiscal_year: int) -> pd.DataFrame:
    """evaluations.csv: 実施状況, 自己評価, 今後の方向性 and the length (characters, a line break counts 1) of each
    text; the counts are empty (not 0) where the member sent no row for the initiative."""
    out = []
    for m, ini, r in _rows(plan, accepted_rows, fiscal_year):
        row = _key(fiscal_year, m, ini) | {
            c: _text(r.get(c)) if r else "" for c in ("status", "self_evaluation", "direction")
        }
        for c in TEXT_COLUMNS:
            row[f"{c}_chars"] = len(_text(r.get(c))) if r else None
        out.append(row)
    df = pd.DataFrame(out, columns=EVALUATIONS_COLUMNS)
    for c in TEXT_COLUMNS:
        df[f"{c}_chars"] = df[f"{c}_chars"].astype("Int64")
    return df


def texts_table(plan: Plan, accepted_rows: pd.DataFrame | None, fiscal_year: int) -> pd.DataFrame:
    """initiative_texts.csv: the same rows as :func:`evaluations_table` with the full texts (line breaks kept)."""
    out = []
    for m, ini, r in _rows(plan, accepted_rows, fiscal_year):
        row = _key(fiscal_year, m, ini)
        for c in ("status", "self_evaluation", "direction", *TEXT_COLUMNS):
            row[c] = _text(r.get(c)) if r else ""
        out.append(row)
    return pd.DataFrame(out, columns=TEXTS_COLUMNS)

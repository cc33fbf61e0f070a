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
    """A cell as text: a missing value (None, NaN, pandas' NA) is empty."""
    return "" if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v)


def _rows(plan: Plan, accepted_rows: pd.DataFrame | None, fiscal_year: int, columns: tuple[str, ...]):
    """The rows of the tables (member × initiative, the plan's order) as columns: the key columns, whether the member
    sent an accepted expenditure row for the initiative, and that row's ``columns`` (None where it sent none, or the
    rows lack the column). Read a column at a time: 121,870 rows at 1,741 members, each row boxed value by value by
    ``to_dict`` took 2.9 s."""
    keys: dict[str, list] = {c: [] for c in KEY_COLUMNS if c != "fiscal_year"}
    for m in plan.members(fiscal_year):
        for ini in plan.initiatives_of(m.code, fiscal_year):
            keys["municipality_code"].append(m.code)
            keys["municipality_name"].append(m.name)
            keys["initiative_id"].append(ini.id)
            keys["initiative_name"].append(ini.name)
    n = len(keys["municipality_code"])
    out = {"fiscal_year": [fiscal_year] * n, **keys}
    exp = None
    if accepted_rows is not None and not accepted_rows.empty:
        exp = accepted_rows[accepted_rows["kind"] == "expenditure"]
    if exp is None or exp.empty:
        return out, [False] * n, {c: [None] * n for c in columns}
    codes = exp["municipality_code"].astype(str).tolist()
    items = exp["item_id"].astype(str).tolist()
    at = {key: k for k, key in enumerate(zip(codes, items, strict=True))}  # a key sent twice: its last row
    where = [at.get(key) for key in zip(keys["municipality_code"], keys["initiative_id"], strict=True)]
    sent = [k is not None for k in where]
    values = {}
    for c in columns:
        given = exp[c].tolist() if c in exp.columns else [None] * len(exp)
        values[c] = [given[k] if k is not None else None for k in where]
    return out, sent, values


def _frame(out: dict[str, list], columns: list[str]) -> pd.DataFrame:
    """The table of ``out``'s columns; a year without members an empty table of text columns (pandas makes an empty
    list a column of floats)."""
    return pd.DataFrame(out if out["fiscal_year"] else [], columns=columns)


def evaluations_table(plan: Plan, accepted_rows: pd.DataFrame | None, fiscal_year: int) -> pd.DataFrame:
    """evaluations.csv: 実施状況, 自己評価, 今後の方向性 and the length (characters, a line break counts 1) of each
    text; the counts are empty (not 0) where the member sent no row for the initiative."""
    out, sent, values = _rows(
        plan, accepted_rows, fiscal_year, ("status", "self_evaluation", "direction", *TEXT_COLUMNS)
    )
    for c in ("status", "self_evaluation", "direction"):
        out[c] = [_text(v) for v in values[c]]
    for c in TEXT_COLUMNS:
        out[f"{c}_chars"] = [len(_text(v)) if s else None for v, s in zip(values[c], sent, strict=True)]
    df = _frame(out, EVALUATIONS_COLUMNS)
    for c in TEXT_COLUMNS:
        df[f"{c}_chars"] = df[f"{c}_chars"].astype("Int64")
    return df


def texts_table(plan: Plan, accepted_rows: pd.DataFrame | None, fiscal_year: int) -> pd.DataFrame:
    """initiative_texts.csv: the same rows as :func:`evaluations_table` with the full texts (line breaks kept)."""
    columns = ("status", "self_evaluation", "direction", *TEXT_COLUMNS)
    out, _, values = _rows(plan, accepted_rows, fiscal_year, columns)
    for c in columns:
        out[c] = [_text(v) for v in values[c]]
    return _frame(out, TEXTS_COLUMNS)

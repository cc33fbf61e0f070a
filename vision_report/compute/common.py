"""Helpers shared by the compute modules: rows of one kind, NaN-safe sums and percentages, the grades, and
the column that counts held values.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from vision_report.intake.normalize import COMPUTED_ROW_COLUMNS

GRADES = ("A", "B", "C", "D")


NO_RATING = "-"


def _rows(rows: pd.DataFrame | None, kind: str) -> pd.DataFrame:
    """The rows of one kind, tolerating an empty frame without columns and a missing status column."""
    if rows is None or len(rows) == 0:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c == "value" else "object") for c in COMPUTED_ROW_COLUMNS})
    out = rows[rows["kind"] == kind]
    if "status" not in out.columns:
        out = out.assign(status=None)
    return out


def _is_nan(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _pct(numerator: float, denominator: float) -> float:
    """numerator / denominator × 100; NaN when either is missing or the denominator is 0."""
    if _is_nan(numerator) or _is_nan(denominator) or denominator == 0:
        return np.nan
    return float(numerator) / float(denominator) * 100


def _sum_or_nan(values: pd.Series) -> float:
    """Sum skipping NaN; NaN when there is no value at all."""
    v = pd.to_numeric(values, errors="coerce").dropna()
    return float(v.sum()) if len(v) else np.nan


# appended to kpi_attainment, budget_execution and rollup by compute_year: how many values of the row's figures are
# held out as probable errors (要確認, docs/interface.md §3) until a coordinator confirms them
HELD_COUNT_COLUMN = "values_held"

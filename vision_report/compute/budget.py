"""Budget execution of one fiscal year per initiative (docs/interface.md §4): actual spend, 執行率 and the
participants' 実施状況.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vision_report.compute.common import _pct, _rows, _sum_or_nan
from vision_report.intake.normalize import STATUSES

BUDGET_COLUMNS = [
    "initiative_id",
    "initiative_name",
    "planned_thousand_yen",
    "actual_thousand_yen",
    "execution_pct",
    "participants_expected",
    "participants_reported",
    # extra columns
    "area_id",
    "pillar",
    "subfield",
    "plan_note_code",
    "n_implemented",
    "n_partial",
    "n_not_implemented",
    "n_completed",
    "implemented_by_all",
]


# 実施状況 (the values submissions carry, intake.normalize.STATUSES) -> count column of budget_execution
IMPLEMENTED, PARTIAL, NOT_IMPLEMENTED, COMPLETED = STATUSES


STATUS_COLUMNS = {
    IMPLEMENTED: "n_implemented",
    PARTIAL: "n_partial",
    NOT_IMPLEMENTED: "n_not_implemented",
    COMPLETED: "n_completed",
}


DONE_STATUSES = (IMPLEMENTED, COMPLETED)


def budget_execution(initiatives: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """執行率 per initiative (docs/interface.md §4), one row per row of ``initiatives`` in the same order.

    actual_thousand_yen = Σ the participants' expenditure (NaN if nobody reported); execution_pct = actual /
    planned × 100, NaN where the plan is 0, 未定 or blank. n_* count participants by 実施状況;
    implemented_by_all is True when every expected participant reported 実施 or 完了.
    """
    exp = _rows(rows, "expenditure")
    groups = {item: g for item, g in exp.groupby("item_id", sort=False)} if len(exp) else {}
    records = []
    for i in initiatives.itertuples(index=False):
        g = groups.get(i.initiative_id)
        reported = int(g["municipality_code"].nunique()) if g is not None else 0
        actual = _sum_or_nan(g["value"]) if g is not None and reported else np.nan
        planned = float(i.planned_thousand_yen)
        counts = dict.fromkeys(STATUS_COLUMNS.values(), 0)
        done: set[str] = set()
        if g is not None:
            for code, status in zip(g["municipality_code"], g["status"], strict=True):
                if status in STATUS_COLUMNS:
                    counts[STATUS_COLUMNS[status]] += 1
                    if status in DONE_STATUSES:
                        done.add(code)
        expected = int(i.participants_expected)
        records.append(
            [
                i.initiative_id,
                i.initiative_name,
                planned,
                actual,
                _pct(actual, planned),
                expected,
                reported,
                i.area_id,
                i.pillar,
                i.subfield,
                i.plan_note_code,
                *counts.values(),
                expected > 0 and len(done) >= expected,
            ]
        )
    return pd.DataFrame(records, columns=BUDGET_COLUMNS).astype(
        {
            "planned_thousand_yen": "float64",
            "actual_thousand_yen": "float64",
            "execution_pct": "float64",
            "participants_expected": "int64",
            "participants_reported": "int64",
            "n_implemented": "int64",
            "n_partial": "int64",
            "n_not_implemented": "int64",
            "n_completed": "int64",
            "implemented_by_all": "bool",
        }
    )

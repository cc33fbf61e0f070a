"""Histories across fiscal years: KPI actuals and initiative spend one column per year, and the years without
any accepted submission (提出なし).
"""

from __future__ import annotations

import pandas as pd

from vision_report.compute.common import HELD_COUNT_COLUMN
from vision_report.plan import Plan


def history(per_year: dict[int, pd.DataFrame], key: str, value: str) -> pd.DataFrame:
    """Wide table: ``key``, then one column per fiscal year ("2021", "2022", … ascending) holding ``value``.

    Rows follow the newest year's order; keys found only in older years follow, in the order first met going
    back in time. A key absent from a year is NaN there.
    """
    years = sorted(per_year)
    keys: list = []
    for y in reversed(years):
        for k in per_year[y][key]:
            if k not in keys:
                keys.append(k)
    out = pd.DataFrame({key: pd.Series(keys, dtype=per_year[years[-1]][key].dtype if years else "object")})
    for y in years:
        out[str(y)] = out[key].map(per_year[y].set_index(key)[value])
    return out


def no_submission_years(per_year: dict[int, dict[str, pd.DataFrame]]) -> list[int]:
    """The fiscal years of ``per_year`` (tables of :func:`compute_year`) without a single accepted value: no KPI
    value, no expenditure row, nothing held. Their figures are missing, not 0: histories, period tables and charts
    keep the year and mark it 提出なし (templates/labels.yaml history.no_submissions)."""
    out = []
    for y in sorted(per_year):
        t = per_year[y]
        k, b = t["kpi_attainment"], t["budget_execution"]
        received = int(k["reporters_received_all"].sum()) if "reporters_received_all" in k else 0
        received += int(k["reporters_received"].sum()) + int(b["participants_reported"].sum())
        held = sum(int(x[HELD_COUNT_COLUMN].sum()) for x in (k, b) if HELD_COUNT_COLUMN in x)
        if received == 0 and held == 0:
            out.append(y)
    return out


def history_tables(plan: Plan, per_year: dict[int, dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    """KPI actuals and initiative spend FY(first)..FY, one column per year of ``per_year`` (a year without
    submissions is a column of NaN: see :func:`no_submission_years`)."""
    years = sorted(per_year)
    kpi = history({y: per_year[y]["kpi_attainment"] for y in years}, "kpi_id", "actual")
    kpi_meta = per_year[years[-1]]["kpi_attainment"][["kpi_id", "kpi_name", "unit", "baseline", "target"]]
    kpi = kpi_meta.merge(kpi, on="kpi_id", how="left")
    bud = history({y: per_year[y]["budget_execution"] for y in years}, "initiative_id", "actual_thousand_yen")
    shown = [i for i in plan.initiatives if any(i.runs_in(y) for y in years)]  # those that ran in one of the years
    plan_cols = pd.DataFrame({"initiative_id": [i.id for i in shown], "initiative_name": [i.name for i in shown]})
    bud = plan_cols.merge(bud, on="initiative_id", how="left")
    return {"kpi_history": kpi, "budget_history": bud}

"""The tables of one fiscal year (compute_year): docs/interface.md §4 computation as pure functions, DataFrame in,
DataFrame out, in plan (document) order. The steps live beside it: plan_tables, kpis, budget, rollup; the tables
across years in history and period.

Nothing here reads or writes files or prints; the same inputs always give the same frames.

Input ``rows`` are the rows of ACCEPTED submissions of one fiscal year, with columns
municipality_code (str), kind ("expenditure" | "kpi"), item_id (initiative id or KPI id), value (float, already in
the canonical unit: 千円 for expenditure, the KPI's own unit for kpi) and status (実施 / 一部実施 / 未実施 / 完了 or
None; expenditure only). Extra columns are ignored.

Percentages keep full float precision in the frames (outputs format them, every one through textfmt.round_half_up).
Ratings compare the exact decimal value the percentage stands for (textfmt.exact) with the thresholds, so that a
value that is exactly on a boundary in decimal arithmetic (e.g. 4.52 / 5.65 = 80 %) is not pushed below it by binary
floating-point noise (79.99999999999999).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vision_report.compute.budget import budget_execution
from vision_report.compute.common import HELD_COUNT_COLUMN
from vision_report.compute.kpis import REASON_HELD, REASON_SEPARATOR, kpi_attainment
from vision_report.compute.plan_tables import kpi_basis_sizes, kpi_reporter_sets, plan_initiative_table, plan_kpi_table
from vision_report.compute.rollup import _rollup_nodes, rollup
from vision_report.core.config import Settings
from vision_report.plan import Plan


def counted_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows the totals count: without held KPI values (as if not received: the KPI is then provisional), and
    with held expenditure values as NaN (the municipality's 実施状況 still counts, its amount does not). Rows
    without a ``held`` column are all counted."""
    if rows is None or len(rows) == 0 or "held" not in rows.columns:
        return rows
    held = rows["held"].astype(bool)
    out = rows[~(held & (rows["kind"] == "kpi"))].copy()
    out.loc[out["held"].astype(bool), "value"] = np.nan
    return out.drop(columns="held")


def _held_counts(rows: pd.DataFrame, kind: str) -> dict[str, int]:
    if rows is None or len(rows) == 0 or "held" not in rows.columns:
        return {}
    h = rows[rows["held"].astype(bool) & (rows["kind"] == kind)]
    return {str(k): int(v) for k, v in h.groupby("item_id", sort=False).size().items()}


def compute_year(plan: Plan, fiscal_year: int, rows: pd.DataFrame, settings: Settings) -> dict[str, pd.DataFrame]:
    """Every table of one fiscal year from its accepted rows: kpi_attainment, budget_execution, rollup.

    Rows marked ``held`` (confirmations.mark_held) are left out of every figure (see :func:`counted_rows`); each
    table gets HELD_COUNT_COLUMN at its end, and a KPI with a held value has the code "held" in its
    rating_reason_codes."""
    plan = plan.as_of(fiscal_year)  # the KPI targets in force that year (an amendment dated later changes none)
    counted = counted_rows(rows)
    basis, everyone = kpi_reporter_sets(plan, fiscal_year)
    kpi = kpi_attainment(
        plan_kpi_table(plan, fiscal_year),
        counted,
        basis,
        settings.ratings,
        all_reporters=everyone,
        basis_sizes=kpi_basis_sizes(plan),
    )
    budget = budget_execution(plan_initiative_table(plan, fiscal_year), counted)
    held_kpi, held_exp = _held_counts(rows, "kpi"), _held_counts(rows, "expenditure")
    kpi[HELD_COUNT_COLUMN] = kpi["kpi_id"].map(lambda k: held_kpi.get(k, 0)).astype("int64")
    kpi["rating_reason_codes"] = [
        REASON_SEPARATOR.join(p for p in (r, REASON_HELD if n else "") if p)
        for r, n in zip(kpi["rating_reason_codes"], kpi[HELD_COUNT_COLUMN], strict=True)
    ]
    budget[HELD_COUNT_COLUMN] = budget["initiative_id"].map(lambda i: held_exp.get(i, 0)).astype("int64")
    roll = rollup(plan, kpi, budget)
    kpi_held = kpi.set_index("kpi_id")[HELD_COUNT_COLUMN]
    budget_held = budget.set_index("initiative_id")[HELD_COUNT_COLUMN]
    roll[HELD_COUNT_COLUMN] = [
        int(kpi_held.reindex([k for k in ids.split(";") if k]).sum()) + int(budget_held.reindex(list(inits)).sum())
        for ids, (_l, _n, _name, _s, inits) in zip(roll["kpi_ids"], _rollup_nodes(plan), strict=True)
    ]
    roll[HELD_COUNT_COLUMN] = roll[HELD_COUNT_COLUMN].astype("int64")
    return {"kpi_attainment": kpi, "budget_execution": budget, "rollup": roll}

"""Continuity across plans: the years of the previous plan seen through the new plan's ids.

A KPI or initiative of the new plan may name its ``predecessor`` (its id in the previous plan). The results of a year
of the previous plan (computed with that plan) are re-keyed to the new plan: every KPI and initiative of the new plan
gets a row; those with a predecessor carry the predecessor's figures, the others are empty. A KPI whose definition
changed (``new_series``) is not carried: its series starts with the new plan. Pure functions (tables in, tables out).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from vision_report.plan.models import Plan


def carried_kpis(new: Plan, old: Plan) -> dict[str, str]:
    """new KPI id -> old KPI id for the KPIs whose series continues across the boundary."""
    return {k.id: k.predecessor for k in new.kpis if k.predecessor and not k.new_series and old.has_kpi(k.predecessor)}


def new_series_kpis(new: Plan, old: Plan) -> list[tuple[str, str]]:
    """(new id, old id) of the KPIs that name a predecessor but start a new series (their definition changed)."""
    return [(k.id, k.predecessor) for k in new.kpis if k.predecessor and k.new_series and old.has_kpi(k.predecessor)]


def carried_initiatives(new: Plan, old: Plan) -> dict[str, str]:
    """new initiative id -> old initiative id for the initiatives that continue."""
    return {i.id: i.predecessor for i in new.initiatives if i.predecessor and old.has_initiative(i.predecessor)}


def _rekey(empty: pd.DataFrame, old: pd.DataFrame, key: str, mapping: dict[str, str], keep: list[str]) -> pd.DataFrame:
    """``empty`` (the new plan's rows for the year, no figures) with the figures of ``old`` for mapped keys; the
    columns in ``keep`` (names of the new plan) stay as they are."""
    out = empty.copy()
    old_idx = old.set_index(key)
    for n, new_id in enumerate(out[key]):
        old_id = mapping.get(new_id)
        if old_id is None or old_id not in old_idx.index:
            continue
        for col in out.columns:
            if col == key or col in keep or col not in old_idx.columns:
                continue
            out.at[n, col] = old_idx.at[old_id, col]
    return out.astype(empty.dtypes.to_dict(), errors="ignore")


def rekey_results(
    new: Plan, old: Plan, old_results: dict[str, pd.DataFrame], new_empty: dict[str, pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    """A year of the previous plan as the new plan sees it. ``old_results``: compute_year of the old plan for the
    year; ``new_empty``: compute_year of the new plan for the same year with no rows (the shape: every new id)."""
    return {
        "kpi_attainment": _rekey(
            new_empty["kpi_attainment"],
            old_results["kpi_attainment"],
            "kpi_id",
            carried_kpis(new, old),
            ["kpi_name", "direction", "measures"],
        ),
        "budget_execution": _rekey(
            new_empty["budget_execution"],
            old_results["budget_execution"],
            "initiative_id",
            carried_initiatives(new, old),
            ["initiative_name", "area_id", "pillar", "subfield"],
        ),
        "rollup": new_empty["rollup"],
    }


def previous_plan_years(settings, plan: Plan, fiscal_year: int, inputs: Path) -> list[tuple[int, Path]]:
    """(fiscal year, plan folder) of the years before ``plan`` starts that another plan of the config covers and
    that have an inputs/<FY>/ folder, ascending; only when ``plan`` names a predecessor for something."""
    if not any(k.predecessor for k in plan.kpis) and not any(i.predecessor for i in plan.initiatives):
        return []
    out = []
    for r in settings.plans:
        if r.first_fiscal_year is None or r.last_fiscal_year is None:
            continue
        for fy in range(r.first_fiscal_year, r.last_fiscal_year + 1):
            if fy < plan.meta.first_fiscal_year and fy < fiscal_year and (inputs / str(fy)).is_dir():
                out.append((fy, r.plan_dir))
    return sorted(out)

"""The plan as tables for computation: its KPIs and initiatives in plan order, the expected reporters and
participants of a fiscal year, the planned budget of a year (with a code where the plan prints no number).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vision_report.plan import Plan
from vision_report.plan.models import UNDECIDED

KPI_PLAN_COLUMNS = [
    "kpi_id",
    "kpi_name",
    "unit",
    "baseline",
    "target",
    "direction",
    "measures",
    "reporters_expected",
    "baseline_year",
]


INITIATIVE_PLAN_COLUMNS = [
    "initiative_id",
    "initiative_name",
    "area_id",
    "pillar",
    "subfield",
    "planned_thousand_yen",
    "plan_note_code",
    "participants_expected",
]


# plan_note_code: why planned_thousand_yen is NaN ("" where the plan prints a number); outputs/words.py words it as
# plan_note (templates/labels.yaml plan_note:)
NOTE_UNDECIDED = "undecided"  # the plan prints 未定 for the year


NOTE_BLANK = "blank"  # the plan prints nothing for the year (e.g. only a total)


def plan_kpi_table(plan: Plan, fiscal_year: int | None = None) -> pd.DataFrame:
    """The plan's KPIs, one row each in plan order.

    reporters_expected: without a fiscal year, every municipality of the plan that reports the KPI in some year;
    with one, the expected reporters of that year on the plan's basis (``Plan.kpi_basis_reporters``).
    """
    records = []
    for k in plan.kpis:
        n = len(k.reporters) if fiscal_year is None else len(plan.kpi_basis_reporters(k.id, fiscal_year))
        records.append(
            [k.id, k.name, k.unit, float(k.baseline), float(k.target), k.direction, k.measures, n, k.baseline_year]
        )
    return pd.DataFrame(records, columns=KPI_PLAN_COLUMNS).astype(
        {"baseline": "float64", "target": "float64", "reporters_expected": "int64", "baseline_year": "int64"}
    )


def kpi_basis_sizes(plan: Plan) -> dict[str, int]:
    """Per KPI id, how many municipalities its baseline and target were set for: the plan's basis members that
    report it (the ``basis_sizes`` argument of :func:`kpi_attainment`)."""
    return {k.id: sum(1 for c in k.reporters if plan.is_basis_member(c)) for k in plan.kpis}


def kpi_reporter_sets(plan: Plan, fiscal_year: int) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """(basis, all) expected reporters per KPI id for ``fiscal_year``: the arguments ``reporters`` and
    ``all_reporters`` of :func:`kpi_attainment`. basis = the year's reporters that are among the plan's basis
    members (the set the baseline and target were set for); all = every reporter of that year."""
    basis = {k.id: plan.kpi_basis_reporters(k.id, fiscal_year) for k in plan.kpis}
    everyone = {k.id: plan.kpi_reporters(k.id, fiscal_year) for k in plan.kpis}
    return basis, everyone


def plan_initiative_table(plan: Plan, fiscal_year: int) -> pd.DataFrame:
    """The plan's initiatives that run in ``fiscal_year`` with the budget planned for it (千円), in plan order.

    participants_expected counts the participants that are members in ``fiscal_year`` (``Plan.participants``).

    planned_thousand_yen is NaN where the plan prints 未定 (plan_note_code "undecided") or nothing for that year
    (plan_note_code "blank", e.g. only a total is printed); plan_note_code is "" where a number is printed.
    """
    records = []
    for i in plan.initiatives_in(fiscal_year):  # an initiative added or ended by an amendment: its years only
        p = i.budget.planned(fiscal_year)
        if isinstance(p, int):
            planned, note = float(p), ""
        else:
            planned, note = np.nan, (NOTE_UNDECIDED if p == UNDECIDED else NOTE_BLANK)
        area = plan.area(i.area_id)
        n = len(plan.participants(i.id, fiscal_year))
        records.append([i.id, i.name, i.area_id, area.pillar, area.subfield, planned, note, n])
    return pd.DataFrame(records, columns=INITIATIVE_PLAN_COLUMNS).astype(
        {"pillar": "int64", "planned_thousand_yen": "float64", "participants_expected": "int64"}
    )

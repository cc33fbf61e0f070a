"""計画期間の総括: every KPI from its baseline to the final value with whether it met its target, and budget plan vs
actual per initiative and per pillar, sub-field and area over the plan period (or the period to date).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vision_report.compute.budget import DONE_STATUSES, STATUS_COLUMNS
from vision_report.compute.common import _is_nan, _pct, _sum_or_nan
from vision_report.compute.history import no_submission_years
from vision_report.compute.plan_tables import plan_kpi_table
from vision_report.compute.rollup import _rollup_nodes
from vision_report.core.config import Settings
from vision_report.plan import Plan
from vision_report.plan.models import UNDECIDED

# final_rule: how the final value is compared with the target (configuration final_evaluation.achieved_if)
RULES = (">=", "<=")


def period_kpi_summary(
    kpis: pd.DataFrame,
    per_year: dict[int, pd.DataFrame],
    rules: dict[str, str],
    *,
    years: range | list[int] | None = None,
    data_year_lag: dict[str, int] | None = None,
) -> pd.DataFrame:
    """Every KPI from its baseline through each fiscal year to the final value, and 達成/未達成 against the target.

    ``kpis``: :func:`plan_kpi_table`; ``per_year``: fiscal year -> :func:`kpi_attainment` of that year (its actual
    and provisional columns, i.e. on the plan's basis); ``rules``: direction -> ">=" or "<=" (configuration
    ``final_evaluation.achieved_if``). One column per fiscal year ("2021", …). The final value is the newest year's
    actual that is not missing (final_value_year says which; for other than the plan's last year this is the figure
    to date); target_met is True when ``final_value <final_rule> target``, else False, NA without any value
    (outputs/words.py words final_rule and target_met as rule and achieved: 達成 / 未達成 / "-").
    final_provisional is that year's provisional flag; provisional_years lists every provisional year (";").
    ``years`` (default: those of ``per_year``) are the columns: a year missing from ``per_year`` is a column of NaN.
    attainment_pct is the final value's 達成率 and gap_to_target = final − target. final_data_year is the year of the
    statistic the final value is (統計の年: final_value_year − ``data_year_lag[kpi_id]``, default lag 0).
    """
    years = sorted(set(years if years is not None else per_year))
    indexed = {y: per_year[y].set_index("kpi_id") for y in years if y in per_year}
    records = []
    for k in kpis.itertuples(index=False):
        values = {}
        provisional = []
        for y in years:
            t = indexed.get(y)
            if t is None:
                values[y] = np.nan
                continue
            values[y] = float(t.at[k.kpi_id, "actual"]) if k.kpi_id in t.index else np.nan
            if k.kpi_id in t.index and bool(t.at[k.kpi_id, "provisional"]):
                provisional.append(str(y))
        have = [y for y in years if not _is_nan(values[y])]
        rule = rules.get(k.direction)
        if rule not in RULES:
            raise ValueError(f"no final_evaluation rule for direction {k.direction!r}")
        if have:
            final_year = have[-1]
            final = values[final_year]
            met: bool | None = bool(final >= k.target if rule == ">=" else final <= k.target)
            final_provisional = str(final_year) in provisional
        else:
            final_year, final, met, final_provisional = None, np.nan, None, False
        attainment = _pct(k.target, final) if k.direction == "decrease" else _pct(final, k.target)
        records.append(
            [
                k.kpi_id,
                k.kpi_name,
                k.unit,
                k.direction,
                float(k.baseline),
                int(k.baseline_year),
                *values.values(),
                final,
                final_year,
                final_provisional,
                float(k.target),
                rule,
                met,
                ";".join(provisional),
                attainment,
                final - float(k.target) if not _is_nan(final) else np.nan,
                final_year - (data_year_lag or {}).get(k.kpi_id, 0) if final_year is not None else None,
            ]
        )
    columns = [
        "kpi_id",
        "kpi_name",
        "unit",
        "direction",
        "baseline",
        "baseline_year",
        *(str(y) for y in years),
        "final_value",
        "final_value_year",
        "final_provisional",
        "target",
        "final_rule",
        "target_met",
        "provisional_years",
        # 達成率 of the final value (as docs/interface.md §4) and its gap to the target (final − target, KPI's unit)
        "attainment_pct",
        "gap_to_target",
        "final_data_year",
    ]
    return pd.DataFrame(records, columns=columns).astype(
        {
            "baseline": "float64",
            "baseline_year": "int64",
            **{str(y): "float64" for y in years},
            "final_value": "float64",
            "final_value_year": "Int64",
            "final_provisional": "bool",
            "target": "float64",
            "target_met": "boolean",
            "attainment_pct": "float64",
            "gap_to_target": "float64",
            "final_data_year": "Int64",
        }
    )


PERIOD_BUDGET_COLUMNS = [
    "initiative_id",
    "initiative_name",
    "area_id",
    "pillar",
    "subfield",
    "planned_thousand_yen",
    "planned_years",
    # why part of the plan is not in planned_thousand_yen, as codes (outputs/words.py words them as plan_note):
    # the years the plan prints 未定 / nothing for (";"), and whether it prints only the total of the plan period
    "plan_years_undecided",
    "plan_years_blank",
    "plan_total_only",
    "actual_thousand_yen",
    "execution_pct",
    "years",
    "years_reported",
    "years_implemented",
    "carried_out_as_planned",
    # what execution_pct compares (issue 18): planned_thousand_yen is the plan of the years compared, i.e. the years
    # of the range with accepted submissions; planned_period_thousand_yen the plan of the whole range
    "planned_period_thousand_yen",
    "years_compared",
    "years_without_submissions",
    # the participants' yearly reports over the range that give a 実施状況 (review 3 #6): how many, and how many of
    # them say 実施 or 完了 (the share is the readable rate beside the strict carried_out_as_planned)
    "reports",
    "reports_done",
]


def period_budget(
    plan: Plan,
    per_year: dict[int, pd.DataFrame],
    first_year: int,
    last_year: int,
    no_submissions: list[int] | tuple[int, ...] = (),
) -> pd.DataFrame:
    """Budget plan vs actual per initiative over fiscal years ``first_year``..``last_year`` (the plan period, or the
    period to date), in plan order.

    ``per_year``: fiscal year -> :func:`budget_execution` of that year (years not run are missing and count as not
    reported). planned_thousand_yen sums the amounts the plan prints for those years (planned_years of them;
    plan_years_undecided / plan_years_blank list the others: "2028;2029" / "2021"); actual sums what was reported (NaN if
    nothing); execution_pct = actual / planned × 100 (NaN if planned is 0 or NaN). years_implemented counts the
    years in which every expected participant reported 実施 or 完了; carried_out_as_planned (計画どおり実施) is True
    when that holds in every year of the range (every participant, every year).

    Like with like: the years of the range without any accepted submission (``no_submissions`` and the years
    missing from ``per_year``; listed in years_without_submissions) have no actuals, so planned_thousand_yen sums the
    plan of the other years only (years_compared); planned_period_thousand_yen is the plan of the whole range. An
    initiative whose plan prints only the total of the plan period (no amount for any year) has that total as its
    plan when the range is the whole plan period and every year is compared (plan_total_only, 計画期間の合計のみ記載);
    otherwise its plan is NaN.

    reports counts the participants' yearly reports of the range that give a 実施状況 (一部実施・未実施 included) and
    reports_done those that say 実施 or 完了: reports_done / reports is the share of reports saying 実施, the
    readable rate beside the strict carried_out_as_planned (one 一部実施 in one year is enough to fail that).
    """
    years = list(range(first_year, last_year + 1))
    indexed = {y: per_year[y].set_index("initiative_id") for y in years if y in per_year}
    missing = [y for y in years if y not in indexed or y in set(no_submissions)]
    compared = [y for y in years if y not in missing]
    whole_period = first_year == plan.meta.first_fiscal_year and last_year == plan.meta.last_fiscal_year
    records = []
    for i in plan.initiatives:
        ran = [y for y in years if i.runs_in(y)]  # an initiative added or ended by an amendment: the years it ran
        if not ran:
            continue
        printed = {y: i.budget.planned(y) for y in ran}
        numbers = [v for v in printed.values() if isinstance(v, int)]
        undecided = [str(y) for y, v in printed.items() if v == UNDECIDED]
        blank = [str(y) for y, v in printed.items() if v is None]
        total_only = not numbers and not undecided and isinstance(i.budget.total, int) and whole_period and ran == years
        total = i.budget.total
        period_plan = (
            float(total) if total_only and isinstance(total, int) else float(sum(numbers)) if numbers else np.nan
        )
        compared_numbers = [v for y, v in printed.items() if isinstance(v, int) and y in compared]
        if total_only:
            planned = period_plan if not missing else np.nan
        else:
            planned = float(sum(compared_numbers)) if compared_numbers else np.nan
            numbers = compared_numbers
        actuals, reported, implemented, reports, done = [], 0, 0, 0, 0
        for t in indexed.values():
            if i.id not in t.index:
                continue
            a = t.at[i.id, "actual_thousand_yen"]
            if not _is_nan(a):
                actuals.append(float(a))
            reported += int(t.at[i.id, "participants_reported"] > 0)
            implemented += bool(t.at[i.id, "implemented_by_all"])
            reports += sum(int(t.at[i.id, c]) for c in STATUS_COLUMNS.values() if c in t.columns)
            done += sum(int(t.at[i.id, STATUS_COLUMNS[s]]) for s in DONE_STATUSES if STATUS_COLUMNS[s] in t.columns)
        actual = float(sum(actuals)) if actuals else np.nan
        area = plan.area(i.area_id)
        records.append(
            [
                i.id,
                i.name,
                i.area_id,
                area.pillar,
                area.subfield,
                planned,
                len(numbers),
                ";".join(undecided),
                "" if total_only else ";".join(blank),
                total_only,
                actual,
                _pct(actual, planned),
                len(ran),
                reported,
                implemented,
                implemented == len(ran),
                period_plan,
                ";".join(str(y) for y in compared),
                ";".join(str(y) for y in missing),
                reports,
                done,
            ]
        )
    return pd.DataFrame(records, columns=PERIOD_BUDGET_COLUMNS).astype(
        {
            "pillar": "int64",
            "planned_thousand_yen": "float64",
            "planned_period_thousand_yen": "float64",
            "planned_years": "int64",
            "plan_total_only": "bool",
            "actual_thousand_yen": "float64",
            "execution_pct": "float64",
            "years": "int64",
            "years_reported": "int64",
            "years_implemented": "int64",
            "carried_out_as_planned": "bool",
            "reports": "int64",
            "reports_done": "int64",
        }
    )


PERIOD_ROLLUP_COLUMNS = [
    "level",
    "id",
    "name",
    "planned_thousand_yen",
    "actual_thousand_yen",
    "execution_pct",
    "initiatives",
    "initiatives_as_planned",
    "reports",
    "reports_done",
]


def period_rollup(plan: Plan, period: pd.DataFrame) -> pd.DataFrame:
    """:func:`period_budget` summed per pillar, sub-field and policy area (the order of :func:`rollup`), with how many
    initiatives were carried out as planned; NaN-skipping sums as in :func:`rollup`."""
    by_id = period.set_index("initiative_id")
    records = []
    for level, nid, name, _scope, inits in _rollup_nodes(plan):
        inits = tuple(i for i in inits if i in by_id.index)  # those that ran in the period (amendments)
        b = by_id.reindex(list(inits))
        planned, actual = _sum_or_nan(b["planned_thousand_yen"]), _sum_or_nan(b["actual_thousand_yen"])
        records.append(
            [
                level,
                nid,
                name,
                planned,
                actual,
                _pct(actual, planned),
                len(inits),
                int(b["carried_out_as_planned"].eq(True).sum()),
                int(b["reports"].fillna(0).sum()),
                int(b["reports_done"].fillna(0).sum()),
            ]
        )
    return pd.DataFrame(records, columns=PERIOD_ROLLUP_COLUMNS).astype(
        {
            "planned_thousand_yen": "float64",
            "actual_thousand_yen": "float64",
            "execution_pct": "float64",
            "initiatives": "int64",
            "initiatives_as_planned": "int64",
            "reports": "int64",
            "reports_done": "int64",
        }
    )


def compute_period(
    plan: Plan, per_year: dict[int, dict[str, pd.DataFrame]], fiscal_year: int, settings: Settings
) -> dict[str, pd.DataFrame]:
    """計画期間の総括 (or the figures to date, before the plan's last year) from each year's tables:
    period_kpi (every KPI from its baseline through each year to the final value, 達成/未達成), period_budget (plan vs
    actual per initiative over the years to ``fiscal_year``) and period_rollup (per pillar, sub-field and area)."""
    first = plan.meta.first_fiscal_year
    years = {y: t for y, t in per_year.items() if first <= y <= fiscal_year}
    missing = sorted(set(no_submission_years(years)) | {y for y in range(first, fiscal_year + 1) if y not in years})
    kpi = period_kpi_summary(
        plan_kpi_table(plan, fiscal_year),
        {y: t["kpi_attainment"] for y, t in years.items()},
        settings.final_evaluation.achieved_if,
        years=range(first, fiscal_year + 1),
        data_year_lag={k.id: k.data_year_lag for k in plan.kpis},
    )
    budget = period_budget(plan, {y: t["budget_execution"] for y, t in years.items()}, first, fiscal_year, missing)
    return {"period_kpi": kpi, "period_budget": budget, "period_rollup": period_rollup(plan, budget)}


def implementation_share(table: pd.DataFrame) -> tuple[int, int, float]:
    """(reports, reports saying 実施 or 完了, their share in %) summed over the rows of ``table``: a
    :func:`period_budget` (its reports / reports_done: the plan period) or a budget_execution of one year (its n_*
    counts). The share is NaN without any report. The readable rate of the 要旨 and the 総括 (review 3 #6), beside
    the strict count of initiatives carried out by every participant in every year."""
    if "reports" in table.columns:
        reports, done = int(table["reports"].sum()), int(table["reports_done"].sum())
    else:
        reports = int(sum(int(table[c].sum()) for c in STATUS_COLUMNS.values()))
        done = int(sum(int(table[STATUS_COLUMNS[s]].sum()) for s in DONE_STATUSES))
    return reports, done, _pct(float(done), float(reports)) if reports else np.nan

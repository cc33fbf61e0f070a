"""Every table of a run in one object, computed once: the year's results, the earlier years', the submissions table,
the histories, the plan period's summary and the members' self-evaluations and texts. The pipeline builds it; the
outputs write it."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from vision_report.compute.evaluations import evaluations_table, texts_table
from vision_report.compute.history import history_tables
from vision_report.compute.period import compute_period
from vision_report.core.config import Settings
from vision_report.plan import Plan


@dataclass(frozen=True)
class YearTables:
    results: dict[str, pd.DataFrame]  # the year's kpi_attainment, budget_execution, rollup
    per_year: dict[int, dict[str, pd.DataFrame]]  # every year's results, the year's included
    subs: pd.DataFrame  # submissions.csv
    history: dict[str, pd.DataFrame]  # kpi_history, budget_history
    period: dict[str, pd.DataFrame]  # the plan period's summary (compute_period)
    evaluations: pd.DataFrame  # evaluations.csv
    texts: pd.DataFrame  # initiative_texts.csv


def year_tables(
    settings: Settings,
    plan: Plan,
    fiscal_year: int,
    per_year: dict[int, dict[str, pd.DataFrame]],
    subs: pd.DataFrame,
    accepted_rows: pd.DataFrame,
) -> YearTables:
    return YearTables(
        results=per_year[fiscal_year],
        per_year=per_year,
        subs=subs,
        history=history_tables(plan, per_year),
        period=compute_period(plan, per_year, fiscal_year, settings),
        evaluations=evaluations_table(plan, accepted_rows, fiscal_year),
        texts=texts_table(plan, accepted_rows, fiscal_year),
    )

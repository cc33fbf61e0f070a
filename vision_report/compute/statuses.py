"""Each member's standing for the year, from the submissions table that screening produced."""

from __future__ import annotations

import pandas as pd

from vision_report.core.vocabulary import Status
from vision_report.plan import Plan


def member_statuses(plan: Plan, subs: pd.DataFrame, fiscal_year: int) -> pd.Series:
    """Each member's current status (its newest file's, or missing), indexed by municipality code."""
    members = subs[subs["municipality_code"].isin([m.code for m in plan.members(fiscal_year)])]
    current = members[~members["status"].isin([Status.SUPERSEDED.value, Status.NOT_SUBMISSION.value])]
    return current.groupby("municipality_code", sort=False)["status"].first()

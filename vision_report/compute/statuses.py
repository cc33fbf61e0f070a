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


MEMBER_STATUS = "member_status"  # the key of a year's tables holding member_status_table (review 3 #13)


def member_status_table(plan: Plan, subs: pd.DataFrame, fiscal_year: int) -> pd.DataFrame:
    """:func:`member_statuses` as a table (municipality_code, status): kept with each year's tables so that a later
    report can say why a year's value lacks a member (its file was sent back, or none arrived)."""
    st = member_statuses(plan, subs, fiscal_year)
    return pd.DataFrame({"municipality_code": st.index.astype(str), "status": st.astype(str).to_numpy()})


MEMBER_SPEND = "member_spend"  # the key of a year's tables holding member_spend_table (review 4 #11)


def member_spend_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Each member's own expenditure of the year (municipality_code, spent_thousand_yen): the sum of its accepted
    expenditure rows, without the values held out as 要確認 (as every total). Kept with each year's tables so that
    a member's report of the plan's last year can add up what the member itself spent over the plan period."""
    if rows is None or not len(rows):
        return pd.DataFrame({"municipality_code": pd.Series(dtype=str), "spent_thousand_yen": pd.Series(dtype=float)})
    exp = rows[rows["kind"] == "expenditure"]
    if "held" in exp.columns:
        exp = exp[~exp["held"].astype(bool)]
    spent = exp.groupby("municipality_code", sort=True)["value"].sum(min_count=0)
    return pd.DataFrame(
        {"municipality_code": spent.index.astype(str), "spent_thousand_yen": spent.astype(float).to_numpy()}
    )

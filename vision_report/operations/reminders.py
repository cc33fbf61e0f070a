"""Who has not submitted, or must resubmit, for a fiscal year (`vision-report reminders` and the portal's overview).

A read-only look at inputs/<FY>/: the files are screened where they lie, nothing is archived.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from vision_report.core.config import Settings
from vision_report.core.vocabulary import ACCEPTED_STATUSES, Status
from vision_report.plan import Plan
from vision_report.screening.screen import Screening, collect, screen, submissions_table


@dataclass(frozen=True)
class Reminder:
    key: str  # reminder label key of templates/labels.yaml: missing / rejected / pending / late
    code: str
    name: str
    file: str
    detail: str  # the errors (rejected) or the time received (late)


@dataclass(frozen=True)
class YearState:
    deadline: date
    year: Screening
    subs: pd.DataFrame  # screening.submissions_table of the year
    current: pd.DataFrame  # each member's current row (its newest file, or missing)
    reminders: tuple[Reminder, ...]


def year_state(settings: Settings, plan: Plan, fiscal_year: int, inputs: Path) -> YearState:
    """Screen inputs/<FY>/ as it is now and list the reminders: missing, rejected and pending members first, then
    members whose accepted file came after the deadline."""
    year = screen(collect(settings, plan, fiscal_year, inputs, None), plan, fiscal_year, settings)
    deadline = settings.deadlines.for_year(fiscal_year)
    subs = submissions_table(plan, year.received, fiscal_year, deadline)
    members = subs[subs["municipality_code"].isin([m.code for m in plan.members(fiscal_year)])]
    current = members[~members["status"].isin([Status.SUPERSEDED, Status.NOT_SUBMISSION])]
    items = []
    for status in (Status.MISSING, Status.REJECTED, Status.PENDING):
        for r in current[current["status"] == status].itertuples():
            items.append(
                Reminder(
                    status.value,
                    r.municipality_code,
                    r.municipality_name,
                    r.file,
                    r.errors if status == Status.REJECTED else "",
                )
            )
    late = current[(current["timeliness"] == "late") & current["status"].isin(list(ACCEPTED_STATUSES))]
    for r in late.itertuples():
        items.append(Reminder("late", r.municipality_code, r.municipality_name, r.file, r.received_at))
    return YearState(deadline, year, subs, current, tuple(items))

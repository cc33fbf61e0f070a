"""The vision (plan) as data: models, loader and export (JSON, summary)."""

from vision_report.plan.loader import PlanError, check_digit_ok, load_plan
from vision_report.plan.models import (
    UNDECIDED,
    Budget,
    Initiative,
    Kpi,
    Municipality,
    Pillar,
    Plan,
    PolicyArea,
    Subfield,
)

__all__ = [
    "UNDECIDED",
    "Budget",
    "Initiative",
    "Kpi",
    "Municipality",
    "Pillar",
    "Plan",
    "PlanError",
    "PolicyArea",
    "Subfield",
    "check_digit_ok",
    "load_plan",
]

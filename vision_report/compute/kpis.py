"""KPI actuals, 達成率, 進捗率 and ratings of one fiscal year (docs/interface.md §4), with the codes that say why
a figure is missing or provisional and on which basis it is summed.

Ratings compare the exact decimal value the percentage stands for (textfmt.exact) with the thresholds, so that a
value that is exactly on a boundary in decimal arithmetic (e.g. 4.52 / 5.65 = 80 %) is not pushed below it by binary
floating-point noise (79.99999999999999).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vision_report.compute.common import NO_RATING, _is_nan, _pct, _rows, _sum_or_nan
from vision_report.core.config import RatingThresholds
from vision_report.core.textfmt import exact

KPI_COLUMNS = [
    "kpi_id",
    "kpi_name",
    "unit",
    "baseline",
    "target",
    "actual",
    "attainment_pct",
    "progress_pct",
    "rating",
    "reporters_expected",
    "reporters_received",
    # extra columns (not in docs/interface.md §5's kpi_attainment.csv list)
    "direction",
    "measures",
    # why a figure is missing or provisional, as codes joined by "|" (REASON_CODES); outputs/words.py words them as
    # rating_reason from templates/labels.yaml (reasons:) with the counts of this row
    "rating_reason_codes",
    "provisional",
    # same-basis columns (issue 10): the columns above are computed on the basis the target was set for (the plan's
    # own members); these give the value over all of the year's members beside it
    "basis",
    "actual_all_members",
    "reporters_expected_all",
    "reporters_received_all",
    "provisional_all_members",
    # for how many municipalities the KPI's target was set (basis_sizes); with basis, reporters_expected and
    # reporters_expected_all it is what outputs/words.py needs to word basis_note (templates/labels.yaml basis:)
    "reporters_target",
    # the basis reporters expected but without an accepted value, codes joined by ";" ("" when none): the reports
    # name them beside a provisional value; never published (outputs/words.py REPORT_ONLY_COLUMNS)
    "reporters_missing",
]


# the codes of rating_reason_codes, in the order they are given
REASON_NO_REPORTS = "no_reports"  # nobody sent a value (reporters_expected: how many were expected)


MISSING_SEPARATOR = ";"


REASON_PROVISIONAL = "provisional"  # some but not all did (reporters_received of reporters_expected)


REASON_ZERO_ACTUAL = "zero_actual"  # decrease with actual 0: no 達成率


REASON_ZERO_TARGET = "zero_target"  # target 0: no 達成率


REASON_TARGET_IS_BASELINE = "target_is_baseline"  # target = baseline: no 進捗率


REASON_NO_VALUE = "no_value"  # no rating and none of the above


REASON_HELD = "held"  # values_held of the row's values are held out (要確認)


REASON_CODES = (
    REASON_NO_REPORTS,
    REASON_PROVISIONAL,
    REASON_ZERO_ACTUAL,
    REASON_ZERO_TARGET,
    REASON_TARGET_IS_BASELINE,
    REASON_NO_VALUE,
    REASON_HELD,
)


REASON_SEPARATOR = "|"


# basis: the actual above is the sum over the plan's basis members, which differ from the year's reporters
BASIS_PLAN = "plan_basis"


# basis: the plan's basis and the year's reporters are the same municipalities (one figure for both)
BASIS_ALL = "all_members"


# basis: the sum covers fewer municipalities than the target was set for (a member of the plan's basis had not joined
# yet, e.g. FY2021: 18 of the 20); the reports mark such a year's figure with †
BASIS_PARTIAL = "partial_basis"


def rate(direction: str, attainment_pct: float, progress_pct: float, thresholds: RatingThresholds) -> str:
    """A/B/C/D: increase/decrease by progress_pct against thresholds.progress, at_least by attainment_pct against
    thresholds.attainment (A if ≥ A, B if ≥ B, C if ≥ C, else D); "-" when that percentage is missing."""
    if direction == "at_least":
        x, limits = attainment_pct, thresholds.attainment
    else:
        x, limits = progress_pct, thresholds.progress
    if _is_nan(x):
        return NO_RATING
    value = exact(x)
    for grade in ("A", "B", "C"):
        if value >= exact(limits[grade]):
            return grade
    return "D"


def kpi_attainment(
    kpis: pd.DataFrame,
    rows: pd.DataFrame,
    reporters: dict[str, tuple[str, ...]],
    thresholds: RatingThresholds,
    *,
    all_reporters: dict[str, tuple[str, ...]] | None = None,
    basis_sizes: dict[str, int] | None = None,
) -> pd.DataFrame:
    """達成率・進捗率・評価 per KPI (docs/interface.md §4), one row per row of ``kpis`` in the same order.

    ``reporters`` are the expected reporters on the basis the target was set for (``kpi_reporter_sets``): actual is
    the sum of the values they sent (rows of anyone else are ignored), and attainment, progress and the rating are
    computed on it. Nobody sent a value: actual, percentages NaN, rating "-". Some but not all did: rated on the
    partial sum, provisional=True and rating_reason_codes says so (the counts are in the row). reporters_expected counts ``reporters[kpi_id]``.
    decrease with actual 0: attainment NaN (target / 0) but still rated by progress, as docs/interface.md §4 says.

    ``all_reporters`` (default: the same as ``reporters``) are every expected reporter of the year: actual_all_members
    sums what they sent, with its own counts and provisional flag. basis is "all_members" when both sets are the
    same municipalities, else "plan_basis" (outputs/words.py then words basis_note).

    ``basis_sizes`` (:func:`kpi_basis_sizes`; default: no check) says for how many municipalities each KPI's target
    was set: a year expecting fewer of them (a basis member had not joined yet) gets basis "partial_basis" (its
    basis_note names both counts; reporters_target is the size of the basis), whatever the year's other members —
    its sum does not cover what the target covers.
    """
    kpi_rows = _rows(rows, "kpi")
    records = []
    for k in kpis.itertuples(index=False):
        expected = tuple(dict.fromkeys(reporters.get(k.kpi_id, ())))
        mine = kpi_rows[(kpi_rows["item_id"] == k.kpi_id) & kpi_rows["municipality_code"].isin(expected)]
        n_expected, n_received = len(expected), int(mine["municipality_code"].nunique())
        received_codes = set(mine["municipality_code"])  # once, not once per expected reporter
        everyone = expected if all_reporters is None else tuple(dict.fromkeys(all_reporters.get(k.kpi_id, ())))
        theirs = kpi_rows[(kpi_rows["item_id"] == k.kpi_id) & kpi_rows["municipality_code"].isin(everyone)]
        n_all, n_all_received = len(everyone), int(theirs["municipality_code"].nunique())
        same = set(everyone) == set(expected)
        n_target = (basis_sizes or {}).get(k.kpi_id, n_expected)
        basis = BASIS_PARTIAL if n_expected < n_target else BASIS_ALL if same else BASIS_PLAN
        baseline, target = float(k.baseline), float(k.target)
        reasons: list[str] = []
        actual = attainment = progress = np.nan
        if n_received == 0:
            reasons.append(REASON_NO_REPORTS)
        else:
            actual = _sum_or_nan(mine["value"])
            if n_received < n_expected:
                reasons.append(REASON_PROVISIONAL)
            if k.direction == "decrease":
                attainment = _pct(target, actual)
                if actual == 0:
                    reasons.append(REASON_ZERO_ACTUAL)
            else:
                attainment = _pct(actual, target)
                if target == 0:
                    reasons.append(REASON_ZERO_TARGET)
            if k.direction in ("increase", "decrease"):
                progress = _pct(actual - baseline, target - baseline)
                if target == baseline:
                    reasons.append(REASON_TARGET_IS_BASELINE)
        rating = rate(k.direction, attainment, progress, thresholds)
        if rating == NO_RATING and not reasons:
            reasons.append(REASON_NO_VALUE)
        records.append(
            [
                k.kpi_id,
                k.kpi_name,
                k.unit,
                baseline,
                target,
                actual,
                attainment,
                progress,
                rating,
                n_expected,
                n_received,
                k.direction,
                k.measures,
                REASON_SEPARATOR.join(reasons),
                0 < n_received < n_expected,
                basis,
                _sum_or_nan(theirs["value"]) if n_all_received else np.nan,
                n_all,
                n_all_received,
                0 < n_all_received < n_all,
                n_target,
                MISSING_SEPARATOR.join(c for c in expected if c not in received_codes),
            ]
        )
    return pd.DataFrame(records, columns=KPI_COLUMNS).astype(
        {
            "baseline": "float64",
            "target": "float64",
            "actual": "float64",
            "attainment_pct": "float64",
            "progress_pct": "float64",
            "reporters_expected": "int64",
            "reporters_received": "int64",
            "provisional": "bool",
            "actual_all_members": "float64",
            "reporters_expected_all": "int64",
            "reporters_received_all": "int64",
            "provisional_all_members": "bool",
            "reporters_target": "int64",
        }
    )

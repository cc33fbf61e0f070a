"""docs/interface.md §4 computation as pure functions: DataFrame in, DataFrame out, in plan (document) order.

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

import math

import numpy as np
import pandas as pd

from vision_report.core.config import RatingThresholds, Settings
from vision_report.core.textfmt import exact
from vision_report.intake.normalize import COMPUTED_ROW_COLUMNS, STATUSES
from vision_report.plan import Plan
from vision_report.plan.models import UNDECIDED

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
]
# the codes of rating_reason_codes, in the order they are given
REASON_NO_REPORTS = "no_reports"  # nobody sent a value (reporters_expected: how many were expected)
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
BUDGET_COLUMNS = [
    "initiative_id",
    "initiative_name",
    "planned_thousand_yen",
    "actual_thousand_yen",
    "execution_pct",
    "participants_expected",
    "participants_reported",
    # extra columns
    "area_id",
    "pillar",
    "subfield",
    "plan_note_code",
    "n_implemented",
    "n_partial",
    "n_not_implemented",
    "n_completed",
    "implemented_by_all",
]
ROLLUP_COLUMNS = [
    "level",
    "id",
    "name",
    "kpi_ids",
    "kpi_inherited",
    "kpi_attainment_mean",
    "rating_A",
    "rating_B",
    "rating_C",
    "rating_D",
    "rating_none",
    "planned_thousand_yen",
    "actual_thousand_yen",
    "execution_pct",
    "initiatives",
    "initiatives_implemented",
]
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
# 実施状況 (the values submissions carry, intake.normalize.STATUSES) -> count column of budget_execution
IMPLEMENTED, PARTIAL, NOT_IMPLEMENTED, COMPLETED = STATUSES
STATUS_COLUMNS = {
    IMPLEMENTED: "n_implemented",
    PARTIAL: "n_partial",
    NOT_IMPLEMENTED: "n_not_implemented",
    COMPLETED: "n_completed",
}
DONE_STATUSES = (IMPLEMENTED, COMPLETED)
GRADES = ("A", "B", "C", "D")
NO_RATING = "-"

# plan_note_code: why planned_thousand_yen is NaN ("" where the plan prints a number); outputs/words.py words it as
# plan_note (templates/labels.yaml plan_note:)
NOTE_UNDECIDED = "undecided"  # the plan prints 未定 for the year
NOTE_BLANK = "blank"  # the plan prints nothing for the year (e.g. only a total)


# --------------------------------------------------------------------------------------------------- plan tables


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
    """The plan's initiatives with the budget planned for ``fiscal_year`` (千円), in plan order.

    participants_expected counts the participants that are members in ``fiscal_year`` (``Plan.participants``).

    planned_thousand_yen is NaN where the plan prints 未定 (plan_note_code "undecided") or nothing for that year
    (plan_note_code "blank", e.g. only a total is printed); plan_note_code is "" where a number is printed.
    """
    records = []
    for i in plan.initiatives:
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


# --------------------------------------------------------------------------------------------------- helpers


def _rows(rows: pd.DataFrame | None, kind: str) -> pd.DataFrame:
    """The rows of one kind, tolerating an empty frame without columns and a missing status column."""
    if rows is None or len(rows) == 0:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c == "value" else "object") for c in COMPUTED_ROW_COLUMNS})
    out = rows[rows["kind"] == kind]
    if "status" not in out.columns:
        out = out.assign(status=None)
    return out


def _is_nan(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _pct(numerator: float, denominator: float) -> float:
    """numerator / denominator × 100; NaN when either is missing or the denominator is 0."""
    if _is_nan(numerator) or _is_nan(denominator) or denominator == 0:
        return np.nan
    return float(numerator) / float(denominator) * 100


def _sum_or_nan(values: pd.Series) -> float:
    """Sum skipping NaN; NaN when there is no value at all."""
    v = pd.to_numeric(values, errors="coerce").dropna()
    return float(v.sum()) if len(v) else np.nan


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


# --------------------------------------------------------------------------------------------------- KPIs


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


# --------------------------------------------------------------------------------------------------- budget


def budget_execution(initiatives: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """執行率 per initiative (docs/interface.md §4), one row per row of ``initiatives`` in the same order.

    actual_thousand_yen = Σ the participants' expenditure (NaN if nobody reported); execution_pct = actual /
    planned × 100, NaN where the plan is 0, 未定 or blank. n_* count participants by 実施状況;
    implemented_by_all is True when every expected participant reported 実施 or 完了.
    """
    exp = _rows(rows, "expenditure")
    groups = {item: g for item, g in exp.groupby("item_id", sort=False)} if len(exp) else {}
    records = []
    for i in initiatives.itertuples(index=False):
        g = groups.get(i.initiative_id)
        reported = int(g["municipality_code"].nunique()) if g is not None else 0
        actual = _sum_or_nan(g["value"]) if g is not None and reported else np.nan
        planned = float(i.planned_thousand_yen)
        counts = dict.fromkeys(STATUS_COLUMNS.values(), 0)
        done: set[str] = set()
        if g is not None:
            for code, status in zip(g["municipality_code"], g["status"], strict=True):
                if status in STATUS_COLUMNS:
                    counts[STATUS_COLUMNS[status]] += 1
                    if status in DONE_STATUSES:
                        done.add(code)
        expected = int(i.participants_expected)
        records.append(
            [
                i.initiative_id,
                i.initiative_name,
                planned,
                actual,
                _pct(actual, planned),
                expected,
                reported,
                i.area_id,
                i.pillar,
                i.subfield,
                i.plan_note_code,
                *counts.values(),
                expected > 0 and len(done) >= expected,
            ]
        )
    return pd.DataFrame(records, columns=BUDGET_COLUMNS).astype(
        {
            "planned_thousand_yen": "float64",
            "actual_thousand_yen": "float64",
            "execution_pct": "float64",
            "participants_expected": "int64",
            "participants_reported": "int64",
            "n_implemented": "int64",
            "n_partial": "int64",
            "n_not_implemented": "int64",
            "n_completed": "int64",
            "implemented_by_all": "bool",
        }
    )


# --------------------------------------------------------------------------------------------------- roll-up


def _rollup_nodes(plan: Plan) -> list[tuple[str, str, str, tuple[str, ...], tuple[str, ...]]]:
    """(level, id, name, node ids at or below, initiative ids below) in document order: each pillar, then its
    areas in order, a sub-field's row coming just before its first area (1, 1.1–1.3, 2, 2.1–2.3, 3, 3A, 3.1–3.14,
    3B, 3.15–3.20, 3C, 3.21–3.22). A sub-field without areas follows its pillar's areas."""
    nodes = []

    def initiatives(area_ids) -> tuple[str, ...]:
        return tuple(i for a in area_ids for i in plan.area(a).initiative_ids)

    for p in plan.pillars:
        pid = str(p.id)
        nodes.append(("pillar", pid, p.name, (pid, *p.subfield_ids, *p.area_ids), initiatives(p.area_ids)))
        sequence: list[tuple[str, str]] = []  # (level, id) below the pillar
        for aid in p.area_ids:
            sid = plan.area(aid).subfield
            if sid and ("subfield", sid) not in sequence:
                sequence.append(("subfield", sid))
            sequence.append(("area", aid))
        sequence += [("subfield", sid) for sid in p.subfield_ids if ("subfield", sid) not in sequence]
        for level, nid in sequence:
            if level == "subfield":
                s = plan.subfield(nid)
                nodes.append(("subfield", nid, s.name, (nid, *s.area_ids), initiatives(s.area_ids)))
            else:
                nodes.append(("area", nid, plan.area(nid).name, (nid,), initiatives((nid,))))
    return nodes


def rollup(plan: Plan, kpi_result: pd.DataFrame, budget_result: pd.DataFrame) -> pd.DataFrame:
    """One row per pillar, sub-field and policy area in document order (see ``_rollup_nodes``).

    KPIs of a node: those measuring the node or anything below it, in plan order. A node with none shows the KPIs
    measuring its nearest parent that has some of its own — for an area its sub-field, then its pillar; for a
    sub-field its pillar — with kpi_inherited=True. kpi_attainment_mean and the rating counts are over the KPIs
    shown ("-" counts as rating_none). Budget figures are NaN-skipping sums over the initiatives below (so spend on
    initiatives whose plan is 未定/blank counts in actual but not in planned); execution_pct = actual / planned × 100
    (NaN if planned is 0 or NaN); initiatives_implemented counts implemented_by_all.
    """
    kres = kpi_result.set_index("kpi_id")
    bres = budget_result.set_index("initiative_id")

    def kpis_measuring(node_ids) -> list[str]:
        wanted = set(node_ids)
        return [k.id for k in plan.kpis if k.measures in wanted]

    records = []
    for level, nid, name, scope, inits in _rollup_nodes(plan):
        kids, inherited = kpis_measuring(scope), False
        if not kids:
            if level == "area":
                parents = plan.parent_nodes(nid)
            else:
                parents = (str(plan.subfield(nid).pillar),) if level == "subfield" else ()
            for parent in parents:
                kids = kpis_measuring((parent,))
                if kids:
                    inherited = True
                    break
        k = kres.reindex(kids)
        ratings = k["rating"].tolist()
        att = pd.to_numeric(k["attainment_pct"], errors="coerce").dropna()
        b = bres.reindex(list(inits))
        planned = _sum_or_nan(b["planned_thousand_yen"])
        actual = _sum_or_nan(b["actual_thousand_yen"])
        records.append(
            [
                level,
                nid,
                name,
                ";".join(kids),
                inherited,
                float(att.mean()) if len(att) else np.nan,
                *(ratings.count(g) for g in GRADES),
                sum(1 for r in ratings if r not in GRADES),
                planned,
                actual,
                _pct(actual, planned),
                len(inits),
                int(b["implemented_by_all"].eq(True).sum()),
            ]
        )
    return pd.DataFrame(records, columns=ROLLUP_COLUMNS).astype(
        {
            "kpi_inherited": "bool",
            "kpi_attainment_mean": "float64",
            "rating_A": "int64",
            "rating_B": "int64",
            "rating_C": "int64",
            "rating_D": "int64",
            "rating_none": "int64",
            "planned_thousand_yen": "float64",
            "actual_thousand_yen": "float64",
            "execution_pct": "float64",
            "initiatives": "int64",
            "initiatives_implemented": "int64",
        }
    )


# --------------------------------------------------------------------------------------------------- history


def history(per_year: dict[int, pd.DataFrame], key: str, value: str) -> pd.DataFrame:
    """Wide table: ``key``, then one column per fiscal year ("2021", "2022", … ascending) holding ``value``.

    Rows follow the newest year's order; keys found only in older years follow, in the order first met going
    back in time. A key absent from a year is NaN there.
    """
    years = sorted(per_year)
    keys: list = []
    for y in reversed(years):
        for k in per_year[y][key]:
            if k not in keys:
                keys.append(k)
    out = pd.DataFrame({key: pd.Series(keys, dtype=per_year[years[-1]][key].dtype if years else "object")})
    for y in years:
        out[str(y)] = out[key].map(per_year[y].set_index(key)[value])
    return out


def no_submission_years(per_year: dict[int, dict[str, pd.DataFrame]]) -> list[int]:
    """The fiscal years of ``per_year`` (tables of :func:`compute_year`) without a single accepted value: no KPI
    value, no expenditure row, nothing held. Their figures are missing, not 0: histories, period tables and charts
    keep the year and mark it 提出なし (templates/labels.yaml history.no_submissions)."""
    out = []
    for y in sorted(per_year):
        t = per_year[y]
        k, b = t["kpi_attainment"], t["budget_execution"]
        received = int(k["reporters_received_all"].sum()) if "reporters_received_all" in k else 0
        received += int(k["reporters_received"].sum()) + int(b["participants_reported"].sum())
        held = sum(int(x[HELD_COUNT_COLUMN].sum()) for x in (k, b) if HELD_COUNT_COLUMN in x)
        if received == 0 and held == 0:
            out.append(y)
    return out


def history_tables(plan: Plan, per_year: dict[int, dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    """KPI actuals and initiative spend FY(first)..FY, one column per year of ``per_year`` (a year without
    submissions is a column of NaN: see :func:`no_submission_years`)."""
    years = sorted(per_year)
    kpi = history({y: per_year[y]["kpi_attainment"] for y in years}, "kpi_id", "actual")
    kpi_meta = per_year[years[-1]]["kpi_attainment"][["kpi_id", "kpi_name", "unit", "baseline", "target"]]
    kpi = kpi_meta.merge(kpi, on="kpi_id", how="left")
    bud = history({y: per_year[y]["budget_execution"] for y in years}, "initiative_id", "actual_thousand_yen")
    plan_cols = pd.DataFrame(
        {
            "initiative_id": [i.id for i in plan.initiatives],
            "initiative_name": [i.name for i in plan.initiatives],
        }
    )
    bud = plan_cols.merge(bud, on="initiative_id", how="left")
    return {"kpi_history": kpi, "budget_history": bud}


# appended to kpi_attainment, budget_execution and rollup by compute_year: how many values of the row's figures are
# held out as probable errors (要確認, docs/interface.md §3) until a coordinator confirms them
HELD_COUNT_COLUMN = "values_held"


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
    """
    years = list(range(first_year, last_year + 1))
    indexed = {y: per_year[y].set_index("initiative_id") for y in years if y in per_year}
    missing = [y for y in years if y not in indexed or y in set(no_submissions)]
    compared = [y for y in years if y not in missing]
    whole_period = first_year == plan.meta.first_fiscal_year and last_year == plan.meta.last_fiscal_year
    records = []
    for i in plan.initiatives:
        printed = {y: i.budget.planned(y) for y in years}
        numbers = [v for v in printed.values() if isinstance(v, int)]
        undecided = [str(y) for y, v in printed.items() if v == UNDECIDED]
        blank = [str(y) for y, v in printed.items() if v is None]
        total_only = not numbers and not undecided and isinstance(i.budget.total, int) and whole_period
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
        actuals, reported, implemented = [], 0, 0
        for t in indexed.values():
            if i.id not in t.index:
                continue
            a = t.at[i.id, "actual_thousand_yen"]
            if not _is_nan(a):
                actuals.append(float(a))
            reported += int(t.at[i.id, "participants_reported"] > 0)
            implemented += bool(t.at[i.id, "implemented_by_all"])
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
                len(years),
                reported,
                implemented,
                implemented == len(years),
                period_plan,
                ";".join(str(y) for y in compared),
                ";".join(str(y) for y in missing),
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
]


def period_rollup(plan: Plan, period: pd.DataFrame) -> pd.DataFrame:
    """:func:`period_budget` summed per pillar, sub-field and policy area (the order of :func:`rollup`), with how many
    initiatives were carried out as planned; NaN-skipping sums as in :func:`rollup`."""
    by_id = period.set_index("initiative_id")
    records = []
    for level, nid, name, _scope, inits in _rollup_nodes(plan):
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
            ]
        )
    return pd.DataFrame(records, columns=PERIOD_ROLLUP_COLUMNS).astype(
        {
            "planned_thousand_yen": "float64",
            "actual_thousand_yen": "float64",
            "execution_pct": "float64",
            "initiatives": "int64",
            "initiatives_as_planned": "int64",
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

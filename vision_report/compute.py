"""CONTRACT §4 computation as pure functions: DataFrame in, DataFrame out, in plan (document) order.

Nothing here reads or writes files or prints; the same inputs always give the same frames.

Input ``rows`` are the rows of ACCEPTED submissions of one fiscal year, with columns
municipality_code (str), kind ("expenditure" | "kpi"), item_id (initiative id or KPI id), value (float, already in
the canonical unit: 千円 for expenditure, the KPI's own unit for kpi) and status (実施 / 一部実施 / 未実施 / 完了 or
None; expenditure only). Extra columns are ignored.

Percentages keep full float precision in the frames (outputs format them). Ratings compare the percentage rounded to
``RATING_DECIMALS`` places with the thresholds, so that a value that is exactly on a boundary in decimal arithmetic
(e.g. 4.52 / 5.65 = 80 %) is not pushed below it by binary floating-point noise (79.99999999999999).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .config import RatingThresholds, Settings
from .plan import Plan

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
    # extra columns (not in CONTRACT §5's kpi_attainment.csv list)
    "direction",
    "measures",
    "rating_reason",
    "provisional",
]
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
    "plan_note",
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
KPI_PLAN_COLUMNS = ["kpi_id", "kpi_name", "unit", "baseline", "target", "direction", "measures", "reporters_expected"]
INITIATIVE_PLAN_COLUMNS = [
    "initiative_id",
    "initiative_name",
    "area_id",
    "pillar",
    "subfield",
    "planned_thousand_yen",
    "plan_note",
    "participants_expected",
]
ROW_COLUMNS = ["municipality_code", "kind", "item_id", "value", "status"]

# 実施状況 -> count column of budget_execution
STATUS_COLUMNS = {
    "実施": "n_implemented",
    "一部実施": "n_partial",
    "未実施": "n_not_implemented",
    "完了": "n_completed",
}
DONE_STATUSES = ("実施", "完了")
GRADES = ("A", "B", "C", "D")
NO_RATING = "-"
RATING_DECIMALS = 9

# plan_note values (Japanese, shown to users)
NOTE_UNDECIDED = "未定"
NOTE_BLANK = "計画額の記載なし"


# --------------------------------------------------------------------------------------------------- plan tables


def plan_kpi_table(plan: Plan) -> pd.DataFrame:
    """The plan's KPIs, one row each in plan order."""
    return pd.DataFrame(
        [
            [k.id, k.name, k.unit, float(k.baseline), float(k.target), k.direction, k.measures, len(k.reporters)]
            for k in plan.kpis
        ],
        columns=KPI_PLAN_COLUMNS,
    ).astype({"baseline": "float64", "target": "float64", "reporters_expected": "int64"})


def plan_initiative_table(plan: Plan, fiscal_year: int) -> pd.DataFrame:
    """The plan's initiatives with the budget planned for ``fiscal_year`` (千円), in plan order.

    planned_thousand_yen is NaN where the plan prints 未定 (plan_note "未定") or nothing for that year
    (plan_note "計画額の記載なし", e.g. only a total is printed); plan_note is "" where a number is printed.
    """
    records = []
    for i in plan.initiatives:
        p = i.budget.planned(fiscal_year)
        if isinstance(p, int):
            planned, note = float(p), ""
        else:
            planned, note = np.nan, (NOTE_UNDECIDED if p == NOTE_UNDECIDED else NOTE_BLANK)
        area = plan.area(i.area_id)
        records.append([i.id, i.name, i.area_id, area.pillar, area.subfield, planned, note, len(i.participants)])
    return pd.DataFrame(records, columns=INITIATIVE_PLAN_COLUMNS).astype(
        {"pillar": "int64", "planned_thousand_yen": "float64", "participants_expected": "int64"}
    )


# --------------------------------------------------------------------------------------------------- helpers


def _rows(rows: pd.DataFrame | None, kind: str) -> pd.DataFrame:
    """The rows of one kind, tolerating an empty frame without columns and a missing status column."""
    if rows is None or len(rows) == 0:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c == "value" else "object") for c in ROW_COLUMNS})
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
    x = round(float(x), RATING_DECIMALS)
    for grade in ("A", "B", "C"):
        if x >= limits[grade]:
            return grade
    return "D"


# --------------------------------------------------------------------------------------------------- KPIs


def kpi_attainment(
    kpis: pd.DataFrame, rows: pd.DataFrame, reporters: dict[str, tuple[str, ...]], thresholds: RatingThresholds
) -> pd.DataFrame:
    """達成率・進捗率・評価 per KPI (CONTRACT §4), one row per row of ``kpis`` in the same order.

    actual is the sum of the values sent by the KPI's expected reporters (rows of anyone else are ignored).
    Nobody sent a value: actual, percentages NaN, rating "-". Some but not all did: rated on the partial sum,
    provisional=True and the reason says how many. reporters_expected counts ``reporters[kpi_id]``.
    decrease with actual 0: attainment NaN (target / 0) but still rated by progress, as CONTRACT §4 says.
    """
    kpi_rows = _rows(rows, "kpi")
    records = []
    for k in kpis.itertuples(index=False):
        expected = tuple(dict.fromkeys(reporters.get(k.kpi_id, ())))
        mine = kpi_rows[(kpi_rows["item_id"] == k.kpi_id) & kpi_rows["municipality_code"].isin(expected)]
        n_expected, n_received = len(expected), int(mine["municipality_code"].nunique())
        baseline, target = float(k.baseline), float(k.target)
        reasons: list[str] = []
        actual = attainment = progress = np.nan
        if n_received == 0:
            reasons.append(f"報告なし（0/{n_expected}市町村）")
        else:
            actual = _sum_or_nan(mine["value"])
            if n_received < n_expected:
                reasons.append(f"暫定: {n_expected}市町村中{n_received}市町村の合計")
            if k.direction == "decrease":
                attainment = _pct(target, actual)
                if actual == 0:
                    reasons.append("実績値が0のため達成率を計算できません")
            else:
                attainment = _pct(actual, target)
                if target == 0:
                    reasons.append("目標値が0のため達成率を計算できません")
            if k.direction in ("increase", "decrease"):
                progress = _pct(actual - baseline, target - baseline)
                if target == baseline:
                    reasons.append("目標値が基準値と同じため進捗率を計算できません")
        rating = rate(k.direction, attainment, progress, thresholds)
        if rating == NO_RATING and not reasons:
            reasons.append("評価に必要な値がありません")
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
                "／".join(reasons),
                0 < n_received < n_expected,
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
        }
    )


# --------------------------------------------------------------------------------------------------- budget


def budget_execution(initiatives: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """執行率 per initiative (CONTRACT §4), one row per row of ``initiatives`` in the same order.

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
        actual = _sum_or_nan(g["value"]) if reported else np.nan
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
                i.plan_note,
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


def history_tables(plan: Plan, per_year: dict[int, dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    """KPI actuals and initiative spend FY(first)..FY, one column per year."""
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


def compute_year(plan: Plan, fiscal_year: int, rows: pd.DataFrame, settings: Settings) -> dict[str, pd.DataFrame]:
    """Every table of one fiscal year from its accepted rows: kpi_attainment, budget_execution, rollup."""
    kpi = kpi_attainment(plan_kpi_table(plan), rows, {k.id: k.reporters for k in plan.kpis}, settings.ratings)
    budget = budget_execution(plan_initiative_table(plan, fiscal_year), rows)
    return {"kpi_attainment": kpi, "budget_execution": budget, "rollup": rollup(plan, kpi, budget)}

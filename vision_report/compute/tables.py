"""docs/interface.md §4 computation as pure functions: DataFrame in, DataFrame out, in plan (document) order.

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

from vision_report.core.config import RatingThresholds, Settings
from vision_report.intake.normalize import COMPUTED_ROW_COLUMNS
from vision_report.plan import Plan

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
    "rating_reason",
    "provisional",
    # same-basis columns (issue 10): the columns above are computed on the basis the target was set for (the plan's
    # own members); these give the value over all of the year's members beside it
    "basis",
    "actual_all_members",
    "reporters_expected_all",
    "reporters_received_all",
    "provisional_all_members",
    "basis_note",
]
# basis: the actual above is the sum over the plan's basis members, which differ from the year's reporters
BASIS_PLAN = "plan_basis"
# basis: the plan's basis and the year's reporters are the same municipalities (one figure for both)
BASIS_ALL = "all_members"
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
    "plan_note",
    "participants_expected",
]
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
    x = round(float(x), RATING_DECIMALS)
    for grade in ("A", "B", "C"):
        if x >= limits[grade]:
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
) -> pd.DataFrame:
    """達成率・進捗率・評価 per KPI (docs/interface.md §4), one row per row of ``kpis`` in the same order.

    ``reporters`` are the expected reporters on the basis the target was set for (``kpi_reporter_sets``): actual is
    the sum of the values they sent (rows of anyone else are ignored), and attainment, progress and the rating are
    computed on it. Nobody sent a value: actual, percentages NaN, rating "-". Some but not all did: rated on the
    partial sum, provisional=True and the reason says how many. reporters_expected counts ``reporters[kpi_id]``.
    decrease with actual 0: attainment NaN (target / 0) but still rated by progress, as docs/interface.md §4 says.

    ``all_reporters`` (default: the same as ``reporters``) are every expected reporter of the year: actual_all_members
    sums what they sent, with its own counts and provisional flag. basis is "all_members" when both sets are the
    same municipalities, else "plan_basis", and basis_note then says so in Japanese.
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
        basis_note = (
            ""
            if same
            else f"実績値・達成率・評価は、ビジョンで目標を設定した{n_expected}市町村の合計による。（参考：）は、この年度の構成{n_all}市町村すべての合計。"
        )
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
                BASIS_ALL if same else BASIS_PLAN,
                _sum_or_nan(theirs["value"]) if n_all_received else np.nan,
                n_all,
                n_all_received,
                0 < n_all_received < n_all,
                basis_note,
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
    table gets HELD_COUNT_COLUMN at its end, and a KPI with a held value says so in its rating_reason."""
    from vision_report.core.vocabulary import hold_label

    counted = counted_rows(rows)
    basis, everyone = kpi_reporter_sets(plan, fiscal_year)
    kpi = kpi_attainment(plan_kpi_table(plan, fiscal_year), counted, basis, settings.ratings, all_reporters=everyone)
    budget = budget_execution(plan_initiative_table(plan, fiscal_year), counted)
    held_kpi, held_exp = _held_counts(rows, "kpi"), _held_counts(rows, "expenditure")
    kpi[HELD_COUNT_COLUMN] = kpi["kpi_id"].map(lambda k: held_kpi.get(k, 0)).astype("int64")
    note = [f"{hold_label('mark')}の値 {n}件を除く" if n else "" for n in kpi[HELD_COUNT_COLUMN]]
    kpi["rating_reason"] = ["／".join(p for p in (r, n) if p) for r, n in zip(kpi["rating_reason"], note, strict=True)]
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


ACHIEVED = "達成"
NOT_ACHIEVED = "未達成"
RULE_TEXT = {">=": "最終値 ≥ 目標値", "<=": "最終値 ≤ 目標値"}


def period_kpi_summary(kpis: pd.DataFrame, per_year: dict[int, pd.DataFrame], rules: dict[str, str]) -> pd.DataFrame:
    """Every KPI from its baseline through each fiscal year to the final value, and 達成/未達成 against the target.

    ``kpis``: :func:`plan_kpi_table`; ``per_year``: fiscal year -> :func:`kpi_attainment` of that year (its actual
    and provisional columns, i.e. on the plan's basis); ``rules``: direction -> ">=" or "<=" (configuration
    ``final_evaluation.achieved_if``). One column per fiscal year ("2021", …). The final value is the newest year's
    actual that is not missing (final_value_year says which; for other than the plan's last year this is the figure
    to date); achieved is 達成 when ``final_value <rule> target``, else 未達成, "-" without any value.
    final_provisional is that year's provisional flag; provisional_years lists every provisional year (";").
    """
    years = sorted(per_year)
    indexed = {y: per_year[y].set_index("kpi_id") for y in years}
    records = []
    for k in kpis.itertuples(index=False):
        values = {}
        provisional = []
        for y in years:
            t = indexed[y]
            values[y] = float(t.at[k.kpi_id, "actual"]) if k.kpi_id in t.index else np.nan
            if k.kpi_id in t.index and bool(t.at[k.kpi_id, "provisional"]):
                provisional.append(str(y))
        have = [y for y in years if not _is_nan(values[y])]
        rule = rules.get(k.direction)
        if rule not in RULE_TEXT:
            raise ValueError(f"no final_evaluation rule for direction {k.direction!r}")
        if have:
            final_year = have[-1]
            final = values[final_year]
            ok = final >= k.target if rule == ">=" else final <= k.target
            achieved = ACHIEVED if ok else NOT_ACHIEVED
            final_provisional = str(final_year) in provisional
        else:
            final_year, final, achieved, final_provisional = None, np.nan, NO_RATING, False
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
                RULE_TEXT[rule],
                achieved,
                ";".join(provisional),
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
        "rule",
        "achieved",
        "provisional_years",
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
    "plan_note",
    "actual_thousand_yen",
    "execution_pct",
    "years",
    "years_reported",
    "years_implemented",
    "carried_out_as_planned",
]


def period_budget(plan: Plan, per_year: dict[int, pd.DataFrame], first_year: int, last_year: int) -> pd.DataFrame:
    """Budget plan vs actual per initiative over fiscal years ``first_year``..``last_year`` (the plan period, or the
    period to date), in plan order.

    ``per_year``: fiscal year -> :func:`budget_execution` of that year (years not run are missing and count as not
    reported). planned_thousand_yen sums the amounts the plan prints for those years (planned_years of them;
    plan_note lists the others as "未定: 2028, 2029" / "記載なし: 2021"); actual sums what was reported (NaN if
    nothing); execution_pct = actual / planned × 100 (NaN if planned is 0 or NaN). years_implemented counts the
    years in which every expected participant reported 実施 or 完了; carried_out_as_planned (計画どおり実施) is True
    when that holds in every year of the range.
    """
    years = list(range(first_year, last_year + 1))
    indexed = {y: per_year[y].set_index("initiative_id") for y in years if y in per_year}
    records = []
    for i in plan.initiatives:
        printed = {y: i.budget.planned(y) for y in years}
        numbers = [v for v in printed.values() if isinstance(v, int)]
        undecided = [str(y) for y, v in printed.items() if v == NOTE_UNDECIDED]
        blank = [str(y) for y, v in printed.items() if v is None]
        note = "／".join(
            part
            for part in (
                f"{NOTE_UNDECIDED}: {', '.join(undecided)}" if undecided else "",
                f"記載なし: {', '.join(blank)}" if blank else "",
            )
            if part
        )
        planned = float(sum(numbers)) if numbers else np.nan
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
                note,
                actual,
                _pct(actual, planned),
                len(years),
                reported,
                implemented,
                implemented == len(years),
            ]
        )
    return pd.DataFrame(records, columns=PERIOD_BUDGET_COLUMNS).astype(
        {
            "pillar": "int64",
            "planned_thousand_yen": "float64",
            "planned_years": "int64",
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
    kpi = period_kpi_summary(
        plan_kpi_table(plan, fiscal_year),
        {y: t["kpi_attainment"] for y, t in years.items()},
        settings.final_evaluation.achieved_if,
    )
    budget = period_budget(plan, {y: t["budget_execution"] for y, t in years.items()}, first, fiscal_year)
    return {"period_kpi": kpi, "period_budget": budget, "period_rollup": period_rollup(plan, budget)}

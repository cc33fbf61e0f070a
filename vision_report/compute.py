"""CONTRACT §4 computation as pure functions: DataFrame in, DataFrame out, in document order.

Input ``rows`` are the rows of ACCEPTED submissions of one fiscal year: municipality_code, kind
("expenditure" | "kpi"), item_id, value (canonical unit: 千円 / the KPI's unit), status (expenditure).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .config import RatingThresholds
from .plan import Plan

KPI_COLUMNS = ["kpi_id", "kpi_name", "unit", "baseline", "target", "actual", "attainment_pct", "progress_pct",
               "rating", "reporters_expected", "reporters_received", "direction", "measures", "rating_reason",
               "provisional"]
BUDGET_COLUMNS = ["initiative_id", "initiative_name", "planned_thousand_yen", "actual_thousand_yen", "execution_pct",
                  "participants_expected", "participants_reported", "area_id", "pillar", "subfield", "plan_note",
                  "n_implemented", "n_partial", "n_not_implemented", "n_completed", "implemented_by_all"]
ROLLUP_COLUMNS = ["level", "id", "name", "kpi_ids", "kpi_inherited", "kpi_attainment_mean", "rating_A", "rating_B",
                  "rating_C", "rating_D", "rating_none", "planned_thousand_yen", "actual_thousand_yen",
                  "execution_pct", "initiatives", "initiatives_implemented"]
STATUS_COLUMNS = {"実施": "n_implemented", "一部実施": "n_partial", "未実施": "n_not_implemented", "完了": "n_completed"}


def plan_kpi_table(plan: Plan) -> pd.DataFrame:
    return pd.DataFrame({
        "kpi_id": [k.id for k in plan.kpis],
        "kpi_name": [k.name for k in plan.kpis],
        "unit": [k.unit for k in plan.kpis],
        "baseline": [float(k.baseline) for k in plan.kpis],
        "target": [float(k.target) for k in plan.kpis],
        "direction": [k.direction for k in plan.kpis],
        "measures": [k.measures for k in plan.kpis],
        "reporters_expected": [len(k.reporters) for k in plan.kpis],
    })


def plan_initiative_table(plan: Plan, fiscal_year: int) -> pd.DataFrame:
    planned, notes = [], []
    for i in plan.initiatives:
        p = i.budget.planned(fiscal_year)
        planned.append(float(p) if isinstance(p, int) else np.nan)
        notes.append("" if isinstance(p, int) else ("未定" if p == "未定" else "計画額の記載なし"))
    return pd.DataFrame({
        "initiative_id": [i.id for i in plan.initiatives],
        "initiative_name": [i.name for i in plan.initiatives],
        "area_id": [i.area_id for i in plan.initiatives],
        "pillar": [plan.area(i.area_id).pillar for i in plan.initiatives],
        "subfield": [plan.area(i.area_id).subfield for i in plan.initiatives],
        "planned_thousand_yen": planned,
        "plan_note": notes,
        "participants_expected": [len(i.participants) for i in plan.initiatives],
    })


def rate(direction: str, attainment: float, progress: float, thresholds: RatingThresholds) -> str:
    """A/B/C/D by progress (increase/decrease) or attainment (at_least); '-' when it cannot be rated."""
    if direction == "at_least":
        x, t = attainment, thresholds.attainment
    else:
        x, t = progress, thresholds.progress
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    for grade in ("A", "B", "C"):
        if x >= t[grade]:
            return grade
    return "D"


def kpi_attainment(kpis: pd.DataFrame, rows: pd.DataFrame, reporters: dict[str, tuple[str, ...]],
                   thresholds: RatingThresholds) -> pd.DataFrame:
    kpi_rows = rows[rows["kind"] == "kpi"] if len(rows) else rows
    out = []
    for k in kpis.itertuples(index=False):
        expected = set(reporters.get(k.kpi_id, ()))
        mine = kpi_rows[(kpi_rows["item_id"] == k.kpi_id) & (kpi_rows["municipality_code"].isin(expected))] \
            if len(kpi_rows) else kpi_rows
        received = int(mine["municipality_code"].nunique()) if len(mine) else 0
        n_exp = len(expected)
        actual = float(mine["value"].sum()) if received else np.nan
        attainment = progress = np.nan
        reason = ""
        if not received:
            reason = f"報告なし（0/{n_exp}市町村）"
        else:
            if k.direction == "decrease":
                attainment = k.target / actual * 100 if actual else np.nan
                if not actual:
                    reason = "実績値が0のため達成率を計算できません"
            else:
                attainment = actual / k.target * 100 if k.target else np.nan
            if k.direction in ("increase", "decrease"):
                progress = (actual - k.baseline) / (k.target - k.baseline) * 100
        rating = rate(k.direction, attainment, progress, thresholds)
        if rating == "-" and not reason:
            reason = "評価に必要な値がありません"
        provisional = bool(received) and received < n_exp
        if provisional:
            reason = f"暫定: {n_exp}市町村中{received}市町村の合計"
        out.append([k.kpi_id, k.kpi_name, k.unit, k.baseline, k.target, actual, attainment, progress, rating, n_exp,
                    received, k.direction, k.measures, reason, provisional])
    return pd.DataFrame(out, columns=KPI_COLUMNS)


def budget_execution(initiatives: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    exp = rows[rows["kind"] == "expenditure"] if len(rows) else rows
    groups = {k: g for k, g in exp.groupby("item_id")} if len(exp) else {}
    out = []
    for i in initiatives.itertuples(index=False):
        g = groups.get(i.initiative_id)
        reported = int(g["municipality_code"].nunique()) if g is not None else 0
        actual = float(g["value"].sum()) if reported else np.nan
        planned = i.planned_thousand_yen
        execution = actual / planned * 100 if reported and planned and not math.isnan(planned) else np.nan
        counts = {col: 0 for col in STATUS_COLUMNS.values()}
        if g is not None:
            for s in g["status"].dropna():
                if s in STATUS_COLUMNS:
                    counts[STATUS_COLUMNS[s]] += 1
        done = counts["n_implemented"] + counts["n_completed"]
        out.append([i.initiative_id, i.initiative_name, planned, actual, execution, i.participants_expected, reported,
                    i.area_id, i.pillar, i.subfield, i.plan_note, counts["n_implemented"], counts["n_partial"],
                    counts["n_not_implemented"], counts["n_completed"], done >= i.participants_expected > 0])
    return pd.DataFrame(out, columns=BUDGET_COLUMNS)


def _nan_sum(values: pd.Series) -> float:
    v = values.dropna()
    return float(v.sum()) if len(v) else np.nan


def rollup(plan: Plan, kpi_result: pd.DataFrame, budget_result: pd.DataFrame) -> pd.DataFrame:
    """Every pillar, then (for pillar 3) each sub-field followed by its areas; else the pillar's areas."""
    kpi_by_node: dict[str, list[str]] = {}
    for k in plan.kpis:
        kpi_by_node.setdefault(k.measures, []).append(k.id)
    kres = kpi_result.set_index("kpi_id")
    nodes: list[tuple[str, str, str, list[str], bool, list[str]]] = []  # level, id, name, kpis, inherited, inits
    for p in plan.pillars:
        pid = str(p.id)
        below = list(kpi_by_node.get(pid, []))
        for s in p.subfield_ids:
            below += kpi_by_node.get(s, [])
        for a in p.area_ids:
            below += kpi_by_node.get(a, [])
        p_inits = [i for a in p.area_ids for i in plan.area(a).initiative_ids]
        nodes.append(("pillar", pid, p.name, below, False, p_inits))
        groups = [(s, plan.subfield(s).area_ids) for s in p.subfield_ids] or [(None, p.area_ids)]
        for sid, area_ids in groups:
            if sid:
                s_below = list(kpi_by_node.get(sid, [])) + [k for a in area_ids for k in kpi_by_node.get(a, [])]
                s_inherited = not s_below
                nodes.append(("subfield", sid, plan.subfield(sid).name, s_below or list(kpi_by_node.get(pid, [])),
                              s_inherited, [i for a in area_ids for i in plan.area(a).initiative_ids]))
            for a in area_ids:
                own = list(kpi_by_node.get(a, []))
                inherited = not own
                if inherited:
                    own = list(kpi_by_node.get(sid, [])) if sid and kpi_by_node.get(sid) else list(kpi_by_node.get(pid, []))
                nodes.append(("area", a, plan.area(a).name, own, inherited, list(plan.area(a).initiative_ids)))
    bres = budget_result.set_index("initiative_id")
    out = []
    for level, nid, name, kids, inherited, inits in nodes:
        sub = kres.loc[kids] if kids else kres.iloc[0:0]
        ratings = sub["rating"].tolist()
        att = sub["attainment_pct"].dropna()
        b = bres.loc[inits] if inits else bres.iloc[0:0]
        planned = _nan_sum(b["planned_thousand_yen"])
        actual = _nan_sum(b["actual_thousand_yen"])
        execution = actual / planned * 100 if planned and not math.isnan(planned) and not math.isnan(actual) else np.nan
        out.append([level, nid, name, ";".join(kids), inherited, float(att.mean()) if len(att) else np.nan,
                    ratings.count("A"), ratings.count("B"), ratings.count("C"), ratings.count("D"),
                    sum(1 for r in ratings if r not in ("A", "B", "C", "D")), planned, actual, execution, len(inits),
                    int(b["implemented_by_all"].sum()) if len(b) else 0])
    return pd.DataFrame(out, columns=ROLLUP_COLUMNS)


def history(per_year: dict[int, pd.DataFrame], key: str, value: str) -> pd.DataFrame:
    """Wide table: ``key`` then one column per fiscal year ("2021", "2022", …) holding ``value``."""
    years = sorted(per_year)
    if not years:
        return pd.DataFrame(columns=[key])
    out = per_year[years[-1]][[key]].copy()
    for y in years:
        out = out.merge(per_year[y][[key, value]].rename(columns={value: str(y)}), on=key, how="left")
    return out.reset_index(drop=True)

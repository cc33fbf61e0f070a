"""CONTRACT §4 computation: tiny inputs -> expected tables written inline (pandas.testing)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from vision_report import compute
from vision_report.config import RatingThresholds
from vision_report.plan import load_plan

TINY = load_plan(Path(__file__).resolve().parent / "fixtures" / "plan_tiny")
T = RatingThresholds(progress={"A": 100, "B": 50, "C": 0}, attainment={"A": 100, "B": 80, "C": 50})
NAN = np.nan
K, M2, M3 = "431001", "432067", "432083"


def rows(*items) -> pd.DataFrame:
    """(code, kind, item_id, value[, status])"""
    data = [(c, k, i, float(v), (s[0] if s else None)) for c, k, i, v, *s in items]
    return pd.DataFrame(data, columns=["municipality_code", "kind", "item_id", "value", "status"])


def kpi(kpi_id, direction, baseline, target, reporters=(K,)):
    table = pd.DataFrame({"kpi_id": [kpi_id], "kpi_name": ["指標"], "unit": ["人"], "baseline": [float(baseline)],
                          "target": [float(target)], "direction": [direction], "measures": ["1"],
                          "reporters_expected": [len(reporters)]})
    return table, {kpi_id: tuple(reporters)}


@pytest.mark.parametrize("direction, baseline, target, actual, attainment, progress, rating", [
    # increase: rated by progress
    ("increase", 100, 200, 200, 100.0, 100.0, "A"),
    ("increase", 100, 200, 150, 75.0, 50.0, "B"),
    ("increase", 100, 200, 149, 74.5, 49.0, "C"),
    ("increase", 100, 200, 100, 50.0, 0.0, "C"),
    ("increase", 100, 200, 90, 45.0, -10.0, "D"),
    ("increase", 100, 200, 0, 0.0, -100.0, "D"),
    # decrease: attainment = target / actual, progress with the same formula
    ("decrease", 80, 40, 40, 100.0, 100.0, "A"),
    ("decrease", 80, 40, 60, 200 / 3, 50.0, "B"),
    ("decrease", 80, 40, 100, 40.0, -50.0, "D"),
    # at_least: rated by attainment, no progress
    ("at_least", 50, 40, 40, 100.0, NAN, "A"),
    ("at_least", 50, 40, 32, 80.0, NAN, "B"),
    ("at_least", 50, 40, 31.9, 79.75, NAN, "C"),
    ("at_least", 50, 40, 20, 50.0, NAN, "C"),
    ("at_least", 50, 40, 19.9, 49.75, NAN, "D"),
    ("at_least", 4771, 2000, -300, -15.0, NAN, "D"),  # negative net migration
])
def test_kpi_directions_and_boundaries(direction, baseline, target, actual, attainment, progress, rating):
    table, rep = kpi("x", direction, baseline, target)
    got = compute.kpi_attainment(table, rows((K, "kpi", "x", actual)), rep, T)
    expected = pd.DataFrame({
        "kpi_id": ["x"], "kpi_name": ["指標"], "unit": ["人"], "baseline": [float(baseline)], "target": [float(target)],
        "actual": [float(actual)], "attainment_pct": [attainment], "progress_pct": [progress], "rating": [rating],
        "reporters_expected": [1], "reporters_received": [1], "direction": [direction], "measures": ["1"],
        "rating_reason": [""], "provisional": [False],
    })
    assert_frame_equal(got, expected)


def test_kpi_sum_over_reporters_partial_and_missing():
    table = pd.DataFrame({
        "kpi_id": ["all", "core", "none"], "kpi_name": ["a", "b", "c"], "unit": ["人"] * 3,
        "baseline": [10.0, 10.0, 10.0], "target": [20.0, 20.0, 20.0], "direction": ["increase"] * 3,
        "measures": ["1"] * 3, "reporters_expected": [3, 1, 3],
    })
    rep = {"all": (K, M2, M3), "core": (K,), "none": (K, M2, M3)}
    got = compute.kpi_attainment(table, rows(
        (K, "kpi", "all", 8), (M2, "kpi", "all", 7),  # M3 missing
        (K, "kpi", "core", 15), (M2, "kpi", "core", 99),  # M2 is not a reporter of "core": ignored
        (K, "expenditure", "none", 5),  # an expenditure row with the same id is not a KPI value
    ), rep, T)
    expected = pd.DataFrame({
        "kpi_id": ["all", "core", "none"], "kpi_name": ["a", "b", "c"], "unit": ["人"] * 3,
        "baseline": [10.0] * 3, "target": [20.0] * 3, "actual": [15.0, 15.0, NAN],
        "attainment_pct": [75.0, 75.0, NAN], "progress_pct": [50.0, 50.0, NAN], "rating": ["B", "B", "-"],
        "reporters_expected": [3, 1, 3], "reporters_received": [2, 1, 0], "direction": ["increase"] * 3,
        "measures": ["1"] * 3,
        "rating_reason": ["暫定: 3市町村中2市町村の合計", "", "報告なし（0/3市町村）"],
        "provisional": [True, False, False],
    })
    assert_frame_equal(got, expected)


def test_kpi_decrease_with_zero_actual_has_no_attainment_but_is_rated_by_progress():
    table, rep = kpi("x", "decrease", 80, 40)
    got = compute.kpi_attainment(table, rows((K, "kpi", "x", 0)), rep, T)
    assert np.isnan(got.loc[0, "attainment_pct"]) and got.loc[0, "progress_pct"] == 200.0
    assert got.loc[0, "rating"] == "A"  # progress decides for decrease
    assert got.loc[0, "rating_reason"] == "実績値が0のため達成率を計算できません"


def test_thresholds_come_from_configuration():
    strict = RatingThresholds(progress={"A": 120, "B": 90, "C": 60}, attainment={"A": 110, "B": 100, "C": 90})
    table, rep = kpi("x", "increase", 100, 200)
    assert compute.kpi_attainment(table, rows((K, "kpi", "x", 200)), rep, strict).loc[0, "rating"] == "B"
    table, rep = kpi("y", "at_least", 50, 40)
    assert compute.kpi_attainment(table, rows((K, "kpi", "y", 40)), rep, strict).loc[0, "rating"] == "B"


def test_budget_execution_planned_blank_undecided_zero_and_missing():
    init = compute.plan_initiative_table(TINY, 2025)
    got = compute.budget_execution(init, rows(
        (K, "expenditure", "1.1.1", 30, "実施"), (M2, "expenditure", "1.1.1", 10, "完了"),
        (M3, "expenditure", "1.1.1", 0, "一部実施"),
        (K, "expenditure", "1.1.2", 7, "実施"),  # plan 未定 in 2025
        (K, "expenditure", "2.2.1", 1, "実施"), (M3, "expenditure", "2.2.1", 0, "未実施"),
        (K, "kpi", "2.1.1", 5),  # a KPI row is not spend
    ))
    expected = pd.DataFrame({
        "initiative_id": ["1.1.1", "1.1.2", "2.1.1", "2.2.1"],
        "initiative_name": ["産業支援", "未定のある事業", "救急", "後見"],
        "planned_thousand_yen": [50.0, NAN, NAN, 1.0],
        "actual_thousand_yen": [40.0, 7.0, NAN, 1.0],
        "execution_pct": [80.0, NAN, NAN, 100.0],
        "participants_expected": [3, 1, 2, 2], "participants_reported": [3, 1, 0, 2],
        "area_id": ["1.1", "1.1", "2.1", "2.2"], "pillar": [1, 1, 2, 2], "subfield": [None, None, "2A", "2A"],
        "plan_note": ["", "未定", "計画額の記載なし", ""],
        "n_implemented": [1, 1, 0, 1], "n_partial": [1, 0, 0, 0], "n_not_implemented": [0, 0, 0, 1],
        "n_completed": [1, 0, 0, 0], "implemented_by_all": [False, True, False, False],
    })
    assert_frame_equal(got, expected)


def test_budget_execution_plan_zero_has_no_percentage():
    init = compute.plan_initiative_table(TINY, 2021)  # 1.1.2 plans 0 in 2021
    got = compute.budget_execution(init, rows((K, "expenditure", "1.1.2", 3, "実施")))
    row = got.set_index("initiative_id").loc["1.1.2"]
    assert row["planned_thousand_yen"] == 0 and row["actual_thousand_yen"] == 3 and np.isnan(row["execution_pct"])


def test_rollup_tiny_plan():
    kpis = compute.plan_kpi_table(TINY)
    rep = {k.id: k.reporters for k in TINY.kpis}
    r = rows((K, "kpi", "k_up", 150), (M2, "kpi", "k_up", 0), (M3, "kpi", "k_up", 0),  # progress 50 -> B
             (K, "kpi", "k_keep", 20),  # at_least 50% -> C
             (K, "expenditure", "1.1.1", 40, "実施"), (M2, "expenditure", "1.1.1", 0, "実施"),
             (M3, "expenditure", "1.1.1", 0, "実施"), (K, "expenditure", "2.2.1", 2, "実施"),
             (M3, "expenditure", "2.2.1", 0, "実施"))
    k = compute.kpi_attainment(kpis, r, rep, T)
    b = compute.budget_execution(compute.plan_initiative_table(TINY, 2024), r)
    got = compute.rollup(TINY, k, b)
    expected = pd.DataFrame({
        "level": ["pillar", "area", "pillar", "subfield", "area", "area"],
        "id": ["1", "1.1", "2", "2A", "2.1", "2.2"],
        "name": ["経済", "産業", "生活", "生活機能", "医療", "福祉"],
        "kpi_ids": ["k_up", "k_up", "k_keep;k_down", "k_keep;k_down", "k_down", "k_keep"],
        "kpi_inherited": [False, True, False, False, False, True],
        "kpi_attainment_mean": [75.0, 75.0, 50.0, 50.0, NAN, 50.0],
        "rating_A": [0] * 6, "rating_B": [1, 1, 0, 0, 0, 0], "rating_C": [0, 0, 1, 1, 0, 1],
        "rating_D": [0] * 6, "rating_none": [0, 0, 1, 1, 1, 0],
        "planned_thousand_yen": [45.0, 45.0, 1.0, 1.0, NAN, 1.0],
        "actual_thousand_yen": [40.0, 40.0, 2.0, 2.0, NAN, 2.0],
        "execution_pct": [40 / 45 * 100, 40 / 45 * 100, 200.0, 200.0, NAN, 200.0],
        "initiatives": [2, 2, 2, 2, 1, 1], "initiatives_implemented": [1, 1, 1, 1, 0, 1],
    })
    assert_frame_equal(got, expected)


def test_rollup_shipped_plan_order_and_totals(plan):
    k = compute.kpi_attainment(compute.plan_kpi_table(plan), rows(), {x.id: x.reporters for x in plan.kpis}, T)
    b = compute.budget_execution(compute.plan_initiative_table(plan, 2024), rows())
    got = compute.rollup(plan, k, b)
    assert (got["level"] == "pillar").sum() == 3 and (got["level"] == "subfield").sum() == 3
    assert (got["level"] == "area").sum() == 28
    assert got["id"].tolist()[:5] == ["1", "1.1", "1.2", "1.3", "2"]
    assert got["id"].tolist()[8:11] == ["3", "3A", "3.1"]
    p = got.set_index("id")
    for pid in ("1", "2", "3"):
        inits = [i for i in plan.initiatives if str(plan.area(i.area_id).pillar) == pid]
        s = sum(i.budget.planned(2024) for i in inits if isinstance(i.budget.planned(2024), int))
        assert p.loc[pid, "planned_thousand_yen"] == s
    assert p.loc["3.5", "kpi_inherited"] and p.loc["3.5", "kpi_ids"] == "facility_mutual_use"
    assert p.loc["3", "kpi_ids"] == "net_migration;births;facility_mutual_use;transit_riders;new_initiatives"
    assert p.loc["3", "rating_none"] == 5


def test_history_wide_table():
    y1 = pd.DataFrame({"kpi_id": ["a", "b"], "actual": [1.0, 2.0]})
    y2 = pd.DataFrame({"kpi_id": ["a", "b"], "actual": [3.0, NAN]})
    got = compute.history({2022: y2, 2021: y1}, "kpi_id", "actual")
    assert_frame_equal(got, pd.DataFrame({"kpi_id": ["a", "b"], "2021": [1.0, 2.0], "2022": [3.0, NAN]}))

"""docs/interface.md §4 computation: tiny inputs -> expected tables written inline (pandas.testing)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from vision_report.compute import budget as compute_budget
from vision_report.compute import history as compute_history
from vision_report.compute import kpis as compute_kpis
from vision_report.compute import period as compute_period
from vision_report.compute import plan_tables as compute_plan_tables
from vision_report.compute import rollup as compute_rollup
from vision_report.core.config import RatingThresholds
from vision_report.outputs.words import for_csv, worded_table
from vision_report.plan import load_plan

TINY = load_plan(Path(__file__).resolve().parent / "fixtures" / "plan_tiny")
T = RatingThresholds(progress={"A": 100, "B": 50, "C": 0}, attainment={"A": 100, "B": 80, "C": 50})
STRICT = RatingThresholds(progress={"A": 120, "B": 90, "C": 60}, attainment={"A": 110, "B": 100, "C": 90})
NAN = np.nan
K, M2, M3 = "431001", "432067", "432083"


# compute returns codes and numbers; these tests check the tables as published (outputs/words.py words the codes the
# way the CSVs carry them: rating_reason, basis_note, plan_note, rule, achieved). The codes: tests/test_words.py


def kpi_attainment(*args, **kwargs) -> pd.DataFrame:
    return for_csv(worded_table("kpi_attainment", compute_kpis.kpi_attainment(*args, **kwargs)))


def budget_execution(*args, **kwargs) -> pd.DataFrame:
    return for_csv(worded_table("budget_execution", compute_budget.budget_execution(*args, **kwargs)))


def period_kpi_summary(*args, **kwargs) -> pd.DataFrame:
    return for_csv(worded_table("period_kpi", compute_period.period_kpi_summary(*args, **kwargs)))


def period_budget(*args, **kwargs) -> pd.DataFrame:
    return for_csv(worded_table("period_budget", compute_period.period_budget(*args, **kwargs)))


def rows(*items) -> pd.DataFrame:
    """Accepted rows from tuples (code, kind, item_id, value[, status])."""
    data = [(c, k, i, float(v), (s[0] if s else None)) for c, k, i, v, *s in items]
    return pd.DataFrame(data, columns=["municipality_code", "kind", "item_id", "value", "status"])


def kpi(kpi_id, direction, baseline, target, reporters=(K,)):
    """A one-KPI table as plan_kpi_table makes it, and its reporters."""
    table = pd.DataFrame(
        {
            "kpi_id": [kpi_id],
            "kpi_name": ["指標"],
            "unit": ["人"],
            "baseline": [float(baseline)],
            "target": [float(target)],
            "direction": [direction],
            "measures": ["1"],
            "reporters_expected": [len(reporters)],
        }
    )
    return table, {kpi_id: tuple(reporters)}


def one_kpi_expected(
    direction,
    baseline,
    target,
    actual,
    attainment,
    progress,
    rating,
    *,
    expected=1,
    received=1,
    reason="",
    provisional=False,
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "kpi_id": ["x"],
            "kpi_name": ["指標"],
            "unit": ["人"],
            "baseline": [float(baseline)],
            "target": [float(target)],
            "actual": [float(actual)],
            "attainment_pct": [float(attainment)],
            "progress_pct": [float(progress)],
            "rating": [rating],
            "reporters_expected": [expected],
            "reporters_received": [received],
            "direction": [direction],
            "measures": ["1"],
            "rating_reason": [reason],
            "provisional": [provisional],
            # without all_reporters the year's reporters are the basis: the all-members columns repeat the basis
            "basis": ["all_members"],
            "actual_all_members": [float(actual)],
            "reporters_expected_all": [expected],
            "reporters_received_all": [received],
            "provisional_all_members": [provisional],
            "basis_note": [""],
        }
    )


# ------------------------------------------------------------------------------------------------ plan tables


def test_plan_kpi_table():
    expected = pd.DataFrame(
        {
            "kpi_id": ["k_up", "k_keep", "k_down"],
            "kpi_name": ["増やす指標", "維持する指標", "減らす指標"],
            "unit": ["人", "件", "件"],
            "baseline": [100.0, 50.0, 80.0],
            "target": [200.0, 40.0, 40.0],
            "direction": ["increase", "at_least", "decrease"],
            "measures": ["1", "2A", "2.1"],
            "reporters_expected": [3, 1, 2],
            "baseline_year": [2020, 2020, 2020],
        }
    )
    assert_frame_equal(compute_plan_tables.plan_kpi_table(TINY), expected)


@pytest.mark.parametrize(
    "fy, planned, notes",
    [
        (2021, [10.0, 0.0, NAN, 1.0], ["", "", "blank", ""]),  # a printed 0 is a plan of 0
        (2022, [20.0, NAN, NAN, 1.0], ["", "blank", "blank", ""]),  # blank cell
        (2024, [40.0, 5.0, NAN, 1.0], ["", "", "blank", ""]),  # 2.1.1 prints only a total
        (2025, [50.0, NAN, NAN, 1.0], ["", "undecided", "blank", ""]),
        (2026, [NAN, NAN, NAN, NAN], ["blank"] * 4),  # outside the plan period
    ],
)
def test_plan_initiative_table(fy, planned, notes):
    expected = pd.DataFrame(
        {
            "initiative_id": ["1.1.1", "1.1.2", "2.1.1", "2.2.1"],
            "initiative_name": ["産業支援", "未定のある事業", "救急", "後見"],
            "area_id": ["1.1", "1.1", "2.1", "2.2"],
            "pillar": [1, 1, 2, 2],
            "subfield": [None, None, "2A", "2A"],
            "planned_thousand_yen": planned,
            "plan_note_code": notes,
            "participants_expected": [3, 1, 2, 2],
        }
    )
    assert_frame_equal(compute_plan_tables.plan_initiative_table(TINY, fy), expected)


# ------------------------------------------------------------------------------------------------ KPI attainment


@pytest.mark.parametrize(
    "direction, baseline, target, actual, attainment, progress, rating",
    [
        # increase: attainment = actual / target, rated by progress (A ≥ 100, B ≥ 50, C ≥ 0, D < 0)
        ("increase", 100, 200, 250, 125.0, 150.0, "A"),
        ("increase", 100, 200, 200, 100.0, 100.0, "A"),
        ("increase", 100, 200, 199, 99.5, 99.0, "B"),
        ("increase", 100, 200, 150, 75.0, 50.0, "B"),
        ("increase", 100, 200, 149, 74.5, 49.0, "C"),
        ("increase", 100, 200, 100, 50.0, 0.0, "C"),
        ("increase", 100, 200, 99, 49.5, -1.0, "D"),
        ("increase", 100, 200, 0, 0.0, -100.0, "D"),  # zero actual
        ("increase", 100, 200, -50, -25.0, -150.0, "D"),  # negative actual
        ("increase", 1076, 1190, 1133, 1133 / 1190 * 100, 50.0, "B"),  # startups, the shipped KPI's numbers
        # decrease: attainment = target / actual, progress with the same formula (both differences negative)
        ("decrease", 80, 40, 30, 400 / 3, 125.0, "A"),
        ("decrease", 80, 40, 40, 100.0, 100.0, "A"),
        ("decrease", 80, 40, 60, 200 / 3, 50.0, "B"),
        ("decrease", 80, 40, 61, 4000 / 61, 47.5, "C"),
        ("decrease", 80, 40, 80, 50.0, 0.0, "C"),
        ("decrease", 80, 40, 100, 40.0, -50.0, "D"),
        # at_least: rated by attainment (A ≥ 100, B ≥ 80, C ≥ 50, D < 50), no progress
        ("at_least", 50, 40, 60, 150.0, NAN, "A"),
        ("at_least", 50, 40, 40, 100.0, NAN, "A"),
        ("at_least", 50, 40, 39.9, 99.75, NAN, "B"),
        ("at_least", 50, 40, 32, 80.0, NAN, "B"),
        ("at_least", 50, 40, 31.9, 79.75, NAN, "C"),
        ("at_least", 50, 40, 20, 50.0, NAN, "C"),
        ("at_least", 50, 40, 19.9, 49.75, NAN, "D"),
        ("at_least", 50, 40, 0, 0.0, NAN, "D"),
        ("at_least", 4771, 2000, -300, -15.0, NAN, "D"),  # negative net migration: negative attainment
    ],
)
def test_kpi_directions_and_boundaries(direction, baseline, target, actual, attainment, progress, rating):
    table, rep = kpi("x", direction, baseline, target)
    got = kpi_attainment(table, rows((K, "kpi", "x", actual)), rep, T)
    assert_frame_equal(got, one_kpi_expected(direction, baseline, target, actual, attainment, progress, rating))


@pytest.mark.parametrize(
    "direction, baseline, target, actual, field, boundary, rating",
    [
        # exactly on a boundary in decimal arithmetic, a hair below it in binary floating point
        ("at_least", 5, 5.65, 4.52, "attainment_pct", 80, "B"),  # 4.52 / 5.65 * 100 = 79.99999999999999
        ("increase", 0.1, 0.4, 0.25, "progress_pct", 50, "B"),  # 49.999999999999986
        ("increase", 1.1, 1.3, 1.2, "progress_pct", 50, "B"),  # 49.99999999999994
    ],
)
def test_boundary_is_not_lost_to_float_noise(direction, baseline, target, actual, field, boundary, rating):
    table, rep = kpi("x", direction, baseline, target)
    got = kpi_attainment(table, rows((K, "kpi", "x", actual)), rep, T)
    assert got.loc[0, field] < boundary  # full precision is kept in the frame
    assert got.loc[0, field] == pytest.approx(boundary)
    assert got.loc[0, "rating"] == rating


@pytest.mark.parametrize(
    "thresholds, direction, actual, rating",
    [
        # STRICT: progress A 120 / B 90 / C 60, attainment A 110 / B 100 / C 90; KPI 100 -> 200 or at least 40
        (STRICT, "increase", 220, "A"),
        (STRICT, "increase", 219, "B"),
        (STRICT, "increase", 200, "B"),
        (STRICT, "increase", 190, "B"),
        (STRICT, "increase", 189, "C"),
        (STRICT, "increase", 160, "C"),
        (STRICT, "increase", 159, "D"),
        (STRICT, "at_least", 44, "A"),
        (STRICT, "at_least", 43.9, "B"),
        (STRICT, "at_least", 40, "B"),
        (STRICT, "at_least", 36, "C"),
        (STRICT, "at_least", 35.9, "D"),
        # C below zero: a small fall is still C
        (RatingThresholds({"A": 100, "B": 50, "C": -20}, T.attainment), "increase", 80, "C"),
        (RatingThresholds({"A": 100, "B": 50, "C": -20}, T.attainment), "increase", 79, "D"),
        # A = B: no B band
        (RatingThresholds({"A": 100, "B": 100, "C": 0}, T.attainment), "increase", 200, "A"),
        (RatingThresholds({"A": 100, "B": 100, "C": 0}, T.attainment), "increase", 199, "C"),
        # progress thresholds do not apply to at_least, attainment thresholds do not apply to increase
        (RatingThresholds({"A": 1000, "B": 900, "C": 800}, T.attainment), "at_least", 40, "A"),
        (RatingThresholds(T.progress, {"A": 1000, "B": 900, "C": 800}), "increase", 200, "A"),
    ],
)
def test_thresholds_come_from_configuration(thresholds, direction, actual, rating):
    table, rep = kpi("x", direction, 100 if direction == "increase" else 50, 200 if direction == "increase" else 40)
    got = kpi_attainment(table, rows((K, "kpi", "x", actual)), rep, thresholds)
    assert got.loc[0, "rating"] == rating


def test_kpi_sum_over_reporters_partial_and_missing():
    table = pd.DataFrame(
        {
            "kpi_id": ["all", "core", "none", "neg"],
            "kpi_name": ["a", "b", "c", "d"],
            "unit": ["人"] * 4,
            "baseline": [10.0, 10.0, 10.0, 4771.0],
            "target": [20.0, 20.0, 20.0, 2000.0],
            "direction": ["increase", "increase", "increase", "at_least"],
            "measures": ["1", "1", "1", "3"],
            "reporters_expected": [3, 1, 3, 3],
        }
    )
    rep = {"all": (K, M2, M3), "core": (K,), "none": (K, M2, M3), "neg": (K, M2, M3)}
    got = kpi_attainment(
        table,
        rows(
            (K, "kpi", "all", 8),
            (M2, "kpi", "all", 4),  # M3 missing: provisional
            (K, "kpi", "core", 15),
            (M2, "kpi", "core", 99),  # M2 is not a reporter of "core": ignored
            (K, "expenditure", "none", 5),  # an expenditure row with the same id is not a KPI value
            (K, "kpi", "neg", 1500),
            (M2, "kpi", "neg", -700),
            (M3, "kpi", "neg", -1000),  # negative sum
        ),
        rep,
        T,
    )
    expected = pd.DataFrame(
        {
            "kpi_id": ["all", "core", "none", "neg"],
            "kpi_name": ["a", "b", "c", "d"],
            "unit": ["人"] * 4,
            "baseline": [10.0, 10.0, 10.0, 4771.0],
            "target": [20.0, 20.0, 20.0, 2000.0],
            "actual": [12.0, 15.0, NAN, -200.0],
            "attainment_pct": [60.0, 75.0, NAN, -10.0],
            "progress_pct": [20.0, 50.0, NAN, NAN],
            "rating": ["C", "B", "-", "D"],
            "reporters_expected": [3, 1, 3, 3],
            "reporters_received": [2, 1, 0, 3],
            "direction": ["increase", "increase", "increase", "at_least"],
            "measures": ["1", "1", "1", "3"],
            "rating_reason": ["暫定: 3市町村中2市町村の合計", "", "報告なし（0/3市町村）", ""],
            "provisional": [True, False, False, False],
            "basis": ["all_members"] * 4,
            "actual_all_members": [12.0, 15.0, NAN, -200.0],
            "reporters_expected_all": [3, 1, 3, 3],
            "reporters_received_all": [2, 1, 0, 3],
            "provisional_all_members": [True, False, False, False],
            "basis_note": [""] * 4,
        }
    )
    assert_frame_equal(got, expected)


def test_kpi_with_no_rows_at_all():
    table, rep = kpi("x", "at_least", 50, 40, reporters=(K, M2))
    empty = pd.DataFrame(columns=["municipality_code", "kind", "item_id", "value", "status"])
    expected = one_kpi_expected(
        "at_least", 50, 40, NAN, NAN, NAN, "-", expected=2, received=0, reason="報告なし（0/2市町村）"
    )
    assert_frame_equal(kpi_attainment(table, empty, rep, T), expected)
    assert_frame_equal(kpi_attainment(table, pd.DataFrame(), rep, T), expected)


def test_kpi_decrease_with_zero_actual_has_no_attainment_but_is_rated_by_progress():
    table, rep = kpi("x", "decrease", 80, 40)
    got = kpi_attainment(table, rows((K, "kpi", "x", 0)), rep, T)
    expected = one_kpi_expected("decrease", 80, 40, 0, NAN, 200.0, "A", reason="実績値が0のため達成率を計算できません")
    assert_frame_equal(got, expected)


def test_kpi_reasons_are_combined_when_provisional_and_zero():
    table, rep = kpi("x", "decrease", 80, 40, reporters=(K, M2))
    got = kpi_attainment(table, rows((K, "kpi", "x", 0)), rep, T)
    expected = one_kpi_expected(
        "decrease",
        80,
        40,
        0,
        NAN,
        200.0,
        "A",
        expected=2,
        received=1,
        provisional=True,
        reason="暫定: 2市町村中1市町村の合計／実績値が0のため達成率を計算できません",
    )
    assert_frame_equal(got, expected)


@pytest.mark.parametrize(
    "direction, baseline, target, actual, attainment, progress, rating, reason",
    [
        ("at_least", 5, 0, 3, NAN, NAN, "-", "目標値が0のため達成率を計算できません"),
        ("increase", 100, 100, 120, 120.0, NAN, "-", "目標値が現状値と同じため進捗率を計算できません"),
    ],
)
def test_kpi_that_cannot_be_rated_says_why(direction, baseline, target, actual, attainment, progress, rating, reason):
    table, rep = kpi("x", direction, baseline, target)
    got = kpi_attainment(table, rows((K, "kpi", "x", actual)), rep, T)
    assert_frame_equal(
        got, one_kpi_expected(direction, baseline, target, actual, attainment, progress, rating, reason=reason)
    )


# ------------------------------------------------------------------------------------------------ budget execution


def test_budget_execution_fy2024_partial_and_missing_reports():
    init = compute_plan_tables.plan_initiative_table(TINY, 2024)  # planned 40, 5, blank, 1
    got = budget_execution(
        init,
        rows(
            (K, "expenditure", "1.1.1", 30, "実施"),
            (M2, "expenditure", "1.1.1", 10, "完了"),  # M3 sent nothing
            # 1.1.2: nobody reported
            (K, "expenditure", "2.1.1", 3, "実施"),
            (M2, "expenditure", "2.1.1", 4, "完了"),  # plan blank
            (K, "expenditure", "2.2.1", 2, "一部実施"),
            (M3, "expenditure", "2.2.1", 0, "未実施"),
            (K, "kpi", "1.1.2", 5),  # a KPI row is not spend
        ),
    )
    expected = pd.DataFrame(
        {
            "initiative_id": ["1.1.1", "1.1.2", "2.1.1", "2.2.1"],
            "initiative_name": ["産業支援", "未定のある事業", "救急", "後見"],
            "planned_thousand_yen": [40.0, 5.0, NAN, 1.0],
            "actual_thousand_yen": [40.0, NAN, 7.0, 2.0],
            "execution_pct": [100.0, NAN, NAN, 200.0],
            "participants_expected": [3, 1, 2, 2],
            "participants_reported": [2, 0, 2, 2],
            "area_id": ["1.1", "1.1", "2.1", "2.2"],
            "pillar": [1, 1, 2, 2],
            "subfield": [None, None, "2A", "2A"],
            "plan_note": ["", "", "計画額の記載なし", ""],
            "n_implemented": [1, 0, 1, 0],
            "n_partial": [0, 0, 0, 1],
            "n_not_implemented": [0, 0, 0, 1],
            "n_completed": [1, 0, 1, 0],
            "implemented_by_all": [False, False, True, False],
        }
    )
    assert_frame_equal(got, expected)


@pytest.mark.parametrize(
    "fy, initiative, items, planned, actual, execution, reported, note, implemented",
    [
        (2025, "1.1.2", [(K, 7, "完了")], NAN, 7.0, NAN, 1, "未定", True),  # plan 未定
        (2022, "1.1.2", [(K, 7, "実施")], NAN, 7.0, NAN, 1, "計画額の記載なし", True),  # plan blank
        (2021, "1.1.2", [(K, 3, "実施")], 0.0, 3.0, NAN, 1, "", True),  # plan 0: no percentage
        (2021, "1.1.2", [(K, 0, "未実施")], 0.0, 0.0, NAN, 1, "", False),
        (2024, "1.1.1", [(K, 0, "未実施"), (M2, 0, "未実施"), (M3, 0, "未実施")], 40.0, 0.0, 0.0, 3, "", False),
        (2024, "1.1.1", [(K, 10, "実施"), (M2, 20, "実施"), (M3, 2, "完了")], 40.0, 32.0, 80.0, 3, "", True),
        (2024, "1.1.1", [(K, 10, "実施"), (M2, 20, "実施"), (M3, 2, "一部実施")], 40.0, 32.0, 80.0, 3, "", False),
        (2024, "1.1.1", [(K, 10, "実施"), (M2, 20, "実施"), (M3, 2, None)], 40.0, 32.0, 80.0, 3, "", False),
        (2024, "1.1.1", [(K, 10, "実施"), (M2, 20, "実施")], 40.0, 30.0, 75.0, 2, "", False),  # partial reporting
        (2023, "1.1.1", [(K, 45, "実施")], 30.0, 45.0, 150.0, 1, "", False),
        (2024, "1.1.1", [], 40.0, NAN, NAN, 0, "", False),  # nobody reported
    ],
)
def test_budget_execution_cases(fy, initiative, items, planned, actual, execution, reported, note, implemented):
    init = compute_plan_tables.plan_initiative_table(TINY, fy)
    got = budget_execution(init, rows(*[(c, "expenditure", initiative, v, s) for c, v, s in items]))
    row = got.set_index("initiative_id").loc[
        [initiative],
        [
            "planned_thousand_yen",
            "actual_thousand_yen",
            "execution_pct",
            "participants_reported",
            "plan_note",
            "implemented_by_all",
        ],
    ]
    expected = pd.DataFrame(
        {
            "planned_thousand_yen": [planned],
            "actual_thousand_yen": [actual],
            "execution_pct": [execution],
            "participants_reported": [reported],
            "plan_note": [note],
            "implemented_by_all": [implemented],
        },
        index=pd.Index([initiative], name="initiative_id"),
    )
    assert_frame_equal(row, expected)


def test_budget_execution_with_no_rows_at_all():
    got = budget_execution(compute_plan_tables.plan_initiative_table(TINY, 2024), pd.DataFrame())
    assert got["actual_thousand_yen"].isna().all() and got["execution_pct"].isna().all()
    assert got["participants_reported"].tolist() == [0, 0, 0, 0]
    assert not got["implemented_by_all"].any()


def test_results_ignore_row_order_and_do_not_modify_inputs():
    r = rows(
        (M3, "expenditure", "1.1.1", 5, "実施"),
        (K, "kpi", "k_up", 150),
        (K, "expenditure", "1.1.1", 30, "実施"),
        (M2, "kpi", "k_up", 10),
        (K, "expenditure", "2.2.1", 1, "完了"),
        (K, "kpi", "k_down", 60),
    )
    kpis, init = compute_plan_tables.plan_kpi_table(TINY), compute_plan_tables.plan_initiative_table(TINY, 2024)
    before = (r.copy(), kpis.copy(), init.copy())
    rep = {k.id: k.reporters for k in TINY.kpis}
    a = (kpi_attainment(kpis, r, rep, T), budget_execution(init, r))
    shuffled = r.iloc[::-1].reset_index(drop=True)
    b = (kpi_attainment(kpis, shuffled, rep, T), budget_execution(init, shuffled))
    assert_frame_equal(a[0], b[0])
    assert_frame_equal(a[1], b[1])
    assert_frame_equal(compute_rollup.rollup(TINY, *a), compute_rollup.rollup(TINY, *b))
    for x, y in zip(before, (r, kpis, init), strict=True):
        assert_frame_equal(x, y)


# ------------------------------------------------------------------------------------------------ roll-up


def test_rollup_tiny_plan():
    kpis = compute_plan_tables.plan_kpi_table(TINY)
    rep = {k.id: k.reporters for k in TINY.kpis}
    r = rows(
        (K, "kpi", "k_up", 150),
        (M2, "kpi", "k_up", 0),
        (M3, "kpi", "k_up", 0),  # progress 50, att 75 -> B
        (K, "kpi", "k_keep", 20),  # at_least: attainment 50 -> C; k_down: nobody -> "-"
        (K, "expenditure", "1.1.1", 40, "実施"),
        (M2, "expenditure", "1.1.1", 0, "実施"),
        (M3, "expenditure", "1.1.1", 0, "実施"),  # 1.1.2 (plan 5): nobody
        (M2, "expenditure", "2.1.1", 3, "一部実施"),  # plan blank
        (K, "expenditure", "2.2.1", 2, "実施"),
        (M3, "expenditure", "2.2.1", 0, "完了"),
    )
    k = kpi_attainment(kpis, r, rep, T)
    b = budget_execution(compute_plan_tables.plan_initiative_table(TINY, 2024), r)
    got = compute_rollup.rollup(TINY, k, b)
    expected = pd.DataFrame(
        {
            "level": ["pillar", "area", "pillar", "subfield", "area", "area"],
            "id": ["1", "1.1", "2", "2A", "2.1", "2.2"],
            "name": ["経済", "産業", "生活", "生活機能", "医療", "福祉"],
            "kpi_ids": ["k_up", "k_up", "k_keep;k_down", "k_keep;k_down", "k_down", "k_keep"],
            "kpi_inherited": [False, True, False, False, False, True],  # 1.1 from pillar 1, 2.2 from sub-field 2A
            "kpi_attainment_mean": [75.0, 75.0, 50.0, 50.0, NAN, 50.0],
            "rating_A": [0] * 6,
            "rating_B": [1, 1, 0, 0, 0, 0],
            "rating_C": [0, 0, 1, 1, 0, 1],
            "rating_D": [0] * 6,
            "rating_none": [0, 0, 1, 1, 1, 0],
            "planned_thousand_yen": [45.0, 45.0, 1.0, 1.0, NAN, 1.0],
            "actual_thousand_yen": [40.0, 40.0, 5.0, 5.0, 3.0, 2.0],
            "execution_pct": [40 / 45 * 100, 40 / 45 * 100, 500.0, 500.0, NAN, 200.0],
            "initiatives": [2, 2, 2, 2, 1, 1],
            "initiatives_implemented": [1, 1, 1, 1, 0, 1],
        }
    )
    assert_frame_equal(got, expected)


def test_rollup_means_and_counts_over_several_kpis():
    kpis = compute_plan_tables.plan_kpi_table(TINY)
    rep = {k.id: k.reporters for k in TINY.kpis}
    r = rows(
        (K, "kpi", "k_keep", 44),  # attainment 110 -> A
        (K, "kpi", "k_down", 100),
    )  # attainment 40, progress -50 -> D
    got = compute_rollup.rollup(
        TINY,
        kpi_attainment(kpis, r, rep, T),
        budget_execution(compute_plan_tables.plan_initiative_table(TINY, 2024), r),
    )
    got = got.set_index("id").loc[
        ["1", "2", "2.1", "2.2"],
        [
            "kpi_attainment_mean",
            "rating_A",
            "rating_D",
            "rating_none",
            "actual_thousand_yen",
            "execution_pct",
            "initiatives_implemented",
        ],
    ]
    expected = pd.DataFrame(
        {
            "kpi_attainment_mean": [NAN, 75.0, 40.0, 110.0],
            "rating_A": [0, 1, 0, 1],
            "rating_D": [0, 1, 1, 0],
            "rating_none": [1, 0, 0, 0],
            "actual_thousand_yen": [NAN] * 4,
            "execution_pct": [NAN] * 4,
            "initiatives_implemented": [0, 0, 0, 0],
        },
        index=pd.Index(["1", "2", "2.1", "2.2"], name="id"),
    )
    assert_frame_equal(got, expected)


def _with_measures(**measures):
    """The tiny plan with only the named KPIs, each measuring the given node."""
    kpis = tuple(dataclasses.replace(k, measures=measures[k.id]) for k in TINY.kpis if k.id in measures)
    return dataclasses.replace(TINY, kpis=kpis)


@pytest.mark.parametrize(
    "measures, kpi_ids, inherited",
    [
        # the tiny plan as shipped: 1.1 inherits its pillar's, 2.2 its sub-field's
        (
            {"k_up": "1", "k_keep": "2A", "k_down": "2.1"},
            ["k_up", "k_up", "k_keep;k_down", "k_keep;k_down", "k_down", "k_keep"],
            [False, True, False, False, False, True],
        ),
        # sub-field without a KPI of its own: its areas skip it and inherit the pillar's
        (
            {"k_up": "1", "k_keep": "2", "k_down": "2.1"},
            ["k_up", "k_up", "k_keep;k_down", "k_down", "k_down", "k_keep"],
            [False, True, False, False, False, True],
        ),
        # nothing at or below a sub-field: it shows its pillar's too
        (
            {"k_up": "1", "k_keep": "2", "k_down": "1.1"},
            ["k_up;k_down", "k_down", "k_keep", "k_keep", "k_keep", "k_keep"],
            [False, False, False, True, True, True],
        ),
        # nothing anywhere above: empty, and not marked inherited
        ({"k_down": "2.1"}, ["", "", "k_down", "k_down", "k_down", ""], [False, False, False, False, False, False]),
    ],
)
def test_rollup_kpi_inheritance(measures, kpi_ids, inherited):
    p = _with_measures(**measures)
    k = kpi_attainment(compute_plan_tables.plan_kpi_table(p), rows(), {x.id: x.reporters for x in p.kpis}, T)
    got = compute_rollup.rollup(p, k, budget_execution(compute_plan_tables.plan_initiative_table(p, 2024), rows()))
    assert got["id"].tolist() == ["1", "1.1", "2", "2A", "2.1", "2.2"]
    assert got["kpi_ids"].tolist() == kpi_ids
    assert got["kpi_inherited"].tolist() == inherited
    assert got["rating_none"].tolist() == [len(x.split(";")) if x else 0 for x in kpi_ids]


def test_rollup_execution_counts_spend_on_unplanned_initiatives():
    """FY2025: 1.1.2 is 未定, so its spend is in pillar 1's actual but not its planned (documented behaviour)."""
    r = rows((K, "expenditure", "1.1.1", 25, "実施"), (K, "expenditure", "1.1.2", 25, "実施"))
    k = kpi_attainment(compute_plan_tables.plan_kpi_table(TINY), r, {x.id: x.reporters for x in TINY.kpis}, T)
    got = compute_rollup.rollup(TINY, k, budget_execution(compute_plan_tables.plan_initiative_table(TINY, 2025), r))
    p1 = got.set_index("id").loc["1"]
    assert (p1["planned_thousand_yen"], p1["actual_thousand_yen"], p1["execution_pct"]) == (50.0, 50.0, 100.0)


SHIPPED_ORDER = (
    ["1", "1.1", "1.2", "1.3", "2", "2.1", "2.2", "2.3", "3", "3A"]
    + [f"3.{n}" for n in range(1, 15)]
    + ["3B"]
    + [f"3.{n}" for n in range(15, 21)]
    + ["3C", "3.21", "3.22"]
)


@pytest.mark.parametrize("fy", [2021, 2022, 2023, 2024, 2025])
def test_rollup_shipped_plan_order_and_totals(plan, fy):
    # every participant reports 1 千円 and 実施 for every initiative
    r = rows(*[(c, "expenditure", i.id, 1, "実施") for i in plan.initiatives for c in i.participants])
    k = kpi_attainment(compute_plan_tables.plan_kpi_table(plan), r, {x.id: x.reporters for x in plan.kpis}, T)
    got = compute_rollup.rollup(plan, k, budget_execution(compute_plan_tables.plan_initiative_table(plan, fy), r))
    assert got["level"].value_counts().to_dict() == {"area": 28, "pillar": 3, "subfield": 3}
    assert got["id"].tolist() == SHIPPED_ORDER
    assert got["level"].tolist() == [
        ("pillar" if x.isdigit() else "subfield" if x[-1].isalpha() else "area") for x in SHIPPED_ORDER
    ]
    g = got.set_index("id")
    for node, inits in [
        (str(p.id), [i for i in plan.initiatives if plan.area(i.area_id).pillar == p.id]) for p in plan.pillars
    ] + [(s.id, [i for i in plan.initiatives if i.area_id in s.area_ids]) for s in plan.subfields]:
        planned = [i.budget.planned(fy) for i in inits]
        assert g.loc[node, "planned_thousand_yen"] == sum(v for v in planned if isinstance(v, int))
        assert g.loc[node, "actual_thousand_yen"] == sum(len(i.participants) for i in inits)
        assert g.loc[node, "initiatives"] == g.loc[node, "initiatives_implemented"] == len(inits)
    assert g.loc[["1", "2", "3"], "planned_thousand_yen"].sum() == sum(
        v for i in plan.initiatives if isinstance(v := i.budget.planned(fy), int)
    )
    assert g.loc["3", "kpi_ids"] == "net_migration;births;facility_mutual_use;transit_riders;new_initiatives"
    assert g.loc["3", "rating_none"] == 5 and g.loc["1", "kpi_ids"] == "gdp;startups;agri_sales;port_teu"
    assert g.loc["3.5", "kpi_inherited"] and g.loc["3.5", "kpi_ids"] == "facility_mutual_use"
    assert g.loc["3.16", "kpi_ids"] == "transit_riders" and g.loc["3.22", "kpi_ids"] == "new_initiatives"
    assert not g.loc["1.2", "kpi_inherited"] and g.loc["1.2", "kpi_ids"] == "agri_sales"


# ------------------------------------------------------------------------------------------------ history


def test_history_wide_table():
    y1 = pd.DataFrame({"kpi_id": ["a", "b", "gone"], "actual": [1.0, 2.0, 9.0], "rating": ["A", "B", "C"]})
    y2 = pd.DataFrame({"kpi_id": ["b", "a"], "actual": [NAN, 3.0], "rating": ["-", "A"]})
    y3 = pd.DataFrame({"kpi_id": ["a", "b", "new"], "actual": [4.0, 5.0, 6.0], "rating": ["A", "D", "C"]})
    got = compute_history.history({2023: y3, 2021: y1, 2022: y2}, "kpi_id", "actual")
    expected = pd.DataFrame(
        {
            "kpi_id": ["a", "b", "new", "gone"],
            "2021": [1.0, 2.0, NAN, 9.0],
            "2022": [3.0, NAN, NAN, NAN],
            "2023": [4.0, 5.0, 6.0, NAN],
        }
    )
    assert_frame_equal(got, expected)
    got = compute_history.history({2021: y1, 2022: y2}, "kpi_id", "rating")
    assert_frame_equal(
        got, pd.DataFrame({"kpi_id": ["b", "a", "gone"], "2021": ["B", "A", "C"], "2022": ["-", "A", NAN]})
    )


def test_history_empty():
    assert compute_history.history({}, "kpi_id", "actual").columns.tolist() == ["kpi_id"]


# ------------------------------------------------------------------------------------------------ same basis (issue 10)

SMALL = load_plan(Path(__file__).resolve().parent / "fixtures" / "plan_small")
M4, ADDED = "432105", "433683"  # 菊池市 (a basis member) and 長洲町 (added by the small plan's amendment, FY2028)


def test_year_aware_plan_tables():
    # small plan: 南関町 (433675) reports from FY2027, 長洲町 (433683, amendment) from FY2028
    assert compute_plan_tables.plan_kpi_table(SMALL)["reporters_expected"].tolist() == [
        7,
        1,
        1,
        7,
        2,
    ]  # anyone, any year
    assert compute_plan_tables.plan_kpi_table(SMALL, 2026)["reporters_expected"].tolist() == [5, 1, 1, 5, 2]
    assert compute_plan_tables.plan_kpi_table(SMALL, 2028)["reporters_expected"].tolist() == [
        6,
        1,
        1,
        6,
        2,
    ]  # basis: not 長洲町
    t = compute_plan_tables.plan_initiative_table(SMALL, 2026).set_index("initiative_id")["participants_expected"]
    assert t.to_dict() == {"1.1.1": 5, "1.1.2": 2, "1.2.1": 3, "2.1.1": 5, "2.2.1": 1, "2.3.1": 3}
    t = compute_plan_tables.plan_initiative_table(SMALL, 2028).set_index("initiative_id")["participants_expected"]
    assert t.to_dict() == {"1.1.1": 6, "1.1.2": 2, "1.2.1": 3, "2.1.1": 6, "2.2.1": 2, "2.3.1": 4}


def test_kpi_reporter_sets():
    basis, everyone = compute_plan_tables.kpi_reporter_sets(SMALL, 2028)
    assert everyone["jobs"] == ("431001", "432067", "432083", "432105", "432041", "433675", "433683")
    assert basis["jobs"] == everyone["jobs"][:-1]
    assert basis["bus_riders"] == everyone["bus_riders"] == ("431001", "432067")


def test_kpi_attainment_on_the_plan_basis_with_all_members_beside_it():
    """FY2028 of the small plan: 長洲町 reports jobs and births but is not in the basis the targets were set on."""
    kpis = (
        compute_plan_tables.plan_kpi_table(SMALL, 2028).iloc[[0, 1, 3]].reset_index(drop=True)
    )  # jobs, visitors, births
    basis, everyone = compute_plan_tables.kpi_reporter_sets(SMALL, 2028)
    basis_codes = basis["jobs"]
    r = rows(
        *[(c, "kpi", "jobs", 900) for c in basis_codes],  # 6 × 900 = 5400: progress 40 -> C
        (ADDED, "kpi", "jobs", 300),
        (K, "kpi", "visitors", 1100),
        *[(c, "kpi", "births", 1300) for c in basis_codes[:-1]],  # 南関町 missing: provisional, 5 × 1300 = 6500
        (ADDED, "kpi", "births", 100),
    )
    got = kpi_attainment(kpis, r, basis, T, all_reporters=everyone)
    expected = pd.DataFrame(
        {
            "kpi_id": ["jobs", "visitors", "births"],
            "kpi_name": ["圏域内の新規雇用者数", "観光入込客数", "圏域出生数"],
            "unit": ["人/年", "千人", "人"],
            "baseline": [5000.0, 900.0, 8000.0],
            "target": [6000.0, 1100.0, 8000.0],
            "actual": [5400.0, 1100.0, 6500.0],
            "attainment_pct": [90.0, 100.0, 81.25],
            "progress_pct": [40.0, 100.0, NAN],
            "rating": ["C", "A", "B"],
            "reporters_expected": [6, 1, 6],
            "reporters_received": [6, 1, 5],
            "direction": ["increase", "increase", "at_least"],
            "measures": ["1", "1.2", "2"],
            "rating_reason": ["", "", "暫定: 6市町村中5市町村の合計"],
            "provisional": [False, False, True],
            "basis": ["plan_basis", "all_members", "plan_basis"],
            "actual_all_members": [5700.0, 1100.0, 6600.0],
            "reporters_expected_all": [7, 1, 7],
            "reporters_received_all": [7, 1, 6],
            "provisional_all_members": [False, False, True],
            "basis_note": [
                "実績値・達成率・評価は、ビジョンで目標を設定した6市町村の合計による。（参考：）は、この年度の構成7市町村すべての合計。",
                "",
                "実績値・達成率・評価は、ビジョンで目標を設定した6市町村の合計による。（参考：）は、この年度の構成7市町村すべての合計。",
            ],
        }
    )
    assert_frame_equal(got, expected)
    # the docs/interface.md §5 columns come first, unchanged in name and order; the new ones are at the end
    assert compute_kpis.KPI_COLUMNS[:11] == [
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
    ]


def test_shipped_plan_fy2025_basis_is_the_vision_20(plan):
    basis, everyone = compute_plan_tables.kpi_reporter_sets(plan, 2025)
    r = rows(*[(c, "kpi", "births", 500) for c in everyone["births"]])
    got = kpi_attainment(compute_plan_tables.plan_kpi_table(plan, 2025), r, basis, T, all_reporters=everyone)
    births = got.set_index("kpi_id").loc["births"]
    assert (births["actual"], births["reporters_expected"], births["basis"]) == (10000.0, 20, "plan_basis")
    assert (births["actual_all_members"], births["reporters_expected_all"]) == (12000.0, 24)
    assert got.set_index("kpi_id").loc["agri_sales", "basis"] == "all_members"  # 熊本市 only, either way
    fy2021 = kpi_attainment(
        compute_plan_tables.plan_kpi_table(plan, 2021), r, *compute_plan_tables.kpi_reporter_sets(plan, 2021)[:1], T
    )
    assert fy2021.set_index("kpi_id").loc["births", "reporters_expected"] == 18  # 山鹿市・玉名市 not yet members


# ------------------------------------------------------------------------------------------------ 計画期間の総括

RULES = {"increase": ">=", "at_least": ">=", "decrease": "<="}


def _year(actual, provisional):
    """kpi_attainment-like frame of the tiny plan's three KPIs (k_up, k_keep, k_down)."""
    return pd.DataFrame({"kpi_id": ["k_up", "k_keep", "k_down"], "actual": actual, "provisional": provisional})


def test_period_kpi_summary_baseline_each_year_final_and_achieved():
    per_year = {
        2023: _year([190.0, 41.0, NAN], [False, False, False]),
        2021: _year([120.0, 45.0, 70.0], [False, False, False]),
        2022: _year([150.0, NAN, 50.0], [True, False, False]),
    }
    got = period_kpi_summary(compute_plan_tables.plan_kpi_table(TINY), per_year, RULES)
    expected = pd.DataFrame(
        {
            "kpi_id": ["k_up", "k_keep", "k_down"],
            "kpi_name": ["増やす指標", "維持する指標", "減らす指標"],
            "unit": ["人", "件", "件"],
            "direction": ["increase", "at_least", "decrease"],
            "baseline": [100.0, 50.0, 80.0],
            "baseline_year": [2020, 2020, 2020],
            "2021": [120.0, 45.0, 70.0],
            "2022": [150.0, NAN, 50.0],
            "2023": [190.0, 41.0, NAN],
            "final_value": [190.0, 41.0, 50.0],  # k_down: FY2023 missing, the newest value is FY2022's
            "final_value_year": pd.array([2023, 2023, 2022], dtype="Int64"),
            "final_provisional": [False, False, False],
            "target": [200.0, 40.0, 40.0],
            "rule": ["最終値 ≥ 目標値", "最終値 ≥ 目標値", "最終値 ≤ 目標値"],
            "achieved": ["未達成", "達成", "未達成"],
            "provisional_years": ["2022", "", ""],
            # 達成率 of the final value (decrease: target / final) and the gap final − target
            "attainment_pct": [95.0, 102.5, 80.0],
            "gap_to_target": [-10.0, 1.0, 10.0],
            "final_data_year": pd.array([2023, 2023, 2022], dtype="Int64"),  # no lag: the fiscal year itself
        }
    )
    assert_frame_equal(got, expected)


def test_period_kpi_summary_names_the_year_of_the_statistic():
    """A KPI whose statistic lags (kpis.yaml data_year_lag, e.g. 市町村民経済計算: 3 years): the value of FY2023 is
    the statistic of FY2020 (issue 18 item 3: the 総括 column labelled 2025年度 holds the FY2022 statistic)."""
    per_year = {2021: _year([120.0, 45.0, 70.0], [False] * 3), 2023: _year([190.0, 41.0, 60.0], [False] * 3)}
    got = period_kpi_summary(compute_plan_tables.plan_kpi_table(TINY), per_year, RULES, data_year_lag={"k_up": 3})
    assert got["final_data_year"].tolist() == [2020, 2023, 2023]
    assert list(got.columns[6:8]) == ["2021", "2023"]  # without ``years``, the years of per_year


def test_period_kpi_summary_keeps_every_year_of_the_range():
    """Issue 18 item 6: FY2022 had no submissions (not in per_year): its column stays, empty."""
    per_year = {2021: _year([120.0, 45.0, 70.0], [False] * 3), 2023: _year([190.0, 41.0, 60.0], [False] * 3)}
    got = period_kpi_summary(compute_plan_tables.plan_kpi_table(TINY), per_year, RULES, years=range(2021, 2024))
    assert list(got.columns[6:9]) == ["2021", "2022", "2023"] and got["2022"].isna().all()
    assert got["final_value_year"].tolist() == [2023, 2023, 2023]


@pytest.mark.parametrize(
    "final, rules, achieved",
    [
        (200.0, RULES, "達成"),  # exactly on the target counts
        (199.0, RULES, "未達成"),
        (250.0, {**RULES, "increase": "<="}, "未達成"),  # the rule is configuration
        (NAN, RULES, "-"),
    ],
)
def test_period_kpi_summary_rule(final, rules, achieved):
    per_year = {2025: _year([final, 40.0, 40.0], [True, False, False])}
    got = period_kpi_summary(compute_plan_tables.plan_kpi_table(TINY), per_year, rules).set_index("kpi_id")
    assert got.loc["k_up", "achieved"] == achieved
    assert got.loc["k_down", "achieved"] == got.loc["k_keep", "achieved"] == "達成"
    assert bool(got.loc["k_up", "final_provisional"]) == (achieved != "-")


def _budget_year(fy, items):
    """budget_execution of the tiny plan for ``fy`` from (code, initiative, value, status) tuples."""
    return budget_execution(
        compute_plan_tables.plan_initiative_table(TINY, fy),
        rows(*[(c, "expenditure", i, v, s) for c, i, v, s in items]),
    )


def test_period_budget_and_rollup_plan_vs_actual():
    every = [(K, "1.1.1", 10, "実施"), (M2, "1.1.1", 0, "実施"), (M3, "1.1.1", 0, "完了")]
    per_year = {
        2021: _budget_year(2021, [*every, (K, "1.1.2", 0, "実施"), (K, "2.2.1", 1, "実施"), (M3, "2.2.1", 0, "実施")]),
        2022: _budget_year(
            2022, [*every, (K, "2.1.1", 5, "実施"), (K, "2.2.1", 1, "実施"), (M3, "2.2.1", 0, "未実施")]
        ),
        2023: _budget_year(
            2023, [*every, (K, "1.1.2", 6, "一部実施"), (K, "2.2.1", 2, "実施"), (M3, "2.2.1", 0, "実施")]
        ),
    }
    got = period_budget(TINY, per_year, 2021, 2023)
    expected = pd.DataFrame(
        {
            "initiative_id": ["1.1.1", "1.1.2", "2.1.1", "2.2.1"],
            "initiative_name": ["産業支援", "未定のある事業", "救急", "後見"],
            "area_id": ["1.1", "1.1", "2.1", "2.2"],
            "pillar": [1, 1, 2, 2],
            "subfield": [None, None, "2A", "2A"],
            "planned_thousand_yen": [60.0, 5.0, NAN, 3.0],  # 1.1.2: 0 + blank + 5; 2.1.1 prints only a total
            "planned_years": [3, 2, 0, 3],
            "plan_note": ["", "記載なし: 2022", "記載なし: 2021, 2022, 2023", ""],
            "actual_thousand_yen": [30.0, 6.0, 5.0, 4.0],
            "execution_pct": [50.0, 120.0, NAN, 4 / 3 * 100],
            "years": [3, 3, 3, 3],
            "years_reported": [3, 2, 1, 3],
            "years_implemented": [3, 1, 0, 2],
            "carried_out_as_planned": [True, False, False, False],
            # every year of the range has submissions: the plan compared is the plan of the range; 2.1.1's total is
            # for the whole plan period (2021–2025), not for this range, so it has no plan here
            "planned_period_thousand_yen": [60.0, 5.0, NAN, 3.0],
            "years_compared": ["2021;2022;2023"] * 4,
            "years_without_submissions": [""] * 4,
            # the participants' yearly reports with a 実施状況, and those saying 実施 or 完了 (review 3 #6):
            # 1.1.2 has one 一部実施 of two reports; 2.2.1 one 未実施 of six
            "reports": [9, 2, 1, 6],
            "reports_done": [9, 1, 1, 5],
        }
    )
    assert_frame_equal(got, expected)
    roll = compute_period.period_rollup(TINY, got)
    expected_roll = pd.DataFrame(
        {
            "level": ["pillar", "area", "pillar", "subfield", "area", "area"],
            "id": ["1", "1.1", "2", "2A", "2.1", "2.2"],
            "name": ["経済", "産業", "生活", "生活機能", "医療", "福祉"],
            "planned_thousand_yen": [65.0, 65.0, 3.0, 3.0, NAN, 3.0],
            "actual_thousand_yen": [36.0, 36.0, 9.0, 9.0, 5.0, 4.0],
            "execution_pct": [36 / 65 * 100, 36 / 65 * 100, 300.0, 300.0, NAN, 4 / 3 * 100],
            "initiatives": [2, 2, 2, 2, 1, 1],
            "initiatives_as_planned": [1, 1, 0, 0, 0, 0],
            "reports": [11, 11, 7, 7, 1, 6],
            "reports_done": [10, 10, 6, 6, 1, 5],
        }
    )
    assert_frame_equal(roll, expected_roll)


def test_period_budget_whole_period_with_a_year_not_run_and_undecided():
    """To date through FY2025 with FY2024 not run: that year counts as not carried out; 未定 is named; the execution
    compares like with like: the plan of the four years with submissions against their actuals (issue 18 item 6)."""
    every = [(K, "1.1.1", 10, "実施"), (M2, "1.1.1", 0, "実施"), (M3, "1.1.1", 0, "実施")]
    per_year = {fy: _budget_year(fy, every) for fy in (2021, 2022, 2023, 2025)}
    got = period_budget(TINY, per_year, 2021, 2025).set_index("initiative_id")
    # 10 + 20 + 30 + 50 (FY2024's 40 left out: no actuals to compare with); the whole period's plan beside it
    assert got.loc["1.1.1", "planned_thousand_yen"] == 110.0 and got.loc["1.1.1", "actual_thousand_yen"] == 40.0
    assert got.loc["1.1.1", "planned_period_thousand_yen"] == 150.0
    assert got.loc["1.1.1", "execution_pct"] == pytest.approx(40 / 110 * 100)
    assert (got.loc["1.1.1", "years_compared"], got.loc["1.1.1", "years_without_submissions"]) == (
        "2021;2022;2023;2025",
        "2024",
    )
    assert (got.loc["1.1.1", "years_implemented"], got.loc["1.1.1", "carried_out_as_planned"]) == (4, False)
    assert got.loc["1.1.2", "plan_note"] == "未定: 2025／記載なし: 2022"
    assert got.loc["1.1.2", "planned_thousand_yen"] == 5.0 and np.isnan(got.loc["1.1.2", "actual_thousand_yen"])
    # a plan printed only as the period's total cannot be split over the years compared: no plan, no 執行率
    assert np.isnan(got.loc["2.1.1", "planned_thousand_yen"]) and got.loc["2.1.1", "planned_period_thousand_yen"] == 99


def test_period_budget_year_without_submissions_is_compared_like_with_like():
    """A year that was run but had no accepted submission (all tables empty) counts like a year not run."""
    every = [(K, "1.1.1", 10, "実施"), (M2, "1.1.1", 0, "実施"), (M3, "1.1.1", 0, "実施")]
    per_year = {fy: _budget_year(fy, every if fy in (2021, 2025) else []) for fy in range(2021, 2026)}
    got = period_budget(TINY, per_year, 2021, 2025, [2022, 2023, 2024]).set_index("initiative_id")
    assert (got.loc["1.1.1", "planned_thousand_yen"], got.loc["1.1.1", "actual_thousand_yen"]) == (60.0, 20.0)
    assert got.loc["1.1.1", "years_without_submissions"] == "2022;2023;2024"


def test_period_plan_printed_only_as_total_counts_over_the_whole_period():
    """2.1.1 prints only 合計 99 (like 2.3.2, 3.20.2, 3.20.3 of the vision): over the whole plan period with every
    year submitted it is the initiative's period plan and counts in its roll-ups (issue 18 item 8)."""
    per_year = {fy: _budget_year(fy, [(K, "2.1.1", 20, "実施"), (K, "2.2.1", 1, "実施")]) for fy in range(2021, 2026)}
    got = period_budget(TINY, per_year, 2021, 2025)
    row = got.set_index("initiative_id").loc["2.1.1"]
    assert (row["planned_thousand_yen"], row["actual_thousand_yen"], row["plan_note"]) == (
        99.0,
        100.0,
        "計画期間の合計のみ記載",
    )
    assert row["execution_pct"] == pytest.approx(100 / 99 * 100)
    roll = compute_period.period_rollup(TINY, got).set_index("id")
    assert roll.loc["2.1", "planned_thousand_yen"] == 99.0
    assert roll.loc["2", "planned_thousand_yen"] == 99.0 + 5.0  # with 2.2.1's 1 a year


def test_good_share_puts_each_subfield_before_its_own_areas(plan):
    # review 3 #1: pillar 3 came out as 3A, 3B, 3C and then ①…㉒, so 3A's and 3B's areas read as 3C's
    from vision_report.outputs.reports.evaluation_context import good_share

    counts = pd.DataFrame({"area_id": [a.id for a in plan.areas], "evaluated": 2, "grade_A": 1, "grade_B": 0})
    got = good_share(plan, counts, ["A", "B"])
    assert got["id"].tolist() == list(SHIPPED_ORDER)
    g = got.set_index("id")
    assert g.loc["3A", "evaluated"] == 28 and g.loc["3C", "evaluated"] == 4 and g.loc["3.1", "good_pct"] == 50.0

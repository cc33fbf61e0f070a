"""Preparation of submission rows for validation and computation (DataFrame in, DataFrame out).

No files are written; the one file read is templates/labels.yaml (the 区分 labels, read once and cached by
vocabulary, through normalize.canonical_kind).

Adds the derived columns the Great Expectations suites check (``expectations/*.json``), and the
plan-derived parameters those suites take.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import lru_cache

import numpy as np
import pandas as pd

from vision_report.core.config import EvaluationSettings, ValidationSettings
from vision_report.core.textfmt import fmt_num
from vision_report.core.textsafe import visible_length
from vision_report.intake import normalize as nz
from vision_report.plan import Plan
from vision_report.plan.models import date_ja


def _col(df: pd.DataFrame, column: str) -> list:
    """A column's values as a list, to be read value by value (iterating a Series boxes each value through pandas:
    3 million reads at 1,741 files)."""
    return df[column].tolist()


def _norm_name(s: str) -> str:
    return "".join(nz.nfkc(s).split()).replace("　", "")


def prepare_rows(
    rows: pd.DataFrame,
    plan: Plan,
    fiscal_year: int,
    units: nz.UnitSystem,
    evaluation: EvaluationSettings | None = None,
) -> pd.DataFrame:
    """Raw rows (intake.RAW_ROW_COLUMNS) -> rows with the columns validation and computation need.

    ``evaluation``: the 今後の方向性 / 自己評価 lists and the text length limit (config ``evaluation:``; default
    the built-in ones).
    """
    df = rows.copy()
    n = len(df)
    # the units of a year are a handful of texts: each read once per call (417,875 reads at 1,741 files)
    split, factor, is_count = (
        lru_cache(None)(units.split),
        lru_cache(None)(units.factor),
        lru_cache(None)(units.is_count),
    )
    df["row_key"] = df["file_id"].astype(str) + ":" + df["row"].astype(str)
    names = nz.kind_names()
    kind_raw = _col(df, "kind_raw")
    kinds = nz.per_distinct(lambda k: nz.canonical_kind(k, names), kind_raw)
    df["kind"] = [k if k else nz.nfkc(raw).strip() for k, raw in zip(kinds, kind_raw, strict=True)]
    df["kind_known"] = [k is not None for k in kinds]
    is_exp = df["kind"] == "expenditure"
    is_kpi = df["kind"] == "kpi"
    item_known = np.zeros(n, dtype=bool)
    expected_unit: list[str | None] = [None] * n
    plan_name: list[str] = [""] * n
    planned = np.full(n, np.nan)
    participants = np.full(n, np.nan)
    allow_negative = np.zeros(n, dtype=bool)
    expected_size = np.full(n, np.nan)
    # an initiative an amendment added (not yet started) or ended (no longer runs) in this fiscal year
    ended = np.zeros(n, dtype=bool)
    not_started = np.zeros(n, dtype=bool)
    amendment_title: list[str] = [""] * n
    amendment_date: list[str] = [""] * n
    first_fy: list[str] = [""] * n
    last_fy: list[str] = [""] * n
    by_amendment = {a.id: a for a in plan.amendments}
    population = {m.code: (m.population or 0) for m in plan.municipalities}
    total_pop = sum(population.values()) or 1
    for k, (kind, item, code) in enumerate(
        zip(_col(df, "kind"), _col(df, "item_id"), _col(df, "municipality_code"), strict=True)
    ):
        if kind == "expenditure" and plan.has_initiative(item):
            ini = plan.initiative(item)
            item_known[k] = True
            expected_unit[k] = "千円"
            plan_name[k] = ini.name
            p = ini.budget.planned(fiscal_year)
            planned[k] = float(p) if isinstance(p, int) else np.nan
            participants[k] = len(ini.participants)
            if not ini.runs_in(fiscal_year):
                late = ini.first_fiscal_year is not None and fiscal_year < ini.first_fiscal_year
                not_started[k], ended[k] = late, not late
                a = by_amendment.get((ini.added_by if late else ini.ended_by) or "")
                amendment_title[k] = a.title if a else ""
                amendment_date[k] = date_ja(a.date) if a else ""
                first_fy[k] = str(ini.first_fiscal_year or "")
                last_fy[k] = str(ini.last_fiscal_year or "")
        elif kind == "kpi" and plan.has_kpi(item):
            kpi = plan.kpi(item)
            item_known[k] = True
            expected_unit[k] = kpi.unit
            plan_name[k] = kpi.name
            allow_negative[k] = kpi.allow_negative
            if kpi.reporters_all:
                share = population.get(code, 0) / total_pop
            else:
                share = 1.0 / max(len(kpi.reporters), 1)
            expected_size[k] = abs(kpi.baseline) * share if share > 0 else np.nan
    df["item_known"] = item_known
    df["initiative_ended"] = ended
    df["initiative_not_started"] = not_started
    df["initiative_amendment"] = amendment_title
    df["initiative_amendment_date"] = amendment_date
    df["initiative_first_fy"] = first_fy
    df["initiative_last_fy"] = last_fy
    df["plan_name"] = plan_name
    df["expected_unit"] = expected_unit
    unit_given = _col(df, "unit")
    df["participation_key"] = np.where(is_exp, df["municipality_code"].astype(str) + "|" + df["item_id"], "")
    df["reporter_key"] = np.where(is_kpi, df["municipality_code"].astype(str) + "|" + df["item_id"], "")

    value_raw = _col(df, "value_raw")
    parsed = nz.per_distinct(nz.parse_number, value_raw)
    serials = [
        str(s) if str(s) else (str(d) if p.problem == "not_number" and (d := nz.date_serial(v)) is not None else "")
        for p, v, s in zip(
            parsed, value_raw, _col(df, "value_date_serial") if "value_date_serial" in df else [""] * n, strict=True
        )
    ]
    df["value_date_serial"] = serials
    df["value_problem"] = [
        "date" if p.problem == "not_number" and s else p.problem for p, s in zip(parsed, serials, strict=True)
    ]
    value_given = np.array([p.value if p.value is not None else np.nan for p in parsed], dtype=float)
    df["value_given"] = value_given
    factors = [
        factor(u, e) if e is not None and str(u).strip() else None
        for u, e in zip(unit_given, expected_unit, strict=True)
    ]
    df["unit_factor"] = np.array([f if f is not None else np.nan for f in factors], dtype=float)
    df["value"] = value_given * df["unit_factor"].to_numpy()
    df["allow_negative"] = allow_negative
    divisor = pd.to_numeric(df.get("value_display_divisor", pd.Series([""] * n)), errors="coerce").to_numpy()
    prefix = np.array([(split(str(u)) or (1.0,))[0] for u in unit_given], dtype=float)
    # `#,##0,` shows 1,432,650 as 1,433: with a unit like 千円 the clerk read the shown value, not the cell's
    df["scaled_display_ok"] = ~((divisor > 1) & (prefix > 1) & (df["value_problem"] == "").to_numpy())
    df["display_fmt"] = [
        fmt_num(g / d) if d > 1 and not math.isnan(g) else "" for g, d in zip(value_given, divisor, strict=True)
    ]
    df["value_given_fmt"] = [fmt_num(g) for g in value_given]
    df["display_divisor_fmt"] = [fmt_num(d) if d > 1 else "" for d in divisor]
    whole, hints = _count_checks(df, split, is_count)
    df["count_whole"] = whole
    df["count_hint"] = hints
    df["expected_size"] = expected_size
    df["planned_thousand_yen"] = planned
    with np.errstate(divide="ignore", invalid="ignore"):
        df["budget_ratio"] = np.where(is_exp & (planned > 0), df["value"] / planned, np.nan)
        typical = np.where(is_exp, planned / np.where(participants > 0, participants, np.nan), expected_size)
        ratio = np.abs(df["value"].to_numpy()) / typical
        df["magnitude_log10"] = np.where(
            (ratio > 0) & np.isfinite(ratio), np.log10(np.where(ratio > 0, ratio, 1)), np.nan
        )
    df["municipality_col_norm"] = nz.per_distinct(nz.parse_code, _col(df, "municipality_col"))
    df["municipality_check"] = (df["municipality_col_norm"] == "") | (
        df["municipality_col_norm"] == df["municipality_code"].astype(str)
    )
    fy_raw = _col(df, "fiscal_year_col")
    fy = [nz.parse_fiscal_year(v) if str(v).strip() else None for v in fy_raw]
    df["fiscal_year_col_norm"] = [
        str(v) if v is not None else ("" if not str(raw).strip() else nz.nfkc(raw).strip())
        for v, raw in zip(fy, fy_raw, strict=True)
    ]
    df["name_matches"] = [
        (not given) or (not pn) or nz.is_formula(given) or _norm_name(given) == _norm_name(pn)
        for given, pn in zip(_col(df, "name"), plan_name, strict=True)
    ]
    _evaluation_columns(df, is_exp.to_numpy(), is_kpi.to_numpy(), evaluation or EvaluationSettings())
    return df


# 実施状況 for which the row must say what was done (取組実績)
STATUSES_WITH_RESULT = ("実施", "一部実施")


def _evaluation_columns(df: pd.DataFrame, is_exp: np.ndarray, is_kpi: np.ndarray, ev: EvaluationSettings) -> None:
    """The texts, 今後の方向性 and 自己評価 of expenditure rows (issue 13), in place.

    Texts, direction and self_evaluation are "" on every row that is not an expenditure row (a KPI row's are
    ignored and named in ``kpi_text_columns``). direction / self_evaluation hold the configured value a typed one
    stands for (``ａ`` -> ``A``), else the typed value (refused by the suite). ``result_text_ok`` is False for a
    row marked 実施/一部実施 without 取組実績 in a file that has the 取組実績 column (older files have none).
    """
    n = len(df)
    for c in nz.TEXT_COLUMNS + ("direction_raw", "self_evaluation_raw", "evaluation_columns"):
        if c not in df.columns:
            df[c] = [""] * n
        df[c] = df[c].fillna("").astype(str)
    raw_direction = df["direction_raw"].to_numpy()
    raw_grade = df["self_evaluation_raw"].to_numpy()
    present = {
        "result_text": df["result_text"].to_numpy(),
        "outcome_text": df["outcome_text"].to_numpy(),
        "challenge_text": df["challenge_text"].to_numpy(),
        "direction": raw_direction,
        "self_evaluation": raw_grade,
    }
    df["kpi_text_columns"] = [
        "、".join(nz.HEADER_JA[c] for c in nz.EVALUATION_COLUMNS if present[c][k]) if is_kpi[k] else ""
        for k in range(n)
    ]
    for c in nz.TEXT_COLUMNS:
        df[c] = np.where(is_exp, df[c], "")
    df["direction"] = [
        (nz.match_choice(v, ev.directions) or nz.coded_value(v)) if e and v else ""
        for v, e in zip(raw_direction, is_exp, strict=True)
    ]
    grades = tuple(ev.self_evaluation)
    df["self_evaluation"] = [
        (nz.match_choice(v, grades) or nz.coded_value(v)) if e and v else ""
        for v, e in zip(raw_grade, is_exp, strict=True)
    ]
    # what a person sees: grapheme clusters of the NFC text (カ + ゛ or 葛 + a variation selector count once)
    lengths = {c: np.array(nz.per_distinct(visible_length, _col(df, c)), dtype=int) for c in nz.TEXT_COLUMNS}
    df["longest_text_chars"] = np.max(np.vstack([lengths[c] for c in nz.TEXT_COLUMNS]), axis=0) if n else []
    limit = ev.max_text_chars
    df["too_long_columns"] = [
        "、".join(nz.HEADER_JA[c] for c in nz.TEXT_COLUMNS if lengths[c][k] > limit) for k in range(n)
    ]
    df["too_long_texts"] = [
        "、".join(f"{nz.HEADER_JA[c]} {lengths[c][k]:,} 文字" for c in nz.TEXT_COLUMNS if lengths[c][k] > limit)
        for k in range(n)
    ]
    _blank_in_file(df, is_exp, ev.required_in_file)
    has_result_column = df["evaluation_columns"].str.split("、").map(lambda cols: "result_text" in cols)
    df["result_text_ok"] = ~(
        is_exp
        & df["status"].isin(STATUSES_WITH_RESULT).to_numpy()
        & has_result_column.to_numpy()
        & (df["result_text"] == "").to_numpy()
    )


# the order the warning names the columns a file left blank throughout: the coded ones first, then the texts
BLANK_COLUMN_ORDER = ("self_evaluation", "direction", *nz.TEXT_COLUMNS)


def _blank_in_file(df: pd.DataFrame, is_exp: np.ndarray, required: tuple[str, ...]) -> None:
    """``blank_evaluation_columns``: on every expenditure row of a file that left one of ``required`` (config
    evaluation.required_in_file) blank on all its expenditure rows or has no such column, the 「、」-joined names of
    every evaluation column blank throughout that file (e.g. 「自己評価、今後の方向性、取組実績、成果、課題」); "" elsewhere.
    The suite reports it once per file (review 4 #2: 嘉島町's file had no 自己評価 and was 受理 with 0 警告)."""
    n = len(df)
    out = [""] * n
    if n and required:
        exp_rows = pd.DataFrame({"file_id": df["file_id"].to_numpy()[is_exp]})
        for c in BLANK_COLUMN_ORDER:
            exp_rows[c] = (
                (df[c].to_numpy()[is_exp] == "") if c in nz.TEXT_COLUMNS else (df[f"{c}_raw"].to_numpy()[is_exp] == "")
            )
        blank = exp_rows.groupby("file_id")[list(BLANK_COLUMN_ORDER)].all()
        names = {
            fid: "、".join(nz.HEADER_JA[c] for c in BLANK_COLUMN_ORDER if row[c])
            for fid, row in blank.iterrows()
            if any(row[c] for c in required)
        }
        out = [names.get(fid, "") if e else "" for fid, e in zip(_col(df, "file_id"), is_exp, strict=True)]
    df["blank_evaluation_columns"] = out


_THOUSANDS_AS_POINT_RE = re.compile(r"^[+\-▲△]?\d{1,3}\.\d{3}$")


def _count_checks(
    df: pd.DataFrame,
    split: Callable[[str], tuple[float, str, str | None] | None],
    is_count: Callable[[str], bool],
) -> tuple[list[bool], list[str]]:
    """Count KPIs (unit based on 人・件・TEU, config/units.yaml) must be whole numbers in their base unit.

    Returns (whole, hint): ``hint`` names the likely meaning, e.g. 「5.315」 -> 5,315 のつもりでは？
    """
    whole: list[bool] = []
    hints: list[str] = []
    for kind, known, problem, given, unit, expected, raw in zip(
        *(_col(df, c) for c in ("kind", "item_known", "value_problem", "value_given", "unit", "expected_unit")),
        _col(df, "value_raw"),
        strict=True,
    ):
        parts = split(str(unit)) if kind == "kpi" and known and problem == "" and expected else None
        if parts is None or not is_count(str(expected)) or math.isnan(given):
            whole.append(True)
            hints.append("")
            continue
        in_base = given * parts[0]
        ok = abs(in_base - round(in_base)) < 1e-6
        whole.append(ok)
        text = nz.nfkc(str(raw)).strip()
        if ok:
            hints.append("")
        elif _THOUSANDS_AS_POINT_RE.match(text):
            hints.append(f"{fmt_num(given * 1000)} のつもりでは？（桁区切りに「.」を使っていませんか）")
        else:
            hints.append(f"数を数える単位（{unit}）に小数は使えません。")
    return whole, hints


def coverage(prepared: pd.DataFrame, files: pd.DataFrame, plan: Plan, fiscal_year: int) -> pd.DataFrame:
    """One row per (readable file, item its municipality should report): was a row received?

    ``files``: file_id, file, municipality_code of the files whose rows were read.
    """
    present = set(zip(prepared["file_id"], prepared["kind"], prepared["item_id"], strict=True))
    out = []
    for fid, fname, code in zip(files["file_id"], files["file"], files["municipality_code"], strict=True):
        if not plan.has_municipality(code):
            continue
        for ini in plan.initiatives_of(code, fiscal_year):
            out.append((fid, fname, code, "expenditure", ini.id, ini.name, (fid, "expenditure", ini.id) in present))
        for kpi in plan.kpis_reported_by(code, fiscal_year):
            out.append((fid, fname, code, "kpi", kpi.id, kpi.name, (fid, "kpi", kpi.id) in present))
    df = pd.DataFrame(out, columns=["file_id", "file", "municipality_code", "kind", "item_id", "item_name", "received"])
    df["row_key"] = df["file_id"].astype(str) + ":" + df["kind"] + ":" + df["item_id"]
    return df


def suite_parameters(
    plan: Plan, fiscal_year: int, settings: ValidationSettings, evaluation: EvaluationSettings | None = None
) -> dict:
    """Run-time parameters of the GX suites, derived from the plan and configuration."""
    ev = evaluation or EvaluationSettings()
    limit = settings.magnitude_factor
    tol = settings.magnitude_tolerance
    return {
        "kinds": ["expenditure", "kpi"],
        "initiative_ids": [i.id for i in plan.initiatives],
        "kpi_ids": [k.id for k in plan.kpis],
        "participation_keys": [f"{c}|{i.id}" for i in plan.initiatives for c in i.participants],
        "reporter_keys": [f"{c}|{k.id}" for k in plan.kpis for c in k.reporters],
        "statuses": list(nz.STATUSES),
        "fiscal_year": [str(fiscal_year)],
        "budget_bound_factor": settings.budget_bound_factor,
        "magnitude_max_log10": math.log10(limit) - tol,
        "magnitude_min_log10": -(math.log10(limit) - tol),
        "max_messages_per_rule": settings.max_messages_per_rule,
        "directions": list(ev.directions),
        "self_evaluation_grades": list(ev.self_evaluation),
        "directions_ja": "・".join(ev.directions),
        "self_evaluation_ja": "・".join(f"{g}（{c}）" for g, c in ev.self_evaluation.items()),
        "max_text_chars": ev.max_text_chars,
    }

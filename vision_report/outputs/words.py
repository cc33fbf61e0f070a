"""The words of compute's tables: compute returns codes and numbers, this module chooses the Japanese users read.

:func:`worded` takes a run's tables (compute_year's and compute_period's) and adds, from templates/labels.yaml, the
columns people read — each where the published CSV has it (docs/interface.md §5, shared/CONTRACT.md):

- kpi_attainment: ``rating_reason`` (reasons:, from rating_reason_codes and the row's counts) and ``basis_note``
  (basis:, from basis and the counts reporters_expected / reporters_expected_all / reporters_target);
- budget_execution: ``plan_note`` (plan_note:, from plan_note_code);
- period_kpi: ``rule`` and ``achieved`` (final_evaluation:, from final_rule and target_met);
- period_budget: ``plan_note`` (plan_note:, from plan_years_undecided, plan_years_blank and plan_total_only).

The code columns stay in the frames beside the words (the reports may read either); :func:`for_csv` drops them, so
the published CSVs have exactly their documented columns. Call both before the CSVs are written and before the
reports' ReportData is built (outputs/year.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from vision_report.compute.common import NO_RATING
from vision_report.compute.kpis import BASIS_ALL, REASON_SEPARATOR
from vision_report.compute.plan_tables import NOTE_BLANK, NOTE_UNDECIDED
from vision_report.core.vocabulary import basis_note, hold_label, labels

# per table: (word column, the code column whose place it takes in the CSV, every code column it is made from)
WORDED_COLUMNS: dict[str, tuple[tuple[str, str, tuple[str, ...]], ...]] = {
    "kpi_attainment": (
        ("rating_reason", "rating_reason_codes", ("rating_reason_codes",)),
        ("basis_note", "reporters_target", ("reporters_target",)),
    ),
    "budget_execution": (("plan_note", "plan_note_code", ("plan_note_code",)),),
    "period_kpi": (
        ("rule", "final_rule", ("final_rule",)),
        ("achieved", "target_met", ("target_met",)),
    ),
    "period_budget": (
        ("plan_note", "plan_years_undecided", ("plan_years_undecided", "plan_years_blank", "plan_total_only")),
    ),
}
# the columns compute gives only for the words above: never published
# columns compute gives only for the reports' sentences (e.g. which members a provisional value lacks): never published
REPORT_ONLY_COLUMNS = frozenset({"reporters_missing"})
CODE_COLUMNS = (
    frozenset(c for specs in WORDED_COLUMNS.values() for _w, _at, codes in specs for c in codes) | REPORT_ONLY_COLUMNS
)


def _section(key: str, root: Path | None) -> dict[str, Any]:
    return dict(labels(root)[key])


def rating_reasons(kpi: pd.DataFrame, root: Path | None = None) -> list[str]:
    """rating_reason of each row of kpi_attainment: its rating_reason_codes in the words of labels.yaml reasons:."""
    words = _section("reasons", root)
    mark = hold_label("mark", root)
    out = []
    for r in kpi.to_dict("records"):
        codes = [c for c in str(r["rating_reason_codes"]).split(REASON_SEPARATOR) if c]
        fields = {
            "expected": int(r["reporters_expected"]),
            "received": int(r["reporters_received"]),
            "held": int(r.get("values_held", 0) or 0),
            "mark": mark,
        }
        out.append(str(words["joiner"]).join(str(words[c]).format(**fields) for c in codes))
    return out


def basis_notes(kpi: pd.DataFrame, root: Path | None = None) -> list[str]:
    """basis_note of each row of kpi_attainment: "" on the basis all_members, else labels.yaml basis:'s sentence."""
    return [
        ""
        if r["basis"] == BASIS_ALL
        else basis_note(
            str(r["basis"]),
            n=int(r["reporters_expected"]),
            n_all=int(r["reporters_expected_all"]),
            n_target=int(r["reporters_target"]),
            root=root,
        )
        for r in kpi.to_dict("records")
    ]


def plan_notes(budget: pd.DataFrame, root: Path | None = None) -> list[str]:
    """plan_note of each row of budget_execution: 未定 / 計画額の記載なし / "" (labels.yaml plan_note:)."""
    words = _section("plan_note", root)
    key = {NOTE_UNDECIDED: "undecided", NOTE_BLANK: "blank"}
    return [str(words[key[c]]) if c else "" for c in budget["plan_note_code"].fillna("")]


def period_plan_notes(period: pd.DataFrame, root: Path | None = None) -> list[str]:
    """plan_note of each row of period_budget: "未定: 2028, 2029／記載なし: 2021" or 計画期間の合計のみ記載."""
    words = _section("plan_note", root)
    year_joiner = str(words["year_joiner"])
    out = []
    for r in period.to_dict("records"):
        undecided = [y for y in str(r["plan_years_undecided"] or "").split(";") if y]
        blank = [y for y in str(r["plan_years_blank"] or "").split(";") if y]
        parts = [
            str(words["undecided_years"]).format(years=year_joiner.join(undecided)) if undecided else "",
            str(words["total_only"])
            if bool(r["plan_total_only"])
            else str(words["blank_years"]).format(years=year_joiner.join(blank))
            if blank
            else "",
        ]
        out.append(str(words["joiner"]).join(p for p in parts if p))
    return out


def rule_texts(period: pd.DataFrame, root: Path | None = None) -> list[str]:
    """rule of each row of period_kpi: how its final_rule (">=" / "<=") reads (labels.yaml final_evaluation.rule)."""
    rule = dict(_section("final_evaluation", root)["rule"])
    return [str(rule[r]) for r in period["final_rule"]]


def achieved_words(root: Path | None = None) -> tuple[str, str]:
    """(達成, 未達成) as labels.yaml final_evaluation words them."""
    words = _section("final_evaluation", root)
    return str(words["achieved"]), str(words["not_achieved"])


def achieved_texts(period: pd.DataFrame, root: Path | None = None) -> list[str]:
    """achieved of each row of period_kpi: 達成 / 未達成 from target_met, "-" without any value."""
    yes, no = achieved_words(root)
    return [NO_RATING if pd.isna(m) else yes if bool(m) else no for m in period["target_met"]]


WORDERS: dict[str, dict[str, Callable[[pd.DataFrame, Path | None], list[str]]]] = {
    "kpi_attainment": {"rating_reason": rating_reasons, "basis_note": basis_notes},
    "budget_execution": {"plan_note": plan_notes},
    "period_kpi": {"rule": rule_texts, "achieved": achieved_texts},
    "period_budget": {"plan_note": period_plan_notes},
}


def worded_table(name: str, df: pd.DataFrame, root: Path | None = None) -> pd.DataFrame:
    """``df`` (compute's table ``name``) with its word columns, each just before the code column it stands for (so
    that :func:`for_csv` leaves the columns in their published order). A table already worded is returned as is."""
    specs = WORDED_COLUMNS.get(name, ())
    if not specs or all(word in df.columns for word, _at, _codes in specs):
        return df
    out = df.copy()
    for word, at, _codes in specs:
        out.insert(int(out.columns.get_loc(at)), word, pd.Series(WORDERS[name][word](df, root), index=df.index))
    return out


def worded(tables: dict[str, pd.DataFrame], root: Path | None = None) -> dict[str, pd.DataFrame]:
    """Every table of ``tables`` (name -> frame) with its words (:func:`worded_table`)."""
    return {name: worded_table(name, df, root) for name, df in tables.items()}


def for_csv(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` without the code columns that only carry what the words say (the published CSV's columns)."""
    drop = [c for c in df.columns if c in CODE_COLUMNS]
    return df.drop(columns=drop) if drop else df

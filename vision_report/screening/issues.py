"""Failing rows (GX's findings) as Japanese issues for people: each expectation's ``meta`` texts filled in with the
failing row's values, one issue per file for a rule that gathers its rows, at most ``max_messages_per_rule`` per file
and rule (``cap_issues``)."""

from __future__ import annotations

import math
import re
import string
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vision_report.core.textfmt import fmt_num
from vision_report.core.vocabulary import Severity, kind_labels
from vision_report.intake.files import Issue, cap_issues
from vision_report.screening.validation import Finding, load_suite_json

VALUE_PROBLEMS_JA = {
    "empty": "実績値が空欄です。",
    "formula": "実績値に数式「{value_raw}」が入力されています（計算結果が保存されていないため、値として読めません）。",
    "not_number": "実績値「{value_raw}」を数値として読めません。",
    "date": (
        "実績値のセルが日付の書式になっています（「{value_raw}」と表示されます）。セルに入っている数値は "
        "{value_date_serial} です。セルの書式を「標準」または「数値」に戻し、値を確かめてください。"
    ),
}


class _Row(dict):
    def __missing__(self, key):  # unknown placeholders stay visible rather than crash
        return "{" + key + "}"


def _row_fields(row: dict, fiscal_year: int) -> _Row:
    r = _Row({k: ("" if v is None or (isinstance(v, float) and math.isnan(v)) else v) for k, v in row.items()})
    r["value_problem_ja"] = VALUE_PROBLEMS_JA.get(row.get("value_problem", ""), "").format_map(r)
    r["value_fmt"] = fmt_num(row.get("value"))
    r["planned_fmt"] = fmt_num(row.get("planned_thousand_yen"))
    mag = row.get("magnitude_log10")
    r["magnitude_ratio"] = (
        fmt_num(10**mag)
        if isinstance(mag, float) and not math.isnan(mag) and mag >= 0
        else (f"1/{fmt_num(10**-mag)}" if isinstance(mag, float) and not math.isnan(mag) else "")
    )
    r["expected_fmt"] = fmt_num(row.get("expected_size"))
    r["kind_ja"] = kind_labels().get(row.get("kind", ""), row.get("kind", ""))
    r["folder_fiscal_year"] = str(fiscal_year)
    return r


_ROWS_AT_ONCE = 4096  # failing rows turned into dicts at a time (findings_to_issues)


def rows_by_key(frame: pd.DataFrame) -> dict[Any, dict[str, Any]]:
    """``frame.to_dict("index")`` made a column at a time: per row a dict of its values, each what ``to_dict`` gives
    (what iterating the column gives, a NumPy scalar in an object or extension column as a Python one). pandas
    boxes every value of a row in a generator of its own (6.6 s for the failing rows of 1,741 submissions); a
    NumPy column's ``tolist`` gives the same Python scalars at once, and a text column's array holds what boxing
    gives (a ``str``, and NaN in a ``str`` column; a ``string`` column's NA is boxed as ``None``), read without
    boxing each value."""
    from pandas.api.extensions import ExtensionDtype
    from pandas.core.dtypes.cast import maybe_box_native

    if not frame.index.is_unique or not frame.columns.is_unique:
        return frame.to_dict("index")  # pandas' own error, or its own way
    columns: list[list] = []
    for _, column in frame.items():
        if isinstance(column.dtype, pd.StringDtype) and column.dtype.na_value is np.nan:  # pandas' "str"
            columns.append(column.to_numpy().tolist())
        elif isinstance(column.dtype, pd.StringDtype) and column.dtype.storage == "python":  # "string": NA as None
            columns.append(column.to_numpy(dtype=object, na_value=None).tolist())
        elif column.dtype == object or isinstance(column.dtype, ExtensionDtype):
            columns.append(list(map(maybe_box_native, column)))
        else:
            columns.append(column.tolist())
    names = frame.columns.tolist()
    if not names:
        return {key: {} for key in frame.index}
    rows = zip(*columns, strict=True)
    return {key: dict(zip(names, row, strict=True)) for key, row in zip(frame.index, rows, strict=True)}


def _told(findings: list[Finding], places: list[tuple[Any, Any]], metas: dict, limit: int) -> list[bool]:
    """Per finding, whether its issue is read out: ``cap_issues`` shows the first ``limit`` issues of a file, rule and
    severity and, for more, the last one's column in its 「…ほか N 件」; the others are only counted, and their rows
    need not be read (at 1,741 files most of 121,916 failing rows). Every finding of a rule that gathers its rows
    into one issue (``aggregate``) is read; with no cap, or a rule both gathered and not, every one is. ``places``:
    each finding's file_id and file."""
    gathered = {rule for (_, rule, _), meta in metas.items() if meta.get("aggregate")}
    single = {rule for (_, rule, _), meta in metas.items() if not meta.get("aggregate")}
    if limit <= 0 or gathered & single or not findings:
        return [True] * len(findings)
    keys = [
        None if f.rule in gathered else (fid, file, f.rule, f.severity == "critical")
        for f, (fid, file) in zip(findings, places, strict=True)
    ]
    counts: dict[tuple, int] = {}
    for key in keys:
        if key is not None:
            counts[key] = counts.get(key, 0) + 1
    told = []
    shown: dict[tuple, int] = {}
    for key in keys:
        if key is None:
            told.append(True)
            continue
        shown[key] = shown.get(key, 0) + 1
        told.append(shown[key] <= limit or shown[key] == counts[key])
    return told


# the columns of a failing row that findings_to_issues and _row_fields read themselves
_READ_BY_CODE = frozenset(
    ("file_id", "file", "row", "item_id", "item_name", "value_problem", "value", "value_raw", "planned_thousand_yen")
    + ("magnitude_log10", "expected_size", "kind")
)


def _fields_named(metas) -> frozenset[str]:
    """The names an issue of these expectations' ``meta`` may read from a failing row: those of its texts'
    placeholders (``message_ja``, ``expected_ja``, ``column_ja`` and the value problems'), its ``value_column`` and
    what the code reads. A failing row is read with these columns only: all 67 columns of 121,916 failing rows as
    dicts took 9 s at 1,741 submissions (bench/results.md 2026-12-04), and an issue reads a dozen."""
    names = set(_READ_BY_CODE)
    texts = [*VALUE_PROBLEMS_JA.values()]
    for meta in metas:
        texts += [str(meta[k]) for k in ("message_ja", "expected_ja", "column_ja") if meta.get(k)]
        if meta.get("value_column"):
            names.add(str(meta["value_column"]))
    for text in texts:
        for _, field, _, _ in string.Formatter().parse(text):
            if field:
                names.add(re.split(r"[.\[]", field, maxsplit=1)[0])
    return frozenset(names)


def findings_to_issues(
    findings: list[Finding], table: pd.DataFrame, expectations_dir: Path, fiscal_year: int, parameters: dict
) -> dict[int, list[Issue]]:
    """Japanese issues per file_id, from the meta of each expectation and the failing row's values."""
    metas: dict[tuple[str, str, str], dict] = {}
    for suite in {f.suite for f in findings}:
        for e in load_suite_json(expectations_dir, suite)["expectations"]:
            metas.setdefault((suite, e["meta"]["rule"], e.get("severity", "critical")), e["meta"])
    named = _fields_named(metas.values())
    by_key = table.set_index("row_key", drop=False)
    limit = int(parameters.get("max_messages_per_rule") or 0)
    seen: set[tuple[str, str]] = set()
    kept: list[Finding] = []
    for f in findings:
        if (f.rule, f.row_key) not in seen:  # the same rule on the same row once (e.g. two magnitude checks)
            seen.add((f.rule, f.row_key))
            kept.append(f)
    place = by_key.loc[[f.row_key for f in kept], ["file_id", "file"]]
    places = list(zip(place["file_id"].tolist(), place["file"].tolist(), strict=True))
    told = _told(kept, places, metas, limit)
    telling = [f for f, t in zip(kept, told, strict=True) if t]
    by_key = by_key[[c for c in table.columns if c in named]]
    out: dict[int, list[Issue]] = {}
    grouped: dict[tuple[int, str, str, str], list[dict]] = {}
    values: dict[str, dict] = {}
    read = 0
    for f, tell, (fid, file) in zip(kept, told, places, strict=True):
        level = Severity.ERROR if f.severity == "critical" else Severity.WARNING
        if not tell:  # counted in the cap's 「…ほか N 件」, never shown: its row is not read
            out.setdefault(int(fid), []).append(Issue(severity=level, rule=f.rule, file=str(file), message=""))
            continue
        if read % _ROWS_AT_ONCE == 0:
            # the failing rows' values, read for a slice of the findings at a time: a row lookup per finding took 28 s
            # for the 121,916 findings of 1,741 files, every failing row at once 340 MB
            wanted = list(dict.fromkeys(g.row_key for g in telling[read : read + _ROWS_AT_ONCE]))
            values = rows_by_key(by_key.loc[wanted])
        read += 1
        meta = metas[(f.suite, f.rule, f.severity)]
        row = values[f.row_key]  # read, never changed (``_row_fields`` makes its own dict)
        if meta.get("aggregate"):  # one issue per file listing every failing item (e.g. missing rows)
            grouped.setdefault((int(row["file_id"]), f.suite, f.rule, f.severity), []).append(row)
            continue
        fields = _row_fields(row, fiscal_year)
        fields.update({k: v for k, v in parameters.items() if not isinstance(v, list)})
        value_col = meta.get("value_column") or "value_raw"
        issue = Issue(
            severity=level,
            rule=f.rule,
            file=str(row["file"]),
            row=int(row["row"]) if "row" in row and str(row.get("row", "")).isdigit() else None,
            column=str(meta.get("column_ja") or "").format_map(fields) or None,
            value=str(fields.get(value_col, "")) or None,
            message=str(meta["message_ja"]).format_map(fields),
            expected=str(meta["expected_ja"]).format_map(fields) if meta.get("expected_ja") else None,
        )
        out.setdefault(int(row["file_id"]), []).append(issue)
    for (fid, suite, rule, severity), rows in grouped.items():
        meta = metas[(suite, rule, severity)]
        items = "、".join(f"{r.get('item_id', '')} {r.get('item_name', '')}".strip() for r in rows)
        # the first row's values and the run's parameters (a per-file rule names what the file lacks), then the count
        fields = _row_fields(rows[0], fiscal_year)
        fields.update({k: v for k, v in parameters.items() if not isinstance(v, list)})
        fields.update(count=len(rows), items=items)
        out.setdefault(fid, []).append(
            Issue(
                severity=Severity.ERROR if severity == "critical" else Severity.WARNING,
                rule=rule,
                file=str(rows[0]["file"]),
                message=str(meta["message_ja"]).format_map(fields),
                expected=str(meta["expected_ja"]).format_map(fields) if meta.get("expected_ja") else None,
            )
        )
    return {fid: cap_issues(lst, limit) for fid, lst in out.items()}

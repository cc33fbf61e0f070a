"""Every output CSV: no cell a spreadsheet would evaluate, no number in scientific notation, no cell over
Excel's limit (writers.csv_bytes is the one place they all go through)."""

from __future__ import annotations

import csv
import io
import os
import shutil
import time
from pathlib import Path

import pandas as pd

from vision_report.core.config import load_settings
from vision_report.outputs.writers import EXCEL_CELL_LIMIT, cap_cell, csv_bytes, neutralise_formula, plain_number
from vision_report.screening.screen import collect, screen, submissions_table

FIX = Path(__file__).resolve().parent / "fixtures" / "submissions"


def _rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))


def test_texts_a_spreadsheet_would_evaluate_are_neutralised():
    df = pd.DataFrame(
        {
            "file": ["=1+2_@SUM(A1)_熊本市.csv", "+81 96", "-2+3", "@cmd", "\tx", "\r=1", "＝1+2", "熊本市.csv"],
        }
    )
    assert [r[0] for r in _rows(csv_bytes(df))[1:]] == [
        "'=1+2_@SUM(A1)_熊本市.csv",
        "'+81 96",
        "'-2+3",
        "'@cmd",
        "'\tx",
        "'\n=1",
        "'＝1+2",
        "熊本市.csv",
    ]


def test_numbers_stay_numbers():
    assert neutralise_formula("-12") == "-12" and neutralise_formula("-1.5") == "-1.5"
    assert neutralise_formula("-") == "-"  # the rating of a KPI without data
    df = pd.DataFrame({"actual": [-12.0, 3.0], "rating": ["-", "A"], "n": [1, 2]})
    assert _rows(csv_bytes(df)) == [["actual", "rating", "n"], ["-12", "-", "1"], ["3", "A", "2"]]


def test_numbers_are_never_in_scientific_notation():
    df = pd.DataFrame(
        {
            "planned_thousand_yen": [1e15, 12500000090.5, float("nan")],
            "execution_pct": [1.234567, 1e-7, 250000000000.0],
            "mixed": [1e15, "x", 0.1 + 0.2],
        }
    )
    assert _rows(csv_bytes(df))[1:] == [
        ["1000000000000000", "1.23", "1000000000000000"],
        ["12500000090.5", "0", "x"],
        ["", "250000000000", "0.3"],
    ]
    assert plain_number(1.25e10 + 0.09) == "12500000000.09"


def test_no_cell_longer_than_excels_limit():
    long = "警告" * 30_000
    capped = cap_cell(long)
    assert len(capped) == EXCEL_CELL_LIMIT and capped.endswith("…（以下省略: 全 60,000 文字）")
    (row,) = _rows(csv_bytes(pd.DataFrame({"warnings": ["=" + long]})))[1:]
    assert len(row[0]) == EXCEL_CELL_LIMIT and row[0].startswith("'=警告")


def test_submissions_csv_shows_no_formula_from_a_file_name(tmp_path, plan):
    inputs = tmp_path / "inputs" / "2024"
    inputs.mkdir(parents=True)
    name = "=1+2_@SUM(A1)_南阿蘇村.csv"
    shutil.copy(FIX / "bad" / name, inputs / name)
    old = time.time() - 3600
    os.utime(inputs / name, (old, old))
    settings = load_settings()
    received = screen(collect(settings, plan, 2024, tmp_path / "inputs", tmp_path / "archive"), plan, 2024, settings)
    rows = _rows(csv_bytes(submissions_table(plan, received.received, 2024)))
    header, body = rows[0], rows[1:]
    row = next(r for r in body if r[header.index("status")] == "rejected")
    assert row[header.index("file")] == "'=1+2_@SUM(A1)_南阿蘇村.csv"
    for r in body:  # not one cell a spreadsheet would take as a formula
        assert not any(c.startswith(("=", "+", "@", "\t", "\r")) for c in r), r

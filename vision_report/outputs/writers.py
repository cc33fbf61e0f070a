"""Low-level writers of output files: CSV (UTF-8 with BOM, deterministic) and feedback text. Every write is atomic."""

from __future__ import annotations

import io
import math
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from vision_report.core.atomic import write_bytes, write_text
from vision_report.core.textfmt import is_missing, round_half_up

PCT_COLUMNS = ("attainment_pct", "progress_pct", "execution_pct", "kpi_attainment_mean")
EXCEL_CELL_LIMIT = 32_767  # characters in one cell (Excel's limit)
# A cell starting with one of these is taken as a formula by Excel/LibreOffice (OWASP "CSV injection");
# the full-width forms are included because Japanese IMEs turn them into formulas too.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
_PLAIN_NUMBER_RE = re.compile(r"^-?\d+(\.\d+)?$")


def neutralise_formula(text: str) -> str:
    """A text that a spreadsheet would evaluate gets a leading single quote; numbers and a lone '-' stay."""
    if text.startswith(FORMULA_TRIGGERS) and text not in ("-", "+") and not _PLAIN_NUMBER_RE.match(text):
        return "'" + text
    return text


def cap_cell(text: str, limit: int = EXCEL_CELL_LIMIT) -> str:
    """At most ``limit`` characters, with a marker saying the text was cut and how long it was."""
    if len(text) <= limit:
        return text
    marker = f"…（以下省略: 全 {len(text):,} 文字）"
    return text[: limit - len(marker)] + marker


def safe_text(text: str) -> str:
    """What every text cell of an output CSV goes through: no formula, no cell over Excel's limit, and line
    breaks as LF (a bare CR would not be quoted by the CSV writer and would split the row in Excel)."""
    return cap_cell(neutralise_formula(text.replace("\r\n", "\n").replace("\r", "\n")))


def plain_number(x: float) -> str:
    """A float without scientific notation and without float noise (1e15 -> '1000000000000000')."""
    if math.isnan(x):
        return ""
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x.is_integer():
        return str(int(x))
    return np.format_float_positional(x, precision=10, unique=True, trim="-")


def rounded_number(x, decimals: int) -> str:
    """A published percentage in a CSV: 四捨五入 of the exact value to ``decimals`` places by the one rounding rule
    (textfmt.round_half_up, as the reports print it), without trailing zeros (88.125 -> '88.13', 100.0 -> '100')."""
    if is_missing(x):
        return ""
    if math.isinf(float(x)):
        return plain_number(float(x))
    d = round_half_up(x, decimals)
    return "0" if d == 0 else format(d.normalize(), "f")


@lru_cache(maxsize=1 << 16)
def _safe_cell(text: str) -> str:
    """``safe_text`` once per distinct text (a year's tables repeat names, ids and statuses row after row)."""
    return safe_text(text)


def _cell(v):
    if isinstance(v, str):
        return _safe_cell(v)
    if isinstance(v, (float, np.floating)) and not isinstance(v, bool):
        return plain_number(float(v))
    return v


def csv_bytes(df: pd.DataFrame, *, pct_decimals: int = 2) -> bytes:
    """UTF-8 with BOM, LF, numbers unformatted (integers without .0, percentages rounded half-up to
    ``pct_decimals`` places by textfmt.round_half_up, never 1e+15).

    Every text cell is neutralised against formula injection and capped at Excel's cell limit: this is
    the one place every output CSV goes through.
    """
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if col in PCT_COLUMNS and pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            out[col] = s.map(lambda v: rounded_number(v, pct_decimals))
        elif pd.api.types.is_bool_dtype(s):
            out[col] = s.map({True: "true", False: "false"})
        elif pd.api.types.is_float_dtype(s):
            out[col] = s.map(lambda v: plain_number(float(v)))
        elif s.dtype == object or pd.api.types.is_string_dtype(s):
            out[col] = s.map(_cell)
    out.columns = [safe_text(str(c)) for c in out.columns]
    buf = io.StringIO()
    out.to_csv(buf, index=False, lineterminator="\n")
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")


def write_csv(path: Path, df: pd.DataFrame) -> Path:
    write_bytes(path, csv_bytes(df))
    return path


def write_feedback_text(path: Path, text: str) -> Path:
    """Plain text for Windows Notepad and Excel users: UTF-8 with BOM, CRLF."""
    write_text(path, "\ufeff" + text, newline="\r\n")
    return path

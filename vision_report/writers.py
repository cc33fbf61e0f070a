"""Low-level writers of output files: CSV (UTF-8 with BOM, deterministic) and feedback text. Every write is atomic."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from .atomic import write_bytes, write_text

PCT_COLUMNS = ("attainment_pct", "progress_pct", "execution_pct", "kpi_attainment_mean")


def csv_bytes(df: pd.DataFrame, *, pct_decimals: int = 2) -> bytes:
    """UTF-8 with BOM, LF, numbers unformatted (integers without .0, percentages rounded)."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if col in PCT_COLUMNS and pd.api.types.is_numeric_dtype(s):
            out[col] = s.round(pct_decimals)
        elif pd.api.types.is_float_dtype(s):
            ints = s.dropna()
            if len(ints) and (ints == ints.round()).all():
                out[col] = s.astype("Int64")
        if pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].map({True: "true", False: "false"})
    buf = io.StringIO()
    out.to_csv(buf, index=False, lineterminator="\n", float_format="%.10g")
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")


def write_csv(path: Path, df: pd.DataFrame) -> Path:
    write_bytes(path, csv_bytes(df))
    return path


def write_feedback_text(path: Path, text: str) -> Path:
    """Plain text for Windows Notepad and Excel users: UTF-8 with BOM, CRLF."""
    write_text(path, "\ufeff" + text, newline="\r\n")
    return path

"""Number and date formatting for people (as the vision prints them), and the one jinja2 environment."""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import jinja2


def is_missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def fmt_num(x, decimals: int = 0, missing: str = "—") -> str:
    """1234567 -> '1,234,567'; -120 -> '▲120' (the vision's sign for negatives)."""
    if is_missing(x):
        return missing
    v = float(x)
    s = f"{abs(v):,.{decimals}f}"
    return f"▲{s}" if v < 0 and s.strip("0.,") else s


def fmt_signed(x, decimals: int = 0, missing: str = "—") -> str:
    """Like fmt_num but with '+' for positives (社会増減数)."""
    if is_missing(x):
        return missing
    return ("+" if float(x) > 0 else "") + fmt_num(x, decimals)


def fmt_pct(x, decimals: int = 1, missing: str = "—") -> str:
    return missing if is_missing(x) else f"{fmt_num(x, decimals)}%"


def wareki(fiscal_year: int) -> str:
    """2024 -> '令和6年度'."""
    if fiscal_year >= 2019:
        n = fiscal_year - 2018
        return f"令和{'元' if n == 1 else n}年度"
    return f"平成{fiscal_year - 1988}年度"


@lru_cache(maxsize=4)
def jinja_env(templates_dir: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update(num=fmt_num, signed=fmt_signed, pct=fmt_pct, wareki=wareki)
    return env


def jst(timestamp: float) -> str:
    """A POSIX time as Japan time, e.g. '2025年05月31日 17:05'."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.fromtimestamp(timestamp, ZoneInfo("Asia/Tokyo")).strftime("%Y年%m月%d日 %H:%M")

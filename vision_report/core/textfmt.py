"""Number and date formatting for people (as the vision prints them), and the one jinja2 environment."""

from __future__ import annotations

import math
import numbers
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal
from functools import lru_cache
from pathlib import Path

import jinja2


def is_missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


# Significant digits a computed float is trusted to: its binary noise (~1e-16 relative) lies far below, and the
# values the reports print (sums of submitted figures, their ratios × 100) carry far fewer digits of their own.
TRUSTED_DIGITS = 12
_TRUSTED = Context(prec=TRUSTED_DIGITS, rounding=ROUND_HALF_EVEN)


def exact(x) -> Decimal:
    """The decimal value ``x`` stands for.

    Integers and Decimals are taken as they are. A float is the nearest binary fraction to a value computed from
    decimal inputs, e.g. 2,933 / 2,000 × 100 = 146.65 exactly but 146.64999999999998 as a float: it is read as its
    shortest decimal form (``repr``) rounded to ``TRUSTED_DIGITS`` significant digits, which gives back the value
    computed from the exact inputs. (A true value cannot lie within 1e-12 of a half-way point without inputs of
    more than twelve digits.) A float holding a whole number is taken exactly.
    """
    if isinstance(x, Decimal):
        return x
    if isinstance(x, numbers.Integral):
        return Decimal(int(x))
    f = float(x)
    if f.is_integer():  # sums of whole 千円, counts: exact as they are, however many digits
        return Decimal(int(f))
    return _TRUSTED.plus(Decimal(repr(f)))


def round_half_up(x, decimals: int = 0) -> Decimal:
    """四捨五入 of the exact value to ``decimals`` places (half away from zero: 146.65 -> 146.7, -0.5 -> -1)."""
    return exact(x).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def fmt_num(x, decimals: int = 0, missing: str = "—") -> str:
    """1234567 -> '1,234,567'; -120 -> '▲120' (the vision's sign for negatives); 146.65 -> '146.7' with one
    decimal (四捨五入 of the exact value, see ``exact``)."""
    if is_missing(x):
        return missing
    v = round_half_up(x, decimals)
    s = f"{abs(v):,.{decimals}f}"
    return f"▲{s}" if v < 0 else s  # a value that rounds to 0 prints without a sign


def fmt_signed(x, decimals: int = 0, missing: str = "—") -> str:
    """Like fmt_num but with '+' for positives (社会増減数)."""
    if is_missing(x):
        return missing
    return ("+" if round_half_up(x, decimals) > 0 else "") + fmt_num(x, decimals)


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
    """A POSIX time as Japan time, e.g. '2025年5月31日 17:05' (month and day without a leading zero, as dates
    print everywhere else)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    d = datetime.fromtimestamp(timestamp, ZoneInfo("Asia/Tokyo"))
    return f"{d.year}年{d.month}月{d.day}日 {d:%H:%M}"

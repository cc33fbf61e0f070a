"""Numbers as the reports print them: 四捨五入 (half up) of the exact value, thousands separators, ▲ for negatives."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from vision_report.core.textfmt import exact, fmt_num, fmt_pct, fmt_signed, round_half_up


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (146.65, 1, "146.7"),  # the float is 146.6499999999999914735…: Python's own format gives 146.6
        (2933 / 2000 * 100, 1, "146.7"),  # computed as 146.64999999999998; exactly 146.65
        (0.125, 2, "0.13"),  # exactly representable: format() would round half to even (0.12)
        (2.5, 0, "3"),
        (3.5, 0, "4"),
        (1.005, 2, "1.01"),
        (2.675, 2, "2.68"),
        (4.52 / 5.65 * 100, 1, "80.0"),  # 79.99999999999999 as a float
        (146.649, 1, "146.6"),  # below the half stays below
        (146.6499, 1, "146.6"),
        (1234567, 0, "1,234,567"),
        (1234567.5, 0, "1,234,568"),
        (4790058.0, 0, "4,790,058"),
        (123456789012345.0, 0, "123,456,789,012,345"),  # a whole float keeps every digit
        (np.float64(146.65), 1, "146.7"),
        (np.int64(5), 0, "5"),
        (Decimal("146.65"), 1, "146.7"),
        (-2.5, 0, "▲3"),  # half away from zero: 四捨五入 of the magnitude
        (-146.65, 1, "▲146.7"),
        (-120, 0, "▲120"),
        (-0.4, 0, "0"),  # rounds to zero: no sign
        (-0.0, 1, "0.0"),
        (None, 0, "—"),
        (float("nan"), 1, "—"),
    ],
)
def test_fmt_num_rounds_half_up_from_the_exact_value(value, decimals, expected):
    assert fmt_num(value, decimals) == expected


def test_fmt_pct_and_fmt_signed():
    assert fmt_pct(146.65) == "146.7%"
    assert fmt_pct(99.95) == "100.0%"
    assert fmt_pct(None) == "—"
    assert fmt_signed(4771) == "+4,771"
    assert fmt_signed(-4771) == "▲4,771"
    assert fmt_signed(0.4) == "0"  # prints as 0: no "+"
    assert fmt_signed(2.5) == "+3"


def test_exact_reads_a_float_as_the_decimal_it_was_computed_as():
    assert exact(2933 / 2000 * 100) == Decimal("146.65")
    assert exact(0.1 + 0.2) == Decimal("0.3")
    assert exact(7) == Decimal(7)
    assert round_half_up(146.65, 1) == Decimal("146.7")

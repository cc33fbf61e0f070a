"""Issue 18 item 8: one rule for every published number. Every percentage and figure that a CSV, report, feedback
or Prefect artifact prints is rounded by core.textfmt.round_half_up (四捨五入 of the exact decimal value), through
fmt_num / fmt_pct / fmt_signed or writers.rounded_number. This test reads the code of vision_report/ and flows/ and
finds any other rounding: round(), .round(), .quantize(), and format specs with a precision (f"{x:.1f}",
"%.2f", "{:,.0f}".format). The few that do not round a published value are listed below with the reason."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
PRECISION_SPEC = re.compile(r"\.\d+[fFeEgG%]")
PERCENT_FORMAT = re.compile(r"%[-+ 0#]*\d*\.\d+[fFeEgG]")
# (file, source line stripped) -> why this is not the rounding of a published value
ALLOWED = {
    (
        "vision_report/core/textfmt.py",
        "return exact(x).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)",
    ): ("the one rounding function itself"),
    ("vision_report/core/textfmt.py", 's = f"{abs(v):,.{decimals}f}"'): "prints the Decimal already rounded half-up",
    ("vision_report/plan/loader.py", "if round(s, 2) != round(float(totals[key]), 2):"): (
        "compares the plan's printed totals, prints nothing"
    ),
    (
        "vision_report/screening/prepare.py",
        "ok = abs(in_base - round(in_base)) < 1e-6",
    ): "tests a count is whole, prints nothing",
    (
        "vision_report/outputs/reports/region_period.py",
        "widths = [32, 18] + [round(78 / max(len(years), 1), 1)] * len(years) + [24, 10, 13, 15]",
    ): ("column widths in mm"),
    (
        "vision_report/outputs/reports/charts.py",
        'return f"{v:,.0f}" if float(v).is_integer() or abs(v) >= 100 else f"{v:,.1f}"',
    ): ("axis tick labels matplotlib chooses, not a published value"),
    (
        "vision_report/outputs/reports/docxutil.py",
        "halves = [round(w * 2) for w in widths]",
    ): ("column widths in half mm (docxutil._half_mm)"),
    (
        "vision_report/outputs/reports/docxutil.py",
        "left = round(total * 2) - sum(halves)",
    ): ("column widths in half mm (docxutil._half_mm)"),
    (
        "vision_report/outputs/reports/charts.py",
        'ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _p: f"{v:,.0f}"))',
    ): ("axis tick labels matplotlib chooses, not a published value"),
    (
        "vision_report/operations/prefect_server.py",
        'log(f"Prefect のデータベースを準備しました（{time.monotonic() - started:.1f} 秒）")',
    ): ("a duration in the log"),
    (
        "vision_report/operations/prefect_server.py",
        'return f"{self.timeout:.0f} 秒以内に応答しませんでした"',
    ): "a setting in a message",
    (
        "vision_report/operations/prefect_server.py",
        "self.startup_seconds = round(time.monotonic() - started, 1)",
    ): "a duration",
    (
        "vision_report/operations/serve.py",
        'raise TimeoutError(f"Prefect サーバーが {timeout:.0f} 秒以内に起動しませんでした（ポート {port}）")',
    ): ("a setting in a message"),
    (
        "vision_report/pipeline.py",
        '"seconds": round(time.monotonic() - started, 1),',
    ): "the run's duration in its summary",
}


def _spec_text(node: ast.AST) -> str:
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return ""


def roundings(path: Path) -> list[tuple[int, str]]:
    """(line, what) for every rounding or precision format in one module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name) and f.id == "round":
                found.append((node.lineno, "round()"))
            elif isinstance(f, ast.Attribute) and f.attr in ("round", "quantize"):
                found.append((node.lineno, f".{f.attr}()"))
        elif isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            spec = _spec_text(node.format_spec)
            if PRECISION_SPEC.search(spec):
                found.append((node.lineno, f"format spec :{spec}"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if PERCENT_FORMAT.search(node.value) or re.search(r"\{[^{}]*:[^{}]*\.\d+[fFeEgG%]\}", node.value):
                found.append((node.lineno, f"format string {node.value!r}"))
    return found


def test_no_other_rounding_of_published_values():
    offenders = []
    used = set()
    files = sorted((ROOT / "vision_report").rglob("*.py")) + sorted((ROOT / "flows").rglob("*.py"))
    for path in files:
        rel = path.relative_to(ROOT).as_posix()
        lines = path.read_text(encoding="utf-8").splitlines()
        for lineno, what in roundings(path):
            key = (rel, lines[lineno - 1].strip())
            if key in ALLOWED:
                used.add(key)
            else:
                offenders.append(f"{rel}:{lineno}: {what}: {key[1]}")
    assert not offenders, (
        "round with core.textfmt.round_half_up (fmt_num / fmt_pct / writers.rounded_number):\n" + "\n".join(offenders)
    )


def test_the_check_finds_each_kind_of_rounding(tmp_path):
    """The check itself can fail: each form of rounding in a module is found."""
    src = tmp_path / "m.py"
    src.write_text(
        "import pandas as pd\n"
        "a = round(1.25, 1)\n"
        "b = pd.Series([1.0]).round(2)\n"
        "c = f'{a:.2f}'\n"
        "d = '%.1f' % a\n"
        "e = '{:,.0f}'.format(a)\n"
        "f = f'{a:,}'\n",
        encoding="utf-8",
    )
    assert [line for line, _ in roundings(src)] == [2, 3, 4, 5, 6]


def test_one_rounding_rule_on_the_boundaries():
    from vision_report.core.textfmt import fmt_pct
    from vision_report.outputs.writers import csv_bytes, rounded_number

    a, b = 705_000 / 800_000 * 100, 82_124 / 56_000 * 100  # 88.125 and 146.64999999999998 as floats
    assert (rounded_number(a, 2), rounded_number(b, 2)) == ("88.13", "146.65")
    assert (fmt_pct(a), fmt_pct(b), fmt_pct(a, 2), fmt_pct(b, 2)) == ("88.1%", "146.7%", "88.13%", "146.65%")
    body = csv_bytes(pd.DataFrame({"attainment_pct": [a, b, 100.0, -0.001], "execution_pct": [float("nan")] * 4}))
    assert body.decode("utf-8-sig").splitlines()[1:] == ["88.13,", "146.65,", "100,", "0,"]

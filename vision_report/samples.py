"""Synthetic sample submissions (NOT real figures): plausible values in the formats clerks really send.

Used by tools/make_samples.py (the committed demo set in inputs/) and by the benchmark.
"""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

from .plan import Plan
from .submission_templates import FIXED_TIME, stable_zip

SYNTHETIC_NOTE = "合成データ（実在の数値ではありません）"
HEADERS = {
    "ja": ["区分", "ID", "項目名", "実績値", "単位", "実施状況", "備考", "市町村コード", "年度"],
    "en": ["kind", "id", "name", "value", "unit", "status", "note", "municipality", "fiscal_year"],
}
KIND_LABELS = {"ja": {"expenditure": "事業費", "kpi": "KPI"}, "en": {"expenditure": "expenditure", "kpi": "kpi"}}
FULLWIDTH = str.maketrans("0123456789,", "０１２３４５６７８９，")


def _trend(kpi, fiscal_year: int, rng: random.Random) -> float:
    """Regional value moving from the baseline toward the target, with noise."""
    span = max(2025 - kpi.baseline_year, 1)
    step = (fiscal_year - kpi.baseline_year) / span
    value = kpi.baseline + (kpi.target - kpi.baseline) * step * rng.uniform(0.55, 1.05)
    return value * rng.uniform(0.98, 1.02)


def synthetic_rows(plan: Plan, code: str, fiscal_year: int, rng: random.Random) -> list[dict]:
    """One municipality's rows (English column names, values in canonical units, numbers as floats)."""
    population = {m.code: m.population or 0 for m in plan.municipalities}
    total_pop = sum(population.values()) or 1
    core = plan.meta.core_municipality
    rows = []
    for ini in plan.initiatives_of(code):
        planned = ini.budget.planned(fiscal_year)
        if code == core:
            if isinstance(planned, int) and planned > 0:
                value = round(planned * rng.uniform(0.80, 1.02))
            elif isinstance(planned, int):
                value = 0
            else:
                value = round(rng.choice([0, 0, 500, 1200, 3000]) * rng.uniform(0.8, 1.2))
        elif isinstance(planned, int) and planned > 0 and rng.random() < 0.25:
            # a neighbour's own small share (publicity, travel), well inside the plan
            value = round(planned / len(ini.participants) * rng.uniform(0.05, 0.3))
        else:
            value = 0
        status = rng.choices(["実施", "一部実施", "未実施", "完了"], weights=[86, 8, 4, 2])[0]
        rows.append({"kind": "expenditure", "id": ini.id, "name": ini.name, "value": float(value), "unit": "千円",
                     "status": status, "note": ""})
    for kpi in plan.kpis_reported_by(code):
        regional = _trend(kpi, fiscal_year, rng)
        if kpi.reporters_all:
            share = population.get(code, 0) / total_pop
            value = regional * share * rng.uniform(0.9, 1.1)
            if kpi.allow_negative and code != core and rng.random() < 0.3:
                value = -abs(value) * rng.uniform(0.1, 0.5)
        else:
            value = regional
        rows.append({"kind": "kpi", "id": kpi.id, "name": kpi.name, "value": float(round(value)), "unit": kpi.unit,
                     "status": "", "note": ""})
    if rows:
        rows[0]["note"] = SYNTHETIC_NOTE
    return rows


def format_number(value: float | str, style: str) -> str:
    """plain '1234' | comma '1,234' | fullwidth '１，２３４' | triangle '▲120' for negatives, '+4,771' for positives."""
    if isinstance(value, str):  # a deliberately broken value is written as it is
        return value
    v = int(round(value))
    text = f"{abs(v):,}" if style in ("comma", "fullwidth", "triangle", "signed") else str(abs(v))
    if style == "fullwidth":
        text = text.translate(FULLWIDTH)
    if v < 0:
        text = ("▲" if style in ("triangle", "fullwidth") else "-") + text
    elif style == "signed" and v > 0:
        text = "+" + text
    return text


def write_submission(path: Path, rows: list[dict], *, code: str, fiscal_year: int, encoding: str = "utf-8-sig",
                     headers: str = "ja", number_style: str = "comma", newline: str = "\r\n",
                     money_unit: str = "千円") -> Path:
    """Write rows as a clerk would: CSV in the given encoding, or .xlsx when ``path`` ends with .xlsx."""
    factor = {"千円": 1, "円": 1000, "百万円": 0.001}[money_unit]
    table = [HEADERS[headers]]
    for r in rows:
        value, unit = r["value"], r["unit"]
        if r["kind"] == "expenditure" and money_unit != "千円" and not isinstance(value, str):
            value, unit = value * factor, money_unit
        style = "signed" if r["id"] == "net_migration" and number_style == "comma" else number_style
        table.append([KIND_LABELS[headers][r["kind"]], r["id"], r["name"], format_number(value, style), unit,
                      r["status"], r["note"], code, str(fiscal_year)])
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = "提出データ"
        for row in table:
            ws.append(row)
        wb.properties.created = wb.properties.modified = FIXED_TIME
        buf = io.BytesIO()
        wb.save(buf)
        path.write_bytes(stable_zip(buf.getvalue()))
        return path
    buf = io.StringIO()
    csv.writer(buf, lineterminator=newline).writerows(table)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


STYLES = [  # (encoding, headers, number_style, newline, money_unit), chosen per municipality
    ("cp932", "ja", "comma", "\r\n", "千円"),
    ("utf-8-sig", "ja", "comma", "\r\n", "千円"),
    ("cp932", "ja", "fullwidth", "\r\n", "千円"),
    ("utf-8", "en", "plain", "\n", "千円"),
    ("cp932", "ja", "triangle", "\r\n", "円"),
    ("utf-8-sig", "ja", "triangle", "\r\n", "千円"),
]


# Deliberately faulty files of the demo set (FY2024 only): file name -> (defect, expected outcome)
FAULTY = {
    "434281_高森町_合成データ.csv": ("取組 3.12.2（高森町は関係市町村でない）の事業費の行がある", "差戻し"),
    "433641_玉東町_合成データ.csv": ("KPI births の実績値が「約40」（数値でない）", "差戻し"),
    "434442_甲佐町_合成データ.csv": ("取組 3.13.3 の事業費を千円の欄に円で入力（約1,000倍）", "受理（警告あり）"),
    "439999_テスト町_合成データ.csv": ("構成市町村でない市町村コード", "差戻し"),
}


def make_sample_set(plan: Plan, out: Path, years: list[int], seed: int = 20240301) -> list[Path]:
    """The committed demo set: every member, every year; a few faulty files in the last year."""
    written = []
    last = max(years)
    for fy in years:
        for k, m in enumerate(plan.municipalities):
            rng = random.Random(f"{seed}-{fy}-{m.code}")
            rows = synthetic_rows(plan, m.code, fy, rng)
            name = f"{m.code}_{m.name}_合成データ"
            if fy == last and name + ".csv" in FAULTY:
                rows = _break(plan, m.code, rows)
            encoding, headers, number_style, newline, money = STYLES[k % len(STYLES)]
            suffix = ".xlsx" if k == (fy % len(plan.municipalities)) and m.code != plan.meta.core_municipality \
                else ".csv"
            if fy == last and name + ".csv" in FAULTY:
                suffix = ".csv"
            written.append(write_submission(out / str(fy) / f"{name}{suffix}", rows, code=m.code, fiscal_year=fy,
                                            encoding=encoding, headers=headers, number_style=number_style,
                                            newline=newline, money_unit=money))
    rng = random.Random(f"{seed}-nonmember")
    rows = synthetic_rows(plan, plan.municipalities[-1].code, last, rng)
    written.append(write_submission(out / str(last) / "439999_テスト町_合成データ.csv", rows, code="439999",
                                    fiscal_year=last))
    return written


def _break(plan: Plan, code: str, rows: list[dict]) -> list[dict]:
    if code == "434281":  # 高森町: expenditure for an initiative it is not part of
        ini = plan.initiative("3.12.2")
        rows.append({"kind": "expenditure", "id": ini.id, "name": ini.name, "value": 120.0, "unit": "千円",
                     "status": "実施", "note": ""})
    elif code == "433641":  # 玉東町: a value that is not a number
        for r in rows:
            if r["id"] == "births":
                r["value"] = "約40"
    elif code == "434442":  # 甲佐町: yen typed into a thousand-yen column
        for r in rows:
            if r["id"] == "3.13.3":
                r["value"] = 2_350_000.0
                r["note"] = "円で入力（誤り）"
    return rows

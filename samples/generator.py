"""Synthetic sample submissions (NOT real figures): plausible values in the formats clerks really send.

Used by tools/make_samples.py (the committed demo set in inputs/) and by the benchmark (bench/make_scaled.py).
Everything here is deterministic: the same plan, years and seed give the same bytes.

- :func:`synthetic_rows` makes one municipality's rows for a fiscal year (the column names of docs/interface.md §2, canonical units).
- :func:`write_submission` writes rows the way a clerk's Excel would: CSV in CP932 / UTF-8 (with or without BOM),
  Japanese or English headers, ``1,234`` / ``１，２３４`` / ``▲120`` / ``△120`` / ``+4,771``, 千円 / 円 / 百万円,
  or an .xlsx with numeric cells.
- :func:`make_sample_set` makes the demo set: every member of each fiscal year (membership over time: a municipality
  sends files only for the years it is a member), a few deliberately faulty files in one year, and inputs/README.md
  describing it.

Why one module of ~650 lines: the generator of the synthetic demo set is one piece of tooling outside the
package; it is long because it imitates many real file formats, each a few lines.
"""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

from vision_report.core.atomic import write_bytes
from vision_report.core.config import EvaluationSettings
from vision_report.core.vocabulary import Status, kind_labels, status_label, synthetic
from vision_report.core.xlsx import FIXED_TIME, stable_zip
from vision_report.intake.normalize import BASE_COLUMNS, COLUMNS, EVALUATION_COLUMNS, HEADER_JA
from vision_report.plan import Plan

SYNTHETIC_NOTE = synthetic("note")
SYNTHETIC_MARK = synthetic("mark")
HEADERS = {"ja": [HEADER_JA[c] for c in BASE_COLUMNS], "en": list(BASE_COLUMNS)}
# with the optional columns of issue 13 (取組実績・成果・課題・今後の方向性・自己評価)
HEADERS_WITH_TEXTS = {"ja": [HEADER_JA[c] for c in COLUMNS], "en": list(COLUMNS)}
KIND_LABELS = {"ja": kind_labels(), "en": {"expenditure": "expenditure", "kpi": "kpi"}}
FULLWIDTH = str.maketrans("0123456789,.", "０１２３４５６７８９，．")
NUMBER_STYLES = ("plain", "comma", "fullwidth", "triangle", "white_triangle", "signed")
MONEY_FACTORS = {"千円": 1, "円": 1000, "百万円": 0.001}  # value in 千円 × factor = value in that unit
STATUS_WEIGHTS = {"実施": 86, "一部実施": 8, "未実施": 4, "完了": 2}

# (encoding, headers, number_style, newline, money_unit), chosen per municipality by its position in the plan
STYLES = [
    ("cp932", "ja", "comma", "\r\n", "千円"),
    ("utf-8-sig", "ja", "comma", "\r\n", "千円"),
    ("cp932", "ja", "fullwidth", "\r\n", "千円"),
    ("utf-8", "en", "plain", "\n", "千円"),
    ("cp932", "ja", "triangle", "\r\n", "円"),
    ("utf-8-sig", "ja", "white_triangle", "\r\n", "千円"),
]
# Demo set only: a municipality that reports its expenditure in 百万円 (with decimals) instead of 千円.
MONEY_UNIT_OVERRIDES = {"432148": "百万円"}  # 阿蘇市
# Demo set only: a municipality that still sends the older columns (no 取組実績・成果・課題・今後の方向性・自己評価).
WITHOUT_TEXT_COLUMNS = ("434426",)  # 嘉島町
NON_MEMBER = ("439999", "テスト町")

# Deliberately faulty files of the demo set (last year only): file name -> (defect, expected status)
FAULTY = {
    "434281_高森町_合成データ.csv": (
        "高森町が関係市町村でない取組 3.12.2（消防業務の広域化）の事業費の行がある",
        Status.REJECTED,
    ),
    "433641_玉東町_合成データ.csv": ("KPI births（圏域出生数）の実績値が「約40」（数値でない）", Status.REJECTED),
    "434442_甲佐町_合成データ.csv": (
        "取組 3.13.3 の事業費を千円の欄に円で入力（2,350,000。想定の約1,000倍）",
        Status.ACCEPTED_WITH_WARNINGS,
    ),
    f"{NON_MEMBER[0]}_{NON_MEMBER[1]}_合成データ.csv": (
        "構成市町村でない市町村コード 439999（ファイル名）",
        Status.REJECTED,
    ),
}


# -- values ---------------------------------------------------------------------------------------------------------
def _trend(kpi, fiscal_year: int, rng: random.Random, target_year: int) -> float:
    """Regional value moving from the baseline toward the target (reached around ``target_year``), with noise."""
    span = max(target_year - kpi.baseline_year, 1)
    step = (fiscal_year - kpi.baseline_year) / span
    value = kpi.baseline + (kpi.target - kpi.baseline) * step * rng.uniform(0.55, 1.05)
    return value * rng.uniform(0.98, 1.02)


def synthetic_rows(plan: Plan, code: str, fiscal_year: int, rng: random.Random) -> list[dict]:
    """One municipality's rows for a fiscal year: a dict per row with the contract's English column names.

    ``value`` is a float in the canonical unit (千円 for expenditure, the KPI's unit); ``municipality`` and
    ``fiscal_year`` are filled. The first row's note marks the data as synthetic. The core city spends 80–105% of
    the plan; the others mostly nothing (the plan's 費用負担 puts most costs on the core city); KPIs move from the
    baseline toward the target, region-wide KPIs split by population share of the plan's basis members (a member
    added later, without a population in the plan, gets the basis members' median: synthetic). A municipality that
    is not a member in ``fiscal_year`` has no rows.
    """
    population = sample_populations(plan)
    total_pop = sum(population[m.code] for m in plan.basis_members) or 1
    core = plan.meta.core_municipality
    fy = str(fiscal_year)
    rows = []
    for ini in plan.initiatives_of(code, fiscal_year):
        planned = ini.budget.planned(fiscal_year)
        if code == core:
            if isinstance(planned, int) and planned > 0:
                value = round(planned * rng.uniform(0.80, 1.05))
            elif isinstance(planned, int):
                value = 0
            else:  # blank or 未定 in the plan: a small amount, or nothing
                value = round(rng.choice([0, 0, 500, 1200, 3000]) * rng.uniform(0.8, 1.2))
        elif isinstance(planned, int) and planned > 0 and rng.random() < 0.25:
            # a neighbour's own small share (publicity, travel), well inside the plan
            value = round(planned / len(ini.participants) * rng.uniform(0.05, 0.3))
        else:
            value = 0
        status = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
        if status == "未実施":
            value = 0  # nothing is spent on what was not done (spending on 未実施 is a warning: spend_not_implemented)
        rows.append(
            {
                "kind": "expenditure",
                "id": ini.id,
                "name": ini.name,
                "value": float(value),
                "unit": "千円",
                "status": status,
                "note": "",
                "municipality": code,
                "fiscal_year": fy,
            }
        )
    for kpi in plan.kpis_reported_by(code, fiscal_year):
        regional = _trend(kpi, fiscal_year, rng, plan.meta.last_fiscal_year)
        if kpi.reporters_all:
            share = population.get(code, 0) / total_pop
            kpi_value = regional * share * rng.uniform(0.9, 1.1)
            if kpi.allow_negative and code != core and rng.random() < 0.3:  # some small towns lose people
                kpi_value = -abs(kpi_value) * rng.uniform(0.1, 0.5)
        else:
            kpi_value = regional
        rows.append(
            {
                "kind": "kpi",
                "id": kpi.id,
                "name": kpi.name,
                "value": float(round(kpi_value)),
                "unit": kpi.unit,
                "status": "",
                "note": "",
                "municipality": code,
                "fiscal_year": fy,
            }
        )
    if rows:
        rows[0]["note"] = SYNTHETIC_NOTE
    return rows


def sample_populations(plan: Plan) -> dict[str, int]:
    """Population per member for splitting region-wide KPIs: the plan's figure, else the median of the basis
    members' (members added by an amendment may have none in the plan)."""
    known = sorted(m.population for m in plan.basis_members if m.population)
    median = known[len(known) // 2] if known else 1
    return {m.code: m.population or median for m in plan.municipalities}


# -- texts (issue 13) -----------------------------------------------------------------------------------------------
_EVENTS = ("説明会", "講座", "相談会", "研修会", "情報交換会", "周知イベント")
_MORE = (
    "前年度より参加者が{d}人増えた。",
    "圏域内の他の市町村からの参加もあった。",
    "参加者の半数以上が初めての参加だった。",
)
_OUTCOMES = (
    "参加者アンケートで「満足」と答えた人が{p}%だった。",
    "圏域の住民による利用が前年度より{x}件増えた。",
    "関係市町村の間で情報を共有する仕組みができた。",
    "連携先の市町村から{x}件の問い合わせがあった。",
)
_CHALLENGES = (
    "周知が十分でなく、参加者が一部の市町村に偏った。",
    "担当職員の負担が大きく、実施体制の見直しが必要。",
    "会場の確保が難しく、開催回数を増やせなかった。",
    "効果を測る指標の設定が今後の課題。",
)
_REASONS = ("関係機関との協議が続いている", "対象となる案件がなかった", "日程の調整がつかなかった")
# 実施状況 -> (weights of the grades, best first; weights of 今後の方向性)
_EVALUATION_BY_STATUS = {
    "実施": ((40, 50, 10, 0), {"継続": 60, "拡充": 20, "改善": 20}),
    "一部実施": ((0, 30, 70, 0), {"改善": 60, "継続": 30, "縮小": 10}),
    "未実施": ((0, 0, 0, 100), {"継続": 40, "改善": 30, "縮小": 20, "廃止": 10}),
    "完了": ((60, 40, 0, 0), {"完了": 100}),
}


def synthetic_texts(row: dict, rng: random.Random, evaluation: EvaluationSettings | None = None) -> dict[str, str]:
    """取組実績・成果・課題・今後の方向性・自己評価 for one expenditure row, consistent with its 実施状況: every text
    starts with （合成データ）; a 未実施 row says why or is left blank (then all five are blank); 完了 goes with the
    direction 完了, 未実施 with the last grade (D). Some texts have a line break. KPI rows get nothing."""
    ev = evaluation or EvaluationSettings()
    blank = dict.fromkeys(EVALUATION_COLUMNS, "")
    status = row.get("status", "")
    if row.get("kind") != "expenditure" or status not in _EVALUATION_BY_STATUS:
        return blank
    mark = "（合成データ）"
    name = row["name"]
    if status == "実施":
        n, m = rng.randint(1, 6), rng.randint(2, 40) * 10
        result = f"{mark}{name}として、{rng.choice(_EVENTS)}を{n}回開催し、延べ{m}人が参加した。"
        if rng.random() < 0.25:
            result += "\n" + rng.choice(_MORE).format(d=rng.randint(3, 60))
    elif status == "一部実施":
        k = rng.randint(3, 6)
        result = f"{mark}{name}は、予定していた{k}回のうち{rng.randint(1, k - 1)}回を実施した。"
        if rng.random() < 0.4:
            result += "\n残りは次年度に実施する予定。"
    elif status == "完了":
        result = f"{mark}{name}は予定していた取組をすべて終え、今年度で完了した。"
    else:  # 未実施
        if rng.random() < 0.5:
            return blank
        result = f"{mark}今年度は{rng.choice(_REASONS)}ため実施しなかった。"
    outcome = ""
    if status != "未実施" and rng.random() < 0.4:
        outcome = mark + rng.choice(_OUTCOMES).format(p=rng.randint(60, 95), x=rng.randint(5, 120))
    challenge = ""
    if rng.random() < (0.2 if status in ("実施", "完了") else 0.6):
        challenge = mark + rng.choice(_CHALLENGES)
    grade_weights, direction_weights = _EVALUATION_BY_STATUS[status]
    grades = list(ev.self_evaluation)
    k = rng.choices(range(len(grade_weights)), weights=grade_weights)[0]
    allowed = {d: w for d, w in direction_weights.items() if d in ev.directions} or {ev.directions[0]: 1}
    direction = rng.choices(list(allowed), weights=list(allowed.values()))[0]
    return {
        "result_text": result,
        "outcome_text": outcome,
        "challenge_text": challenge,
        "direction": direction,
        "self_evaluation": grades[min(k, len(grades) - 1)],
    }


def add_texts(rows: list[dict], rng: random.Random, evaluation: EvaluationSettings | None = None) -> list[dict]:
    """``rows`` with the five optional columns (:func:`synthetic_texts`) on every row (blank on KPI rows)."""
    return [{**r, **synthetic_texts(r, rng, evaluation)} for r in rows]


# -- formats --------------------------------------------------------------------------------------------------------
def format_number(value: float | str, style: str) -> str:
    """A number as a clerk types it.

    plain ``1234`` | comma ``1,234`` | fullwidth ``１，２３４`` (negatives ``▲１２０``) | triangle ``▲120`` |
    white_triangle ``△120`` | signed ``+4,771`` / ``-120``. Up to 3 decimals are kept (``1.234`` 百万円).
    A str (a deliberately broken value) is written as it is.
    """
    if isinstance(value, str):
        return value
    if style not in NUMBER_STYLES:
        raise ValueError(f"unknown number style {style!r}")
    v = round(float(value), 3)
    grouped = style != "plain"
    text = f"{abs(v):,.3f}" if grouped else f"{abs(v):.3f}"
    text = text.rstrip("0").rstrip(".")
    if style == "fullwidth":
        text = text.translate(FULLWIDTH)
    if v < 0:
        text = {"triangle": "▲", "fullwidth": "▲", "white_triangle": "△"}.get(style, "-") + text
    elif style == "signed" and v > 0:
        text = "+" + text
    return text


def _xlsx_number_format(style: str, value: float) -> str:
    if style == "plain" or value != int(value):
        return "General"
    return {"triangle": "#,##0;▲#,##0", "white_triangle": "#,##0;△#,##0", "signed": "+#,##0;-#,##0;0"}.get(
        style, "#,##0"
    )


def write_submission(
    path: Path,
    rows: list[dict],
    *,
    code: str | None = None,
    fiscal_year: int | str | None = None,
    encoding: str = "utf-8-sig",
    headers: str = "ja",
    number_style: str = "comma",
    newline: str = "\r\n",
    money_unit: str = "千円",
) -> Path:
    """Write ``rows`` (as from :func:`synthetic_rows`) the way a clerk would; atomically; returns ``path``.

    CSV in ``encoding`` (``cp932``, ``utf-8-sig``, ``utf-8``) with ``newline``, or an .xlsx (first sheet, numeric
    cells with a matching number format) when ``path`` ends with .xlsx. ``headers``: "ja" or "en" (also the kind
    labels: 事業費/KPI or expenditure/kpi). ``money_unit``: expenditure written in 千円, 円 (×1000) or 百万円 (÷1000).
    ``code`` and ``fiscal_year`` override the rows' municipality and fiscal_year columns (e.g. a non-member code).
    net_migration in the "comma" style is written with a sign (``+4,771``), as the vision prints it.
    """
    if headers not in HEADERS:
        raise ValueError(f"headers must be 'ja' or 'en', not {headers!r}")
    factor = MONEY_FACTORS[money_unit]
    texts = any("result_text" in r for r in rows)  # the optional columns of issue 13 (add_texts)
    table: list[list] = [list((HEADERS_WITH_TEXTS if texts else HEADERS)[headers])]
    styles: list[str] = []
    for r in rows:
        value, unit = r["value"], r["unit"]
        if r["kind"] == "expenditure" and money_unit != "千円" and not isinstance(value, str):
            value, unit = round(value * factor, 6), money_unit
        style = "signed" if r["id"] == "net_migration" and number_style == "comma" else number_style
        muni = code if code is not None else r.get("municipality", "")
        year = fiscal_year if fiscal_year is not None else r.get("fiscal_year", "")
        table.append(
            [
                KIND_LABELS[headers][r["kind"]],
                r["id"],
                r["name"],
                value,
                unit,
                r.get("status", ""),
                r.get("note", ""),
                str(muni),
                str(year),
                *([r.get(c, "") for c in EVALUATION_COLUMNS] if texts else []),
            ]
        )
        styles.append(style)
    if path.suffix.lower() == ".xlsx":
        data = _xlsx_bytes(table, styles)
    else:
        for row, style in zip(table[1:], styles, strict=True):
            row[3] = format_number(row[3], style)
        buf = io.StringIO()
        csv.writer(buf, lineterminator=newline).writerows(table)
        data = buf.getvalue().encode(encoding)
    write_bytes(path, data)
    return path


def _xlsx_bytes(table: list[list], styles: list[str]) -> bytes:
    """An .xlsx as Excel saves it: header in bold, numbers as numbers (with the clerk's display format)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = "提出データ"
    ws.append(table[0])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row, style in zip(table[1:], styles, strict=True):
        cells = [c if c != "" else None for c in row]
        value = row[3]
        if not isinstance(value, str):
            cells[3] = int(value) if float(value).is_integer() else float(value)
        if str(row[8]).isdigit():
            cells[8] = int(row[8])  # Excel keeps a typed year as a number
        ws.append(cells)
        if not isinstance(value, str):
            ws.cell(row=ws.max_row, column=4).number_format = _xlsx_number_format(style, float(value))
        for j in range(10, min(len(row), 12) + 1):  # 取組実績・成果・課題: wrapped
            ws.cell(row=ws.max_row, column=j).alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    widths = (9, 9, 50, 14, 9, 10, 30, 12, 7, 50, 40, 40, 13, 10)
    for col, width in zip("ABCDEFGHIJKLMN", widths[: len(table[0])], strict=False):
        ws.column_dimensions[col].width = width
    wb.properties.created = wb.properties.modified = FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    return stable_zip(buf.getvalue())


# -- the demo set ---------------------------------------------------------------------------------------------------
def style_of(plan: Plan, code: str) -> tuple[str, str, str, str, str]:
    """(encoding, headers, number_style, newline, money_unit) of a member in the demo set."""
    k = [m.code for m in plan.municipalities].index(code)
    encoding, headers, number_style, newline, money = STYLES[k % len(STYLES)]
    return encoding, headers, number_style, newline, MONEY_UNIT_OVERRIDES.get(code, money)


def xlsx_member(plan: Plan, fiscal_year: int) -> str | None:
    """The member that sends an .xlsx instead of a CSV that year: the year's members taken in turn (fiscal year
    modulo their number), skipping the core city and the members with a faulty file; None if there is none."""
    members = plan.members(fiscal_year)
    for k in range(len(members)):
        m = members[(fiscal_year + k) % len(members)]
        if m.code != plan.meta.core_municipality and f"{m.code}_{m.name}_{SYNTHETIC_MARK}.csv" not in FAULTY:
            return m.code
    return None


def make_sample_set(
    plan: Plan,
    out: Path,
    years: list[int],
    seed: int = 20240301,
    faulty_year: int | None = None,
    evaluation: EvaluationSettings | None = None,
    *,
    with_faulty: bool = True,
    readme: bool = True,
) -> list[Path]:
    """The demo set: every member of each year (``Plan.members``); the faulty files (FAULTY) in ``faulty_year``
    (default: the last year); also writes out/README.md.

    Expenditure rows carry synthetic 取組実績・成果・課題・今後の方向性・自己評価 (:func:`add_texts`, from their own random
    stream, so the values are those of a set without texts), except in the files of WITHOUT_TEXT_COLUMNS.

    ``with_faulty=False``: no faulty files and no non-member file (the years of a later plan, whose ids the
    documented defects do not name); ``readme=False``: out/README.md is left alone (tools/make_samples.py writes one
    README for several plans).

    Returns the submission files written (not the README).
    """
    written = []
    last = max(years) if faulty_year is None else faulty_year
    if last not in years:
        raise ValueError(f"faulty_year {last} is not one of the years {years}")
    for fy in years:
        xlsx_code = xlsx_member(plan, fy)
        for m in plan.members(fy):
            rng = random.Random(f"{seed}-{fy}-{m.code}")
            rows = synthetic_rows(plan, m.code, fy, rng)
            name = f"{m.code}_{m.name}_{SYNTHETIC_MARK}"
            faulty = with_faulty and fy == last and name + ".csv" in FAULTY
            if faulty:
                rows = _break(plan, m.code, rows)
            if m.code not in WITHOUT_TEXT_COLUMNS:
                rows = add_texts(rows, random.Random(f"{seed}-{fy}-{m.code}-texts"), evaluation)
            encoding, headers, number_style, newline, money = style_of(plan, m.code)
            suffix = ".xlsx" if m.code == xlsx_code and not faulty else ".csv"
            written.append(
                write_submission(
                    out / str(fy) / f"{name}{suffix}",
                    rows,
                    encoding=encoding,
                    headers=headers,
                    number_style=number_style,
                    newline=newline,
                    money_unit=money,
                )
            )
    if with_faulty:
        code, town = NON_MEMBER
        rows = synthetic_rows(plan, plan.basis_members[-1].code, last, random.Random(f"{seed}-nonmember"))
        written.append(
            write_submission(out / str(last) / f"{code}_{town}_{SYNTHETIC_MARK}.csv", rows, code=code, fiscal_year=last)
        )
    write_panel_opinions(plan, out, years)
    if readme:
        write_bytes(out / "README.md", readme_text(plan, years, seed, faulty_year=last).encode("utf-8"))
    return written


def plans_of_years(settings, years: list[int]) -> dict[Path, list[int]]:
    """Plan folder -> the fiscal years (ascending) config plans: gives it, for the years asked."""
    out: dict[Path, list[int]] = {}
    for fy in sorted(set(years)):
        out.setdefault(settings.plan_dir_for(fy), []).append(fy)
    return out


def make_demo_inputs(
    groups: list[tuple[Plan, list[int]]], out: Path, seed: int, faulty_year: int
) -> tuple[list[Path], dict[Path, int]]:
    """The demo set over several plans (``groups``: each plan with its years): the plan of ``faulty_year`` makes its
    years as :func:`make_sample_set` always did (faulty files, README); a later plan's years have no faulty files and
    a README section of their own. Returns (files written, {file of a later plan's year: its fiscal year})."""
    paths: list[Path] = []
    later: list[str] = []
    later_paths: dict[Path, int] = {}
    for plan, years in groups:
        if faulty_year in years:
            paths += make_sample_set(plan, out, years, seed, faulty_year=faulty_year)
        else:
            made = make_sample_set(plan, out, years, seed, with_faulty=False, readme=False)
            later_paths.update({p: int(p.parent.name) for p in made})
            paths += made
            later.append(next_plan_readme_section(plan, years))
    if later:
        readme = out / "README.md"
        write_bytes(readme, (readme.read_text(encoding="utf-8") + "\n" + "\n".join(later)).encode("utf-8"))
    return paths, later_paths


def next_plan_readme_section(plan: Plan, years: list[int]) -> str:
    """The part of inputs/README.md on the years of a later plan (e.g. the synthetic next vision)."""
    first, last = min(years), max(years)
    span = f"{first}年度" if first == last else f"{first}〜{last}年度"
    return "\n".join(
        [
            f"## {span}（{plan.meta.title}）",
            "",
            f"{span}のファイルは、次の計画 `plans/{plan.meta.id}/`（{plan.meta.title}、{plan.meta.revision}）の"
            "構成市町村・取組・KPIで作っています（計画そのものも合成データで、実在の計画ではありません）。",
            "この計画は `python tools/make_next_plan.py` が計画ワークブックを作り、`vision-report plan import` で"
            "取り込んだものです。作り方は上と同じですが、わざと誤りを入れたファイルはありません。",
            "",
            "| 年度 | 市町村数 |",
            "|---|---|",
            *(f"| {fy} | {len(plan.members(fy))} |" for fy in years),
            "",
        ]
    )


# the coordinator's sample files (synthetic, typed as a coordinator would): the ビジョン懇談会 opinions and the
# office's 総括所見, samples/panel/<plan id>/<FY>/
PANEL_SAMPLES = Path(__file__).resolve().parent / "panel"


def write_panel_opinions(plan: Plan, out: Path, years: list[int]) -> list[Path]:
    """Copy the coordinator's sample files of the plan's years (where there are any) to out/<FY>/ under their
    default names: the panel's opinions (config evaluation.panel_opinions_file) and the office's 総括所見
    (evaluation.period_remarks_file); returns the files written."""
    from vision_report.core.config import EvaluationSettings

    written = []
    for fy in years:
        for name in EvaluationSettings().coordinator_files:
            src = PANEL_SAMPLES / plan.meta.id / str(fy) / name
            if src.is_file():
                write_bytes(out / str(fy) / name, src.read_bytes())
                written.append(out / str(fy) / name)
    return written


def _break(plan: Plan, code: str, rows: list[dict]) -> list[dict]:
    """Put the one documented defect (FAULTY) into a member's rows."""
    if code == "434281":  # 高森町: expenditure for an initiative it is not part of
        ini = plan.initiative("3.12.2")
        assert code not in ini.participants
        rows.append(
            {
                "kind": "expenditure",
                "id": ini.id,
                "name": ini.name,
                "value": 120.0,
                "unit": "千円",
                "status": "実施",
                "note": "",
                "municipality": code,
                "fiscal_year": rows[0]["fiscal_year"],
            }
        )
    elif code == "433641":  # 玉東町: a value that is not a number
        for r in rows:
            if r["id"] == "births":
                r["value"] = "約40"
    elif code == "434442":  # 甲佐町: yen typed into a thousand-yen column (no note: the clerk did not notice)
        for r in rows:
            if r["id"] == "3.13.3":
                r["value"] = 2_350_000.0
    return rows


_ENCODING_JA = {"cp932": "Shift_JIS（CP932）", "utf-8-sig": "UTF-8（BOM付き）", "utf-8": "UTF-8（BOMなし）"}
_STYLE_JA = {
    "plain": "1234・-120",
    "comma": "1,234・+4,771（社会増減数）",
    "fullwidth": "全角（１，２３４・▲１２０）",
    "triangle": "1,234・▲120",
    "white_triangle": "1,234・△120",
    "signed": "+1,234・-120",
}


def readme_text(plan: Plan, years: list[int], seed: int, faulty_year: int | None = None) -> str:
    """inputs/README.md: the set is synthetic, how it was made, who is a member which year, the formats per member,
    the faulty files (in ``faulty_year``, default the last year)."""
    last = max(years) if faulty_year is None else faulty_year
    xlsx = {fy: xlsx_member(plan, fy) for fy in years}
    lines = [
        "# 提出ファイル（サンプルは合成データです）",
        "",
        "**このフォルダのファイルはすべて合成データ（サンプル）であり、実在の数値ではありません。**",
        "熊本連携中枢都市圏の市町村・取組・KPIは実在のビジョンのものですが、実績値・事業費・実施状況はすべて乱数で作ったものです。",
        "ファイル名の「合成データ」と、各ファイル1行目の備考「合成データ（実在の数値ではありません）」がその印です"
        "（報告書にも合成データである旨が表示されます）。",
        "",
        f"`python tools/make_samples.py --years {' '.join(map(str, years))} --seed {seed} --faulty-year {last}`"
        " で同じものを作り直せます"
        "（乱数の種を固定しているので、何度実行してもバイト単位で同じ内容になります）。",
        "",
        "## 置き方",
        "",
        "- `inputs/<年度>/<市町村コード>_<任意>.csv`（または `.xlsx`）。例: `inputs/2024/431001_熊本市.csv`",
        f"- 同じ市町村のファイルが複数あるときは、更新日時の新しいものを使い、ほかは「{status_label(Status.SUPERSEDED)}」として記録します。",
        "- 受け付けたファイルはすべて `archive/<年度>/` に SHA-256 の名前で保管され、削除・上書きされません。",
        "- 記入用のひな形は `vision-report templates --fiscal-year <年度>` で作れます。",
        "",
        f"## サンプルの作り（{years[0]}〜{max(years)}年度）",
        "",
        "- 市町村: その年度の構成市町村だけがファイルを出します（加入の翌年度から。計画の municipalities.csv の"
        " joined・first_fiscal_year と amendments/ による）。",
        "- KPI: 現状値から目標値に向かって年度ごとに近づく推移に揺らぎを加えた値。全市町村の合計で測るKPIは、"
        "圏域の値を人口（municipalities.csv の人口）の比で按分（社会増減数は小さな町村で一部マイナス）。"
        "熊本市だけが報告するKPIは熊本市の値。計画の改定（amendments/）で加わった市町村は人口の記載がないため、"
        "按分にはビジョンの構成市町村の人口の中央値を使います（その分だけ全構成市町村の合計が基準の合計より大きくなる）。",
        "- 改定で加わった市町村で参加する取組が記録されていないもの（2025年度の4市町）は、"
        "全市町村が報告するKPIの行だけを出します。",
        "- 事業費: 熊本市はその年度の計画事業費の80〜105%（計画が0なら0、空欄・未定なら少額か0）。"
        "ほかの市町村は多くが0で、一部が少額（ビジョンの費用負担で、多くの取組の費用は熊本市が負担するため）。",
        "- 実施状況: 多くが「実施」、一部「一部実施」、少し「未実施」、まれに「完了」。",
        "- 取組実績・成果・課題・今後の方向性・自己評価（事業費の行）: 文はすべて「（合成データ）」で始まる作り話です。"
        "実施状況に合わせています（「実施」「一部実施」「完了」の行には必ず取組実績。「未実施」の行は理由を書くか、"
        "5列とも空欄。自己評価は「未実施」なら最も低い区分、「完了」なら方向性は「完了」）。"
        "成果は一部の行、課題はさらに少ない行にだけあり、セルの中で改行した文もあります。",
        "- "
        + "、".join(plan.municipality(c).name for c in WITHOUT_TEXT_COLUMNS if plan.has_municipality(c))
        + "は、取組実績などの列がない以前の様式で提出しています（以前の様式でも実績の値は受け付けることを示すため）。"
        "自己評価の記入がないため、どの年度も「受理（警告あり）」になり、記入して提出し直すよう警告が出ます"
        "（設定 `evaluation.required_in_file`）。",
        "",
        "## 年度ごとの構成市町村",
        "",
        "| 年度 | 市町村数 | 前年度からの変化 |",
        "|---|---|---|",
    ]
    before: set[str] | None = None
    for fy in years:
        now = [m.code for m in plan.members(fy)]
        joined = [plan.municipality(c).name for c in now if before is not None and c not in before]
        left = [m.name for m in plan.municipalities if before is not None and m.code in before and m.code not in now]
        change = "、".join([*(f"{n} 加入" for n in joined), *(f"{n} 脱退" for n in left)]) or "—"
        lines.append(f"| {fy} | {len(now)} | {change} |")
        before = set(now)
    lines += [
        "",
        "## 市町村ごとの書式",
        "",
        "Excel の利用者が実際に作るファイルに合わせ、市町村ごとに書式を変えています。",
        "",
        "| 市町村 | 文字コード | 改行 | 見出し | 数値の書き方 | 事業費の単位 | Excel（.xlsx）の年度 |",
        "|---|---|---|---|---|---|---|",
    ]
    for m in plan.municipalities:
        if not any(plan.is_member(m.code, fy) for fy in years):
            continue
        encoding, headers, number_style, newline, money = style_of(plan, m.code)
        xl = "、".join(str(fy) for fy in years if xlsx[fy] == m.code) or "—"
        head = "英語（kind, id, …; expenditure/kpi）" if headers == "en" else "日本語（区分, ID, …; 事業費/KPI）"
        money_ja = {"千円": "千円", "円": "円（×1,000）", "百万円": "百万円（÷1,000、小数あり）"}[money]
        lines.append(
            f"| {m.code} {m.name} | {_ENCODING_JA[encoding]} | {'CRLF' if newline == chr(13) + chr(10) else 'LF'}"
            f" | {head} | {_STYLE_JA[number_style]} | {money_ja} | {xl} |"
        )
    lines += [
        "",
        "`.xlsx` のファイルは CSV と同じ列を1枚目のシートに持ち、実績値は数値のセル（表示形式 `#,##0` など）です。",
        "",
        "`懇談会意見.md`（ある年度のみ）は、コーディネーターが置くビジョン懇談会の意見の例（合成データ、実在の意見ではありません）です。"
        "提出ファイルではなく、保管したうえで報告書の進行管理の章と概要版に掲載されます。",
        "",
        "`総括所見.md`（最終年度のみ）は、事務局が置く計画期間の総括の所見の例（合成データ、実在の所見ではありません）です。"
        "提出ファイルではなく、保管したうえで報告書の「計画期間の総括」の章に掲載されます。",
        "",
        f"## わざと誤りを入れたファイル（{last}年度のみ）",
        "",
        f"{status_label(Status.REJECTED)}と警告がどう表示されるかを示すため、次のファイルにはそれぞれ1つだけ誤りを入れています。"
        f"{status_label(Status.REJECTED)}にするのは小さな町村のファイルで、熊本市のファイルはすべて正しいものです。",
        "",
        "| ファイル | 誤り | 結果 |",
        "|---|---|---|",
    ]
    lines += [f"| `{name}` | {defect} | {status_label(outcome)} |" for name, (defect, outcome) in FAULTY.items()]
    rejected_members = sum(1 for n, (_d, o) in FAULTY.items() if o == Status.REJECTED and plan.is_member(n[:6], last))
    n = len(plan.members(last))
    lines += [
        "",
        f"このため{last}年度は、全市町村の合計で測るKPIが「暫定（{n}市町村中{n - rejected_members}市町村の合計）」になります。",
        "",
    ]
    return "\n".join(lines)

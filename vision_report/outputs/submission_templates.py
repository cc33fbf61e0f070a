"""Pre-filled submission files per municipality (`vision-report templates`): CSV and .xlsx.

One pair per member: ``<code>_<name>_<FY>年度.csv`` (UTF-8 with BOM, CRLF, Japanese headers) and the same rows as
``.xlsx`` (drop-downs for 区分, 実施状況, 今後の方向性 and 自己評価, numeric 実績値 cells, wide wrapped cells for
取組実績・成果・課題, a 記入方法 sheet). Files are written atomically and their bytes depend only on the plan, the
fiscal year and the configuration (no timestamps), so re-running gives identical files.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from vision_report.core.atomic import write_bytes
from vision_report.core.config import EvaluationSettings
from vision_report.core.vocabulary import kind_labels
from vision_report.core.xlsx import workbook_bytes
from vision_report.intake.normalize import COLUMNS, EVALUATION_COLUMNS, HEADER_JA, STATUSES
from vision_report.plan import Plan

HEADER = [HEADER_JA[c] for c in COLUMNS]
KIND_EXPENDITURE, KIND_KPI = kind_labels()["expenditure"], kind_labels()["kpi"]
SHEET_DATA, SHEET_HELP = "提出データ", "記入方法"
COLUMN_WIDTHS = (9, 9, 62, 15, 10, 11, 32, 13, 8, 50, 40, 40, 13, 10)  # one per column of COLUMNS
TEXT_COLUMN_NUMBERS = [COLUMNS.index(c) + 1 for c in EVALUATION_COLUMNS[:3]]  # 取組実績・成果・課題 (wrapped)
DIRECTION_COLUMN = COLUMNS.index("direction") + 1
GRADE_COLUMN = COLUMNS.index("self_evaluation") + 1
LIST_FORMULA_LIMIT = 255  # characters of an inline drop-down list ("a,b,c") Excel accepts
SHEET_LISTS = "選択肢"  # hidden sheet holding a drop-down list too long to write inline
INPUT_FILL = "FFF2CC"  # light yellow: the cells the municipality fills in
HEADER_FILL = "DDEBF7"
NUMBER_FORMAT_EXPENDITURE = "#,##0;▲#,##0"  # 千円, whole numbers as in the vision's tables
NUMBER_FORMAT_KPI = "General"  # KPIs may have decimals (千人/年): show what was typed

INSTRUCTIONS = [
    "1. 黄色のセル（実績値・実施状況・備考・取組実績・成果・課題・今後の方向性・自己評価）だけに入力してください。区分・ID・項目名・単位・市町村コード・年度は変更しないでください"
    "（IDと区分で取組・KPIを判別します）。",
    "2. 1行に1項目です。行を追加・削除したり、同じIDの行を2つ作ったりしないでください。並べ替えは構いません。",
    "3. 事業費（区分「事業費」）は、その取組に貴市町村が支出した額を千円単位で入力します。"
    "支出がなければ空欄にせず 0 と入力してください。円や百万円で入力する場合は、単位の列を「円」「百万円」に書き換えてください。",
    "4. KPI（区分「KPI」）は、単位の列の単位（人、件/年、百万円など）で、その年度の実績を入力します。"
    "千人で把握している場合は単位を「千人」に書き換えても構いません。",
    "5. マイナスは -120、▲120、△120 のどれでも構いません（社会増減数など）。桁区切りのコンマ（1,234）や全角数字も読み取ります。",
    "6. 「約500」「500以上」のような数値でない入力や空欄は差し戻しになります。実績が把握できない場合は担当課にご相談ください。",
    "7. 実施状況は、事業費の行について「実施」「一部実施」「未実施」「完了」から選んでください（KPIの行は空欄のままで構いません）。",
    "8. 数式は使わず、値を入力してください（数式が入ったファイルは差し戻しになります）。",
    "9. 保存は Excel（.xlsx）のままでも、CSV（.csv）でも構いません。ファイル名の先頭の市町村コード（6桁）は変えないでください。",
    "10. 提出前に「vision-report check <ファイル> --fiscal-year <年度>」で確認できます。"
    "保存したファイルは inputs/<年度>/ に置いてください。",
]


def evaluation_instructions(ev: EvaluationSettings) -> list[str]:
    """The 記入方法 lines about the five optional columns of 事業費 rows, with the configured lists and limit."""
    grades = "、".join(f"{g}: {c}" for g, c in ev.self_evaluation.items())
    return [
        "11. 取組実績・成果・課題・今後の方向性・自己評価は、事業費の行に記入します（KPIの行は空欄のままにしてください）。"
        "どの列も空欄で提出できますが、実施状況が「実施」「一部実施」の行は取組実績を記入してください（空欄は警告になります）。",
        "12. 取組実績: その年度にその取組で行ったこと（例: 講演会を2回開催し、計120人が参加した。）。"
        "成果: 取組によって得られた結果（任意）。課題: 残っている課題（任意）。"
        f"それぞれ {ev.max_text_chars} 文字以内で、セルの中で改行して構いません（Alt+Enter。改行は1文字と数えます）。"
        f"{ev.max_text_chars} 文字を超えると差し戻しになります。",
        f"13. 今後の方向性: {'・'.join(ev.directions)} から選んでください（一覧にない値は差し戻しになります）。",
        f"14. 自己評価: 次の基準で選んでください（{grades}）。記号だけを入力します（全角・小文字でも読み取ります）。"
        "一覧にない値は差し戻しになります。",
    ]


def template_rows(plan: Plan, code: str, fiscal_year: int) -> list[list[str]]:
    """事業費 rows for the initiatives ``code`` takes part in that year, then the KPIs it reports; values empty.
    No rows for a municipality that is not a member in ``fiscal_year``."""
    fy = str(fiscal_year)
    initiatives, kpis = plan.initiatives_of(code, fiscal_year), plan.kpis_reported_by(code, fiscal_year)
    blank = [""] * len(EVALUATION_COLUMNS)
    rows = [[KIND_EXPENDITURE, i.id, i.name, "", "千円", "", "", code, fy, *blank] for i in initiatives]
    rows += [[KIND_KPI, k.id, k.name, "", k.unit, "", "", code, fy, *blank] for k in kpis]
    return rows


def template_csv(rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(HEADER)
    w.writerows(rows)
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")


def _list_validation(wb, choices: list[str], title: str, error: str, prompt: str):
    """A drop-down of ``choices``: written inline when it fits Excel's 255 characters (and no choice has a comma),
    else as a range of the hidden sheet 選択肢."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    inline = '"' + ",".join(choices) + '"'
    if len(inline) - 2 <= LIST_FORMULA_LIMIT and not any("," in c or '"' in c for c in choices):
        formula = inline
    else:
        lists = wb[SHEET_LISTS] if SHEET_LISTS in wb.sheetnames else wb.create_sheet(SHEET_LISTS)
        lists.sheet_state = "hidden"
        col = (lists.max_column + 1) if lists.max_row > 1 or lists["A1"].value is not None else 1
        for i, c in enumerate(choices, start=1):
            lists.cell(row=i, column=col).value = c
        letter = get_column_letter(col)
        formula = f"'{SHEET_LISTS}'!${letter}$1:${letter}${len(choices)}"
    return DataValidation(
        type="list",
        formula1=formula,
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=title[:32],
        error=error[:255],
        showInputMessage=True,
        promptTitle=title[:32],
        prompt=prompt[:255],
    )


def template_xlsx(rows: list[list[str]], *, title: str = "", evaluation: EvaluationSettings | None = None) -> bytes:
    ev = evaluation or EvaluationSettings()
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_DATA
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        cell.alignment = Alignment(horizontal="center")
    ws.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGHIJKLMN", COLUMN_WIDTHS, strict=True):
        ws.column_dimensions[letter].width = width
    n = len(rows) + 1
    n_exp = sum(1 for r in rows if r[0] == KIND_EXPENDITURE)
    status = DataValidation(
        type="list",
        formula1='"' + ",".join(STATUSES) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="実施状況",
        error="実施・一部実施・未実施・完了 から選んでください。",
        showInputMessage=True,
        promptTitle="実施状況",
        prompt="一覧から選んでください。",
    )
    kind = DataValidation(
        type="list",
        formula1=f'"{KIND_EXPENDITURE},{KIND_KPI}"',
        allow_blank=False,
        showErrorMessage=True,
        errorTitle="区分",
        error="区分は変更しないでください（事業費・KPI）。",
    )
    directions = list(ev.directions)
    direction = _list_validation(
        wb,
        directions,
        "今後の方向性",
        f"{'・'.join(directions)} から選んでください。",
        "一覧から選んでください（空欄も可）。",
    )
    grades = list(ev.self_evaluation)
    grade = _list_validation(
        wb,
        grades,
        "自己評価",
        f"{'・'.join(grades)} から選んでください。",
        " ".join(f"{g}: {c}" for g, c in ev.self_evaluation.items()),
    )
    ws.add_data_validation(status)
    ws.add_data_validation(kind)
    ws.add_data_validation(direction)
    ws.add_data_validation(grade)
    if n_exp:
        status.add(f"F2:F{n_exp + 1}")
        direction.add(f"{get_column_letter(DIRECTION_COLUMN)}2:{get_column_letter(DIRECTION_COLUMN)}{n_exp + 1}")
        grade.add(f"{get_column_letter(GRADE_COLUMN)}2:{get_column_letter(GRADE_COLUMN)}{n_exp + 1}")
    if rows:
        kind.add(f"A2:A{n}")
    fill = PatternFill("solid", fgColor=INPUT_FILL)
    for i, r in enumerate(rows, start=2):
        value = ws.cell(row=i, column=4)
        value.value = None  # an empty cell, not an empty text: Excel then takes what is typed as a number
        value.number_format = NUMBER_FORMAT_EXPENDITURE if r[0] == KIND_EXPENDITURE else NUMBER_FORMAT_KPI
        value.fill = fill
        ws.cell(row=i, column=7).fill = fill
        if r[0] == KIND_EXPENDITURE:
            ws.cell(row=i, column=6).fill = fill
            for col in (*TEXT_COLUMN_NUMBERS, DIRECTION_COLUMN, GRADE_COLUMN):
                ws.cell(row=i, column=col).fill = fill
        for col in TEXT_COLUMN_NUMBERS:
            ws.cell(row=i, column=col).alignment = Alignment(wrap_text=True, vertical="top")
        for col in (6, 7, *TEXT_COLUMN_NUMBERS, DIRECTION_COLUMN, GRADE_COLUMN):
            if not ws.cell(row=i, column=col).value:
                ws.cell(row=i, column=col).value = None
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"

    help_ws = wb.create_sheet(SHEET_HELP)
    help_ws.append([title or "実績提出ファイルの記入方法"])
    help_ws["A1"].font = Font(bold=True, size=12)
    help_ws.append([])
    for line in INSTRUCTIONS + evaluation_instructions(ev):
        help_ws.append([line])
    help_ws.column_dimensions["A"].width = 120
    for row in help_ws.iter_rows(min_row=3):
        for c in row:
            c.alignment = Alignment(wrap_text=True, vertical="top")
    if SHEET_LISTS in wb.sheetnames:  # the hidden lists last, after 記入方法
        wb.move_sheet(SHEET_LISTS, offset=len(wb.sheetnames) - 1 - wb.sheetnames.index(SHEET_LISTS))
    return workbook_bytes(wb)


def template_name(code: str, name: str, fiscal_year: int) -> str:
    return f"{code}_{name}_{fiscal_year}年度"


def write_templates(
    plan: Plan, fiscal_year: int, out_dir: Path, evaluation: EvaluationSettings | None = None
) -> list[Path]:
    """One pre-filled .csv and .xlsx per member of ``fiscal_year`` (``Plan.members``) into ``out_dir``; returns the
    paths written. ``evaluation``: the 今後の方向性 / 自己評価 lists and the text limit (config ``evaluation:``)."""
    written = []
    for m in plan.members(fiscal_year):
        stem = template_name(m.code, m.name, fiscal_year)
        for suffix, data in member_templates(plan, fiscal_year, m.code, evaluation).items():
            path = out_dir / f"{stem}{suffix}"
            write_bytes(path, data)  # temp file beside it, then os.replace
            written.append(path)
    return written


def member_templates(
    plan: Plan, fiscal_year: int, code: str, evaluation: EvaluationSettings | None = None
) -> dict[str, bytes]:
    """One member's pre-filled template: {".csv": bytes, ".xlsx": bytes} (also what the portal offers)."""
    m = plan.municipality(code)
    rows = template_rows(plan, m.code, fiscal_year)
    title = f"{m.name}（{m.code}） {fiscal_year}年度 実績提出ファイルの記入方法（{plan.meta.title}）"
    return {".csv": template_csv(rows), ".xlsx": template_xlsx(rows, title=title, evaluation=evaluation)}

"""Pre-filled submission files per municipality (`vision-report templates`): CSV and .xlsx."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from pathlib import Path

from .atomic import write_bytes
from .normalize import STATUSES
from .plan import Plan

HEADER = ["区分", "ID", "項目名", "実績値", "単位", "実施状況", "備考", "市町村コード", "年度"]
FIXED_TIME = datetime(2024, 4, 1, 0, 0, 0)
INSTRUCTIONS = [
    "熊本連携中枢都市圏ビジョン 実績提出ファイルの記入方法",
    "",
    "1. 「実績値」列に、その年度の実績を入力してください。ほかの列（区分・ID・項目名・単位・市町村コード・年度）は変更しないでください。",
    "2. 事業費は、その取組に貴市町村が支出した額を千円単位で入力します（円で入力する場合は単位を「円」に変えてください）。支出がなければ 0 と入力します。",
    "3. 実施状況は、事業費の行について「実施・一部実施・未実施・完了」から選んでください。",
    "4. マイナスは ▲120 や △120、-120 のどれでも構いません。桁区切りのコンマや全角数字も読み取ります。",
    "5. 数式は使わず、値を入力してください（数式が入ったファイルは差し戻しになります）。",
    "6. 行を増やしたり、同じIDの行を2つ作ったりしないでください。",
    "7. 提出前に「vision-report check <ファイル> --fiscal-year <年度>」で確認できます。",
    "8. 保存したファイルを inputs/<年度>/ に置いてください（ファイル名の先頭の市町村コードは変えないでください）。",
]


def stable_zip(data: bytes) -> bytes:
    """Rewrite an .xlsx (a zip) with fixed entry times so the same content gives the same bytes."""
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2024, 4, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                                 rb"\g<1>2024-04-01T00:00:00Z\g<2>", content)
            dst.writestr(fixed, content)
    return out.getvalue()


def template_rows(plan: Plan, code: str, fiscal_year: int) -> list[list[str]]:
    rows = [["事業費", i.id, i.name, "", "千円", "", "", code, str(fiscal_year)] for i in plan.initiatives_of(code)]
    rows += [["KPI", k.id, k.name, "", k.unit, "", "", code, str(fiscal_year)] for k in plan.kpis_reported_by(code)]
    return rows


def template_csv(rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(HEADER)
    w.writerows(rows)
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")


def template_xlsx(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "提出データ"
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    ws.freeze_panes = "A2"
    for col, width in zip("ABCDEFGHI", (8, 9, 60, 14, 9, 11, 30, 13, 7), strict=True):
        ws.column_dimensions[col].width = width
    n = len(rows) + 1
    status = DataValidation(type="list", formula1='"' + ",".join(STATUSES) + '"', allow_blank=True,
                            errorTitle="実施状況", error="実施・一部実施・未実施・完了 から選んでください")
    kind = DataValidation(type="list", formula1='"事業費,KPI"', allow_blank=False)
    ws.add_data_validation(status)
    ws.add_data_validation(kind)
    n_exp = sum(1 for r in rows if r[0] == "事業費")
    if n_exp:
        status.add(f"F2:F{n_exp + 1}")
    kind.add(f"A2:A{n}")
    for row in ws.iter_rows(min_row=2, min_col=4, max_col=4):
        for c in row:
            c.number_format = "#,##0.###;▲#,##0.###"
    help_ws = wb.create_sheet("記入方法")
    for line in INSTRUCTIONS:
        help_ws.append([line])
    help_ws.column_dimensions["A"].width = 120
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.creator = "vision-report"
    buf = io.BytesIO()
    wb.save(buf)
    return stable_zip(buf.getvalue())


def write_templates(plan: Plan, fiscal_year: int, out_dir: Path) -> list[Path]:
    written = []
    for m in plan.municipalities:
        rows = template_rows(plan, m.code, fiscal_year)
        stem = f"{m.code}_{m.name}_{fiscal_year}年度"
        for suffix, data in ((".csv", template_csv(rows)), (".xlsx", template_xlsx(rows))):
            path = out_dir / f"{stem}{suffix}"
            write_bytes(path, data)
            written.append(path)
    return written

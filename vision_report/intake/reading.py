"""Reading a received file's bytes into a table: the encoding (UTF-8 with or without BOM, Shift_JIS/cp932), CSV
dialects, .xlsx sheets (values, not formulas; sheets too long to read are said so), the header row found among notes
above it, and the display unit of a sheet (千円・円)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date as date_type
from datetime import datetime
from datetime import time as dtime

from vision_report.intake import normalize as nz
from vision_report.intake.files import Received


def decode(data: bytes) -> tuple[str, str] | None:
    """UTF-8 (with or without BOM) or Shift_JIS/CP932; None if neither."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "UTF-8（BOM付き）"
        except UnicodeDecodeError:
            return None
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932"), "Shift_JIS（CP932）"
    except UnicodeDecodeError:
        return None


def _cell_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, datetime):
        return v.date().isoformat() if v.time() == dtime(0) else v.isoformat(sep=" ")
    return str(v)


def _nonblank(row: list[str]) -> bool:
    return any(c.strip() for c in row)


class Table(list):
    """A file's rows of cell texts, plus what some cells really were (.xlsx formulas and dates).

    ``nonblank`` counts every non-blank row of the file, also those past the rows kept (a file far over the
    row limit is counted, not held in memory).
    """

    def __init__(self, rows=(), *, nonblank: int | None = None):
        super().__init__(rows)
        self.nonblank = sum(1 for r in self if _nonblank(r)) if nonblank is None else nonblank
        # (row, column), 0-based -> the formula of a cell whose saved value is the text in the table
        self.formulas: dict[tuple[int, int], str] = {}
        # (row, column) -> the number (Excel serial) a cell shown as a date holds
        self.date_serials: dict[tuple[int, int], str] = {}
        # (row, column) -> (number format, divisor) of a cell whose format shows the value divided (`#,##0,`)
        self.scaled: dict[tuple[int, int], tuple[str, int]] = {}


_QUOTED_RE = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.')


_SCALE_RE = re.compile(r"[0#?](,+)[^0#?]*$")


def display_divisor(number_format: str | None) -> int:
    """1000 for `#,##0,` (Excel shows the value divided by 1,000), 1,000,000 for `#,##0,,`, else 1."""
    if not number_format or "," not in number_format:
        return 1
    section = _QUOTED_RE.sub("", number_format.split(";")[0])
    m = _SCALE_RE.search(section)
    return 1000 ** len(m.group(1)) if m else 1


def find_header(rows: list[list[str]], search: int) -> int | None:
    """Index of the first of the first ``search`` rows that holds every required column, else None."""
    for i, r in enumerate(rows[:search]):
        canons = {nz.canonical_header(c) for c in r}
        if all(c in canons for c in nz.REQUIRED_COLUMNS):
            return i
    return None


def _header_guess(rows: list[list[str]], search: int, first: int) -> int:
    """For the error message when no complete header is found: the row with the most known headers (≥ 2)."""
    best, best_n = first, 1
    for i, r in enumerate(rows[:search]):
        n = len({nz.canonical_header(c) for c in r} - {None})
        if n > best_n:
            best, best_n = i, n
    return best


def _sniff_delimiter(text: str, search: int) -> str | None:
    """The separator with which the header is found among the first rows: ',', tab or ';' (None if none)."""
    head = text[: 1 << 16].splitlines()[: max(search, 1)]
    for d in (",", "\t", ";"):
        try:
            if find_header(list(csv.reader(head, delimiter=d)), search) is not None:
                return d
        except csv.Error:
            continue
    return None


def _keep_rows(rec: Received) -> int:
    """How many non-blank rows to hold: enough to find the header and to read a file within the row limit."""
    lim = rec.settings
    return lim.header_search_rows + lim.max_rows + 1


def _read_xlsx(rec: Received, data: bytes) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.datetime import to_excel

    search = rec.settings.header_search_rows
    keep = _keep_rows(rec)
    unsized = _long_unsized_sheet(data, keep)
    if unsized is not None:
        # openpyxl would scan such a sheet whole just to size it: refuse on the count instead (Excel always
        # writes the size, so this is a generated file)
        rec.sheet = None
        return Table([], nonblank=unsized)
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        with_header = []
        for ws in wb.worksheets:
            head = [[_cell_text(v) for v in row] for row in ws.iter_rows(max_row=search, values_only=True)]
            if find_header(head, search) is not None:
                with_header.append(ws.title)
        if len(with_header) > 1:
            rec.warn(
                "sheet",
                f"見出し行のあるシートが {len(with_header)} 枚あります（"
                + "・".join(f"「{t}」" for t in with_header)
                + f"）。最初のシート「{with_header[0]}」を読みました。",
                value=with_header[0],
                expected="提出データは1枚のシートに",
            )
        ws = wb[with_header[0]] if with_header else wb.worksheets[0]
        rec.sheet = ws.title
        if (ws.max_row or 0) > keep:  # the sheet says it is long: count its rows with values without parsing cells
            n = _count_rows_with_values(wb, ws)
            if n > keep:
                head = [[_cell_text(v) for v in row] for row in ws.iter_rows(max_row=search, values_only=True)]
                return Table(head, nonblank=n)
        table = Table()
        n = 0
        for i, row in enumerate(ws.iter_rows(values_only=True)):
            cells = []
            for j, v in enumerate(row):
                if isinstance(v, (datetime, date_type, dtime)):
                    try:
                        serial = to_excel(v)
                        table.date_serials[(i, j)] = _cell_text(float(serial))
                    except (TypeError, ValueError, OverflowError):
                        pass
                cells.append(_cell_text(v))
            if _nonblank(cells):
                n += 1
            if n <= keep:
                table.append(cells)
        table.nonblank = n
    finally:
        wb.close()
    if n > keep:
        return table  # over the row limit: refused on the count, formulas not worth a second pass
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        for i, row in enumerate(wb[ws.title].iter_rows(max_row=len(table))):
            for j, cell in enumerate(row):
                f = getattr(cell, "value", None)
                fmt = getattr(cell, "number_format", None)
                if isinstance(fmt, str) and (div := display_divisor(fmt)) > 1:
                    table.scaled[(i, j)] = (fmt, div)
                text = getattr(f, "text", f)  # ArrayFormula has .text
                if not (isinstance(text, str) and text.startswith("=")) or i >= len(table) or j >= len(table[i]):
                    continue
                shown = table[i][j]
                if shown == text:
                    continue  # a text that only looks like a formula (and is caught as one later)
                if shown == "":
                    table[i][j] = text  # no saved result: the formula itself, refused with its text
                else:
                    table.formulas[(i, j)] = text
    finally:
        wb.close()
    return table


_ROW_RE = re.compile(rb"<row[ >].*?</row>|<row[^>]*/>", re.DOTALL)


_VALUE_RE = re.compile(rb"<v>[^<]|<is>|<t[ >][^<]")


def _count_xml_rows(f) -> int:
    """Rows with at least one value in a worksheet part (a stream of its XML), without parsing cells: an
    Excel fill-down of 200,000 rows is counted in a second or two."""
    n = 0
    tail = b""
    while chunk := f.read(1 << 20):
        buf = tail + chunk
        last = 0
        for m in _ROW_RE.finditer(buf):
            if _VALUE_RE.search(m.group(0)):
                n += 1
            last = m.end()
        tail = buf[last:]
    return n


def _count_rows_with_values(wb, ws) -> int:
    with wb._archive.open(ws._worksheet_path) as f:  # openpyxl's read-only worksheet: its part in the zip
        return _count_xml_rows(f)


def _long_unsized_sheet(data: bytes, keep: int) -> int | None:
    """The row count of a worksheet without a <dimension> (size) element and more than ``keep`` rows, if any."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for info in z.infolist():
            if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
                continue
            with z.open(info) as f:
                if b"<dimension" in f.read(4096):
                    continue
            with z.open(info) as f:
                n = _count_xml_rows(f)
            if n > keep:
                return n
    return None


def read_table(rec: Received, data: bytes) -> Table | None:
    """The file's cells as text (header first); records errors on ``rec`` and returns None if unreadable.

    .xlsx: the first sheet that holds the header row (not a 記入方法 sheet before it); a formula's saved
    result is read as the value (and noted in ``Table.formulas``). CSV: comma separated (a tab is read with a
    warning; a semicolon is refused, named).
    """
    if rec.name.lower().endswith(".xlsx") or nz.nfkc(rec.name).lower().endswith(".xlsx"):
        try:
            table = _read_xlsx(rec, data)
            rec.encoding = "xlsx"
            return table
        except Exception as exc:  # noqa: BLE001 - any failure means: not a readable workbook
            rec.error("unreadable", f"Excelファイルとして読めません（{type(exc).__name__}）。保存し直してください。")
            return None
    decoded = decode(data)
    if decoded is None:
        rec.error(
            "encoding",
            "文字コードを判別できません。UTF-8 または Shift_JIS（Excelの「CSV（コンマ区切り）」）で保存してください。",
            expected="UTF-8 または Shift_JIS",
        )
        return None
    text, rec.encoding = decoded
    if text.count("\x00") > max(16, len(text) // 100):  # a few NULs pasted from Word are removed cell by cell
        rec.error("unreadable", "CSVとして読めません（バイナリのデータが含まれています）。")
        return None
    delimiter = _sniff_delimiter(text, rec.settings.header_search_rows) or ","
    if delimiter == ";":
        rec.error(
            "separator",
            "区切り文字がセミコロン（;）になっています。カンマ（,）区切りのCSVとして保存し直してください"
            "（Excelの「名前を付けて保存」で「CSV UTF-8（コンマ区切り）」または「CSV（コンマ区切り）」）。",
            value="セミコロン（;）",
            expected="カンマ（,）区切り",
        )
        return None
    if delimiter == "\t":
        rec.warn(
            "separator",
            "区切り文字がタブになっています（タブ区切りとして読みました）。次回はカンマ（,）区切りのCSVで保存してください。",
            value="タブ",
            expected="カンマ（,）区切り",
        )
    keep = _keep_rows(rec)
    table = Table()
    n = 0
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if _nonblank(row):
                n += 1
            if n <= keep:
                table.append(row)
    except csv.Error as exc:
        rec.error("unreadable", f"CSVとして読めません（{exc}）。")
        return None
    table.nonblank = n
    return table

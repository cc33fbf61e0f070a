"""Intake: find the submissions of a fiscal year, archive them by content hash, read them into rows.

Reads the file system (inputs/<FY>/) and writes the archive; the writers of outputs are in writers.py,
year_outputs.py and reports/. Everything returned is plain data.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import stat
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from datetime import date as date_type
from datetime import time as dtime
from pathlib import Path

import pandas as pd

from vision_report.core.atomic import create_once
from vision_report.core.config import ValidationSettings
from vision_report.core.vocabulary import NOT_SUBMISSIONS, Severity, Status, severity_label
from vision_report.intake import normalize as nz
from vision_report.plan import Plan

CODE_PREFIX_RE = re.compile(r"^(\d{6})_")
ACCEPTED_SUFFIXES = (".csv", ".xlsx")
CHUNK = 1 << 20
NOT_SUBMISSION = Status.NOT_SUBMISSION.value  # not .csv/.xlsx: archived and listed, never used

# the columns of the rows read from one file, before anything is checked (prepare.prepare_rows adds the rest)
RAW_ROW_COLUMNS = [
    "file_id",
    "file",
    "row",
    "municipality_code",
    "kind_raw",
    "item_id",
    "name",
    "value_raw",
    "unit",
    "status",
    "note",
    "municipality_col",
    "fiscal_year_col",
    "formula_columns",
    "control_columns",
    "formula_texts",  # "備考: =HYPERLINK(...)" for cells that are formulas without a usable value
    "value_date_serial",  # the number an .xlsx cell holds when it is shown as a date ("" otherwise)
    "value_number_format",  # the .xlsx number format of the value cell when it shows the value scaled down
    "value_display_divisor",  # 1000 for `#,##0,` (shows 1,433 for 1,432,650), "" otherwise
    # issue 13: the optional texts (normalize.clean_text) and the two coded columns as typed (control chars removed)
    "result_text",
    "outcome_text",
    "challenge_text",
    "direction_raw",
    "self_evaluation_raw",
    "evaluation_columns",  # which of normalize.EVALUATION_COLUMNS the file has, "、"-joined ("" for an older file)
]


@dataclass(frozen=True)
class Issue:
    """One finding about a submission, for people (Japanese)."""

    severity: Severity
    rule: str
    file: str
    message: str
    row: int | None = None
    column: str | None = None  # the column as people know it (Japanese header)
    value: str | None = None
    expected: str | None = None


@dataclass
class Received:
    """One file found in inputs/<FY>/."""

    file_id: int
    name: str
    path: Path
    fiscal_year: int
    municipality_code: str | None
    size: int | None = None
    mtime: float | None = None
    sha256: str | None = None
    archived_as: str | None = None
    archived_path: Path | None = None
    status: str = ""  # a vocabulary.Status value; pending/superseded/not_submission on sight, the rest by screening
    encoding: str | None = None
    issues: list[Issue] = field(default_factory=list)
    limits: ValidationSettings | None = None  # row limit, message cap, header search (None: the defaults)
    sheet: str | None = None  # the .xlsx sheet that was read

    def error(self, rule: str, message: str, **kw) -> None:
        self.issues.append(Issue(Severity.ERROR, rule, self.name, message, **kw))

    def warn(self, rule: str, message: str, **kw) -> None:
        self.issues.append(Issue(Severity.WARNING, rule, self.name, message, **kw))

    @property
    def has_errors(self) -> bool:
        return any(i.severity == Severity.ERROR for i in self.issues)

    @property
    def is_symlink(self) -> bool:
        return any(i.rule == "symlink" for i in self.issues)

    @property
    def settings(self) -> ValidationSettings:
        return self.limits or ValidationSettings()


def discover(
    inputs_dir: Path,
    fiscal_year: int,
    plan: Plan,
    *,
    max_bytes: int,
    settle_seconds: float,
    now: float | None = None,
    limits: ValidationSettings | None = None,
    panel_file: str = "",
) -> list[Received]:
    """List ``inputs/<FY>/``: every regular file is received (a submission if .csv/.xlsx, the coordinator's
    ``panel_opinions`` file if named ``panel_file``, else ``not_submission``); symbolic links are never followed."""
    folder = inputs_dir / str(fiscal_year)
    found: list[Received] = []
    if not folder.is_dir():
        return found
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        name = entry.name
        if name.startswith(".") or name.startswith("~$") or name.lower() in ("readme.md", "readme.txt", "thumbs.db"):
            continue
        if entry.is_dir(follow_symlinks=False):
            continue
        found.append(
            inspect_file(
                Path(entry.path),
                fiscal_year,
                plan,
                file_id=len(found),
                max_bytes=max_bytes,
                settle_seconds=settle_seconds,
                now=now,
                limits=limits,
                panel_file=panel_file,
            )
        )
    return found


def is_panel_file(name: str, configured: str) -> bool:
    """The coordinator's file of the ビジョン懇談会's opinions (config evaluation.panel_opinions_file), by name after
    NFKC and case-insensitively (``懇談会意見.MD`` counts)."""
    return bool(configured) and nz.nfkc(name).strip().lower() == nz.nfkc(configured).strip().lower()


def is_submission_name(name: str) -> bool:
    """.csv or .xlsx (after NFKC: a full-width ＣＳＶ counts): the only types that are submissions."""
    return nz.nfkc(name).lower().endswith(ACCEPTED_SUFFIXES)


def inspect_file(
    path: Path,
    fiscal_year: int,
    plan: Plan,
    *,
    file_id: int = 0,
    max_bytes: int,
    settle_seconds: float = 0.0,
    now: float | None = None,
    limits: ValidationSettings | None = None,
    panel_file: str = "",
) -> Received:
    """File-level checks that need no reading: link, type, name, size, still being written.

    A file named ``panel_file`` (config evaluation.panel_opinions_file) is the coordinator's ``panel_opinions``:
    archived like any file, never a submission, read by vision_report.intake.panel_opinions.

    The name is read after NFKC normalisation (``４３１００１_熊本市.csv`` is 431001's); ``rec.name`` stays the
    name as received.
    """
    now = time.time() if now is None else now
    name = path.name
    norm = nz.nfkc(name).strip()
    st = os.lstat(path)
    m = CODE_PREFIX_RE.match(norm)
    rec = Received(
        file_id=file_id,
        name=name,
        path=path,
        fiscal_year=fiscal_year,
        municipality_code=m.group(1) if m else None,
        size=st.st_size,
        mtime=st.st_mtime,
        limits=limits,
    )
    if stat.S_ISLNK(st.st_mode):
        rec.error(
            "symlink", "シンボリックリンクは受け付けません（リンク先は読みません）。ファイルそのものを置いてください。"
        )
        return rec
    if not stat.S_ISREG(st.st_mode):
        rec.error("not_a_file", "通常のファイルではありません。")
        return rec
    if is_panel_file(name, panel_file):
        rec.status = Status.PANEL_OPINIONS.value
        return rec
    if not is_submission_name(name):
        # a cover letter, a PDF, a zip: archived and listed, never a submission nor standing for one
        rec.status = NOT_SUBMISSION
        rec.error(
            "file_type",
            "CSV（.csv）・Excel（.xlsx）以外のファイルは提出ファイルとして扱いません（保管のみ。集計には使いません）。",
            value=Path(norm).suffix or "（拡張子なし）",
            expected=".csv または .xlsx",
        )
        return rec
    if not m:
        rec.error(
            "file_name",
            "ファイル名の先頭に6桁の市町村コードがありません。",
            value=name,
            expected="<市町村コード>_<任意>.csv（例: 431001_熊本市.csv）",
        )
    if m and not plan.has_municipality(m.group(1)):
        rec.error(
            "unknown_municipality",
            f"ファイル名の市町村コード {m.group(1)} は構成市町村のコードではありません。",
            value=m.group(1),
            expected="構成市町村の6桁の全国地方公共団体コード（例: 431001）",
        )
    if st.st_size > max_bytes:
        rec.error(
            "too_large",
            f"ファイルが大きすぎます（{st.st_size:,} バイト、上限 {max_bytes:,} バイト）。読み込まずに差し戻します。",
            value=f"{st.st_size:,} バイト",
            expected=f"{max_bytes:,} バイト以下",
        )
    if now - st.st_mtime < settle_seconds:
        rec.status = Status.PENDING.value
    return rec


def choose_latest(received: list[Received]) -> None:
    """Newest submission (by modification time, then name) per municipality wins; the others are superseded.

    Only .csv/.xlsx files compete: a ``not_submission`` file, a symbolic link or a file still being written
    never supersedes a submission.
    """
    by_code: dict[str, list[Received]] = {}
    for r in received:
        if r.status == Status.PENDING or r.status in NOT_SUBMISSIONS or r.municipality_code is None or r.is_symlink:
            continue
        by_code.setdefault(r.municipality_code, []).append(r)
    for recs in by_code.values():
        recs.sort(key=lambda r: (r.mtime or 0.0, r.name))
        for r in recs[:-1]:
            r.status = Status.SUPERSEDED.value


def submission_of(recs: list[Received]) -> Received | None:
    """The file that stands for one municipality's submission (for its feedback and report): the newest
    .csv/.xlsx that is not superseded. Never a symbolic link, a ``not_submission`` file or a superseded one;
    a file still being written (``pending``) only if nothing else was received."""
    cands = [r for r in recs if r.status != Status.SUPERSEDED and r.status not in NOT_SUBMISSIONS and not r.is_symlink]
    cands.sort(key=lambda r: (r.status != Status.PENDING, r.mtime or 0.0, r.name))
    return cands[-1] if cands else None


def cap_issues(issues: list[Issue], limit: int) -> list[Issue]:
    """At most ``limit`` issues per (file, rule, severity), then one "…ほか N 件" issue; order kept."""
    if limit <= 0:
        return issues
    counts: dict[tuple[str, str, str], int] = {}
    for i in issues:
        key = (i.file, i.rule, i.severity)
        counts[key] = counts.get(key, 0) + 1
    out: list[Issue] = []
    seen: dict[tuple[str, str, str], int] = {}
    for i in issues:
        key = (i.file, i.rule, i.severity)
        seen[key] = seen.get(key, 0) + 1
        if seen[key] <= limit:
            out.append(i)
        if seen[key] == counts[key] and counts[key] > limit:
            kind = severity_label(i.severity)
            out.append(
                Issue(
                    i.severity,
                    i.rule,
                    i.file,
                    f"…ほか {counts[key] - limit:,} 件（同じ種類の{kind}です。一覧には最初の {limit:,} 件だけを示しています）",
                    column=i.column,
                )
            )
    return out


def archive(rec: Received, archive_dir: Path) -> None:
    """Copy the file into ``archive/<FY>/<sha256><ext>`` (streamed; never overwritten) and record its receipt.

    Every regular file is archived, ``not_submission`` ones included."""
    if any(i.rule in ("symlink", "not_a_file") for i in rec.issues) or rec.status == Status.PENDING:
        return
    h = hashlib.sha256()
    buf = io.BytesIO()
    spooled = rec.size is not None and rec.size <= 64 * CHUNK
    dest_dir = archive_dir / str(rec.fiscal_year)
    dest_dir.mkdir(parents=True, exist_ok=True)
    tmp = dest_dir / f".incoming-{os.getpid()}-{rec.file_id}.tmp"
    fd = os.open(rec.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as src, open(os.devnull, "wb") if spooled else open(tmp, "wb") as spill:
        while chunk := src.read(CHUNK):
            h.update(chunk)
            (buf if spooled else spill).write(chunk)
    rec.sha256 = h.hexdigest()
    suffix = Path(nz.nfkc(rec.name)).suffix.lower()[:8]
    target = dest_dir / f"{rec.sha256}{suffix}"
    if spooled:
        create_once(target, buf.getvalue())  # never overwrites: a file already there has the same bytes (hash name)
    else:
        if not target.exists():
            os.chmod(tmp, 0o444)
            try:
                os.link(tmp, target)
            except FileExistsError:  # archived by a concurrent run meanwhile: the same bytes
                pass
        os.unlink(tmp)
    receipt = {
        "file": rec.name,
        "sha256": rec.sha256,
        "size": rec.size,
        "fiscal_year": rec.fiscal_year,
        "municipality_code": rec.municipality_code,
        "modified": datetime.fromtimestamp(rec.mtime or 0, UTC).isoformat(timespec="seconds"),
    }
    create_once(
        dest_dir / f"{rec.sha256}.json",
        (json.dumps(receipt, ensure_ascii=False, indent=1) + "\n").encode("utf-8"),
        mode=0o444,
    )
    rec.archived_as = str(target.relative_to(archive_dir))
    rec.archived_path = target


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
    if "\x00" in text:
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


_SPLIT_HEAD_RE = re.compile(r"^[+\-▲△]?\d{1,3}$")
_SPLIT_TAIL_RE = re.compile(r"^\d{3}(\.\d+)?$")


def _extra_fields_issue(rec: Received, i: int, cells: list[str], header: list[str], value_j: int | None) -> None:
    msg = f"この行は見出しより列が {len(cells) - len(header)} 個多くなっています（見出し {len(header)} 列）。"
    value = "、".join(c for c in cells if c.strip())
    if (
        value_j is not None
        and value_j + 1 < len(cells)
        and _SPLIT_HEAD_RE.match(nz.nfkc(cells[value_j]).strip())
        and _SPLIT_TAIL_RE.match(nz.nfkc(cells[value_j + 1]).strip())
    ):
        a, b = cells[value_j].strip(), cells[value_j + 1].strip()
        msg += (
            f"実績値が「{a}」と「{b}」に分かれています。桁区切りのカンマが引用符で囲まれていないため、"
            f"{a},{b} が2つの列に分かれたと思われます。"
        )
        value = f"{a},{b}"
    else:
        msg += "区切りのカンマ（,）が値の中にあり、引用符で囲まれていない可能性があります。"
    rec.error(
        "extra_fields",
        msg,
        row=i + 1,
        value=value,
        expected='カンマを含む値は "5,554" のように二重引用符で囲むか、カンマなしで 5554 と入力'
        "（Excelで保存すれば自動で囲まれます）",
    )


def _too_many_rows(rec: Received, data_rows: int, max_rows: int) -> None:
    rec.error(
        "too_many_rows",
        f"データ行が {data_rows:,} 行あります（上限 {max_rows:,} 行）。検証せずに差し戻します。"
        "Excelで行を下までコピーした（フィルダウン）など、余分な行がないか確認してください。",
        value=f"{data_rows:,} 行",
        expected=f"{max_rows:,} 行以下（取組・KPIごとに1行）",
    )


def table_to_rows(rec: Received, table: list[list[str]]) -> pd.DataFrame:
    """Map headers (English or Japanese), keep every non-blank data row with its row number (as in the file).

    The header is the first of the first ``header_search_rows`` rows that holds every required column (title
    rows above it are skipped with a warning). A file with more data rows than ``max_rows`` is refused on the
    count, before anything else is looked at.
    """
    lim = rec.settings
    tbl = table if isinstance(table, Table) else Table(table)
    empty = pd.DataFrame(columns=RAW_ROW_COLUMNS)
    if not tbl and tbl.nonblank > lim.max_rows:  # counted, not read (a long sheet without its size)
        _too_many_rows(rec, tbl.nonblank - 1, lim.max_rows)
        return empty
    if not tbl or tbl.nonblank == 0:
        rec.error("empty", "ファイルが空です。見出し行とデータ行を入力してください。")
        return empty
    first = next(i for i, r in enumerate(tbl) if _nonblank(r))
    found = find_header(tbl, lim.header_search_rows)
    header_idx = found if found is not None else _header_guess(tbl, lim.header_search_rows, first)
    header = tbl[header_idx]
    data_rows = tbl.nonblank - sum(1 for r in tbl[: header_idx + 1] if _nonblank(r))
    if data_rows > lim.max_rows:
        _too_many_rows(rec, data_rows, lim.max_rows)
        return empty
    colmap: dict[int, str] = {}
    unknown: list[str] = []
    extra_notes: list[int] = []
    for j, h in enumerate(header):
        canon = nz.canonical_header(h)
        label = h.strip()
        if canon is None:
            if label:
                unknown.append(label)
            continue
        if canon in colmap.values():
            first_j = next(k for k, c in colmap.items() if c == canon)
            where = f"（{first_j + 1}列目と{j + 1}列目）"
            if canon in nz.REQUIRED_COLUMNS:
                rec.error(
                    "duplicate_column",
                    f"必須の見出し「{label}」が2回あります{where}。どちらの値を使うか決められません。",
                    row=header_idx + 1,
                    column=label,
                    expected=f"「{label}」の列は1つだけ",
                )
            elif canon == "note":
                extra_notes.append(j)
                rec.warn(
                    "duplicate_column",
                    f"見出し「{label}」が2回あります{where}。{j + 1}列目の内容は1つ目の「{label}」に続けて読みました。",
                    row=header_idx + 1,
                    column=label,
                )
            else:
                rec.warn(
                    "duplicate_column",
                    f"見出し「{label}」が2回あります{where}。{first_j + 1}列目を使い、{j + 1}列目は読みません。",
                    row=header_idx + 1,
                    column=label,
                )
            continue
        colmap[j] = canon
    missing = [c for c in nz.REQUIRED_COLUMNS if c not in colmap.values()]
    if missing:
        names = "、".join(f"「{nz.HEADER_JA[c]}」（{c}）" for c in missing)
        where = f"先頭の {lim.header_search_rows} 行に見出し行が見つかりません。" if found is None else ""
        rec.error(
            "missing_column",
            f"{where}必須の列 {names} がありません。",
            row=header_idx + 1,
            value="、".join(h.strip() for h in header if h.strip()) or "（空）",
            expected="区分・ID・実績値・単位の列（日本語または英語の見出し）",
        )
        return empty
    if header_idx != first:
        rec.warn(
            "header_row",
            f"見出し行を {header_idx + 1} 行目で見つけました（{first + 1}〜{header_idx}行目は表題などとして読み飛ばしました）。",
            row=header_idx + 1,
            value="、".join(h.strip() for h in header if h.strip()),
            expected="1行目に見出し行",
        )
    for label in unknown:
        rec.warn(
            "unknown_column",
            f"見出し「{label}」は使わない列です（無視します）。",
            row=header_idx + 1,
            column=label,
        )
    value_j = next(j for j, c in colmap.items() if c == "value")
    if rec.encoding != "xlsx":
        for i in range(header_idx + 1, len(tbl)):
            cells = tbl[i]
            if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
                _extra_fields_issue(rec, i, cells, header, value_j)
        if any(x.rule == "extra_fields" for x in rec.issues):
            return empty  # the columns of those rows cannot be trusted: nothing else is checked
    evaluation_columns = "、".join(c for c in nz.EVALUATION_COLUMNS if c in colmap.values())
    records = []
    for i in range(header_idx + 1, len(tbl)):
        cells = tbl[i]
        if not _nonblank(cells):
            continue
        r = {canon: (cells[j] if j < len(cells) else "") for j, canon in colmap.items()}
        for j in extra_notes:
            more = cells[j].strip() if j < len(cells) else ""
            if more:
                r["note"] = f"{r['note'].strip()} / {more}" if r.get("note", "").strip() else more
        for j, canon in colmap.items():
            f = tbl.formulas.get((i, j))
            if f is not None:
                rec.warn(
                    "formula_value",
                    f"「{nz.HEADER_JA[canon]}」は数式「{f}」です。Excelに保存されていた計算結果「{r[canon]}」を使いました。",
                    row=i + 1,
                    column=nz.HEADER_JA[canon],
                    value=f,
                    expected="値として貼り付けると、この警告は出なくなります",
                )
        formulas = [nz.HEADER_JA[c] for c, v in r.items() if c != "value" and nz.is_formula(v)]
        formula_texts = [f"{nz.HEADER_JA[c]}: {v.strip()}" for c, v in r.items() if c != "value" and nz.is_formula(v)]
        controls = [nz.HEADER_JA[c] for c, v in r.items() if nz.has_control_chars(v)]
        records.append(
            {
                "file_id": rec.file_id,
                "file": rec.name,
                "row": i + 1,
                "municipality_code": rec.municipality_code,
                "kind_raw": r.get("kind", ""),
                "item_id": nz.nfkc(r.get("id", "")).strip(" \t\u3000"),
                "name": nz.strip_control_chars(r.get("name", "")).strip(),
                "value_raw": r.get("value", ""),
                "unit": r.get("unit", ""),
                "status": nz.nfkc(r.get("status", "")).strip(" \t\u3000"),
                "note": nz.strip_control_chars(r.get("note", "")).strip(),
                "municipality_col": r.get("municipality", ""),
                "fiscal_year_col": r.get("fiscal_year", ""),
                "formula_columns": "、".join(formulas),
                "control_columns": "、".join(controls),
                "formula_texts": "、".join(formula_texts),
                "value_date_serial": tbl.date_serials.get((i, value_j), ""),
                "value_number_format": tbl.scaled.get((i, value_j), ("", 1))[0],
                "value_display_divisor": str(tbl.scaled[(i, value_j)][1]) if (i, value_j) in tbl.scaled else "",
                **{c: nz.clean_text(r.get(c, "")) for c in nz.TEXT_COLUMNS},
                "direction_raw": nz.clean_text(r.get("direction", "")),
                "self_evaluation_raw": nz.clean_text(r.get("self_evaluation", "")),
                "evaluation_columns": evaluation_columns,
            }
        )
    if not records:
        rec.error("no_rows", "見出し行だけでデータ行がありません。", row=header_idx + 1)
        return empty
    return pd.DataFrame.from_records(records, columns=RAW_ROW_COLUMNS)


def read_submission(rec: Received) -> pd.DataFrame:
    """Read one submission into raw rows (empty frame if unreadable or over the row limit).

    The archived copy is read, not the file in inputs/: what is read is exactly what was archived,
    even if a clerk overwrites the file meanwhile. The issues found while reading are capped per rule.
    """
    assert rec.archived_path is not None, "archive() must run before read_submission()"
    table = read_table(rec, rec.archived_path.read_bytes())
    rows = pd.DataFrame(columns=RAW_ROW_COLUMNS) if table is None else table_to_rows(rec, table)
    rec.issues[:] = cap_issues(rec.issues, rec.settings.max_messages_per_rule)
    return rows

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
from pathlib import Path

import pandas as pd

from . import normalize as nz
from .atomic import create_once
from .plan import Plan
from .vocabulary import Severity, Status

NAME_RE = re.compile(r"^(\d{6})_.+\.(csv|xlsx)$", re.IGNORECASE)
CODE_PREFIX_RE = re.compile(r"^(\d{6})_")
ACCEPTED_SUFFIXES = (".csv", ".xlsx")
CHUNK = 1 << 20

ROW_COLUMNS = [
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
    newly_archived: bool = False
    status: str = ""  # a vocabulary.Status value, decided by screening.screen (pending/superseded before)
    encoding: str | None = None
    issues: list[Issue] = field(default_factory=list)

    def error(self, rule: str, message: str, **kw) -> None:
        self.issues.append(Issue(Severity.ERROR, rule, self.name, message, **kw))

    def warn(self, rule: str, message: str, **kw) -> None:
        self.issues.append(Issue(Severity.WARNING, rule, self.name, message, **kw))

    @property
    def has_errors(self) -> bool:
        return any(i.severity == Severity.ERROR for i in self.issues)


def discover(
    inputs_dir: Path, fiscal_year: int, plan: Plan, *, max_bytes: int, settle_seconds: float, now: float | None = None
) -> list[Received]:
    """List ``inputs/<FY>/``: every regular file is a submission; symbolic links are never followed."""
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
            )
        )
    return found


def inspect_file(
    path: Path,
    fiscal_year: int,
    plan: Plan,
    *,
    file_id: int = 0,
    max_bytes: int,
    settle_seconds: float = 0.0,
    now: float | None = None,
) -> Received:
    """File-level checks that need no reading: link, type, name, size, still being written."""
    now = time.time() if now is None else now
    name = path.name
    st = os.lstat(path)
    m = CODE_PREFIX_RE.match(name)
    rec = Received(
        file_id=file_id,
        name=name,
        path=path,
        fiscal_year=fiscal_year,
        municipality_code=m.group(1) if m else None,
        size=st.st_size,
        mtime=st.st_mtime,
    )
    if stat.S_ISLNK(st.st_mode):
        rec.error(
            "symlink", "シンボリックリンクは受け付けません（リンク先は読みません）。ファイルそのものを置いてください。"
        )
        return rec
    if not stat.S_ISREG(st.st_mode):
        rec.error("not_a_file", "通常のファイルではありません。")
        return rec
    if not NAME_RE.match(name):
        if not name.lower().endswith(ACCEPTED_SUFFIXES):
            rec.error(
                "file_type",
                "CSV（.csv）またはExcel（.xlsx）のファイルを提出してください。",
                value=Path(name).suffix or "（拡張子なし）",
                expected=".csv または .xlsx",
            )
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
    """Newest file (by modification time, then name) per municipality wins; the others are superseded."""
    by_code: dict[str, list[Received]] = {}
    for r in received:
        if r.status == Status.PENDING or r.municipality_code is None or any(i.rule == "symlink" for i in r.issues):
            continue
        by_code.setdefault(r.municipality_code, []).append(r)
    for recs in by_code.values():
        recs.sort(key=lambda r: (r.mtime or 0.0, r.name))
        for r in recs[:-1]:
            r.status = Status.SUPERSEDED.value


def archive(rec: Received, archive_dir: Path) -> None:
    """Copy the file into ``archive/<FY>/<sha256><ext>`` (streamed; never overwritten) and record its receipt."""
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
    suffix = Path(rec.name).suffix.lower()[:8]
    target = dest_dir / f"{rec.sha256}{suffix}"
    if spooled:
        rec.newly_archived = create_once(target, buf.getvalue())
    else:
        if not target.exists():
            os.chmod(tmp, 0o444)
            try:
                os.link(tmp, target)
                rec.newly_archived = True
            except FileExistsError:
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
        return v.isoformat()
    return str(v)


def read_table(rec: Received, data: bytes) -> list[list[str]] | None:
    """The file's cells as text (header first); records errors on ``rec`` and returns None if unreadable."""
    if rec.name.lower().endswith(".xlsx"):
        try:
            from openpyxl import load_workbook

            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
            ws = wb.worksheets[0]
            table = [[_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
            wb.close()
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
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    try:
        return [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        rec.error("unreadable", f"CSVとして読めません（{exc}）。")
        return None


def table_to_rows(rec: Received, table: list[list[str]]) -> pd.DataFrame:
    """Map headers (English or Japanese), keep every non-blank data row with its row number (header = 1)."""
    empty = pd.DataFrame(columns=ROW_COLUMNS)
    if not table or all(not any(c.strip() for c in r) for r in table):
        rec.error("empty", "ファイルが空です。見出し行とデータ行を入力してください。")
        return empty
    header_idx = next(i for i, r in enumerate(table) if any(c.strip() for c in r))
    header = table[header_idx]
    colmap: dict[int, str] = {}
    for j, h in enumerate(header):
        canon = nz.canonical_header(h)
        if canon is None:
            if h.strip():
                rec.warn(
                    "unknown_column",
                    f"見出し「{h.strip()}」は使わない列です（無視します）。",
                    row=header_idx + 1,
                    column=h.strip(),
                )
            continue
        if canon in colmap.values():
            rec.error("duplicate_column", f"見出し「{h.strip()}」が2回あります。", row=header_idx + 1, column=h.strip())
            continue
        colmap[j] = canon
    missing = [c for c in nz.REQUIRED_COLUMNS if c not in colmap.values()]
    if missing:
        names = "、".join(f"「{nz.HEADER_JA[c]}」（{c}）" for c in missing)
        rec.error(
            "missing_column",
            f"必須の列 {names} がありません。",
            row=header_idx + 1,
            value="、".join(h.strip() for h in header if h.strip()) or "（空）",
            expected="区分・ID・実績値・単位の列（日本語または英語の見出し）",
        )
        return empty
    records = []
    for i in range(header_idx + 1, len(table)):
        cells = table[i]
        if not any(c.strip() for c in cells):
            continue
        r = {canon: (cells[j] if j < len(cells) else "") for j, canon in colmap.items()}
        formulas = [nz.HEADER_JA[c] for c, v in r.items() if c != "value" and nz.is_formula(v)]
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
            }
        )
    if not records:
        rec.error("no_rows", "見出し行だけでデータ行がありません。", row=header_idx + 1)
        return empty
    return pd.DataFrame.from_records(records, columns=ROW_COLUMNS)


def read_submission(rec: Received) -> pd.DataFrame:
    """Read one submission into raw rows (empty frame if unreadable).

    The archived copy is read, not the file in inputs/: what is read is exactly what was archived,
    even if a clerk overwrites the file meanwhile.
    """
    assert rec.archived_path is not None, "archive() must run before read_submission()"
    table = read_table(rec, rec.archived_path.read_bytes())
    if table is None:
        return pd.DataFrame(columns=ROW_COLUMNS)
    return table_to_rows(rec, table)

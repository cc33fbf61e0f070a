"""Intake: find the submissions of a fiscal year, archive them by content hash, read them into rows.

Reads the file system (inputs/<FY>/) and writes the archive; the writers of outputs are in writers.py,
year_outputs.py and reports/. Everything returned is plain data."""

from __future__ import annotations

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

from vision_report.core.atomic import create_once
from vision_report.core.config import EvaluationSettings, ValidationSettings
from vision_report.core.textsafe import make_safe
from vision_report.core.vocabulary import NOT_SUBMISSIONS, Severity, Status, severity_label, text_message
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
    "control_found",  # the characters removed at intake, per column: "取組実績：U+FFFE" (textsafe.make_safe)
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
    settings_evaluation: EvaluationSettings | None = None  # config evaluation: (to name an unknown column's values)

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
    panel_file: str | tuple[str, ...] = "",
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


def is_panel_file(name: str, configured: str | tuple[str, ...]) -> bool:
    """A coordinator's own file — the ビジョン懇談会's opinions (config evaluation.panel_opinions_file) or the office's
    総括所見 (evaluation.period_remarks_file); ``configured`` is one name or several — by name after NFKC and
    case-insensitively (``懇談会意見.MD`` counts)."""
    names = (configured,) if isinstance(configured, str) else configured
    mine = nz.nfkc(name).strip().lower()
    return any(c and mine == nz.nfkc(c).strip().lower() for c in names)


_COPY_SUFFIX_RE = re.compile(r"(\s*[(\[]\s*\d+\s*[)\]]|\s*-\s*コピー|\s*のコピー|\s*copy|\s*コピー)+$", re.I)


def _panel_stem(name: str) -> str:
    stem = nz.nfkc(name).strip().lower()
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    return "".join(_COPY_SUFFIX_RE.sub("", stem).split())


def panel_near_miss(name: str, configured: str | tuple[str, ...]) -> str:
    """The coordinator's file name (one of ``configured``) that ``name`` is meant as under another name — 懇談会意見.txt,
    懇談会意見 (1).md, 懇談会意見（１）.md, 懇談会意見 - コピー.md, 懇談会 意見.md for 懇談会意見.md (after NFKC, copy
    marks, spaces and the extension set aside); "" when none."""
    names = (configured,) if isinstance(configured, str) else configured
    if is_panel_file(name, names):
        return ""
    stem = _panel_stem(name)
    return next((c for c in names if c and _panel_stem(c) and stem == _panel_stem(c)), "")


def is_panel_near_miss(name: str, configured: str | tuple[str, ...]) -> bool:
    """Whether ``name`` is meant as one of the coordinator's files under another name (:func:`panel_near_miss`)."""
    return bool(panel_near_miss(name, configured))


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
    panel_file: str | tuple[str, ...] = "",
) -> Received:
    """File-level checks that need no reading: link, type, name, size, still being written.

    A file named ``panel_file`` (config evaluation.panel_opinions_file) is the coordinator's ``panel_opinions``:
    archived like any file, never a submission, read by vision_report.intake.panel_opinions.

    The name is read after NFKC normalisation (``４３１００１_熊本市.csv`` is 431001's); ``rec.name`` stays the
    name as received.
    """
    now = time.time() if now is None else now
    safe_name = make_safe(path.name, line_breaks=False)
    name = safe_name.text  # the name as shown in lists and reports (characters XML cannot carry removed; NFC)
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
    if safe_name.removed:
        rec.warn(
            "file_name_chars",
            text_message("file_name", chars="、".join(safe_name.removed), name=name),
            value=name,
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
    if meant := panel_near_miss(name, panel_file):
        rec.status = NOT_SUBMISSION
        rec.error(
            "panel_file_name",
            text_message("panel_near_miss", file=name, expected=meant),
            value=name,
            expected=meant,
        )
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

"""The office's record of the files received for a year (資料 of the region report; a member's report says in one
sentence that its report was received).

Councillors read council words in the body (「報告を受け付けた市町村」); the file names, the screening's counts of
errors and warnings and the states are the office's record and are printed only here, under a heading that says so
and a sentence that says what each column means (templates/report/submission_log.txt.j2). A file name breaks only
after a 「_」 (「434337_南阿蘇村_」／「合成データ.csv」), never inside a word, when it is wider than its column."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from vision_report.core.textfmt import jinja_env
from vision_report.core.vocabulary import severity_label, status_label, timeliness_label
from vision_report.outputs.reports.docxutil import _CELL_PADDING_MM, _table_font_pt, add_note, text_width_mm

FILE_SEPARATORS = "_-"  # a file name may break after one of these


def file_name_cell(name: str, width_mm: float, font_pt: float) -> str:
    """``name`` with a line break after a separator wherever the next piece would not fit ``width_mm``: the
    name's own pieces stay whole (a piece wider than the column alone still wraps where the line is full)."""
    room = width_mm - _CELL_PADDING_MM
    if not name or text_width_mm(name, font_pt) <= room:
        return name
    pieces, cur = [], ""
    for c in name:
        cur += c
        if c in FILE_SEPARATORS:
            pieces.append(cur)
            cur = ""
    if cur:
        pieces.append(cur)
    lines, line = [], ""
    for piece in pieces:
        if line and text_width_mm(line + piece, font_pt) > room:
            lines.append(line)
            line = piece
        else:
            line += piece
    lines.append(line)
    return "\n".join(lines)


def log_rows(doc, subs: pd.DataFrame, widths: Sequence[float], file_col: int, member: str | None = None) -> list:
    """The rows of the record: [member,] file, receipt time, timeliness, state, errors, warnings (``member``: the
    word for a file of no member; None leaves the member column out)."""
    font_pt = _table_font_pt(doc)
    out = []
    for r in subs.itertuples():
        row = [] if member is None else [r.municipality_name or member]
        row += [
            file_name_cell(str(r.file), widths[file_col], font_pt) if r.file else "—",
            r.received_at or "—",
            timeliness_label(r.timeliness),
            status_label(r.status),
            str(r.error_count),
            str(r.warning_count),
        ]
        out.append(row)
    return out


def log_occurs(subs: pd.DataFrame) -> dict[str, bool]:
    """What the record's table has, for templates/report/submission_log.txt.j2: a file with an error or a warning,
    a file sent back (rejected) or replaced (superseded). The intro explains only those (review 6 P12: it explained
    the sent-back and replaced statuses in a year without either)."""

    def counted(column: str) -> bool:
        return column in subs.columns and bool((pd.to_numeric(subs[column], errors="coerce").fillna(0) > 0).any())

    status = set(subs["status"].dropna().astype(str)) if "status" in subs.columns else set()
    return {
        "has_errors": counted("error_count"),
        "has_warnings": counted("warning_count"),
        "has_rejected": "rejected" in status,
        "has_superseded": "superseded" in status,
    }


def log_intro(templates: Path, part: str, **values) -> list[str]:
    """The sentences of templates/report/submission_log.txt.j2 ``part`` (one paragraph a line), with the words of
    the severities (templates/labels.yaml severity) and the states."""
    words = {
        "error": severity_label("error"),
        "error_long": severity_label("error", "long"),
        "warning": severity_label("warning"),
        "warning_long": severity_label("warning", "long"),
        "accepted": status_label("accepted"),
        "accepted_with_warnings": status_label("accepted_with_warnings"),
        "rejected": status_label("rejected"),
        "superseded": status_label("superseded"),
    }
    text = jinja_env(templates).get_template("report/submission_log.txt.j2").render(part=part, **words, **values)
    return [line for line in text.splitlines() if line.strip()]


def add_log_intro(doc, templates: Path, part: str, **values) -> None:
    for line in log_intro(templates, part, **values):
        add_note(doc, line)

"""From a table to the submission's raw rows (RAW_ROW_COLUMNS): the headers read as the columns people know (with the
notes they add), every cell made safe (core.textsafe), rows split by a stray delimiter, unknown columns and too many
rows said so; read_columns is the whole path from the archived bytes (read_submission the same as a frame), and
rows_frame makes the year's frame of every file's columns."""

from __future__ import annotations

import re

import pandas as pd

from vision_report.core.config import EvaluationSettings
from vision_report.core.textsafe import make_safe, visible_length
from vision_report.core.vocabulary import text_message
from vision_report.intake import normalize as nz
from vision_report.intake.files import RAW_ROW_COLUMNS, Received, cap_issues
from vision_report.intake.reading import Table, _header_guess, _nonblank, find_header, read_table

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
    """:func:`table_to_columns` as a frame (no rows: an empty frame of the raw-row columns)."""
    return rows_frame([table_to_columns(rec, table)])


def rows_frame(parts: list[dict[str, list] | None]) -> pd.DataFrame:
    """The raw rows of several files (:func:`table_to_columns`, None for a file without rows) as one frame, made
    once: a frame per file then joined took 1.7 s of CPU at 1,741 files, one frame 0.2 s."""
    given = [p for p in parts if p]
    if not given:
        return pd.DataFrame(columns=RAW_ROW_COLUMNS)
    return pd.DataFrame({c: [v for p in given for v in p[c]] for c in RAW_ROW_COLUMNS})


def table_to_columns(rec: Received, table: list[list[str]]) -> dict[str, list] | None:
    """Map headers (English or Japanese), keep every non-blank data row with its row number (as in the file).

    The header is the first of the first ``header_search_rows`` rows that holds every required column (title
    rows above it are skipped with a warning). A file with more data rows than ``max_rows`` is refused on the
    count, before anything else is looked at. Returns the rows' columns (RAW_ROW_COLUMNS), None for no rows.
    """
    lim = rec.settings
    tbl = table if isinstance(table, Table) else Table(table)
    if not tbl and tbl.nonblank > lim.max_rows:  # counted, not read (a long sheet without its size)
        _too_many_rows(rec, tbl.nonblank - 1, lim.max_rows)
        return None
    if not tbl or tbl.nonblank == 0:
        rec.error("empty", "ファイルが空です。見出し行とデータ行を入力してください。")
        return None
    first = next(i for i, r in enumerate(tbl) if _nonblank(r))
    found = find_header(tbl, lim.header_search_rows)
    header_idx = found if found is not None else _header_guess(tbl, lim.header_search_rows, first)
    header = _safe_header(rec, tbl[header_idx], header_idx)
    data_rows = tbl.nonblank - sum(1 for r in tbl[: header_idx + 1] if _nonblank(r))
    if data_rows > lim.max_rows:
        _too_many_rows(rec, data_rows, lim.max_rows)
        return None
    colmap: dict[int, str] = {}
    unknown: list[tuple[int, str]] = []
    loose: list[tuple[int, str]] = []
    extra_notes: list[int] = []
    for j, h in enumerate(header):
        canon, exact = nz.header_match(h)
        label = h.strip()
        if canon is None:
            if label:
                unknown.append((j, label))
            continue
        if not exact:
            loose.append((j, label))
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
        return None
    if header_idx != first:
        rec.warn(
            "header_row",
            f"見出し行を {header_idx + 1} 行目で見つけました（{first + 1}〜{header_idx}行目は表題などとして読み飛ばしました）。",
            row=header_idx + 1,
            value="、".join(h.strip() for h in header if h.strip()),
            expected="1行目に見出し行",
        )
    for j, label in loose:
        if j in colmap:
            rec.warn(
                "header_note",
                text_message("header_note", label=label, known=nz.HEADER_JA[colmap[j]]),
                row=header_idx + 1,
                column=label,
            )
    for j, label in unknown:
        _unknown_column(rec, tbl, header_idx, j, label, set(colmap.values()))
    value_j = next(j for j, c in colmap.items() if c == "value")
    if rec.encoding != "xlsx":
        for i in range(header_idx + 1, len(tbl)):
            cells = tbl[i]
            if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
                _extra_fields_issue(rec, i, cells, header, value_j)
        if any(x.rule == "extra_fields" for x in rec.issues):
            return None  # the columns of those rows cannot be trusted: nothing else is checked
    evaluation_columns = "、".join(c for c in nz.EVALUATION_COLUMNS if c in colmap.values())
    at = [i for i in range(header_idx + 1, len(tbl)) if _nonblank(tbl[i])]
    if not at:
        rec.error("no_rows", "見出し行だけでデータ行がありません。", row=header_idx + 1)
        return None
    columns = _data_columns(rec, tbl, at, colmap, extra_notes, value_j)
    columns["evaluation_columns"] = [evaluation_columns] * len(at)
    return {c: columns[c] for c in RAW_ROW_COLUMNS}


def _data_columns(
    rec: Received,
    tbl: Table,
    at: list[int],
    colmap: dict[int, str],
    extra_notes: list[int],
    value_j: int,
) -> dict[str, list]:
    """The raw-row columns of the data rows ``at`` (the table's non-blank rows after the header), computed a column
    at a time, each distinct cell once (1,741 files of 76 rows were read in 5.0 s of CPU row by row, 3.3 s so).
    The warnings (text_cleaned, formula_value) are given in the order a row-by-row reading gives them: by row, then
    the texts made safe in column order, then the formulas in column order."""
    n = len(at)
    lines = [tbl[i] for i in at]

    def cells(j: int) -> list[str]:
        return [c[j] if j < len(c) else "" for c in lines]

    safe = {canon: nz.per_distinct(_safe_cell, cells(j)) for j, canon in colmap.items()}
    col = {canon: [s[0] for s in cells] for canon, cells in safe.items()}
    for j in extra_notes:  # a second 備考 column, read after the first: made safe as it is, its changes told as 備考's
        notes, safe_notes = col["note"], safe["note"]
        for k, (text, removed, what) in enumerate(nz.per_distinct(_safe_cell, cells(j))):
            more = text.strip()
            if more:
                notes[k] = f"{notes[k].strip()} / {more}" if notes[k].strip() else more
            if removed or what:
                first = safe_notes[k]
                gone = tuple(dict.fromkeys(first[1] + removed))
                safe_notes[k] = (first[0], gone, first[2] + what if what not in first[2] else first[2])
    _warn_cells(rec, tbl, at, colmap, safe, col)
    blank = [""] * n

    def given(canon: str) -> list[str]:
        return col.get(canon, blank)

    flagged = _flagged_columns(colmap, safe, col, n)
    date_serials, scaled = tbl.date_serials, tbl.scaled
    return {
        "file_id": [rec.file_id] * n,
        "file": [rec.name] * n,
        "row": [i + 1 for i in at],
        "municipality_code": [rec.municipality_code] * n,
        "kind_raw": given("kind"),
        "item_id": nz.per_distinct(_code_text, given("id")),
        "name": nz.per_distinct(_text, given("name")),
        "value_raw": given("value"),
        "unit": given("unit"),
        "status": nz.per_distinct(_code_text, given("status")),
        "note": nz.per_distinct(_text, given("note")),
        "municipality_col": given("municipality"),
        "fiscal_year_col": given("fiscal_year"),
        **flagged,
        "value_date_serial": [date_serials.get((i, value_j), "") for i in at] if date_serials else blank,
        "value_number_format": [scaled.get((i, value_j), ("", 1))[0] for i in at] if scaled else blank,
        "value_display_divisor": (
            [str(scaled[(i, value_j)][1]) if (i, value_j) in scaled else "" for i in at] if scaled else blank
        ),
        **{c: nz.per_distinct(_text, given(c)) for c in nz.TEXT_COLUMNS},
        "direction_raw": nz.per_distinct(nz.clean_text, given("direction")),
        "self_evaluation_raw": nz.per_distinct(nz.clean_text, given("self_evaluation")),
    }


def _safe_cell(cell: str) -> tuple[str, tuple[str, ...], str]:
    """A data cell made safe (textsafe.make_safe): its text, the characters removed (for the ``control_chars``
    rule of the suite) and what the ``text_cleaned`` warning says of it ("" when nothing: escapes decoded, line
    breaks unified, NFC). Excel's text prefix ``'`` is kept here (it tells the formula check a text from a
    formula) and removed when the texts are stored (:func:`_text`)."""
    safe = make_safe(cell)
    what = []
    if safe.escapes:
        what.append(text_message("escapes", escapes="、".join(safe.escapes)))
    if safe.breaks:
        what.append(text_message("line_breaks", breaks="、".join(safe.breaks)))
    if safe.normalized:
        what.append(text_message("normalized"))
    return safe.text, safe.removed, "".join(what)


def _code_text(cell: str) -> str:
    """An id or a 実施状況 as compared: NFKC, surrounding spaces removed."""
    return nz.nfkc(cell).strip(" \t\u3000")


def _warn_cells(
    rec: Received,
    tbl: Table,
    at: list[int],
    colmap: dict[int, str],
    safe: dict[str, list[tuple[str, tuple[str, ...], str]]],
    col: dict[str, list[str]],
) -> None:
    """The warnings of the data cells: a text made safe (``text_cleaned``) and a cell of an .xlsx that was a
    formula (``formula_value``), by row, then column."""
    events: list[tuple[int, int, int]] = []  # (position of the row, 0 cleaned / 1 formula, position of the column)
    order = {j: p for p, j in enumerate(colmap)}
    for p, canon in enumerate(colmap.values()):
        cells = safe[canon]
        events += [(k, 0, p) for k, cell in enumerate(cells) if cell[2]]
    if tbl.formulas:
        k_of = {i: k for k, i in enumerate(at)}
        events += [(k_of[i], 1, order[j]) for i, j in tbl.formulas if j in order and i in k_of]
    if not events:
        return
    canons = list(colmap.values())
    js = list(colmap)
    for k, kind, p in sorted(events):
        canon, i = canons[p], at[k]
        if kind == 0:
            rec.warn("text_cleaned", safe[canon][k][2], row=i + 1, column=nz.HEADER_JA[canon])
            continue
        f = tbl.formulas[(i, js[p])]
        rec.warn(
            "formula_value",
            f"「{nz.HEADER_JA[canon]}」は数式「{f}」です。Excelに保存されていた計算結果「{col[canon][k]}」を使いました。",
            row=i + 1,
            column=nz.HEADER_JA[canon],
            value=f,
            expected="値として貼り付けると、この警告は出なくなります",
        )


def _flagged_columns(
    colmap: dict[int, str], safe: dict[str, list[tuple[str, tuple[str, ...], str]]], col: dict[str, list[str]], n: int
) -> dict[str, list[str]]:
    """Per row: the columns holding a formula (not 実績値, whose formula is its own problem) and their texts, the
    columns holding control characters or whose characters were removed, and which characters."""
    formulas: dict[int, list[tuple[str, str]]] = {}
    controls: dict[int, list[str]] = {}
    found: dict[int, list[str]] = {}
    for canon in colmap.values():
        ja = nz.HEADER_JA[canon]
        texts = col[canon]
        if canon != "value":
            for k, is_formula in enumerate(nz.per_distinct(nz.is_formula, texts)):
                if is_formula:
                    formulas.setdefault(k, []).append((ja, texts[k].strip()))
        removed = [cell[1] for cell in safe[canon]]
        for k, control in enumerate(nz.per_distinct(nz.has_control_chars, texts)):
            if control or removed[k]:
                controls.setdefault(k, []).append(ja)
            if removed[k]:
                found.setdefault(k, []).append(f"{ja}：{'・'.join(removed[k])}")
    return {
        "formula_columns": [("、".join(ja for ja, _ in formulas[k]) if k in formulas else "") for k in range(n)],
        "control_columns": [("、".join(controls[k]) if k in controls else "") for k in range(n)],
        "control_found": [("、".join(found[k]) if k in found else "") for k in range(n)],
        "formula_texts": [
            ("、".join(f"{ja}: {t}" for ja, t in formulas[k]) if k in formulas else "") for k in range(n)
        ],
    }


def _text(cell: str) -> str:
    """A free text as stored: the clerk's words (normalize.clean_text), read after Excel's text prefix ``'``."""
    return nz.clean_text(nz.text_prefix_removed(nz.clean_text(cell)))


def _safe_header(rec: Received, header: list[str], header_idx: int) -> list[str]:
    """The header cells made safe (textsafe.make_safe, no line breaks); each change a warning naming the column."""
    out = []
    for h in header:
        safe = make_safe(h, line_breaks=False)
        out.append(safe.text)
        if safe.removed or safe.escapes:
            what = (
                text_message("removed", chars="、".join(safe.removed))
                if safe.removed
                else text_message("escapes", escapes="、".join(safe.escapes))
            )
            rec.warn(
                "text_cleaned", f"見出し「{safe.text.strip()}」：{what}", row=header_idx + 1, column=safe.text.strip()
            )
    return out


_GRADE_LIKE_MIN = 0.8  # share of an unknown column's values that must look like one known column's


def _unknown_column(rec: Received, tbl: list[list[str]], header_idx: int, j: int, label: str, have: set[str]) -> None:
    """Warn about a column that is not read: which known column its values look like (自己評価, 今後の方向性,
    実施状況, the texts), and that its values are not used — never dropped without a word."""
    values = [
        make_safe(r[j]).text.strip(" \t\u3000\n")
        for r in tbl[header_idx + 1 :]
        if j < len(r) and str(r[j]).strip(" \t\u3000\n")
    ]
    where = {"row": header_idx + 1, "column": label}
    if not values:
        rec.warn("unknown_column", f"見出し「{label}」は使わない列です（無視します）。", **where)
        return
    ev = rec.settings_evaluation or EvaluationSettings()
    candidates: list[tuple[str, tuple[str, ...]]] = [
        ("self_evaluation", tuple(ev.self_evaluation)),
        ("direction", tuple(ev.directions)),
        ("status", nz.STATUSES),
    ]
    known = None
    for canon, choices in candidates:
        if canon in have:
            continue
        hits = sum(1 for v in values if nz.match_choice(v, choices) is not None)
        if hits >= _GRADE_LIKE_MIN * len(values):
            known = canon
            break
    if known is None:
        texts = [c for c in nz.TEXT_COLUMNS if c not in have]
        wordy = sum(1 for v in values if visible_length(v) >= 8 and nz.parse_number(v).problem != "")
        if texts and wordy >= _GRADE_LIKE_MIN * len(values):
            by_name = [c for c in texts if nz.HEADER_JA[c] in label or label in nz.HEADER_JA[c]]
            known = (by_name or texts)[0]
    example = "、".join(dict.fromkeys(v[:20] for v in values[:3]))
    if known is None:
        rec.warn("unknown_column", text_message("unknown_column_values", label=label, count=len(values)), **where)
        return
    rec.warn(
        "unknown_column",
        text_message(
            "unknown_column_guess", label=label, count=len(values), example=example, known=nz.HEADER_JA[known]
        ),
        value=example,
        expected=f"見出し「{nz.HEADER_JA[known]}」",
        **where,
    )


def read_submission(rec: Received) -> pd.DataFrame:
    """Read one submission into raw rows (empty frame if unreadable or over the row limit)."""
    return rows_frame([read_columns(rec)])


def read_columns(rec: Received) -> dict[str, list] | None:
    """Read one submission into the columns of its raw rows (None if unreadable, over the row limit or empty).

    The archived copy is read, not the file in inputs/: what is read is exactly what was archived,
    even if a clerk overwrites the file meanwhile. The issues found while reading are capped per rule.
    """
    assert rec.archived_path is not None, "archive() must run before read_submission()"
    table = read_table(rec, rec.archived_path.read_bytes())
    rows = None if table is None else table_to_columns(rec, table)
    rec.issues[:] = cap_issues(rec.issues, rec.settings.max_messages_per_rule)
    return rows

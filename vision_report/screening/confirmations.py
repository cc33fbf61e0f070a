"""Probable errors held out of the totals (要確認) until a coordinator confirms them (docs/interface.md §3, §5).

A value of an accepted file with a warning of one of ``validation.hold_rules`` (about 1,000× its expected size,
over the budget bound) is *held*: it stays in the accepted rows, marked, and every total leaves it out. A coordinator
confirms a held value in ``confirmations/<FY>.csv`` (who, when, why); a confirmation applies to the exact value
confirmed only (municipality, 区分, ID and 実績値), so a different value sent later is held again. Rows of the
confirmations file that cannot be applied are reported in Japanese and never stop a run.

Pure functions apart from :func:`read_confirmations` and :func:`append_confirmation` (file I/O).
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from vision_report.core.textfmt import fmt_num
from vision_report.core.textsafe import safe_text
from vision_report.core.vocabulary import ACCEPTED_STATUSES, kind_labels
from vision_report.intake import normalize as nz
from vision_report.intake.reading import decode
from vision_report.plan import Plan

# held_values.csv (要確認一覧), one row per held value, in plan order of the municipality then file row
HELD_COLUMNS = [
    "fiscal_year",
    "municipality_code",
    "municipality_name",
    "kind",
    "item_id",
    "item_name",
    "value",
    "unit",
    "rules",
    "messages",
    "file",
    "row",
    "confirmed",
    "confirmed_by",
    "confirmed_on",
    "reason",
]
# confirmation_problems.csv: rows of the confirmations file that were not applied
PROBLEM_COLUMNS = ["fiscal_year", "file", "row", "message"]

# the confirmations file's columns: Japanese header (written by `vision-report confirm`) and accepted aliases
CONFIRMATION_HEADER = ["市町村コード", "区分", "ID", "実績値", "確認者", "確認日", "理由"]
_ALIASES = {
    "municipality_code": ("市町村コード", "municipality", "municipality_code"),
    "kind": ("区分", "kind"),
    "item_id": ("ID", "id", "item_id"),
    "value": ("実績値", "value"),
    "confirmed_by": ("確認者", "confirmed_by"),
    "confirmed_on": ("確認日", "confirmed_on"),
    "reason": ("理由", "reason"),
}
_DATE_RE = re.compile(r"^(\d{4})\s*[/\-.年]\s*(\d{1,2})\s*[/\-.月]\s*(\d{1,2})\s*日?(?:[ T]0{1,2}:00(?::00)?)?$")


@dataclass(frozen=True)
class Confirmations:
    """What the confirmations file of one fiscal year says, and what could not be read from it."""

    fiscal_year: int
    file: str  # the name shown in messages
    rows: pd.DataFrame  # line, municipality_code, kind, item_id, value, confirmed_by, confirmed_on, reason
    problems: tuple[str, ...] = ()
    sha256: str | None = None
    data: bytes = field(default=b"", repr=False)  # the file's bytes as read (archived by the run)


@dataclass(frozen=True)
class Holds:
    """One fiscal year's held values (要確認) with their confirmations, and the confirmation problems."""

    fiscal_year: int
    held: pd.DataFrame  # HELD_COLUMNS
    problems: tuple[str, ...] = ()
    file: str = ""  # the confirmations file as shown to people (path relative to the project)

    @property
    def waiting(self) -> pd.DataFrame:
        """The held values not confirmed: left out of every total."""
        return self.held[~self.held["confirmed"].astype(bool)] if len(self.held) else self.held

    @property
    def confirmed(self) -> pd.DataFrame:
        return self.held[self.held["confirmed"].astype(bool)] if len(self.held) else self.held

    def problems_table(self) -> pd.DataFrame:
        return problems_table(self.fiscal_year, Path(self.file).name, list(self.problems))


def no_holds(fiscal_year: int) -> Holds:
    return Holds(fiscal_year, pd.DataFrame(columns=HELD_COLUMNS).astype({"confirmed": "bool"}))


def held_values(year, plan: Plan, hold_rules: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """Every value of an accepted file with a warning of ``hold_rules`` (HELD_COLUMNS, not yet confirmed).

    ``year``: a screening.Screening (its ``warned`` (row_key, rule) pairs, prepared ``rows`` and decided files).
    """
    rules = set(hold_rules)
    by_key: dict[str, list[str]] = {}
    for row_key, rule in year.warned:
        if rule in rules:
            by_key.setdefault(row_key, []).append(rule)
    ok = {r.file_id for r in year.received if r.status in ACCEPTED_STATUSES}
    rows = year.rows
    if not by_key or rows is None or rows.empty:
        return pd.DataFrame(columns=HELD_COLUMNS)
    chosen = rows[rows["row_key"].isin(list(by_key)) & rows["file_id"].isin(list(ok))]
    messages: dict[tuple[str, int | None, str], str] = {}
    for r in year.received:
        for i in r.issues:
            messages.setdefault((i.file, i.row, i.rule), i.message)
    order = {m.code: k for k, m in enumerate(plan.municipalities)}
    records = []
    for r in chosen.itertuples(index=False):
        code = str(r.municipality_code)
        row = int(r.row) if str(r.row).isdigit() else None
        its = sorted(by_key[r.row_key])
        records.append(
            {
                "fiscal_year": int(year.fiscal_year),
                "municipality_code": code,
                "municipality_name": plan.municipality(code).name if plan.has_municipality(code) else "",
                "kind": r.kind,
                "item_id": r.item_id,
                "item_name": r.plan_name,
                "value": float(r.value),
                "unit": "千円" if r.kind == "expenditure" else (r.expected_unit or ""),
                "rules": ";".join(its),
                "messages": " / ".join(m for m in (messages.get((str(r.file), row, x), "") for x in its) if m),
                "file": str(r.file),
                "row": row,
                "confirmed": False,
                "confirmed_by": "",
                "confirmed_on": "",
                "reason": "",
                "_o": (order.get(code, len(order)), row or 0),
            }
        )
    if not records:
        return pd.DataFrame(columns=HELD_COLUMNS)
    out = pd.DataFrame(records).sort_values("_o", kind="stable").drop(columns="_o")
    return out[HELD_COLUMNS].reset_index(drop=True)


def _column_map(header: list[str]) -> dict[str, int]:
    norm = [nz.nfkc(h).strip().lower() for h in header]
    out = {}
    for key, names in _ALIASES.items():
        for n in names:
            if nz.nfkc(n).lower() in norm:
                out[key] = norm.index(nz.nfkc(n).lower())
                break
    return out


def parse_date(text: str) -> date | None:
    """2025-07-10, 2025/7/10, 2025年7月10日 (what Excel and people write) -> a date; None otherwise."""
    m = _DATE_RE.match(nz.nfkc(text).strip())
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def read_confirmations(path: Path, fiscal_year: int) -> Confirmations:
    """The confirmations file of ``fiscal_year`` (CSV, UTF-8 with or without BOM or Shift_JIS). A missing file is
    no confirmation; an unreadable file or row is a Japanese problem, never an exception."""
    import hashlib

    empty = pd.DataFrame(columns=["line", *_ALIASES])
    name = path.name
    if not path.is_file():
        return Confirmations(fiscal_year, name, empty)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return Confirmations(fiscal_year, name, empty, (f"確認ファイル {name} を開けません（{exc.strerror}）。",))
    sha = hashlib.sha256(data).hexdigest()
    decoded = decode(data)
    try:
        lines = list(csv.reader(io.StringIO(decoded[0]))) if decoded is not None else None
    except csv.Error:
        lines = None
    if decoded is None or lines is None:
        return Confirmations(
            fiscal_year,
            name,
            empty,
            (f"確認ファイル {name} を読めません（UTF-8 または Shift_JIS の CSV で保存してください）。",),
            sha,
            data,
        )
    problems: list[str] = []
    header_at = next((k for k, ln in enumerate(lines) if any(c.strip() for c in ln)), None)
    if header_at is None:
        return Confirmations(fiscal_year, name, empty, (), sha, data)
    cols = _column_map(lines[header_at])
    missing = [CONFIRMATION_HEADER[k] for k, key in enumerate(_ALIASES) if key not in cols]
    if missing:
        return Confirmations(
            fiscal_year,
            name,
            empty,
            (
                f"確認ファイル {name} に列「{'」「'.join(missing)}」がありません"
                f"（1行目の見出しは {'、'.join(CONFIRMATION_HEADER)}）。この確認ファイルは使っていません。",
            ),
            sha,
            data,
        )
    records = []
    names = nz.kind_names()
    for k, ln in enumerate(lines[header_at + 1 :], start=header_at + 2):
        if not any(c.strip() for c in ln):
            continue
        cell = {key: (safe_text(ln[j], line_breaks=False).strip() if j < len(ln) else "") for key, j in cols.items()}
        where = f"確認ファイル {name} の{k}行目"
        bad = []
        kind = nz.canonical_kind(cell["kind"], names) if cell["kind"] else None
        if kind is None:
            bad.append(f"区分「{cell['kind']}」は 事業費 または KPI にしてください")
        number = nz.parse_number(cell["value"])
        if number.value is None:
            bad.append(f"実績値「{cell['value']}」を数値として読めません")
        if not cell["confirmed_by"]:
            bad.append("確認者が空欄です")
        if not cell["reason"]:
            bad.append("理由が空欄です")
        on = parse_date(cell["confirmed_on"]) if cell["confirmed_on"] else None
        if on is None:
            bad.append(f"確認日「{cell['confirmed_on']}」を日付として読めません（例: 2025-07-10）")
        code = nz.nfkc(cell["municipality_code"]).strip()
        if not code:
            bad.append("市町村コードが空欄です")
        if not cell["item_id"]:
            bad.append("IDが空欄です")
        if bad:
            problems.append(f"{where}: {'。'.join(bad)}。この行の確認は使っていません。")
            continue
        records.append(
            {
                "line": k,
                "municipality_code": code,
                "kind": kind,
                "item_id": nz.nfkc(cell["item_id"]).strip(),
                "value": float(number.value),  # type: ignore[arg-type]
                "confirmed_by": cell["confirmed_by"],
                "confirmed_on": on.isoformat() if on else "",
                "reason": cell["reason"],
            }
        )
    rows = pd.DataFrame(records, columns=["line", *_ALIASES]) if records else empty
    return Confirmations(fiscal_year, name, rows, tuple(problems), sha, data)


def _same(a: float, b: float) -> bool:
    return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-9)


def line_for(held_row, kinds: dict[str, str]) -> str:
    """How the confirmations file's line for a held value is written (the value as held)."""
    v = float(held_row["value"])
    value = fmt_num(v).replace(",", "") if v == int(v) else repr(v)
    return f"{held_row['municipality_code']},{kinds.get(held_row['kind'], held_row['kind'])},{held_row['item_id']},{value},確認者,確認日,理由"


def _no_match_problem(c, out: pd.DataFrame, plan: Plan | None, kinds: dict[str, str]) -> str:
    """Why a line of the confirmations file matches no held value, each case its own message naming what is held."""
    code, item = str(c.municipality_code), str(c.item_id)
    held_here = out[out["municipality_code"] == code]
    listed = "、".join(f"{r.item_id}（{fmt_num(r.value)}）" for r in held_here.itertuples(index=False))
    skip = "この行の確認は使っていません。"
    if plan is not None and not plan.has_municipality(code):
        named = [m.code for m in plan.municipalities if m.name == code or nz.nfkc(m.name) == nz.nfkc(code)]
        if named:
            return (
                f"市町村コードの欄に市町村名「{code}」が書かれています。市町村コード {named[0]} を書いてください"
                f"（例：{named[0]},{kinds.get(c.kind, c.kind)},{item},…）。{skip}"
            )
        if not re.fullmatch(r"\d{6}", code):
            return f"市町村コード「{code}」は6桁の数字ではありません（例：434442）。{skip}"
        return f"市町村コード {code} は構成市町村のコードではありません。要確認一覧（held_values.csv）の市町村コードを書いてください。{skip}"
    known = plan is None or (plan.has_initiative(item) if c.kind == "expenditure" else plan.has_kpi(item))
    if not known:
        other = "KPI" if c.kind == "expenditure" and plan is not None and plan.has_kpi(item) else ""
        other = other or (kinds.get("expenditure", "") if plan is not None and plan.has_initiative(item) else "")
        hint = f"（「{item}」は区分「{other}」の ID です。区分を直してください）" if other else ""
        held_note = f"この市町村の要確認の値は {listed}です。" if listed else ""
        return f"ID「{item}」は計画に{kinds.get(c.kind, c.kind)}の ID としてありません{hint}。{held_note}{skip}"
    what = f"{code} {kinds.get(c.kind, c.kind)} {item}"
    if listed:
        return (
            f"{what} に要確認の値はありません（この市町村の要確認の値は {listed}です。ID を確かめてください）。{skip}"
        )
    return f"{what} に要確認の値はありません（確認は不要です）。{skip}"


def apply_confirmations(
    held: pd.DataFrame, conf: Confirmations, plan: Plan | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """``held`` with the confirmed columns filled from ``conf``; and every problem (the file's own and rows that
    match no held value or a different value), in Japanese. With ``plan`` a line that matches nothing says why: a
    name in the code column, a code of no member, an id the plan does not have, or no held value (naming the ones
    that are held). Pure."""
    out = held.copy()
    problems = list(conf.problems)
    kinds = kind_labels()
    for c in conf.rows.itertuples(index=False):
        where = f"確認ファイル {conf.file} の{c.line}行目"
        what = f"{c.municipality_code} {kinds.get(c.kind, c.kind)} {c.item_id}"
        match = out[
            (out["municipality_code"] == c.municipality_code) & (out["kind"] == c.kind) & (out["item_id"] == c.item_id)
        ]
        if match.empty:
            problems.append(f"{where}: {_no_match_problem(c, out, plan, kinds)}")
            continue
        k = match.index[0]
        if not _same(out.at[k, "value"], c.value):
            problems.append(
                f"{where}: {what} の要確認の値は {fmt_num(out.at[k, 'value'])} ですが、確認した値は {fmt_num(c.value)} です"
                "（確認の後に値が変わった可能性があります）。この行の確認は使っていません。今の値を確かめてから確認し直してください"
                f"（今の値を確認するなら：{line_for(out.loc[k], kinds)}）。"
            )
            continue
        if bool(out.at[k, "confirmed"]):
            continue  # the first confirmation of a value is the one kept
        out.at[k, "confirmed"] = True
        out.at[k, "confirmed_by"] = c.confirmed_by
        out.at[k, "confirmed_on"] = c.confirmed_on
        out.at[k, "reason"] = c.reason
    return out.astype({"confirmed": "bool"}), problems


def problems_table(fiscal_year: int, file: str, problems: list[str]) -> pd.DataFrame:
    """confirmation_problems.csv: one row per problem (row = the line of the confirmations file, if any)."""
    records = []
    for p in problems:
        m = re.search(r"の(\d+)行目", p)
        records.append([fiscal_year, file, int(m[1]) if m else None, p])
    return pd.DataFrame(records, columns=PROBLEM_COLUMNS).astype({"row": "Int64"})


def mark_held(rows: pd.DataFrame, held: pd.DataFrame) -> pd.DataFrame:
    """The accepted rows with a column ``held`` (True for a held value that is not confirmed), which
    compute.compute_year leaves out of every total. (municipality_code, kind, item_id) is unique in accepted rows."""
    out = rows.copy()
    waiting = held[~held["confirmed"].astype(bool)] if len(held) else held
    keys = set(zip(waiting["municipality_code"], waiting["kind"], waiting["item_id"], strict=True))
    out["held"] = [
        (c, k, i) in keys for c, k, i in zip(out["municipality_code"], out["kind"], out["item_id"], strict=True)
    ]
    return out


class ConfirmationFileError(Exception):
    """The confirmations file cannot be written (message in Japanese)."""


def append_confirmation(
    path: Path,
    *,
    municipality_code: str,
    kind: str,
    item_id: str,
    value: float,
    confirmed_by: str,
    reason: str,
    confirmed_on: date | None = None,
) -> dict:
    """Add one row to the confirmations file (created with its header, UTF-8 with BOM, when missing; an existing
    file keeps its encoding). Returns the row written."""
    on = confirmed_on or datetime.now(ZoneInfo("Asia/Tokyo")).date()
    row = {
        "市町村コード": municipality_code,
        "区分": kind_labels().get(kind, kind),
        "ID": item_id,
        "実績値": fmt_num(value) if float(value) == int(value) else repr(float(value)),
        "確認者": confirmed_by,
        "確認日": on.isoformat(),
        "理由": reason,
    }
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    if path.is_file() and path.stat().st_size:
        data = path.read_bytes()
        decoded = decode(data)
        if decoded is None:
            raise ConfirmationFileError(
                f"確認ファイル {path} を読めません（UTF-8 または Shift_JIS の CSV ではありません）。書き込んでいません。"
                "ファイルを確かめてください。"
            )
        encoding = "cp932" if decoded[1].startswith("Shift_JIS") else "utf-8"
        prefix = b"" if data.endswith((b"\n", b"\r")) else b"\r\n"
        writer.writerow(row.values())
        try:
            with open(path, "ab") as f:
                f.write(prefix + buf.getvalue().encode(encoding))
        except UnicodeEncodeError:
            # a name Shift_JIS cannot hold (𠮷, 髙 in some fonts): the whole file rewritten as UTF-8 with BOM
            from vision_report.core.atomic import write_bytes

            text = decoded[0] + ("" if decoded[0].endswith(("\n", "\r")) else "\r\n") + buf.getvalue()
            write_bytes(path, b"\xef\xbb\xbf" + text.encode("utf-8"))
            row["_converted"] = "UTF-8（BOM付き）"
    else:
        from vision_report.core.atomic import write_bytes

        path.parent.mkdir(parents=True, exist_ok=True)
        writer.writerow(row.keys())
        writer.writerow(row.values())
        write_bytes(path, b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))
    return row

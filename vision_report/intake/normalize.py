"""Helpers that read values the way people type them in Excel.

Pure functions, except two cached reads of configuration: :func:`load_units` reads config/units.yaml and
:func:`canonical_kind` reads the 区分 labels of templates/labels.yaml (through vocabulary).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from vision_report.core.yamlio import load_yaml

# canonical column -> accepted headers (compared after NFKC + strip + lower-case)
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "kind": ("kind", "区分"),
    "id": ("id",),
    "name": ("name", "項目名"),
    "value": ("value", "実績値"),
    "unit": ("unit", "単位"),
    "status": ("status", "実施状況"),
    "note": ("note", "備考"),
    "municipality": ("municipality", "市町村コード"),
    "fiscal_year": ("fiscal_year", "年度"),
    "result_text": ("result_text", "取組実績"),
    "outcome_text": ("outcome_text", "成果"),
    "challenge_text": ("challenge_text", "課題"),
    "direction": ("direction", "今後の方向性"),
    "self_evaluation": ("self_evaluation", "自己評価"),
}
HEADER_JA = {
    "kind": "区分",
    "id": "ID",
    "name": "項目名",
    "value": "実績値",
    "unit": "単位",
    "status": "実施状況",
    "note": "備考",
    "municipality": "市町村コード",
    "fiscal_year": "年度",
    "result_text": "取組実績",
    "outcome_text": "成果",
    "challenge_text": "課題",
    "direction": "今後の方向性",
    "self_evaluation": "自己評価",
}
COLUMNS = tuple(HEADER_JA)  # a submission's columns, in the order of the templates
REQUIRED_COLUMNS = ("kind", "id", "value", "unit")
# optional columns of expenditure rows (issue 13, docs/interface.md §2): free texts, then the two coded columns
TEXT_COLUMNS = ("result_text", "outcome_text", "challenge_text")
EVALUATION_COLUMNS = (*TEXT_COLUMNS, "direction", "self_evaluation")
BASE_COLUMNS = tuple(c for c in COLUMNS if c not in EVALUATION_COLUMNS)  # the columns of files before issue 13
# the columns of the accepted rows that computation reads (screening's ACCEPTED_ROW_COLUMNS adds "file" and the texts)
COMPUTED_ROW_COLUMNS = ["municipality_code", "kind", "item_id", "value", "status"]
STATUSES = ("実施", "一部実施", "未実施", "完了")

_NUMBER_RE = re.compile(r"^[+-]?(\d+|\d{1,3}(,\d{3})+)(\.\d+)?$")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WS = " \t\u3000\u00a0"
T = TypeVar("T")


def per_distinct(fn: Callable[[Any], T], values: list) -> list[T]:
    """``fn`` of every value, computed once per distinct value: a column repeats itself (区分, 単位, 実施状況, ids,
    the same names and texts), and a pure function of a cell need not see the same cell twice."""
    done = {v: fn(v) for v in set(values)}
    return [done[v] for v in values]


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


# a note people add to a header: （必須）, (A～D), 【千円】, [千円], 〔任意〕, ＜…＞ (compared after NFKC)
_HEADER_NOTE_RE = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕|<[^<>]*>|「[^「」]*」|『[^『』]*』")
_HEADER_MARK_RE = re.compile(r"^[※*＊]+|[※*＊]+$|[\s:：/／_-]*(必須|任意)[\s:：/／_-]*$|^(必須|任意)[\s:：/／_-]+")


def header_match(header: str) -> tuple[str | None, bool]:
    """The column a header stands for, and whether it was read exactly (False: a note in brackets such as
    「自己評価（A～D）」「実績値(千円)」「【必須】区分」, a ※ mark or spaces inside 「取組　実績」 were set aside)."""
    h = nfkc(header).strip(_WS).lower().lstrip("\ufeff").strip(_WS)
    for canon, names in HEADER_ALIASES.items():
        if h in names:
            return canon, True
    loose = _HEADER_NOTE_RE.sub("", h)
    loose = _HEADER_MARK_RE.sub("", loose.strip(_WS)).strip(_WS)
    loose = "".join(loose.split())
    if not loose or loose == h:
        return None, True
    for canon, names in HEADER_ALIASES.items():
        if loose in names:
            return canon, False
    return None, True


def canonical_header(header: str) -> str | None:
    return header_match(header)[0]


def kind_names() -> dict[str, str]:
    """Every way a submission may write a 区分 -> its key: the keys themselves and their labels in
    templates/labels.yaml (NFKC), e.g. {"expenditure": "expenditure", "事業費": "expenditure", ...}."""
    from vision_report.core.vocabulary import kind_labels

    labels = kind_labels()
    return {key: key for key in labels} | {nfkc(label): key for key, label in labels.items()}


def canonical_kind(kind: str, names: dict[str, str]) -> str | None:
    """区分 -> "expenditure" / "kpi": the English key (any case) or its label in templates/labels.yaml.

    ``names``: ``kind_names()``, looked up once by the caller for all its rows. Finding the labels means finding the
    project (paths.find_root walks the folders up), which costs more than the rest."""
    k = nfkc(kind).strip(_WS)
    return names.get(k) or names.get(k.lower())


# after +, - or @: what a spreadsheet would execute (a function call, a cell reference, a name with an operator);
# ``-5%削減`` or ``+81-96-000-0000`` are texts
_FORMULA_AFTER_SIGN_RE = re.compile(r"^[+\-@]\s*(?:[A-Za-z_][A-Za-z0-9_.]*\s*\(|\$?[A-Za-z]{1,3}\$?\d+\b|=)")


def text_prefix_removed(cell: str) -> str:
    """A text typed with Excel's text prefix (``'=1+1`` shows as ``=1+1``) read as the text after it."""
    t = cell.strip(_WS + "\n")
    return t[1:] if t.startswith("'") else cell


def is_formula(cell: str) -> bool:
    """A spreadsheet formula (=SUM(...), =HYPERLINK(...), @SUM(...), +A1*2, -HYPERLINK(...)) rather than a value.

    Read on the trimmed text (spaces, tabs and blank lines before it do not hide a formula); a text that begins
    with ``'`` (Excel's text prefix) is not a formula."""
    t = nfkc(str(cell)).strip(_WS + "\n\r")
    if not t or t[0] == "'":
        return False
    if t[0] == "=":
        return True
    return t[0] in "+-@" and bool(_FORMULA_AFTER_SIGN_RE.match(t))


def has_control_chars(cell: str) -> bool:
    return bool(_CONTROL_RE.search(cell))


def strip_control_chars(cell: str) -> str:
    return _CONTROL_RE.sub("", cell)


def clean_text(cell: str) -> str:
    """A free text as the clerk wrote it: CR LF and CR become LF (line breaks inside a cell are kept), control
    characters are removed, surrounding spaces and blank lines are stripped. No NFKC: the clerk's words stay."""
    text = str(cell).replace("\r\n", "\n").replace("\r", "\n")
    return strip_control_chars(text).strip(_WS + "\n")


def coded_value(cell: str) -> str:
    """A value picked from a list (今後の方向性, 自己評価) as people type it: NFKC (全角 Ａ -> A), control characters
    removed, surrounding spaces stripped."""
    return strip_control_chars(nfkc(str(cell))).strip(_WS + "\n\r")


def match_choice(cell: str, choices: tuple[str, ...] | list[str]) -> str | None:
    """The choice ``cell`` stands for (:func:`coded_value`, then exact, else ignoring case: ``a`` -> ``A``)."""
    v = coded_value(cell)
    if v in choices:
        return v
    folded = {nfkc(c).lower(): c for c in choices}
    return folded.get(v.lower())


@dataclass(frozen=True)
class ParsedNumber:
    value: float | None
    problem: str  # "" | "empty" | "formula" | "not_number"


def parse_number(cell: str | None) -> ParsedNumber:
    """Read `1,234`, `１２３４`, `▲120`/`△120` (= -120), `+4,771`, surrounding spaces.

    Anything else is a problem, never a 0.
    """
    if cell is None:
        return ParsedNumber(None, "empty")
    raw = str(cell)
    if is_formula(raw):
        return ParsedNumber(None, "formula")
    t = nfkc(raw).strip(_WS)
    if t == "":
        return ParsedNumber(None, "empty")
    t = t.replace("−", "-").replace("ー", "-") if t[:1] in "−ー" else t
    sign = 1.0
    if t[:1] in "▲△":
        sign, t = -1.0, t[1:].strip(_WS)
        if t[:1] in "+-":
            return ParsedNumber(None, "not_number")
    if not _NUMBER_RE.match(t):
        return ParsedNumber(None, "not_number")
    return ParsedNumber(sign * float(t.replace(",", "")), "")


_DATE_RE = re.compile(r"^(\d{4})[/\-.年](\d{1,2})[/\-.月](\d{1,2})日?(?:[ T]00:00(?::00)?)?$")


def date_serial(cell: str) -> int | None:
    """The number Excel holds behind a cell shown as a date (`1900/3/1` -> 61, Excel's serial), else None.

    A number formatted as a date reaches a CSV as that date; the serial is what the clerk typed.
    """
    from datetime import date

    m = _DATE_RE.match(nfkc(str(cell)).strip(_WS))
    if not m:
        return None
    try:
        d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None
    serial = (d - date(1899, 12, 30)).days
    return serial - 1 if serial < 61 else serial  # Excel counts a 1900-02-29 that never was


def parse_fiscal_year(cell: str) -> int | None:
    """`2024`, `２０２４`, `2024年度`, `令和6年度`, `R6` -> 2024; None if unreadable."""
    t = nfkc(cell).strip(_WS).upper()
    m = re.fullmatch(r"(\d{4})(年度|年)?", t)
    if m:
        return int(m.group(1))
    m = re.fullmatch(r"(令和|R)(\d{1,2}|元)(年度|年)?", t)
    if m:
        n = 1 if m.group(2) == "元" else int(m.group(2))
        return 2018 + n
    return None


def parse_code(cell: str) -> str:
    return nfkc(cell).strip(_WS)


@dataclass(frozen=True)
class UnitSystem:
    prefixes: dict[str, float]
    bases: tuple[str, ...]
    periods: tuple[str, ...]
    aliases: dict[str, str]
    count_bases: tuple[str, ...] = ()  # units that count (人, 件, TEU): values must be whole in the base unit

    def split(self, unit: str) -> tuple[float, str, str | None] | None:
        """'千人/年' -> (1000, '人', '年'); None if not a known unit."""
        u = nfkc(unit).strip(_WS).replace(" ", "")
        for a, b in self.aliases.items():
            u = u.replace(nfkc(a), b)
        main, _, period = u.partition("/")
        if period and period not in self.periods:
            return None
        # longest prefix first so that 百万円 is not read as 百 + 万円
        for prefix in sorted(self.prefixes, key=len, reverse=True):
            if main.startswith(prefix) and main[len(prefix) :] in self.bases:
                return self.prefixes[prefix], main[len(prefix) :], period or None
        return None

    def factor(self, given: str, expected: str) -> float | None:
        """Multiply a value in ``given`` units by this to get ``expected`` units; None if not convertible."""
        g, e = self.split(given), self.split(expected)
        if g is None or e is None or g[1] != e[1]:
            return None
        if g[2] is not None and e[2] is not None and g[2] != e[2]:
            return None
        return g[0] / e[0]

    def is_count(self, unit: str) -> bool:
        """A unit that counts things or people (its base in ``count_bases``), whatever its prefix or period."""
        s = self.split(unit)
        return s is not None and s[1] in self.count_bases


@lru_cache(maxsize=8)
def load_units(path: Path) -> UnitSystem:
    raw = load_yaml(path.read_text(encoding="utf-8"))
    return UnitSystem(
        prefixes={str(k): float(v) for k, v in raw["prefixes"].items()},
        bases=tuple(raw["bases"]),
        periods=tuple(raw.get("periods", ())),
        aliases={str(k): str(v) for k, v in (raw.get("aliases") or {}).items()},
        count_bases=tuple(str(b) for b in raw.get("count_bases") or ()),
    )

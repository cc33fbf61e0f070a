"""Count the line breaks of a rendered PDF that fall inside something a reader takes as one word (issue 18): a
number with its unit or counter (「20／市町村」「延べ 250／人」), a year and its 度 (「2025 年／度」「次年／度」), a date
(「令和 5／年 10 月 1 日」), a time (「28 日／15:35」), a grade and its count (「D／1」), a label and its count in a
「・」 list (「完／了 1」「改善／7」) and the 回答/報告 of a response count (「（19/20 回／答）」); since review 3 #4 also a label and
its rate or grade (「達成率／94.7%」「評／価 A」), a unit or a word in a short bracket (「（人／/年）」「【基準／値】」
「（20 市町村／計）」) and the name after a label at a line's end (「問合せ先：熊本／市政策局…」). A figure alone split
(「1,27／8」) is tests/test_pdf_numbers.py's ``split_numbers``.

Usage: ``python tools/line_breaks.py FILE.pdf …`` with FILE.docx beside each PDF: prints each broken token (the
page and the token with ／ where the line ended, when it can be placed) and the count per file; exit status 1 when
any is found. tests/test_pdf_numbers.py uses ``broken``. Also counted, not failed: last lines of 1–3 characters
(``short_last_lines``) and table cells whose last line is a single character (``lone_characters``).

How: every token of ``PATTERNS`` (each pattern on its own, so tokens may overlap) is counted in the .docx's
paragraphs and in the lines of the PDF (``pdftotext -layout``; the space pdftotext shows between Japanese and
half-width text dropped); a token the PDF has fewer times on one line than the document has is broken across
lines. To show where, the lines of each paragraph or cell (a ``pdftotext -bbox-layout`` flow) are joined and a
line end inside such a token is marked (once, with the narrowest token around it: 「17/20回／答」 rather than
「（17/20回／答）」). The patterns are written here again on purpose: the check does not reuse the rule that joins the characters
(vision_report/outputs/reports/docxutil.py ``keep_whole``).
"""

from __future__ import annotations

import re
import subprocess
import sys
import unicodedata
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

_NUM = r"\d(?:[\d,.:/]*\d)?"
_UNITS = (
    "市町村|百万円|千円|万円|円|年度|か年|ヶ年|か月|ヶ月|カ月|年|月|日|時間|時|分|秒|人|名|件|指標|取組|分野|"
    "回答|報告|回|か所|箇所|ヶ所|団体|施設|事業|社|校|世帯|戸|台|本|冊|個|点|歳|倍|割|%|％|TEU|t|ha|km|m"
)
_ERA = r"(?:令和|平成|昭和)"
WHOLE = re.compile(
    "|".join(
        (
            # a date (Western or era year), with its time if one follows
            rf"{_ERA}?(?:{_NUM}|元)年(?:{_NUM}月(?:{_NUM}日)?)?(?:\s?{_NUM}:{_NUM})?",
            rf"{_NUM}月{_NUM}日(?:\s?{_NUM}:{_NUM})?",
            # a number and its unit (and a 中/以上… right after it: 「57 取組中」)
            rf"{_NUM}\s?(?:{_UNITS})(?:中|以上|以下|未満)?",
            # a grade and its count: 「A 2」「D 1」
            rf"(?<![A-Za-z])[A-D]\s?{_NUM}(?![\d,.])",
            # 年度 after a word that makes it one: 次年度, 全年度, 前年度
            r"[次全前本当各同翌初]?年度",
        )
    )
)
# a label and its count (a whole number) as an item of a 「・」 list: 「完了 1」「一部実施 1」「改善 7」 (at a line start
# too: the list may wrap at a 「・」; not a label and an id: 「事業費 3.13.3」)
_KANA_KANJI = "\u3041-\u30fa\u30fc-\u30ff\u3400-\u9fff"  # not 「・」
LIST_ITEM = re.compile(rf"(?<![{_KANA_KANJI}0-9])[{_KANA_KANJI}]{{1,6}}\s?\d+(?=[・（()）]|\s|$)")
# review 3 #4: a label and its rate or grade 「達成率 94.7%」「評価 A」; a unit or a word in a short bracket 「（人/年）」
# 「【基準値】」「（20市町村計）」 (up to 6 characters inside: a longer one is a phrase that may wrap between its words,
# 「（2022年度の／統計）」); the name after a label that ends a line 「問合せ先：熊本市政策局総合政策部政策企画課」
_LABEL = "\u30a1-\u30fa\u30fc-\u30ff\u3400-\u9fff"  # kanji and katakana: 達成率, 評価 (not 「と答えた人が 76%」)
LABEL_VALUE = re.compile(rf"(?:(?<=[(（:：・、\s])|^)[{_LABEL}]{{1,6}}\s?(?:{_NUM}[%％]|[A-D](?![A-Za-z0-9]))")
BRACKET = re.compile(r"[（(【][^（）()【】、。・]{1,6}[）)】]")
NAMED = re.compile(rf"(?<=[:：])[{_KANA_KANJI}]{{2,24}}$")
PATTERNS = (WHOLE, LIST_ITEM, LABEL_VALUE, BRACKET, NAMED)  # each counted on its own: tokens may overlap

_WIDE = "WFA"
# zero-width glue characters (docxutil.keep_whole): LibreOffice writes U+200D into the PDF's text
_NO_GLUE = str.maketrans("", "", "\u200d\u2060\ufeff")


def _join(words: list[str]) -> str:
    """The words of a line as the document has them: no space between a Japanese and a half-width character."""
    out = ""
    for w in words:
        if out and (unicodedata.east_asian_width(out[-1]) in _WIDE or unicodedata.east_asian_width(w[0]) in _WIDE):
            out += w
        elif out:
            out += " " + w
        else:
            out = w
    return out


@dataclass(frozen=True)
class Break:
    page: int
    text: str  # the token with the break shown as ／

    def __str__(self) -> str:
        return f"p.{self.page}: {self.text}"


def flows(pdf: Path) -> list[tuple[int, list[str]]]:
    """Every flow of the PDF (a paragraph, a table cell) as (page, its lines)."""
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], check=True, capture_output=True).stdout
    root = etree.fromstring(xml, etree.XMLParser(recover=True, huge_tree=True))
    ns = {"h": "http://www.w3.org/1999/xhtml"}
    out = []
    for number, page in enumerate(root.iterfind(".//h:page", ns), start=1):
        for flow in page.iterfind(".//h:flow", ns):
            lines = []
            for line in flow.iterfind(".//h:line", ns):
                words = [
                    unicodedata.normalize("NFKC", w.text or "").translate(_NO_GLUE) for w in line.iterfind("h:word", ns)
                ]
                text = _join([w for w in words if w])
                if text:
                    lines.append(text)
            if lines:
                out.append((number, lines))
    return out


def _spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for pattern in PATTERNS for m in pattern.finditer(text)]


def _tokens(line: str) -> list[str]:
    return [line[a:b] for a, b in _spans(line)]


def _cut(lines: list[str]) -> list[tuple[int, str, str, frozenset[int]]]:
    """The tokens of a flow that a line end cuts, as (start, the token, the token with ／ where the line ended, the
    line ends inside it), the narrowest first: several tokens may hold the same line end (「17/20回答」 in
    「（17/20回答）」)."""
    text = "".join(lines)
    ends, at = set(), 0
    for line in lines[:-1]:
        at += len(line)
        ends.add(at)
    out = []
    for start, end in sorted(set(_spans(text)), key=lambda s: (s[1] - s[0], s[0])):
        cut = sorted(e for e in ends if start < e < end)
        if cut:
            token = text[start:end]
            for e in reversed(cut):
                token = token[: e - start] + "／" + token[e - start :]
            out.append((start, text[start:end], token, frozenset(cut)))
    return out


def broken_in(lines: list[str]) -> list[str]:
    """The tokens of a flow that a line end cuts, each with ／ where the line ended, in the order of the text; a
    line end inside several tokens is named once, with the narrowest."""
    named: set[int] = set()
    out = []
    for start, _, token, cut in _cut(lines):
        if not cut & named:
            out.append((start, token))
        named |= cut
    return [token for _, token in sorted(out)]


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_IN_BRACKET = re.compile(r"(?<=[(\[【「]) +| +(?=[)\]】」])")  # 「( 2025年度)」: the gap of an italic line
_GAP = re.compile(r"(?<=[^\x00-\xff]) +| +(?=[^\x00-\xff])")  # spaces beside a Japanese character


def _normal(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_NO_GLUE)
    return re.sub(r" {2,}", " ", _GAP.sub("", _IN_BRACKET.sub("", text)))


def docx_tokens(docx: Path) -> Counter:
    """The tokens of the .docx's paragraphs (body, tables, headers and footers), each line of a paragraph apart."""
    out: Counter = Counter()
    with zipfile.ZipFile(docx) as z:
        parts = [n for n in z.namelist() if re.fullmatch(r"word/(document|header\d*|footer\d*)\.xml", n)]
        for name in parts:
            root = etree.fromstring(z.read(name))
            for p in root.iter(_W + "p"):
                text = "".join(
                    (el.text or "") if el.tag == _W + "t" else ("\n" if el.tag == _W + "br" else " ")
                    for el in p.iter(_W + "t", _W + "br", _W + "tab")
                )
                for line in _normal(text).split("\n"):
                    out.update(_tokens(line))
    return out


def pdf_tokens(pdf: Path) -> Counter:
    """The tokens whole on one line of the PDF."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    out: Counter = Counter()
    for line in text.splitlines():
        for cell in re.split(r" {2,}", line.strip()):  # -layout sets the cells of a table row apart by spaces
            whole = Counter(_tokens(_normal(cell)))
            # two cells a single space apart (a rating cell's 「A」 set beside the next cell's 「4.6%」) read as one
            # token 「A 4」: the parts' own tokens count too (the larger count of each token, never both)
            parts: Counter = Counter()
            for part in cell.split(" "):
                parts.update(_tokens(_normal(part)))
            out.update(whole | parts)
    return out


def broken(pdf: Path, docx: Path) -> list[Break]:
    """The tokens of ``docx`` that its rendering ``pdf`` does not have whole on one line, placed where they can be
    (page 0: a token short in the PDF whose break was not found in a flow). A line end inside several tokens (a
    unit in its bracket) is one break, named with the narrowest of them that is short."""
    short = docx_tokens(docx) - pdf_tokens(pdf)
    out = []
    for page, lines in flows(pdf):
        named: set[int] = set()
        for _, whole, token, cut in _cut(lines):
            if short[whole] > 0:
                short[whole] -= 1
                if not cut & named:
                    out.append(Break(page, token))
                named |= cut
    out += [Break(0, token) for token, n in short.items() for _ in range(n)]
    return out


def short_last_lines(pdf: Path) -> list[Break]:
    """Lines of 1–3 characters that end a sentence or a bracket after a full line (「た。」「答）」 alone on a line)."""
    return [
        Break(page, f"{a[-6:]}／{b}")
        for page, lines in flows(pdf)
        for a, b in zip(lines, lines[1:], strict=False)
        if len(b) <= 3 and b.endswith(("。", ")", "）")) and len(a) > 15
    ]


def lone_characters(pdf: Path) -> list[Break]:
    """A table cell's or header's word split so that its last line is 1–2 characters (「総括の判／定」「強／化」「計）」):
    a flow whose lines are all short (a cell) ending in such a line."""
    return [
        Break(page, "／".join(lines))
        for page, lines in flows(pdf)
        if 1 < len(lines) <= 4
        and re.fullmatch(r"[\u3041-\u30fa\u3400-\u9fff][）)]?", lines[-1])
        and re.search(r"[\u3041-\u30fa\u3400-\u9fff]$", lines[-2])
        and all(len(x) <= 14 for x in lines)
    ]


def main(argv: list[str]) -> int:
    total = short = 0
    for name in argv:
        pdf = Path(name)
        found = broken(pdf, pdf.with_suffix(".docx"))
        for b in found:
            print(f"{pdf.name} {b}")
        lone = short_last_lines(pdf)
        chars = lone_characters(pdf)
        for b in chars:
            print(f"{pdf.name} lone: {b}")
        print(f"{pdf.name}: {len(found)} (short last lines: {len(lone)}, cells ending in 1 character: {len(chars)})")
        total += len(found)
        short += len(lone)
    print(f"total: {total} (short last lines: {short})")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

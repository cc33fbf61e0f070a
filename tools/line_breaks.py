"""Count the line breaks of a rendered PDF that fall inside something a reader takes as one word (issue 18): a
number with its unit or counter (「20／市町村」「延べ 250／人」), a year and its 度 (「2025 年／度」「次年／度」), a date
(「令和 5／年 10 月 1 日」), a time (「28 日／15:35」), a grade and its count (「D／1」), a label and its count in a
「・」 list (「完／了 1」「改善／7」) and the 回答/報告 of a response count (「（19/20 回／答）」).

Usage: ``python tools/line_breaks.py FILE.pdf …`` (with FILE.docx beside it when there is one) prints each broken occurrence (page, the text around it with the
break shown as ／) and the count per file; exit status 1 when any is found. tests/test_pdf_numbers.py uses
``broken`` on the rendered reports.

How: ``pdftotext -bbox-layout`` groups the lines of a paragraph or a table cell into a flow; the lines of a flow are
joined (the space pdftotext puts between Japanese and half-width text dropped) and every line end inside a match of
``WHOLE`` is a break. This is a check independent of the rule that joins the characters
(vision_report/outputs/reports/docxutil.py ``keep_whole``): its patterns are written here again on purpose.
"""

from __future__ import annotations

import re
import subprocess
import sys
import unicodedata
import zipfile
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
            # a figure on its own
            _NUM,
        )
    )
)
# a label and its count as an item of a 「・」 list: 「完了 1」「一部実施 1」「改善 7」
LIST_ITEM = re.compile(rf"(?:(?<=[・（(])|^)[^\s・（()）]{{1,8}}\s?{_NUM}(?=[・（()）]|$)")

_WIDE = "WFA"


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
    xml = subprocess.run(
        ["pdftotext", "-bbox-layout", str(pdf), "-"], check=True, capture_output=True
    ).stdout
    root = etree.fromstring(xml, etree.XMLParser(recover=True, huge_tree=True))
    ns = {"h": "http://www.w3.org/1999/xhtml"}
    out = []
    for number, page in enumerate(root.iterfind(".//h:page", ns), start=1):
        for flow in page.iterfind(".//h:flow", ns):
            lines = []
            for line in flow.iterfind(".//h:line", ns):
                words = [unicodedata.normalize("NFKC", w.text or "") for w in line.iterfind("h:word", ns)]
                text = _join([w for w in words if w])
                if text:
                    lines.append(text)
            if lines:
                out.append((number, lines))
    return out


def broken_in(lines: list[str]) -> list[str]:
    """The tokens of a flow that a line end cuts, each with ／ where the line ended."""
    text = "".join(lines)
    ends, at = set(), 0
    for line in lines[:-1]:
        at += len(line)
        ends.add(at)
    spans = [m.span() for m in WHOLE.finditer(text)]
    if "・" in text:
        spans += [m.span() for m in LIST_ITEM.finditer(text)]
    out = []
    for start, end in spans:
        cut = sorted(e for e in ends if start < e < end)
        if cut:
            token = text[start:end]
            for e in reversed(cut):
                token = token[: e - start] + "／" + token[e - start :]
            out.append(token)
    return out


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_GAP = re.compile(r"(?<=[^\x00-\xff]) | (?=[^\x00-\xff])")  # a space beside a Japanese character


def docx_tokens(docx: Path) -> set[str]:
    """Every token of ``WHOLE`` and ``LIST_ITEM`` in the text of a .docx (body, headers and footers), written as
    ``broken_in`` joins a PDF's lines: what a break in the PDF must cut to count (a pdftotext flow can hold a table's
    column of cells, whose line ends are no breaks: 「0／1,564」)."""
    out: set[str] = set()
    with zipfile.ZipFile(docx) as z:
        parts = [n for n in z.namelist() if re.fullmatch(r"word/(document|header\d*|footer\d*)\.xml", n)]
        for name in parts:
            root = etree.fromstring(z.read(name))
            for p in root.iter(_W + "p"):
                text = "".join(
                    (el.text or "") if el.tag == _W + "t" else ("\n" if el.tag == _W + "br" else " ")
                    for el in p.iter(_W + "t", _W + "br", _W + "tab")
                )
                text = _GAP.sub("", unicodedata.normalize("NFKC", text).replace("\u2060", ""))
                for line in text.split("\n"):
                    out.update(m.group() for m in WHOLE.finditer(line))
                    out.update(m.group() for m in LIST_ITEM.finditer(line))
    return out


def broken(pdf: Path, docx: Path | None = None) -> list[Break]:
    """The broken tokens of ``pdf``; given the ``docx`` it was made from, only tokens that are in its text."""
    known = docx_tokens(docx) if docx is not None else None
    return [
        Break(page, token)
        for page, lines in flows(pdf)
        for token in broken_in(lines)
        if known is None or token.replace("／", "") in known
    ]


def main(argv: list[str]) -> int:
    total = 0
    for name in argv:
        pdf = Path(name)
        docx = pdf.with_suffix(".docx")
        found = broken(pdf, docx if docx.is_file() else None)
        for b in found:
            print(f"{Path(name).name} {b}")
        print(f"{Path(name).name}: {len(found)}")
        total += len(found)
    print(f"total: {total}")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""No number is split by a line break in any document (issue 18): every figure, year and time of a Word file's text
is found whole in the text of its PDF (LibreOffice), and the PDF has no fragment of one (「1,27／8」「（2／025年度）」
「03:／42」). Nor is a number and its unit, a date, a time, a grade count or 年度 (「20／市町村」「次年／度」
「2023年10月24／日」「D／1」「完／了 1」「（19/20回／答）」), a label and its rate or grade, a short bracket or the name after
a label (「達成率／94.7%」「（人／/年）」「熊本／市政策局…」, review 3 #4): tools/line_breaks.py counts them in the document
and whole on one line of the PDF."""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from tools.line_breaks import broken, broken_in
from vision_report.outputs.reports.docxutil import add_table, keep_whole, new_document, plain_text, save

pytestmark = pytest.mark.pdf  # the real write_pdfs (tests/conftest.py)

needs_libreoffice = pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="LibreOffice and poppler-utils are installed by .ci/run",
)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# a figure as printed: digits with the separators inside it (1,278 / 146.7 / 3.15.2 / 03:42)
NUMBER = re.compile(r"\d(?:[\d,.:]*\d)?")
_TOC_PAGE = re.compile(r"(\.{4,}|…{2,})\s*\d+\s*$")  # a TOC line's page number


def docx_numbers(path: Path) -> Counter:
    """The numbers of the document body's text (paragraphs and table cells), each paragraph on its own line."""
    with zipfile.ZipFile(path) as z:
        root = etree.fromstring(z.read("word/document.xml"))
    lines = []
    for p in root.iter(W + "p"):
        lines.append(
            "".join(el.text or "" if el.tag == W + "t" else "\n" for el in p.iter(W + "t", W + "br", W + "tab"))
        )
    return Counter(NUMBER.findall(unicodedata.normalize("NFKC", "\n".join(lines))))


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def pdf_numbers(text: str) -> Counter:
    """The numbers of a PDF's text (pdftotext -layout), without the page numbers of footers and the TOC."""
    out: Counter = Counter()
    for page in unicodedata.normalize("NFKC", text).split("\f"):
        lines = page.rstrip().splitlines()
        if lines and lines[-1].strip().isdigit():  # the footer's page number
            lines = lines[:-1]
        for line in lines:
            out.update(NUMBER.findall(_TOC_PAGE.sub("", line)))
    return out


def split_numbers(docx: Path, text: str) -> dict[str, str]:
    """What is wrong: a number of the document missing from the PDF (or found fewer times), and a number of the PDF
    that the document does not have (a fragment). Empty when every figure is whole."""
    want, got = docx_numbers(docx), pdf_numbers(text)
    problems = {n: f"文書に{c}回、PDFに{got[n]}回" for n, c in want.items() if got[n] < c}
    problems |= {n: "PDFだけにある（数字の断片）" for n in got if n not in want}
    return problems


def to_pdf(docs: list[Path], outdir: Path) -> None:
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={(outdir / 'lo-profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(outdir),
            *map(str, docs),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )


def test_a_split_number_is_found(tmp_path):
    """The check itself: a figure broken over two lines is named, a whole one is not."""
    doc = new_document()
    doc.add_paragraph("延べ140人（14市町村が回答）2025年度 03:42")
    docx = save(doc, tmp_path / "a.docx")
    assert split_numbers(docx, "延べ140人（14市町村が回答）2025年度 03:42\n\f   1\n") == {}
    broken = "延べ14\n0人（1\n4市町村が回答）2\n025年度 03:\n42 のあと\n"
    assert set(split_numbers(docx, broken)) == {"140", "2025", "03:42", "025", "03", "42", "0", "1", "4", "2"}


def test_a_broken_token_is_found():
    """The check of tokens itself: a line end inside a number and its unit, a date, 年度 or a count is named, one
    between two tokens is not."""
    assert broken_in(["延べ250人が参加した。次年度", "に実施する。"]) == []
    assert broken_in(["延べ250", "人が参加した。次年", "度に実施する。"]) == ["250／人", "次年／度"]
    assert broken_in(["（2023年10月24", "日加入）"]) == ["2023年10月24／日"]
    assert broken_in(["2026年5月28日", "15:35"]) == ["2026年5月28日／15:35"]
    assert broken_in(["A 2・B 10・C 0・D", "1（17/20回", "答）"]) == ["D／1", "17/20回／答"]
    assert broken_in(["実施19・完", "了1（20/20報告）"]) == ["完／了1"]
    assert broken_in(["A 2・B 10・", "C 0・D 1"]) == []
    # review 3 #4: a label and its rate or grade, a unit or a word in a short bracket, a label and a name
    assert broken_in(["受入数445人(達成率", "94.7%・評", "価B)"]) == ["達成率／94.7%", "評／価B"]
    assert broken_in(["圏域内の創業者数(人", "/年)"]) == ["(人／/年)"]
    assert broken_in(["現状維持【基準", "値】10,813"]) == ["【基準／値】"]
    assert broken_in(["実績値(20市町村", "計)"]) == ["(20市町村／計)"]
    assert broken_in(["4,568,682(2022年度の", "統計)"]) == []  # a longer bracket wraps between its words
    assert broken_in(["ご覧ください。問合せ先:熊本", "市政策局総合政策部政策企画課"]) == [
        "熊本／市政策局総合政策部政策企画課"
    ]
    assert broken_in(["ご覧ください。問合せ先:", "熊本市政策局総合政策部政策企画課"]) == []


def test_keep_whole_adds_only_glue():
    """The glue is invisible to a reader of the words: taken out again, the text is the text written."""
    for text in (
        "目標を設定した20市町村の合計",
        "A 2・B 10・C 0・D 1",
        "実施18・完了 1（20/20 報告）",
        "2026年5月28日 15:35",
    ):
        assert keep_whole(text) != text
        assert plain_text(keep_whole(text)) == text


# Every kind of token the reviewers found broken (issue 18), in one text
TOKENS = (
    "相談会を5回開催し、延べ190人が参加・完了 1・A 2・2026年5月28日 15:35、残りは次年度に改善 7（17/20回答）、"
    "令和5年10月1日現在の20市町村の合計（57取組中）で評価しています。"
    # review 3 #4: a label and its rate or grade, a short bracket
    "受入数（達成率 94.7%・評価 B）、創業者数（人/年）、現状維持【基準値】、実績値（20市町村計）。"
)


@needs_libreoffice
def test_tokens_at_every_line_end_stay_whole(tmp_path):
    """A table cell and a paragraph that bring each token to the line end at every offset (a full-width and a
    half-width character further on each time), part of it in a bold run of its own: no token is broken."""
    doc = new_document(Path(__file__).resolve().parents[1] / "templates" / "report_style.docx")
    for k in range(20):
        for m in range(3):
            add_table(doc, ["欄", "実施状況"], [["x", "圏" * k + "a" * m + TOKENS]], widths=[20, 60])
            p = doc.add_paragraph("圏" * (k + 15) + "a" * m)
            p.add_run("2025").bold = True
            p.add_run("年度、" + TOKENS)
    docx = save(doc, tmp_path / "tokens.docx")
    to_pdf([docx], tmp_path)
    assert [str(b) for b in broken(tmp_path / "tokens.pdf", docx)] == []


@needs_libreoffice
def test_numbers_at_every_line_end_stay_whole(tmp_path):
    """Running text with the figures moved one character further on each line, so that each of them comes to a
    line end at every offset: none is broken (LibreOffice broke them with the Japanese break rules)."""
    doc = new_document(Path(__file__).resolve().parents[1] / "templates" / "report_style.docx")
    for n in range(0, 48):
        doc.add_paragraph(
            "圏" * n + "（2025年度）延べ140人、（14市町村が回答）03:42、1,278件、5,079,285百万円、▲554.2%"
        )
    docx = save(doc, tmp_path / "lines.docx")
    to_pdf([docx], tmp_path)
    assert split_numbers(docx, pdf_text(tmp_path / "lines.pdf")) == {}


@needs_libreoffice
def test_reference_sums_in_narrow_cells_stay_whole(tmp_path):
    """The reference sum under a KPI's actual (templates/report/phrases.yaml kpi_all_members), right-aligned in
    cells 14–24 mm wide: every digit printed (with a space before the figure LibreOffice dropped the 1 of 12,258)."""
    from vision_report.outputs.reports.context import report_phrases
    from vision_report.outputs.reports.docxutil import add_table

    root = Path(__file__).resolve().parents[1]
    reference = str(report_phrases(root / "templates")["kpi_all_members"]).format(n=24, value="12,258")
    doc = new_document(root / "templates" / "report_style.docx")
    for width in range(14, 25):
        add_table(
            doc, ["KPI", "実績値"], [["圏域出生数（人）", f"11,117\n{reference}"]], widths=[40, width], numeric={1}
        )
    docx = save(doc, tmp_path / "cells.docx")
    to_pdf([docx], tmp_path)
    assert split_numbers(docx, pdf_text(tmp_path / "cells.pdf")) == {}


@needs_libreoffice
def test_no_number_is_split_in_the_reports(sample_run, tmp_path):
    """The region report and the 概要版 as the run converted them, and two municipality reports."""
    out = sample_run["out"]
    munis = [out / "municipalities" / "431001_熊本市.docx", out / "municipalities" / "432067_玉名市.docx"]
    copies = []
    for k, src in enumerate(munis):
        copies.append(tmp_path / f"m{k}.docx")
        shutil.copy(src, copies[-1])
    to_pdf(copies, tmp_path)
    pairs = [
        (out / "report_2024.docx", out / "report_2024.pdf"),
        (out / "report_2024_概要版.docx", out / "report_2024_概要版.pdf"),
    ]
    pairs += [(c, c.with_suffix(".pdf")) for c in copies]
    for docx, pdf in pairs:
        assert docx_numbers(docx), docx.name  # the check has figures to look for
        assert split_numbers(docx, pdf_text(pdf)) == {}, docx.name
        assert [str(b) for b in broken(pdf, docx)] == [], docx.name  # nor a number and its unit, a date …

"""PDF copies of the Word reports (reports/pdf.py): table of contents with page numbers, same bytes for the same
document, one line and no PDF when LibreOffice is missing, fails or runs out of time."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
import time
import unicodedata
from pathlib import Path

import pytest

from vision_report.core.config import ConfigError, _report_settings
from vision_report.outputs.reports import pdf

pytestmark = pytest.mark.pdf  # the real write_pdfs (tests/conftest.py)

needs_libreoffice = pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="LibreOffice and poppler-utils are installed by .ci/run",
)


@pytest.fixture(scope="module")
def out(sample_run) -> Path:
    """outputs/2024 of the sample run (the run made the PDFs: one conversion shared by these tests)."""
    return sample_run["out"]


def _pages(pdf_path: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf_path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return [unicodedata.normalize("NFKC", p) for p in text.split("\f")]


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@needs_libreoffice
def test_pdfs_are_next_to_the_word_reports_and_in_the_manifest(out):
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for name in ("report_2024.pdf", "report_2024_概要版.pdf"):
        assert (out / name).read_bytes().startswith(b"%PDF-"), name
        assert name in manifest["outputs"], name
    assert not list((out / "municipalities").glob("*.pdf"))  # report.pdf_municipalities is false
    assert not [p for p in out.rglob(".*.tmp")]


@needs_libreoffice
def test_toc_has_the_page_on_which_each_heading_is(out, plan):
    """Every TOC line on pages 2–3 ends with the number of the page where pdftotext finds that heading (headings
    are looked for in order, each at or after the previous one: (1) 取組の方向性 comes once per pillar). The TOC goes
    down to the policy areas and fits one page when a readable line spacing allows it (review 4 #16): the 要旨 starts
    on page 3."""
    pages = _pages(out / "report_2024.pdf")
    toc = [m.groups() for m in re.finditer(r"^\s*(\S.*?)\s*\.{4,}\s*(\d+)\s*$", pages[1] + "\n" + pages[2], re.M)]
    titles = [t for t, _ in toc]
    for chapter in ("要旨", "はじめに", "1 圏域全体の経済成長のけん引", "4 進行管理", "資料編"):
        assert chapter in titles, chapter
    assert toc[0] == ("要旨", "3")
    assert int(dict(toc)["はじめに"]) - 3 <= 2  # the 要旨 takes at most two pages
    # 要旨; はじめに + 3 sections (構成市町村, 要確認の値, 評価の方法: the 提出状況 is said once, in the 要旨 — review 4
    # #12); 3 pillars + 3 sections each + their
    # policy areas; 4 進行管理 + 6 (管理体制, KPI, 事業費, 自己評価, 市町村ごと, 懇談会の意見); 5 累計 + 3; 資料編 + 3
    assert len(toc) == 1 + 4 + sum(4 + len(p.area_ids) for p in plan.pillars) + 7 + 4 + 4
    area = unicodedata.normalize("NFKC", f"{plan.area('3.15').circled} {plan.area('3.15').name}")  # as _pages reads
    assert _flat(area) in {_flat(t) for t in titles}
    page = 2
    for title, number in toc:
        found = next(
            (
                k + 1
                for k in range(page, len(pages))
                if any(_flat(line) == _flat(title) for line in pages[k].splitlines())
            ),
            None,
        )
        assert found == int(number), (title, number, found)
        page = found - 1


@needs_libreoffice
def test_the_summarys_kpi_table_starts_on_page_2_under_its_heading(out, plan):
    """Issue 18: kept whole with its heading, the 概要版's KPI table went to page 3 and left page 2 with a chart only.
    Its heading, header and first rows are on page 2 now, and its first KPI is printed under the heading."""
    pages = [_flat(p) for p in _pages(out / "report_2024_概要版.pdf")]
    heading = next(k for k, p in enumerate(pages) if "KPIの達成状況" in p)
    first = _flat(unicodedata.normalize("NFKC", plan.kpis[0].name))
    assert heading == 1, [p[:80] for p in pages]
    assert first in pages[1].split("KPIの達成状況", 1)[1], pages[1]


@needs_libreoffice
def test_the_same_documents_give_the_same_pdfs(out, tmp_path):
    """Converted again as the run converts them (one LibreOffice, the same files in the same order: a document's
    PDF depends on the documents converted before it in the same process)."""
    names = ["report_2024.docx", "report_2024_概要版.docx"]
    pairs = [(out / n, tmp_path / n.replace(".docx", ".pdf")) for n in names]
    result = pdf.convert(pairs, soffice="soffice", timeout=900)
    assert result.written == [p for _, p in pairs] and result.failed == []
    for _, again in pairs:
        assert again.read_bytes() == (out / again.name).read_bytes(), again.name
    info = subprocess.run(["pdfinfo", str(pairs[1][1])], check=True, capture_output=True, text=True).stdout
    assert re.search(r"CreationDate:\s+\w+ \w+\s+\d+ 00:00:00 \d{4} UTC", info), info  # the issue date, not now


def test_stable_pdf_replaces_date_id_and_checksum_in_place():
    a = b"%PDF-1.6\n<</CreationDate(D:20261129140245Z')>>\ntrailer\n<</ID [ <" + b"A" * 32 + b">\n<" + b"A" * 32
    b = a.replace(b"14024", b"15555").replace(b"A" * 32, b"B" * 32)

    def tail(c: bytes) -> bytes:
        return b"> ]\n/DocChecksum /" + c * 32 + b"\n>>\n"

    x, y = pdf.stable_pdf(a + tail(b"C"), b"20260701000000"), pdf.stable_pdf(b + tail(b"D"), b"20260701000000")
    assert x == y
    assert len(x) == len(a + tail(b"C"))
    assert b"(D:20260701000000Z')" in x


def _docx(tmp_path: Path) -> Path:
    docx = tmp_path / "report_2024.docx"
    docx.write_bytes(b"PK not really a document")
    return docx


def test_without_libreoffice_one_line_and_no_pdf(tmp_path, capsys):
    docx = _docx(tmp_path)
    pairs = [(docx, docx.with_suffix(".pdf")), (tmp_path / "b.docx", tmp_path / "b.pdf")]
    written = pdf.write_pdfs(pairs, enabled=True, soffice=str(tmp_path / "no-soffice"), timeout=60)
    assert written == []
    lines = capsys.readouterr().out.splitlines()
    assert lines == [pdf.message("no_libreoffice", command=str(tmp_path / "no-soffice"))]
    assert lines[0].startswith("PDF は作成していません") and "README" in lines[0]
    assert docx.read_bytes() == b"PK not really a document"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report_2024.docx"]


def test_pdf_switched_off_says_nothing(tmp_path, capsys):
    docx = _docx(tmp_path)
    assert pdf.write_pdfs([(docx, docx.with_suffix(".pdf"))], enabled=False, soffice="soffice", timeout=60) == []
    assert capsys.readouterr().out == ""


def _fake_soffice(tmp_path: Path, body: str) -> Path:
    prog = tmp_path / "bin" / "soffice"
    prog.parent.mkdir()
    prog.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    prog.chmod(prog.stat().st_mode | stat.S_IXUSR)
    return prog


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead: it only waits for its parent to read its status
    stat_line = Path(f"/proc/{pid}/stat").read_text() if Path(f"/proc/{pid}/stat").exists() else ""
    return bool(stat_line) and stat_line.split(")")[-1].split()[0] != "Z"


def test_timeout_kills_libreoffice_and_leaves_no_pdf_nor_temp_file(tmp_path, monkeypatch, capsys):
    """A LibreOffice that hangs (here a launcher and a child that sleep) is stopped with its whole process group."""
    pids = tmp_path / "pids"
    prog = _fake_soffice(tmp_path, f"sleep 300 &\necho $! >> {pids}\nsleep 300\n")
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    docx = _docx(tmp_path)
    written = pdf.write_pdfs([(docx, docx.with_suffix(".pdf"))], enabled=True, soffice=str(prog), timeout=1)
    assert written == []
    assert capsys.readouterr().out.splitlines() == [pdf.message("timeout", files="report_2024.docx", seconds=1)]
    assert not docx.with_suffix(".pdf").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no half-written PDF
    assert list(temp.iterdir()) == []  # the work folder and profile are gone
    child = int(pids.read_text().split()[0])
    for _ in range(50):  # SIGKILL is delivered asynchronously; the child is reparented and reaped by init
        if not _alive(child):
            break
        time.sleep(0.1)
    assert not _alive(child)


def test_a_conversion_that_makes_nothing_is_named(tmp_path, capsys):
    prog = _fake_soffice(tmp_path, "exit 0\n")
    docx = _docx(tmp_path)
    written = pdf.write_pdfs([(docx, docx.with_suffix(".pdf"))], enabled=True, soffice=str(prog), timeout=60)
    assert written == []
    assert capsys.readouterr().out.splitlines() == [pdf.message("failed", files="report_2024.docx", seconds=60)]
    assert not docx.with_suffix(".pdf").exists()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"pdf": "yes"}, "設定 report.pdf は true か false にしてください（現在: 'yes'）"),
        ({"pdf_timeout": 0}, "設定 report.pdf_timeout は1以上の整数（秒）にしてください（現在: 0）"),
        ({"soffice": ""}, "設定 report.soffice には LibreOffice のコマンド名かパスを書いてください（現在: ''）"),
        ({"pdf_municipality": True}, "設定 report に不明な項目があります: pdf_municipality"),
    ],
)
def test_pdf_settings_are_checked(raw, message):
    with pytest.raises(ConfigError) as exc:
        _report_settings(raw)
    assert str(exc.value) == message


def test_pdf_settings_defaults():
    s = _report_settings({})
    assert (s.pdf, s.pdf_municipalities, s.soffice, s.pdf_timeout) == (True, False, "soffice", 900)

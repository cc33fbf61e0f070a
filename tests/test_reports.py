"""Word reports: structure (python-docx), template contract (jinja2), rendering (LibreOffice -> PDF)."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from jinja2 import meta

from vision_report.core.textfmt import fmt_pct
from vision_report.outputs.reports.docxutil import plain_text

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def out(sample_run):
    return sample_run["out"]


def _paragraphs(doc) -> list[str]:
    return [p.text for p in doc.paragraphs]


def _tables_text(doc) -> list[list[list[str]]]:
    return [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]


def test_region_report_has_every_pillar_area_and_initiative(out, plan):
    doc = Document(out / "report_2024.docx")
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    for pillar in plan.pillars:
        assert f"{pillar.id} {pillar.name}" in headings
    for area in plan.areas:
        assert f"{area.circled} {area.name}" in headings, area.id
    body = "\n".join(_paragraphs(doc))
    for ini in plan.initiatives:
        assert f"{ini.label} {ini.name}（{ini.id}）" in body, ini.id
    assert "4 進行管理" in headings and "はじめに" in headings
    assert "合成データ" in body  # the sample set is marked as synthetic in the report itself


def test_management_chapter_prints_the_visions_own_text(out, plan):
    """4 進行管理: (1) 管理体制 and the KPI-setting sentence say what the vision sets (plan.yaml management:); the
    later sub-sections are numbered after it, in the body and in the table of contents alike."""
    doc = Document(out / "report_2024.docx")
    texts = _paragraphs(doc)
    i = texts.index("(1) 管理体制")
    # the vision's words quoted in a report's sentence, not copied as if the report set them (review 4 #14)
    quoted = plan.meta.management["structure"].rstrip("。")
    assert (
        texts[i + 1]
        == f"ビジョンでは、進行管理について「{quoted}」と定めています。2024年度の取組とKPIの状況も、この体制のもとで確認しています。"
    )
    j = texts.index("(2) 施策ごとのKPIの達成状況")
    assert texts[j + 1].startswith(
        "ビジョンに位置づけた取組を検証するため、各取組の施策ごとに13のKPIを設定し、毎年度、"
    )
    assert "(3) 柱・小分野ごとの事業費と評価" in texts
    assert texts.count("　(1) 管理体制") == 1 and texts.index("　(1) 管理体制") < i  # in the table of contents


def test_region_report_kpi_table_equals_csv(out, plan):
    doc = Document(out / "report_2024.docx")
    rows = list(csv.DictReader(io.StringIO((out / "kpi_attainment.csv").read_bytes()[3:].decode("utf-8"))))
    by_name = {f"{r['kpi_name']}（{r['unit']}）": r for r in rows}
    # 進行管理's table: each measure on a row of its own above its KPIs (review 4 #14), then a row per KPI
    management = next(t for t in _tables_text(doc) if t[0][0] == "KPI" and len(t) > 1 + len(plan.kpis))
    lines = [line for line in management[1:] if line[0] in by_name]
    assert len(lines) == len(plan.kpis)
    for line in lines:
        r = by_name[line[0]]
        if r["attainment_pct"]:
            assert abs(float(line[4].rstrip("%").replace(",", "")) - float(r["attainment_pct"])) <= 0.051
        else:
            assert line[4] == fmt_pct(None)
        assert line[6].split("\n")[0] == (r["rating"] if r["rating"] != "-" else "—")


def test_grid_equals_plan_participation(out, plan):
    doc = Document(out / "report_2024.docx")
    grids = [t for t in _tables_text(doc) if t and t[0][0].startswith("関係市町村") and t[0][1] == "熊本市"]
    assert len(grids) == len(plan.initiatives)
    members = plan.members(2024)
    names = [m.name for m in members]
    assert len(names) == 20
    for grid, ini in zip(grids, plan.initiatives, strict=True):
        assert grid[0][1:] == names[:10] and grid[2][1:] == names[10:]
        marks = grid[1][1:] + grid[3][1:]
        got = {m.code for m, mark in zip(members, marks, strict=True) if mark == "○"}
        assert got == set(plan.participants(ini.id, 2024)), ini.id


def _keeps_with_next(p) -> bool:
    """keepNext set on the paragraph or by its style (headings)."""
    if p.paragraph_format.keep_with_next is not None:
        return bool(p.paragraph_format.keep_with_next)
    style = p.style
    while style is not None:
        if style.paragraph_format.keep_with_next is not None:
            return bool(style.paragraph_format.keep_with_next)
        style = style.base_style
    return False


BLOCK_LABELS = {
    "政策分野",
    "取組内容",
    "熊本市の役割",
    "近隣市町村の役割",
    "事業内容",
    "役割分担（熊本市）",
    "役割分担（近隣市町村）",
    "費用負担",
    "スケジュール",
    "国・県補助制度等",
    "効果",
}


def _block_label(text: str) -> bool:
    """The vision's block labels, or the lead's 取組実績・成果・課題 (「取組実績（熊本市）」) printed the same way."""
    return text in BLOCK_LABELS or re.fullmatch(r"(取組実績|成果|課題)（.+）", text) is not None


@pytest.mark.parametrize("name", ["report_2024.docx", "report_2024_概要版.docx", "municipalities/431001_熊本市.docx"])
def test_page_flow(out, name):
    """No row splits across pages but the first under the header; the header row repeats and stays with the first body row; the paragraph before
    a table (heading, lead-in) stays with it; a ○ grid is kept together (every row but the last with the next, and
    the last too where the vision's blocks follow it); an agreement's first row stays with its second."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    doc = Document(out / name)
    body = doc.element.body
    grids = blocked = agreements = 0
    for tbl in body.iterchildren(qn("w:tbl")):
        table = Table(tbl, doc._body)
        rows = tbl.findall(qn("w:tr"))
        for k, tr in enumerate(rows):
            flag = tr.find(qn("w:trPr") + "/" + qn("w:cantSplit"))
            if k == 1 and rows[0].find(qn("w:trPr") + "/" + qn("w:tblHeader")) is not None:
                # the first row under a repeated header may split: LibreOffice dropped a table's later rows (docxutil)
                assert flag is None
                continue
            assert flag is not None and flag.get(qn("w:val")) is None  # bare element: on (no "true")
        prev = tbl.getprevious()
        assert prev.tag == qn("w:p") and _keeps_with_next(Paragraph(prev, doc._body)), (
            table.rows[0].cells[0].text.replace("\n", "")
        )
        first = table.rows[0]
        if first.cells[0].text == "関係市町村":
            grids += 1
            assert len(rows) == 4
            # the vision's blocks after the grid (a gap paragraph between): the title and the grid go with the
            # first block, never alone at a page's foot (review 3 #16)
            gap = tbl.getnext()
            after = gap.getnext() if gap is not None and gap.tag == qn("w:p") else None
            blocks = (
                after is not None and after.tag == qn("w:tbl") and _block_label(Table(after, doc._body).cell(0, 0).text)
            )
            if blocks:
                blocked += 1
                assert _keeps_with_next(Paragraph(gap, doc._body))
            for k, tr in enumerate(rows):  # the XML's own cells (row.cells repeats a merged cell in every row)
                keeps = {Paragraph(p, None).paragraph_format.keep_with_next for p in tr.iter(qn("w:p"))}
                assert keeps == ({True} if k < 3 or blocks else {None}), k
        elif len(first.cells) == 2 and _block_label(first.cells[0].text):  # label | text blocks (vision, lead's texts)
            assert all(len(r.cells) == 2 and _block_label(r.cells[0].text) for r in table.rows)
            if first.cells[0].text == "政策分野" and len(rows) > 1:  # [連携協約]: its title and 政策分野 go with
                agreements += 1  # the agreement's content (review 3 #16)
                assert all(p.paragraph_format.keep_with_next for c in first.cells for p in c.paragraphs)
        else:
            assert first._tr.find(qn("w:trPr") + "/" + qn("w:tblHeader")) is not None
            assert all(p.paragraph_format.keep_with_next for c in first.cells for p in c.paragraphs)
    assert (grids > 0 and blocked > 0 and agreements > 0) or name != "report_2024.docx"


def test_municipality_reports_and_summary(out, plan):
    for m in plan.members(2024):
        doc = Document(out / "municipalities" / f"{m.code}_{m.name}.docx")
        text = "\n".join(_paragraphs(doc))
        assert m.name in text
        tables = _tables_text(doc)
        initiatives = next(t for t in tables if t[0][:2] == ["取組", "名称"])
        assert [r[0] for r in initiatives[1:]] == [i.id for i in plan.initiatives_of(m.code)]


def test_summary_report_figures_equal_the_csvs(out, plan):
    """The 概要版 is what councillors read first: its counts, pillar table and KPI table equal the CSVs."""
    summary = Document(out / "report_2024_概要版.docx")
    assert summary.paragraphs[0].text.endswith("進捗状況報告書【概要版】")
    body = "\n".join(_paragraphs(summary))
    subs = list(csv.DictReader(io.StringIO((out / "submissions.csv").read_bytes()[3:].decode("utf-8"))))
    members = {m.code for m in plan.members(2024)}
    current = {
        r["municipality_code"]: r["status"]
        for r in subs
        if r["municipality_code"] in members and r["status"] not in ("superseded", "not_submission")
    }
    accepted = sum(1 for s in current.values() if s.startswith("accepted"))
    rejected = sum(1 for s in current.values() if s == "rejected")
    missing = sum(1 for s in current.values() if s == "missing")
    assert (accepted, rejected, missing) == (18, 2, 0)  # the sample set's documented outcome (inputs/README.md)
    assert (
        f"構成{len(plan.members(2024))}市町村のうち{accepted}市町村から受理（差戻し{rejected}市町村・未提出{missing}市町村）"
        in body
    )
    tables = _tables_text(summary)
    kpi_rows = list(csv.DictReader(io.StringIO((out / "kpi_attainment.csv").read_bytes()[3:].decode("utf-8"))))
    kpi_table = next(t for t in tables if t[0][0] == "KPI")
    assert [line[0] for line in kpi_table[1:]] == [f"{r['kpi_name']}（{r['unit']}）" for r in kpi_rows]
    for line, r in zip(kpi_table[1:], kpi_rows, strict=True):
        if r["attainment_pct"]:  # the CSV keeps 2 decimals; the report rounds the exact value to 1 (half up)
            assert abs(float(line[4].rstrip("%").replace(",", "")) - float(r["attainment_pct"])) <= 0.051, r["kpi_id"]
        else:
            assert line[4] == fmt_pct(None), r["kpi_id"]
    rollup = list(csv.DictReader(io.StringIO((out / "rollup.csv").read_bytes()[3:].decode("utf-8"))))
    pillar_table = next(t for t in tables if t[0][0] == "柱")
    pillars = [r for r in rollup if r["level"] == "pillar"]
    assert [line[0] for line in pillar_table[1:]] == [f"{r['id']} {r['name']}" for r in pillars]
    planned = next(i for i, h in enumerate(pillar_table[0]) if "計画" in h)  # columns: layout.yaml summary_pillars
    for line, r in zip(pillar_table[1:], pillars, strict=True):
        assert line[planned].replace(",", "") == str(round(float(r["planned_thousand_yen"]))), r["id"]


def test_every_template_variable_is_supplied(out, plan):
    """A contract test: no variable a jinja2 template uses goes unsupplied by the code."""
    import pandas as pd

    from vision_report.core.config import load_settings
    from vision_report.core.textfmt import jinja_env
    from vision_report.outputs.reports import region, region_abstract, region_management, region_period, summary
    from vision_report.outputs.reports.context import ReportData

    env = jinja_env(ROOT / "templates")

    data = ReportData(
        settings=load_settings(ROOT),
        plan=plan,
        fiscal_year=2024,
        results={
            "kpi_attainment": pd.read_csv(out / "kpi_attainment.csv", encoding="utf-8-sig"),
            "budget_execution": pd.read_csv(
                out / "budget_execution.csv", encoding="utf-8-sig", dtype={"initiative_id": str}
            ),
            "rollup": pd.read_csv(out / "rollup.csv", encoding="utf-8-sig", dtype={"id": str}),
        },
        subs=pd.read_csv(out / "submissions.csv", encoding="utf-8-sig", dtype=str),
        accepted_rows=None,
        per_year={},
    )
    supplied = set(data.text_context()) | set(data.period_context()) | set(data.held_context())
    for t in sorted((ROOT / "templates" / "report").glob("*.j2")):
        if t.name == "evaluation.txt.j2":
            continue  # sentences rendered one by one with their own values: tests/test_evaluation_report.py
        if t.name in ("municipality.txt.j2", "submission_log.txt.j2"):
            continue  # a member's report and the office's record, with their own values: tests/test_member_report.py
        used = meta.find_undeclared_variables(env.parse(t.read_text(encoding="utf-8")))
        extra = {
            "summary_points.txt.j2": set(summary.POINT_VALUES),
            "period.txt.j2": set(summary.PERIOD_VALUES),
            "abstract.txt.j2": set(region_abstract.abstract_values(data)) | set(region.ABSTRACT_EXTRA),
            "basis.txt.j2": set(region.BASIS_VALUES),
            "analysis.txt.j2": set(region_period.ANALYSIS_VALUES),
            "management.txt.j2": set(region_management.MANAGEMENT_VALUES),
            "method.txt.j2": {"terms", "subfields", "unit_terms"},
            "overview.txt.j2": set(region.OVERVIEW_VALUES),  # optional (default false / none): the 概要版's 用語 block
        }.get(t.name, set())
        assert used <= supplied | extra, (t.name, used - supplied - extra)
    feedback_used = meta.find_undeclared_variables(
        env.parse((ROOT / "templates" / "feedback.txt.j2").read_text("utf-8"))
    )
    from vision_report.outputs import feedback

    for status in ("missing", "accepted"):
        ctx = feedback.feedback_context(plan, 2024, code="431001", name="熊本市", rec=None, status=status)
        assert feedback_used <= set(ctx), feedback_used - set(ctx)


needs_libreoffice = pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="LibreOffice and poppler-utils are installed by .ci/run",
)


@pytest.fixture(scope="module")
def region_pdf(out, tmp_path_factory) -> Path:
    """report_2024.docx rendered by LibreOffice (a profile of its own: a soffice already running with the default
    profile would take the job and write nothing)."""
    tmp = tmp_path_factory.mktemp("pdf")
    src = tmp / "report.docx"
    shutil.copy(out / "report_2024.docx", src)
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={(tmp / 'lo-profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp),
            str(src),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return tmp / "report.pdf"


def _pdf_text(pdf: Path, *args: str) -> str:
    return subprocess.run(["pdftotext", *args, str(pdf), "-"], check=True, capture_output=True, text=True).stdout


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


@needs_libreoffice
def test_region_report_renders_to_pdf_with_japanese_text(region_pdf):
    text = _pdf_text(region_pdf, "-layout")
    for phrase in (
        "熊本連携中枢都市圏ビジョン",
        "進捗状況報告書",
        "圏域全体の経済成長のけん引",
        "関係市町村",
        "持続可能な地域公共交通網の形成",
        "進行管理",
    ):
        assert phrase in text, phrase
    info = subprocess.run(["pdfinfo", str(region_pdf)], check=True, capture_output=True, text=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert 20 <= pages <= 160, pages  # 2024: 108 pages with every initiative's 取組実績 (issue 13)


@needs_libreoffice
def test_pillar3_kpi_table_shows_its_rows_in_the_pdf(out, plan, region_pdf):
    """LibreOffice once dropped this table's rows (header row alone at a page end): each KPI of pillar 3 is in
    the PDF five times: in the 要旨's table, in the pillar's (2) KPI table, in 4 進行管理's table and in 5 計画期間's
    two tables (the verdict and the years' values)."""
    flat = _flat(_pdf_text(region_pdf, "-raw"))
    pillar3 = [k for k in plan.kpis if k.measures.startswith("3")]
    assert len(pillar3) == 5
    for k in pillar3:
        assert flat.count(_flat(f"{k.name}（{k.unit}）")) == 5, k.id


@needs_libreoffice
def test_every_table_row_of_the_region_report_is_in_the_pdf(out, region_pdf):
    """A row's first text (Latin letters left out: pdftotext may place a Latin run of a line elsewhere) occurs in
    the PDF at least as often as in the document."""
    flat = re.sub(r"[A-Za-z]", "", _flat(_pdf_text(region_pdf, "-raw")))
    doc = Document(out / "report_2024.docx")
    body = re.sub(r"[A-Za-z]", "", _flat(plain_text("".join(t.text or "" for t in doc.element.body.iter(qn("w:t"))))))
    checked, missing = 0, []
    for ti, table in enumerate(doc.tables):
        for ri, row in enumerate(table.rows):
            key = next((k for k in (re.sub(r"[A-Za-z]", "", _flat(c.text)) for c in row.cells) if len(k) >= 2), None)
            if key is None:
                continue
            checked += 1
            if flat.count(key) < body.count(key):
                missing.append((ti, ri, key))
    assert checked > 500
    assert missing == []


def test_the_visions_blocks_are_printed_in_full(out, plan):
    """Every initiative's 事業内容, 役割分担, 費用負担, スケジュール, 補助制度 and 効果, and every area's [連携協約], in
    full (no text cut with …), with the vision's line breaks."""
    doc = Document(out / "report_2024.docx")
    cells = {c.text for t in doc.tables for row in t.rows for c in row.cells}
    for ini in plan.initiatives:
        for text in (
            ini.description,
            ini.role_kumamoto,
            ini.role_neighbours,
            ini.cost_sharing,
            ini.subsidies,
            ini.effects,
        ):
            if text and text.strip():
                assert text.strip() in cells, (ini.id, text[:40])
        if ini.schedule:
            assert "\n".join(ini.schedule) in cells, ini.id
    for area in plan.areas:
        for text in (area.agreement.content, area.agreement.role_kumamoto, area.agreement.role_neighbours):
            if text and text.strip():
                assert text.strip() in cells, (area.id, text[:40])
    labels = [row.cells[0].text for t in doc.tables for row in t.rows]
    assert labels.count("費用負担") == sum(1 for i in plan.initiatives if i.cost_sharing)
    assert not any(c.endswith("…") for c in cells)


def test_one_year_format(out):
    """Years print as 2022年度 (labels.yaml year.fiscal), or as the plan labels a calendar-year statistic (2022年);
    never a bare （2022） as the PDF extraction of the vision shows it."""
    doc = Document(out / "report_2024.docx")
    texts = _paragraphs(doc) + [c.text for t in doc.tables for row in t.rows for c in row.cells]
    bare = sorted({m for t in texts for m in re.findall(r"[（(]\d{4}[）)]", t)})
    assert bare == []
    assert any("（2022年度）" in t for t in texts) and any("9,187\n（2023年）" in t for t in texts)


def test_wording_reads_as_the_vision_writes_it(out, plan):
    """No tool ids or packed codes where a councillor reads: the 進行管理 KPI table names each node as the vision's
    own table does (「1 …」「① …」「…に係る政策分野」), evaluation counts read 「A 0・B 3・C 0・D 1」, and a
    sub-field's KPI is printed once under the sub-field, not repeated under each of its policy areas."""
    doc = Document(out / "report_2024.docx")
    texts = _paragraphs(doc)
    # the measures are shaded rows of one merged cell above their KPIs (review 4 #14)
    management = next(t for t in _tables_text(doc) if t[0][0] == "KPI" and len(t) > 1 and t[1][0].startswith("1 "))
    first = [plain_text(row[0]) for row in management[1:] if len(set(row)) == 1]
    assert first[:2] == ["1 圏域全体の経済成長のけん引", f"{plan.area('1.1').circled} {plan.area('1.1').name}"]
    assert "生活機能の強化に係る政策分野" in first
    assert not any(re.match(r"^\d+(\.\d+)+ ", f) for f in first)
    budget = next(
        t
        for t in _tables_text(doc)
        if t[0][0] == "区分" and "KPIの評価（指標数）" in [h.replace("\n", "") for h in t[0]]  # a header may wrap
    )
    assert all(re.fullmatch(r"A \d+・B \d+・C \d+・D \d+(（評価なし \d+）)?", row[5]) for row in budget[1:])
    assert all(re.fullmatch(r"\d+\.\d%\n（\d+/\d+取組）", row[4]) for row in budget[1:])  # review 6 P5
    assert not any("のKPIを表示" in t for t in texts)
    assert sum(t.startswith("この小分野のKPI：") for t in texts) == len(plan.subfields)

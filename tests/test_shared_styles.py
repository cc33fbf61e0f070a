"""issue 21: a municipality report shares its template's styles part (9,108 elements, 351 KB) with the other reports
of the run — parsed, serialized and deflated once per process instead of once per report. The files are the same
bytes as a report with its own styles part, and a report that changed the shared styles would fail loudly."""

from __future__ import annotations

import io
import re
import zipfile
from collections import OrderedDict
from datetime import date
from pathlib import Path

import pytest
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.oxml import serialize_part_xml

from tests.test_member_report import FY, KASHIMA, KUMAMOTO, _every_member_kpis, _mine
from vision_report.compute.tables import compute_year
from vision_report.core.config import load_settings
from vision_report.outputs.reports import docxutil, municipality
from vision_report.outputs.reports.docxutil import DocProps, add_table, docx_bytes, new_document, page_number_footer

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "templates" / "report_style.docx"


@pytest.fixture(autouse=True)
def _own_cache(monkeypatch):
    """Each test starts without shared styles (and leaves none that a test may have changed)."""
    monkeypatch.setattr(docxutil, "_SHARED", OrderedDict())


def _small(share: bool) -> bytes:
    doc = new_document(TEMPLATE, DocProps(title="試験", author="事務局", issued=date(2025, 6, 1)), share_styles=share)
    page_number_footer(doc.sections[0])
    doc.add_paragraph("熊本市の報告", style="Title")
    doc.add_paragraph("2025年度の事業費は1,234千円（達成率98.5%）でした。")
    add_table(doc, ["項目", "値"], [["事業費", "1,234千円"], ["達成率", "98.5%"]], widths=[40, 20], numeric={1})
    return docx_bytes(doc)


def _entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def test_a_document_sharing_the_templates_styles_is_the_same_file_as_one_with_its_own():
    own = _small(share=False)
    first, second = _small(share=True), _small(share=True)  # made, then found in the cache
    assert first == own and second == own
    assert len(docxutil._SHARED) == 1
    styles = _entries(own)["word/styles.xml"]
    assert len(styles) > 300_000 and b'w:val="en-US" w:eastAsia="ja-JP"' in styles  # the languages are set


def test_documents_of_one_template_hold_one_styles_element_and_one_deflated_entry():
    a = new_document(TEMPLATE, share_styles=True)
    b = new_document(TEMPLATE, share_styles=True)
    own = new_document(TEMPLATE)
    part_a, part_b = (d.part.part_related_by(RT.STYLES) for d in (a, b))
    assert part_a.element is part_b.element  # one tree in memory
    assert own.part.part_related_by(RT.STYLES).element is not part_a.element
    shared = docxutil._SHARED[next(iter(docxutil._SHARED))]
    assert part_a.blob is shared.blob == serialize_part_xml(own.part.part_related_by(RT.STYLES).element)
    assert docxutil.italic_styles(a) == docxutil.italic_styles(own)


def test_a_document_that_adds_a_style_to_the_shared_styles_raises_when_saved():
    from docx.enum.style import WD_STYLE_TYPE

    doc = new_document(TEMPLATE, share_styles=True)
    doc.styles.add_style("目次 9", WD_STYLE_TYPE.PARAGRAPH)
    with pytest.raises(RuntimeError, match="shares"):
        docx_bytes(doc)


def test_a_template_without_a_styles_part_gives_each_document_its_own(tmp_path):
    bare = tmp_path / "bare.docx"
    with zipfile.ZipFile(TEMPLATE) as src, zipfile.ZipFile(bare, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/styles.xml":
                continue
            if info.filename == "word/_rels/document.xml.rels":
                data = re.sub(rb'<Relationship [^>]*Target="styles.xml"/>', b"", data)
                assert b"styles.xml" not in data
            dst.writestr(info, data)
    doc = new_document(bare, share_styles=True)
    assert not hasattr(doc, "_vr_shared_styles")
    doc.add_paragraph("本文")
    assert docx_bytes(doc)


@pytest.mark.parametrize("code", [KUMAMOTO, KASHIMA])
def test_a_municipality_report_is_the_same_file_with_shared_styles_and_leaves_them_as_they_were(
    plan, monkeypatch, code
):
    settings = load_settings(ROOT)
    rows = _every_member_kpis(plan)
    res = compute_year(plan, FY, rows, settings)
    kpi = res["kpi_attainment"].set_index("kpi_id", drop=False)
    budget = res["budget_execution"].set_index("initiative_id", drop=False)

    def report() -> bytes:
        doc = municipality.build_municipality_report(
            plan, FY, code, kpi, budget, _mine(plan, code), rows[rows["municipality_code"] == code], TEMPLATE, True,
            DocProps(title="報告", author="事務局", issued=date(2026, 6, 30)), settings.evaluation,
        )  # fmt: skip
        return docx_bytes(doc)

    shared_twice = [report(), report()]
    (shared,) = docxutil._SHARED.values()
    assert serialize_part_xml(shared.element) == shared.blob  # nothing in the report changed the shared styles
    monkeypatch.setattr(
        municipality, "new_document", lambda template, props, share_styles: new_document(template, props)
    )
    assert shared_twice == [report(), report()]


def test_documents_sharing_styles_look_each_style_name_up_once():
    a = new_document(TEMPLATE, share_styles=True)
    assert docxutil.has_style(a, "表本文") and not docxutil.has_style(a, "ない名前")
    b = new_document(TEMPLATE, share_styles=True)
    assert b.styles["表本文"].element is docxutil._style_or_none(b, "表本文").element  # found once, for both
    assert docxutil._style_or_none(b, "表本文") is docxutil._style_or_none(a, "表本文")
    assert docxutil._style_or_none(b, "ない名前") is None
    own = new_document(TEMPLATE)
    assert docxutil._style_or_none(own, "表本文") is not docxutil._style_or_none(a, "表本文")

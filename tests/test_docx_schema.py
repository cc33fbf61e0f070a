"""Every Word file the project writes is valid Office Open XML: Word opens it without offering a repair.

openxml-audit checks the package against the ECMA-376 schemas as the Open XML SDK does, plus the app-compat
rules Word applies on opening (e.g. a stylesWithEffects part that disagrees with styles.xml). Office 2016 rules.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from vision_report.outputs.reports.docxutil import (
    SUBTLE_FILL,
    DocProps,
    add_table,
    add_toc,
    docx_bytes,
    keep_together,
    merge_column,
    new_document,
    page_number_footer,
)

openxml_audit = pytest.importorskip("openxml_audit", reason="openxml-audit is in the dev extra")

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "templates" / "report_style.docx"


@pytest.fixture(scope="module")
def validator():
    return openxml_audit.OpenXmlValidator(file_format=openxml_audit.FileFormat.OFFICE_2016, max_errors=0)


def _errors(validator, path: Path) -> list[str]:
    result = validator.validate(str(path))
    return [str(e) for e in result.errors]


def _assert_valid(validator, path: Path) -> None:
    errors = _errors(validator, path)
    assert errors == [], f"{path.name}: {len(errors)} errors\n" + "\n".join(errors[:50])


def generated_documents(out: Path) -> list[Path]:
    return sorted(out.glob("report_*.docx")) + sorted((out / "municipalities").glob("*.docx"))


def test_sample_run_writes_every_kind_of_document(sample_run, plan):
    docs = generated_documents(sample_run["out"])
    names = {p.name for p in docs}
    assert {"report_2024.docx", "report_2024_概要版.docx"} <= names
    assert len(docs) == 2 + len(plan.members(2024))


def test_every_generated_document_is_schema_valid(sample_run, validator):
    for path in generated_documents(sample_run["out"]):
        _assert_valid(validator, path)


def test_style_template_is_schema_valid(validator):
    _assert_valid(validator, TEMPLATE)


def test_style_template_has_no_styles_with_effects_part():
    import zipfile

    with zipfile.ZipFile(TEMPLATE) as z:
        assert "word/stylesWithEffects.xml" not in z.namelist()
        assert "docProps/thumbnail.jpeg" not in z.namelist()


@pytest.mark.parametrize("template", [TEMPLATE, None], ids=["style-template", "python-docx-default"])
def test_every_table_feature_is_schema_valid(validator, tmp_path, template):
    """Each thing docxutil writes, in one document: TOC field and updateFields, page number, fixed layout and cell
    margins, shading, repeated header, rows that do not split, vertical merge, the XML-copy fast path."""
    from datetime import date

    doc = new_document(template, DocProps(title="試験", author="事務局", issued=date(2025, 6, 1)))
    page_number_footer(doc.sections[0])
    add_toc(doc, ["はじめに"], "（目次）")
    doc.add_paragraph("見出しの後の段落")

    def grid(table):
        merge_column(table, 0, 1, 2)
        keep_together(table)

    for _ in range(2):  # the second of each is a copy of the prototype its layout makes
        add_table(doc, ["項目", "値"], [["a", "1"], ["b", "2\n（注）"]], widths=[40, 20], numeric={1})
        add_table(
            doc,
            ["区分", "x", "y"],
            [["計画", "1", "2"], ["", "3", "4"], ["", "5", " 6"]],
            widths=[30, 20, 20],
            center={1, 2},
            fills={0: SUBTLE_FILL},
            bold_rows={2},
            finish=grid,
        )
    path = tmp_path / "features.docx"
    path.write_bytes(docx_bytes(doc))
    _assert_valid(validator, path)

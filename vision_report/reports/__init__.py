"""Word reports (python-docx): the region report, one per municipality, and the 概要版."""

from __future__ import annotations

from pathlib import Path

from .context import ReportData
from .docxutil import save


def write_reports(data: ReportData, out_dir: Path, issues_by_file: dict[str, list[str]]) -> list[Path]:
    from . import municipality, region, summary

    written = [
        save(region.build_region_report(data), out_dir / f"report_{data.fiscal_year}.docx"),
        save(summary.build_summary(data), out_dir / f"report_{data.fiscal_year}_概要版.docx"),
    ]
    written += municipality.write_municipality_reports(data, out_dir, issues_by_file)
    return written

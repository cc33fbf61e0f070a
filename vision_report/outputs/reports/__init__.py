"""Word reports (python-docx): the region report, one per municipality, and the 概要版; their PDFs (reports.pdf)."""

from __future__ import annotations

from pathlib import Path

from vision_report.core import timing
from vision_report.outputs.reports.context import ReportData
from vision_report.outputs.reports.docxutil import save


def write_region_reports(data: ReportData, out_dir: Path) -> list[Path]:
    """The region report and its 概要版."""
    from vision_report.outputs.reports import region, summary

    fy = data.fiscal_year
    with timing.phase("region_report"):
        written = [save(region.build_region_report(data), out_dir / f"report_{fy}.docx")]
    with timing.phase("summary_report"):
        written.append(save(summary.build_summary(data), out_dir / f"report_{fy}_概要版.docx"))
    return written


def write_reports(data: ReportData, out_dir: Path) -> list[Path]:
    """Every report of the year, then their PDFs. A large alliance renders the region report in a worker process
    beside the municipality reports: the run's own process does not hold the region report's XML on top of the
    year's data, and the two take both cores."""
    from vision_report.outputs.reports import municipality, parallel, pdf

    members = len(data.plan.members(data.fiscal_year))
    if parallel.use_pool(members):
        with parallel.pool() as executor:
            region_job = executor.submit(write_region_reports, data, out_dir)  # first: the longest job
            with timing.phase("municipality_reports"):
                town_reports = municipality.write_municipality_reports(data, out_dir, executor)
            written = region_job.result()
    else:
        written = write_region_reports(data, out_dir)
        with timing.phase("municipality_reports"):
            town_reports = municipality.write_municipality_reports(data, out_dir)
    written += town_reports
    opts = data.settings.report
    to_pdf = written[:2] + (town_reports if opts.pdf_municipalities else [])
    with timing.phase("pdf"):
        written += pdf.write_pdfs(
            [(docx, docx.with_suffix(".pdf")) for docx in to_pdf],
            enabled=opts.pdf,
            soffice=opts.soffice,
            timeout=opts.pdf_timeout,
        )
    return written

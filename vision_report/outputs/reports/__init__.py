"""Word reports (python-docx): the region report, one per municipality, and the 概要版; their PDFs (reports.pdf)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
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


def write_reports(data: ReportData, out_dir: Path, meanwhile: Callable[[], list[Path]] = list) -> list[Path]:
    """Every report of the year, then their PDFs. The region report is made in a worker process beside the
    municipality reports when the run started workers (``parallel.warm_pool``) or the alliance is large: the run's
    own process does not hold the region report's XML on top of the year's data, and the two take both cores. A
    large alliance's municipality reports are made by the workers too.

    ``meanwhile``: what the run's own process writes while the region report is made (the tables, the feedback);
    its files come first in the list returned."""
    from vision_report.outputs.reports import municipality, parallel, pdf

    members = len(data.plan.members(data.fiscal_year))
    warm = parallel.warm()
    pooled = parallel.use_pool(members)
    if warm is not None or pooled:
        with nullcontext(warm) if warm is not None else parallel.pool() as executor:
            region_job = executor.submit(write_region_reports, data, out_dir)  # first: the longest job
            before = meanwhile()
            with timing.phase("municipality_reports"):
                town_reports = municipality.write_municipality_reports(data, out_dir, executor if pooled else None)
            written = region_job.result()
    else:
        before = meanwhile()
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
    return before + written

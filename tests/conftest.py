"""Shared fixtures. Prefect runs against a throw-away PREFECT_HOME with telemetry off."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.report_cache import ENV_SHARED, share_charts

CSVS = [
    "kpi_attainment.csv",
    "budget_execution.csv",
    "rollup.csv",
    "submissions.csv",
    "kpi_history.csv",
    "budget_history.csv",
    "evaluations.csv",
    "initiative_texts.csv",
    "held_values.csv",
    "confirmation_problems.csv",
]

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"

_PREFECT_HOME = tempfile.mkdtemp(prefix="vision-report-prefect-")
os.environ.setdefault("PREFECT_HOME", _PREFECT_HOME)
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
# a run renders its reports in this process: a run's warm report workers (outputs/reports/parallel.warm_pool) would be
# one more process per run of the suite; tests/test_reports_parallel.py asks for them
os.environ.setdefault("VISION_REPORT_WORKERS", "1")

# the reports built in this session, shared by its processes (tests/report_cache.py): made by the first process (the
# controller under pytest-xdist, whose workers inherit the variable), removed by it at exit
if ENV_SHARED not in os.environ:
    os.environ[ENV_SHARED] = _REPORTS = tempfile.mkdtemp(prefix="vision-report-test-reports-")
    atexit.register(shutil.rmtree, _REPORTS, ignore_errors=True)


# the fast tier (tools/check --fast) leaves out what needs a Prefect server, LibreOffice, PostgreSQL or a subprocess
# of the whole command line, or a real browser (Chromium): these fixtures, the pdf marker, and the modules below
SLOW_FIXTURES = {"prefect_backend", "sample_run"}
SLOW_MODULES = {
    "test_serve",
    "test_serve_sqlite",
    "test_operations",
    "test_resilience",
    "test_retries",
    "test_portal_browser",
}


# the modules that take the most CPU in the fast tier, most first (bench/results.md, serial CPU seconds per module).
# With several workers (tools/check --fast: -n, --dist loadscope --no-loadscope-reorder) a worker takes one module at a
# time in collection order: the longest ones go first so that the last ones to start are short and both cores end
# together (longest processing time first), instead of one worker starting a minute-long module when the other is
# nearly done. Serial runs keep the file order.
HEAVY_FIRST = (
    "test_councillor_review",
    "test_region_layout",
    "test_final_year_review3",
    "test_planbook",
    "test_portal_security",
    "test_templates_and_samples",
    "test_member_report",
    "test_review4_layout",
    "test_validation",
    "test_evaluation_report",
    "test_evaluations",
    "test_cli",
    "test_summary_review",
)


def _heavy_first(config, items) -> None:
    if not (hasattr(config, "workerinput") or getattr(config.option, "numprocesses", None)):
        return  # not under pytest-xdist
    rank = {name: k for k, name in enumerate(HEAVY_FIRST)}
    items.sort(key=lambda item: rank.get(item.module.__name__.rpartition(".")[2] if item.module else "", len(rank)))


def pytest_collection_modifyitems(config, items):
    _heavy_first(config, items)
    for item in items:
        module = item.module.__name__.rpartition(".")[2] if item.module else ""
        if (
            SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))
            or item.get_closest_marker("pdf") is not None
            or module in SLOW_MODULES
        ):
            item.add_marker(pytest.mark.slow)


def pytest_runtest_setup(item) -> None:
    # once the charts are imported, their memo also holds the charts the session's other processes drew
    # (tests/report_cache.py); a test that never draws does not import matplotlib for it
    if "vision_report.outputs.reports.charts" in sys.modules:
        share_charts()


def _read_without_glue() -> None:
    """A saved report's text holds the glue that keeps a number and its unit on one line (docxutil.keep_whole:
    word joiners and narrow spaces). The tests read its words: python-docx's ``text`` of a paragraph and a run gives
    them without the glue (docxutil.plain_text), as a reader of the page sees them."""
    from docx.text.paragraph import Paragraph
    from docx.text.run import Run

    from vision_report.outputs.reports.docxutil import plain_text

    for cls in (Paragraph, Run):
        prop = cls.__dict__["text"]
        if not getattr(prop.fget, "_without_glue", False):
            getter = prop.fget

            def text(self, _get=getter):
                return plain_text(_get(self))

            text._without_glue = True
            cls.text = property(text, prop.fset, doc=prop.__doc__)


def _text_without_xpath() -> None:
    """python-docx reads a run's and a paragraph's text with an XPath union of child tags (``w:br | w:cr | …``),
    compiled and evaluated on every read: the tests read the texts of every paragraph of a report hundreds of
    thousands of times (the fast tier: 600,000 XPath calls, a tenth of its time). The same children in the same
    (document) order, found by their tags: the same text (tests/test_docxutil.py compares both)."""
    from docx.oxml.ns import qn
    from docx.oxml.text.hyperlink import CT_Hyperlink
    from docx.oxml.text.paragraph import CT_P
    from docx.oxml.text.run import CT_R

    run_tags = frozenset(qn(f"w:{t}") for t in ("br", "cr", "noBreakHyphen", "ptab", "t", "tab"))
    para_tags = frozenset((qn("w:r"), qn("w:hyperlink")))
    r_tag = qn("w:r")

    def run_text(self) -> str:
        return "".join(str(e) for e in self if e.tag in run_tags)

    def para_text(self) -> str:
        return "".join(e.text for e in self if e.tag in para_tags)

    def link_text(self) -> str:
        return "".join(r.text for r in self if r.tag == r_tag)

    for cls, getter in ((CT_R, run_text), (CT_P, para_text), (CT_Hyperlink, link_text)):
        prop = cls.__dict__["text"]
        if not getattr(prop.fget, "_without_xpath", False):
            getter._without_xpath = True  # type: ignore[attr-defined]
            getter.xpath_getter = prop.fget  # type: ignore[attr-defined]  # python-docx's own (the test compares)
            cls.text = property(getter, prop.fset, doc=prop.__doc__)


_text_without_xpath()
_read_without_glue()


@pytest.fixture(autouse=True)
def _project_root_restored():
    """`vision-report --root DIR` run in-process (cli.main) makes DIR the project of the process
    ($VISION_REPORT_HOME): a test's temporary project (often without templates/labels.yaml) must not stay the
    project of the tests after it."""
    from vision_report.core.paths import ENV_ROOT

    before = os.environ.get(ENV_ROOT)
    yield
    if before is None:
        os.environ.pop(ENV_ROOT, None)
    else:
        os.environ[ENV_ROOT] = before


@pytest.fixture(autouse=True)
def _no_pdf_unless_asked(request, monkeypatch):
    """A run inside a test makes no PDF (LibreOffice takes seconds per run) unless the test is marked
    ``@pytest.mark.pdf``. Session fixtures (sample_run) are set up before this and do make the PDFs."""
    if request.node.get_closest_marker("pdf") is None:
        from vision_report.outputs.reports import pdf

        monkeypatch.setattr(pdf, "write_pdfs", lambda pairs, **_: [])


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def plan():
    from vision_report.core.config import load_settings
    from vision_report.plan import load_plan

    # the shipped vision (FY2021–2025); config plans: also holds the synthetic next plan (FY2026–, issue 20)
    return load_plan(load_settings(ROOT).plan_dir_for(2025))


@pytest.fixture(scope="session")
def prefect_backend():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory, prefect_backend):
    from flows.yearly_report import yearly_report

    tmp = tmp_path_factory.mktemp("flow")
    inputs = tmp / "inputs"
    shutil.copytree(ROOT / "inputs", inputs)
    old = time.time() - 3600
    for p in inputs.rglob("*"):
        os.utime(p, (old, old))
    out = tmp / "outputs"
    summary = yearly_report(fiscal_year=2024, inputs=inputs, outputs=out, archive=tmp / "archive")
    first = {name: (out / "2024" / name).read_bytes() for name in CSVS}
    first_docx = {p.relative_to(out / "2024").as_posix(): p.read_bytes() for p in sorted(out.rglob("*.docx"))}
    summary2 = yearly_report(fiscal_year=2024, inputs=inputs, outputs=out, archive=tmp / "archive")
    return {
        "tmp": tmp,
        "out": out / "2024",
        "summary": summary,
        "summary2": summary2,
        "first": first,
        "first_docx": first_docx,
    }

"""A task retried after a failure gives the same result and the same audit trail as one that did not fail."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from vision_report.core import audit
from vision_report.core.config import load_settings
from vision_report.screening import screen as screening

ROOT = Path(__file__).resolve().parents[1]
FILES = ("431001_熊本市_合成データ.csv", "433641_玉東町_合成データ.csv", "434442_甲佐町_合成データ.csv")


def _inputs(tmp: Path) -> Path:
    folder = tmp / "inputs" / "2024"
    folder.mkdir(parents=True)
    old = time.time() - 3600
    for name in FILES:
        shutil.copy(ROOT / "inputs" / "2024" / name, folder / name)
        os.utime(folder / name, (old, old))
    return tmp / "inputs"


def _trail(archive: Path) -> list[tuple]:
    """The audit log without the parts that differ between any two runs (time, user)."""
    return sorted(
        (e["event"], e.get("file"), e.get("sha256"), e.get("status"), e.get("errors"), e.get("warnings"))
        for e in audit.read_log(archive)
    )


def _issues(year: screening.Screening) -> dict[str, list[tuple]]:
    return {r.name: [(i.severity, i.rule, i.row, i.message) for i in r.issues] for r in year.received}


def _fail_once(monkeypatch, module, name: str, after_calls: int) -> list[str]:
    """Make module.name raise on its (after_calls + 1)-th call, once; returns a log of what happened."""
    real = getattr(module, name)
    state = {"calls": 0, "failed": False}
    happened: list[str] = []

    def flaky(*args, **kwargs):
        state["calls"] += 1
        if state["calls"] == after_calls + 1 and not state["failed"]:
            state["failed"] = True
            happened.append("failed")
            raise OSError("injected failure (disk hiccup)")
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, flaky)
    return happened


def test_collect_and_screen_retried_after_a_failure_equal_a_clean_run(tmp_path, plan, prefect_backend, monkeypatch):
    from flows.yearly_report import TASKS

    settings = load_settings(ROOT)
    inputs = _inputs(tmp_path)

    def run(archive: Path) -> screening.Screening:
        received = TASKS.collect(settings, plan, 2024, inputs, archive)
        year = TASKS.screen(received, plan, 2024, settings)
        TASKS.record_decisions(archive, year, "run-1")
        return year

    clean = run(tmp_path / "archive_clean")

    # The second file's archiving fails once, after the first file was archived (and audited) …
    failed_archive = _fail_once(monkeypatch, screening, "archive", after_calls=1)
    # … and the coverage suite fails once, after the row suite has attached its findings.
    failed_suite = _fail_once(monkeypatch, screening, "validate", after_calls=1)
    retried = run(tmp_path / "archive_retried")

    assert failed_archive == ["failed"] and failed_suite == ["failed"]  # the failures did happen
    assert _issues(retried) == _issues(clean)
    assert [r.status for r in retried.received] == [r.status for r in clean.received]
    assert retried.accepted_rows.equals(clean.accepted_rows)
    assert _trail(tmp_path / "archive_retried") == _trail(tmp_path / "archive_clean")
    events = [e["event"] for e in audit.read_log(tmp_path / "archive_retried")]
    assert events.count("file_received") == len(FILES) and events.count("file_checked") == len(FILES)


def test_screen_does_not_change_what_it_is_given(tmp_path, plan):
    settings = load_settings(ROOT)
    received = screening.collect(settings, plan, 2024, _inputs(tmp_path), tmp_path / "archive")
    before = [(r.status, list(r.issues)) for r in received]
    first = screening.screen(received, plan, 2024, settings)
    second = screening.screen(received, plan, 2024, settings)
    assert [(r.status, list(r.issues)) for r in received] == before
    assert _issues(first) == _issues(second)
    assert {r.name: r.status for r in first.received} == {
        "431001_熊本市_合成データ.csv": "accepted",
        "433641_玉東町_合成データ.csv": "rejected",
        "434442_甲佐町_合成データ.csv": "accepted_with_warnings",
    }


def test_recording_the_same_fact_twice_appends_nothing(tmp_path):
    events = [("file_received", {"fiscal_year": 2024, "file": "a.csv", "sha256": "ab"}, {"size": 3})]
    assert audit.record_once(tmp_path, events) == 1
    assert audit.record_once(tmp_path, events) == 0
    other = [("file_received", {"fiscal_year": 2024, "file": "a.csv", "sha256": "cd"}, {"size": 3})]
    assert audit.record_once(tmp_path, other) == 1
    assert [e["sha256"] for e in audit.read_log(tmp_path)] == ["ab", "cd"]


def test_the_steps_hand_their_arguments_to_prefect_opaque_and_prefects_keywords_as_they_are():
    """flows.yearly_report.Opaque (issue 21): every argument of a step reaches its task wrapped in ``opaque`` (Prefect
    does not walk into the year's objects), except Prefect's own keywords."""
    from prefect.utilities.annotations import opaque

    from flows.yearly_report import Opaque

    seen = {}

    def fake_task(*args, **kwargs):
        seen.update(args=args, kwargs=kwargs)
        return "done"

    marker = object()
    assert Opaque(fake_task)(1, [2], year=marker, wait_for=["f"], return_state=True) == "done"
    assert [type(a) for a in seen["args"]] == [opaque, opaque]
    assert [a.unwrap() for a in seen["args"]] == [1, [2]]
    assert isinstance(seen["kwargs"]["year"], opaque) and seen["kwargs"]["year"].unwrap() is marker
    assert seen["kwargs"]["wait_for"] == ["f"] and seen["kwargs"]["return_state"] is True

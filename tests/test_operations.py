"""Running it for real: year lock and audit log, one run per year at a time, crash then rerun."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CSVS

from vision_report import audit

ROOT = Path(__file__).resolve().parents[1]
FIX = Path(__file__).resolve().parent / "fixtures" / "submissions"


def _old(*paths: Path, age: float = 3600) -> None:
    t = time.time() - age
    for p in paths:
        os.utime(p, (t, t))


def test_second_run_of_the_same_year_is_refused_or_waits(tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys, time; from pathlib import Path; from vision_report.audit import run_lock\n"
                f"with run_lock(Path({str(tmp_path)!r}), 2024):\n"
                "    print('held', flush=True); time.sleep(3)\n"
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(audit.YearBusy, match="2024年度の集計が別に実行中です"):
        with audit.run_lock(tmp_path, 2024):
            pass
    with audit.run_lock(tmp_path, 2023):  # another year is not blocked
        pass
    start = time.monotonic()
    with audit.run_lock(tmp_path, 2024, wait_seconds=30):  # waits until the holder is done
        waited = time.monotonic() - start
    holder.wait(timeout=30)
    assert waited > 0.5


def test_lock_audit_and_unlock(tmp_path, prefect_backend):
    from flows.yearly_report import yearly_report

    inputs = tmp_path / "inputs" / "2024"
    inputs.mkdir(parents=True)
    first = inputs / "431001_熊本市.csv"
    shutil.copy(ROOT / "inputs" / "2024" / "431001_熊本市_合成データ.csv", first)
    _old(first)
    kw = {
        "fiscal_year": 2024,
        "inputs": tmp_path / "inputs",
        "outputs": tmp_path / "out",
        "archive": tmp_path / "archive",
    }
    yearly_report(**kw)
    published = {n: (tmp_path / "out" / "2024" / n).read_bytes() for n in CSVS}
    audit.lock_year(tmp_path / "archive", 2024, "議会報告済み")
    late = inputs / "434337_南阿蘇村.csv"
    shutil.copy(FIX / "good" / "434337_南阿蘇村.csv", late)
    _old(late, age=5)  # arrives after the lock
    summary = yearly_report(**kw)
    assert summary["locked"] is True
    assert {n: (tmp_path / "out" / "2024" / n).read_bytes() for n in CSVS} == published  # nothing changed
    after = (tmp_path / "out" / "2024" / "after_lock" / "submissions.csv").read_text(encoding="utf-8-sig")
    assert "434337_南阿蘇村.csv" in after
    assert any(p.suffix == ".csv" for p in (tmp_path / "archive" / "2024").iterdir())
    log = audit.read_log(tmp_path / "archive")
    events = [e["event"] for e in log]
    assert events[:2] == ["run_started", "file_received"] and "lock" in events
    received = [e for e in log if e["event"] == "file_received"]
    assert {e["file"] for e in received} == {"431001_熊本市.csv", "434337_南阿蘇村.csv"}
    assert all(len(e["sha256"]) == 64 and e["size"] > 0 for e in received)
    assert any(e["event"] == "file_checked" and e["status"] == "accepted" for e in log)
    assert audit.unlock_year(tmp_path / "archive", 2024, "差替え")
    yearly_report(**kw)
    subs = (tmp_path / "out" / "2024" / "submissions.csv").read_text(encoding="utf-8-sig")
    assert "434337_南阿蘇村.csv" in subs  # counted again after unlock
    events = [e["event"] for e in audit.read_log(tmp_path / "archive")]
    assert events.count("run_finished") == 3 and "unlock" in events
    lines = (tmp_path / "archive" / audit.AUDIT_FILE).read_text(encoding="utf-8").splitlines()
    assert lines[: len(log)] == [__import__("json").dumps(e, ensure_ascii=False, sort_keys=True) for e in log]


def _run(proj: Path, out: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "vision-report"),
            "--root",
            str(proj),
            "run",
            "--fiscal-year",
            "2024",
            "--outputs",
            str(out),
            "--archive",
            str(proj / "archive"),
        ],
        env=env,
        cwd=proj,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def test_killed_run_then_rerun_gives_the_uninterrupted_outputs(tmp_path):
    proj = tmp_path / "proj"
    for part in ("config", "plans", "expectations", "templates", "inputs"):
        shutil.copytree(ROOT / part, proj / part)
    for p in (proj / "inputs").rglob("*"):
        _old(p)
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_LOGGING_LEVEL": "WARNING"}
    clean = _run(proj, tmp_path / "clean", env)
    assert clean.wait(timeout=600) == 0, clean.stderr.read()
    victim = _run(proj, tmp_path / "crash", env)
    target = tmp_path / "crash" / "2024"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and not (target / "feedback").is_dir():
        time.sleep(0.2)
    time.sleep(0.5)  # in the middle of writing feedback and reports
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait(timeout=60)
    # what a reader could see right after the crash: only whole files
    for p in target.rglob("*.csv"):
        data = p.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf") and data.endswith(b"\n"), p
    rerun = _run(proj, tmp_path / "crash", env)
    assert rerun.wait(timeout=600) == 0, rerun.stderr.read()
    for name in CSVS:
        assert (target / name).read_bytes() == (tmp_path / "clean" / "2024" / name).read_bytes(), name
    crash_files = sorted(p.relative_to(target) for p in target.rglob("*") if p.is_file() and "data_docs" not in p.parts)
    clean_files = sorted(
        p.relative_to(tmp_path / "clean" / "2024")
        for p in (tmp_path / "clean" / "2024").rglob("*")
        if p.is_file() and "data_docs" not in p.parts
    )
    assert crash_files == clean_files  # no stale temp files, nothing missing


def test_watch_gives_feedback_within_seconds_of_a_drop(tmp_path, plan):
    import threading

    from vision_report.config import load_settings
    from vision_report.watch import watch

    settings = load_settings(ROOT)
    inputs, outputs, archive = tmp_path / "inputs", tmp_path / "outputs", tmp_path / "archive"
    (inputs / "2024").mkdir(parents=True)
    results: list[tuple[str, str]] = []
    t = threading.Thread(
        target=watch,
        args=(settings, plan, 2024, inputs, outputs, archive),
        kwargs={"interval": 0.2, "stop_after": 12, "on_result": lambda n, s: results.append((n, s))},
    )
    t.start()
    time.sleep(0.5)
    dropped = time.monotonic()
    shutil.copy(FIX / "bad" / "434337_value_not_number.csv", inputs / "2024" / "434337_南阿蘇村.csv")
    feedback = outputs / "2024" / "feedback" / "434337_南阿蘇村.txt"
    while not feedback.exists() and time.monotonic() - dropped < 25:
        time.sleep(0.1)
    assert feedback.exists(), "no feedback within 25 s"
    text = feedback.read_bytes().decode("utf-8-sig")
    assert "差戻し" in text and "約500" in text
    t.join(timeout=40)
    assert results == [("434337_南阿蘇村.csv", "rejected")]  # checked once, after it settled
    events = [e["event"] for e in audit.read_log(archive)]
    assert events == ["file_received", "file_checked"]


def test_deployments_point_at_real_flows_and_a_valid_schedule():
    import importlib
    from datetime import date

    import yaml
    from prefect.client.schemas.schedules import CronSchedule

    from flows.yearly_report import previous_fiscal_year

    cfg = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    names = {d["name"] for d in cfg["deployments"]}
    assert {"yearly", "on-demand"} <= names
    for d in cfg["deployments"]:
        path, func = d["entrypoint"].split(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        assert hasattr(getattr(module, func), "fn"), d["entrypoint"]  # a Prefect flow
        for s in d.get("schedules", []):
            CronSchedule(cron=s["cron"], timezone=s["timezone"])  # raises if the cron line is invalid
            assert s["timezone"] == "Asia/Tokyo"
    assert previous_fiscal_year(date(2026, 6, 1)) == 2025  # after 出納整理期間 (May 31)
    assert previous_fiscal_year(date(2026, 5, 31)) == 2024

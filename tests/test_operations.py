"""Running it for real: year lock and audit log, one run per year at a time, crash then rerun."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CSVS

from vision_report.core import audit

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
                "import sys, time; from pathlib import Path; from vision_report.core.audit import run_lock\n"
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


def test_watch_gives_feedback_within_seconds_of_a_drop(tmp_path, plan):
    import threading

    from vision_report.core.config import load_settings
    from vision_report.operations.watch import watch

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
    assert previous_fiscal_year(date(2026, 7, 1)) == 2025  # the day after the default deadline (2026-06-30)
    assert previous_fiscal_year(date(2026, 6, 30)) == 2024  # FY2025 may still be submitted that day


def test_yearly_schedule_comes_after_the_configured_deadline():
    """The cron line of the yearly deployment fires after the default deadline, both in Japan time."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import yaml

    from flows.yearly_report import previous_fiscal_year
    from vision_report.core.config import load_settings

    cfg = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    assert "pull" not in cfg  # `prefect deploy` records the project folder itself: nothing left to resolve
    (yearly,) = [d for d in cfg["deployments"] if d["name"] == "yearly"]
    (s,) = yearly["schedules"]
    assert s["timezone"] == "Asia/Tokyo" and "日本時間" in yearly["description"]
    minute, hour, day, month, weekday = s["cron"].split()  # a yearly line: fixed minute, hour, day and month
    assert weekday == "*" and all(x.isdigit() for x in (minute, hour, day, month))
    deadlines = load_settings(ROOT).deadlines
    jst = ZoneInfo("Asia/Tokyo")
    for fy in (2024, 2025):
        deadline = deadlines.for_year(fy)
        end_of_deadline = datetime(deadline.year, deadline.month, deadline.day, 23, 59, 59, tzinfo=jst)
        fire = datetime(deadline.year, int(month), int(day), int(hour), int(minute), tzinfo=jst)
        assert end_of_deadline < fire, (fy, fire)
        assert previous_fiscal_year(fire.date(), deadlines) == fy  # the run on that day reports that year


def test_a_busy_year_is_refused_with_one_japanese_line_and_nothing_started(tmp_path):
    proj = tmp_path / "proj"
    for part in ("config", "plans", "expectations", "templates"):
        shutil.copytree(ROOT / part, proj / part)
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")}
    with audit.run_lock(tmp_path / "archive", 2024):
        r = subprocess.run(
            [
                str(Path(sys.executable).parent / "vision-report"),
                "--root",
                str(proj),
                "run",
                "--fiscal-year",
                "2024",
                "--archive",
                str(tmp_path / "archive"),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert r.returncode == 3
    assert r.stderr.splitlines() == [
        "エラー: 2024年度の集計が別に実行中です。終わってから実行してください（待つ場合は --wait 秒数 を指定）。"
    ]
    assert "Prefect サーバー" not in r.stdout  # refused before anything started
    assert not (tmp_path / "prefect" / "logs").exists()


def test_a_year_with_no_submission_warns_in_summary_audit_and_cover(tmp_path, prefect_backend):
    from docx import Document

    from flows.yearly_report import yearly_report

    (tmp_path / "inputs" / "2025").mkdir(parents=True)
    summary = yearly_report(
        fiscal_year=2025, inputs=tmp_path / "inputs", outputs=tmp_path / "out", archive=tmp_path / "archive"
    )
    assert summary["no_submissions"] is True
    assert summary["warning"].startswith("2025年度の提出ファイルが1件もありません")
    (finished,) = [e for e in audit.read_log(tmp_path / "archive") if e["event"] == "run_finished"]
    assert finished["no_submissions"] is True
    cover = [p.text for p in Document(tmp_path / "out" / "2025" / "report_2025.docx").paragraphs[:30]]
    assert "注意: この年度は提出ファイルが1件も届いていません。数値はすべて「未提出」として扱っています。" in cover


def test_prefect_that_cannot_start_is_said_in_japanese_and_audited(tmp_path):
    proj = tmp_path / "proj"
    for part in ("config", "plans", "expectations", "templates", "inputs"):
        shutil.copytree(ROOT / part, proj / part)
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    # a database nobody listens on: Prefect cannot prepare it, whatever the machine's load
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect"),
        PREFECT_API_DATABASE_CONNECTION_URL="postgresql+asyncpg://nobody@127.0.0.1:9/none",
    )
    r = subprocess.run(
        [str(Path(sys.executable).parent / "vision-report"), "--root", str(proj), "run", "--fiscal-year", "2024"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 1
    assert r.stderr.startswith(
        "エラー: 2024年度の集計を開始できませんでした。Prefect のデータベースを準備できませんでした"
    )
    assert "対処: " in r.stderr
    (failed,) = [e for e in audit.read_log(proj / "archive") if e["event"] == "run_failed"]
    assert failed["reason"] == "server_start_failed" and failed["fiscal_year"] == 2024
    assert not (proj / "outputs" / "2024").exists()

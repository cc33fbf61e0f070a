"""The command line: check, reminders, deadlines, fiscal years outside the plan."""

from __future__ import annotations

import csv
import io
import os
import shutil
import time
from pathlib import Path

import pytest

from vision_report.cli import main
from vision_report.outputs.submission_templates import write_templates

ROOT = Path(__file__).resolve().parents[1]
FIX = Path(__file__).resolve().parent / "fixtures" / "submissions"


def test_check_accepts_a_good_file(capsys):
    assert main(["check", str(FIX / "good" / "434337_南阿蘇村_sjis.csv"), "--fiscal-year", "2024"]) == 0
    assert "受け付けられます" in capsys.readouterr().out


def test_check_refuses_a_bad_file_with_row_and_column(capsys):
    assert main(["check", str(FIX / "bad" / "434337_value_not_number.csv"), "--fiscal-year", "2024"]) == 1
    out = capsys.readouterr().out
    assert "  65行目・「実績値」列：実績値「約500」を数値として読めません。\n      入力値: 約500\n" in out
    assert "このファイルは差し戻しになります（エラー 1 件）" in out


@pytest.mark.parametrize("fiscal_year", [2019, 2031])
def test_a_fiscal_year_no_plan_covers_is_refused_before_anything_runs(tmp_path, capsys, fiscal_year):
    out = tmp_path / "outputs"
    args = ["run", "--fiscal-year", str(fiscal_year), "--outputs", str(out), "--archive", str(tmp_path / "a")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"エラー: {fiscal_year}年度を対象とする計画がありません（設定済み: 2021年度〜2025年度")
    assert f"config/vision-report.yaml の plans: に {fiscal_year}年度を含む計画のフォルダを追加してください" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not out.exists() and not (tmp_path / "a").exists()  # no flow, no archive, no outputs
    assert main(["check", str(FIX / "good" / "434337_南阿蘇村.csv"), "--fiscal-year", str(fiscal_year)]) == 2


def test_check_does_not_archive_or_audit(tmp_path, capsys):
    proj = tmp_path / "proj"
    for part in ("config", "plans", "expectations", "templates"):
        shutil.copytree(ROOT / part, proj / part)
    assert main(["--root", str(proj), "check", str(FIX / "good" / "434337_南阿蘇村.csv"), "--fiscal-year", "2024"]) == 0
    assert "このファイルは受け付けられます" in capsys.readouterr().out
    assert sorted(p.name for p in proj.iterdir()) == ["config", "expectations", "plans", "templates"]


def test_templates_follow_the_years_members(tmp_path, plan):
    assert len(write_templates(plan, 2025, tmp_path)) == 2 * 24  # 20 in the vision + 4 added on 2025-03-27
    assert len(write_templates(plan, 2021, tmp_path / "2021")) == 2 * 18  # 山鹿市・玉名市 not members yet
    arao = list(csv.reader(io.StringIO((tmp_path / "432041_荒尾市_2025年度.csv").read_bytes()[3:].decode("utf-8"))))
    assert [r[0] for r in arao[1:]] == ["KPI"] * 6  # no initiative recorded yet: the region-wide KPIs only
    assert [r[1] for r in arao[1:]] == [k.id for k in plan.kpis if k.reporters_all]


def test_a_filled_template_is_accepted(tmp_path, plan, capsys):
    write_templates(plan, 2024, tmp_path)
    src = (tmp_path / "434337_南阿蘇村_2024年度.csv").read_bytes()[3:].decode("utf-8")
    rows = list(csv.reader(io.StringIO(src)))
    for r in rows[1:]:
        r[3] = "0" if r[0] == "事業費" else "10"
        r[5] = "実施" if r[0] == "事業費" else ""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    f = tmp_path / "434337_filled.csv"
    f.write_bytes(buf.getvalue().encode("cp932"))
    old = time.time() - 3600
    os.utime(f, (old, old))
    assert main(["check", str(f), "--fiscal-year", "2024"]) == 0


def test_reminders_list_who_must_resubmit(tmp_path, capsys):
    import shutil
    from datetime import datetime
    from zoneinfo import ZoneInfo

    inputs = tmp_path / "inputs"
    shutil.copytree(ROOT / "inputs" / "2024", inputs / "2024")
    on_time = datetime(2025, 6, 1, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo")).timestamp()
    late = datetime(2025, 7, 2, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo")).timestamp()
    for p in (inputs / "2024").iterdir():
        t = late if p.name.startswith("432067_") else on_time
        os.utime(p, (t, t))
    (inputs / "2024" / "434477_山都町_合成データ.csv").unlink()  # one member has not submitted
    (inputs / "2024" / ".synthetic_receipts.json").unlink()  # the receipt times set above, not the samples' own
    assert main(["reminders", "--fiscal-year", "2024", "--inputs", str(inputs)]) == 0
    out = capsys.readouterr().out
    assert "提出期限 2025年6月30日" in out
    assert "要再提出（差戻し）" in out and "玉東町（433641）" in out and "高森町（434281）" in out
    assert "未提出" in out and "山都町（434477）" in out
    assert "期限後受理" in out and "玉名市（432067）" in out
    assert "熊本市" not in out.split("提出状況")[1]  # accepted on time: not listed
    assert "督促が必要な市町村: 3" in out


def test_timeliness_against_the_deadline_in_japan_time():
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from vision_report.screening.screen import timeliness

    jst = ZoneInfo("Asia/Tokyo")
    deadline = date(2025, 6, 30)
    assert timeliness(datetime(2025, 6, 30, 23, 59, tzinfo=jst).timestamp(), deadline) == "on_time"
    assert timeliness(datetime(2025, 7, 1, 0, 0, tzinfo=jst).timestamp(), deadline) == "late"
    assert timeliness(None, deadline) == ""


def test_deadline_is_configurable(tmp_path):
    from datetime import date

    from vision_report.core.config import Deadlines

    assert Deadlines().for_year(2024) == date(2025, 6, 30)
    assert Deadlines(years={2024: "2025-07-15"}).for_year(2024) == date(2025, 7, 15)
    assert Deadlines(default="{next_year}-05-31").for_year(2023) == date(2024, 5, 31)


def test_the_command_process_exits_with_mains_code_and_its_whole_output(tmp_path):
    """The ``vision-report`` process (cli.entry: main, then the objects frozen before the interpreter's exit) gives
    main's exit code and all it printed: a check that passes (0, its verdict last), one that refuses (1), and a
    fiscal year no plan covers (2, the message on stderr)."""
    import subprocess
    import sys

    def command(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "vision_report.cli", *args], capture_output=True, text=True, cwd=ROOT, timeout=300
        )

    good = command("check", str(FIX / "good" / "434337_南阿蘇村_sjis.csv"), "--fiscal-year", "2024")
    assert good.returncode == 0 and "受け付けられます" in good.stdout.strip().splitlines()[-1]
    bad = command("check", str(FIX / "bad" / "434337_value_not_number.csv"), "--fiscal-year", "2024")
    assert bad.returncode == 1 and "このファイルは差し戻しになります（エラー 1 件）" in bad.stdout
    outside = command(
        "run", "--fiscal-year", "2019", "--outputs", str(tmp_path / "o"), "--archive", str(tmp_path / "a")
    )
    assert outside.returncode == 2 and outside.stderr.startswith("エラー: 2019年度を対象とする計画がありません")

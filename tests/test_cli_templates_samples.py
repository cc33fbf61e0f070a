"""`vision-report check` and `templates`, and the synthetic sample generator."""

from __future__ import annotations

import csv
import io
import os
import random
import time
from pathlib import Path

from openpyxl import load_workbook

from vision_report.cli import main
from vision_report.samples import FAULTY, make_sample_set, synthetic_rows
from vision_report.submission_templates import write_templates

ROOT = Path(__file__).resolve().parents[1]
FIX = Path(__file__).resolve().parent / "fixtures" / "submissions"


def test_check_accepts_a_good_file(capsys):
    assert main(["check", str(FIX / "good" / "434337_南阿蘇村_sjis.csv"), "--fiscal-year", "2024"]) == 0
    assert "受け付けられます" in capsys.readouterr().out


def test_check_refuses_a_bad_file_with_row_and_column(capsys):
    assert main(["check", str(FIX / "bad" / "434337_value_not_number.csv"), "--fiscal-year", "2024"]) == 1
    out = capsys.readouterr().out
    assert "差し戻し" in out and "行目「実績値」" in out and "約500" in out


def test_a_fiscal_year_outside_the_plan_is_refused_before_anything_runs(tmp_path, capsys):
    out = tmp_path / "outputs"
    assert main(["run", "--fiscal-year", "2019", "--outputs", str(out), "--archive", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert "2019年度" in err and "計画期間（2021〜2025年度）の外" in err
    assert not out.exists() and not (tmp_path / "a").exists()  # no flow, no archive, no outputs
    assert main(["check", str(FIX / "good" / "434337_南阿蘇村.csv"), "--fiscal-year", "2027"]) == 2


def test_check_does_not_archive(tmp_path, capsys):
    before = set((ROOT / "archive").rglob("*")) if (ROOT / "archive").exists() else set()
    main(["check", str(FIX / "good" / "434337_南阿蘇村.csv"), "--fiscal-year", "2024"])
    after = set((ROOT / "archive").rglob("*")) if (ROOT / "archive").exists() else set()
    assert before == after


def test_templates_rows_follow_participation(tmp_path, plan):
    paths = write_templates(plan, 2025, tmp_path)
    assert len(paths) == 2 * 24  # the members of FY2025 (20 in the vision + 4 added on 2025-03-27)
    assert len(write_templates(plan, 2021, tmp_path / "2021")) == 2 * 18  # 山鹿市・玉名市 not members yet
    arao = list(csv.reader(io.StringIO((tmp_path / "432041_荒尾市_2025年度.csv").read_bytes()[3:].decode("utf-8"))))
    assert [r[0] for r in arao[1:]] == ["KPI"] * 6  # no initiative recorded yet: the region-wide KPIs only
    csv_path = tmp_path / "434337_南阿蘇村_2025年度.csv"
    data = csv_path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data[3:].decode("utf-8"))))
    assert rows[0] == ["区分", "ID", "項目名", "実績値", "単位", "実施状況", "備考", "市町村コード", "年度"]
    exp = [r[1] for r in rows[1:] if r[0] == "事業費"]
    kpi = [r[1] for r in rows[1:] if r[0] == "KPI"]
    assert exp == [i.id for i in plan.initiatives_of("434337")]
    assert "3.12.2" not in exp and len(exp) < 70
    assert kpi == [k.id for k in plan.kpis_reported_by("434337")] and "port_teu" not in kpi
    assert all(r[3] == "" and r[7] == "434337" and r[8] == "2025" for r in rows[1:])
    wb = load_workbook(tmp_path / "434337_南阿蘇村_2025年度.xlsx")
    ws = wb.worksheets[0]
    assert [[c.value or "" for c in row] for row in ws.iter_rows()] == [[c for c in r] for r in rows]
    lists = [dv.formula1 for dv in ws.data_validations.dataValidation]
    assert '"実施,一部実施,未実施,完了"' in lists
    assert wb.sheetnames == ["提出データ", "記入方法"]


def test_templates_are_deterministic(tmp_path, plan):
    a, b = tmp_path / "a", tmp_path / "b"
    write_templates(plan, 2025, a)
    time.sleep(1.1)
    write_templates(plan, 2025, b)
    for p in a.iterdir():
        assert p.read_bytes() == (b / p.name).read_bytes(), p.name


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


def test_sample_generator_is_deterministic_and_marked_synthetic(tmp_path, plan):
    a = make_sample_set(plan, tmp_path / "a", [2023, 2024])
    b = make_sample_set(plan, tmp_path / "b", [2023, 2024])
    assert [p.name for p in a] == [p.name for p in b]
    for p, q in zip(a, b, strict=True):
        assert p.read_bytes() == q.read_bytes(), p.name
        assert "合成データ" in p.name and p.name[:6].isdigit()
    assert set(FAULTY) <= {p.name for p in a if p.parent.name == "2024"}
    readme = (ROOT / "inputs" / "README.md").read_text(encoding="utf-8")
    for name in FAULTY:
        assert name in readme and (ROOT / "inputs" / "2024" / name).is_file()
    assert "合成データ" in readme and "実在の数値ではありません" in readme


def test_synthetic_rows_cover_participation(plan):
    rows = synthetic_rows(plan, "434337", 2024, random.Random(1))
    assert [r["id"] for r in rows if r["kind"] == "expenditure"] == [i.id for i in plan.initiatives_of("434337")]
    assert rows[0]["note"].startswith("合成データ")


def test_committed_samples_are_what_the_generator_makes(tmp_path, plan):
    made = make_sample_set(plan, tmp_path, [2021, 2022, 2023, 2024, 2025], faulty_year=2024)
    for p in made:
        committed = ROOT / "inputs" / p.relative_to(tmp_path)
        assert committed.read_bytes() == p.read_bytes(), committed
    assert len(made) == sum(1 for p in (ROOT / "inputs").rglob("*") if p.is_file() and p.name != "README.md")


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
    assert main(["reminders", "--fiscal-year", "2024", "--inputs", str(inputs)]) == 0
    out = capsys.readouterr().out
    assert "提出期限 2025年06月30日" in out
    assert "要再提出（差戻し）" in out and "玉東町（433641）" in out and "高森町（434281）" in out
    assert "未提出" in out and "山都町（434477）" in out
    assert "期限後受理" in out and "玉名市（432067）" in out
    assert "熊本市" not in out.split("提出状況")[1]  # accepted on time: not listed
    assert "督促が必要な市町村: 3" in out


def test_timeliness_against_the_deadline_in_japan_time():
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from vision_report.pipeline import timeliness

    jst = ZoneInfo("Asia/Tokyo")
    deadline = date(2025, 6, 30)
    assert timeliness(datetime(2025, 6, 30, 23, 59, tzinfo=jst).timestamp(), deadline) == "on_time"
    assert timeliness(datetime(2025, 7, 1, 0, 0, tzinfo=jst).timestamp(), deadline) == "late"
    assert timeliness(None, deadline) == ""


def test_deadline_is_configurable(tmp_path):
    from datetime import date

    from vision_report.config import Deadlines

    assert Deadlines().for_year(2024) == date(2025, 6, 30)
    assert Deadlines(years={2024: "2025-07-15"}).for_year(2024) == date(2025, 7, 15)
    assert Deadlines(default="{next_year}-05-31").for_year(2023) == date(2024, 5, 31)

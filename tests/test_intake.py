"""Intake of hostile inputs: links, huge files, files still being written, newest-wins, archive."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from vision_report.core.config import ValidationSettings, load_settings
from vision_report.intake.files import Issue, archive, cap_issues, discover, submission_of
from vision_report.intake.normalize import load_units, parse_number
from vision_report.intake.reading import decode
from vision_report.intake.rows import read_submission
from vision_report.screening.screen import collect, screen, submissions_table

FIX = Path(__file__).resolve().parent / "fixtures" / "submissions"
GOOD = FIX / "good" / "434337_南阿蘇村.csv"
OLD = time.time() - 3600


def _inputs(tmp_path: Path) -> Path:
    d = tmp_path / "inputs" / "2024"
    d.mkdir(parents=True)
    return d


def _age(*paths: Path, t: float = OLD) -> None:
    for p in paths:
        os.utime(p, (t, t), follow_symlinks=False)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1,234", 1234),
        ("１２３４", 1234),
        ("▲120", -120),
        ("△120", -120),
        ("+4,771", 4771),
        ("  12 ", 12),
        ("１，２３４", 1234),
        ("-5", -5),
        ("1.5", 1.5),
        ("\u300012\u3000", 12),
    ],
)
def test_numbers_as_people_type_them(text, expected):
    assert parse_number(text).value == expected and parse_number(text).problem == ""


@pytest.mark.parametrize(
    "text, problem",
    [
        ("約500", "not_number"),
        ("12,34", "not_number"),
        ("", "empty"),
        ("   ", "empty"),
        ("=SUM(A1:A9)", "formula"),
        ("1,234千円", "not_number"),
        ("▲-1", "not_number"),
        ("一二三", "not_number"),
    ],
)
def test_anything_else_is_an_error_never_a_zero(text, problem):
    r = parse_number(text)
    assert r.value is None and r.problem == problem


def test_decode_utf8_bom_and_cp932():
    assert decode("区分".encode("utf-8-sig")) == ("区分", "UTF-8（BOM付き）")
    assert decode("区分".encode())[1] == "UTF-8"
    assert decode("区分".encode("cp932")) == ("区分", "Shift_JIS（CP932）")
    assert decode(b"\x81\x20\xff") is None


def test_symlink_outside_inputs_is_never_followed(tmp_path, plan):
    inputs = _inputs(tmp_path)
    secret = tmp_path / "outside" / "secret.csv"
    secret.parent.mkdir()
    shutil.copy(GOOD, secret)
    link = inputs / "434337_南阿蘇村.csv"
    link.symlink_to(secret)
    _age(secret, link)
    settings = load_settings()
    received = collect(settings, plan, 2024, tmp_path / "inputs", tmp_path / "archive")
    (rec,) = received
    assert [i.rule for i in rec.issues] == ["symlink"] and rec.sha256 is None
    assert not (tmp_path / "archive" / "2024").exists() or not any((tmp_path / "archive" / "2024").iterdir())
    (rec,) = screen(received, plan, 2024, settings).received
    assert rec.status == "rejected"


def test_oversized_file_is_refused_without_being_read(tmp_path, plan, monkeypatch):
    inputs = _inputs(tmp_path)
    big = inputs / "434337_南阿蘇村.csv"
    with big.open("wb") as f:  # sparse: 50 MB without writing 50 MB
        f.truncate(50_000_000)
    small = inputs / "431001_熊本市.csv"
    shutil.copy(GOOD, small)
    _age(big, small)
    settings = load_settings()
    read = []
    import vision_report.intake.rows as intake

    real = intake.read_table
    monkeypatch.setattr(intake, "read_table", lambda rec, data: read.append(rec.name) or real(rec, data))
    received = collect(settings, plan, 2024, tmp_path / "inputs", tmp_path / "archive")
    by = {r.name: r for r in screen(received, plan, 2024, settings).received}
    assert "too_large" in {i.rule for i in by[big.name].issues} and by[big.name].status == "rejected"
    assert big.name not in read  # never read into memory for parsing
    assert by[big.name].sha256  # but archived (streamed), nothing received is lost
    assert (tmp_path / "archive" / "2024" / f"{by[big.name].sha256}.csv").stat().st_size == 50_000_000


def test_file_still_being_written_waits_for_the_next_run(tmp_path, plan):
    inputs = _inputs(tmp_path)
    fresh = inputs / "434337_南阿蘇村.csv"
    shutil.copy(GOOD, fresh)  # modified just now
    settings = load_settings()
    received = collect(settings, plan, 2024, tmp_path / "inputs", tmp_path / "archive")
    assert [r.status for r in received] == ["pending"]
    assert submissions_table(plan, received, 2024).set_index("file").loc[fresh.name, "status"] == "pending"


def test_newest_file_wins_and_every_file_is_archived(tmp_path, plan):
    inputs = _inputs(tmp_path)
    older = inputs / "434337_南阿蘇村_第1版.csv"
    newer = inputs / "434337_南阿蘇村_第2版.csv"
    shutil.copy(FIX / "bad" / "434337_value_not_number.csv", older)
    shutil.copy(GOOD, newer)
    _age(older, t=OLD - 100)
    _age(newer)
    settings = load_settings()
    received = collect(settings, plan, 2024, tmp_path / "inputs", tmp_path / "archive")
    by = {r.name: r for r in received}
    assert by[older.name].status == "superseded" and by[newer.name].status == ""
    archived = sorted(p.name for p in (tmp_path / "archive" / "2024").iterdir())
    assert f"{by[older.name].sha256}.csv" in archived and f"{by[newer.name].sha256}.csv" in archived
    assert all(p.suffix in (".csv", ".json") for p in (tmp_path / "archive" / "2024").iterdir())


def test_archive_is_never_overwritten_or_deleted(tmp_path, plan):
    inputs = _inputs(tmp_path)
    f = inputs / "434337_南阿蘇村.csv"
    shutil.copy(GOOD, f)
    _age(f)
    settings = load_settings()
    (rec,) = collect(settings, plan, 2024, tmp_path / "inputs", tmp_path / "archive")
    stored = tmp_path / "archive" / "2024" / f"{rec.sha256}.csv"
    assert stored.read_bytes() == GOOD.read_bytes()
    assert not os.access(stored, os.W_OK) or os.geteuid() == 0  # read-only (root may still write)
    assert stored.stat().st_mode & 0o222 == 0
    before = stored.stat().st_mtime_ns
    f.write_bytes(b"changed")  # the clerk replaces the file; the old content stays archived
    _age(f)
    (rec2,) = collect(settings, plan, 2024, tmp_path / "inputs", tmp_path / "archive")
    assert rec2.sha256 != rec.sha256 and stored.stat().st_mtime_ns == before
    assert stored.read_bytes() == GOOD.read_bytes()


def test_discover_ignores_office_lock_files_and_subfolders(tmp_path, plan):
    inputs = _inputs(tmp_path)
    (inputs / "~$434337_南阿蘇村.xlsx").write_bytes(b"lock")
    (inputs / ".DS_Store").write_bytes(b"x")
    (inputs / "old").mkdir()
    assert discover(tmp_path / "inputs", 2024, plan, max_bytes=10**6, settle_seconds=0) == []


def test_a_stray_file_never_supersedes_the_submission(tmp_path, plan):
    inputs = _inputs(tmp_path)
    sub = inputs / "432083_山鹿市.csv"
    shutil.copy(GOOD, sub)
    letter = inputs / "432083_山鹿市_送付状.pdf"
    letter.write_bytes(b"%PDF-1.4 synthetic cover letter")
    _age(sub, t=OLD - 100)
    _age(letter)  # dropped after the CSV
    settings = load_settings()
    received = collect(settings, plan, 2024, tmp_path / "inputs", tmp_path / "archive")
    by = {r.name: r for r in received}
    assert by[sub.name].status == "" and by[letter.name].status == "not_submission"
    assert by[letter.name].sha256 and (tmp_path / "archive" / "2024" / f"{by[letter.name].sha256}.pdf").is_file()
    year = screen(received, plan, 2024, settings)
    assert set(year.rows["file"]) == {sub.name}  # the PDF is never read
    by = {r.name: r for r in year.received}
    # the CSV is judged (南阿蘇村's rows under 山鹿市's name: refused for that), never superseded by the PDF
    assert by[letter.name].status == "not_submission" and by[sub.name].status == "rejected"
    assert submission_of(list(year.received)) is by[sub.name]
    subs = submissions_table(plan, year.received, 2024).set_index("file")
    assert subs.loc[letter.name, "status"] == "not_submission" and subs.loc[sub.name, "status"] == "rejected"
    assert "432083" not in set(subs[subs["status"] == "missing"]["municipality_code"])


def test_a_symlink_named_like_a_members_file_never_stands_for_it(tmp_path, plan, monkeypatch):
    inputs = _inputs(tmp_path)
    real = inputs / "431001_熊本市.csv"
    shutil.copy(GOOD, real)
    link = inputs / "431001_熊本市_最新.csv"
    link.symlink_to(real)
    _age(real, t=OLD - 100)
    _age(link)  # the link is "newer"
    import vision_report.intake.rows as intake

    read = []
    original = intake.read_table
    monkeypatch.setattr(intake, "read_table", lambda rec, data: read.append(rec.name) or original(rec, data))
    settings = load_settings()
    received = collect(settings, plan, 2024, tmp_path / "inputs", tmp_path / "archive")
    year = screen(received, plan, 2024, settings)
    by = {r.name: r for r in year.received}
    assert by[link.name].status == "rejected" and [i.rule for i in by[link.name].issues] == ["symlink"]
    assert by[link.name].sha256 is None and read == [real.name]  # refused without being read
    assert by[real.name].status == "rejected"  # judged on its own rows (南阿蘇村's under 熊本市's name)
    assert submission_of(list(year.received)) is by[real.name]


def test_row_limit_is_configurable_and_checked_before_validation(tmp_path, plan):
    inputs = _inputs(tmp_path)
    f = inputs / "434337_南阿蘇村.csv"
    shutil.copy(GOOD, f)
    _age(f)
    limits = ValidationSettings(max_rows=10)
    (rec,) = discover(tmp_path / "inputs", 2024, plan, max_bytes=10**6, settle_seconds=0, limits=limits)
    archive(rec, tmp_path / "archive")
    rows = read_submission(rec)
    assert rows.empty
    assert [(i.rule, i.value, i.expected) for i in rec.issues] == [
        ("too_many_rows", "65 行", "10 行以下（取組・KPIごとに1行）")
    ]


def test_issues_are_capped_per_file_and_rule():
    issues = [Issue("error", "a", "f.csv", f"a{k}", row=k) for k in range(5)]
    issues += [Issue("warning", "b", "f.csv", "b", row=9), Issue("error", "a", "g.csv", "g", row=1)]
    capped = cap_issues(issues, 2)
    assert [(i.file, i.rule, i.row, i.message) for i in capped] == [
        ("f.csv", "a", 0, "a0"),
        ("f.csv", "a", 1, "a1"),
        ("f.csv", "a", None, "…ほか 3 件（同じ種類のエラーです。一覧には最初の 2 件だけを示しています）"),
        ("f.csv", "b", 9, "b"),
        ("g.csv", "a", 1, "g"),
    ]


def test_count_units_come_from_the_configuration(root):
    units = load_units(root / "config" / "units.yaml")
    assert [units.is_count(u) for u in ("人", "件/年", "TEU", "人/日", "千人/年", "百万円", "千円")] == [
        True,
        True,
        True,
        True,
        True,
        False,
        False,
    ]


@pytest.mark.parametrize("name", ["４３１００１_熊本市.csv", "431001_熊本市.ＣＳＶ"])
def test_full_width_file_names_are_read_after_nfkc(tmp_path, plan, name):
    inputs = _inputs(tmp_path)
    shutil.copy(GOOD, inputs / name)
    (rec,) = discover(tmp_path / "inputs", 2024, plan, max_bytes=10**6, settle_seconds=0)
    assert rec.municipality_code == "431001" and rec.issues == [] and rec.name == name


@pytest.mark.parametrize("write_only", [False, True])  # with the sheet's size as Excel writes it, and without
def test_a_long_xlsx_is_refused_on_its_count(tmp_path, plan, write_only):
    from openpyxl import Workbook

    wb = Workbook(write_only=write_only)
    ws = wb.create_sheet("提出データ") if write_only else wb.active
    ws.append(["区分", "ID", "項目名", "実績値", "単位"])
    for _ in range(30):  # a fill-down accident
        ws.append(["KPI", "births", None, 61, "人"])
    inputs = _inputs(tmp_path)
    wb.save(inputs / "434337_南阿蘇村.xlsx")
    limits = ValidationSettings(max_rows=10, header_search_rows=3)
    (rec,) = discover(tmp_path / "inputs", 2024, plan, max_bytes=10**6, settle_seconds=0, limits=limits)
    archive(rec, tmp_path / "archive")
    assert read_submission(rec).empty
    assert [(i.rule, i.value) for i in rec.issues] == [("too_many_rows", "30 行")]

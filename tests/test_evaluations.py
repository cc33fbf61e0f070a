"""取組実績・成果・課題・今後の方向性・自己評価 (issue 13): accepted rows, evaluations.csv and initiative_texts.csv."""

from __future__ import annotations

import csv
import io
import os
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest

from vision_report.compute.evaluations import EVALUATIONS_COLUMNS, TEXTS_COLUMNS, evaluations_table, texts_table
from vision_report.core.config import load_settings
from vision_report.intake.files import archive, discover
from vision_report.outputs.writers import csv_bytes
from vision_report.screening.screen import ACCEPTED_ROW_COLUMNS, screen

FIX = Path(__file__).resolve().parent / "fixtures" / "submissions"
CODE = "434337"


def _screen(tmp_path: Path, plan, names: list[str], folder: str = "good", contents: bytes | None = None):
    inputs = tmp_path / "inputs" / "2024"
    inputs.mkdir(parents=True)
    for name in names:
        if contents is None:
            shutil.copy(FIX / folder / name, inputs / name)
        else:
            (inputs / name).write_bytes(contents)
        old = time.time() - 3600
        os.utime(inputs / name, (old, old))
    settings = load_settings()
    v = settings.validation
    received = discover(tmp_path / "inputs", 2024, plan, max_bytes=v.max_file_bytes, settle_seconds=0, limits=v)
    for r in received:
        archive(r, tmp_path / "archive")
    return screen(received, plan, 2024, settings)


def test_a_file_without_the_new_columns_is_accepted_as_before(tmp_path, plan):
    """Its values are used as before; since review 4 #2 it has one warning that no 自己評価 was given (it was 受理 with
    0 警告, while the member's report said the office had asked for the file again)."""
    year = _screen(tmp_path, plan, [f"{CODE}_南阿蘇村.csv"])
    (rec,) = year.received
    assert rec.status == "accepted_with_warnings"
    assert [(i.rule, i.severity) for i in rec.issues] == [("evaluation_blank", "warning")]
    rows = year.accepted_rows
    assert list(rows.columns) == ACCEPTED_ROW_COLUMNS
    for c in ("result_text", "outcome_text", "challenge_text", "direction", "self_evaluation"):
        assert set(rows[c]) == {""}, c


def test_accepted_rows_carry_the_cleaned_texts(tmp_path, plan):
    year = _screen(tmp_path, plan, [f"{CODE}_南阿蘇村_取組実績つき.csv"])
    (rec,) = year.received
    assert (rec.status, rec.issues) == ("accepted", [])
    rows = year.accepted_rows.set_index("item_id")
    assert rows.loc["1.1.1", "result_text"] == "（合成データ）講演会を2回開催し、\n計120人が参加した。"
    assert rows.loc["1.1.2", ["direction", "self_evaluation"]].tolist() == ["拡充", "A"]  # from " 拡充 " and Ａ
    assert rows.loc["1.1.3", ["direction", "self_evaluation"]].tolist() == ["継続", "A"]  # from a
    assert rows.loc["2.1.1", "outcome_text"] == "（合成データ）参加者アンケートで「満足」が8割を超えた。"
    assert rows.loc["births", ["result_text", "outcome_text", "direction", "self_evaluation"]].tolist() == [""] * 4


def test_evaluations_and_texts_tables(tmp_path, plan):
    year = _screen(tmp_path, plan, [f"{CODE}_南阿蘇村_取組実績つき.csv"])
    ev = evaluations_table(plan, year.accepted_rows, 2024)
    assert list(ev.columns) == EVALUATIONS_COLUMNS
    members = plan.members(2024)
    assert len(ev) == sum(len(plan.initiatives_of(m.code, 2024)) for m in members)  # member × its initiatives
    mine = ev[ev["municipality_code"] == CODE].set_index("initiative_id")
    assert [i.id for i in plan.initiatives_of(CODE, 2024)] == list(mine.index)
    first = mine.loc["1.1.1"]
    assert (first["fiscal_year"], first["municipality_name"], first["initiative_name"]) == (
        2024,
        "南阿蘇村",
        "産学連携支援事業",
    )
    assert (first["status"], first["self_evaluation"], first["direction"]) == ("実施", "B", "継続")
    # characters of the cleaned texts; the line break counts 1
    assert (first["result_text_chars"], first["outcome_text_chars"], first["challenge_text_chars"]) == (29, 28, 22)
    assert mine.loc["1.1.2", ["outcome_text_chars", "challenge_text_chars"]].tolist() == [0, 0]
    assert mine.loc["1.1.4", ["self_evaluation", "direction"]].tolist() == ["", ""]
    core = ev[ev["municipality_code"] == "431001"]  # sent nothing: keys only
    assert set(core["status"]) == {""} and core["result_text_chars"].isna().all()

    texts = texts_table(plan, year.accepted_rows, 2024)
    assert list(texts.columns) == TEXTS_COLUMNS
    assert list(texts["initiative_id"]) == list(ev["initiative_id"])
    t = texts[texts["municipality_code"] == CODE].set_index("initiative_id")
    assert t.loc["1.1.1", "result_text"] == "（合成データ）講演会を2回開催し、\n計120人が参加した。"
    assert t.loc["1.1.1", "challenge_text"] == "（合成データ）周知の方法を見直す必要がある。"


def test_evaluations_csv_leaves_counts_empty_where_nothing_was_sent(plan):
    ev = evaluations_table(plan, None, 2024)
    text = csv_bytes(ev)[3:].decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["result_text_chars"] == "" and rows[0]["status"] == ""
    assert list(rows[0]) == EVALUATIONS_COLUMNS


@pytest.mark.parametrize(
    "text",
    [
        "（合成データ）講演会を2回開催し、\n計120人が参加した。",
        "=1+2 で始まる文（合成データ）",
        "-（ハイフンで始まる文）\n二行目",
        '引用符"を含む文, コンマも（合成データ）',
    ],
)
def test_texts_survive_the_csv_round_trip(text):
    """UTF-8 with BOM, the cell quoted: Excel shows the line break inside the cell, and no formula is evaluated."""
    df = pd.DataFrame({"initiative_id": ["1.1.1"], "result_text": [text]})
    data = csv_bytes(df)
    assert data.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(data[3:]), dtype=str, keep_default_na=False)
    expected = "'" + text if text[0] in "=-" else text  # writers.neutralise_formula
    assert back.loc[0, "result_text"] == expected
    if "\n" in text:
        assert b'"' + expected.split("\n")[0].encode("utf-8") in data  # the multi-line cell is quoted


def _feedback(plan, year) -> str:
    from vision_report.outputs.feedback import feedbacks

    return feedbacks(plan, 2024, Path(__file__).resolve().parents[1] / "templates", year)["434337_南阿蘇村.txt"]


def test_feedback_lists_the_rows_without_result_text(tmp_path, plan):
    year = _screen(tmp_path, plan, [f"{CODE}_warn_result_text_missing.csv"], folder="bad")
    text = _feedback(plan, year)
    assert "■ 取組実績が空欄の取組（警告 1 件）\n" in text
    assert "・4行目 1.1.3 技術力向上支援（実施状況: 実施）\n" in text
    assert "取組実績が空欄です" not in text  # not listed twice (once among the warnings)


def test_feedback_lists_every_row_without_result_text_beyond_the_cap(tmp_path, plan):
    """The warnings are capped at 20 per rule; the section lists all of them."""
    src = (FIX / "good" / f"{CODE}_南阿蘇村_取組実績つき.csv").read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(src, newline="")))
    for r in rows[1:]:
        r[9] = ""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    year = _screen(tmp_path, plan, [f"{CODE}_南阿蘇村.csv"], contents=buf.getvalue().encode("utf-8-sig"))
    n = sum(1 for r in rows[1:] if r[0] == "事業費")
    assert n > 20
    (rec,) = year.received
    assert rec.status == "accepted_with_warnings" and len(rec.issues) == 21  # 20 + 「…ほか」
    text = _feedback(plan, year)
    assert f"■ 取組実績が空欄の取組（警告 {n} 件）" in text
    assert text.count("（実施状況: 実施）") == n


def test_feedback_of_a_refused_file_does_not_say_its_values_were_accepted(tmp_path, plan):
    """Warnings of a file refused for an error are still listed, but not as 「値は受け付けています」."""
    src = (FIX / "bad" / f"{CODE}_direction_unknown.csv").read_bytes().decode("utf-8-sig")
    src = src.replace("技術力向上支援,0,千円,実施,", "技術力向上支援,0,千円,実施,違う名前の取組です,", 0)
    rows = list(csv.reader(io.StringIO(src, newline="")))
    rows[3][2] = "別の名前"  # 項目名 differs from the plan: a warning
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    year = _screen(tmp_path, plan, [f"{CODE}_南阿蘇村.csv"], contents=buf.getvalue().encode("utf-8-sig"))
    (rec,) = year.received
    assert rec.status == "rejected" and {i.severity for i in rec.issues} == {"error", "warning"}
    text = _feedback(plan, year)
    assert "値は受け付けています" not in text
    assert "— エラーを直すときに、あわせて確認してください" in text


def test_feedback_tells_a_member_that_sent_no_self_evaluation_or_result_text(tmp_path, plan):
    """Issue 18 item 7: a file of the old columns (no 自己評価, no 取組実績 at all) is accepted, and its feedback says
    so with the counts of its expenditure rows, not 「すべての行を受け付けました」 alone."""
    year = _screen(tmp_path, plan, [f"{CODE}_南阿蘇村.csv"])
    (rec,) = year.received
    assert rec.status == "accepted_with_warnings"  # review 4 #2: the evaluation_blank warning (it was "accepted")
    n = len(plan.initiatives_of(CODE, 2024))
    text = _feedback(plan, year)
    # the one warning (review 4 #2) on a line of its own under its heading, then the counts as before
    assert (
        "■ 確認をお願いする点（警告 1 件） — 値は受け付けています\n"
        f"1. 事業費の{n}行のすべてで、自己評価、今後の方向性、取組実績、成果、課題の記入がありません（列がないか、すべて空欄です）。"
    ) in text
    assert f"■ 記入のない項目（事業費の行 {n} 件のうち）\n" in text
    assert f"・自己評価 0/{n} 件記入（{n} 件未記入） — この列は1件も記入されていません\n" in text
    assert f"・取組実績 0/{n} 件記入（{n} 件未記入） — この列は1件も記入されていません\n" in text


def test_feedback_counts_partly_filled_columns_and_is_silent_when_all_are_filled(tmp_path, plan):
    src = (FIX / "good" / f"{CODE}_南阿蘇村_取組実績つき.csv").read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(src, newline="")))
    exp = [r for r in rows[1:] if r[0] == "事業費"]
    for r in exp:
        r[9], r[13] = r[9] or "（合成データ）実施した。", r[13] or "B"
    exp[0][13] = ""  # one 自己評価 left empty

    def screened(sub: str):
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\r\n").writerows(rows)
        return _screen(tmp_path / sub, plan, [f"{CODE}_南阿蘇村.csv"], contents=buf.getvalue().encode("utf-8-sig"))

    text = _feedback(plan, screened("partly"))
    assert f"・自己評価 {len(exp) - 1}/{len(exp)} 件記入（1 件未記入）\n" in text
    assert "・取組実績" not in text and "1件も記入されていません" not in text
    exp[0][13] = "A"
    assert "記入のない項目" not in _feedback(plan, screened("all"))


def test_the_tables_read_each_members_row_by_member_and_initiative(plan):
    """The rows are matched to (member, initiative) a column at a time (issue 21): a member's row lands on its own
    initiative only, a key sent twice reads its last row, a missing text column reads as empty, a member that sent
    nothing for an initiative has empty counts."""
    code = plan.members(2024)[0].code
    first, second = [i.id for i in plan.initiatives_of(code, 2024)][:2]
    rows = pd.DataFrame(
        {
            "municipality_code": [code, code, code, "999999"],
            "kind": ["expenditure", "expenditure", "kpi", "expenditure"],
            "item_id": [first, first, second, second],
            "status": ["未実施", "実施", "実施", "実施"],
            "self_evaluation": ["C", "A", "B", "B"],
            "direction": ["", "継続", "", "拡充"],
            "result_text": ["前の行", "あと\nの行", "KPIの行", "他市"],
        }
    )
    ev = evaluations_table(plan, rows, 2024).set_index(["municipality_code", "initiative_id"])
    tx = texts_table(plan, rows, 2024).set_index(["municipality_code", "initiative_id"])
    assert ev.loc[(code, first), ["status", "self_evaluation", "direction"]].tolist() == ["実施", "A", "継続"]
    assert ev.loc[(code, first), ["result_text_chars", "outcome_text_chars"]].tolist() == [5, 0]
    assert tx.loc[(code, first), ["result_text", "outcome_text"]].tolist() == ["あと\nの行", ""]
    assert ev.loc[(code, second), "status"] == "" and pd.isna(ev.loc[(code, second), "result_text_chars"])
    assert tx.loc[(code, second), "result_text"] == ""
    assert "999999" not in ev.index.get_level_values(0)
    assert len(ev) == len(tx) == sum(len(plan.initiatives_of(m.code, 2024)) for m in plan.members(2024))


def test_missing_values_read_as_empty_and_a_year_without_members_gives_empty_tables(plan):
    """pandas' NA in a member's row reads as an empty text (length 0), as None and NaN do; a plan year without
    members gives the tables' columns with no rows, as text columns."""
    code = plan.members(2024)[0].code
    first = plan.initiatives_of(code, 2024)[0].id
    rows = pd.DataFrame(
        {
            "municipality_code": [code],
            "kind": ["expenditure"],
            "item_id": [first],
            "status": pd.array([pd.NA], dtype="string"),
            "result_text": pd.array([pd.NA], dtype="string"),
        }
    )
    ev = evaluations_table(plan, rows, 2024).set_index(["municipality_code", "initiative_id"])
    assert ev.loc[(code, first), "status"] == "" and ev.loc[(code, first), "result_text_chars"] == 0

    class NoMembers:
        def __getattr__(self, name):
            return getattr(plan, name)

        def members(self, fiscal_year):
            return []

    for table, columns in ((evaluations_table, EVALUATIONS_COLUMNS), (texts_table, TEXTS_COLUMNS)):
        empty = table(NoMembers(), rows, 2024)
        assert empty.empty and list(empty.columns) == columns
        assert empty["municipality_code"].dtype == object

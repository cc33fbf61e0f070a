"""Each validation rule refuses (or warns about) its own broken fixture, in one batch with the good files.

The fixtures are in tests/fixtures/submissions/ (regenerate with make_fixtures.py).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from vision_report.core.config import load_settings
from vision_report.intake.files import archive, discover
from vision_report.screening.screen import screen

FIX = Path(__file__).resolve().parent / "fixtures" / "submissions"

# file -> (status, rule that must be among its issues)
EXPECTED = {
    "434337_unknown_kind.csv": ("rejected", "unknown_kind"),
    "434337_unknown_initiative.csv": ("rejected", "unknown_initiative"),
    "434337_unknown_kpi.csv": ("rejected", "unknown_kpi"),
    "434337_not_participant.csv": ("rejected", "not_participant"),
    "434337_not_reporter.csv": ("rejected", "not_reporter"),
    "434337_value_not_number.csv": ("rejected", "value_not_number"),
    "434337_value_empty.csv": ("rejected", "value_not_number"),
    "434337_value_formula.csv": ("rejected", "value_not_number"),
    "434337_negative_expenditure.csv": ("rejected", "negative_expenditure"),
    "434337_negative_count.csv": ("rejected", "negative_count"),
    "434337_unit_not_convertible.csv": ("rejected", "unit_not_convertible"),
    "434337_duplicate_item.csv": ("rejected", "duplicate_item"),
    "434337_municipality_mismatch.csv": ("rejected", "municipality_mismatch"),
    "434337_fiscal_year_mismatch.csv": ("rejected", "fiscal_year_mismatch"),
    "434337_invalid_status.csv": ("rejected", "invalid_status"),
    "434337_formula_in_note.csv": ("rejected", "formula"),
    "434337_missing_column.csv": ("rejected", "missing_column"),
    "434337_empty.csv": ("rejected", "empty"),
    "434337_header_only.csv": ("rejected", "no_rows"),
    "434337_bad_encoding.csv": ("rejected", "encoding"),
    "南阿蘇村.csv": ("rejected", "file_name"),
    "439999_テスト町.csv": ("rejected", "unknown_municipality"),
    "434337_南阿蘇村.txt": ("not_submission", "file_type"),
    "434337_南阿蘇村_送付状.pdf": ("not_submission", "file_type"),
    "434337_too_many_rows.csv": ("rejected", "too_many_rows"),
    "434337_duplicate_value_column.csv": ("rejected", "duplicate_column"),
    "434337_unquoted_thousands.csv": ("rejected", "extra_fields"),
    "434337_semicolon.csv": ("rejected", "separator"),
    "434337_formula_unsaved.xlsx": ("rejected", "value_not_number"),
    "434337_formula_in_name.xlsx": ("rejected", "formula"),
    "434337_date_formatted.xlsx": ("rejected", "value_not_number"),
    "434337_date_in_csv.csv": ("rejected", "value_not_number"),
    "434337_count_not_whole.csv": ("rejected", "count_not_whole"),
    "434337_scaled_format.xlsx": ("rejected", "scaled_display"),
    "434337_many_errors.csv": ("rejected", "invalid_status"),
    "=1+2_@SUM(A1)_南阿蘇村.csv": ("rejected", "file_name"),
    "434337_warn_over_budget.csv": ("accepted_with_warnings", "over_budget"),
    "434337_warn_spend_without_plan.csv": ("accepted_with_warnings", "spend_without_plan"),
    "434337_warn_spend_not_implemented.csv": ("accepted_with_warnings", "spend_not_implemented"),
    "434337_warn_magnitude.csv": ("accepted_with_warnings", "magnitude_kpi"),
    "434337_warn_magnitude_expenditure.csv": ("accepted_with_warnings", "magnitude_expenditure"),
    "434337_warn_name_mismatch.csv": ("accepted_with_warnings", "name_mismatch"),
    "434337_warn_missing_row.csv": ("accepted_with_warnings", "missing_row"),
    "434337_warn_control_chars.csv": ("accepted_with_warnings", "control_chars"),
    "434337_warn_title_row.csv": ("accepted_with_warnings", "header_row"),
    "434337_warn_duplicate_note.csv": ("accepted_with_warnings", "duplicate_column"),
    "434337_warn_tab.csv": ("accepted_with_warnings", "separator"),
    "434337_warn_formula_saved.xlsx": ("accepted_with_warnings", "formula_value"),
    "434337_warn_two_data_sheets.xlsx": ("accepted_with_warnings", "sheet"),
    # issue 13: 取組実績・成果・課題・今後の方向性・自己評価
    "434337_direction_unknown.csv": ("rejected", "direction_unknown"),
    "434337_self_evaluation_unknown.csv": ("rejected", "self_evaluation_unknown"),
    "434337_text_too_long.csv": ("rejected", "text_too_long"),
    "434337_warn_result_text_missing.csv": ("accepted_with_warnings", "result_text_missing"),
    "434337_warn_text_on_kpi_row.csv": ("accepted_with_warnings", "text_on_kpi_row"),
    "434337_warn_control_chars_in_text.csv": ("accepted_with_warnings", "text_cleaned"),
    # review 4 #2: every 自己評価 blank (嘉島町's sample was 受理 with 0 警告 though the office asked it to resubmit)
    "434337_warn_evaluation_blank.csv": ("accepted_with_warnings", "evaluation_blank"),
}
GOOD = [
    "434337_南阿蘇村_取組実績つき.csv",  # the five optional columns filled (Ａ, a, spaces, a line break)
    "434337_南阿蘇村_texts_english.csv",
]
# files in the format before issue 13 (no 取組実績・成果・課題・今後の方向性・自己評価 columns): their values are read like
# any file's, and they get the one warning that no 自己評価 was given (review 4 #2; they were 受理 with 0 警告 before)
OLDER_FORMAT_GOOD = [
    "434337_南阿蘇村.csv",
    "434337_南阿蘇村_english.csv",
    "434337_南阿蘇村_sjis.csv",
    "４３４３３７_南阿蘇村_全角.csv",
    "434337_南阿蘇村_記入方法が先.xlsx",
]
# the broken fixtures that have the five optional columns (the others are in the older format)
WITH_EVALUATION_COLUMNS = {
    "434337_direction_unknown.csv",
    "434337_self_evaluation_unknown.csv",
    "434337_text_too_long.csv",
    "434337_warn_result_text_missing.csv",
    "434337_warn_text_on_kpi_row.csv",
    "434337_warn_control_chars_in_text.csv",
    "434337_warn_evaluation_blank.csv",
}


@pytest.fixture(scope="module")
def batch(tmp_path_factory, plan):
    """Every fixture in inputs/2024/ of a temp project, validated in ONE batch (newest-wins switched off)."""
    year = _screen_fixtures_again(plan, tmp_path_factory.mktemp("validation"))
    return {r.name: r for r in year.received}, year.rows


def test_fixture_list_is_complete():
    on_disk = {p.name for p in (FIX / "bad").iterdir()}
    assert on_disk == set(EXPECTED), on_disk ^ set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_rule_has_its_fixture(batch, name):
    received, _ = batch
    status, rule = EXPECTED[name]
    rec = received[name]
    rules = {i.rule for i in rec.issues}
    assert rec.status == status, (rec.status, [(i.rule, i.message) for i in rec.issues])
    assert rule in rules, rules
    if status == "accepted_with_warnings":
        # a warning fixture has exactly its own warning, nothing else — except that 1,000× one participant's
        # share of an initiative is always above 1.5× the initiative's whole plan (fewer than 667 participants)
        # and a file in the older format (no 自己評価 column) also gets evaluation_blank (review 4 #2)
        also = {"434337_warn_magnitude_expenditure.csv": {"over_budget"}}.get(name, set())
        if name not in WITH_EVALUATION_COLUMNS:
            also = also | {"evaluation_blank"}
        assert rules == {rule} | also, rules
    for i in rec.issues:  # every message is Japanese and says where
        assert i.file == name and i.message
        assert any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in i.message)


@pytest.mark.parametrize("name", GOOD)
def test_good_files_in_the_same_batch_are_unaffected(batch, name):
    received, _ = batch
    assert received[name].status == "accepted", [(i.rule, i.message) for i in received[name].issues]


@pytest.mark.parametrize("name", OLDER_FORMAT_GOOD)
def test_a_file_in_the_older_format_is_accepted_with_the_one_warning_to_add_the_self_evaluations(batch, plan, name):
    """review 4 #2 (updates the earlier 「accepted」 of these five files): the values are used; the clerk is told
    that none of the five optional columns was given and what to fill in."""
    received, _ = batch
    rec = received[name]
    assert rec.status == "accepted_with_warnings"
    assert [(i.rule, i.severity, i.row, i.column) for i in rec.issues] == [("evaluation_blank", "warning", None, None)]
    n = len(plan.initiatives_of("434337", 2024))
    assert rec.issues[0].message == (
        f"事業費の{n}行のすべてで、自己評価、今後の方向性、取組実績、成果、課題の記入がありません（列がないか、すべて空欄です）。"
        "実績の値は受け付けますが、このままでは圏域の自己評価の集計に含められません。"
    )


def test_a_file_with_every_self_evaluation_blank_is_told_what_to_fill_in(batch, plan):
    """review 4 #2: the texts and 今後の方向性 are written, every 自己評価 is blank: one warning for the file (not one
    per row) naming the column, the count and the grades to choose from."""
    received, prepared = batch
    rec = received["434337_warn_evaluation_blank.csv"]
    n = len(plan.initiatives_of("434337", 2024))
    assert rec.status == "accepted_with_warnings"
    assert len(rec.issues) == 1
    issue = rec.issues[0]
    assert issue.message == (
        f"事業費の{n}行のすべてで、自己評価の記入がありません（列がないか、すべて空欄です）。"
        "実績の値は受け付けますが、このままでは圏域の自己評価の集計に含められません。"
    )
    assert issue.expected == (
        "各取組の自己評価を記入し、提出し直してください（自己評価は A（計画どおり実施し成果が出た）・B（概ね計画どおり）・"
        "C（一部のみ実施）・D（未実施） のいずれか。配布したひな形の列に記入）"
    )
    # one 自己評価 written is enough: the file with texts, where only 1.1.4 is blank, has no such warning
    assert "evaluation_blank" not in {i.rule for i in received["434337_南阿蘇村_取組実績つき.csv"].issues}


def test_row_level_errors_name_row_column_and_value(batch):
    received, _ = batch
    issue = next(i for i in received["434337_value_not_number.csv"].issues if i.rule == "value_not_number")
    assert issue.column == "実績値" and issue.value == "約500" and issue.row is not None
    assert "数値" in issue.expected
    rows = (FIX / "bad" / "434337_value_not_number.csv").read_text(encoding="utf-8-sig").splitlines()
    assert "約500" in rows[issue.row - 1]  # the row number is the line people see in Excel


def test_values_are_normalised_and_converted(batch):
    _, prepared = batch
    sjis = prepared[prepared["file"] == "434337_南阿蘇村_sjis.csv"].set_index("item_id")
    assert sjis.loc["births", "value"] == 61  # full-width digits
    assert sjis.loc["3.1.1", "value"] == 120  # 120,000 円 -> 120 千円
    assert sjis.loc["net_migration", "value"] == -12  # ▲12
    eng = prepared[prepared["file"] == "434337_南阿蘇村_english.csv"].set_index("item_id")
    assert eng.loc["gdp", "value"] == 52310


# file -> (rule, row, column, message, value) of its first issue of that rule: what the clerk reads
EXACT = {
    "434337_too_many_rows.csv": (
        "too_many_rows",
        None,
        None,
        "データ行が 5,001 行あります（上限 5,000 行）。検証せずに差し戻します。"
        "Excelで行を下までコピーした（フィルダウン）など、余分な行がないか確認してください。",
        "5,001 行",
    ),
    "434337_warn_title_row.csv": (
        "header_row",
        3,
        None,
        "見出し行を 3 行目で見つけました（1〜2行目は表題などとして読み飛ばしました）。",
        "区分、ID、項目名、実績値、単位、実施状況、備考、市町村コード、年度",
    ),
    "434337_warn_duplicate_note.csv": (
        "duplicate_column",
        1,
        "備考",
        "見出し「備考」が2回あります（7列目と10列目）。10列目の内容は1つ目の「備考」に続けて読みました。",
        None,
    ),
    "434337_duplicate_value_column.csv": (
        "duplicate_column",
        1,
        "実績値",
        "必須の見出し「実績値」が2回あります（4列目と10列目）。どちらの値を使うか決められません。",
        None,
    ),
    "434337_unquoted_thousands.csv": (
        "extra_fields",
        61,
        None,
        "この行は見出しより列が 1 個多くなっています（見出し 9 列）。実績値が「52」と「310」に分かれています。"
        "桁区切りのカンマが引用符で囲まれていないため、52,310 が2つの列に分かれたと思われます。",
        "52,310",
    ),
    "434337_semicolon.csv": (
        "separator",
        None,
        None,
        "区切り文字がセミコロン（;）になっています。カンマ（,）区切りのCSVとして保存し直してください"
        "（Excelの「名前を付けて保存」で「CSV UTF-8（コンマ区切り）」または「CSV（コンマ区切り）」）。",
        "セミコロン（;）",
    ),
    "434337_warn_tab.csv": (
        "separator",
        None,
        None,
        "区切り文字がタブになっています（タブ区切りとして読みました）。次回はカンマ（,）区切りのCSVで保存してください。",
        "タブ",
    ),
    "434337_warn_formula_saved.xlsx": (
        "formula_value",
        65,
        "実績値",
        "「実績値」は数式「=30+31」です。Excelに保存されていた計算結果「61」を使いました。",
        "=30+31",
    ),
    "434337_warn_two_data_sheets.xlsx": (
        "sheet",
        None,
        None,
        "見出し行のあるシートが 2 枚あります（「提出データ」・「提出データ (2)」）。最初のシート「提出データ」を読みました。",
        "提出データ",
    ),
    "434337_formula_unsaved.xlsx": (
        "value_not_number",
        65,
        "実績値",
        "実績値に数式「=SUM(D60:D61)」が入力されています（計算結果が保存されていないため、値として読めません）。",
        "=SUM(D60:D61)",
    ),
    "434337_formula_in_name.xlsx": (
        "formula",
        2,
        "項目名",
        '数式が入力されています（項目名: =Sheet2!B3&"（再掲）"）。',
        '項目名: =Sheet2!B3&"（再掲）"',
    ),
    "434337_formula_in_note.csv": (
        "formula",
        2,
        "備考",
        '数式が入力されています（備考: =HYPERLINK("http://example.invalid","x")）。',
        '備考: =HYPERLINK("http://example.invalid","x")',
    ),
    "434337_date_formatted.xlsx": (
        "value_not_number",
        65,
        "実績値",
        "実績値のセルが日付の書式になっています（「1900-03-01」と表示されます）。セルに入っている数値は 61 です。"
        "セルの書式を「標準」または「数値」に戻し、値を確かめてください。",
        "1900-03-01",
    ),
    "434337_date_in_csv.csv": (
        "value_not_number",
        65,
        "実績値",
        "実績値のセルが日付の書式になっています（「1900/3/1」と表示されます）。セルに入っている数値は 61 です。"
        "セルの書式を「標準」または「数値」に戻し、値を確かめてください。",
        "1900/3/1",
    ),
    "434337_count_not_whole.csv": (
        "count_not_whole",
        65,
        "実績値",
        "KPI births（圏域出生数）は数を数える指標なので、整数で入力してください。"
        "5,315 のつもりでは？（桁区切りに「.」を使っていませんか）",
        "5.315",
    ),
    "434337_scaled_format.xlsx": (
        "scaled_display",
        9,
        "実績値",
        "実績値のセルは表示形式「#,##0,」で 1/1,000 に縮めて表示されています（画面の表示 1,433、セルの値 1,432,650）。"
        "セルの値を単位「千円」で読むと、表示の 1,000 倍になります。",
        "1432650",
    ),
    "434337_南阿蘇村_送付状.pdf": (
        "file_type",
        None,
        None,
        "CSV（.csv）・Excel（.xlsx）以外のファイルは提出ファイルとして扱いません（保管のみ。集計には使いません）。",
        ".pdf",
    ),
    "434337_direction_unknown.csv": (
        "direction_unknown",
        2,
        "今後の方向性",
        "今後の方向性「拡大」は使えません。使えるのは 拡充・継続・改善・縮小・廃止・完了 です。",
        "拡大",
    ),
    "434337_self_evaluation_unknown.csv": (
        "self_evaluation_unknown",
        2,
        "自己評価",
        "自己評価「S」は使えません。使えるのは A（計画どおり実施し成果が出た）・B（概ね計画どおり）・C（一部のみ実施）・"
        "D（未実施） です。",
        "S",
    ),
    "434337_text_too_long.csv": (
        "text_too_long",
        2,
        "取組実績",
        "文字数が上限の 400 文字を超えています（取組実績 401 文字）。",
        "取組実績 401 文字",
    ),
    "434337_warn_result_text_missing.csv": (
        "result_text_missing",
        4,
        "取組実績",
        "取組 1.1.3（技術力向上支援）は実施状況が「実施」ですが、取組実績が空欄です。",
        None,
    ),
    "434337_warn_text_on_kpi_row.csv": (
        "text_on_kpi_row",
        65,
        "成果",
        "KPI births の行に成果が入力されています。取組実績・成果・課題・今後の方向性・自己評価は事業費の行にだけ"
        "記入します（KPIの行の内容は使いません）。",
        "成果",
    ),
    "434337_warn_control_chars_in_text.csv": (  # issue 23: a vertical tab (Alt+Enter from Word) is a line break
        "text_cleaned",
        2,
        "取組実績",
        "Word・Excel の改行の記号（U+000B）を改行として読みました。",
        None,
    ),
}


@pytest.mark.parametrize("name", sorted(EXACT))
def test_what_the_clerk_is_told(batch, name):
    received, _ = batch
    rule, row, column, message, value = EXACT[name]
    issue = next(i for i in received[name].issues if i.rule == rule)
    assert (issue.row, issue.column, issue.message, issue.value) == (row, column, message, value)


def test_messages_are_capped_per_rule_and_file(batch):
    received, _ = batch
    rec = received["434337_many_errors.csv"]  # 59 expenditure rows with 実施状況「済」
    status = [i for i in rec.issues if i.rule == "invalid_status"]
    assert len(status) == 21
    assert [i.row for i in status[:20]] == list(range(2, 22))
    assert status[-1].message == "…ほか 39 件（同じ種類のエラーです。一覧には最初の 20 件だけを示しています）"
    assert status[-1].severity == "error" and status[-1].row is None


def test_what_is_read_from_the_accepted_clerk_files(batch):
    received, prepared = batch
    assert received["４３４３３７_南阿蘇村_全角.csv"].municipality_code == "434337"
    assert received["434337_南阿蘇村_記入方法が先.xlsx"].sheet == "提出データ"  # not the 記入方法 sheet before it
    assert received["434337_南阿蘇村_送付状.pdf"].sha256  # archived, though not a submission

    def rows(name):
        return prepared[prepared["file"] == name].set_index("item_id")

    assert rows("434337_warn_formula_saved.xlsx").loc["births", "value"] == 61  # the saved result
    assert rows("434337_warn_duplicate_note.csv").loc["1.1.1", "note"] == "合成データ（テスト用） / 追記（合成データ）"
    title = rows("434337_warn_title_row.csv")
    assert title.loc["1.1.1", "row"] == 4 and title.loc["gdp", "value"] == 52310  # rows as the file numbers them
    assert rows("434337_warn_tab.csv").loc["net_migration", "value"] == -12
    assert "434337_semicolon.csv" not in set(prepared["file"])  # refused before its rows were looked at
    assert "434337_unquoted_thousands.csv" not in set(prepared["file"])


def test_texts_are_cleaned_and_the_coded_columns_read_as_typed(batch):
    _, prepared = batch

    def rows(name):
        return prepared[prepared["file"] == name].set_index("item_id")

    texts = rows("434337_南阿蘇村_取組実績つき.csv")
    assert texts.loc["1.1.1", "result_text"] == "（合成データ）講演会を2回開催し、\n計120人が参加した。"  # CR LF -> LF
    assert (texts.loc["1.1.2", "direction"], texts.loc["1.1.2", "self_evaluation"]) == ("拡充", "A")  # spaces, Ａ
    assert texts.loc["1.1.3", "self_evaluation"] == "A"  # a
    assert (texts.loc["1.1.4", "direction"], texts.loc["1.1.4", "self_evaluation"]) == ("", "")
    assert texts.loc["births", ["result_text", "direction", "self_evaluation"]].tolist() == ["", "", ""]
    english = rows("434337_南阿蘇村_texts_english.csv")
    assert english.loc["1.1.1", "result_text"] == texts.loc["1.1.1", "result_text"]
    control = rows("434337_warn_control_chars_in_text.csv")
    assert (
        control.loc["1.1.1", "result_text"] == "（合成データ）講演会を開催\nした。\n2行目。"
    )  # \x0b (Alt+Enter) read as a line break (issue 23), CR LF unified
    kpi = rows("434337_warn_text_on_kpi_row.csv")
    assert kpi.loc["births", "outcome_text"] == ""  # ignored on a KPI row
    old = rows("434337_南阿蘇村.csv")  # a file without the new columns
    assert set(old["result_text"]) == {""} and set(old["direction"]) == {""}


def test_spend_on_a_row_marked_not_implemented_is_a_warning_saying_what_to_check(batch):
    """Issue 18 item 7: 50 千円 reported on 1.1.1 marked 未実施 — the file is accepted, the office is told to check."""
    received, _ = batch
    rec = received["434337_warn_spend_not_implemented.csv"]
    (issue,) = [i for i in rec.issues if i.rule == "spend_not_implemented"]
    assert (issue.severity, issue.row, issue.column, issue.value) == ("warning", 2, "実績値", "50")
    assert (
        issue.message == "取組 1.1.1（産学連携支援事業）は実施状況が「未実施」ですが、支出 50 千円が報告されています。"
    )
    assert "一部実施" in issue.expected and "実績値 0" in issue.expected


def test_the_suites_see_only_the_columns_they_name_and_find_the_same_rows(batch, plan, monkeypatch, tmp_path):
    """validation._columns_read: GX gets the columns a suite names (``column``, ``column_list``, the columns of a
    ``row_condition``, and ``row_key``); every fixture's outcome is the same as with the whole prepared frame."""
    from vision_report.screening import validation

    suite = validation.load_suite_json(load_settings().root / "expectations", "submission_rows")
    columns = list(batch[1].columns) + ["unused"]
    read = validation._columns_read(suite, columns)
    assert "row_key" in read and "unused" not in read
    assert {"allow_negative", "value_problem", "item_known"} <= set(read)  # named only inside row conditions
    assert {"file_id", "kind", "item_id"} <= set(read)  # a column_list
    assert read == [c for c in columns if c in read]  # the frame's order
    table_level = {"expectations": [*suite["expectations"], {"type": "expect_table_row_count_to_be_between"}]}
    assert validation._columns_read(table_level, columns) == columns  # a kind not known to be column-scoped: all
    for condition in ('kind == "kpi"', {"type": "pass_through", "pass_through_filter": "row > 0"}):
        unread = {
            "expectations": [{**suite["expectations"][0], "kwargs": {"column": "kind", "row_condition": condition}}]
        }
        assert validation._columns_read(unread, columns) == columns  # a condition whose columns are not named: all

    monkeypatch.setattr(validation, "_columns_read", lambda doc, available: available)
    _assert_same_outcomes(batch[0], {r.name: r for r in _screen_fixtures_again(plan, tmp_path).received})


def _screen_fixtures_again(plan, tmp_path: Path):
    """Every bad and good fixture, copied into ``tmp_path``'s inputs/2024/ an hour old and screened in one batch."""
    settings = load_settings()
    v = settings.validation
    inputs = tmp_path / "inputs" / "2024"
    inputs.mkdir(parents=True)
    for f in list((FIX / "bad").iterdir()) + list((FIX / "good").iterdir()):
        shutil.copy(f, inputs / f.name)
        os.utime(inputs / f.name, (time.time() - 3600, time.time() - 3600))
    again = discover(
        tmp_path / "inputs", 2024, plan, max_bytes=v.max_file_bytes, settle_seconds=v.settle_seconds, limits=v
    )
    for r in again:
        archive(r, tmp_path / "archive")
    return screen(again, plan, 2024, settings)


def _assert_same_outcomes(received: dict, other: dict) -> None:
    assert set(other) == set(received)
    for name, rec in received.items():
        assert (rec.status, sorted(map(repr, rec.issues))) == (
            other[name].status,
            sorted(map(repr, other[name].issues)),
        )


def test_an_expectation_builds_its_configuration_once_per_validation_and_again_when_changed(
    batch, plan, monkeypatch, tmp_path
):
    """validation._configurations_kept: within a validation, reading an expectation's ``configuration`` again gives
    the one already built, unless a field was assigned since; outside it, GX builds one per read. Every fixture's
    outcome is the same as with GX's own reads."""
    import great_expectations as gx

    from vision_report.screening import validation

    validation._keep_configurations_installed()
    exp = gx.expectations.ExpectColumnValuesToNotBeNull(column="kind", meta={"rule": "r"})
    assert exp.configuration is not exp.configuration  # GX's own behaviour outside a validation
    with validation._configurations_kept():
        first = exp.configuration
        assert exp.configuration is first
        exp.column = "item_id"  # a field assigned: built again, with the new value
        second = exp.configuration
        assert second is not first and second.kwargs["column"] == "item_id"
        assert exp.configuration is second
        exp.meta = {"rule": "s"}
        assert exp.configuration.meta == {"rule": "s"}
        other = gx.expectations.ExpectColumnValuesToNotBeNull(column="kind")
        assert other.configuration is not exp.configuration and other.configuration.kwargs["column"] == "kind"
    assert exp.configuration is not exp.configuration  # the memo ends with the block
    assert validation._CONFIGURATIONS.get() is None
    # a validation fills in the $PARAMETER values of the configurations it reads from the suite, in place: a later
    # read gets the parameter again, as without the memo
    in_set = gx.expectations.ExpectColumnValuesToBeInSet(column="kind", value_set={"$PARAMETER": "kinds"})
    with validation._configurations_kept():
        read = in_set.configuration
        read.process_suite_parameters({"kinds": ["kpi"]})
        assert read.kwargs["value_set"] == ["kpi"]
        assert in_set.configuration.kwargs["value_set"] == {"$PARAMETER": "kinds"}

    from contextlib import nullcontext

    monkeypatch.setattr(validation, "_configurations_kept", nullcontext)
    _assert_same_outcomes(batch[0], {r.name: r for r in _screen_fixtures_again(plan, tmp_path).received})


def test_a_run_registers_each_suite_once_and_the_context_keeps_no_results(monkeypatch, tmp_path):
    """validation._checkpoint: a suite, its validation definition and its checkpoint are registered once per suite
    JSON, with or without Data Docs (a run validates its earlier years without them and its own year with them); a
    changed suite registers again. Each validation's result leaves GX's context afterwards: a long-running portal
    would otherwise keep two more results for every file it screens."""
    import pandas as pd

    from vision_report.screening import validation

    defined: list[str] = []
    define = validation._define

    def counted_define(name, text):
        defined.append(name)
        return define(name, text)

    monkeypatch.setattr(validation, "_define", counted_define)
    validation._REGISTERED.clear()  # not a stand-in: what this test registers last must stay what GX holds
    store = validation._context().validation_results_store
    kept = len(store.list_keys())
    expectations = load_settings().root / "expectations"
    frame = pd.DataFrame({"row_key": ["1:2", "1:3"], "received": [True, False]})
    docs, other = tmp_path / "docs", tmp_path / "other"
    for docs_dir in (None, docs, None, other, None):
        findings, _ = validation.run_suite(expectations, "submission_coverage", frame, {}, docs_dir)
        assert [f.row_key for f in findings] == ["1:3"]
    assert defined == ["submission_coverage"]
    assert (docs / "index.html").is_file() and (other / "index.html").is_file()
    assert len(store.list_keys()) == kept
    changed = validation.load_suite_json(expectations, "submission_coverage")
    changed["expectations"][0]["kwargs"]["value_set"] = [True, False]
    monkeypatch.setattr(validation, "load_suite_json", lambda directory, name: changed)
    for docs_dir in (None, other):
        findings, _ = validation.run_suite(expectations, "submission_coverage", frame, {}, docs_dir)
        assert findings == []  # the changed suite is the one validated, with and without Data Docs
    assert defined == ["submission_coverage", "submission_coverage"]
    assert len(store.list_keys()) == kept

    # a registration that fails after GX took the changed suite: the next validation registers again, with the
    # file as it is then (here the original), rather than reuse a checkpoint GX no longer considers current
    def define_then_fail(name, text):
        define(name, text)
        raise RuntimeError("registration stopped")

    monkeypatch.setattr(validation, "_define", define_then_fail)
    again = json.loads(json.dumps(changed))
    again["expectations"][0]["kwargs"]["value_set"] = [False]
    monkeypatch.setattr(validation, "load_suite_json", lambda directory, name: again)
    with pytest.raises(RuntimeError, match="registration stopped"):
        validation.run_suite(expectations, "submission_coverage", frame, {}, None)
    monkeypatch.setattr(validation, "_define", counted_define)
    monkeypatch.setattr(validation, "load_suite_json", lambda directory, name: changed)
    findings, _ = validation.run_suite(expectations, "submission_coverage", frame, {}, None)
    assert findings == [] and defined[-1] == "submission_coverage" and len(defined) == 3


def test_the_two_suites_of_a_year_get_one_set_of_data_docs(batch, plan, tmp_path):
    """validation.data_docs: the suites validated within the block get their pages and one index, written when
    the block ends; a block that ends with an error writes none. Either way their results leave GX's context."""
    import pandas as pd

    from vision_report.screening import validation
    from vision_report.screening.prepare import suite_parameters

    settings = load_settings()
    expectations = settings.root / "expectations"
    params = suite_parameters(plan, 2024, settings.validation, settings.evaluation)
    coverage = pd.DataFrame({"row_key": ["1:2"], "received": [False]})
    store = validation._context().validation_results_store
    kept = len(store.list_keys())
    docs = tmp_path / "docs"
    with validation.data_docs(docs):
        rows, _ = validation.validate(expectations, "submission_rows", batch[1], params)
        missing, _ = validation.validate(expectations, "submission_coverage", coverage, params)
        assert not docs.exists()  # written when the block ends
    assert rows and [f.row_key for f in missing] == ["1:2"]
    pages = sorted((docs / "validations").rglob("*.html"))
    assert [p.relative_to(docs / "validations").parts[0] for p in pages] == ["submission_coverage", "submission_rows"]
    index = (docs / "index.html").read_text(encoding="utf-8")
    assert "submission_rows" in index and "submission_coverage" in index
    assert len(store.list_keys()) == kept
    failed = tmp_path / "failed"
    with pytest.raises(RuntimeError), validation.data_docs(failed):
        validation.validate(expectations, "submission_coverage", coverage, params)
        raise RuntimeError("stopped")
    assert not failed.exists()
    assert len(store.list_keys()) == kept


def _docs_pages(docs) -> dict[str, str]:
    """Every HTML page of a Data Docs folder with what differs from run to run (run ids and times) taken out."""
    import re

    out = {}
    for page in sorted(docs.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        for pattern, stand_in in (
            (r"\d{8}T\d{6}\.\d+Z", "RUN-TIME"),
            (r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(\+00:00|Z)?", "TIME"),
            (r"run_[0-9a-f]{12}", "RUN"),
            (r"_run_time_sort.: [0-9.]+", "SORT"),
            (r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "UUID"),  # a collapsible block's id
        ):
            text = re.sub(pattern, stand_in, text)
        out[re.sub(r"\d{8}T\d{6}\.\d+Z", "RUN-TIME", page.relative_to(docs).as_posix())] = text
    return out


def test_the_results_store_keeps_the_objects_and_the_data_docs_are_those_of_gxs_json(batch, plan, tmp_path):
    """issue 21: GX wrote every stored validation result as JSON text and parsed it back for the Data Docs (11 of
    the 31 s of validating 1,741 submissions). The context's in-memory store now keeps the result object; the Data
    Docs of a year with failing rows are the same pages as with GX's own JSON store."""
    import pandas as pd

    from vision_report.screening import validation
    from vision_report.screening.prepare import suite_parameters

    settings = load_settings()
    expectations = settings.root / "expectations"
    params = suite_parameters(plan, 2024, settings.validation, settings.evaluation)
    coverage = pd.DataFrame({"row_key": ["1:2", "1:3"], "received": [False, True]})
    store = validation._context().validation_results_store

    def year(docs):
        with validation.data_docs(docs):
            rows, _ = validation.validate(expectations, "submission_rows", batch[1], params)
            validation.validate(expectations, "submission_coverage", coverage, params)
            stored = [store._store_backend.get(store.key_to_tuple(k)) for k in store.list_keys()]
        return rows, stored

    ours, stored = year(tmp_path / "ours")
    assert ours and stored and not any(isinstance(v, (str, dict)) for v in stored)  # the objects themselves
    own = type(store)
    with pytest.MonkeyPatch.context() as mp:  # GX's own store: JSON text written and parsed again
        mp.setattr(store, "serialize", own.serialize.__get__(store))
        mp.setattr(store, "deserialize", own.deserialize.__get__(store))
        theirs, stored = year(tmp_path / "gx")
        assert stored and all(isinstance(v, str) for v in stored)
    assert ours == theirs
    pages = _docs_pages(tmp_path / "ours")
    assert len(pages) == 5 and pages == _docs_pages(tmp_path / "gx")
    assert any("Failed" in text for text in pages.values())  # a page with failing rows among them


def test_a_validation_says_its_success_and_counts(batch, plan):
    """validate's summary: GX's success and statistics, the same shape for an empty batch."""
    import pandas as pd

    from vision_report.screening import validation
    from vision_report.screening.prepare import suite_parameters

    settings = load_settings()
    params = suite_parameters(plan, 2024, settings.validation, settings.evaluation)
    expectations = settings.root / "expectations"
    coverage = pd.DataFrame({"row_key": ["1:2", "1:3"], "received": [False, True]})
    findings, summary = validation.validate(expectations, "submission_coverage", coverage, params)
    assert [f.row_key for f in findings] == ["1:2"] and summary["success"] is False
    stats = summary["statistics"]
    assert stats["evaluated_expectations"] == stats["successful_expectations"] + stats["unsuccessful_expectations"]
    assert stats["unsuccessful_expectations"] >= 1
    _, empty = validation.validate(expectations, "submission_coverage", coverage.iloc[0:0], params)
    assert empty == {"success": True, "statistics": {"evaluated_expectations": 0}}


def test_the_failing_rows_are_read_a_slice_at_a_time_with_the_same_issues_in_the_same_order(
    batch, plan, monkeypatch, tmp_path
):
    """issue 21: findings_to_issues reads the failing rows' values for a slice of the findings at a time (every
    failing row at once held 340 MB at 1,741 files). Slices of 3 findings give every file the same issues, in the
    same order (the cap per rule keeps the first ones), as the default slice."""
    from vision_report.screening import issues

    received, _ = batch
    monkeypatch.setattr(issues, "_ROWS_AT_ONCE", 3)
    other = {r.name: r for r in _screen_fixtures_again(plan, tmp_path).received}
    assert set(other) == set(received)
    for name, rec in received.items():
        assert (rec.status, [repr(i) for i in rec.issues]) == (
            other[name].status,
            [repr(i) for i in other[name].issues],
        ), name
    assert sum(len(r.issues) for r in received.values()) > 3 * 10  # many slices

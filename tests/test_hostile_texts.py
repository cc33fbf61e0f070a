"""Issue 23: no text can stop the year, vanish, or reach a page unescaped.

One broken input per class, exact outcomes: characters XML cannot carry, Excel's escapes, lengths as seen, formula
rules, headers with notes, unknown columns, confirmations, the panel file; Data Docs without live markup; and one
flow run with every character class in every text field and the panel file (docs/hostile-inputs.md).
"""

from __future__ import annotations

import csv
import html.parser
import io
import os
import shutil
import time
import unicodedata
from pathlib import Path

import pandas as pd
import pytest

from vision_report.core.config import load_settings
from vision_report.core.textsafe import cut_visible, is_xml_safe, make_safe, visible_length
from vision_report.intake import normalize as nz
from vision_report.intake.files import Received, inspect_file, is_panel_near_miss
from vision_report.intake.panel_opinions import Block, PanelOpinions, read
from vision_report.intake.reading import Table
from vision_report.intake.rows import table_to_rows
from vision_report.screening import confirmations as cf

ROOT = Path(__file__).resolve().parents[1]
OLD = time.time() - 3600
HOSTILE = {  # every character class that broke or bent the year, as it arrives in a cell
    "fffe": "研修を実施\ufffeした。",
    "ffff": "電話で確認\uffff済み",
    "nul": "人手不足\x00が課題。",
    "form_feed": "参加者が増えた。\f次年度も継続。",
    "control": "事業\x01の\x1f説明",
    "excel_vt": "説明会を開催_x000B_参加50人",
    "excel_cr": "相談会を開催_x000D_\n参加30人",
    "vertical_tab": "研修会\x0b参加20人",
    "nfd": unicodedata.normalize("NFD", "ガイドブックを配布"),
    "ivs": "葛\U000e0100城で開催",
    "line_sep": "一行目\u2028二行目",
    "markup": "<script>alert(2)</script>",
}


# --- 1. made safe once ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, text, escapes, removed",
    [
        ("研修\ufffe\uffff", "研修", (), ("U+FFFE", "U+FFFF")),
        ("人手\x00不足", "人手不足", (), ("U+0000",)),
        ("改ページ\x0c入り", "改ページ入り", (), ("U+000C",)),
        ("開催_x000B_参加", "開催\n参加", ("_x000B_",), ()),
        ("開催_x000D_\n参加", "開催\n参加", ("_x000D_",), ()),
        ("開催\x0b参加", "開催\n参加", (), ()),  # read as a line break, reported in ``breaks``
        ("a\r\nb\rc", "a\nb\nc", (), ()),
        ("_x005F_x000B_", "_x000B_", ("_x005F_",), ()),  # Excel's escape of a literal _x000B_
        ("x\ud800y", "xy", (), ("U+D800",)),  # a lone surrogate
    ],
)
def test_texts_are_made_safe(raw, text, escapes, removed):
    safe = make_safe(raw)
    assert (safe.text, safe.escapes, safe.removed) == (text, escapes, removed)


def test_nfc_and_lengths_count_what_a_person_sees():
    nfd = unicodedata.normalize("NFD", "ガ" * 400)
    assert len(nfd) == 800
    safe = make_safe(nfd)
    assert safe.normalized and safe.text == "ガ" * 400 and visible_length(safe.text) == 400
    ivs = "葛\U000e0100" * 400
    assert len(ivs) == 800 and visible_length(ivs) == 400 and not make_safe(ivs).changed
    assert visible_length("🇯🇵👨‍👩‍👧") == 2
    assert cut_visible("葛\U000e0100葛\U000e0100", 1) == "葛\U000e0100"


# --- 4. formula rules ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, formula",
    [
        ("'=1+1 の周知", False),  # Excel's text prefix
        ('\n=HYPERLINK("http://x","詳細")', True),  # a blank line does not hide it
        ("\t=1+1", True),
        ("\u3000＝SUM(A1)", True),
        ("@SUM(A1:A9)", True),
        ("+A1*2", True),
        ('-HYPERLINK("x")', True),
        ("-5%削減を達成", False),
        ("+81-96-000-0000 に問合せ", False),
        ("－（前年度なし）", False),
    ],
)
def test_formula_rules_a_clerk_can_follow(text, formula):
    assert nz.is_formula(text) is formula


def test_text_prefix_is_read_as_the_text_after_it():
    assert nz.text_prefix_removed("'=1+1 の周知") == "=1+1 の周知"
    assert nz.text_prefix_removed("普通の文") == "普通の文"


# --- 5. headers ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header, canon, exact",
    [
        ("自己評価", "self_evaluation", True),
        ("自己評価（A～D）", "self_evaluation", False),
        ("実績値(千円)", "value", False),
        ("取組　実績", "result_text", False),
        ("【必須】区分", "kind", False),
        ("※ID", "id", False),
        ("今後の方向性［選択］", "direction", False),
        ("評価", None, True),
    ],
)
def test_headers_as_people_write_them(header, canon, exact):
    assert nz.header_match(header) == (canon, exact)


def _rec(name: str = "434337_南阿蘇村.csv") -> Received:
    return Received(0, name, Path(name), 2024, "434337")


HEADER = ["区分", "ID", "実績値", "単位", "実施状況", "取組実績", "成果", "自己評価（A～D）", "評価2"]


def test_hostile_cells_are_cleaned_and_each_change_warned_with_row_and_column():
    rows = [
        HEADER,
        ["事業費", "1.1.1", "10", "千円", "実施", "開催_x000B_参加50人", "増えた\ufffe。", "A", "継続"],
        ["事業費", "1.1.2", "10", "千円", "実施", "'=1+1 の周知", '\n=HYPERLINK("x")', "ｂ", "拡充"],
    ]
    rec = _rec()
    df = table_to_rows(rec, Table(rows))
    assert df["result_text"].tolist() == ["開催\n参加50人", "=1+1 の周知"]
    assert df["outcome_text"].tolist() == ["増えた。", '=HYPERLINK("x")']
    assert df["self_evaluation_raw"].tolist() == ["A", "ｂ"]  # the grades of a header with a note are kept
    assert df["control_columns"].tolist() == ["成果", ""]
    assert df["control_found"].tolist() == ["成果：U+FFFE", ""]
    assert df["formula_columns"].tolist() == ["", "成果"]  # the prefixed text is not a formula, the hidden one is
    by_rule = {(i.rule, i.row, i.column): i.message for i in rec.issues}
    assert by_rule[("text_cleaned", 2, "取組実績")] == (
        "Excel の改行などの記号（_x000B_）が文字のまま入っていたため、改行などに戻して読みました。"
    )
    assert by_rule[("header_note", 1, "自己評価（A～D）")] == (
        "見出し「自己評価（A～D）」を「自己評価」の列として読みました（括弧の注記・単位・空白などを除いて読んでいます）。"
        "次回は見出しを「自己評価」だけにしてください。"
    )
    assert by_rule[("unknown_column", 1, "評価2")] == (
        "見出し「評価2」は知らない列のため、この列の値（2 件。例：継続、拡充）は使っていません。値は「今後の方向性」の列の"
        "ものに見えます。「今後の方向性」のつもりなら、見出しを「今後の方向性」に直して提出し直してください。"
    )
    assert not rec.has_errors


def test_the_warnings_of_cells_come_by_row_then_column_and_repeat_with_their_cells():
    """The cells are read a column at a time (issue 21) and each distinct cell once: the warnings still come as a
    reading row by row gives them (by row; in a row the texts made safe, then the formulas, each in column order),
    and a row repeating an earlier row's cells is warned again."""
    rows = [
        ["区分", "ID", "実績値", "単位", "備考", "取組実績"],
        ["事業費", "1.1.1", "10", "千円", "e\u0301", "開催_x000B_"],
        ["事業費", "1.1.2", "20", "千円", "", ""],
        ["事業費", "1.1.1", "10", "千円", "e\u0301", "開催_x000B_"],
    ]
    table = Table(rows)
    table.formulas.update({(1, 2): "=5+5", (1, 0): '="事業費"', (2, 3): '="千円"'})
    rec = _rec()
    df = table_to_rows(rec, table)
    said = [(i.rule, i.row, i.column) for i in rec.issues if i.rule in ("text_cleaned", "formula_value")]
    assert said == [
        ("text_cleaned", 2, "備考"),
        ("text_cleaned", 2, "取組実績"),
        ("formula_value", 2, "区分"),
        ("formula_value", 2, "実績値"),
        ("formula_value", 3, "単位"),
        ("text_cleaned", 4, "備考"),
        ("text_cleaned", 4, "取組実績"),
    ]
    (value_formula,) = [i for i in rec.issues if i.rule == "formula_value" and i.column == "実績値"]
    assert value_formula.message == "「実績値」は数式「=5+5」です。Excelに保存されていた計算結果「10」を使いました。"
    assert df["note"].tolist() == ["\u00e9", "", "\u00e9"]
    assert df["result_text"].tolist() == ["開催", "", "開催"]
    assert df["row"].tolist() == [2, 3, 4]


def test_an_unknown_column_of_grades_is_named_not_dropped_silently():
    rows = [
        ["区分", "ID", "実績値", "単位", "評価", "メモ"],
        ["事業費", "1.1.1", "10", "千円", "A", "（内部用）電話で確認済みの数字です"],
        ["事業費", "1.1.2", "10", "千円", "c", ""],
    ]
    rec = _rec()
    table_to_rows(rec, Table(rows))
    messages = {i.column: i.message for i in rec.issues if i.rule == "unknown_column"}
    assert "値は「自己評価」の列のものに見えます" in messages["評価"]
    assert messages["メモ"].startswith("見出し「メモ」は知らない列のため、この列の値（1 件。")
    assert "「取組実績」" in messages["メモ"]


def test_a_header_with_a_character_xml_cannot_carry_is_read_and_warned():
    rows = [["区分", "ID", "実績値", "単位", "取組実績\ufffe"], ["事業費", "1.1.1", "10", "千円", "実施した"]]
    rec = _rec()
    df = table_to_rows(rec, Table(rows))
    assert df["result_text"].tolist() == ["実施した"]
    (issue,) = [i for i in rec.issues if i.rule == "text_cleaned"]
    assert (issue.row, issue.column) == (1, "取組実績")
    assert "U+FFFE" in issue.message


def test_a_file_name_is_made_safe_and_said_so(tmp_path, plan):
    p = tmp_path / "434337_南阿蘇村\ufffe.csv"
    p.write_bytes(b"x")
    rec = inspect_file(p, 2024, plan, max_bytes=10**6)
    assert rec.name == "434337_南阿蘇村.csv" and rec.path == p and rec.municipality_code == "434337"
    (issue,) = rec.issues
    assert (issue.rule, issue.severity) == ("file_name_chars", "warning")
    assert "U+FFFE" in issue.message


# --- 7. the panel file ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, near",
    [
        ("懇談会意見.txt", True),
        ("懇談会意見 (1).md", True),
        ("懇談会意見（１）.md", True),
        ("懇談会意見 - コピー.md", True),
        ("懇談会 意見.md", True),
        ("懇談会意見.md", False),  # the file itself
        ("懇談会の記録.md", False),
    ],
)
def test_panel_file_near_miss_names(name, near):
    assert is_panel_near_miss(name, "懇談会意見.md") is near


def test_a_near_miss_panel_file_is_named_with_the_name_to_use(tmp_path, plan):
    p = tmp_path / "懇談会意見 (1).md"
    p.write_text("- 意見\n", encoding="utf-8")
    rec = inspect_file(p, 2024, plan, max_bytes=10**6, panel_file="懇談会意見.md")
    assert rec.status == "not_submission"
    (issue,) = rec.issues
    assert issue.message == (
        "懇談会意見 (1).md は名前が 懇談会意見.md と違うため、懇談会意見.md として読んでいません（保管のみ）。懇談会意見.md という名前で置いてください。"
    )


def test_panel_file_with_characters_a_report_cannot_carry_is_read_and_said_so():
    p = read("# 柱1\n\n- 意見\x00です。\f次の\ufffe意見。\n".encode(), "懇談会意見.md")
    assert p.blocks == (Block("heading", "柱1", level=1), Block("item", "意見です。次の意見。"))
    assert p.notes == (
        "懇談会の意見（懇談会意見.md）：表や報告書に載せられない見えない文字（U+0000、U+000C、U+FFFE）が含まれていたため"
        "取り除きました（元のファイルはそのまま保管しています）。",
    )


def test_a_huge_panel_file_is_cut_and_the_summary_prints_a_bounded_excerpt():
    text = "# 柱1\n\n" + ("長い意見の貼付けです。" * 100 + "\n\n") * 100  # 110,000 characters
    p = read(text.encode(), "懇談会意見.md", max_chars=50_000)
    assert p.notes == (
        "懇談会の意見（懇談会意見.md）が長いため（110,206 文字）、最初の 50,000 文字だけを読みました"
        "（上限は設定 evaluation.panel_opinions_max_chars）。",
    )
    assert sum(visible_length(b.text) for b in p.blocks) <= 50_000
    bounded = PanelOpinions(file="懇談会意見.md", blocks=p.blocks, summary_chars=3_000)
    excerpt, cut = bounded.excerpt(list(p.blocks))
    assert cut and sum(visible_length(b.text) for b in excerpt) <= 3_001


# --- 6. confirmations -------------------------------------------------------------------------------------------------


def _held() -> pd.DataFrame:
    row = dict.fromkeys(cf.HELD_COLUMNS, "")
    row.update(
        fiscal_year=2024,
        municipality_code="434442",
        kind="expenditure",
        item_id="3.13.3",
        value=2_350_000.0,
        confirmed=False,
    )
    return pd.DataFrame([row], columns=cf.HELD_COLUMNS)


def _conf(tmp_path: Path, *lines: str) -> cf.Confirmations:
    p = tmp_path / "2024.csv"
    p.write_text("市町村コード,区分,ID,実績値,確認者,確認日,理由\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return cf.read_confirmations(p, 2024)


def test_each_confirmation_mistake_has_its_own_message(tmp_path, plan):
    conf = _conf(
        tmp_path,
        "434442,事業費,3.99.9,100,山田,2025-07-10,電話",
        "999999,事業費,3.13.3,100,山田,2025-07-10,電話",
        "甲佐町,事業費,3.13.3,100,山田,2025-07-10,電話",
        "434442,事業費,3.13.3,100,山田,2025-07-10,電話",
        "434442,事業費,3.1.1,100,山田,2025-07-10,電話",
    )
    held, problems = cf.apply_confirmations(_held(), conf, plan)
    assert held["confirmed"].tolist() == [False]
    assert problems == [
        "確認ファイル 2024.csv の2行目: ID「3.99.9」は計画に事業費の ID としてありません。"
        "この市町村の要確認の値は 3.13.3（2,350,000）です。この行の確認は使っていません。",
        "確認ファイル 2024.csv の3行目: 市町村コード 999999 は構成市町村のコードではありません。"
        "要確認一覧（held_values.csv）の市町村コードを書いてください。この行の確認は使っていません。",
        "確認ファイル 2024.csv の4行目: 市町村コードの欄に市町村名「甲佐町」が書かれています。市町村コード 434442 を"
        "書いてください（例：434442,事業費,3.13.3,…）。この行の確認は使っていません。",
        "確認ファイル 2024.csv の5行目: 434442 事業費 3.13.3 の要確認の値は 2,350,000 ですが、確認した値は 100 です"
        "（確認の後に値が変わった可能性があります）。この行の確認は使っていません。今の値を確かめてから確認し直してください"
        "（今の値を確認するなら：434442,事業費,3.13.3,2350000,確認者,確認日,理由）。",
        "確認ファイル 2024.csv の6行目: 434442 事業費 3.1.1 に要確認の値はありません"
        "（この市町村の要確認の値は 3.13.3（2,350,000）です。ID を確かめてください）。この行の確認は使っていません。",
    ]


def test_confirm_writes_utf8_when_shift_jis_cannot_hold_the_name(tmp_path, capsys):
    from vision_report.cli import main

    folder = tmp_path / "conf"
    folder.mkdir()
    old = "市町村コード,区分,ID,実績値,確認者,確認日,理由\r\n434442,事業費,3.13.3,100,髙橋,2025-07-10,確認\r\n"
    (folder / "2024.csv").write_bytes(old.encode("cp932"))
    args = ["confirm", "--fiscal-year", "2024", "--municipality", "434442", "--id", "3.13.3", "--value", "2350000"]
    rc = main([*args, "--by", "𠮷田", "--reason", "電話で確認", "--date", "2025-07-11", "--confirmations", str(folder)])
    out = capsys.readouterr()
    assert rc == 0, out
    assert "UTF-8（BOM付き）で保存し直しました" in out.out
    data = (folder / "2024.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[1] == "434442,事業費,3.13.3,100,髙橋,2025-07-10,確認"
    assert lines[2] == '434442,事業費,3.13.3,"2,350,000",𠮷田,2025-07-11,電話で確認'


def test_confirm_refuses_a_name_in_the_code_argument_before_writing(tmp_path, capsys):
    from vision_report.cli import main

    folder = tmp_path / "conf"
    rc = main(
        [
            "confirm",
            "--fiscal-year",
            "2024",
            "--municipality",
            "甲佐町",
            "--id",
            "3.13.3",
            "--value",
            "1",
            "--by",
            "山田",
            "--reason",
            "確認",
            "--confirmations",
            str(folder),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 1 and not folder.exists()
    assert "「甲佐町」は市町村名です。市町村コード 434442 を --municipality に書いてください。" in err
    assert "Traceback" not in err


# --- 3. Data Docs ---------------------------------------------------------------------------------------------------


class _Live(html.parser.HTMLParser):
    """Markup that came from data: a script element or an on* attribute holding the hostile payloads."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self._in_script = tag == "script"
        for k, v in attrs:
            if k.lower().startswith("on") and v and "alert" in v:
                self.found.append(f"<{tag} {k}={v}>")
        if tag in ("img", "svg") and any(k.lower().startswith("on") for k, _ in attrs):
            self.found.append(f"<{tag}>")

    def handle_data(self, data):
        if self._in_script and "alert(2)" in data:
            self.found.append(f"<script>{data}")

    def handle_endtag(self, tag):
        self._in_script = False


def test_data_docs_print_no_live_markup_from_data(tmp_path, plan):
    from vision_report.screening.prepare import prepare_rows, suite_parameters
    from vision_report.screening.validation import run_suite

    settings = load_settings(ROOT)
    rows = [
        ["区分", "ID", "実績値", "単位", "実施状況", "取組実績", "今後の方向性", "自己評価"],
        ["事業費", "3.13.3", "10", "千円", "実施", "開催", "<img src=x onerror=alert(1)>", "<script>alert(2)</script>"],
        ["事業費", "<svg onload=alert(3)>", "10", "千円", "実施", "開催", "継続", "A"],
    ]
    rec = _rec("434442_甲佐町.csv")
    rec.municipality_code = "434442"
    raw = table_to_rows(rec, Table(rows))
    prepared = prepare_rows(raw, plan, 2024, nz.load_units(ROOT / "config" / "units.yaml"), settings.evaluation)
    params = suite_parameters(plan, 2024, settings.validation, settings.evaluation)
    docs = tmp_path / "data_docs"
    findings, _ = run_suite(ROOT / "expectations", "submission_rows", prepared, params, docs)
    rules = {f.rule for f in findings}
    assert {"self_evaluation_unknown", "direction_unknown"} <= rules  # refused as before, on the values themselves
    pages = list(docs.rglob("*.html"))
    assert pages
    text = "".join(p.read_text(encoding="utf-8") for p in pages)
    assert "&lt;script&gt;alert(2)" in text or "&amp;lt;script&amp;gt;alert(2)" in text  # printed, as text
    for p in pages:
        parser = _Live()
        parser.feed(p.read_text(encoding="utf-8"))
        assert parser.found == [], p


# --- 2. one run with every character class in every text field and the panel file -------------------------------


def _rows(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    for enc in ("utf-8-sig", "cp932"):
        try:
            return list(csv.reader(io.StringIO(data.decode(enc), newline="")))
        except UnicodeDecodeError:
            continue
    raise AssertionError(path)


TEXT_HEADERS = {
    "取組実績": "result_text",
    "成果": "outcome_text",
    "課題": "challenge_text",
    "備考": "note",
    "項目名": "name",
}


def test_no_single_input_stops_the_year(tmp_path, prefect_backend):
    from flows.yearly_report import yearly_report

    inputs = tmp_path / "inputs"
    shutil.copytree(ROOT / "inputs" / "2024", inputs / "2024")
    folder = inputs / "2024"
    hostile_files = []
    for p in sorted(folder.glob("43*.csv"))[:6]:  # six members, each with every class in every text
        rows = _rows(p)
        head = rows[0]
        cols = [j for j, h in enumerate(head) if h in TEXT_HEADERS or h in TEXT_HEADERS.values()]
        if not cols:
            continue
        n = 0
        for r in rows[1:]:
            if r and r[0] in ("事業費", "expenditure"):
                for j in cols:
                    payload = list(HOSTILE.values())[(n + j) % len(HOSTILE)]
                    r[j] = payload if payload != HOSTILE["markup"] else "取組の説明" + payload
                n += 1
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\r\n").writerows(rows)
        p.write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8", "surrogatepass"))
        hostile_files.append(p.name)
    (folder / "懇談会意見.md").write_text(
        "# 柱1\n\n" + "\n".join(f"- {v}" for v in HOSTILE.values()) + "\n", encoding="utf-8", errors="surrogatepass"
    )
    (folder / "434337_南阿蘇村\ufffe_差替.csv").write_bytes((folder / hostile_files[0]).read_bytes())
    for p in folder.iterdir():
        os.utime(p, (OLD, OLD))
    out = tmp_path / "outputs"
    stale = out / ".2024.staging-killed"  # what a killed run left
    (stale / "feedback").mkdir(parents=True)
    summary = yearly_report(fiscal_year=2024, inputs=inputs, outputs=out, archive=tmp_path / "archive")
    assert summary["fiscal_year"] == 2024
    assert [p.name for p in out.iterdir()] == ["2024"]  # no staging folder, the killed run's cleaned
    subs = pd.read_csv(out / "2024" / "submissions.csv", dtype=str, keep_default_na=False)
    for name in hostile_files:
        row = subs[subs["file"] == name].iloc[0]
        assert row["status"] in ("accepted_with_warnings", "rejected"), name
        assert "行目" in row["warnings"] and "列" in row["warnings"], name  # each change named with row and column
    renamed = subs[subs["file"] == "434337_南阿蘇村_差替.csv"]
    assert len(renamed) == 1 and "U+FFFE" in renamed.iloc[0]["warnings"]
    texts = "".join(
        (out / "2024" / f).read_text(encoding="utf-8-sig") for f in ("evaluations.csv", "initiative_texts.csv")
    )
    for bad in ("\ufffe", "\uffff", "\x00", "\x0c", "\x01", "_x000B_", "_x000D_", "\x0b", "\u2028"):
        assert bad not in texts, repr(bad)
    assert "説明会を開催\n参加50人" in texts.replace("\r\n", "\n")
    assert unicodedata.normalize("NFC", "ガイドブックを配布") in texts
    assert (out / "2024" / "report_2024.docx").is_file()


def test_a_failed_run_leaves_no_staging_folder(tmp_path, monkeypatch, prefect_backend):
    import flows.yearly_report as fy
    from vision_report import pipeline

    def boom(*args, **kwargs):
        stage = args[9]
        (stage / "half-written.csv").write_text("x", encoding="utf-8")
        raise RuntimeError("killed half way")

    monkeypatch.setattr(pipeline, "_staged_year", boom)
    inputs = tmp_path / "inputs"
    (inputs / "2024").mkdir(parents=True)
    out = tmp_path / "outputs"
    with pytest.raises(RuntimeError):
        fy._run_year(load_settings(ROOT), 2024, inputs, out, tmp_path / "archive", "r1")
    assert list(out.iterdir()) == []


def test_the_kind_names_are_looked_up_once_per_batch_not_per_row(plan, monkeypatch):
    """prepare_rows reads the 区分 of every row through one lookup of templates/labels.yaml: finding the project
    (paths.find_root walks the folders up) for each of a year's rows cost about 0.1 ms a row (bench/results.md
    2026-12-04). The names read are the labels' (事業費, ＫＰＩ in full width) and the keys."""
    from vision_report.core import vocabulary
    from vision_report.screening.prepare import prepare_rows

    settings = load_settings(ROOT)
    kinds = ["事業費", "ＫＰＩ", "expenditure", "kpi", "事業"] * 60
    rows = [HEADER] + [[k, "1.1.1", "10", "千円", "実施", "開催", "", "A", "継続"] for k in kinds]
    raw = table_to_rows(_rec(), Table(rows))
    found = []
    real = vocabulary.find_root
    monkeypatch.setattr(vocabulary, "find_root", lambda *a: found.append(a) or real(*a))
    prepared = prepare_rows(raw, plan, 2024, nz.load_units(ROOT / "config" / "units.yaml"), settings.evaluation)
    assert len(found) <= 2
    assert list(prepared["kind"][:5]) == ["expenditure", "kpi", "expenditure", "kpi", "事業"]
    assert list(prepared["kind_known"][:5]) == [True, True, True, True, False]


def test_html_safe_escapes_every_text_cell_as_html_escape_does():
    """validation.html_safe escapes each distinct text once (issue 21: every cell of every text column was escaped
    one by one, 3 s at 1,741 submissions): the same frame as escaping cell by cell, dtypes and non-texts kept, and a
    column with nothing to escape left as it was."""
    import html

    import pandas as pd

    from vision_report.screening.validation import html_safe

    df = pd.DataFrame(
        {
            "mixed": ["<b>", None, 3, float("nan"), "a&b", "<b>", "plain", "'q'", '"d"'],
            "typed": pd.array(["x<y", None, "z", "z", "x<y", "", ">", "&amp;", "ok"], dtype="string"),
            "clean": ["1.1.1", "2", "3", "4", "5", "6", "7", "8", "9"],
            "number": range(9),
        }
    )
    got = html_safe(df)
    for c in df.columns:
        expected = [html.escape(v, quote=True) if isinstance(v, str) else v for v in df[c]]
        assert [v if not pd.isna(v) else "NA" for v in got[c]] == [v if not pd.isna(v) else "NA" for v in expected]
        assert got[c].dtype == df[c].dtype
    assert got["mixed"][1] is None and got["typed"][1] is pd.NA
    assert list(df["mixed"])[0] == "<b>"  # the frame given is left alone


def test_a_second_note_column_is_made_safe_as_the_first():
    """A file with 備考 twice: the second one's text is read after the first's (duplicate_column), made safe as
    every cell is (a character XML cannot carry in it used to reach the accepted rows and the reports)."""
    rows = [
        ["区分", "ID", "実績値", "単位", "備考", "備考"],
        ["事業費", "1.1.1", "10", "千円", "前", "後\ufffe_x000B_行"],
        ["事業費", "1.1.2", "10", "千円", "", "\ufffe"],
    ]
    rec = _rec()
    df = table_to_rows(rec, Table(rows))
    assert df["note"].tolist() == ["前 / 後\n行", ""]
    assert all(is_xml_safe(t) for t in df["note"])
    assert df["control_found"].tolist() == ["備考：U+FFFE", "備考：U+FFFE"]
    cleaned = [(i.row, i.column) for i in rec.issues if i.rule == "text_cleaned"]
    assert cleaned == [(2, "備考")]

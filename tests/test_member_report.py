"""A member's report and the office's record of the files (review 3 #3, #10, #11): the report opens with the member's
summary, the body speaks council words (no file name, no 「エラー」), the record of the files comes last under a
heading that says whose record it is, a table of 「—」 alone is a sentence, and the KPI table shows what the rating
compares (the basis members' sum and the target) beside the sum of every member."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from docx import Document

from tests.report_cache import region_document
from tests.test_region_layout import _data, _kpi_rows, _rows, _split, _text
from vision_report.compute.tables import compute_year
from vision_report.core.config import load_settings
from vision_report.outputs.reports.docxutil import docx_bytes, plain_text
from vision_report.outputs.reports.municipality import build_municipality_report
from vision_report.outputs.reports.region_kpis import target_text
from vision_report.outputs.reports.submission_log import file_name_cell

ROOT = Path(__file__).resolve().parents[1]
FY = 2025
KUMAMOTO, ARAO, KASHIMA = "431001", "432041", "434426"
RECEIPT = "2025年度の実績の報告は、{when}事務局が受け付けました（ファイルごとの受付の記録は報告書本編の資料編に掲載しています）。"
FILE = "{code}_{name}_合成データ.csv"


def _every_member_kpis(plan, value: float = 10.0) -> pd.DataFrame:
    """Every member of FY2025 (the 24, 荒尾市 included) reports ``value`` for each KPI it reports."""
    return pd.DataFrame(
        [
            {"municipality_code": m.code, "kind": "kpi", "item_id": k.id, "value": value, "status": None}
            for m in plan.members(FY)
            for k in plan.kpis_reported_by(m.code, FY)
        ]
    )


def _mine(plan, code: str, errors: int = 0, warnings: int = 1) -> pd.DataFrame:
    m = plan.municipality(code)
    return pd.DataFrame(
        [
            {
                "file": FILE.format(code=code, name=m.name),
                "received_at": "2026年6月19日 10:25",
                "timeliness": "on_time",
                "status": "accepted_with_warnings",
                "error_count": errors,
                "warning_count": warnings,
            }
        ]
    )


def _doc(plan, rows: pd.DataFrame, code: str, mine: pd.DataFrame | None = None, **extra):
    """The member's report of ``rows`` (``extra``: further arguments of build_municipality_report) and the year's
    computed tables."""
    settings = load_settings(ROOT)
    res = compute_year(plan, FY, rows[["municipality_code", "kind", "item_id", "value", "status"]], settings)
    doc = build_municipality_report(
        plan,
        FY,
        code,
        res["kpi_attainment"].set_index("kpi_id", drop=False),
        res["budget_execution"].set_index("initiative_id", drop=False),
        _mine(plan, code) if mine is None else mine,
        rows[rows["municipality_code"] == code],
        ROOT / "templates" / "report_style.docx",
        False,
        evaluation=settings.evaluation,
        **extra,
    )
    return Document(io.BytesIO(docx_bytes(doc))), res


def _blocks(doc) -> list[tuple[str, str]]:
    """(style or "table", plain text) of every paragraph and table, in order."""
    out = []
    for el in doc.element.body.iterchildren():
        if el.tag.endswith("}p"):
            out.append((el.style or "", _text(el)))
        elif el.tag.endswith("}tbl"):
            out.append(("table", _text(el)))
    return out


def _tables(doc) -> list[list[list[str]]]:
    return [[[plain_text(c.text) for c in row.cells] for row in t.rows] for t in doc.tables]


def test_the_report_opens_with_the_members_summary_and_ends_with_one_sentence_on_the_receipt(plan):
    """#3/#10: after the title comes the member's summary (its initiatives, its spending with the region's 執行率 of
    those initiatives, its self-evaluations, its KPIs), then the tables; last, one sentence that the year's report
    was received (councillor reading of FY2025: the office's record of the files is not for the council)."""
    rows = pd.concat([_rows(plan), _every_member_kpis(plan)], ignore_index=True)
    doc, _ = _doc(plan, rows, KUMAMOTO)
    blocks = _blocks(doc)
    assert blocks[0] == ("Title", "熊本市の取組状況")
    n = len(plan.initiatives_of(KUMAMOTO, FY))
    lead, points = blocks[2][1], [t for s, t in blocks[3:6]]
    assert lead == (
        f"熊本市（団体コード431001、人口738,020人）は、ビジョンに位置づけた{len(plan.initiatives_in(FY))}の具体的取組のうち"
        f"{n}取組に参加し、KPI 13指標の実績を報告しています。2025年度の要点は次のとおりです。"
    )
    assert points[0].startswith(f"取組と支出：参加する{n}取組への熊本市の支出は、2025年度の合計{n * 100:,}千円です。")
    assert (
        "の事業費は、計画" in points[0] and "（執行率" in points[0] and f"実施状況は、実施 {n}取組です。" in points[0]
    )
    assert (
        points[1]
        == f"自己評価：実績を報告した{n}取組のうち{n}取組に記入があり、A 0取組・B {n}取組・C 0取組・D 0取組です（A・B の割合 100.0%）。"
    )
    assert points[2].startswith("KPI：13指標の実績を報告しています。熊本市の値が圏域の値（24市町村計）に占める割合は、")
    # review 6 P6: said once in plain words that the member has no plan of its own, so no 執行率 of its own; the
    # table's column of its spending is marked as a reference beside the region's figures
    assert (
        "（執行率 3.4%）です。ビジョンの計画額は取組ごとの圏域全体の額で、市町村ごとの計画額はないため、"
        "熊本市自身の執行率は示せません（表の熊本市の支出は参考）。実施状況は、"
    ) in points[0]
    assert blocks[6] == ("Heading2", "参加している取組と支出")
    table = next(t for t in _tables(doc) if t[0][0] == "取組")
    assert [h.replace("\n", "") for h in table[0][2:5]] == [
        "（参考）熊本市の支出（千円）",
        "実施状況",
        "圏域の計画（千円）",
    ]
    assert blocks[-2][1] == RECEIPT.format(when="期限内に届き、")
    assert blocks[-1][1].startswith("問合せ先：")


def test_no_file_name_receipt_time_nor_screening_word_anywhere_in_the_members_report(plan):
    """#3 and the councillor reading of FY2025: 「431001_熊本市_合成データ.csv」, the receipt time, 「エラー（件）」
    「警告」「受理」 are the office's record (the region report's 資料編) and the submitter's feedback: the member's
    report has none of them, only one sentence that the report was received, and when (期限内・期限後)."""
    rows = pd.concat([_rows(plan), _every_member_kpis(plan)], ignore_index=True)
    name = FILE.format(code=KUMAMOTO, name="熊本市")
    doc, _ = _doc(plan, rows, KUMAMOTO)
    blocks = _blocks(doc)
    text = "".join(t for _, t in blocks)
    for word in (name, ".csv", "エラー", "警告", "提出ファイル", "受理", "提出状況", "受付日時", "10:25", "受付記録（"):
        assert word not in text, word
    assert not any(t[0][0] == "ファイル名" for t in _tables(doc))
    assert sum(RECEIPT.format(when="期限内に届き、") == t for _, t in blocks) == 1
    late = _mine(plan, KUMAMOTO).assign(timeliness="late")
    assert RECEIPT.format(when="期限後に届き、") in [t for _, t in _blocks(_doc(plan, rows, KUMAMOTO, mine=late)[0])]
    unknown = _mine(plan, KUMAMOTO).assign(timeliness="")
    assert RECEIPT.format(when="") in [t for _, t in _blocks(_doc(plan, rows, KUMAMOTO, mine=unknown)[0])]
    none = _mine(plan, KUMAMOTO).iloc[0:0]  # no file: no sentence on a receipt
    assert not any("事務局が受け付けました" in t for _, t in _blocks(_doc(plan, rows, KUMAMOTO, mine=none)[0]))


def test_the_sample_kashima_file_is_accepted_with_the_warning_its_report_speaks_of(tmp_path, plan):
    """review 4 #2: 嘉島町's sample file (the older columns, no 自己評価) was 受理 with 0 警告 while its report said the
    office had asked it to send the file again. Screened as the run does, it is 受理（警告あり） with one warning saying
    what to fill in; the warning's words are the submitter's feedback, the report says in its summary what the office
    asked and in its last sentence that the report was received (no record of the files: the councillor reading)."""
    import os
    import shutil
    import time

    from vision_report.core.vocabulary import located_message, severity_label
    from vision_report.screening import screen as screening

    settings = load_settings(ROOT)
    name = plan.municipality(KASHIMA).name
    src = ROOT / "inputs" / str(FY) / FILE.format(code=KASHIMA, name=name)
    (tmp_path / "inputs" / str(FY)).mkdir(parents=True)
    f = shutil.copy(src, tmp_path / "inputs" / str(FY) / src.name)
    old = time.time() - 3600
    os.utime(f, (old, old))
    received = screening.collect(settings, plan, FY, tmp_path / "inputs", None)
    year = screening.screen(received, plan, FY, settings)
    (rec,) = year.received
    n = len(plan.initiatives_of(KASHIMA, FY))
    assert rec.status == "accepted_with_warnings"
    assert [i.rule for i in rec.issues] == ["evaluation_blank"]
    subs = screening.submissions_table(plan, year.received, FY)
    mine = subs[subs["municipality_code"] == KASHIMA]
    warning = (
        f"事業費の{n}行のすべてで、自己評価、今後の方向性、取組実績、成果、課題の記入がありません"
        "（列がないか、すべて空欄です）。実績の値は受け付けますが、このままでは圏域の自己評価の集計に含められません。"
    )
    assert located_message(rec.issues[0]) == warning and severity_label(rec.issues[0].severity) == "警告"
    rows = year.accepted_rows
    doc, _ = _doc(plan, rows.assign(held=False), KASHIMA, mine=mine)
    blocks = [t for _, t in _blocks(doc)]
    assert any(t.endswith("事務局は受付結果の通知で、記入して報告し直すよう嘉島町に依頼しています。") for t in blocks)
    # the warning itself is the feedback's (for the submitter), not the council's: the report says it was received
    assert not any(warning in t for t in blocks)
    assert blocks[-2].startswith("2025年度の実績の報告は、") and blocks[-2].endswith(
        "事務局が受け付けました（ファイルごとの受付の記録は報告書本編の資料編に掲載しています）。"
    )


def test_a_member_that_wrote_nothing_is_told_in_the_summary_and_gets_a_sentence_not_a_table_of_dashes(plan):
    """#10: 嘉島町 reported its figures but wrote no self-evaluation, direction nor text: the summary says so and
    what the office asked; the 49 rows of 「— — —」 are one sentence; no note explains 「未報告」, a word not printed."""
    rows = _rows(plan)
    mine = rows["municipality_code"] == KASHIMA
    rows.loc[mine, ["self_evaluation", "direction", "result_text", "outcome_text", "challenge_text"]] = ""
    doc, _ = _doc(plan, rows, KASHIMA)
    blocks = _blocks(doc)
    n = int(mine.sum())
    first_heading = next(k for k, (s, _) in enumerate(blocks) if s.startswith("Heading"))
    summary = [t for _, t in blocks[:first_heading]]
    assert (
        f"自己評価：2025年度の報告では、実績を報告した{n}取組のいずれにも自己評価と取組実績・成果・課題の記入が"
        "ありませんでした。実績の報告は受け付けていますが、圏域の自己評価の集計（回答数・割合）には含まれていません。"
        "事務局は受付結果の通知で、記入して報告し直すよう嘉島町に依頼しています。"
    ) in summary
    at = blocks.index(("Heading2", "取組ごとの自己評価と取組実績"))
    assert blocks[at + 1] == (
        "",
        f"嘉島町の2025年度の報告では、実績を報告した{n}取組のいずれにも自己評価・今後の方向性・取組実績・成果・課題の"
        "記入がありませんでした。このため取組ごとの表は載せていません。",
    )
    assert not [t for t in _tables(doc) if t[0][2:4] == ["自己評価", "今後の方向性"]]
    text = "".join(t for _, t in blocks)
    assert "未報告" not in text and "「—」は記入なし" not in text


def test_a_table_with_something_written_keeps_its_note_of_dashes_only(plan):
    """#10: the note names 「—」 where a cell shows it, and 「未報告」 only where the table prints it."""
    rows = _rows(plan)
    doc, _ = _doc(plan, rows[~((rows["municipality_code"] == KUMAMOTO) & (rows["item_id"] == "1.1.1"))], KUMAMOTO)
    text = "".join(t for _, t in _blocks(doc))
    assert "「未報告」は実績の報告がない取組" in text  # 1.1.1 not reported
    doc, _ = _doc(plan, rows, KUMAMOTO)
    text = "".join(t for _, t in _blocks(doc))
    assert "未報告" not in text and "「—」は記入なし" not in text  # everything written, everything reported


def test_the_kpi_row_shows_what_the_rating_compares_and_the_statistics_year(plan):
    """#11: 荒尾市's row of 圏域内総生産額 showed the 24-member sum beside a rating made on the 20-member sum, with no
    target: now the 24-member sum is labelled 参考, the 20-member sum and the target are printed, and the row says
    the value is the 2022年度 statistic (data_year_lag 3); the note says 荒尾市's value is not in the rated sum."""
    rows = _every_member_kpis(plan, 10.0)
    doc, res = _doc(plan, rows, ARAO)
    table = next(t for t in _tables(doc) if t[0][0] == "KPI")
    assert [h.replace("\n", "") for h in table[0]] == [
        "KPI",
        "荒尾市の値",
        "圏域の値（参考：24市町村計）",
        "24市町村計に占める割合",  # review 7 #7: the header names the sum the share divides by
        "評価に用いる値（20市町村計）",
        "目標値",
        "圏域の評価",
    ]
    gdp = plan.kpi("gdp")
    row = next(r for r in table[1:] if r[0].startswith("圏域内総生産額"))
    rating = str(res["kpi_attainment"].set_index("kpi_id").at["gdp", "rating"])
    assert row == ["圏域内総生産額（百万円）\n（2022年度の統計）", "10", "240", "4.2%", "200", target_text(gdp), rating]
    assert row[5].startswith("4,830,000")
    text = "".join(t for _, t in _blocks(doc))
    assert "荒尾市は目標を設定した20市町村に含まれないため、荒尾市の値は圏域の評価には用いていません。" in text
    assert (
        "圏域の評価は、目標を設定したビジョンの2024年3月改定時点の構成20市町村の合計（表の「評価に用いる値」）を目標値と比べたもの。"
        in text
    )


def test_a_member_whose_report_was_sent_back_is_told_so_first_and_not_given_a_spending_of_zero(plan):
    """A member with no accepted report (差戻し): the summary says so, and prints no 「支出は…合計0千円」."""
    tamana = "432067"
    mine = _mine(plan, tamana, errors=2).assign(status="rejected")
    rows = _rows(plan)
    doc, _ = _doc(plan, rows[rows["municipality_code"] != tamana], tamana, mine=mine)
    blocks = _blocks(doc)
    first_heading = next(k for k, (s, _) in enumerate(blocks) if s.startswith("Heading"))
    summary = [t for _, t in blocks[:first_heading]]
    assert (
        "実績の報告：2025年度の実績の報告は、まだ受け付けていません（差戻し）。このため、この報告書には玉名市の"
        "2025年度の値がありません。"
    ) in summary
    assert not any(t.startswith(("取組と支出：", "自己評価：")) for t in summary)
    assert ("Heading2", "取組ごとの自己評価と取組実績") in blocks
    assert ("", "玉名市の2025年度の実績の報告を受け付けていないため、取組ごとの自己評価はありません。") in blocks


def test_a_member_in_no_initiative_is_told_in_the_summary_what_happens_after_the_period(plan):
    """#11: 「計画の改定がまだない」 in the final year: the period ends, so its part is for the next vision."""
    doc, _ = _doc(plan, _every_member_kpis(plan), ARAO)
    blocks = _blocks(doc)
    assert "参加している取組と支出" not in [t for s, t in blocks if s == "Heading2"]  # said in the summary
    assert any(
        t.startswith("取組：荒尾市が参加する取組はまだありません。")
        and t.endswith(  # then what it spent (review 7 #19)
            "計画期間は2025年度で終了するため、荒尾市の取組への参加は次期ビジョンで定めることになります。"
            "2025年度に荒尾市が負担した具体的取組の事業費はありません。"
        )
        for _, t in blocks
    )


def test_a_plan_the_vision_leaves_undecided_reads_as_in_the_region_report(plan):
    """review 7 #20: 3.5.4 東部環境工場's plan of the year is 「未定」 in the region report and was 「—」 in 熊本市's table
    of its initiatives; both now print what the plan prints (region_initiatives.planned_text), 「—」 only where the
    plan gives nothing for the year."""
    undecided = [i.id for i in plan.initiatives_of(KUMAMOTO, FY) if i.budget.planned(FY) == "未定"]
    assert "3.5.4" in undecided, undecided
    doc, _ = _doc(plan, _rows(plan), KUMAMOTO)
    table = next(t for t in _tables(doc) if t[0][0] == "取組" and t[0][3] == "実施状況")
    planned = {r[0]: r[4] for r in table[1:]}
    assert {i: planned[i] for i in undecided} == dict.fromkeys(undecided, "未定")
    assert planned["2.3.2"] == "—"  # the plan gives only the period's total
    assert planned["1.1.1"] == "6,589"


def test_a_member_in_no_initiative_is_told_what_it_spent_on_initiatives_from_its_rows(plan):
    """review 7 #19: 南関町's report said it takes part in no initiative but not whether it spends anything. The
    sentence is said from its accepted spending rows (none: 「ありません」; a row, e.g. one sent back later to be
    corrected, gives its sum), and not at all when no report of the year was accepted."""
    point = (
        "取組：荒尾市が参加する取組はまだありません。ビジョンの{n}の具体的取組の関係市町村は計画（ビジョン）で定められて"
        "おり、加入後の参加を定める計画の改定がまだないためです。それまでの間、荒尾市は圏域全体のKPIの実績を報告します。"
        "計画期間は2025年度で終了するため、荒尾市の取組への参加は次期ビジョンで定めることになります。{spent}"
    )
    n = len(plan.initiatives_in(FY))

    def summary(rows):
        doc, _ = _doc(plan, rows, ARAO)
        return next(t for _, t in _blocks(doc) if t.startswith("取組："))

    assert summary(_every_member_kpis(plan)) == (
        point.format(n=n, spent="2025年度に荒尾市が負担した具体的取組の事業費はありません。")
    )
    ini = plan.initiatives_in(FY)[0].id
    spent = pd.DataFrame(
        [{"municipality_code": ARAO, "kind": "expenditure", "item_id": ini, "value": 1234.0, "status": "実施"}]
    )
    assert summary(pd.concat([_every_member_kpis(plan), spent], ignore_index=True)) == (
        point.format(n=n, spent="2025年度に荒尾市が負担した具体的取組の事業費は1,234千円です。")
    )
    others = _every_member_kpis(plan)
    assert summary(others[others["municipality_code"] != ARAO]) == point.format(n=n, spent="")


@pytest.mark.parametrize(
    ("width", "want"),
    [
        (60, "434337_南阿蘇村_合成データ.csv"),
        (45, "434337_南阿蘇村_\n合成データ.csv"),
        (25, "434337_\n南阿蘇村_\n合成データ.csv"),
    ],
)
def test_a_file_name_breaks_only_after_an_underscore(width, want):
    """#3: 「434337_南阿蘇村_合成デー／タ.csv」: a name wider than its column breaks between its pieces."""
    assert file_name_cell("434337_南阿蘇村_合成データ.csv", width, 8.5) == want


def test_the_region_body_speaks_council_words_and_the_appendix_keeps_the_offices_record(plan):
    """#3: the 要旨 says whose reports arrived and はじめに points to it and to the 資料編; no file name nor 「エラー」 in the
    body; 資料1 is the office's record, says what its columns mean, and a file name breaks only after 「_」."""

    data = _data(plan, pd.concat([_rows(plan), _kpi_rows(plan, 0.9)], ignore_index=True))
    at = data.subs.index[data.subs["municipality_code"] == "434337"][0]
    data.subs.loc[at, ["file", "status", "received_at", "timeliness"]] = [
        "434337_南阿蘇村_合成データ.csv",
        "accepted",
        "2026年6月19日 10:25",
        "on_time",
    ]
    doc = region_document(data)
    body, appendix = _split(doc)
    text = "".join(_text(el) for el in body)
    for word in ("合成データ", ".csv", "エラー", "提出ファイル"):
        assert word not in text, word
    # (「受理した提出がない」 years of the 計画期間の総括 are another part's words: not checked here)
    assert "受理した提出で" not in text  # 市町村ごとの報告と自己評価
    n = len(plan.members(FY))
    # said once, in the 要旨 in plain words; はじめに refers to it and to the record in the 資料編 (review 4 #12)
    # (only 南阿蘇村's file is in this table: the others' reports did not arrive)
    assert text.count(f"各市町村の実績報告（2025年度）：構成{n}市町村のうち1市町村から報告が届きました（") == 1
    assert "は報告が届いていません）。届いていない市町村の実績は、この報告書の数値に含めていません。" in text
    assert "2025年度の報告が届いた市町村は、要旨に示したとおりです（各市町村の受付の記録は資料編）。" in text
    for word in ("差戻し", "差し戻", "事務局の記録"):  # (「受理」「未提出」: the years without any file, another part)
        assert word not in text, word
    record = [_text(el) for el in appendix]
    assert "資料1 事務局の受付記録（実績報告のファイル）" in record
    assert any(t.startswith("事務局が受け付けた実績報告のファイルの記録です") for t in record)
    # no file with an error or a warning, none sent back or replaced: nothing of them is explained (review 6 P12)
    for word in ("「エラー」は", "「警告」は", "「差戻し」", "「差替え済み」"):
        assert not any(word in t for t in record), word
    log = next(t for t in doc.tables if t.rows[0].cells[1].text == "ファイル名")
    cell = next(r.cells[1].text for r in log.rows if r.cells[0].text == "南阿蘇村")
    assert cell.replace("\n", "") == "434337_南阿蘇村_合成データ.csv"
    assert all(line.endswith("_") or line.endswith(".csv") for line in cell.split("\n"))


def _log_intro(**columns) -> list[str]:
    from vision_report.outputs.reports.submission_log import log_intro, log_occurs

    subs = pd.DataFrame({"status": ["accepted", "accepted"], "error_count": ["0", "0"], "warning_count": ["0", ""]})
    for column, values in columns.items():
        subs[column] = values
    return log_intro(ROOT / "templates", "region", **log_occurs(subs))


def test_the_offices_record_explains_only_the_counts_and_states_its_table_has():
    """Review 6 P12: 資料1 explained 「差戻し」「差替え済み」 and the error and warning counts in a year without any."""
    lead = "事務局が受け付けた実績報告のファイルの記録です（本編の数値は、「受理」「受理（警告あり）」のファイルの値を集計したものです）。"
    assert _log_intro() == [lead]
    assert _log_intro(warning_count=["0", "1"], status=["accepted", "accepted_with_warnings"]) == [
        lead,
        "「警告」は確認をお願いする点の数です。",
    ]
    assert _log_intro(error_count=["2", "0"], status=["rejected", "accepted"]) == [
        lead,
        "「エラー」は記入内容の検査で見つかった修正が必要な点の数です。エラーがあるファイルは「差戻し」とし、値は集計に"
        "用いず、修正したファイルの再提出を求めます。",
    ]
    assert _log_intro(error_count=["2", "0"], warning_count=["1", "0"], status=["rejected", "superseded"]) == [
        lead,
        "「エラー」は記入内容の検査で見つかった修正が必要な点、「警告」は確認をお願いする点の数です。エラーがあるファイル"
        "は「差戻し」とし、値は集計に用いず、修正したファイルの再提出を求めます。「差替え済み」は、同じ市町村から後に"
        "届いたファイルに置き換えたものです。",
    ]


def test_every_part_of_the_members_template_is_used_and_every_one_used_exists():
    """A contract test for templates/report/municipality.txt.j2 (the tests above render every part under
    StrictUndefined, so a value the code does not pass fails there)."""
    import re

    template = (ROOT / "templates" / "report" / "municipality.txt.j2").read_text(encoding="utf-8")
    parts = set(re.findall(r'part == "(\w+)"', template))
    code = "".join(  # the report and its plan period's section (review 4 #11)
        (ROOT / "vision_report" / "outputs" / "reports" / f).read_text(encoding="utf-8")
        for f in ("municipality.py", "member_period.py")
    )
    used = set(re.findall(r'render\(\s*templates,\s*"(\w+)"', code))
    assert parts == used, (parts - used, used - parts)
    log = (ROOT / "templates" / "report" / "submission_log.txt.j2").read_text(encoding="utf-8")
    assert set(re.findall(r'part == "(\w+)"', log)) == {"region"}  # else: the member's report


def test_the_summarys_share_range_names_the_signed_kpi_it_leaves_out_and_the_note_says_why(plan):
    """Review 4 #1: 「割合は、2.1%〜2.6%です」 while the table printed 2.7% for 社会増減数 (a KPI that may be negative,
    left out of the range without a word), and the note said only 「割合が100%を超えることがある」."""
    rows = _every_member_kpis(plan, 10.0)
    signed = [k for k in plan.kpis_reported_by(ARAO, FY) if k.allow_negative and len(k.reporters) > 1]
    assert signed, "the fixture needs a KPI that may be negative, reported by several members"
    rows.loc[(rows["municipality_code"] == ARAO) & (rows["item_id"] == signed[0].id), "value"] = -30.0
    doc, _ = _doc(plan, rows, ARAO)
    text = "".join(t for _, t in _blocks(doc))
    names = "・".join(k.name for k in signed)
    point = next(t for _, t in _blocks(doc) if "に占める割合は、" in t)
    assert f"です（負の値がある{names}を除く）。" in point, point
    table = next(t for t in _tables(doc) if t[0][0] == "KPI")
    share = next(r[3] for r in table[1:] if r[0].startswith(signed[0].name))
    low_high = point.split("に占める割合は、")[1].split("です")[0]
    assert share not in low_high  # the signed KPI's own share (negative this year) is not the range
    assert (
        f"{names}は2025年度の値に負の値があり、割合が負になったり100%を超えたりするため、冒頭の割合の範囲には含めない。"
        in text
    )


def test_a_kpi_only_the_member_reports_has_no_share_and_the_note_says_why(plan):
    """review 8: 熊本市's KPI table printed 「100.0%」 under 「24市町村計に占める割合」 for the KPIs only 熊本市 reports
    (747,619 of 747,619): its value is the region's. The cell is 「—」 and the note says so; a KPI others report too
    keeps its share."""
    rows = _every_member_kpis(plan)
    doc, _ = _doc(plan, rows, KUMAMOTO)
    table = next(t for t in _tables(doc) if t[0][0] == "KPI")
    alone = {k.name for k in plan.kpis if k.reporters == (KUMAMOTO,)}
    assert alone, "the plan has KPIs only 熊本市 reports"
    cells = {next(n for n in (k.name for k in plan.kpis) if row[0].startswith(n)): row[3] for row in table[1:]}
    assert {cells[name] for name in alone} == {"—"}
    assert all(v.endswith("%") for name, v in cells.items() if name not in alone)
    text = "".join(t for _, t in _blocks(doc))
    assert "割合の「—」は熊本市だけが報告するKPI（圏域の値は熊本市の値）。" in text
    doc, _ = _doc(plan, rows, ARAO)  # reports no KPI of its own: no such sentence
    assert "だけが報告するKPI（圏域の値は" not in "".join(t for _, t in _blocks(doc))


def test_the_share_range_keeps_a_kpi_that_may_be_negative_in_a_year_its_values_are_positive(plan):
    """review 6 P18: 荒尾市's 社会増減 +53 of +1,961 (2.7 %) was shown in the table and left out of 「2.1%〜2.6%」; a KPI
    is left out of the range only in a year its value or the region's is negative."""
    rows = _every_member_kpis(plan, 10.0)
    signed = [k for k in plan.kpis_reported_by(ARAO, FY) if k.allow_negative and len(k.reporters) > 1]
    rows.loc[(rows["municipality_code"] == ARAO) & (rows["item_id"] == signed[0].id), "value"] = 30.0
    doc, _ = _doc(plan, rows, ARAO)
    point = next(t for _, t in _blocks(doc) if "に占める割合は、" in t)
    table = next(t for t in _tables(doc) if t[0][0] == "KPI")
    share = next(r[3] for r in table[1:] if r[0].startswith(signed[0].name))
    n = len(plan.members(FY))
    assert share == f"{30 / (10 * (n - 1) + 30) * 100:.1f}%"
    low = f"{10 / (10 * n) * 100:.1f}%"
    assert f"に占める割合は、{low}〜{share}です。" in point, point
    assert "負の値がある" not in point
    # review 7: nor does the table's note say it was left out
    assert "冒頭の割合の範囲には含めない" not in "".join(t for _, t in _blocks(doc))


def test_a_member_in_the_basis_is_also_given_its_share_of_the_sum_the_rating_compares(plan):
    """review 7 #7: 熊本市's shares divide by the 24-member sum while the rating compares the 20-member sum (創業者数
    676 of 1,278 = 52.9 %, but 58.6 % of the 1,153 rated). The table keeps the 24-member share, its header names that
    sum, and the summary gives a member in the basis its share of the basis sum too; a member outside it is not."""
    rows = _every_member_kpis(plan, 10.0)
    n, n_basis = len(plan.members(FY)), len(plan.basis_members)
    doc, _ = _doc(plan, rows, KUMAMOTO)
    point = next(t for _, t in _blocks(doc) if t.startswith("KPI："))
    assert point == (
        f"KPI：13指標の実績を報告しています。熊本市の値が圏域の値（{n}市町村計）に占める割合は、{100 / n:.1f}%です"
        f"（熊本市だけが報告する7指標を除く）。評価に用いる{n_basis}市町村計に占める割合では、{100 / n_basis:.1f}%です。"
    )
    table = next(t for t in _tables(doc) if t[0][0] == "KPI")
    assert table[0][3].replace("\n", "") == f"{n}市町村計に占める割合"
    doc, _ = _doc(plan, rows, ARAO)
    assert not any("評価に用いる20市町村計に占める割合" in t for _, t in _blocks(doc))


def _period_data(plan, code: str, skip_year: int | None = None):
    """A ReportData of FY2025 whose per_year holds 2021–2025: every participant spends 10 × (year − 2020) 千円 on each
    initiative it takes part in that year; ``code``'s file of ``skip_year`` was not accepted (no row, no spend)."""
    from vision_report.compute.period import compute_period
    from vision_report.compute.statuses import MEMBER_SPEND, member_spend_table
    from vision_report.outputs.reports.context import ReportData
    from vision_report.outputs.words import worded
    from vision_report.screening.screen import submissions_table

    settings = load_settings(ROOT)
    per_year = {}
    for y in range(2021, FY + 1):
        rows = pd.DataFrame(
            [
                {"municipality_code": c, "kind": "expenditure", "item_id": i.id, "value": 10.0 * (y - 2020)}
                | {"status": "実施"}
                for i in plan.initiatives_in(y)
                for c in plan.participants(i.id, y)
                if plan.is_member(c, y) and not (c == code and y == skip_year)
            ]
        )
        if y == FY:
            rows = pd.concat([rows, _kpi_rows(plan, 1.1)], ignore_index=True)
        per_year[y] = compute_year(plan, y, rows, settings)
        per_year[y][MEMBER_SPEND] = member_spend_table(rows)
    this = per_year[FY]
    return ReportData(
        settings=settings,
        plan=plan,
        fiscal_year=FY,
        results=worded({**this, **compute_period(plan, per_year, FY, settings)}),
        subs=submissions_table(plan, [], FY),
        accepted_rows=rows,
        per_year=per_year,
        issued="2026年12月",
    ), rows


def test_the_final_years_member_report_sums_up_the_plan_period_and_says_when_it_was_issued(plan):
    """review 4 #11: the report of the plan's last year has 計画期間（2021〜2025年度）のまとめ: the member's own spending
    per year and in total (its column first; a submission has no plan amount of its own, so the header and the note
    say that 計画・実績・執行率 are the region's for the initiatives it took part in), every KPI's final verdict as in
    the region report; the issue month (the run's, not the clock) is under the title."""
    kikuchi = "432105"
    data, rows = _period_data(plan, kikuchi, skip_year=2023)
    doc = _period_doc(plan, data, rows, kikuchi)
    blocks = _blocks(doc)
    assert blocks[2] == ("", "発行：2026年12月")
    at = blocks.index(("Heading2", "計画期間（2021〜2025年度）のまとめ"))
    assert at > blocks.index(("Heading2", "報告しているKPIと圏域に占める割合"))
    own = {y: 10.0 * (y - 2020) * len(plan.initiatives_of(kikuchi, y)) for y in range(2021, 2026) if y != 2023}
    met = sum(1 for r in data.results["period_kpi"].to_dict("records") if r["achieved"] == "達成")
    assert blocks[at + 1] == (
        "",
        f"菊池市は2021〜2025年度の各年度に取組に参加し、菊池市自身の支出は計画期間の合計で{sum(own.values()):,.0f}千円です"
        "（2023年度は実績の報告を受け付けていないため含みません）。",
    )
    assert blocks[at + 2][0] == "table" and blocks[at + 3][0] == "注記"  # the spending, its note
    assert blocks[at + 4] == (  # then the KPIs' sentence, leading their table in
        "",
        f"13のKPIのうち、計画期間の最終値が目標を達成したものは{met}指標、未達成は{13 - met}指標です（圏域全体の判定で、"
        "報告書本編の「計画期間の総括」と同じ）。",
    )
    # the KPIs' sentence stays with its table; the spending's note is not chained to it (review 4 #16)
    paras = {_text(p._p): p for p in doc.paragraphs}
    assert paras[blocks[at + 4][1]].paragraph_format.keep_with_next
    assert not paras[blocks[at + 3][1]].paragraph_format.keep_with_next
    tables = _tables(doc)
    spend = next(t for t in tables if t[0][0] == "年度")
    assert spend[0] == [
        "年度",
        "菊池市の支出（千円）",
        "参加した取組の\n圏域の計画（千円）",
        "参加した取組の\n圏域の実績（千円）",
        "圏域の執行率",
    ]
    assert [r[:2] for r in spend[1:]] == [
        ["2021年度", f"{own[2021]:,.0f}"],
        ["2022年度", f"{own[2022]:,.0f}"],
        ["2023年度", "—"],
        ["2024年度", f"{own[2024]:,.0f}"],
        ["2025年度", f"{own[2025]:,.0f}"],
        ["計画期間の合計のみ記載", ""],  # review 6 P4: a plan given only as the period's total (2.3.2 …)
        ["合計", f"{sum(own.values()):,.0f}"],
    ]
    b25 = data.per_year[2025]["budget_execution"].set_index("initiative_id")
    ids = [i.id for i in plan.initiatives_of(kikuchi, 2025)]
    assert spend[5][2:4] == [
        f"{b25.loc[ids, 'planned_thousand_yen'].dropna().sum():,.0f}",
        f"{b25.loc[ids, 'actual_thousand_yen'].dropna().sum():,.0f}",
    ]
    text = [t for _, t in blocks]
    assert (
        "※ 市町村ごとの計画額はないため、菊池市自身の執行率は示せません。計画・実績・執行率は、"
        "菊池市がその年度に参加した取組の圏域全体（関係市町村すべて）の額。「—」は実績の報告を受け付けていない年度。"
        "「計画期間の合計のみ記載」は、計画書に計画期間の合計額だけが記載された取組（"
    ) in "".join(text)
    verdict = next(t for t in tables if t[0][0] == "KPI" and t[0][-1] == "菊池市の\n報告")
    assert verdict[0] == ["KPI", "最終値", "目標値", "判定", "菊池市の\n報告"]
    assert len(verdict) == 14 and {r[3] for r in verdict[1:]} <= {"達成", "未達成"}
    reports = {k.name for k in plan.kpis_reported_by(kikuchi, FY)}
    assert [r[4] for r in verdict[1:]] == ["○" if k.name in reports else "" for k in plan.kpis]
    assert verdict[1][2] == target_text(plan.kpis[0])
    assert verdict[1][1].endswith("\n（2022年度の統計）")  # 圏域内総生産額: the statistic's year, as the region report


def _period_doc(plan, data, rows, code: str, region=None):
    from vision_report.outputs.reports.municipality import member_period

    return Document(
        io.BytesIO(
            docx_bytes(
                build_municipality_report(
                    plan,
                    FY,
                    code,
                    data.kpi,
                    data.budget,
                    _mine(plan, code),
                    rows[rows["municipality_code"] == code].assign(held=False),
                    ROOT / "templates" / "report_style.docx",
                    False,
                    evaluation=data.settings.evaluation,
                    issued=data.issued,
                    period=member_period(data, code),
                    region=region,
                )
            )
        )
    )


def test_the_summary_opens_with_the_regions_verdict_and_sets_the_regions_share_beside_the_members(plan):
    """review 7 #6: 熊本市's 要点 did not say the region's verdict (first said on its last page) and gave its A・B share
    71.0 % without the region's 83.4 %. In the plan's last year the first point is the period's verdict in the words
    and values of the region report's 要旨 (templates/report/verdict.txt.j2); the self-evaluation's share is followed
    by the region's."""
    from vision_report.outputs.reports.municipality import region_facts
    from vision_report.outputs.reports.region_abstract import abstract_lines, abstract_values

    data, rows = _period_data(plan, KUMAMOTO)
    spend = rows["kind"] == "expenditure"
    rows = rows.assign(
        self_evaluation=["ABCD"[k % 4] if s else "" for k, s in enumerate(spend)],
        direction="",
        result_text="",
        outcome_text="",
        challenge_text="",
    )
    data.accepted_rows = rows
    region = region_facts(data)
    period = data.results["period_kpi"]
    met = int((period["achieved"] == "達成").sum())
    missed = int((period["achieved"] == "未達成").sum())
    assert (region.final, region.n_kpis, region.n_achieved, region.n_not_achieved) == (True, 13, met, missed)
    verdict = f"13のKPIのうち、目標を達成したものは{met}指標、未達成は{missed}指標"
    # the same words as the region report's 要旨
    assert any(line.startswith(f"計画期間の総括：{verdict}。") for line in abstract_lines(data, "points"))
    graded = rows.loc[spend, "self_evaluation"]
    assert region.good_pct == abstract_values(data)["good_pct"] == f"{graded.isin(['A', 'B']).mean() * 100:.1f}%"
    own = rows.loc[spend & (rows["municipality_code"] == KUMAMOTO), "self_evaluation"]
    own_pct = f"{own.isin(['A', 'B']).mean() * 100:.1f}%"
    assert own_pct != region.good_pct
    blocks = _blocks(_period_doc(plan, data, rows, KUMAMOTO, region))
    assert next(b for b in blocks if b[0] == "ListBullet") == (
        "ListBullet",
        f"計画期間の総括（圏域全体）：{verdict}（KPIごとの判定は「計画期間（2021〜2025年度）のまとめ」に掲載）。",
    )
    point = next(t for _, t in blocks if t.startswith("自己評価："))
    assert point.endswith(f"（A・B の割合 {own_pct}、圏域全体 {region.good_pct}）。"), point
    # without the region's figures (a caller that has none), nothing is said of them
    blocks = _blocks(_period_doc(plan, data, rows, KUMAMOTO))
    assert not any("圏域全体）：" in t or "、圏域全体 " in t for _, t in blocks)


def test_before_the_plans_last_year_the_summary_opens_with_the_years_kpi_ratings_of_the_region(plan):
    """review 7 #6: a year before the plan's last has no period verdict: the first point gives the region's KPI
    ratings of the year, in the 要旨's words."""
    from vision_report.outputs.reports.municipality import RegionFacts

    region = RegionFacts(
        n_kpis=13,
        ratings={"A": 2, "B": 10, "C": 0, "D": 1, "-": 0},
        final=False,
        n_achieved=0,
        n_not_achieved=0,
        n_no_value=0,
        good_pct="83.4%",
    )
    rows = pd.concat([_rows(plan), _every_member_kpis(plan)], ignore_index=True)
    doc, _ = _doc(plan, rows, KUMAMOTO, region=region)
    blocks = _blocks(doc)
    assert blocks[3] == (
        "ListBullet",
        "KPIの評価（圏域全体、2025年度）：13のKPIのうち、A 2指標・B 10指標・C 0指標・D 1指標。",
    )
    point = next(t for _, t in blocks if t.startswith("自己評価："))
    assert point.endswith("（A・B の割合 100.0%、圏域全体 83.4%）。"), point


def test_the_members_period_total_counts_the_plans_given_only_for_the_period_as_the_region_does(plan):
    """review 6 P4: 熊本市 takes part in every initiative, yet its 計画期間のまとめ said 計画 14,841,969 / 97.1 % where
    the region report says 14,892,145 / 96.7 %: the plans the vision gives only as a period total (2.3.2, 3.20.2,
    3.20.3) were left out. They are a row of their own and count in the total, from the region's period_budget."""
    kumamoto = "431001"
    data, rows = _period_data(plan, kumamoto)
    budget = data.results["period_budget"]
    lump = budget[budget["plan_total_only"]]
    assert sorted(lump["initiative_id"]) == ["2.3.2", "3.20.2", "3.20.3"]
    doc = _period_doc(plan, data, rows, kumamoto)
    spend = next(t for t in _tables(doc) if t[0][0] == "年度")
    pillars = data.results["period_rollup"].query("level == 'pillar'")
    planned, actual = pillars["planned_thousand_yen"].sum(), pillars["actual_thousand_yen"].sum()
    assert spend[-2] == ["計画期間の合計のみ記載", "", f"{lump['planned_thousand_yen'].sum():,.0f}", "", ""]
    assert spend[-1][0] == "合計" and spend[-1][2:] == [
        f"{planned:,.0f}",
        f"{actual:,.0f}",
        f"{actual / planned * 100:.1f}%",
    ]
    assert (
        "「計画期間の合計のみ記載」は、計画書に計画期間の合計額だけが記載された取組（2.3.2・3.20.2・3.20.3）の計画。"
        "圏域の報告書と同じく、その合計額を計画期間の計画として合計に含める。"
    ) in "".join(t for _, t in _blocks(doc))


def test_a_report_before_the_plans_last_year_has_no_period_section(plan):
    """review 4 #11: only the report of the plan's last year sums up the period."""
    from vision_report.outputs.reports.municipality import member_period

    data, _ = _period_data(plan, "432105")
    assert member_period(data, "432105") is not None
    data.fiscal_year = 2024
    assert member_period(data, "432105") is None


def test_a_self_evaluation_that_disagrees_with_the_status_is_marked_in_the_members_table(plan):
    """review 4 #15: 菊池市's 2.3.2 was 「一部実施」 with B (the criteria: C 一部のみ実施) with no remark. review 7 #5:
    「C（実施）」 read as "C (implemented)": the grade gets a mark (「B※」) and a note right above the table says what the
    mark means and the rule (from config evaluation.grades_by_status, statuses with the same grades together); a grade
    that agrees gets nothing."""
    kikuchi = "432105"
    rows = _rows(plan)
    ids = [i.id for i in plan.initiatives_of(kikuchi, FY)]
    mine = rows["municipality_code"] == kikuchi
    rows.loc[mine & (rows["item_id"] == ids[0]), ["status", "self_evaluation"]] = ["一部実施", "B"]
    rows.loc[mine & (rows["item_id"] == ids[1]), ["status", "self_evaluation"]] = ["一部実施", "C"]  # agrees
    rows.loc[mine & (rows["item_id"] == ids[2]), ["status", "self_evaluation"]] = ["未実施", "A"]
    doc, _ = _doc(plan, rows, kikuchi)
    table = next(t for t in _tables(doc) if t[0][2] == "自己評価")
    grades = {r[0]: r[2] for r in table[1:]}
    assert grades[ids[0]] == "B※"
    assert grades[ids[1]] == "C"
    assert grades[ids[2]] == "A※"
    assert grades[ids[3]] == "B"
    blocks = _blocks(doc)
    at = next(k for k, (s, t) in enumerate(blocks) if s == "table" and t.startswith("取組名称自己評価"))
    # directly above the table, under its heading (read before the marks), kept with the table's header
    assert blocks[at - 2] == ("Heading2", "取組ごとの自己評価と取組実績")
    assert blocks[at - 1] == (
        "注記",
        "※ 自己評価の「※」は、自己評価の基準と実施状況が合わない回答（基準では、実施・完了はAまたはB、一部実施はC、"
        "未実施はD）。",
    )
    legend = next(p for p in doc.paragraphs if _text(p._p) == blocks[at - 1][1])
    assert legend.paragraph_format.keep_with_next
    assert blocks[at + 1][0] == "注記" and blocks[at + 1][1].startswith("※ 自己評価は菊池市が記入したもの（A：")
    doc, _ = _doc(plan, _rows(plan), kikuchi)
    assert not any("自己評価の「※」" in t or "※" in t.replace("※ ", "") for _, t in _blocks(doc))


def test_the_leads_own_status_is_said_when_it_is_not_what_most_participants_reported(plan):
    """review 4 #15: 2.3.1 showed 「実施 17・一部実施 2・未実施 1」 above 熊本市's 「実施しなかった」. When the lead's own
    実施状況 is not the most reported one, a line before its texts says it; otherwise nothing is added."""
    from tests.test_region_layout import _report

    rows = _rows(plan)
    ini = next(i for i in plan.initiatives if len(plan.participants(i.id, FY)) >= 3 and plan.lead_of(i.id) == KUMAMOTO)
    lead = (rows["municipality_code"] == KUMAMOTO) & (rows["item_id"] == ini.id)
    rows.loc[lead, ["status", "result_text"]] = ["未実施", "今年度は関係機関との協議が続いているため実施しなかった。"]
    lines = [_text(p._p) for p in _report(plan, rows).paragraphs]
    at = lines.index("取組実績（熊本市）：今年度は関係機関との協議が続いているため実施しなかった。")
    assert lines[at - 1] == "主担当の熊本市の実施状況：未実施（表の実施状況は関係市町村すべての内訳）"
    assert lines.count("主担当の熊本市の実施状況：未実施（表の実施状況は関係市町村すべての内訳）") == 1
    assert not any(line.startswith("主担当の熊本市の実施状況：実施") for line in lines)  # the others: 実施, as most


def _kept(tr) -> bool:
    from docx.oxml.ns import qn

    return all(p.pPr is not None and p.pPr.keepNext_val for p in tr.iter(qn("w:p")))


def test_a_short_kpi_table_stays_on_one_page_with_its_note(plan):
    """review 4 #16: 嘉島町's KPI table left 2 rows on p2 and went on on p3. A table of at most layout.yaml
    municipality.keep_whole_rows rows keeps every row with the next and its last row with the note under it."""
    rows = pd.concat([_rows(plan), _every_member_kpis(plan)], ignore_index=True)
    doc, _ = _doc(plan, rows, KASHIMA)
    table = next(t for t in doc.tables if plain_text(t.rows[0].cells[0].text) == "KPI")
    assert all(_kept(tr) for tr in table._tbl.tr_lst)
    doc, _ = _doc(plan, rows, KUMAMOTO)  # 13 KPIs and the header: 14 rows, still one block
    table = next(t for t in doc.tables if plain_text(t.rows[0].cells[0].text) == "KPI")
    assert len(table.rows) == 14 and all(_kept(tr) for tr in table._tbl.tr_lst)


def test_a_long_table_keeps_its_head_and_its_tail_together(plan, tmp_path):
    """review 4 #16: a table longer than keep_whole_rows breaks where it must, but its header with the first
    keep_edge_rows rows, and its last keep_edge_rows rows with the note, stay on one page."""
    from docx import Document as new_doc

    from vision_report.outputs.reports.municipality import keep_on_page

    doc = new_doc()
    from vision_report.outputs.reports.docxutil import add_table

    table = add_table(doc, ["a", "b"], [[str(k), "x"] for k in range(20)], widths=[20, 20])
    keep_on_page(table, ROOT / "templates")
    kept = [_kept(tr) for tr in table._tbl.tr_lst]
    assert kept == [True] * 4 + [False] * 14 + [True] * 3


def test_a_municipality_reports_tables_keep_their_last_rows_and_notes_together(plan):
    """Issue 18: in a municipality report too, no table's last row opens a page alone and the notes under a table
    stay with its last rows (docxutil.keep_table_ends, layout.yaml page_flow.keep_edge_rows)."""
    from tests.test_region_layout import table_ends_kept

    doc, _ = _doc(plan, pd.concat([_rows(plan), _every_member_kpis(plan)], ignore_index=True), KUMAMOTO)
    noted, _ = table_ends_kept(doc)
    assert noted >= 3, noted

"""The councillor-reader's review of the FY2025 reports (issue 18, second reading): what a councillor needs on the
page to read a rating, a count or a provisional value without asking the office."""

from __future__ import annotations

import io
import re

import pandas as pd
from docx import Document

from tests.report_cache import region_document, region_docx, summary_document, summary_docx
from tests.test_region_layout import _data, _kpi_rows, _lines, _report, _rows, _split, _text
from tests.test_summary_review import _after_table
from vision_report.outputs.reports.docxutil import docx_bytes


def _table(doc, first: str, contains: str):
    return next(
        t
        for t in doc.tables
        if t.rows[0].cells[0].text.replace("\n", "") == first
        and contains in [c.text.replace("\n", "") for c in t.rows[0].cells]
    )


def _gdp_behind(plan) -> pd.DataFrame:
    """Every KPI at 1.1 × target except 圏域内総生産額, back below its baseline (達成率 high, rating D)."""
    gdp = plan.kpis[0]
    kpis = _kpi_rows(plan, 1.1)
    codes = kpis["item_id"] == gdp.id
    kpis.loc[codes, "value"] = round(gdp.baseline * 0.954 / int(codes.sum()))
    return pd.concat([_rows(plan, writers=1), kpis], ignore_index=True)


def test_the_abstracts_kpi_table_shows_the_figure_that_decides_the_rating_and_what_a_to_d_mean(plan):
    """#1: the 要旨's KPI table has 進捗率 beside 達成率; the note under it names the KPIs rated by 達成率 (at_least;
    the others by 進捗率), says what A–D mean and that only A is the target met. Review 4 #8: the 要旨 has no
    「評価の基準」 column (nor the 参考 sum), so the KPI names get the width to fit in 2–3 lines; the body's KPI
    tables keep both."""
    doc = _report(plan, _gdp_behind(plan))
    table = _table(doc, "KPI", "総括の判定")
    header = [c.text.replace("\n", "") for c in table.rows[0].cells]
    assert header == [
        "KPI",
        "現状値（年）",
        "目標値（2025年度）",
        "実績値（20市町村計）",
        "達成率",
        "進捗率",
        "評価",
        "総括の判定",
    ]
    by_name = {r.cells[0].text.replace("\n", ""): [c.text for c in r.cells] for r in table.rows[1:]}
    gdp = by_name[f"{plan.kpis[0].name}（{plan.kpis[0].unit}）"]
    assert gdp[header.index("評価")] == "D" and gdp[header.index("進捗率")] != "—"
    text = "".join(_lines(doc))
    at_least = "・".join(k.name for k in plan.kpis if k.direction == "at_least")
    assert at_least.count("・") == 2  # 社会増減数・出生数・相互利用者数
    assert f"評価は、増加を目指すKPIは進捗率、水準の維持を目指すKPI（{at_least}）は達成率によります。" in text
    assert "A＝目標達成（100%以上）、B＝進捗率50%以上（達成率80%以上）" in text
    assert "目標を達成したのは評価 A だけで、B〜D は目標に届いていません。" in text


def test_one_note_for_every_kpi_whose_reference_sum_passes_the_target(plan):
    """#15: the 参考 sum above the target is said once under a table, naming its KPIs, not once per KPI."""
    kpis = _kpi_rows(plan, 0.99)
    rows = pd.concat([_rows(plan, writers=1), kpis], ignore_index=True)
    extra = []
    for k in plan.kpis:  # the members who joined later push the 参考 sum of the summed KPIs over the target
        later = [m.code for m in plan.members(2025) if m.code in k.reporters and m not in plan.basis_members]
        for code in later:
            extra.append(
                {"municipality_code": code, "kind": "kpi", "item_id": k.id, "value": abs(k.target), "status": None}
            )
    doc = _report(plan, pd.concat([rows, pd.DataFrame(extra)], ignore_index=True))
    notes = [line for line in _lines(doc) if "の合計（参考）は目標値を上回っていますが" in line]
    assert notes, "the fixture has no KPI whose reference sum passes the target"
    named = [n.split("：")[0].removeprefix("※ ").split("、") for n in notes]
    # the 要旨's note names every such KPI; each pillar table's note those of its pillar; no KPI twice in a note
    assert len(notes) <= 1 + len(plan.pillars)
    assert len(named[0]) > 1 and sorted(named[0]) == sorted({k for ks in named[1:] for k in ks})
    assert all(len(ks) == len(set(ks)) for ks in named)


def test_the_summary_says_what_a_to_d_mean_which_kpis_go_by_attainment_and_why_a_d(plan):
    """#5: the 概要版 alone says what A–D mean, which KPIs are rated by 達成率, where the method is in the report,
    and why a KPI with a high 達成率 is D."""
    summary = summary_document(_data(plan, _gdp_behind(plan)))
    text = "".join(_lines(summary))
    at_least = [k.name for k in plan.kpis if k.direction == "at_least"]
    assert f"水準の維持を目指すKPI（{'・'.join(at_least)}）は達成率によります" in text
    assert "A＝目標達成（100%以上）" in text and "B〜D は目標に届いていません" in text
    assert "報告書本編の「はじめに」の「評価の方法」" in text
    assert "※ 圏域内総生産額：達成率は94.6%ですが" in text


def test_pillars_count_the_kpis_that_reached_the_target_instead_of_a_mean_of_unlike_attainments(plan):
    """#4: no 「KPIの平均達成率」 (a mean of unlike KPIs, or of one); the 進行管理 table and the 概要版 count the KPIs
    whose value reached the target, per pillar and sub-field and for the region."""
    kpis = _kpi_rows(plan, 1.1)
    short = plan.kpis[0]
    kpis.loc[kpis["item_id"] == short.id, "value"] = kpis.loc[kpis["item_id"] == short.id, "value"] * 0.5
    rows = pd.concat([_rows(plan, writers=1), kpis], ignore_index=True)
    data = _data(plan, rows)

    doc = region_document(data)
    summary = summary_document(data)
    for d in (doc, summary):
        assert "平均達成率" not in "".join(c.text for t in d.tables for c in t.rows[0].cells)
    # review 7 #16: the count of KPIs that reached the target is the A count (A is 達成率・進捗率 100% or more), so
    # layout.yaml prints no column 「目標値に届いたKPI」 beside 「KPIの評価」: the 圏域計 says it once
    n = len(plan.kpis)
    budget = _table(doc, "区分", "KPIの評価（指標数）")
    header = [c.text.replace("\n", "") for c in budget.rows[0].cells]
    assert "目標値に届いたKPI" not in header
    assert budget.rows[-1].cells[header.index("KPIの評価（指標数）")].text.startswith(f"A {n - 1}・")
    pillars = _table(summary, "柱", "実施・完了の割合")
    header = [c.text.replace("\n", "") for c in pillars.rows[0].cells]
    assert "目標値に届いたKPI" not in header
    col = header.index("評価の内訳")
    assert sum(int(r.cells[col].text.split("・")[0].removeprefix("A ")) for r in pillars.rows[1:]) == n - 1


def _two_years(plan, rows_2024: pd.DataFrame, rows_2025: pd.DataFrame):
    """ReportData of FY2025 with FY2024 computed from its own rows (as the pipeline's per_year)."""
    return _years(plan, {2024: rows_2024, 2025: rows_2025})


def _years(plan, rows_by_year: dict[int, pd.DataFrame]):
    """ReportData of the last year of ``rows_by_year``, each year computed from its own rows (as the pipeline's
    per_year)."""
    from tests.test_region_layout import ROOT
    from vision_report.compute.period import compute_period
    from vision_report.compute.tables import compute_year
    from vision_report.core.config import load_settings
    from vision_report.intake.panel_opinions import PanelOpinions
    from vision_report.outputs.reports.context import ReportData
    from vision_report.outputs.words import worded
    from vision_report.screening.screen import submissions_table

    settings = load_settings(ROOT)
    cols = ["municipality_code", "kind", "item_id", "value", "status"]
    per_year = {y: compute_year(plan, y, rows[cols], settings) for y, rows in rows_by_year.items()}
    fy = max(per_year)
    return ReportData(
        settings=settings,
        plan=plan,
        fiscal_year=fy,
        results=worded({**per_year[fy], **compute_period(plan, per_year, fy, settings)}),
        subs=submissions_table(plan, [], fy),
        accepted_rows=rows_by_year[fy],
        per_year=per_year,
        issued="2026年6月",
        remarks=PanelOpinions(),
    )


def test_a_provisional_year_names_the_members_whose_values_it_lacks(plan):
    """#7: 「* 暫定」 in the 総括's trend table and under a pillar's chart says which members' values the year lacks."""
    from vision_report.outputs.words import for_csv

    rows = pd.concat([_rows(plan, writers=1), _kpi_rows(plan, 0.9)], ignore_index=True)
    gone = [plan.basis_members[1], plan.basis_members[3]]  # their 2024 file was sent back
    rows_2024 = rows[~rows["municipality_code"].isin([m.code for m in gone])]
    data = _two_years(plan, rows_2024, rows)
    assert "reporters_missing" not in for_csv(data.per_year[2024]["kpi_attainment"]).columns  # never published
    lines = _lines(region_document(data))
    names = "・".join(m.name for m in gone)
    note = next(line for line in lines if line.startswith("※ 暫定（報告が揃っていない年度）："))
    assert f"2024年度は{names}の実績が届いていない（報告が届いていないか、修正を依頼中のため）" in note, note
    # the 総括's * note points to the chart's note, given in full once (review 6 P13)
    period = next(line for line in lines if line.startswith("※ * は暫定値"))
    assert "年度と理由は「図 柱1のKPIの推移" in period, period


def test_the_targets_basis_is_the_members_at_the_revision_not_at_the_first_vision(plan):
    """#8: 玉名市 joined in 2023 yet is of the targets' basis: the basis is the members at the plan's revision
    (2024年3月改定), said in the same words wherever it is printed; never 「ビジョン策定時」."""
    assert plan.meta.revision == "2024年3月改定"
    data = _data(plan, pd.concat([_rows(plan, writers=1), _kpi_rows(plan, 0.9)], ignore_index=True))

    texts = ["".join(_lines(Document(io.BytesIO(build(data))))) for build in (region_docx, summary_docx)]
    for text in texts:
        assert "策定時" not in text and "策定後" not in text
    assert "KPIの現状値・目標値は、ビジョンの2024年3月改定時点の構成20市町村（" in texts[0]
    # the 概要版 says the basis once, in the note of the reference sums (review 7 #9)
    assert (
        "目標はビジョンの2024年3月改定時点の構成20市町村について設定したもので、評価・判定はその合計による" in texts[1]
    )


def test_the_baseline_is_the_visions_figure_and_the_years_are_the_members_reports(plan):
    """#9: where the 総括 sets 現状値 beside each year's value, a note says why the same year can differ; 評価の方法
    says it once for every table."""

    data = _data(plan, pd.concat([_rows(plan, writers=1), _kpi_rows(plan, 0.9)], ignore_index=True))
    lines = _lines(region_document(data))
    trend = lines.index("各年度の値の推移")
    after = lines[trend + 1 : trend + 6]
    assert any(
        line.startswith("※ 現状値は、ビジョンに記載された値です。各年度の値は構成市町村が報告した") for line in after
    )
    method = lines.index("評価の方法")
    assert lines[method + 1].startswith(
        "現状値・目標値はビジョンに記載された値、実績値は構成市町村が報告した値の合計。"
    )


def test_the_years_count_and_the_every_year_count_are_named_apart_with_one_term(plan):
    """#10: the 概要版's pillar column says its year (「2025年度に全関係市町村が実施した取組」) beside the period's
    「全年度・全関係市町村で実施した取組」; one term for an initiative's members: the vision's 関係市町村."""
    data = _data(plan, pd.concat([_rows(plan, writers=1), _kpi_rows(plan, 0.9)], ignore_index=True))

    summary = summary_document(data)
    headers = [[c.text.replace("\n", "") for c in t.rows[0].cells] for t in summary.tables]
    # review 6 P5: the share of reports saying 実施 leads, the strict count has a self-explanatory label
    # review 7 #16: the year's column is headed 「実施・完了の割合」 (six lines before), its bracket said in the note
    assert next(h for h in headers if h[0] == "柱")[-1] == "実施・完了の割合"
    assert "実施・完了の割合（全年度に関係市町村の全部が実施した取組）" in [h for h in headers if h[0] == "柱"][-1]
    region = region_document(data)
    budget = _table(region, "区分", "KPIの評価（指標数）")
    assert [c.text.replace("\n", "") for c in budget.rows[0].cells] == [
        "区分",
        "2025年度計画（千円）",
        "2025年度実績（千円）",
        "執行率",
        "実施・完了の割合",
        "KPIの評価（指標数）",
    ]
    note = _after_table(region, budget, 1)[0]
    assert note.startswith("※ 「実施・完了の割合」は、2025年度に関係市町村が取組ごとに報告した実施状況のうち")
    assert "下の括弧内は、関係市町村の全部が「実施」または「完了」と報告した取組の数" in note
    body = _split(region)[0]  # the 資料編 quotes the vision's own texts as written
    for text in ("".join(_text(el) for el in body), "".join(_text(el) for el in summary.element.body)):
        assert "参加市町村" not in text


def _member_doc(plan, rows: pd.DataFrame, code: str):
    from tests.test_region_layout import ROOT
    from vision_report.compute.tables import compute_year
    from vision_report.core.config import load_settings
    from vision_report.outputs.reports.municipality import build_municipality_report

    settings = load_settings(ROOT)
    res = compute_year(plan, 2025, rows[["municipality_code", "kind", "item_id", "value", "status"]], settings)
    doc = build_municipality_report(
        plan,
        2025,
        code,
        res["kpi_attainment"].set_index("kpi_id", drop=False),
        res["budget_execution"].set_index("initiative_id", drop=False),
        pd.DataFrame(columns=["file", "received_at", "timeliness", "status", "error_count", "warning_count"]),
        rows[rows["municipality_code"] == code],
        ROOT / "templates" / "report_style.docx",
        False,
        evaluation=settings.evaluation,
    )
    return Document(io.BytesIO(docx_bytes(doc)))


def test_a_members_report_labels_the_regions_execution_and_says_why_only_some_kpis(plan):
    """#18: beside 熊本市の支出 the 執行率 is the initiative's (the region's): so labelled; a member that reports only
    the KPIs summed over every member (荒尾市) is told why; 「6 の KPI」 reads 「KPI 6指標」.
    Review 3 #11: the others are not 「県の統計などで測る」 (圏域内総生産額 is a prefectural statistic 荒尾市 reports):
    they are the KPIs another member reports, named."""
    rows = pd.concat([_rows(plan, writers=1), _kpi_rows(plan, 0.9)], ignore_index=True)
    arao = next(m for m in plan.members(2025) if m.name == "荒尾市")
    kumamoto = _member_doc(plan, rows, "431001")
    table = next(t for t in kumamoto.tables if t.rows[0].cells[0].text == "取組")
    assert table.rows[0].cells[-1].text.replace("\n", "") == "圏域の執行率"
    lines = _lines(_member_doc(plan, rows, arao.code))
    intro = lines[: lines.index("報告しているKPIと圏域に占める割合")]
    n = len(plan.kpis_reported_by(arao.code, 2025))
    text = "".join(intro)
    assert f"KPI {n}指標の実績を報告しています。" in text
    assert (
        f"KPI：全構成市町村の合計で測る{n}指標の実績を報告しています（ほかの{len(plan.kpis) - n}指標は熊本市が報告する"
        "指標で、荒尾市の報告はありません）。"
    ) in text
    assert "県の統計" not in text and re.search(r"\d ?のKPI", text) is None  # 「KPI 6指標」, not 「6 のKPI」


def test_a_member_accepted_with_every_self_evaluation_empty_is_told_in_its_report(plan):
    """#12: 嘉島町 sent its figures but no self-evaluation nor text: its report says so in one sentence."""
    rows = _rows(plan)
    kashima = "434426"
    mine = rows["municipality_code"] == kashima
    rows.loc[mine, ["self_evaluation", "result_text", "outcome_text", "challenge_text"]] = ""
    lines = _lines(_member_doc(plan, rows, kashima))
    n = int(mine.sum())
    # review 3 #10: said in the opening summary (before the first table's heading), with what the office asked for
    summary = lines[: lines.index("参加している取組と支出")]
    assert (
        f"自己評価：2025年度の報告では、実績を報告した{n}取組のいずれにも自己評価と取組実績・成果・課題の記入が"
        "ありませんでした。実績の報告は受け付けていますが、圏域の自己評価の集計（回答数・割合）には含まれていません。"
        "事務局は受付結果の通知で、記入して報告し直すよう嘉島町に依頼しています。"
    ) in summary
    assert not any("いずれにも自己評価" in line for line in _lines(_member_doc(plan, _rows(plan), kashima)))


def test_the_period_rule_says_each_rule_once_for_the_directions_the_plan_has(plan):
    """#15: 「増加を目指すKPIは…以上、水準の維持を目指すKPIは…以上、減少を目指すKPIは…」 said the same rule twice and
    named a direction no KPI has; one clause per rule, naming only the plan's directions."""
    data = _data(plan, pd.concat([_rows(plan, writers=1), _kpi_rows(plan, 0.9)], ignore_index=True))
    rule = data.period_context()["rule_text"]
    assert {k.direction for k in plan.kpis} == {"increase", "at_least"}
    assert rule == "増加・水準の維持を目指すKPIは最終値が目標値以上であれば「達成」"


def test_the_method_uses_full_width_colons_and_the_dash_covers_a_missing_plan_amount(plan):
    """#15: 「評価：」「取組の自己評価：」 (not half-width), no spaces around the listed directions; 「—」 also stands
    for a plan amount the plan does not give."""

    data = _data(plan, pd.concat([_rows(plan, writers=1), _kpi_rows(plan, 0.9)], ignore_index=True))
    lines = _lines(region_document(data))
    method = lines[lines.index("評価の方法") + 1 : lines.index("評価の方法") + 12]
    text = "".join(method)
    assert (
        "評価：増加を目指すKPIは進捗率" in text and "取組の自己評価：各関係市町村" in text and "A：計画どおり" in text
    )
    assert ": " not in text and "今後の方向性は「拡充」「継続」" in text
    assert "計画書に計画額の記載がない・未定の年度" in text
    assert "取組の番号（1.1.1 など）は、柱・政策分野（ビジョンの①②…の順）・取組の順に振った番号。" in text  # #11


def test_a_member_accepted_without_any_self_evaluation_is_noted_under_the_submission_log(plan):
    """#12: 資料1 shows 嘉島町 「受理 0 0」; a note under it says its self-evaluations are empty."""

    rows = _rows(plan)
    rows.loc[rows["municipality_code"] == "434426", ["self_evaluation"]] = ""
    lines = _lines(region_document(_data(plan, rows)))
    log = lines.index("資料1 事務局の受付記録（実績報告のファイル）")
    assert any(
        line.startswith("※ 嘉島町：数値に誤りがないため受理しましたが、自己評価の記入がありません")
        for line in lines[log:]
    )


def test_the_period_review_says_which_kpis_came_nearest_and_farthest_and_which_initiatives_spent_little(plan):
    """#6: the 総括 is not tables alone: sentences name the missed KPIs nearest to and farthest from the target (with
    達成率 and the gap), and the initiatives whose period 執行率 is below config report.low_execution_pct, saying when
    the plan gave only a period total."""

    kpis = _kpi_rows(plan, 1.1)
    kpis["value"] = kpis["value"].astype(float)
    near, far = plan.kpis[1], plan.kpis[2]  # one just short of the target, one far from it
    for k, factor in ((near, 0.99), (plan.kpis[3], 0.95), (far, 0.5)):
        kpis.loc[kpis["item_id"] == k.id, "value"] = kpis.loc[kpis["item_id"] == k.id, "value"] * factor / 1.1
    rows = pd.concat([_rows(plan, writers=1), kpis], ignore_index=True)
    total_only = next(i for i in plan.initiatives if i.id == "2.3.2")
    rows.loc[rows["kind"] == "expenditure", "value"] = 10_000_000.0  # every other initiative spends its plan
    rows.loc[(rows["kind"] == "expenditure") & (rows["item_id"] == total_only.id), "value"] = 0.0
    data = _years(plan, dict.fromkeys(range(2021, 2026), rows))
    lines = _lines(region_document(data))
    kpi_line = next(line for line in lines if line.startswith("目標に届かなかったKPIのうち、目標に最も近いのは"))
    assert kpi_line.index(near.name) < kpi_line.index("目標との開きが最も大きいのは") < kpi_line.index(far.name)
    assert "達成率 50.0%" in kpi_line and "目標との差 ▲" in kpi_line
    low = next(line for line in lines if line.startswith("計画期間の累計の執行率が50%未満の取組は"))
    # the plan of an initiative with only a period total is explained once, in the note under the table; the
    # sentence marks its number (review 6 P16)
    assert low.endswith(f"の取組は1取組です（2.3.2※ {total_only.name} 0.0%）。"), low
    assert "合計額" not in low
    note = next(line for line in lines if line.startswith("※ 計画は計画書に金額の記載がある年度の合計"))
    assert note == (
        "※ 計画は計画書に金額の記載がある年度の合計（未定・記載なしの年度は含まない）。2.3.2・3.20.2・3.20.3は、"
        "計画書に計画期間の合計額だけが記載された取組で、その合計額を計画期間の計画とし、執行率はその合計額と比べた率"
        "（年度ごとの計画額は「—」。以下の文では「2.3.2※」と示す）。"
    )


def test_the_members_table_says_why_a_member_shows_0_of_0_and_keeps_its_note_with_it(plan):
    """Review 3 #2: the lead-in named only 差戻し/未提出 as giving 0; the 4 members in no initiative show 「0/0」 for
    another reason, named from the plan. It says what 「取組実績」 counts, and the note under the table (嘉島町) goes
    onto the page of the table's last row."""
    from docx.oxml.ns import qn

    rows = _rows(plan)
    rows.loc[rows["municipality_code"] == "434426", ["self_evaluation", "result_text"]] = ""
    doc = _report(plan, rows)
    idle = [m.name for m in plan.members(2025) if not plan.initiatives_of(m.code, 2025)]
    assert len(idle) == 4
    table = _table(doc, "市町村", "報告した取組")
    zero = [r.cells[0].text for r in table.rows[1:] if r.cells[1].text == "0/0"]
    assert zero == idle
    lead = table._tbl.getprevious()
    text = _text(lead)
    assert f"{'・'.join(idle)}は、計画の改定で参加が定められた具体的取組がまだないため" in text
    assert "「0/0」" in text and "「取組実績」は、取組実績の欄に記入があった取組の数です。" in text
    note = table._tbl.getnext()
    assert _text(note).startswith("※ 嘉島町：")
    last = table._tbl.findall(qn("w:tr"))[-1]
    assert all(p.pPr is not None and p.pPr.keepNext_val for p in last.iter(qn("w:p")))


def test_an_initiatives_kpi_line_gives_the_rate_that_decides_its_rating(plan):
    """Review 4 #4: 「創業者数 1,153 人/年（達成率 96.9%・評価 B）」 while B came from the 進捗率 67.5%: the line gives the
    figure the rating is made on — 進捗率 for a KPI to increase or decrease, 達成率 for one whose level is kept."""
    from vision_report.core.textfmt import fmt_pct
    from vision_report.outputs.reports.figures import kpi_progress
    from vision_report.outputs.reports.region_kpis import rating_text

    data = _data(plan, pd.concat([_rows(plan, writers=1), _kpi_rows(plan, 0.97)], ignore_index=True))

    lines = _lines(region_document(data))
    kpi_lines = " ".join(line for line in lines if line.startswith(("KPI：", "この小分野のKPI：")))
    checked = set()
    for k in plan.kpis:
        r = data.kpi.loc[k.id]
        if r["rating"] in ("", None) or k.name not in kpi_lines:
            continue
        if k.direction == "at_least":
            want = f"（達成率 {fmt_pct(r['attainment_pct'])}・評価 {rating_text(r, inline=True)}）"
        else:
            want = f"（進捗率 {kpi_progress(data, r)}・評価 {rating_text(r, inline=True)}）"
        assert want in kpi_lines, (k.name, want)
        checked.add(k.direction)
    assert {"increase", "at_least"} <= checked


def test_the_abstract_counts_the_answers_against_those_expected_and_names_a_member_that_gave_none(plan):
    """Review 4 #2: 「取組の自己評価（2025年度、回答 1004 件）」 said neither how many answers were expected nor that
    嘉島町 gave no 自己評価 on any of its 49 initiatives; the 要旨 and the 概要版 now say both."""

    rows = _rows(plan, writers=1)
    kashima = rows["municipality_code"] == "434426"
    rows.loc[kashima, "self_evaluation"] = ""
    expected = sum(len(plan.participants(i.id, 2025)) for i in plan.initiatives_in(2025))
    answered = len(rows) - int(kashima.sum())
    data = _data(plan, rows)
    abstract = next(line for line in _lines(region_document(data)) if line.startswith("取組の自己評価（2025年度"))
    assert abstract.startswith(f"取組の自己評価（2025年度、関係市町村の回答{answered:,}件／対象{expected:,}件）：")
    assert abstract.endswith(
        f"嘉島町（{int(kashima.sum())}件）は実績を報告しましたが、自己評価の記入がありませんでした。"
    )
    summary = [p.text for p in summary_document(data).paragraphs]
    point = next(line for line in summary if line.startswith("2025年度の取組の自己評価"))
    assert f"（関係市町村の回答{answered:,}件／対象{expected:,}件）" in point and point.endswith(
        "嘉島町は自己評価の記入がありませんでした。"
    )


def test_no_rule_for_a_kpi_to_decrease_when_the_plan_has_none(plan):
    """Review 4 #18: 「減少を目指すKPIは 目標値 ÷ 実績値 × 100」 and 「減少を目指すKPIでは ▲ が目標を達成した量」 were printed
    although none of the 13 KPIs aims to decrease: the reader looked for it. (A plan with one: test_evaluation_report.)"""

    assert not any(k.direction == "decrease" for k in plan.kpis)
    data = _data(plan, pd.concat([_rows(plan, writers=1), _kpi_rows(plan, 0.9)], ignore_index=True))
    text = "\n".join(_lines(region_document(data)))
    assert "減少を目指す" not in text
    assert "評価：増加を目指すKPIは進捗率で" in text
    assert "※ 判定は、最終値が目標値に届いたか（達成・未達成）。達成率は最終値÷目標値。" in text


def test_the_every_participant_column_says_what_it_counts_beside_the_share_of_reports_saying_implemented(plan):
    """Review 4 #5: 「2025年度に全関係市町村が実施した取組 15（70取組中）」 stood unexplained beside an 88.9 % share of
    reports saying 実施, and read as 「55 取組が実施されていない」: a note under the region's and the 概要版's pillar tables
    says what the column counts and gives the share of the year's reports."""

    rows = _rows(plan, writers=1)
    rows.loc[rows.index[:3], "status"] = "一部実施"
    data = _data(plan, rows)
    want = (
        "※ 「実施・完了の割合」は、2025年度に関係市町村が取組ごとに報告した実施状況のうち「実施」または「完了」の割合"
        f"（圏域計：{len(rows):,}件のうち{len(rows) - 3:,}件、{(len(rows) - 3) / len(rows) * 100:.1f}%）。"
        "下の括弧内は、関係市町村の全部が「実施」または「完了」と報告した取組の数"
        "（1市町村でも「一部実施」「未実施」と報告すれば数えない厳しい基準）。"
    )
    for build in (region_docx, summary_docx):
        lines = _lines(Document(io.BytesIO(build(data))))
        # the 概要版 says it in its 用語 block, a term among the terms without the note's mark (review 4 #10)
        start = want if build is region_docx else want.removeprefix("※ ")
        assert sum(line.startswith(start) for line in lines) == 1, build.__name__
    # review 6 P5: the cell leads with the share of the pillar's reports saying 実施, the strict count under it
    first = rows.loc[rows.index[0], "item_id"]
    pillar = data.plan.area(data.plan.initiative(first).area_id).pillar
    ids = [i.id for i in data.plan.initiatives_in(2025) if data.plan.area(i.area_id).pillar == pillar]
    n = int(rows["item_id"].isin(ids).sum())
    cell = f"{(n - 3) / n * 100:.1f}%\n（{len(ids) - 1}/{len(ids)}取組）"
    summary = Document(io.BytesIO(summary_docx(data)))
    table = next(t for t in summary.tables if t.rows[0].cells[0].text == "柱")
    assert table.rows[pillar].cells[-1].text == cell  # the last column (layout.yaml tables.summary_pillars)


def test_a_kpi_one_member_reports_is_named_under_the_tables_that_head_it_as_a_sum(plan):
    """Review 4 #6: seven KPIs are 熊本市's own figures, printed under 「実績値（20市町村計）」 with 「—」 as the reference
    sum; a note under the 要旨's, each pillar's and the 概要版's KPI table names them and who reports them."""

    alone = [k for k in plan.kpis if len(k.reporters) == 1 and not k.reporters_all]
    assert {k.reporters[0] for k in alone} == {"431001"} and len(alone) > 1
    data = _data(plan, pd.concat([_rows(plan, writers=1), _kpi_rows(plan, 0.9)], ignore_index=True))
    region = _lines(region_document(data))
    want = f"※ {'・'.join(k.name for k in alone)}の{len(alone)}指標は、熊本市が報告する値（市町村の合計ではない）。"
    # the 要旨 and the 進行管理's 施策ごとのKPI table, now headed 「実績値（20市町村計）」 too (review 4 #14)
    assert sum(line.startswith(want) for line in region) == 2
    per_pillar = [line for line in region if line.startswith("※ ") and "が報告する値（市町村の合計ではない）" in line]
    assert len(per_pillar) >= 2  # the 要旨's and the pillars' tables that hold one of them
    named = "".join(per_pillar)
    assert all(k.name in named for k in alone) and not any(k.name in named for k in plan.kpis if k not in alone)
    summary = _lines(summary_document(data))
    assert sum(line.startswith(want) for line in summary) == 1


def test_a_chart_whose_point_of_the_baseline_year_differs_from_the_baseline_says_why(plan):
    """Review 4 #3: 圏域出生数 「現状値 9,187（2023年）」 while the chart's 2023 point was 8,205: a note under the chart
    names the KPIs whose point of the baseline's year is not the baseline, and says which figure the rates use."""

    births = next(k for k in plan.kpis if k.name == "圏域出生数")
    year = births.baseline_year + births.data_year_lag
    rows = pd.concat([_rows(plan, writers=1), _kpi_rows(plan, 0.9)], ignore_index=True)
    data = _years(plan, {year: rows, 2025: rows})
    lines = _lines(region_document(data))
    notes = [line for line in lines if "：現状値の線はビジョンに記載された値" in line]
    assert notes and all("進捗率はビジョンの現状値から計算している。" in n for n in notes)
    assert any(births.name in n for n in notes)
    # review 7 #11: the chart marks a sum over fewer members with an open square, not the tables' †: the note names
    # that mark (玉名市 reports from FY2024, so the 2023 point of births is such a sum), and only under a chart that
    # draws it (熊本市's own values are never a partial sum)
    assert year in data.kpi_partial_basis_years(births.id)
    mark = "集計に含む市町村の違い（グラフの□「まだ加入していなかった市町村を除いた合計」）により一致しない。"
    assert not any("†" in n for n in notes)
    assert all(mark in n for n in notes if births.name in n)
    own = [n for n in notes if all(k.name not in n for k in plan.kpis if k.reporters_all)]
    assert all(mark not in n and "集計に含む市町村の違いにより一致しない。" in n for n in own)
    # a KPI whose point equals its baseline is not named
    same = {k.id: k for k in plan.kpis}
    plotted = data.kpi_values(births.id)[year]
    assert plotted != births.baseline
    assert not any(
        k.name in "".join(notes)
        for k in same.values()
        if data.kpi_values(k.id).get(k.baseline_year + k.data_year_lag) in (None, k.baseline)
    )


def test_a_missed_kpis_low_execution_says_when_its_initiatives_have_only_a_period_total(plan):
    """Review 4 #7: 「柱2の③ 人材の育成支援の3取組は、執行率 14.0%」 in the final analysis dropped the caveat the 総括's
    table gives (2.3.2's plan is the vision's total for the whole period): the bullet and the summary say it."""

    kpis = _kpi_rows(plan, 1.1)
    kpis["value"] = kpis["value"].astype(float)
    univ = plan.kpi("univ_collab")  # measures policy area 2.3, whose 2.3.2 has only a period total
    kpis.loc[kpis["item_id"] == univ.id, "value"] = kpis.loc[kpis["item_id"] == univ.id, "value"] * 0.5 / 1.1
    rows = pd.concat([_rows(plan, writers=1), kpis], ignore_index=True)
    rows.loc[rows["kind"] == "expenditure", "value"] = 10_000_000.0
    rows.loc[(rows["kind"] == "expenditure") & rows["item_id"].str.startswith("2.3."), "value"] = 0.0
    data = _years(plan, dict.fromkeys(range(2021, 2026), rows))
    lines = _lines(region_document(data))
    bullet = next(line for line in lines if line.startswith(f"{univ.name}：目標との差"))
    assert "の3取組は、執行率 0.0%（2.3.2※を含む）、" in bullet  # the mark of the table's note (review 6 P16)
    assert "合計額" not in bullet
    summary = next(line for line in lines if line.startswith("まとめると、目標に届かなかった"))
    # 2.3.1 and 2.3.3 spent nothing either: the group stays low without 2.3.2
    assert summary.endswith("累計の執行率が50%未満の取組のまとまりは柱2の③ 人材の育成支援（2.3.2※を含む）です。")


def test_a_group_low_only_because_of_a_period_total_says_so_where_the_summary_concludes(plan):
    """Review 6 P16: 柱2の③ 人材の育成支援 was at 14.0 % only because 2.3.2's plan is the vision's total for the whole
    period; the 「まとめると」 sentence says so, with the group's rate without it (computed from the period table)."""

    kpis = _kpi_rows(plan, 1.1)
    kpis["value"] = kpis["value"].astype(float)
    univ = plan.kpi("univ_collab")  # measures policy area 2.3: 2.3.1, 2.3.2 (period total only), 2.3.3
    kpis.loc[kpis["item_id"] == univ.id, "value"] = kpis.loc[kpis["item_id"] == univ.id, "value"] * 0.5 / 1.1
    rows = pd.concat([_rows(plan, writers=1), kpis], ignore_index=True)
    spent = rows["kind"] == "expenditure"
    rows.loc[spent & (rows["item_id"] == "2.3.2"), "value"] = 0.0
    data = _years(plan, dict.fromkeys(range(2021, 2026), rows))
    budget = data.results["period_budget"].set_index("initiative_id")
    for other in ("2.3.1", "2.3.3"):  # they spend their plan exactly
        factor = budget.loc[other, "planned_thousand_yen"] / budget.loc[other, "actual_thousand_yen"]
        rows.loc[spent & (rows["item_id"] == other), "value"] *= factor
    data = _years(plan, dict.fromkeys(range(2021, 2026), rows))
    roll = data.results["period_rollup"].set_index("id")
    assert roll.loc["2.3", "execution_pct"] < 50
    lines = _lines(region_document(data))
    bullet = next(line for line in lines if line.startswith(f"{univ.name}：目標との差"))
    assert f"執行率 {roll.loc['2.3', 'execution_pct']:.1f}%（2.3.2※を含む）、" in bullet
    summary = next(line for line in lines if line.startswith("まとめると、目標に届かなかった"))
    assert summary.endswith(
        "累計の執行率が50%未満の取組のまとまりは柱2の③ 人材の育成支援（計画期間の合計額だけが記載された2.3.2による。"
        "除くと100.0%）です。"
    ), summary
    assert sum(line.count("計画期間の合計額だけが記載された") for line in lines) == 2  # the note and this sentence

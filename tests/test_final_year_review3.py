"""The councillor-reader's third review of the FY2025 (final-year) reports: the 総括's analysis of the missed KPIs
(#5), the share of reports saying 実施 before the strict every-year count (#6), the statistic's year on the GDP
chart (#12), why a provisional year lacks a member (#13), the denominators of the initiative tables (#17) and the
members' 「次年度」 plans in the plan's last year (#18)."""

from __future__ import annotations

import matplotlib
import pandas as pd
import pytest
from docx import Document

from tests.report_cache import region_document
from tests.test_councillor_review import _years
from tests.test_region_layout import _kpi_rows, _lines, _rows
from vision_report.compute.period import implementation_share
from vision_report.compute.statuses import MEMBER_STATUS, member_status_table


def _doc(data) -> Document:
    return region_document(data)


def test_the_share_of_reports_saying_jisshi_counts_every_participant_year():
    """#6: a pure function: of the reports giving a 実施状況, those saying 実施 or 完了; from the period table's
    counts or from one year's n_* columns; NaN without reports."""
    period = pd.DataFrame({"reports": [9, 2, 1, 6], "reports_done": [9, 1, 1, 5]})
    assert implementation_share(period) == (18, 16, 16 / 18 * 100)
    year = pd.DataFrame(
        {"n_implemented": [3, 1], "n_partial": [0, 2], "n_not_implemented": [1, 0], "n_completed": [0, 1]}
    )
    assert implementation_share(year) == (8, 5, 62.5)
    reports, done, pct = implementation_share(pd.DataFrame({"reports": [0], "reports_done": [0]}))
    assert (reports, done) == (0, 0) and pct != pct


def _mixed_years(plan) -> dict[int, pd.DataFrame]:
    """Five years; in FY2025 the first three participants' reports of the first initiative say 一部実施."""
    rows = _rows(plan, writers=1)
    last = rows.copy()
    last.loc[last.index[:3], "status"] = "一部実施"
    return {**dict.fromkeys(range(2021, 2025), rows), 2025: last}


def test_the_abstract_and_the_review_lead_with_the_share_of_reports_saying_jisshi(plan):
    """#6: the 要旨 and the 総括 give the share of the members' reports saying 実施 (period and year); the strict
    every-year count is named as the strict test beside the 総括's table, not in the 要旨; the year's count of
    initiatives every member implemented (「2025年度だけでみると…」) is gone."""
    by_year = _mixed_years(plan)
    n = len(by_year[2025])
    lines = _lines(_doc(_years(plan, by_year)))
    period, year = 5 * n, n
    pct = f"{(period - 3) / period * 100:.1f}%"
    pct_year = f"{(year - 3) / year * 100:.1f}%"
    abstract = next(line for line in lines if line.startswith("計画期間の総括：13のKPIのうち"))
    assert abstract.endswith(
        f"取組の実施状況は、2021〜2025年度の関係市町村の報告{period:,}件のうち「実施」または「完了」が{pct}"
        f"（2025年度は{pct_year}）。"
    ), abstract
    assert "全年度・全関係市町村で実施" not in abstract and "だけでみると" not in "".join(lines)
    review = next(line for line in lines if line.startswith("取組の実施状況："))
    assert review.startswith(
        f"取組の実施状況：2021〜2025年度に関係市町村が取組ごとに報告した実施状況{period:,}件のうち、「実施」または"
        f"「完了」は{period - 3:,}件（{pct}）です（2025年度は{year:,}件のうち{year - 3:,}件、{pct_year}）。"
    ), review
    assert review.endswith(  # review 6 P5: the strict count with a self-explanatory name, after the share
        "すべての年度に関係市町村の全部が「実施」または「完了」と報告した取組は、1年度・1市町村でも欠ければ含まない"
        "厳しい基準で、70取組のうち69取組です（表の割合の下の括弧内）。"
    ), review


def _missed(plan):
    """Every KPI at 1.1 × target but 2: one short (0.95) and 圏域内総生産額's pillar KPI far below (0.5)."""
    kpis = _kpi_rows(plan, 1.1)
    kpis["value"] = kpis["value"].astype(float)
    short, far = plan.kpis[1], plan.kpis[0]
    for k, factor in ((short, 0.95), (far, 0.5)):
        kpis.loc[kpis["item_id"] == k.id, "value"] = kpis.loc[kpis["item_id"] == k.id, "value"] * factor / 1.1
    rows = pd.concat([_rows(plan, writers=1), kpis], ignore_index=True)
    return rows, short, far


def test_the_final_review_analyses_each_missed_kpi_and_what_is_handed_over(plan):
    """#5: in the plan's last year the 総括 has a section on the missed KPIs: for each, the gap, its move from the
    baseline and the initiatives of the node it measures (execution, share of 実施, A・B share, 拡充・改善); then the
    whole, and what goes to the next vision. The 総括所見 heading moves to (5)."""
    rows, short, far = _missed(plan)
    rows.loc[(rows["kind"] == "expenditure") & (rows["item_id"] == "1.1.1"), "direction"] = "拡充"
    data = _years(plan, dict.fromkeys(range(2021, 2026), rows))
    doc = _doc(data)
    lines = _lines(doc)
    k = lines.index("(4) 目標に届かなかったKPIと次期ビジョンへの引継ぎ")
    styles = [p.style.name for p in doc.paragraphs[k + 1 : k + 6]]
    assert styles[1:3] == ["List Bullet"] * 2 and "List Bullet" not in (styles[0], styles[3], styles[4])
    assert any(line.endswith("関連する取組の状況は「計画期間の総括」に掲載しています）。") for line in lines)  # 要旨
    assert "　(4) 目標に届かなかったKPIと次期ビジョンへの引継ぎ" in lines  # in the table of contents
    assert lines[k + 1].startswith("目標に届かなかった2指標について、目標との差、現状値からの動き")
    first, second = lines[k + 2], lines[k + 3]
    assert first.startswith(f"{far.name}：目標との差 ▲") and "（達成率 50.0%）" in first
    assert "目指す向きと逆に動きました" in first  # half the target is below the baseline
    p1 = next(p for p in plan.pillars if str(p.id) == "1")
    n1 = sum(1 for i in plan.initiatives if plan.area(i.area_id).pillar == 1)
    expand = sum(1 for c in rows.itertuples() if c.kind == "expenditure" and c.item_id == "1.1.1")
    roll = data.results["period_rollup"].set_index("id").loc["1"]
    execution = f"{roll['execution_pct']:.1f}%"
    assert f"柱1 {p1.name}の{n1}取組は、執行率 {execution}、「実施」「完了」の割合 100.0%、A・B の割合 100.0%" in first
    assert f"今後の方向性は「拡充」{expand}件・「改善」0件です。" in first
    assert second.startswith(f"{short.name}：目標との差 ▲") and "（達成率 9" in second
    assert "目指す向きに進みましたが目標に届いていません" in second
    area = plan.area(next(k for k in plan.kpis if k.id == short.id).measures)
    assert f"柱{area.pillar}の{area.circled} {area.name}の" in second  # circled numbers restart per pillar
    assert lines[k + 4].startswith(
        f"まとめると、目標に届かなかった2指標のうち、現状値から目指す向き（増加・減少など）に進んだものは1指標、逆に"
        f"動いたものは1指標（{far.name}）です。"
    )
    low = float(roll["execution_pct"]) < data.settings.report.low_execution_pct
    assert (f"累計の執行率が50%未満の取組のまとまりは柱1 {p1.name}です。" in lines[k + 4]) == low
    assert lines[k + 5].startswith("次期ビジョンには、未達成の2指標と、これらのKPIに関わる")
    assert f"「拡充」とした{expand}件・「改善」とした0件の課題を引き継ぎ" in lines[k + 5]


def test_no_analysis_section_before_the_plans_last_year(plan):
    """#5: the analysis is the final year's; the years before keep the tables to date."""
    rows, _short, _far = _missed(plan)
    lines = _lines(_doc(_years(plan, dict.fromkeys(range(2021, 2025), rows))))
    assert not any("次期ビジョンへの引継ぎ" in line for line in lines)


def test_a_provisional_year_says_per_member_whether_its_file_was_sent_back_or_never_came(plan):
    """#13: the 暫定 note says why each member is missing, from that year's record of the members' standing (kept
    with the year's tables): the same reason once for all, or one per member."""
    rows = pd.concat([_rows(plan, writers=1), _kpi_rows(plan, 0.9)], ignore_index=True)
    a, b, c = plan.basis_members[1], plan.basis_members[3], plan.basis_members[5]
    for gone, status, expected in (
        (
            [a, b],
            {a.code: "rejected", b.code: "rejected"},
            f"2024年度は{a.name}・{b.name}の実績が届いていない（報告に誤りがあり、修正を依頼中のため）",
        ),
        (
            [a, b, c],
            {a.code: "rejected", b.code: "missing", c.code: "rejected"},
            f"2024年度は{a.name}・{c.name}（報告に誤りがあり、修正を依頼中のため）・{b.name}（報告が届いていないため）の実績が届いていない",
        ),
    ):
        data = _years(plan, {2024: rows[~rows["municipality_code"].isin([m.code for m in gone])], 2025: rows})
        standing = [status.get(m.code, "accepted") for m in plan.members(2024)]
        data.per_year[2024][MEMBER_STATUS] = pd.DataFrame(
            {"municipality_code": [m.code for m in plan.members(2024)], "status": standing}
        )
        lines = _lines(_doc(data))
        # in full under the first chart; the 総括 points to it (review 6 P13)
        assert any(line.startswith("※ 暫定（報告が揃っていない年度）：" + expected) for line in lines)
        note = next(line for line in lines if line.startswith("※ * は暫定値"))
        assert note.startswith("※ * は暫定値（報告が揃っていない年度の値。年度と理由は「図 柱1"), note


def test_the_member_status_table_keeps_each_members_current_standing(plan):
    """#13: what the pipeline keeps with each year's tables: the current status per member (the newest file's)."""
    m1, m2 = plan.members(2024)[:2]
    subs = pd.DataFrame(
        {
            "municipality_code": [m1.code, m2.code, m2.code],
            "status": ["rejected", "accepted", "superseded"],
        }
    )
    got = member_status_table(plan, subs, 2024)
    assert got.to_dict("list") == {"municipality_code": [m1.code, m2.code], "status": ["rejected", "accepted"]}


def _words(plan):
    from tests.test_region_layout import _data

    data = _data(plan, _rows(plan, writers=1))
    return data, data.phrase_map("chart") | {"no_submissions": "提出なし"}


def test_a_lagging_statistic_shows_its_year_under_each_fiscal_year_and_the_basis_change_is_legible(plan):
    """#12: the GDP chart plots the FY2022 statistic at 2025: each tick has the statistic's year under it and the
    axis says so; the legend of the squares uses the words of the table's † note; the basis-change label is 7 pt."""
    from vision_report.outputs.reports.charts import draw_trends

    data, words = _words(plan)
    panel = {
        "name": "圏域内総生産額",
        "unit": "百万円",
        "baseline": 100.0,
        "baseline_year": "2020年度",
        "target": 120.0,
        "values": {2021: 90.0, 2022: 95.0, 2023: 105.0, 2024: 110.0, 2025: 115.0},
        "provisional": [],
        "partial": [2021, 2022],
        "count": False,
        "data_year_lag": 3,
    }
    fig = draw_trends([panel], [2021, 2022, 2023, 2024, 2025], words, cols=1)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()][-1] == "2025\n（2022）"
    assert ax.get_xlabel() == "年度（下段の（ ）は統計の年）"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "まだ加入していなかった市町村を除いた合計" in legend
    assert "まだ加入していなかった市町村を除いた合計" in data.phrase("period_partial_note", n=20)
    change = [t for t in ax.texts if t.get_text() == "構成市町村の変更"]
    assert change and change[0].get_fontsize() >= 7
    matplotlib.pyplot.close(fig)
    lines = _lines(_doc(data))
    assert "※ 圏域内総生産額：各年度の値は3年度前の統計（グラフの横軸の年度の下の（ ）が統計の年）。" in lines


@pytest.mark.parametrize("years", [(2024, 2025), (2023, 2024)])
def test_the_tables_denominators_are_defined_and_the_final_year_note_on_next_years_plans_comes_once(plan, years):
    """#17: the lead-in of the initiative tables says the denominators are the initiative's 関係市町村; #18: in the
    plan's last year (only), one note says plans after the period go to the next vision's planning."""
    rows = _rows(plan, writers=1)
    lines = _lines(_doc(_years(plan, dict.fromkeys(years, rows))))
    intro = [line for line in lines if line.startswith("各取組の欄は")]
    assert intro and all("の分母はその取組の関係市町村の数、分子は実績を報告した" in line for line in intro)
    # review 6 P17: the reading of an entry once, at the first pillar's (3); the others point to it in one line
    assert len(intro) == 1
    assert lines.count("各取組の欄の見方は、柱1の「(3) 具体的取組」の冒頭に示しています。") == len(plan.pillars) - 1
    note = "2025年度は計画期間の最終年度です。取組実績などの記載にある「次年度に実施する予定」などの2026年度以降の予定は、次期ビジョンの取組の検討に引き継ぎます。"
    assert lines.count(note) == (1 if years[-1] == 2025 else 0)
    if years[-1] == 2025:
        assert lines.index(note) == lines.index(intro[0]) + 1

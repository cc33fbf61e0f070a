"""The councillor-reader's third review of the FY2025 (final-year) reports: the 総括's analysis of the missed KPIs
(#5), the share of reports saying 実施 before the strict every-year count (#6), the statistic's year on the GDP
chart (#12), why a provisional year lacks a member (#13), the denominators of the initiative tables (#17) and the
members' 「次年度」 plans in the plan's last year (#18)."""

from __future__ import annotations

import io

import matplotlib
import pandas as pd
import pytest
from docx import Document

from tests.test_councillor_review import _years
from tests.test_region_layout import _kpi_rows, _lines, _rows
from vision_report.compute.statuses import MEMBER_STATUS, member_status_table
from vision_report.outputs.reports.docxutil import docx_bytes


def _doc(data) -> Document:
    from vision_report.outputs.reports.region import build_region_report

    return Document(io.BytesIO(docx_bytes(build_region_report(data))))


def test_a_provisional_year_says_per_member_whether_its_file_was_sent_back_or_never_came(plan):
    """#13: the 暫定 note says why each member is missing, from that year's record of the members' standing (kept
    with the year's tables): the same reason once for all, or one per member."""
    rows = pd.concat([_rows(plan, writers=1), _kpi_rows(plan, 0.9)], ignore_index=True)
    a, b, c = plan.basis_members[1], plan.basis_members[3], plan.basis_members[5]
    for gone, status, expected in (
        (
            [a, b],
            {a.code: "rejected", b.code: "rejected"},
            f"2024年度は{a.name}・{b.name}の実績が届いていない（提出を差し戻したため）",
        ),
        (
            [a, b, c],
            {a.code: "rejected", b.code: "missing", c.code: "rejected"},
            f"2024年度は{a.name}・{c.name}（提出を差し戻したため）・{b.name}（提出がないため）の実績が届いていない",
        ),
    ):
        data = _years(plan, {2024: rows[~rows["municipality_code"].isin([m.code for m in gone])], 2025: rows})
        standing = [status.get(m.code, "accepted") for m in plan.members(2024)]
        data.per_year[2024][MEMBER_STATUS] = pd.DataFrame(
            {"municipality_code": [m.code for m in plan.members(2024)], "status": standing}
        )
        lines = _lines(_doc(data))
        note = next(line for line in lines if line.startswith("※ * は暫定値"))
        assert expected in note, note
        assert any(line.startswith("※ 暫定（報告が揃っていない年度）：" + expected) for line in lines)


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
    note = "2025年度は計画期間の最終年度です。取組実績などの記載にある「次年度に実施する予定」などの2026年度以降の予定は、次期ビジョンの取組の検討に引き継ぎます。"
    assert lines.count(note) == (1 if years[-1] == 2025 else 0)
    if years[-1] == 2025:
        assert lines.index(note) == lines.index(intro[0]) + 1

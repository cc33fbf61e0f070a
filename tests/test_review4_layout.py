"""The councillor-reader's fourth review of the FY2025 reports, the region report's layout and words: near-empty
pages (#16: the TOC's few lines on a page of their own, the chart pages' blank third, a table's last row alone
with its note), the trend charts' value axis from 0 and their legend's size (#16), the 施策ごとのKPI table (#14),
the final year's 暫定 values (#3) and office words in the councillor's text (#12)."""

from __future__ import annotations

import matplotlib
import pandas as pd
import pytest
from docx import Document
from docx.enum.text import WD_LINE_SPACING
from docx.oxml.ns import qn

from tests.report_cache import region_document, region_docx
from tests.test_councillor_review import _years
from tests.test_pdf_numbers import needs_libreoffice, pdf_text
from tests.test_region_layout import _data, _kpi_rows, _rows
from vision_report.compute.statuses import MEMBER_STATUS
from vision_report.outputs.reports import charts, pdf
from vision_report.outputs.reports.docxutil import plain_text
from vision_report.outputs.reports.region import toc_pitch
from vision_report.outputs.reports.region_management import measure_runs

matplotlib.use("Agg")

WORDS = {
    "target": "目標 {value}",
    "baseline": "現状値 {value}（{year}）",
    "partial": "まだ加入していなかった市町村を除いた合計",
    "data_year_tick": "（{year}）",
    "data_year_axis": "年度（下段の（ ）は統計の年）",
    "basis_change": "構成市町村の変更",
    "actual": "実績",
    "provisional": "暫定（報告が揃っていない年度）",
    "provisional_point": "（暫定）",
    "no_data": "実績の報告なし",
    "no_submissions": "提出なし",
}


def _panel(values: dict[int, float], baseline: float, target: float, **extra) -> dict:
    return {
        "name": "圏域内総生産額",
        "unit": "百万円",
        "baseline": baseline,
        "baseline_year": "2020年度",
        "target": target,
        "values": values,
        "count": False,
    } | extra


def _doc(data) -> Document:
    return region_document(data)  # built once per session for equal inputs


def _keeps(p) -> bool:
    ppr = p.find(qn("w:pPr"))
    keep = ppr.find(qn("w:keepNext")) if ppr is not None else None
    return keep is not None and keep.get(qn("w:val"), "true") in ("true", "1", "on")


def _row_keeps(tr) -> bool:
    return all(_keeps(p) for p in tr.iter(qn("w:p")))


# ---- #16 the trend charts ------------------------------------------------------------------------------------


def test_a_large_total_that_falls_five_percent_is_drawn_on_an_axis_from_zero():
    """A cut axis (4,300,000〜4,900,000) made a 5 % fall read as a crash: the axis starts at 0 and the top leaves
    room for the highest point's label; the points of the flat band take their labels above and below in turn."""
    values = {2021: 4366302, 2022: 4793871, 2023: 4678428, 2024: 4600107, 2025: 4568682}
    fig = charts.draw_trends([_panel(values, 4790058, 4830000)], list(values), WORDS, cols=1)
    ax = fig.axes[0]
    low, high = ax.get_ylim()
    assert low == 0
    assert high == pytest.approx(4830000 * (1 + charts.HEADROOM))
    labels = [t for t in ax.texts if t.get_text().replace(",", "").isdigit()]
    assert [t.get_va() for t in labels] == ["bottom", "top", "bottom", "top", "bottom"]
    matplotlib.pyplot.close(fig)


def test_a_kpi_that_crosses_zero_keeps_its_negative_values_and_gets_a_line_at_zero():
    values = {2021: 300.0, 2022: -120.0, 2023: 80.0}
    fig = charts.draw_trends([_panel(values, 100.0, 200.0)], list(values), WORDS, cols=1)
    ax = fig.axes[0]
    low, high = ax.get_ylim()
    assert low < -120 and high > 300
    assert any(list(line.get_ydata()) == [0, 0] for line in ax.lines)
    assert not charts.is_flat([300.0, -120.0, 80.0], [300.0, -120.0, 80.0, 100.0, 200.0])
    matplotlib.pyplot.close(fig)


def test_the_legend_and_the_ticks_print_at_seven_points_at_least():
    """A two-column chart of 7.2 in is printed 170 mm wide (× 0.93): 7.6 pt in the figure is 7 pt on paper."""
    values = {2021: 936.0, 2022: 1087.0, 2023: 1026.0}
    fig = charts.draw_trends([_panel(values, 1076.0, 1190.0)] * 2, list(values), WORDS, cols=2)
    ax = fig.axes[0]
    assert all(t.get_fontsize() * 170 / (7.2 * 25.4) >= 7 for t in ax.get_legend().get_texts())
    assert all(t.get_fontsize() >= charts.TREND_FONT for t in ax.get_yticklabels())
    matplotlib.pyplot.close(fig)


# ---- #16 page flow in the .docx -----------------------------------------------------------------------------


def test_a_toc_of_sixty_one_lines_gets_a_pitch_that_fits_one_page():
    """The sample's 8 chapters, 25 sections and 28 policy areas ran 8 lines onto a third page: a tighter pitch
    fits them on one A4 page of 734 pt; a short TOC keeps single spacing, and one too long for any readable pitch
    flows on to a second page."""
    pitch = toc_pitch(734.2, {1: 8, 2: 25, 3: 28})
    assert pitch is not None and 10.5 <= pitch < 13
    assert 40 + 8 * (pitch + 3) + 53 * pitch <= 734.2
    assert toc_pitch(734.2, {1: 8, 2: 20}) is None
    assert toc_pitch(734.2, {1: 10, 2: 40, 3: 60}) is None


def test_the_region_reports_toc_styles_take_that_pitch(plan):
    doc = _doc(_data(plan, _rows(plan, writers=1)))
    style = doc.styles["toc 3"]
    assert style.paragraph_format.line_spacing_rule == WD_LINE_SPACING.EXACTLY
    assert 10.5 <= style.paragraph_format.line_spacing.pt < 13


def test_the_initiatives_lead_may_stay_under_the_chart_and_the_first_area_start_a_page(plan):
    """The (3) 具体的取組 heading, its lead and the pillar's share line stay together, but no longer pull the first
    policy area and its first initiative along (the chain left a third of each chart's page blank)."""
    lines = _doc(_data(plan, _rows(plan, writers=1))).paragraphs
    starts = [i for i, p in enumerate(lines) if p.text == "(3) 具体的取組"]
    assert len(starts) == len(plan.pillars)
    for i in starts:
        share = next(j for j in range(i, i + 6) if lines[j].text.startswith("取組の自己評価："))
        assert all(_keeps(p._p) for p in lines[i + 1 : share])  # the heading keeps by its style
        assert not _keeps(lines[share]._p)


def test_the_members_table_keeps_its_last_three_rows_with_the_note_on_the_blank_member(plan):
    rows = _rows(plan, writers=1)
    blank = plan.members(2025)[16].code
    rows.loc[rows["municipality_code"] == blank, "self_evaluation"] = None
    doc = _doc(_data(plan, rows))
    table = next(t for t in doc.tables if t.rows[0].cells[1].text == "報告した取組")
    trs = table._tbl.tr_lst
    assert [_row_keeps(tr) for tr in trs[-4:]] == [False, True, True, True]


# ---- #14 施策ごとのKPIの達成状況 ---------------------------------------------------------------------------------


def test_measure_runs():
    assert measure_runs(["a", "b", "b", "c", "c", "c", "d"]) == [(0, 0), (1, 2), (3, 5), (6, 6)]
    assert measure_runs([]) == []


def test_the_measures_kpi_table_says_whose_sum_has_the_reference_column_and_each_measure_once(plan):
    data = _data(plan, pd.concat([_rows(plan, writers=1), _kpi_rows(plan, 0.9)], ignore_index=True))
    doc = _doc(data)
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "KPI" and len(t.rows) > 1 + len(plan.kpis))
    header = [c.text.replace("\n", "") for c in table.rows[0].cells]
    assert "実績値（20市町村計）" in header and "参考：24市町村計" in header and "取組内容" not in header
    actual = header.index("実績値（20市町村計）")
    # a shaded row across the table for each measure, once, then its KPIs (「3 圏域全体の生活関連機能サービスの
    # 向上」 was printed on two rows)
    labels = [data.node_label(k.measures) for k in plan.kpis]
    trs = table._tbl.tr_lst[1:]
    spans = [tr for tr in trs if len(tr.tc_lst) == 1]
    assert [plain_text("".join(t.text for t in tr.iter(qn("w:t")))) for tr in spans] == list(dict.fromkeys(labels))
    assert labels.count(data.node_label("3")) == 2
    assert all(_row_keeps(tr) for tr in spans)  # a measure's row never ends a page
    assert all(len(tr.tc_lst[0].p_lst) == 1 for tr in spans)  # one line, not one per merged cell
    kpi_rows = [tr for tr in trs if len(tr.tc_lst) > 1]
    assert len(kpi_rows) == len(plan.kpis)
    cells = [["".join(t.text for t in tc.iter(qn("w:t"))) for tc in tr.tc_lst] for tr in kpi_rows]
    assert all("参考" not in row[actual] for row in cells)  # the 24 members' sum is in its own column
    assert all(_row_keeps(tr) for tr in table._tbl.tr_lst[-3:])  # the last rows with the note under the table
    # the first rows stay with the header (review 7: no first row alone at a page's foot); the middle ones break as usual
    assert _row_keeps(table._tbl.tr_lst[1]) and not _row_keeps(kpi_rows[len(kpi_rows) // 2])


def test_the_management_chapter_reports_what_the_vision_sets_not_its_words_as_the_reports(plan):
    lines = [p.text for p in _doc(_data(plan, _rows(plan, writers=1))).paragraphs]
    text = "".join(lines)
    assert "ビジョンでは、進行管理について「本ビジョンについては、" in text
    assert (
        "進行管理を行うものとする」と定めています。2025年度の取組とKPIの状況も、この体制のもとで確認しています。"
        in text
    )
    assert (
        "ビジョンに位置づけた取組を検証するため、各取組の施策ごとに13のKPIを設定し、毎年度、構成市町村が報告した実績"
        "から達成率と進捗率を求めて進捗を確認しています。2025年度の状況は次の表のとおりです（実績値は目標を設定した"
        "20市町村の合計）。"
    ) in lines
    assert not any(line.endswith("KPIを設定する。") or line.endswith("ものとする。") for line in lines)


# ---- #3 暫定 in the final year ------------------------------------------------------------------------------


def _provisional(plan, final: bool):
    rows = pd.concat([_rows(plan, writers=1), _kpi_rows(plan, 0.9)], ignore_index=True)
    a, b = plan.basis_members[1], plan.basis_members[3]
    years = (2023, 2024) if not final else (2024, 2025)
    data = _years(plan, {years[0]: rows[~rows["municipality_code"].isin([a.code, b.code])], years[1]: rows})
    members = plan.members(years[0])
    data.per_year[years[0]][MEMBER_STATUS] = pd.DataFrame(
        {
            "municipality_code": [m.code for m in members],
            "status": ["rejected" if m in (a, b) else "accepted" for m in members],
        }
    )
    return [p.text for p in _doc(data).paragraphs], f"{a.name}・{b.name}", years[0]


def test_the_final_years_provisional_values_say_what_they_lack_and_when_they_will_be_final(plan):
    lines, names, year = _provisional(plan, final=True)
    lacks = f"{year}年度は{names}の実績が届いていない（報告に誤りがあり、修正を依頼中のため）。"
    then = (
        "暫定値は届いた市町村だけの合計で、届いていない市町村の分を含まない。計画期間は2025年度で終わるため、確定した"
        "値は次期ビジョンの初年度（2026年度）の報告で示す。"
    )
    chart = [line for line in lines if line.startswith("※ 暫定（報告が揃っていない年度）：")]
    assert chart == [f"※ 暫定（報告が揃っていない年度）：{lacks}{then}"]  # in full once (review 6 P13)
    period = next(line for line in lines if line.startswith("※ * は暫定値"))
    assert period == (
        "※ * は暫定値（報告が揃っていない年度の値。年度と理由は「図 柱1のKPIの推移（2021〜2025年度）」の注を参照）。"
        "判定は各KPIの最も新しい年度の値による。"
    )
    for word in ("差し戻", "受理", "後から"):
        assert not any(word in line for line in chart + [period]), word


def test_the_provisional_note_is_given_in_full_once_and_pointed_to_elsewhere(plan):
    """Review 6 P13: the long 暫定 note was printed under every pillar's chart and in the 総括 (four times in the
    FY2025 report): in full at its first place, then one line naming that place."""
    lines, names, year = _provisional(plan, final=True)
    notes = [
        line for line in lines if line.startswith("※ 暫定（報告が揃っていない年度）") or line.startswith("※ * は暫定値")
    ]
    figure = "「図 柱1のKPIの推移（2021〜2025年度）」"
    pointer = f"※ 暫定（報告が揃っていない年度）の年度と理由は、{figure}の注を参照。"
    assert notes[0].startswith(f"※ 暫定（報告が揃っていない年度）：{year}年度は{names}の実績が届いていない")
    assert notes[1:-1] and all(line == pointer for line in notes[1:-1])
    assert notes[-1] == (
        f"※ * は暫定値（報告が揃っていない年度の値。年度と理由は{figure}の注を参照）。判定は各KPIの最も新しい年度の値による。"
    )
    assert sum(f"{names}の実績が届いていない" in line for line in lines) == 1


def test_a_different_provisional_note_is_given_in_full_again(plan):
    """Review 6 P13: a pointer only where the note would say the same; other years or members are said in full."""
    from docx import Document

    from vision_report.outputs.reports.region_kpis import provisional_given_at

    doc = Document()
    assert provisional_given_at(doc, "2024年度はA町の実績が届いていない", "「図 柱1」") is None
    assert provisional_given_at(doc, "2024年度はA町の実績が届いていない", "「図 柱2」") == "「図 柱1」"
    assert provisional_given_at(doc, "2023年度はB村の実績が届いていない", "「図 柱2」") is None
    assert provisional_given_at(Document(), "2024年度はA町の実績が届いていない", "「図 柱3」") is None


def test_a_provisional_value_before_the_final_year_is_corrected_in_next_years_report(plan):
    lines, _names, _year = _provisional(plan, final=False)
    chart = next(line for line in lines if line.startswith("※ 暫定（報告が揃っていない年度）："))
    assert chart.endswith(
        "暫定値は届いた市町村だけの合計で、届いていない市町村の分を含まない。実績が届けば、次の年度の報告で値を改める。"
    )
    assert "次期ビジョン" not in chart


# ---- #12 office words in the councillor's text ----------------------------------------------------------------


def _with_standing(plan, standing: dict[str, str]):
    data = _data(plan, _rows(plan, writers=1))
    subs = data.subs.copy()  # a row per member (no file: missing); each given its standing
    subs["status"] = [standing.get(str(c), "accepted") for c in subs["municipality_code"]]
    data.subs = subs
    return data


def test_the_abstract_says_whose_reports_arrived_in_plain_words_and_the_overview_refers_to_it(plan):
    members = plan.members(2025)
    sent_back, none = members[9], members[12]
    data = _with_standing(plan, {sent_back.code: "rejected", none.code: "missing"})
    lines = [p.text for p in _doc(data).paragraphs]
    n = len(members)
    said = (
        f"各市町村の実績報告（2025年度）：構成{n}市町村のうち{n - 2}市町村から報告が届きました（{sent_back.name}は"
        f"報告に誤りがあったため修正を依頼中、{none.name}は報告が届いていません）。届いていない市町村の実績は、この"
        "報告書の数値に含めていません。"
    )
    assert lines.count(said) == 1
    assert "2025年度の報告が届いた市町村は、要旨に示したとおりです（各市町村の受付の記録は資料編）。" in lines
    assert not any(line.endswith("の実績報告の受付状況") for line in lines)  # no sub-section repeating it
    body = lines[: lines.index("資料編")]
    for word in ("受理", "差戻し", "差し戻", "未提出", "事務局の記録"):
        assert not any(word in line for line in body), word


def test_every_report_arrived_is_one_short_sentence(plan):
    data = _with_standing(plan, {})
    lines = [p.text for p in _doc(data).paragraphs]
    n = len(plan.members(2025))
    assert f"各市町村の実績報告（2025年度）：構成{n}市町村のすべてから報告が届きました。" in lines


# ---- #16 page flow in the rendered PDF (LibreOffice: the slow tier) -------------------------------------------


@pytest.mark.pdf
@needs_libreoffice
def test_the_rendered_report_has_a_one_page_toc_and_no_table_tail_alone(plan, tmp_path):
    """The TOC fits page 2 (the 要旨 opens page 3); the 施策ごとのKPI table's last KPI shares its page with the one
    before it; every page of the body (before the 資料編) but a chart's holds more than a few lines."""
    rows = pd.concat([_rows(plan, writers=1), _kpi_rows(plan, 0.9)], ignore_index=True)
    blank = plan.members(2025)[16].code
    rows.loc[rows["municipality_code"] == blank, "self_evaluation"] = None
    docx = tmp_path / "report.docx"
    docx.write_bytes(region_docx(_data(plan, rows)))
    # as a run converts it: the TOC updated by LibreOffice (a plain --convert-to leaves the field's placeholder)
    assert pdf.convert([(docx, tmp_path / "report.pdf")], soffice="soffice", timeout=900).written
    pages = [plain_text(p) for p in pdf_text(tmp_path / "report.pdf").split("\f")]
    assert pages[2].split()[0] == "要旨"
    last, before = plan.kpis[-1].name, plan.kpis[-2].name
    table_pages = [p for p in pages if "(2) 施策ごとのKPIの達成状況" in p or "参考：" in p]
    assert any(last in p and before in p for p in table_pages)
    body = pages[1 : next(i for i, p in enumerate(pages) if p.lstrip().startswith("資料編"))]
    # a chart's page holds few lines of text: its picture fills it (the caption 「図 …」 says it is there)
    lines = [len([ln for ln in p.splitlines() if ln.strip()]) for p in body if "図 " not in p]
    assert min(lines) > 5, lines

"""How figures print in every document (issue 18): no number split by a line break (the language of Latin text,
columns sized from their figures), 現状値比 beyond ±progress_limit, a member in no initiative, the share of the
region's value, and the charts' axes and lines."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from docx import Document
from docx.oxml.ns import qn

from vision_report.compute.tables import compute_year
from vision_report.core.config import ConfigError, _report_settings, load_settings
from vision_report.outputs.reports import charts
from vision_report.outputs.reports.docxutil import docx_bytes, fit_widths, min_width_mm, new_document, text_width_mm
from vision_report.outputs.reports.figures import is_count_unit, progress_text
from vision_report.outputs.reports.municipality import build_municipality_report

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "templates" / "report_style.docx"
FY = 2025
NEW_MEMBER = "432041"  # 荒尾市, joined 2025-03-27: in no initiative of the vision


def _tables(doc) -> list[list[list[str]]]:
    return [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]


# -- no number split by a line break ----------------------------------------------------------------------------------


@pytest.mark.parametrize("template", [TEMPLATE, None])
def test_latin_text_is_english_and_east_asian_text_japanese(template):
    """LibreOffice breaks half-width text with the break rules of its language: with ja-JP it split 「（2／025年度）」.
    Every document's default is en-US for Latin text and ja-JP for East Asian text, and no style names ja-JP for
    Latin text."""
    doc = new_document(template)
    langs = list(doc.styles.element.iter(qn("w:lang")))
    default = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    assert default.find(qn("w:lang")).get(qn("w:val")) == "en-US"
    assert default.find(qn("w:lang")).get(qn("w:eastAsia")) == "ja-JP"
    assert all(el.get(qn("w:val")) != "ja-JP" for el in langs)


def test_a_column_too_narrow_for_its_figure_takes_room_from_wrapping_text():
    rows = [["圏域内総生産額（百万円）の長い名前が折り返す列", "（参考：24市町村計5,079,285）"]]
    widths = fit_widths(rows, [60, 15], 8.5)
    assert widths[1] >= min_width_mm("5,079,285）", 8.5) - 0.5  # the figure fits on one line
    assert abs(sum(widths) - 75) <= 0.5  # the table keeps its width
    assert fit_widths([["短い", "1,234"]], [60, 15], 8.5) == [60, 15]  # room enough: the layout's widths


def test_a_figure_with_its_unit_is_measured_whole():
    assert min_width_mm("延べ140人", 8.5) > min_width_mm("延べ14", 8.5)  # 140人 is one piece
    assert min_width_mm("文章だけ", 8.5) < min_width_mm("12,345,678", 8.5)


# -- 進捗率 beyond ±progress_limit --------------------------------------------------------------------------------------


def test_progress_beyond_the_limit_prints_the_change_from_the_baseline():
    """GDP: plan 4,790,058 → 4,830,000 (+0.8 %), actual 4,568,682: progress ▲554.2 %, change from the baseline
    ▲4.6 %."""
    words = "現状値比{change}"
    assert progress_text(-554.24, 4568682, 4790058, 200, words) == "現状値比▲4.6%"
    assert progress_text(250.0, 1100, 1000, 200, words) == "現状値比+10.0%"
    assert progress_text(200.0, 1100, 1000, 200, words) == "200.0%"  # at the limit: still a progress rate
    assert progress_text(-200.0, 900, 1000, 200, words) == "▲200.0%"
    assert progress_text(67.54, 1153, 1076, 200, words) == "67.5%"
    assert progress_text(None, 1153, 1076, 200, words) == "—"
    assert progress_text(-554.24, None, 4790058, 200, words) == "▲554.2%"  # no actual: nothing else to say


def test_progress_limit_is_configuration():
    assert _report_settings({}).progress_limit == 200
    assert _report_settings({"progress_limit": 300}).progress_limit == 300
    for bad in (0, -5, "200", True):
        with pytest.raises(ConfigError, match="progress_limit"):
            _report_settings({"progress_limit": bad})
    assert load_settings(ROOT).report.progress_limit == 200  # config/vision-report.yaml


# -- municipality reports ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fy2025(plan):
    """Every member of FY2025 reports 50 for startups (a KPI every member reports): 20 members on the targets'
    basis sum 1,000, all 24 sum 1,200."""
    settings = load_settings(ROOT)
    members = [m.code for m in plan.members(FY)]
    rows = pd.DataFrame(
        {
            "municipality_code": members,
            "kind": "kpi",
            "item_id": "startups",
            "value": 50.0,
            "status": None,
            "file": [f"{c}_x.csv" for c in members],
            "held": False,
        }
    )
    res = compute_year(plan, FY, rows[["municipality_code", "kind", "item_id", "value", "status"]], settings)
    return settings, rows, res


def _municipality_doc(plan, fy2025, code: str):
    settings, rows, res = fy2025
    doc = build_municipality_report(
        plan,
        FY,
        code,
        res["kpi_attainment"].set_index("kpi_id", drop=False),
        res["budget_execution"].set_index("initiative_id", drop=False),
        pd.DataFrame(columns=["file", "received_at", "timeliness", "status", "error_count", "warning_count"]),
        rows[rows["municipality_code"] == code],
        TEMPLATE,
        False,
        evaluation=settings.evaluation,
    )
    return Document(io.BytesIO(docx_bytes(doc)))


def test_a_member_in_no_initiative_is_told_why_and_gets_no_empty_table(plan, fy2025):
    assert not plan.initiatives_of(NEW_MEMBER, FY)
    doc = _municipality_doc(plan, fy2025, NEW_MEMBER)
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "荒尾市（団体コード432041" in text and "2025年3月27日に連携中枢都市圏に加入しました" in text
    assert "0取組に参加" not in text
    assert (
        "荒尾市が参加する取組はまだありません。ビジョンの70の具体的取組の関係市町村は計画（ビジョン）で定められており、"
        "加入後の参加を定める計画の改定がまだないためです。それまでの間、荒尾市は圏域全体のKPIの実績を報告します。"
    ) in text
    assert "ことになります。2025年度に荒尾市が負担した具体的取組の事業費はありません。" in text  # review 7 #19
    assert not [t for t in _tables(doc) if t[0][:2] == ["取組", "名称"]]  # no table of initiatives at all
    assert all(len(t) > 1 for t in _tables(doc))  # no header-only table


def test_a_member_in_initiatives_keeps_its_table(plan, fy2025):
    doc = _municipality_doc(plan, fy2025, "431001")
    table = next(t for t in _tables(doc) if t[0][:2] == ["取組", "名称"])
    assert [r[0] for r in table[1:]] == [i.id for i in plan.initiatives_of("431001", FY)]
    assert "取組はまだありません" not in "\n".join(p.text for p in doc.paragraphs)


@pytest.mark.parametrize("code", ["431001", NEW_MEMBER])
def test_the_share_divides_by_the_sum_its_note_names(plan, fy2025, code):
    """50 of the 1,200 every member's accepted submissions add up to: 4.2 % (not 5.0 %, the 20-member sum)."""
    doc = _municipality_doc(plan, fy2025, code)
    table = next(
        t for t in _tables(doc) if t[0][0] == "KPI" and "24市町村計に占める割合" in [h.replace("\n", "") for h in t[0]]
    )
    row = next(r for r in table[1:] if r[0].startswith("圏域内の創業者数"))
    assert row[1:4] == ["50", "1,200", "4.2%"]
    notes = "\n".join(p.text for p in doc.paragraphs)
    # council words (review 3 #3): 「すべての報告の合計」, not 「受理した提出の合計」
    assert "圏域の値（参考）は、2025年度の構成24市町村すべての報告の合計" in notes
    assert "割合はこの値に占める" in notes


# -- charts -----------------------------------------------------------------------------------------------------------


def test_count_units_get_whole_number_axes():
    data = SimpleNamespace(settings=SimpleNamespace(root=ROOT))
    assert [is_count_unit(data, u) for u in ("人", "人/年", "件/年", "TEU", "千人/年", "人/日")] == [True] * 6
    assert [is_count_unit(data, u) for u in ("百万円", "千円", "%")] == [False] * 3


WORDS = {
    "target": "目標 {value}",
    "baseline": "現状値 {value}（{year}）",
    "partial": "加入前",
    "basis_change": "構成市町村の変更",
    "actual": "実績",
    "provisional": "暫定",
    "provisional_point": "（暫定）",
    "no_data": "なし",
}


def _panel(count: bool, **kw) -> dict:
    base = {"name": "件数", "unit": "件", "baseline": 1, "baseline_year": "2022年度", "target": 3, "count": count}
    return base | {"values": {2021: 1, 2022: 2, 2023: 2, 2024: 3, 2025: 3}} | kw


def test_a_count_axis_has_only_whole_ticks():
    fig = charts.draw_trends([_panel(True)], [2021, 2022, 2023, 2024, 2025], WORDS)
    ticks = fig.axes[0].get_yticks()
    plt.close(fig)
    assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks)
    fig = charts.draw_trends([_panel(False)], [2021, 2022, 2023, 2024, 2025], WORDS)
    ticks = fig.axes[0].get_yticks()
    plt.close(fig)
    assert not all(float(t).is_integer() for t in ticks)  # an amount may have 1.5 on its axis


def test_no_line_joins_years_of_a_different_basis():
    """2021–2022 summed fewer members (partial): no segment runs from 2022 to 2023; the change is marked."""
    fig = charts.draw_trends([_panel(True, partial={2021, 2022})], [2021, 2022, 2023, 2024, 2025], WORDS)
    ax = fig.axes[0]
    segments = [tuple(line.get_xdata()) for line in ax.get_lines() if len(line.get_xdata()) == 2]
    marks = [t.get_text() for t in ax.texts]
    plt.close(fig)
    assert (2021, 2022) in segments and (2023, 2024) in segments and (2024, 2025) in segments
    assert (2022, 2023) not in segments
    assert "構成市町村の変更" in marks


def test_labels_go_where_no_segment_runs():
    assert charts.label_place([5, 1, 5], 1) == "below"  # a dip: both segments come down to it
    assert charts.label_place([1, 5, 1], 1) == "above"  # a peak
    assert charts.label_place([1, 2, 3], 1) == "upper_left"  # rising: the segments run lower left and upper right
    assert charts.label_place([3, 2, 1], 1) == "upper_right"
    assert charts.label_place([3, 1], 1) == "below" and charts.label_place([1, 3], 1) == "above"
    assert charts.label_place([1, 3], 0) == "below" and charts.label_place([1], 0) == "above"


# -- chart titles and labels (issue 18) --------------------------------------------------------------------------


def test_a_chart_title_breaks_between_words_never_inside_one_or_its_unit():
    from vision_report.outputs.reports.charts import title_lines

    assert title_lines("圏域内総生産額", "百万円") == "圏域内総生産額（百万円）"
    assert title_lines("販路開拓・拡大支援の実施に伴う農水産物等の販売額", "百万円") == (
        "販路開拓・拡大支援の実施に伴う農水産物等の\n販売額（百万円）"
    )
    assert (
        title_lines("熊本港におけるコンテナ貨物取扱量（暦年）", "TEU")
        == "熊本港におけるコンテナ貨物取扱量（暦年）\n（TEU）"
    )
    assert (
        title_lines("公共施設及びサービス等の相互利用者数", "人/年")
        == "公共施設及びサービス等の相互利用者数\n（人/年）"
    )


def test_a_kpi_of_whole_numbers_is_labelled_without_decimals():
    from vision_report.outputs.reports.charts import _fmt, _whole

    counts = {"values": {2021: 16.0, 2022: 21.0, 2023: None}, "target": 40.0, "baseline": 27.0}
    assert _whole(counts) and _fmt(16.0, _whole(counts)) == "16"
    rates = {"values": {2021: 16.5}, "target": 40.0, "baseline": 27.0}
    assert not _whole(rates) and _fmt(40.0, _whole(rates)) == "40.0"


def test_a_column_keeps_the_width_of_its_header_word():
    """A column that gives width to a figure elsewhere keeps what its header's word needs (「2025年度計画」, not
    「2025年度計／画」); the bracket of the header goes on its own line (break_header)."""
    header = ["2025年度計画（千円）", "実施状況（市町村数）"]
    rows = [header, ["1,630", "実施18・一部実施2・未実施3（20/20報告）"]]
    widths = fit_widths(rows, [24, 30], 8.5)
    assert widths[0] >= min(24, text_width_mm("2025年度計画", 8.5)) - 0.5
    assert abs(sum(widths) - 54) <= 0.5

"""The councillor-reader's third review (/tmp/read3, items #7 #8 #9 #14 #15): the 概要版 read on its own, and the
要旨's KPI table. The shipped plan (20 members at the 2024年3月改定 of the vision, 24 in FY2025) and synthetic rows."""

from __future__ import annotations

from vision_report.outputs.reports import charts


def _figure_of(monkeypatch, draw, *args):
    figs = []
    monkeypatch.setattr(charts, "_png", lambda fig: figs.append(fig) or b"")
    draw.__wrapped__(*args)
    return figs[0]


WORDS = {"planned": "計画", "actual": "実績", "thousand_yen": "千円", "no_rating": "評価なし", "kpi_count": "KPIの数"}


def test_execution_bars_print_each_amount_and_draw_the_breakdown_lighter(monkeypatch):
    fig = _figure_of(
        monkeypatch,
        charts.execution_bars,
        ["柱1", "柱3", "うち小分野3A", "うち小分野3C"],
        [150_000.0, 1_140_000.0, 1_137_000.0, 3_000.0],
        [148_000.0, 1_124_000.0, 1_121_000.0, 2_648.0],
        WORDS,
        [False, False, True, True],
    )
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert "2,648" in texts and "3,000" in texts and "1,124,000" in texts  # a small bar still reads, not as 0
    colors = {tuple(round(c, 3) for c in p.get_facecolor()) for p in ax.patches}
    assert len(colors) == 4  # planned and actual, each in a lighter shade for the breakdown rows
    assert [line.get_ydata()[0] for line in ax.get_lines()] == [1.5]  # a divider above the breakdown


def test_rating_legend_names_only_the_ratings_present(monkeypatch):
    fig = _figure_of(
        monkeypatch, charts.rating_bars, ["柱1", "柱2"], [{"A": 1, "B": 3, "D": 1, "-": 0}, {"B": 4}], WORDS
    )
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["A", "B", "D"]
    fig = _figure_of(monkeypatch, charts.rating_bars, ["柱1"], [{"A": 1, "-": 2}], WORDS)
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["A", "評価なし"]

"""Charts for the reports (matplotlib, Japanese labels via matplotlib-fontja). PNG bytes out."""

from __future__ import annotations

import functools
import io
import json
import math
from collections import OrderedDict
from collections.abc import Callable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib_fontja  # noqa: E402,F401  (registers IPAexGothic for Japanese text)

from vision_report.core.textfmt import fmt_num  # noqa: E402

NAVY = "#1F3A5F"
ORANGE = "#D9822B"
GREY = "#8C8C8C"
DARK_GREY = "#505050"
LEGEND_CHARS = 15  # a legend entry longer than this (characters) takes the panel's width: one column
# the trend chart's small words (legend, ticks, point labels) in the figure's points: a 2-column chart of 7.2 in is
# printed 170 mm wide (× 0.93), so 7.6 pt prints at 7 pt (review 4 #16: the 6 pt legend was unreadable)
TREND_FONT = 7.6
HEADROOM = 0.32  # a trend panel's axis goes this share of its range above the highest figure
RATING_COLORS = {"A": "#2E7D32", "B": "#7CB342", "C": "#F9A825", "D": "#C62828", "-": "#BDBDBD"}


_MEMO_SIZE = 32
_memo: OrderedDict[str, bytes] = OrderedDict()


def memoized(draw: Callable[..., bytes]) -> Callable[..., bytes]:
    """Draw a chart once per process for the same inputs: the same arguments give the same PNG bytes (the
    drawing is deterministic), and the region report, the 概要版 and the tests ask for the same chart more than
    once. The key is the arguments as canonical JSON; the least recently used of at most ``_MEMO_SIZE`` PNGs
    goes first."""

    @functools.wraps(draw)
    def cached(*args, **kwargs) -> bytes:
        try:
            key = json.dumps([draw.__name__, args, kwargs], sort_keys=True, ensure_ascii=False, default=repr)
        except TypeError:  # keys that do not sort: draw without the memo
            return draw(*args, **kwargs)
        png = _memo.get(key)
        if png is None:
            png = draw(*args, **kwargs)
            _memo[key] = png
            if len(_memo) > _MEMO_SIZE:
                _memo.popitem(last=False)
        else:
            _memo.move_to_end(key)
        return png

    return cached


def _fmt(v: float, whole: bool = False) -> str:
    """A value printed on a chart, rounded as in the tables (四捨五入, ▲ for negatives); ``whole``: the KPI's
    figures are all whole numbers (a count: 16, not 16.0)."""
    return fmt_num(v) if whole or abs(v) >= 100 else fmt_num(v, 1)


def _whole(k: dict) -> bool:
    """Every figure of the KPI (values, target, baseline) a whole number."""
    figures = [v for v in k["values"].values() if v is not None] + [k["target"], k["baseline"]]
    return all(float(v).is_integer() for v in figures if v is not None)


# Where a chart title may break: after a particle or a separator, before a bracket (never inside a word, a
# figure or the unit: 「販／売額」「（T／EU）」「（人/年／）」)
_TITLE_BREAK_AFTER = "・のにをとへでがは、）"


def title_lines(name: str, unit: str, width: int = 22) -> str:
    """A chart's title, 「name（unit）」, on lines of at most ``width`` characters where it can: broken after a
    particle or a separator (or before a bracket), the unit on the line of the name's end or on its own."""
    unit_part = f"（{unit}）" if unit else ""
    if len(name) + len(unit_part) <= width:
        return name + unit_part
    lines, rest = [], name
    while len(rest) > width:
        cuts = [i + 1 for i, c in enumerate(rest[:width]) if c in _TITLE_BREAK_AFTER and 0 < i + 1 < len(rest)]
        cuts += [i for i, c in enumerate(rest[: width + 1]) if c == "（" and i > 0]
        cut = max(cuts) if cuts else width
        while 0 < cut < len(rest) and rest[cut - 1].isascii() and rest[cut].isascii() and rest[cut].isalnum():
            cut -= 1  # not inside a Latin word or a figure
        cut = cut or width
        lines.append(rest[:cut])
        rest = rest[cut:]
    if len(rest) + len(unit_part) <= width:
        lines.append(rest + unit_part)
    else:
        lines += [rest, unit_part] if unit_part else [rest]
    return "\n".join(lines)


def _tick(v: float, _pos=None) -> str:
    """An axis tick: whole numbers with separators, a decimal only where the ticks need one."""
    return f"{v:,.0f}" if float(v).is_integer() or abs(v) >= 100 else f"{v:,.1f}"


def label_place(ys: list[float], i: int) -> str:
    """Where point ``i``'s label goes so that neither of its segments runs through it: "above" a peak (or an end
    the line rises to or falls from), "below" a dip, and on a slope to the side the segments leave free:
    "upper_left" when the line rises through the point, "upper_right" when it falls."""
    before = ys[i - 1] if i > 0 else None
    after = ys[i + 1] if i + 1 < len(ys) else None
    y = ys[i]
    if before is not None and after is not None and min(before, after) < y < max(before, after):
        return "upper_left" if before < y else "upper_right"
    neighbours = [v for v in (before, after) if v is not None]
    return "above" if not neighbours or y >= min(neighbours) else "below"


FLAT = 0.1  # points within this share of the axis (from 0) read as a flat line: labels above and below in turn


def is_flat(ys: list[float], figures: list) -> bool:
    """The points lie in a band narrower than ``FLAT`` of an axis from 0 (a large total changing a few per cent):
    labels placed by slope would sit side by side at one height and run into each other, so they alternate."""
    values = [abs(float(v)) for v in figures if v is not None]
    top = max(values, default=0.0)
    return len(ys) > 1 and top > 0 and (max(ys) - min(ys)) < FLAT * top and min(ys) > 0


_LABEL_AT = {  # offset in points, horizontal and vertical alignment
    "above": ((0, 6), "center", "bottom"),
    "below": ((0, -6), "center", "top"),
    "upper_left": ((-4, 4), "right", "bottom"),
    "upper_right": ((4, 4), "left", "bottom"),
}


@memoized
def kpi_trends(kpis: list[dict], years: list[int], words: dict[str, str], *, cols: int = 2) -> bytes:
    """The trend chart as PNG (``draw_trends``)."""
    return _png(draw_trends(kpis, years, words, cols=cols))


def draw_trends(kpis: list[dict], years: list[int], words: dict[str, str], *, cols: int = 2):
    """Small multiples: one panel per KPI with actuals FY..FY, the baseline and the plan's target.

    words: the legend's words (templates/report/phrases.yaml chart:).
    kpis: dicts with name, unit, baseline, baseline_year (as printed, e.g. 2022年度), target, values {year: float|None}, provisional (the
    years whose value is provisional: hollow points, labelled 暫定), partial (years whose sum covers fewer
    municipalities because a member had not joined yet: grey squares; no line joins them to years of the other
    basis, a thin vertical line marks the change) and count (a unit that counts: whole-number ticks only) and
    optionally no_submissions (years without any accepted submission: labelled words["no_submissions"] on the axis,
    no line across them) and data_year_lag (the value of FY y is the statistic of y − lag: each year on the axis
    has the statistic's year under it, words["data_year_tick"], and the axis says so, words["data_year_axis"]).
    """
    n = len(kpis)
    cols = min(cols, n) or 1
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 3.1 * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.axis("off")
    for ax, k in zip(axes.flat, kpis, strict=False):
        xs = [y for y in years if k["values"].get(y) is not None]
        ys = [k["values"][y] for y in xs]
        whole = _whole(k)
        ax.axhline(
            k["target"],
            color=ORANGE,
            linestyle="--",
            linewidth=1.2,
            label=words["target"].format(value=_fmt(k["target"], whole)),
        )
        ax.axhline(
            k["baseline"],
            color=GREY,
            linestyle=":",
            linewidth=1.0,
            label=words["baseline"].format(value=_fmt(k["baseline"], whole), year=k["baseline_year"]),
        )
        if xs:
            provisional = set(k.get("provisional") or ())
            partial = set(k.get("partial") or ()) - provisional
            # a line joins only years that sum the same municipalities: where the basis changes it breaks, and a
            # thin vertical line marks the change; no line crosses a year without submissions (提出なし: the value
            # is unknown, not in between)
            no_data = set(k.get("no_submissions") or ())
            for a, b, ya, yb in zip(xs, xs[1:], ys, ys[1:], strict=False):
                if any(a < y < b for y in no_data):
                    continue
                if (a in partial) != (b in partial):
                    ax.axvline((a + b) / 2, color=GREY, linestyle="-", linewidth=0.6, alpha=0.6)
                    ax.annotate(
                        words["basis_change"],
                        ((a + b) / 2, 1.0),
                        xycoords=("data", "axes fraction"),
                        xytext=(0, -2),
                        textcoords="offset points",
                        ha="center",
                        va="top",
                        fontsize=7,
                        color=DARK_GREY,
                        bbox={"boxstyle": "square,pad=0.15", "facecolor": "white", "edgecolor": "none"},
                        zorder=6,
                    )
                    continue
                ax.plot([a, b], [ya, yb], color=NAVY, linewidth=1.8)
            final = [(x, y) for x, y in zip(xs, ys, strict=True) if x not in provisional | partial]
            tentative = [(x, y) for x, y in zip(xs, ys, strict=True) if x in provisional]
            fewer = [(x, y) for x, y in zip(xs, ys, strict=True) if x in partial]
            if fewer:  # squares: a member of the vision had not joined yet, the sum covers fewer municipalities
                ax.plot(
                    *zip(*fewer, strict=True),
                    "s",
                    markerfacecolor="white",
                    markeredgecolor=GREY,
                    markeredgewidth=1.5,
                    label=words["partial"],
                )
            if final:
                ax.plot(*zip(*final, strict=True), "o", color=NAVY, label=words["actual"])
            if tentative:  # hollow markers: not every expected reporter's file was accepted that year
                ax.plot(
                    *zip(*tentative, strict=True),
                    "o",
                    markerfacecolor="white",
                    markeredgecolor=NAVY,
                    markeredgewidth=1.5,
                    label=words["provisional"],
                )
            flat = is_flat(ys, [*ys, k["target"], k["baseline"]])
            for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
                label = _fmt(y, whole) + (words["provisional_point"] if x in provisional else "")
                offset, ha, va = _LABEL_AT[("above", "below")[i % 2] if flat else label_place(ys, i)]
                ax.annotate(
                    label,
                    (x, y),
                    textcoords="offset points",
                    xytext=offset,
                    ha=ha,
                    va=va,
                    fontsize=TREND_FONT,
                    bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
                    zorder=5,
                )
        else:
            ax.text(0.5, 0.5, words["no_data"], transform=ax.transAxes, ha="center", va="center", color=GREY)
        ax.set_xticks(years)
        gaps = set(k.get("no_submissions") or ())  # the year stays on the axis, said to have no submissions
        lag = int(k.get("data_year_lag") or 0)  # the value of FY y is the statistic of y − lag (統計の年)
        ticks = [f"{y}\n{words['no_submissions']}" if y in gaps else f"{y}" for y in years]
        if lag:
            ticks = [t + "\n" + words["data_year_tick"].format(year=y - lag) for t, y in zip(ticks, years, strict=True)]
            ax.set_xlabel(words["data_year_axis"], fontsize=TREND_FONT, color=DARK_GREY)
        ax.set_xticklabels(ticks, fontsize=TREND_FONT)
        ax.tick_params(axis="y", labelsize=TREND_FONT)
        if k.get("count"):  # a count (人, 件, TEU): no 1,234.5 on its axis
            ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(_tick))
        ax.set_title(title_lines(k["name"], k["unit"]), fontsize=8.5)
        ax.grid(axis="y", alpha=0.3)
        # below the panel, never over a point or its label
        # one column when a legend entry is long (the words of the table's † note), lower when the axis has a label
        labels = ax.get_legend_handles_labels()[1]
        ncol = 1 if max((len(t) for t in labels), default=0) > LEGEND_CHARS else 2
        ax.legend(
            fontsize=TREND_FONT,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.28 if lag else -0.14),
            ncol=ncol,
            frameon=False,
        )
        ax.margins(x=0.15, y=0.25)
        from_zero(ax, [*ys, k["target"], k["baseline"]])
        if len(xs) < 2 and len(years) > 1:  # one point (a new KPI, a new series) on a longer axis: show every year
            ax.set_xlim(years[0] - 0.5, years[-1] + 0.5)
    fig.tight_layout()
    return fig


def from_zero(ax, figures: list) -> None:
    """The value axis starts at 0 (ends at 0 for a KPI whose figures are all negative): a cut axis made a 5 % fall
    of 4.8 million read as a crash (review 4 #16). The points carry their values, so the small change stays
    readable; a KPI whose figures cross 0 (a net migration) gets a line at 0."""
    values = [float(v) for v in figures if v is not None and not math.isnan(float(v))]
    if not values:
        return
    ax.autoscale_view()
    low, high = ax.get_ylim()
    span = max(values) - min(min(values), 0.0) or 1.0
    room = span * HEADROOM  # above the highest point: its label and the basis-change label under the frame
    if min(values) >= 0:
        ax.set_ylim(0, max(values) + room)
    elif max(values) <= 0:
        ax.set_ylim(low, 0)
    else:
        ax.set_ylim(low, max(high, max(values) + room))
        ax.axhline(0, color=DARK_GREY, linewidth=0.8, zorder=1)


@memoized
def rating_bars(labels: list[str], counts: list[dict[str, int]], words: dict[str, str]) -> bytes:
    """Horizontal stacked bars of A/B/C/D/- counts per pillar; the legend names only the ratings some KPI has (no
    「評価なし」 swatch when every KPI is rated)."""
    fig, ax = plt.subplots(figsize=(6.4, 0.7 + 0.55 * len(labels)))
    left = [0] * len(labels)
    for grade in ("A", "B", "C", "D", "-"):
        vals = [c.get(grade, 0) for c in counts]
        if not any(vals):
            continue
        ax.barh(
            labels, vals, left=left, color=RATING_COLORS[grade], label=words["no_rating"] if grade == "-" else grade
        )
        for i, v in enumerate(vals):
            if v:
                ax.text(left[i] + v / 2, i, str(v), ha="center", va="center", fontsize=8, color="white")
        left = [a + b for a, b in zip(left, vals, strict=True)]
    ax.invert_yaxis()
    ax.set_xlabel(words["kpi_count"], fontsize=8)
    ax.tick_params(labelsize=8)
    ax.legend(ncol=5, fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    fig.tight_layout()
    return _png(fig)


LIGHT_GREY = "#C8C8C8"
LIGHT_NAVY = "#7F95B3"


@memoized
def execution_bars(
    labels: list[str],
    planned: list[float],
    actual: list[float],
    words: dict[str, str],
    parts: list[bool] | None = None,
) -> bytes:
    """Planned vs actual expenditure (千円) per pillar / sub-field, each bar's amount printed at its end (a small
    amount beside large ones still reads, not as zero). ``parts``: rows that are a breakdown of the row above them
    (a pillar's sub-fields), drawn in lighter colours after a divider so they do not read as further amounts."""
    parts = parts or [False] * len(labels)
    fig, ax = plt.subplots(figsize=(6.4, 0.8 + 0.5 * len(labels)))
    idx = list(range(len(labels)))
    top = max([*planned, *actual, 0]) or 1
    for offset, values, color, light, key in (
        (-0.2, planned, GREY, LIGHT_GREY, "planned"),
        (0.2, actual, NAVY, LIGHT_NAVY, "actual"),
    ):
        colors = [light if part else color for part in parts]
        ax.barh([i + offset for i in idx], values, height=0.38, color=colors, label=words[key])
        for i, v in zip(idx, values, strict=True):
            ax.text(v + top * 0.01, i + offset, fmt_num(v), va="center", ha="left", fontsize=7)
    for i in idx[1:]:  # a divider above each group of breakdown rows
        if parts[i] and not parts[i - 1]:
            ax.axhline(i - 0.5, color=GREY, linewidth=0.6, linestyle=":")
    ax.set_xlim(0, top * 1.18)  # room for the amount after the longest bar
    ax.set_yticks(idx)
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _p: f"{v:,.0f}"))
    ax.tick_params(axis="x", labelsize=7)
    ax.set_xlabel(words["thousand_yen"], fontsize=8)
    ax.legend(ncol=2, fontsize=8, frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0))
    fig.tight_layout()
    return _png(fig)


def _png(fig) -> bytes:
    # tight_layout() leaves a placeholder layout engine behind, and savefig draws the whole figure once more for
    # any engine before it renders (a layout pass that changes nothing here: the layout is already done). Without
    # the engine the figure is drawn once; the PNG is byte for byte the same. (None would install a real engine
    # where a matplotlibrc asks for figure.autolayout or constrained layout: those settings are held off here.)
    with matplotlib.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
        fig.set_layout_engine(None)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()

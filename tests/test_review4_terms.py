"""The councillor-reader's fourth review (/tmp/read4, items #8 #9 #10 #17): the 要旨's KPI table, one word per sense
(「基準値」, 「小分野」), the 概要版's 用語 block and the sample panel file. The shipped plan and synthetic rows."""

from __future__ import annotations

import pytest
from docx.oxml.ns import qn

from tests.test_region_layout import ROOT, _lines, _text
from tests.test_summary_review import _docs, _header, _kpi_table, _with_reference_over_target
from vision_report.intake.panel_opinions import parse

CIRCLED_1 = "\u2460"


@pytest.fixture(scope="module")
def docs(plan):
    return _docs(plan, _with_reference_over_target(plan))


def _notes_after_table(doc, table) -> list[str]:
    """The 「※ …」 paragraphs right after ``table``."""
    out, el = [], table._tbl.getnext()
    while el is not None and el.tag == qn("w:p") and _text(el).startswith("※"):
        out.append(_text(el))
        el = el.getnext()
    return out


def _cells(doc) -> list[str]:
    return [c.text for t in doc.tables for r in t.rows for c in r.cells]


# -- #8: the 要旨's KPI table: fewer, wider columns; the notes under it speak of what it shows --------------------------


def test_the_abstracts_kpi_table_gives_the_names_room_and_its_notes_fit_its_columns(plan, docs):
    region, summary = docs
    table = _kpi_table(region)
    assert _header(table) == [
        "KPI",
        "現状値（年）",
        "目標値（2025年度）",
        "実績値（20市町村計）",
        "達成率",
        "進捗率",
        "評価",
        "総括の判定",
    ]
    first = [int(g.get(qn("w:w"))) for g in table._tbl.tblGrid.iter(qn("w:gridCol"))][0] / 1440 * 25.4
    assert first >= 38  # the KPI names in 2–3 lines, not 4–6 (29 mm before review 4 #8)
    region_notes = _notes_after_table(region, table)
    summary_notes = _notes_after_table(summary, _kpi_table(summary))
    single = [n for n in region_notes if "熊本市が報告する値" in n]
    assert len(single) == 1 and single[0].endswith("熊本市が報告する値（市町村の合計ではない）。")
    # the 概要版's table has no 参考 column either (issue 18: its reference sums are a note), so no word on its 「—」
    assert any(n.endswith("熊本市が報告する値（市町村の合計ではない）。") for n in summary_notes)
    assert not any("参考の合計の欄" in n for n in summary_notes)
    # no 「評価の基準」 column: the note names the KPIs rated by 達成率
    assert not any("表の「評価の基準」の列" in n for n in region_notes)
    at_least = "・".join(k.name for k in plan.kpis if k.direction == "at_least")
    assert any(f"水準の維持を目指すKPI（{at_least}）は達成率によります。" in n for n in region_notes)


# -- #9: 「基準値」 only in the vision's sense (the births target); 「現状値比」 for the change from the 現状値 ----------


def test_the_word_kijunchi_is_used_only_for_the_births_targets_base_value_and_said_what_it_means(plan, docs):
    births = next(k for k in plan.kpis if k.id == "births")
    note = (
        "※ 圏域出生数：目標の「現状維持」は、基準値（2019年の出生数10,813人）以上を保つこと（現状値9,187人（2023年）の"
        "維持ではない）。達成率は基準値に対する率。"
    )
    for doc in docs:
        lines = _lines(doc)
        assert note in lines
        uses = [x for x in lines + _cells(doc) if "基準値" in x]
        assert uses, "the births target and its note"
        for x in uses:
            assert x == note or x.startswith("現状維持\n【基準値】\n10,813"), x
        assert births.target_label == "現状維持【基準値】10,813（2019年）"


def test_the_change_beyond_the_progress_limit_is_named_from_the_genjouchi(plan):
    from tests.test_councillor_review import _gdp_behind
    from tests.test_region_layout import _report

    text = "".join(_lines(_report(plan, _gdp_behind(plan))))
    assert "「現状値比」は、進捗率が±200%を超えるKPI" in text and "進捗率に代えて示す現状値からの増減率" in text
    assert "基準値比" not in text and "基準値からの増減率" not in text


# -- #9: 小分野 named as in the tables, with the vision's names; the 【…】 under a policy area explained once ---------


def test_subfields_are_named_one_way_and_defined_once_with_the_visions_names(plan, docs):
    region, _ = docs
    lines = _lines(region)
    for sub in plan.subfields:
        heading = f"小分野{sub.id}《{sub.name}に係る政策分野》"
        assert lines.count(heading) == 1, heading
        assert lines[lines.index(heading) + 1].startswith("この小分野のKPI：")
    # the (1) 取組の方向性 table keeps the vision's own row 「《…に係る政策分野》」
    assert "《生活機能の強化に係る政策分野》" in _cells(region)
    definition = [x for x in lines if x.startswith("政策分野は、ビジョン第3章の各柱の①②…の項目。")]
    assert definition == [
        "政策分野は、ビジョン第3章の各柱の①②…の項目。小分野は、ビジョンが政策分野をまとめた「A 生活機能の強化に係る"
        "政策分野」・「B 結びつきやネットワークの強化に係る政策分野」・「C 圏域マネジメント能力の強化に係る政策分野」の"
        "まとまりで、表や見出しでは柱の番号とビジョンの記号 A・B・C を合わせて「小分野3A」のように示す。"
    ]


def test_the_agreements_field_under_a_policy_area_is_printed_alone_and_explained_once(plan, docs):
    region, _ = docs
    lines = _lines(region)
    assert not any(x.startswith("【生活機能の強化】") for x in lines)  # not the vision's: the group is the heading
    first = lines.index(f"{CIRCLED_1} 地域医療の充実", lines.index("小分野3A《生活機能の強化に係る政策分野》"))
    assert lines[first + 1 : first + 3] == [
        "【地域医療】",
        "※ 見出しの下の【地域医療】などは、ビジョンの連携協約がその政策分野に付けている分野の区分"
        "（ビジョンでは「A 生活機能の強化に係る政策分野【地域医療】」）。",
    ]
    assert sum(x.startswith("※ 見出しの下の") for x in lines) == 1
    fields = [a.agreement.field_label for p in plan.pillars for a in map(plan.area, p.area_ids)]
    assert lines.count("【福祉】") == fields.count("【福祉】") > 1


# -- #10: the 概要版's 用語: the region report's definitions, once each -----------------------------------------------


def test_the_summary_has_a_terms_block_with_the_region_reports_definitions(docs):
    region, summary = docs
    lines = _lines(summary)
    k = lines.index("用語")
    assert lines[k - 1].startswith("2025年度の取組の自己評価") or lines[k - 1].startswith("※")
    terms = lines[k + 1 : k + 7]
    # review 7 #15: the unit 「TEU」 of a KPI said once, after the money's unit (config/units.yaml explained)
    assert [t.split(" = ")[0].split("：")[0] for t in terms[:5]] == [
        "達成率",
        "進捗率",
        "執行率",
        "TEU",
        "取組の自己評価",
    ]
    assert terms[3] == "TEU：20フィートコンテナ換算の個数。"
    assert terms[5].startswith(  # review 6 P5: the share first, the strict count second
        "「実施・完了の割合」は、2025年度に関係市町村が取組ごとに報告した実施状況のうち「実施」または「完了」の割合"
    )
    assert terms[5].endswith(
        "下の括弧内は、関係市町村の全部が「実施」または「完了」と報告した取組の数"
        "（1市町村でも「一部実施」「未実施」と報告すれば数えない厳しい基準）。"
    )
    assert terms[4] == (
        "取組の自己評価：各関係市町村が取組ごとに記入する（A：計画どおり実施し成果が出た、B：概ね計画どおり、"
        "C：一部のみ実施、D：未実施）。「A・B の割合」は、回答のうち A・B の占める割合。"
    )
    region_lines = _lines(region)
    for t in terms[:4]:  # the same sentence as in the region report's 「評価の方法」
        assert t in region_lines, t
    assert lines[k + 7] == "柱ごとの状況"  # the column's note moved up into 用語: said once
    assert sum("「実施・完了の割合」は" in x for x in lines) == 1


def test_the_summarys_period_block_names_every_section_it_covers(docs):
    _, summary = docs
    lines = _lines(summary)
    k = lines.index("計画期間の総括（2021〜2025年度）")
    assert lines[k + 1] == (
        "（報告書本編：「5 計画期間の総括（2021〜2025年度）」の「(1) KPIの推移と目標の達成」"
        "「(2) 柱・小分野・政策分野ごとの事業費（2021〜2025年度の累計）」"
        "「(3) 取組ごとの事業費と実施状況（2021〜2025年度の累計）」）"
    )


# -- #17: the sample panel file: one format for every group, each opinion one bullet ---------------------------------


@pytest.mark.parametrize("path", sorted((ROOT / "samples" / "panel").rglob("懇談会意見.md")), ids=str)
def test_sample_panel_files_have_one_format(path):
    blocks = [b for b in parse(path.read_text(encoding="utf-8")) if not b.text.startswith("（合成データ")]
    assert {b.kind for b in blocks} == {"heading", "item"}
    assert {b.level for b in blocks if b.kind == "heading"} == {1}
    assert not any("\n" in b.text for b in blocks)
    assert blocks[0].kind == "heading" and blocks[-1].kind == "item"
    shipped = ROOT / "inputs" / path.parent.name / "懇談会意見.md"
    if shipped.exists():
        assert shipped.read_bytes() == path.read_bytes()


def test_the_final_year_samples_ship_a_synthetic_remarks_file():
    """Councillor reading of FY2025: the samples had no 総括所見, so the final-year report had no written
    assessment. inputs/2025/総括所見.md (made by samples/generator.py from samples/panel/) says it is synthetic
    first, as 懇談会意見.md does, then 4 headings with one short paragraph each (achievements, missed KPIs, the
    20- vs 24-member basis, the next vision)."""
    src = ROOT / "samples" / "panel" / "kumamoto-2024-03" / "2025" / "総括所見.md"
    shipped = ROOT / "inputs" / "2025" / "総括所見.md"
    assert shipped.read_bytes() == src.read_bytes()
    blocks = parse(shipped.read_text(encoding="utf-8"))
    assert (
        blocks[0].text
        == "（合成データ：実在の事務局の所見ではありません。同梱の合成データの数値に合わせた書き方の例として載せています。）"
    )
    assert [b.text for b in blocks if b.kind == "heading"] == [
        "計画期間の成果",
        "目標に届かなかったKPI",
        "目標の基準（20市町村）と構成24市町村",
        "次期ビジョンに向けて",
    ]
    paragraphs = [b for b in blocks[1:] if b.kind != "heading"]
    assert len(paragraphs) == 4 and all(len(b.text) <= 300 for b in paragraphs)
    assert not list((ROOT / "inputs").glob("202[1-4]/総括所見.md"))  # the final year's only

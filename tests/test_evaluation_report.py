"""Issue 13, the report side: under each initiative the lead's 取組実績, the self-evaluations and directions as
counts and the other participants' texts that add something; the A・B share per policy area and pillar; the
per-municipality section; the ビジョン懇談会's opinions (file present, missing, Shift_JIS, unreadable); the
municipality report's own texts. A small plan (tests/fixtures/plan_small, FY2028) with synthetic rows."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from docx import Document

from tests.report_cache import region_document, summary_document
from vision_report.compute.period import compute_period
from vision_report.compute.tables import compute_year
from vision_report.core.config import load_settings
from vision_report.intake.panel_opinions import Block, PanelOpinions, parse, read
from vision_report.outputs.reports import evaluation_context as ev
from vision_report.outputs.reports.context import ReportData
from vision_report.outputs.reports.docxutil import docx_bytes
from vision_report.outputs.reports.municipality import build_municipality_report
from vision_report.outputs.reports.region import build_region_report
from vision_report.outputs.reports.summary import build_summary
from vision_report.outputs.words import worded
from vision_report.plan import load_plan
from vision_report.screening.screen import submissions_table

ROOT = Path(__file__).resolve().parents[1]
FY = 2028
PANEL_MD = """<!-- 記入例 -->
# 柱1 経済

- 産学連携の**周知**を進めてほしい。
- 販路開拓を広げてほしい。

## 全体

公共交通の利用は回復している。
乗継ぎの改善を続けてほしい。

1. 自己評価で進捗が分かりやすくなった。
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """plan_small with 1.2.1 led by 山鹿市 (the plan's ``lead``); the others default to the core municipality."""
    target = tmp_path_factory.mktemp("plan") / "plan_small"
    shutil.copytree(ROOT / "tests" / "fixtures" / "plan_small", target)
    p = target / "pillars" / "1.yaml"
    text = p.read_text(encoding="utf-8")
    old = "participants: [熊本市, 山鹿市, 荒尾市]"
    assert old in text
    p.write_text(text.replace(old, old + "\n        lead: 山鹿市"), encoding="utf-8")
    return load_plan(target)


def _row(code, iid, ev_="", direction="", result="", outcome="", challenge=""):
    return {
        "municipality_code": code,
        "kind": "expenditure",
        "item_id": iid,
        "value": 100.0,
        "status": "実施",
        "file": f"{code}.csv",
        "result_text": result,
        "outcome_text": outcome,
        "challenge_text": challenge,
        "direction": direction,
        "self_evaluation": ev_,
    }


ROWS = pd.DataFrame(
    [
        _row("431001", "1.1.1", "A", "継続", "小規模マッチング会を4回開催した。", "参加企業 40 社"),
        _row("432067", "1.1.1", "A", "拡充", "市内企業へ周知した。"),
        _row("432083", "1.1.1", "B", "継続", "市内企業へ 周知した。"),  # the same sentence as 玉名市's
        _row("432105", "1.1.1", "B", "継続", "小規模マッチング会を4回\n開催した。"),  # the lead's, line broken
        _row("432041", "1.1.1", "C", "改善"),
        _row("433675", "1.1.1"),  # reported, nothing written
        _row("431001", "1.2.1", "D", "縮小", "熊本市の実績。"),
        _row("432083", "1.2.1", "A", "拡充", "山鹿市が取りまとめた実績。", challenge="人手の確保"),
        {"municipality_code": "431001", "kind": "kpi", "item_id": "k_region", "value": 5.0, "status": None},
    ]
)


def _data(plan, rows: pd.DataFrame, panel: PanelOpinions | None = None) -> ReportData:
    settings = load_settings(ROOT)
    core = rows[["municipality_code", "kind", "item_id", "value", "status"]]
    res = compute_year(plan, FY, core, settings)
    per_year = {FY: res}
    return ReportData(
        settings=settings,
        plan=plan,
        fiscal_year=FY,
        results=worded({**res, **compute_period(plan, per_year, FY, settings)}),  # the words, as outputs/year.py
        subs=submissions_table(plan, [], FY),
        accepted_rows=rows,
        per_year=per_year,
        issued="2029年7月",
        panel=panel or PanelOpinions(),
    )


def _texts(doc) -> list[str]:
    return [p.text for p in doc.paragraphs]


def _tables(doc) -> list[list[list[str]]]:
    # a header too wide for its column breaks before its bracket (docxutil.break_header): compare it unbroken
    return [
        [[c.text.replace("\n", "") if i == 0 else c.text for c in row.cells] for i, row in enumerate(t.rows)]
        for t in doc.tables
    ]


def _after(lines: list[str], start: str, count: int) -> list[str]:
    k = lines.index(start)
    return lines[k + 1 : k + 1 + count]


@pytest.fixture(scope="module")
def region(small):
    return region_document(_data(small, ROWS, read(PANEL_MD.encode("utf-8"), "懇談会意見.md")))


def Document_of(doc):
    """A built document read back as Word would (what the tests see is what was saved)."""
    import io

    return Document(io.BytesIO(docx_bytes(doc)))


def test_lead_defaults_to_the_core_municipality_and_the_plan_can_name_another(small):
    assert small.lead_of("1.1.1") == small.meta.core_municipality == "431001"
    assert small.lead_of("1.2.1") == "432083"


def test_the_leads_texts_head_the_initiative(region):
    """In the body: the lead's 取組実績・成果・課題, one line each under the initiative's figures (cut to a fixed
    length, layout.yaml lead_text_chars); in the 資料編: every participant's text in full, the lead first."""
    lines = _texts(region)
    body = lines[: len(lines) - 1 - lines[::-1].index("資料編")]  # before the 資料編's heading (not the TOC's line)
    assert "取組実績（熊本市）：小規模マッチング会を4回開催した。" in body
    assert "成果（熊本市）：参加企業 40 社" in body
    assert "取組実績（山鹿市）：山鹿市が取りまとめた実績。" in body  # 1.2.1: the plan names 山鹿市
    assert "課題（山鹿市）：人手の確保" in body
    assert not any(line.startswith("玉名市") for line in body)  # the other participants' texts: 資料編 only


def _appendix_block(lines: list[str], title: str, count: int) -> list[str]:
    k = lines.index(title, lines.index("資料3 関係市町村の取組実績・成果・課題"))
    return lines[k + 1 : k + 1 + count]


def test_counts_and_the_other_participants_texts_without_the_duplicates(region):
    entry = next(t for t in _tables(region) if t[0][0].endswith("年度計画（千円）") and t[1][4].startswith("A 2"))
    assert entry[0][3:] == ["実施状況（市町村数）", "自己評価（市町村数）", "今後の方向性（市町村数）"]
    assert entry[1][4] == "A 2・B 2・C 1（5/6回答）"  # grades in the configured order
    assert entry[1][5] == "拡充 1・継続 3・改善 1（5/6回答）"
    entries = [t[1] for t in _tables(region) if t[0][0].endswith("年度計画（千円）")]
    assert not any(e[4].startswith("D 1・A 1") for e in entries)  # grades in the configured order
    assert any(e[4] == "A 1・D 1（2/3回答）" and e[5] == "拡充 1・縮小 1（2/3回答）" for e in entries)
    assert any(e[4] == "記入なし（0/2回答）" and e[5] == "記入なし（0/2回答）" for e in entries)  # 1.1.2
    # 資料編: one paragraph per distinct text (the lead first, the same words once with every writer's name), then
    # who wrote nothing
    lines = _texts(region)
    block = _appendix_block(lines, "ア 創業支援（1.1.1）", 5)
    assert block == [
        "取組実績",
        "熊本市・菊池市：小規模マッチング会を4回開催した。",  # 菊池市 wrote the lead's words with a line break
        "玉名市・山鹿市：市内企業へ周知した。",
        "（記載なし：荒尾市・南関町）",
        "成果",
    ]


def test_good_share_per_area_and_pillar(region):
    lines = _texts(region)
    assert "取組の自己評価：A・B の割合 71.4%（回答7件のうち5件）" in lines  # pillar 1
    assert "取組の自己評価：A・B の割合 80.0%（回答5件のうち4件）" in lines  # area 1.1
    assert "取組の自己評価：A・B の割合 50.0%（回答2件のうち1件）" in lines  # area 1.2
    assert "取組の自己評価：回答なし" in lines  # pillar 2 and its areas
    table = next(t for t in _tables(region) if t[0][:2] == ["区分", "回答"])
    assert table[0] == ["区分", "回答", "A", "B", "C", "D", "A・B の割合"]
    assert table[1][1:] == ["7/11", "3", "2", "1", "1", "71.4%"]
    assert table[1][0].startswith("柱1 ")


def test_per_municipality_section(region, small):
    headings = [p.text for p in region.paragraphs if p.style.name.startswith("Heading")]
    assert "(4) 市町村ごとの報告と自己評価" in headings
    table = next(t for t in _tables(region) if t[0][:2] == ["市町村", "報告した取組"])
    assert [r[0] for r in table[1:]] == [m.name for m in small.members(FY)]
    by_name = {r[0]: r[1:] for r in table[1:]}
    assert by_name["熊本市"] == ["2/6", "2", "1", "0", "0", "1", "50.0%", "2"]
    assert by_name["南関町"] == ["1/3", "0", "0", "0", "0", "0", "—", "0"]
    assert by_name["長洲町"] == ["0/1", "0", "0", "0", "0", "0", "—", "0"]


def test_panel_opinions_are_printed_without_markdown_symbols(region):
    lines = _texts(region)
    start = lines.index("(5) ビジョン懇談会の意見")
    part = lines[start + 1 :]
    assert part[:7] == [
        "2028年度のビジョン懇談会での主な意見は、次のとおりです。",
        "柱1 経済",
        "産学連携の周知を進めてほしい。",
        "販路開拓を広げてほしい。",
        "全体",
        "公共交通の利用は回復している。\n乗継ぎの改善を続けてほしい。",
        "1. 自己評価で進捗が分かりやすくなった。",
    ]
    assert not any("#" in line or "**" in line or "<!--" in line for line in lines)
    heading = next(p for p in region.paragraphs if p.text == "柱1 経済")
    assert all(r.bold for r in heading.runs)
    item = next(p for p in region.paragraphs if p.text == "販路開拓を広げてほしい。")
    assert item.style.name == "List Bullet"


def test_missing_panel_file_prints_the_sentence_in_the_report_and_the_summary(small):
    data = _data(small, ROWS)
    sentence = "2028年度のビジョン懇談会の意見は記録されていません。"
    region = region_document(data)
    assert _after(_texts(region), "(5) ビジョン懇談会の意見", 1) == [sentence]
    summary = summary_document(data)
    assert _after(_texts(summary), "ビジョン懇談会の意見", 1) == [sentence]


def test_summary_prints_the_opinions_as_the_report_does_and_names_where_they_are(small):
    """Review 3 #9: the 概要版 prints every opinion with its bullets and numbers (one block per heading dropped the
    bullets after a paragraph and left 「1.」 alone), under a line naming the report's section."""
    data = _data(small, ROWS, read(PANEL_MD.encode("utf-8"), "懇談会意見.md"))
    lines = _texts(summary_document(data))
    assert _after(lines, "ビジョン懇談会の意見", 7) == [
        "（報告書本編：「3 進行管理」の「(5) ビジョン懇談会の意見」）",
        "柱1 経済",
        "産学連携の周知を進めてほしい。",
        "販路開拓を広げてほしい。",
        "全体",
        "公共交通の利用は回復している。\n乗継ぎの改善を続けてほしい。",
        "1. 自己評価で進捗が分かりやすくなった。",
    ]
    assert not any(line.startswith("全文は報告書本編の") for line in lines)  # nothing left out
    point = next(line for line in lines if line.startswith("2028年度の取組の自己評価"))
    # 南関町 reported without any 自己評価 (review 4 #2: the answers out of those expected, and who gave none)
    assert (
        point
        == "2028年度の取組の自己評価（関係市町村の回答7件／対象23件）：A・B の割合 71.4%。南関町は自己評価の記入がありませんでした。"
    ), point


def test_summary_keeps_the_opinions_first_paragraph_with_the_heading(small):
    data = _data(small, ROWS, read(("前置きの一文。\n\n" + PANEL_MD).encode("utf-8"), "懇談会意見.md"))
    summary = summary_document(data)
    first = next(p for p in summary.paragraphs if p.text == "前置きの一文。")
    assert first.paragraph_format.keep_with_next  # the heading never ends a page with this line alone under it


def test_summary_bounds_a_long_opinions_text_and_points_to_the_full_text(small):
    long = PANEL_MD + "\n".join(f"- 意見{i}：" + "あ" * 200 for i in range(30))
    data = _data(small, ROWS, read(long.encode("utf-8"), "懇談会意見.md"))
    lines = _texts(summary_document(data))
    assert "全文は報告書本編の「3 進行管理 (5) ビジョン懇談会の意見」に掲載しています。" in lines
    assert sum(line.startswith("意見") for line in lines) < 30


def test_rows_without_the_text_columns_count_as_nothing_written(small):
    bare = ROWS[["municipality_code", "kind", "item_id", "value", "status", "file"]]
    counts = ev.initiative_counts(small, bare, FY, ["A", "B", "C", "D"], ["拡充", "継続"])
    row = counts.set_index("initiative_id").loc["1.1.1"]
    assert (row["expected"], row["reported"], row["evaluated"], row["grade_A"]) == (6, 6, 0, 0)
    doc = region_document(_data(small, bare))
    lines = _texts(doc)
    entry = next(t for t in _tables(doc) if t[0][0].endswith("年度計画（千円）"))  # 1.1.1, the first initiative
    assert entry[1][4:] == ["記入なし（0/6回答）", "記入なし（0/6回答）"]
    assert "取組実績・成果・課題：主担当の熊本市の記載なし（関係市町村の記載は資料編）" in lines
    block = _appendix_block(lines, "ア 創業支援（1.1.1）", 3)
    assert block == ["取組実績：記載なし", "成果：記載なし", "課題：記載なし"]


def test_initiative_texts_table(small):
    got = ev.initiative_texts(small, ROWS, "1.1.1", FY)
    expected = pd.DataFrame(
        {
            "column": ["result_text", "outcome_text", "result_text"],
            "lead": [True, True, False],
            "codes": [("431001",), ("431001",), ("432067", "432083")],
            "names": [("熊本市",), ("熊本市",), ("玉名市", "山鹿市")],
            "text": ["小規模マッチング会を4回開催した。", "参加企業 40 社", "市内企業へ周知した。"],
        }
    )
    pd.testing.assert_frame_equal(got, expected)


def test_initiative_texts_reads_the_rows_of_any_frame_as_it_did_with_pandas_filters(small):
    """The rows in another order, a nullable string dtype with a missing id and a row that is not an expenditure
    row give the same table (initiative_texts reads plain lists since 2026-12-04)."""
    shuffled = ROWS.iloc[::-1].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        ev.initiative_texts(small, shuffled, "1.1.1", FY), ev.initiative_texts(small, ROWS, "1.1.1", FY)
    )
    odd = pd.concat([ROWS, ROWS.iloc[[0]].assign(item_id=None), ROWS.iloc[[0]].assign(kind="kpi")], ignore_index=True)
    odd = odd.astype({"item_id": "string", "municipality_code": "string"})
    pd.testing.assert_frame_equal(
        ev.initiative_texts(small, odd, "1.1.1", FY), ev.initiative_texts(small, ROWS, "1.1.1", FY)
    )


def test_municipality_report_shows_its_own_texts(small):
    data = _data(small, ROWS)
    mine = ROWS[ROWS["municipality_code"] == "432083"]
    doc = build_municipality_report(
        small,
        FY,
        "432083",
        data.kpi,
        data.budget,
        data.subs.iloc[0:0],
        mine,
        data.style_template,
        False,
        evaluation=data.settings.evaluation,
    )
    doc = Document_of(doc)
    assert "取組ごとの自己評価と取組実績" in _texts(doc)
    table = next(t for t in _tables(doc) if t[0][2:4] == ["自己評価", "今後の方向性"])
    rows = {r[0]: r[2:] for r in table[1:]}
    assert rows["1.1.1"] == ["B", "継続", "取組実績：市内企業へ 周知した。"]
    assert rows["1.2.1"] == ["A", "拡充", "取組実績：山鹿市が取りまとめた実績。\n課題：人手の確保"]
    assert rows["2.1.1"] == ["未報告", "—", "—"]


def test_panel_file_reads_utf8_bom_and_shift_jis_and_says_when_it_cannot(small):
    want = parse(PANEL_MD)
    assert want[0] == Block("heading", "柱1 経済", level=1)
    assert read(PANEL_MD.encode("utf-8"), "a.md").blocks == want
    assert read(b"\xef\xbb\xbf" + PANEL_MD.encode("utf-8"), "a.md").blocks == want
    assert read(PANEL_MD.replace("\n", "\r\n").encode("cp932"), "a.md").blocks == want  # Windows メモ帳
    broken = read(b"\x82\xa0\xff\xfe\x00\x81", "懇談会意見.md")
    assert broken.unreadable and not broken.recorded
    lines = _texts(region_document(_data(small, ROWS, broken)))
    assert _after(lines, "(5) ビジョン懇談会の意見", 1) == [
        "ビジョン懇談会の意見のファイル（懇談会意見.md）を読めませんでした。UTF-8 または Shift_JIS で保存し直してから、"
        "集計をやり直してください。"
    ]


def test_panel_file_is_archived_not_a_submission_and_read_from_the_archive(tmp_path, plan):
    import time

    from vision_report.intake.panel_opinions import panel_opinions_of
    from vision_report.outputs.feedback import feedbacks
    from vision_report.screening.screen import collect, screen

    settings = load_settings(ROOT)
    folder = tmp_path / "inputs" / "2024"
    folder.mkdir(parents=True)
    (folder / "懇談会意見.md").write_bytes(PANEL_MD.encode("cp932"))
    (folder / "送付状.pdf").write_bytes(b"%PDF-1.4")
    old = time.time() - 3600
    for p in folder.iterdir():
        import os

        os.utime(p, (old, old))
    year = screen(collect(settings, plan, 2024, tmp_path / "inputs", tmp_path / "archive"), plan, 2024, settings)
    by_name = {r.name: r for r in year.received}
    panel = by_name["懇談会意見.md"]
    assert panel.status == "panel_opinions" and panel.issues == []
    assert panel.archived_path is not None and panel.archived_path.read_bytes() == PANEL_MD.encode("cp932")
    assert by_name["送付状.pdf"].status == "not_submission"
    subs = submissions_table(plan, year.received, 2024)
    assert "懇談会意見.md" not in set(subs["file"]) and "送付状.pdf" in set(subs["file"])
    assert len(subs[subs["status"] == "missing"]) == len(plan.members(2024))  # it stands for no municipality
    assert not any("懇談会" in text for text in feedbacks(plan, 2024, ROOT / "templates", year).values())
    (folder / "懇談会意見.md").unlink()  # read from the archived copy, not from inputs/
    assert panel_opinions_of(year.received).blocks == parse(PANEL_MD)


def test_the_new_sections_are_schema_valid(small, tmp_path):
    openxml_audit = pytest.importorskip("openxml_audit", reason="openxml-audit is in the dev extra")
    validator = openxml_audit.OpenXmlValidator(file_format=openxml_audit.FileFormat.OFFICE_2016, max_errors=0)
    data = _data(small, ROWS, read(PANEL_MD.encode("utf-8"), "懇談会意見.md"))
    mine = ROWS[ROWS["municipality_code"] == "432083"]
    docs = {
        "region.docx": build_region_report(data),
        "summary.docx": build_summary(data),
        "municipality.docx": build_municipality_report(
            small, FY, "432083", data.kpi, data.budget, data.subs.iloc[0:0], mine, data.style_template, False
        ),
    }
    for name, doc in docs.items():
        path = tmp_path / name
        path.write_bytes(docx_bytes(doc))
        assert [str(e) for e in validator.validate(str(path)).errors] == [], name


def test_watch_archives_the_panel_file_without_feedback(tmp_path, plan):
    from vision_report.operations.watch import check_one

    settings = load_settings(ROOT)
    folder = tmp_path / "inputs" / "2025"
    folder.mkdir(parents=True)
    path = folder / "懇談会意見.md"
    path.write_text(PANEL_MD, encoding="utf-8")
    status = check_one(settings, plan, 2025, path, tmp_path / "outputs", tmp_path / "archive")
    assert status == "panel_opinions"
    assert not (tmp_path / "outputs" / "2025" / "feedback").exists()
    assert [p.read_bytes() for p in (tmp_path / "archive" / "2025").glob("*.md")] == [PANEL_MD.encode("utf-8")]


def test_every_sentence_of_the_evaluation_template_is_used_and_every_one_used_exists():
    """A contract test for templates/report/evaluation.txt.j2: its parts and the code's snippet("…") calls agree
    (the tests above render every part under StrictUndefined, so a value the code does not pass fails there)."""
    import re

    template = (ROOT / "templates" / "report" / "evaluation.txt.j2").read_text(encoding="utf-8")
    parts = set(re.findall(r'part == "(\w+)"', template))
    code = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "vision_report" / "outputs" / "reports").glob("*.py"))
    used = set(re.findall(r'snippet\(\s*"(\w+)"', code))
    assert parts == used, (parts - used, used - parts)


def test_the_decrease_rules_are_said_when_the_plan_has_a_kpi_to_decrease(small):
    """Review 4 #18: the method and the 総括's note explain 減少を目指すKPI only for a plan that has one (this one does;
    the shipped vision does not: tests/test_councillor_review.py)."""
    assert any(k.direction == "decrease" for k in small.kpis)
    text = "\n".join(_texts(region_document(_data(small, ROWS))))
    assert "（減少を目指すKPIは 目標値 ÷ 実績値 × 100）" in text
    assert "評価：増加・減少を目指すKPIは進捗率で" in text


def test_answers_whose_grade_disagrees_with_their_status_are_counted_in_the_abstract_and_the_summary(small):
    """Councillor reading of FY2025: the 要旨 and the 概要版 gave the share of A–D but not that some grades contradict
    the reported 実施状況 (evaluation.grades_by_status: 実施 → A・B, 一部実施 → C, 未実施 → D). One sentence counts
    them per status and grade, and the 未実施 answers left blank; the counts come from the context layer as numbers."""
    rows = ROWS.copy()
    partial = (rows["municipality_code"] == "432083") & (rows["item_id"] == "1.1.1")  # 一部実施 with B
    not_done = (rows["municipality_code"] == "433675") & (rows["item_id"] == "1.1.1")  # 未実施, no grade
    rows.loc[partial, "status"] = "一部実施"
    rows.loc[not_done, "status"] = "未実施"
    data = _data(small, rows)
    e = data.settings.evaluation
    # 荒尾市 実施 with C (1.1.1), 熊本市 実施 with D (1.2.1), 山鹿市 一部実施 with B (1.1.1)
    assert ev.status_disagreements(data.status_grades, e.grades_by_status, list(e.self_evaluation)) == [
        ("実施", "C", 1),
        ("実施", "D", 1),
        ("一部実施", "B", 1),
    ]
    assert ev.blank_answers(data.status_grades, "未実施") == 1
    sentence = (
        "実施状況と自己評価が基準と合わない回答（2028年度）：「実施」で評価C 1件、「実施」で評価D 1件、"
        "「一部実施」で評価B 1件。また、「未実施」で自己評価が空欄の回答が1件あります。"
        "該当する取組は市町村別の報告書に示しています。"
    )
    region_lines = _texts(region_document(data))
    k = region_lines.index(sentence)  # in the 要旨's points, after the share of the self-evaluations
    assert region_lines[k - 1].startswith("取組の自己評価（2028年度、関係市町村の回答")
    summary_lines = _texts(summary_document(data))
    k = summary_lines.index(sentence)  # the 概要版's bullet after its own share of the self-evaluations
    assert summary_lines[k - 1].startswith("2028年度の取組の自己評価（関係市町村の回答")


def test_no_disagreement_sentence_without_disagreements_and_only_the_blanks_when_there_are_no_others(small):
    rows = ROWS[ROWS["self_evaluation"].isin(["A", "B", ""]) | (ROWS["kind"] != "expenditure")].copy()
    data = _data(small, rows)
    lines = _texts(summary_document(data))
    assert not any("基準と合わない" in line or "自己評価が空欄の回答" in line for line in lines)
    rows.loc[(rows["municipality_code"] == "433675") & (rows["item_id"] == "1.1.1"), "status"] = "未実施"
    lines = _texts(summary_document(_data(small, rows)))
    assert "「未実施」で自己評価が空欄の回答（2028年度）：1件。" in lines

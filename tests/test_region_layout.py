"""The region report's structure (issue 18): 要旨 right after cover and TOC, a lean body whose size does not depend
on how much members write (the texts go to the 資料編 in full), the layout read from templates/report/layout.yaml."""

from __future__ import annotations

import dataclasses
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest
from docx import Document
from docx.oxml.ns import qn

from tests.report_cache import region_document
from vision_report.compute.period import compute_period
from vision_report.compute.tables import compute_year
from vision_report.core.config import load_settings
from vision_report.intake.panel_opinions import PanelOpinions, panel_opinions_of, parse, read
from vision_report.outputs.reports.context import ReportData
from vision_report.outputs.reports.docxutil import docx_bytes, plain_text
from vision_report.outputs.reports.layout import LayoutError
from vision_report.outputs.reports.region import build_region_report
from vision_report.outputs.words import worded
from vision_report.screening.screen import submissions_table

ROOT = Path(__file__).resolve().parents[1]
FY = 2025
TEXT = "関係市町村と連携し、説明会を3回開催して延べ140人が参加した。"  # 32 characters, like the samples'


def _rows(plan, scale: int = 1, writers: int | None = None) -> pd.DataFrame:
    """An accepted expenditure row per participant of every initiative, every text ``scale`` times as long; only the
    first ``writers`` participants of each initiative write anything (None: all)."""
    out = []
    for ini in plan.initiatives:
        for k, code in enumerate(plan.participants(ini.id, FY)):
            writes = writers is None or k < writers
            out.append(
                {
                    "municipality_code": code,
                    "kind": "expenditure",
                    "item_id": ini.id,
                    "value": 100.0,
                    "status": "実施",
                    "file": f"{code}.csv",
                    "result_text": (TEXT * scale) if writes else "",
                    "outcome_text": (f"{code}では参加者アンケートの満足度が向上した。" * scale) if writes else "",
                    "challenge_text": ("担い手の確保と、事業の周知方法の見直しが課題である。" * scale)
                    if writes
                    else "",
                    "direction": "継続",
                    "self_evaluation": "B",
                }
            )
    return pd.DataFrame(out)


def _data(plan, rows: pd.DataFrame, settings=None, remarks=None) -> ReportData:
    settings = settings or load_settings(ROOT)
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
        issued="2026年6月",
        remarks=remarks or PanelOpinions(),
    )


def _report(plan, rows: pd.DataFrame, settings=None, remarks=None) -> Document:
    return region_document(_data(plan, rows, settings, remarks))  # built once per process for equal inputs


def _split(doc) -> tuple[list, list]:
    """The body's block elements (paragraphs and tables) before the 資料編 heading, and the 資料編's."""
    blocks = [el for el in doc.element.body if el.tag in (qn("w:p"), qn("w:tbl"))]
    for k, el in enumerate(blocks):
        if el.tag == qn("w:p") and el.style == "Heading1" and _text(el) == "資料編":
            return blocks[:k], blocks[k:]
    raise AssertionError("資料編 heading not found")


def _text(el) -> str:
    return plain_text("".join(t.text or "" for t in el.iter(qn("w:t"))))


def _size(blocks) -> tuple[int, int, int]:
    """(paragraphs outside tables, table rows, characters)."""
    paras = sum(1 for el in blocks if el.tag == qn("w:p"))
    rows = sum(len(el.findall(qn("w:tr"))) for el in blocks if el.tag == qn("w:tbl"))
    chars = sum(len(_text(el)) for el in blocks)
    return paras, rows, chars


@pytest.fixture(scope="module")
def reports(plan):
    return {
        "sample": _report(plan, _rows(plan)),
        "x4": _report(plan, _rows(plan, scale=4)),
        "x6": _report(plan, _rows(plan, scale=6)),
        "few": _report(plan, _rows(plan, writers=1)),
    }


def test_the_body_does_not_grow_with_what_members_write(reports, plan):
    sizes = {k: _size(_split(doc)[0]) for k, doc in reports.items()}
    # the same paragraphs and table rows whether members write a little, four or six times as much, or only the lead
    assert len({s[:2] for s in sizes.values()}) == 1, sizes
    # the characters stop growing once the lead's texts reach the cut (every text x4 is longer than the cut):
    # x4 and x6 print the same body
    assert sizes["x4"][2] == sizes["x6"][2]
    cap = 90 + len("…（全文は資料編）")
    assert sizes["x6"][2] - sizes["sample"][2] <= len(plan.initiatives) * 3 * cap
    # while the 資料編 carries every word
    appendix = {k: _size(_split(doc)[1])[2] for k, doc in reports.items()}
    assert appendix["sample"] < appendix["x4"] < appendix["x6"]
    full = _text(reports["x6"].element.body)
    assert TEXT * 6 in full


def test_summary_first_then_the_body_then_the_appendix(reports, plan):
    doc = reports["sample"]
    chapters = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    n = len(plan.pillars)
    assert chapters[:2] == ["要旨", "はじめに"]
    assert chapters[2 : 2 + n] == [f"{pl.id} {pl.name}" for pl in plan.pillars]
    assert chapters[2 + n] == f"{n + 1} 進行管理"
    assert chapters[3 + n].startswith(f"{n + 2} 計画期間の総括")
    assert chapters[-1] == "資料編"
    appendix = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"][-3:]
    assert appendix == [
        "資料1 事務局の受付記録（実績報告のファイル）",
        "資料2 ビジョンに定める取組の内容",
        "資料3 関係市町村の取組実績・成果・課題",
    ]
    # each 資料 after the first starts a page (layout.yaml region.appendix_part_new_page; review 7 #17: 資料3's
    # heading and intro stood at a page's foot), the first goes on under 「資料編」
    parts = [p for p in doc.paragraphs if p.style.name == "Heading 2"][-3:]
    assert [p.paragraph_format.page_break_before for p in parts] == [False, True, True]
    # the TOC goes down to the policy areas
    instr = "".join(t.text for t in doc.element.body.iter(qn("w:instrText")))
    assert 'TOC \\o "1-3"' in instr


def test_one_compact_entry_per_initiative_and_the_visions_blocks_in_the_appendix(reports, plan):
    doc = reports["x6"]
    body, appendix = _split(doc)
    text = lambda blocks: "".join(_text(el) for el in blocks)  # noqa: E731
    ini = plan.initiatives[0]
    assert ini.description and ini.description.strip()[:30] not in text(body)
    assert ini.description.strip()[:30] in text(appendix)
    head = "2025年度計画（千円）"
    entries = [el for el in body if el.tag == qn("w:tbl") and _text(el).startswith(head)]
    assert len(entries) == len(plan.initiatives)
    assert text(body).count("…（全文は資料編）") == 3 * len(plan.initiatives)


def test_participants_texts_one_paragraph_per_member_with_hanging_indent_and_who_wrote_nothing(reports, plan):
    doc = reports["few"]
    _, appendix = _split(doc)
    paras = [el for el in appendix if el.tag == qn("w:p")]
    texts = [_text(el) for el in paras]
    ini = next(i for i in plan.initiatives if len(plan.participants(i.id, FY)) > 2)
    lead = plan.municipality(plan.lead_of(ini.id)).name
    start = texts.index(f"{ini.label} {ini.name}（{ini.id}）", texts.index("資料3 関係市町村の取組実績・成果・課題"))
    block = texts[start : start + 10]
    assert block[1] == "取組実績"
    assert block[2] == f"{lead}：{TEXT}"
    others = [plan.municipality(c).name for c in plan.participants(ini.id, FY) if c != plan.lead_of(ini.id)]
    assert block[3] == f"（記載なし：{'・'.join(others)}）"
    ind = paras[start + 2].find(qn("w:pPr")).find(qn("w:ind"))
    assert ind.get(qn("w:hanging")) is not None and ind.get(qn("w:left")) == ind.get(qn("w:hanging"))


def _templates_copy(tmp_path: Path, edit) -> object:
    root = tmp_path / "root"
    shutil.copytree(ROOT / "templates", root / "templates")
    shutil.copytree(ROOT / "config", root / "config")  # units.yaml: which units count (the charts' axes)
    path = root / "templates" / "report" / "layout.yaml"
    before = path.read_text(encoding="utf-8")
    after = edit(before)
    assert after != before  # the edit found its line
    path.write_text(after, encoding="utf-8")
    return dataclasses.replace(load_settings(ROOT), root=root)


def test_a_coordinator_reorders_sections_and_drops_a_column_in_layout_yaml(tmp_path, plan):
    def edit(text: str) -> str:
        text = text.replace(
            "body: [abstract, overview, pillars, management, period]", "body: [abstract, period, overview, pillars]"
        )
        return text.replace("    - {field: source, header: 出典, width: 14, align: left}\n", "")

    doc = _report(plan, _rows(plan, writers=1), _templates_copy(tmp_path, edit))
    chapters = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert chapters[0] == "要旨" and chapters[1].startswith("4 計画期間") and chapters[2] == "はじめに"
    assert not any("進行管理" in c for c in chapters)
    kpi_headers = [
        [c.text.replace("\n", "") for c in t.rows[0].cells]
        for t in doc.tables
        if t.rows[0].cells[0].text.replace("\n", "") == "KPI"
    ]
    assert kpi_headers and all("出典" not in h for h in kpi_headers)


def test_an_unknown_section_is_a_clear_error(tmp_path, plan):
    settings = _templates_copy(
        tmp_path, lambda t: t.replace("pillar: [direction, kpi, initiatives]", "pillar: [direction, kpis]")
    )
    with pytest.raises(LayoutError, match="region.pillar に不明な節があります：kpis"):
        _report(plan, _rows(plan, writers=1), settings)


REMARKS_MD = """# 総括
- KPIの多くは目標に近づいたが、社会増減数は未達成だった。
- 次期ビジョンでは、新たに加入した4市町村の参加する取組を定める。
"""


def _lines(doc) -> list[str]:
    return [p.text for p in doc.paragraphs]


# review 4 #13: without the goal's number in the plan data (the vision gives it only in a figure) no sentence: the
# year and basis beside a 2023 population of 20 members compared nothing
POPULATION_WORDS = ("目指すべき圏域人口", "1,268,400")


def test_the_offices_remarks_and_the_population_goal_in_the_final_year(plan):
    doc = _report(plan, _rows(plan, writers=1), remarks=read(REMARKS_MD.encode("utf-8"), "総括所見.md"))
    lines = _lines(doc)
    chapter = len(lines) - 1 - lines[::-1].index("5 計画期間の総括（2021〜2025年度）")
    assert not any(w in line for line in lines[chapter:] for w in POPULATION_WORDS)  # no value in the plan data
    k = len(lines) - 1 - lines[::-1].index("(5) 総括所見")  # after (4), the missed KPIs (review 3 #5)
    assert (
        lines[k + 1] == "計画期間の総括についての事務局（熊本市政策局総合政策部政策企画課）の所見は、次のとおりです。"
    )
    assert lines[k + 2 : k + 5] == [
        "総括",
        "KPIの多くは目標に近づいたが、社会増減数は未達成だった。",
        "次期ビジョンでは、新たに加入した4市町村の参加する取組を定める。",
    ]
    assert "　(5) 総括所見" in lines  # in the table of contents


def test_without_the_remarks_file_no_section_and_no_operator_instruction(reports, plan):
    """No 総括所見 file in the final year: the section is left out (no file path or system term for councillors);
    the population goal says only what the plan knows, as of its date; the run's console names the file instead."""
    from vision_report.pipeline import period_remarks_notice

    lines = _lines(reports["few"])
    assert not any(line.endswith("総括所見") for line in lines)
    text = "".join(lines)
    assert "inputs/" not in text and "計画データ" not in text and "最新の圏域人口" not in text
    chapter = len(lines) - 1 - lines[::-1].index("5 計画期間の総括（2021〜2025年度）")
    assert not any(w in line for line in lines[chapter:] for w in POPULATION_WORDS)
    settings = load_settings(ROOT)
    assert period_remarks_notice(settings, plan, 2025, Path("inputs"), []) == (
        "2025年度は計画期間の最終年度ですが、事務局の総括所見のファイルがないため、報告書の「総括所見」の節は"
        "載せていません。載せる場合は inputs/2025/総括所見.md に所見を記入して、集計をやり直してください。"
    )
    assert period_remarks_notice(settings, plan, 2024, Path("inputs"), []) is None


def test_a_population_goal_with_a_value_is_printed(plan):
    """Review 4 #13: the goal's number, the same members' population as of the plan's date and the gap."""
    meta = dataclasses.replace(plan.meta, population_goal={"year": 2060, "value": 1200000, "basis": None})
    lines = _lines(_report(dataclasses.replace(plan, meta=meta), _rows(plan, writers=1)))
    assert (
        "ビジョンの目指すべき圏域人口は2060年に1,200,000人です。令和5年10月1日現在の圏域人口は1,268,400人"
        "（ビジョンの2024年3月改定時点の構成20市町村の合計。目標と同じ市町村の範囲）で、目標を68,400人上回っています。"
    ) in lines
    meta = dataclasses.replace(plan.meta, population_goal={"year": 2060, "value": 1300000, "basis": "基に設定"})
    lines = _lines(_report(dataclasses.replace(plan, meta=meta), _rows(plan, writers=1)))
    assert any(
        line.startswith("ビジョンの目指すべき圏域人口は2060年に1,300,000人です（基に設定）。")
        and line.endswith("で、目標を31,600人下回っています。")
        for line in lines
    )


def test_the_remarks_file_is_archived_like_the_panel_file_and_not_a_submission(tmp_path, plan):
    import os
    import time

    from vision_report.screening.screen import collect, screen

    settings = load_settings(ROOT)
    folder = tmp_path / "inputs" / "2025"
    folder.mkdir(parents=True)
    (folder / "総括所見.md").write_bytes(REMARKS_MD.encode("cp932"))
    (folder / "懇談会意見.md").write_bytes("- 懇談会の意見。\n".encode())
    old = time.time() - 3600
    for p in folder.iterdir():
        os.utime(p, (old, old))
    year = screen(collect(settings, plan, 2025, tmp_path / "inputs", tmp_path / "archive"), plan, 2025, settings)
    by_name = {r.name: r for r in year.received}
    rec = by_name["総括所見.md"]
    assert rec.status == "panel_opinions" and rec.issues == []
    assert rec.archived_path is not None and rec.archived_path.read_bytes() == REMARKS_MD.encode("cp932")
    subs = submissions_table(plan, year.received, 2025)
    assert "総括所見.md" not in set(subs["file"])
    (folder / "総括所見.md").unlink()  # read from the archived copy
    assert panel_opinions_of(year.received, settings.evaluation.period_remarks_file).blocks == parse(REMARKS_MD)
    assert panel_opinions_of(year.received, settings.evaluation.panel_opinions_file).blocks == parse(
        "- 懇談会の意見。\n"
    )


def test_the_basis_is_explained_beside_the_members_table(reports, plan):
    doc = reports["few"]
    members = next(
        t
        for t in doc.tables
        if t.rows[0].cells[0].text.replace("\n", "") == "市町村"
        and t.rows[0].cells[5].text.replace("\n", "") == "加入日"
    )
    rows = {r.cells[0].text: [c.text for c in r.cells] for r in members.rows[1:]}
    assert rows["荒尾市"][5:] == ["2025年3月27日", ""]
    assert rows["菊池市"][5:] == ["2019年3月28日", "○"]
    assert rows["圏域合計（20市町村）"][6] == "20"  # the total covers the members with figures in the vision
    lines = _lines(doc)
    assert (
        "KPIの現状値・目標値は、ビジョンの2024年3月改定時点の構成20市町村（表の「KPI目標の基準」に○）について定めたものです。"
        "KPIの評価と計画期間の総括の判定は、この20市町村の合計で行います。"
    ) in lines
    # members that joined on one day are named with the date once (review 7 #18: the date was said four times)
    assert any(
        line.startswith(
            "ビジョンの2024年3月改定の後に加入した荒尾市・南関町・長洲町・和水町（いずれも2025年3月27日加入）を含む24市町村の合計は、"
        )
        for line in lines
    )
    assert "荒尾市・南関町・長洲町・和水町は、計画の改定で参加が定められた具体的取組がまだないため、" in "".join(lines)


def test_every_total_of_the_summarys_points_is_in_the_region_report(reports, plan):
    """The 概要版's headline (its 「概要」 bullets: money, KPI ratings, answers and A・B share) can be traced to the
    region report: every figure of it is printed there too (要旨 and the 圏域計 rows)."""
    import re

    from vision_report.outputs.reports.summary import build_summary

    data = _data(plan, _rows(plan))
    summary = Document(io.BytesIO(docx_bytes(build_summary(data))))
    lines = [p.text for p in summary.paragraphs]
    assert (
        lines[lines.index("概要") + 1] == "（報告書本編：「要旨」）"
    )  # where the region report has them (review 3 #8)
    points = lines[lines.index("概要") + 2 : lines.index("用語")]  # the 用語 block follows (review 4 #10)
    assert len(points) == 6  # the final year: the period's verdict first; the members in no initiative (review 8)
    assert any("千円" in p for p in points) and any("A・B の割合" in p for p in points)
    region = reports["sample"]
    body, _ = _split(region)
    text = "".join(_text(el) for el in body)
    for point in points:
        for number in re.findall(r"\d[\d,]*(?:\.\d+)?%?", point):
            assert number in text, (number, point)
    totals = [[c.text for c in t.rows[-1].cells] for t in region.tables if t.rows[-1].cells[0].text == "圏域計"]
    assert len(totals) == 4  # 進行管理: 事業費 and 自己評価; 総括: 柱・小分野・政策分野 and 取組


def test_the_period_tables_total_to_the_abstracts_five_year_figures(plan):
    """5 (2) and 5 (3) end in a 圏域計 row whose plan, actual and execution are the 要旨's period totals."""
    import re

    rows = _rows(plan)
    rows.loc[rows.index[:2], "value"] = 37.0  # an execution rate that is not a round figure
    doc = _report(plan, rows)
    point = next(p for p in _lines(doc) if p.startswith("事業費（2021〜2025年度の累計）"))
    m = re.fullmatch(
        r"事業費（2021〜2025年度の累計）：計画([\d,]+)千円に対し、実績([\d,]+)千円（執行率 ([\d.]+%)）。", point
    )
    assert m is not None, point
    headers = {
        "rollup": ["区分", "累計計画（千円）"],
        "initiatives": ["取組", "名称", "累計計画（千円）"],
    }
    found = {}
    for t in doc.tables:
        head = [c.text.replace("\n", "") for c in t.rows[0].cells]
        for name, first in headers.items():
            if head[: len(first)] == first:
                found[name] = [c.text for c in t.rows[-1].cells]
    assert found["rollup"][:4] == ["圏域計", m[1], m[2], m[3]]
    # review 6 P5: the share of reports saying 実施 first; every year by every participant: only FY2025 was reported
    assert found["rollup"][4] == "100.0%\n（0/70取組）"
    assert found["initiatives"] == ["圏域計", "", m[1], m[2], m[3], "", "0"]
    assert m[3] != "100.0%"


def test_the_strict_every_year_measure_has_its_own_name_and_the_years_figure_beside_it(plan):
    """「全年度・全関係市町村で実施」 (every participant, every year) never borrows the words of self-evaluation A
    (「計画どおり実施し成果が出た」); the 要旨 leads with the share of the members' reports saying 実施 over the period
    and in the year instead of the strict count (review 3 #6: the strict count stays with the 総括's table)."""
    from vision_report.outputs.reports.summary import build_summary

    rows = _rows(plan)
    rows.loc[rows.index[:3], "status"] = "一部実施"  # the first initiative: not implemented by all this year
    assert rows.loc[rows.index[:3], "item_id"].nunique() == 1
    doc = _report(plan, rows)
    lines = _lines(doc)
    n = len(rows)  # one report per participant of each initiative; only FY2025 was reported
    pct = f"{(n - 3) / n * 100:.1f}%"
    assert (
        "計画期間の総括：13のKPIのうち、目標を達成したものは0指標、未達成は0指標、実績なしは13指標。"
        f"取組の実施状況は、2021〜2025年度の関係市町村の報告{n:,}件のうち「実施」または「完了」が{pct}"
        f"（2025年度は{pct}）。"
    ) in lines
    summary = Document(io.BytesIO(docx_bytes(build_summary(_data(plan, rows)))))
    for d in (doc, summary):
        text = "".join(_text(el) for el in d.element.body.iter(qn("w:p")))
        # only the self-evaluation criteria (A: 計画どおり実施し成果が出た, B: 概ね計画どおり) say 計画どおり
        assert "計画どおり" not in text.replace("計画どおり実施し成果が出た", "").replace("概ね計画どおり", "")


def _kpi_rows(plan, factor: float) -> pd.DataFrame:
    """Every reporter of every KPI reports its share of ``factor`` × the target (over the basis members)."""
    out = []
    for k in plan.kpis:
        codes = [m.code for m in plan.basis_members if m.code in k.reporters]
        for code in codes:
            out.append(
                {
                    "municipality_code": code,
                    "kind": "kpi",
                    "item_id": k.id,
                    "value": round(k.target * factor / len(codes)),
                    "status": None,
                }
            )
    return pd.DataFrame(out)


def test_the_period_kpi_table_says_achieved_signs_the_gap_and_fits_the_text_block(plan):
    from vision_report.outputs.reports.region_kpis import PAGE_WIDTH_MM

    rows = pd.concat([_rows(plan, writers=1), _kpi_rows(plan, 1.1)], ignore_index=True)
    doc = _report(plan, rows)
    table = next(
        t
        for t in doc.tables
        if [c.text.replace("\n", "") for c in t.rows[0].cells][-3:] == ["判定", "達成率", "目標との差"]
    )
    grid = [int(c.get(qn("w:w"))) for c in table._tbl.tblGrid.findall(qn("w:gridCol"))]
    assert sum(grid) <= round((PAGE_WIDTH_MM + 0.5) / 25.4 * 1440)  # twips; fit_widths rounds to half mm
    assert len(grid) == 7  # KPI, 現状値, 最終値, 目標値, 判定, 達成率, 目標との差
    assert min(grid) >= 14 * 56  # 判定 keeps its width (達成・未達成 whole)
    trend = next(
        t
        for t in doc.tables
        if [c.text.replace("\n", "") for c in t.rows[0].cells][:3] == ["KPI", "現状値（年）", "2021年度"]
    )
    trend_grid = [int(c.get(qn("w:w"))) for c in trend._tbl.tblGrid.findall(qn("w:gridCol"))]
    assert len(trend_grid) == 7 and sum(trend_grid) <= round((PAGE_WIDTH_MM + 0.5) / 25.4 * 1440)
    cells = {r.cells[0].text: [c.text for c in r.cells] for r in table.rows[1:]}
    assert cells["圏域内総生産額（百万円）"][2:] == [
        "5,313,000\n（2022年度の統計）",
        "4,830,000\n（2022年度）",
        "達成",
        "110.0%",
        "+483,000",
    ]
    assert cells["圏域内の創業者数（人/年）"][-3:] == ["達成", "109.2%", "+110"]
    assert cells["圏域出生数（人）"][-3:] == ["達成", "110.1%", "+1,087"]


def test_the_summary_opens_with_the_final_periods_verdict_and_marks_each_kpi_in_the_final_year(plan):
    """概要版 in the plan's final year: the first 概要 point is the period's verdict (KPIs achieved of all, the five
    years' plan, actual and execution, the period named); the KPI table has 総括の判定; no promise of a per-KPI trend
    the 概要版 does not contain."""
    from vision_report.outputs.reports.summary import build_summary

    rows = pd.concat([_rows(plan, writers=1), _kpi_rows(plan, 1.1)], ignore_index=True)
    rows = rows[~((rows["kind"] == "kpi") & (rows["item_id"] == plan.kpis[0].id))]  # one KPI without a value
    summary = Document(io.BytesIO(docx_bytes(build_summary(_data(plan, rows)))))
    lines = _lines(summary)
    assert lines[lines.index("概要") + 2] == (
        "計画期間（2021〜2025年度）の総括：13のKPI（重要業績評価指標）のうち、目標を達成したものは12指標、未達成は0指標、"
        "実績なしは1指標。"
        "事業費は2021〜2025年度の累計で、計画3,140,982千円に対し、実績107,400千円（執行率 3.4%）。"
    )
    table = next(t for t in summary.tables if t.rows[0].cells[0].text.replace("\n", "") == "KPI")
    assert table.rows[0].cells[-1].text.replace("\n", "") == "総括の判定"
    by_name = {r.cells[0].text: r.cells[-1].text for r in table.rows[1:]}
    assert by_name["圏域内の創業者数（人/年）"] == "達成"
    period = next(
        t
        for t in summary.tables
        if [c.text.replace("\n", "") for c in t.rows[0].cells][:3] == ["柱", "累計計画（千円）", "累計実績（千円）"]
    )
    assert [c.text for c in period.rows[-1].cells] == [
        "圏域計",
        "3,140,982",
        "107,400",
        "3.4%",
        "100.0%\n（0/70取組）",
    ]
    text = "".join(lines)
    assert "各KPIの現状値から各年度の実績値" not in text
    # where the trends are is said once, by the note under the heading (review 7 #9: the sentence said it again)
    assert "各KPIの年度ごとの推移は報告書本編の" not in text
    assert "「5 計画期間の総括（2021〜2025年度）」の「(1) KPIの推移と目標の達成」" in text


def test_a_kept_level_rated_b_below_its_baseline_says_so_under_the_abstract_and_summary_tables(plan):
    """review 7: 圏域人口の社会増減数 (keep ≥ +2,000, baseline +4,771) fell to +1,863 and was rated B, which 「評価の方法」
    called 「目標に向けて進んでいる」: a note under the 要旨's and the 概要版's KPI tables says the rating is its 達成率 and
    the value fell below the baseline; the method says B・C of a kept level are by 達成率."""
    from vision_report.outputs.reports.summary import build_summary

    kept = next(k for k in plan.kpis if k.direction == "at_least" and k.target < k.baseline and k.allow_negative)
    kpis = _kpi_rows(plan, 1.1)
    codes = kpis["item_id"] == kept.id
    kpis.loc[codes, "value"] = 0
    kpis.loc[codes[codes].index[0], "value"] = 1863  # 93.2 % of +2,000: B
    rows = pd.concat([_rows(plan, writers=1), kpis], ignore_index=True)
    note = (
        "※ 圏域人口の社会増減数：水準の維持（目標値以上）を目指すKPIのため、評価は達成率（93.2%）によるBですが、"
        "実績値は現状値（+4,771、2023年度）より下がっています（現状値比▲61.0%）。"
    )
    lines = _lines(_report(plan, rows))
    assert lines.count(note) == 1
    assert any("水準の維持を目指すKPIでは目標値に対する割合（達成率）によります" in line for line in lines)
    summary = _lines(Document(io.BytesIO(docx_bytes(build_summary(_data(plan, rows))))))
    assert note in summary
    # the same KPI above its baseline gets no note
    kpis.loc[codes[codes].index[0], "value"] = 5000
    assert not any(
        "水準の維持（目標値以上）を目指すKPIのため" in line
        for line in _lines(_report(plan, pd.concat([_rows(plan, writers=1), kpis], ignore_index=True)))
    )


def test_a_kpi_rated_d_with_a_high_attainment_says_why_and_a_lagged_actual_says_its_year(plan):
    """要旨: 達成率 94.6 % but D (the value went back from the baseline) gets a note under the table with the
    現状値比; a KPI reported with data_year_lag shows its statistic's year under the actual itself."""
    gdp = plan.kpis[0]
    assert gdp.data_year_lag == 3
    kpis = _kpi_rows(plan, 1.1)
    codes = kpis["item_id"] == gdp.id
    kpis.loc[codes, "value"] = round(gdp.baseline * 0.954 / int(codes.sum()))
    doc = _report(plan, pd.concat([_rows(plan, writers=1), kpis], ignore_index=True))
    lines = _lines(doc)
    note = next(line for line in lines if line.startswith("※ 圏域内総生産額：達成率"))
    assert note == (
        "※ 圏域内総生産額：達成率は94.6%ですが、2022年度の統計である実績値が現状値（4,790,058、2020年度）より"
        "後退した（現状値比▲4.6%）ため、評価はDです。"
    )
    table = next(
        t
        for t in doc.tables
        if t.rows[0].cells[0].text.replace("\n", "") == "KPI"
        and "総括の判定" in t.rows[0].cells[-1].text.replace("\n", "")
    )
    row = next(r for r in table.rows if r.cells[0].text.startswith("圏域内総生産額"))
    header = [c.text.replace("\n", "") for c in table.rows[0].cells]
    actual = row.cells[header.index("実績値（20市町村計）")].text
    assert actual.endswith("\n（2022年度の統計）"), actual
    assert [line for line in lines if line.startswith("※ ") and "後退した" in line] == [note]  # only the D one


def test_headers_say_the_year_before_the_word_and_counts_read_as_japanese(reports, plan):
    """Headers that broke inside 年度 or 千円 (「計画（2025年／度、千円）」) say 「2025年度計画（千円）」; the period tables
    name the period in their headings; 「KPI13指標」 reads 「13のKPI」; 「期限内外」 is 「期限内・期限後」."""
    doc = reports["few"]
    headers = [[c.text.replace("\n", "") for c in t.rows[0].cells] for t in doc.tables]
    assert ["2025年度計画（千円）", "2025年度実績（千円）", "執行率"] == headers[
        next(k for k, h in enumerate(headers) if h[0] == "2025年度計画（千円）")
    ][:3]
    assert ["区分", "2025年度計画（千円）", "2025年度実績（千円）", "執行率"] in [h[:4] for h in headers]
    assert ["取組", "名称", "累計計画（千円）", "累計実績（千円）", "執行率"] in [h[:5] for h in headers]
    assert not [h for h in headers if any("、千円" in c or "期限内外" in c for c in h)]
    lines = _lines(doc)
    assert "(2) 柱・小分野・政策分野ごとの事業費（2021〜2025年度の累計）" in lines
    text = "".join(lines)
    assert "13のKPIの評価（2025年度）：" in text and "KPI13指標" not in text


def test_a_member_without_self_evaluations_gets_a_note_and_the_panel_intro_keeps_with_its_content(plan):
    """4 (5): a member that reported its initiatives but evaluated none (嘉島町 49/49, 0) is named in a note; the
    (6) ビジョン懇談会の意見 heading and its intro line stay with the first opinion (keep_with_next)."""
    rows = _rows(plan, writers=None)
    kashima = "434426"
    mine = rows["municipality_code"] == kashima
    assert mine.any()
    rows.loc[mine, ["self_evaluation", "result_text", "outcome_text", "challenge_text"]] = ""
    data = dataclasses.replace(_data(plan, rows), panel=read("- 懇談会の意見。\n".encode(), "懇談会意見.md"))
    doc = Document(io.BytesIO(docx_bytes(build_region_report(data))))
    lines = _lines(doc)
    n = int(mine.sum())
    assert (
        f"※ 嘉島町：実績を報告した{n}取組のいずれにも自己評価・取組実績の記入がありません"
        "（自己評価の回答数・A・B の割合には含まれません）。"
    ) in lines
    assert sum(line.startswith("※ ") and "いずれにも自己評価" in line for line in lines) == 1
    intro = next(p for p in doc.paragraphs if p.text == "2025年度のビジョン懇談会での主な意見は、次のとおりです。")
    assert intro.paragraph_format.keep_with_next is True
    heading = next(p for p in doc.paragraphs if p.text.endswith("ビジョン懇談会の意見") and p.style.name == "Heading 2")
    assert True in (heading.paragraph_format.keep_with_next, heading.style.paragraph_format.keep_with_next)


def test_a_large_alliance_names_the_participants_in_one_sentence_not_a_grid(plan):
    """Above config report.grid_max_members the 関係市町村 of an initiative is one paragraph (issue 21: 1,741
    members made 70 grids of 9 pages and 1 GB of XML); at or below it, the vision's grid of ○."""
    from types import SimpleNamespace

    from vision_report.outputs.reports.docxutil import new_document
    from vision_report.outputs.reports.region_initiatives import grid_table

    settings = load_settings(ROOT)
    members = plan.members(FY)  # 24: the 20 of the vision and the 4 that joined in 2025
    count = {i.id: len(plan.participants(i.id, FY)) for i in plan.initiatives}
    everyone = next(i for i in plan.initiatives if count[i.id] == 20)
    most = next(i for i in plan.initiatives if 12 < count[i.id] < 20)
    few = next(i for i in plan.initiatives if count[i.id] <= 12)

    data = _data(plan, _rows(plan))
    doc = new_document()
    assert grid_table(doc, data, everyone).__class__.__name__ == "Table"  # 24 members: the grid (default 60)
    small = dataclasses.replace(settings, report=dataclasses.replace(settings.report, grid_max_members=10))
    vision_members = [m for m in members if m.code in set(plan.participants(everyone.id, FY))]
    as_of_vision = SimpleNamespace(members=lambda fy: vision_members, participants=plan.participants)
    doc = new_document()
    texts = [
        grid_table(doc, SimpleNamespace(plan=p, settings=small, phrase=data.phrase, fiscal_year=FY), ini).text
        for p, ini in ((as_of_vision, everyone), (plan, most), (plan, few))
    ]
    assert doc.tables == []
    outside = [m.name for m in members if m.code not in set(plan.participants(most.id, FY))]
    inside = [m.name for m in members if m.code in set(plan.participants(few.id, FY))]
    assert texts == [
        "関係市町村：構成市町村のすべて（20市町村）",
        f"関係市町村：{24 - len(outside)}市町村（構成市町村24市町村のうち、"
        f"次の{len(outside)}市町村を除く：{'、'.join(outside)}）",
        f"関係市町村：{len(inside)}市町村（{'、'.join(inside)}）",
    ]


def _kept(el) -> bool:
    paragraphs = [el] if el.tag == qn("w:p") else list(el.iter(qn("w:p")))
    return all(p.pPr is not None and p.pPr.keepNext_val for p in paragraphs)


def table_ends_kept(doc, rows: int = 3) -> tuple[int, int]:
    """Assert docxutil.keep_table_ends's page flow on a built report: every table's last ``rows`` body rows kept
    together, its last row with a note right under it, a caption with a note right under it. Returns (tables with
    a note under them, captions with a note under them)."""
    from vision_report.outputs.reports.docxutil import _repeats_as_header

    note, caption = doc.styles["注記"].style_id, doc.styles["Caption"].style_id
    body = list(doc.element.body)
    noted = captions = 0
    for k, el in enumerate(body[:-1]):
        nxt = body[k + 1]
        under = nxt.tag == qn("w:p") and nxt.style == note
        if el.tag == qn("w:tbl"):
            trs = [tr for tr in el.findall(qn("w:tr")) if not _repeats_as_header(tr)]
            assert all(_kept(tr) for tr in trs[-rows:-1]), _text(el)[:60]
            # review 7: nor the first row alone at a page's foot (柱2's KPI table on p.10)
            assert all(_kept(tr) for tr in trs[: min(rows, len(trs) - 1)]), _text(el)[:60]
            if under:
                assert _kept(trs[-1]), _text(el)[:60]
                noted += 1
        elif el.tag == qn("w:p") and el.style == caption and under:
            assert _kept(el), _text(el)
            captions += 1
    return noted, captions


def test_no_tables_last_row_opens_a_page_alone_and_notes_stay_with_their_table_or_chart(plan):
    """Issue 18 (the councillor reading of the FY2025 PDFs): a table's last row alone atop a page, its notes parted
    from it, a chart's note parted from its caption. layout.yaml page_flow.keep_edge_rows is 3."""
    from vision_report.outputs.reports.layout import keep_edge_rows

    assert keep_edge_rows(ROOT / "templates") == 3
    noted, captions = table_ends_kept(_report(plan, _rows(plan)))
    assert noted >= 10 and captions >= 1, (noted, captions)


def test_the_abstract_leads_with_the_period_verdict_in_the_final_year_only(plan):
    """review 6 P9: in the plan's last year the 要旨's first point was the year's grades and the period verdict only the
    fifth; the 概要版 leads with the verdict. Other years still lead with the year's grades."""
    from vision_report.outputs.reports.region_abstract import abstract_lines

    rows = _rows(plan)
    final = abstract_lines(_data(plan, rows), "points")
    assert final[0].startswith("計画期間の総括：13のKPIのうち、目標を達成したものは0指標、")
    assert final[1].startswith("13のKPIの評価（2025年度）：A ")
    # review 6 P17: a count of 1,000 or more has its thousands separator in running text
    n = len(rows)
    assert n >= 1000
    evaluation = next(line for line in final if line.startswith("取組の自己評価"))
    assert f"関係市町村の回答{n:,}件／対象{n:,}件）" in evaluation, evaluation
    settings = load_settings(ROOT)
    core = rows[["municipality_code", "kind", "item_id", "value", "status"]]
    res = compute_year(plan, 2024, core, settings)
    earlier = ReportData(
        settings=settings,
        plan=plan,
        fiscal_year=2024,
        results=worded({**res, **compute_period(plan, {2024: res}, 2024, settings)}),
        subs=submissions_table(plan, [], 2024),
        accepted_rows=rows,
        per_year={2024: res},
        issued="2025年6月",
    )
    lines = abstract_lines(earlier, "points")
    assert lines[0].startswith("13のKPIの評価（2024年度）：A ")
    assert not any(line.startswith("計画期間の総括") for line in lines)


def test_kpi_is_spelled_out_where_the_abstract_and_the_summary_first_use_it(plan):
    """review 6 P19: 「KPI」 was defined (重要業績評価指標) only in はじめに, after the 要旨, and never in the 概要版."""
    from vision_report.outputs.reports.region_abstract import abstract_lines
    from vision_report.outputs.reports.summary import build_summary

    data = _data(plan, _rows(plan))
    lead = abstract_lines(data, "lead")[0]
    assert "の進捗を、KPI（重要業績評価指標）の達成状況、事業費の執行状況、取組の自己評価の順にまとめます。" in lead
    lines = _lines(Document(io.BytesIO(docx_bytes(build_summary(data)))))
    first = next(line for line in lines if "KPI" in line)
    assert first.startswith("計画期間（2021〜2025年度）の総括：13のKPI（重要業績評価指標）のうち、")
    assert sum("重要業績評価指標" in line for line in lines) == 1

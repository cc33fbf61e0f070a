"""Invariants of the shipped plan (熊本連携中枢都市圏ビジョン 2024年3月改定) and `plan --json`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from vision_report.cli import main as cli_main
from vision_report.plan.export import plan_to_dict

ROOT_DIR = Path(__file__).resolve().parents[1]

CONTRACT_MUNICIPALITIES = [
    ("431001", "熊本市"),
    ("432067", "玉名市"),
    ("432083", "山鹿市"),
    ("432105", "菊池市"),
    ("432113", "宇土市"),
    ("432130", "宇城市"),
    ("432148", "阿蘇市"),
    ("432164", "合志市"),
    ("433489", "美里町"),
    ("433641", "玉東町"),
    ("434035", "大津町"),
    ("434043", "菊陽町"),
    ("434281", "高森町"),
    ("434329", "西原村"),
    ("434337", "南阿蘇村"),
    ("434418", "御船町"),
    ("434426", "嘉島町"),
    ("434434", "益城町"),
    ("434442", "甲佐町"),
    ("434477", "山都町"),
]

# docs/interface.md §1 KPI table: id -> (unit, baseline, baseline_year, target, direction, measures, reporters)
CONTRACT_KPIS = {
    "gdp": ("百万円", 4790058, 2020, 4830000, "increase", "1", "all"),
    "startups": ("人/年", 1076, 2022, 1190, "increase", "1.1", "all"),
    "agri_sales": ("百万円", 504, 2022, 676, "increase", "1.2", ["431001"]),
    "port_teu": ("TEU", 9104, 2022, 17000, "increase", "1.3", ["431001"]),
    "downtown_footfall": ("人", 662742, 2023, 800000, "increase", "2", ["431001"]),
    "perinatal_admissions": ("人", 388, 2022, 470, "increase", "2.1", ["431001"]),
    "station_passengers": ("人/日", 28092, 2022, 34114, "increase", "2.2", ["431001"]),
    "univ_collab": ("件/年", 197, 2022, 240, "increase", "2.3", "all"),
    "net_migration": ("人", 4771, 2023, 2000, "at_least", "3", "all"),
    "births": ("人", 9187, 2023, 10813, "at_least", "3", "all"),
    "facility_mutual_use": ("人/年", 12774, 2022, 12460, "at_least", "3A", "all"),
    "transit_riders": ("千人/年", 45603, 2022, 56000, "increase", "3B", ["431001"]),
    "new_initiatives": ("件", 27, 2023, 40, "increase", "3C", ["431001"]),
}


def test_meta(plan):
    assert plan.meta.revision == "2024年3月改定"
    assert plan.meta.fiscal_years == (2021, 2022, 2023, 2024, 2025)
    assert plan.meta.core_municipality == "431001"


def test_fiscal_years_accepted_are_the_period_and_the_year_after(plan):
    assert [fy for fy in range(2018, 2030) if plan.meta.fiscal_year_problem(fy) is None] == list(range(2021, 2027))
    assert "計画期間（2021〜2025年度）の外" in plan.meta.fiscal_year_problem(2020)


# docs/interface.md §1 "Membership changes over time": added by the 2025-03-27 amendment, after the vision's 20
ADDED_2025 = [("432041", "荒尾市"), ("433675", "南関町"), ("433683", "長洲町"), ("433691", "和水町")]


def test_municipalities_in_vision_order(plan):
    assert [(m.code, m.name) for m in plan.basis_members] == CONTRACT_MUNICIPALITIES
    assert [(m.code, m.name) for m in plan.municipalities] == CONTRACT_MUNICIPALITIES + ADDED_2025
    assert sum(m.population for m in plan.basis_members) == 1_268_400  # 圏域合計 of the base-data table


def test_structure_counts(plan):
    assert [p.id for p in plan.pillars] == [1, 2, 3]
    assert [len(p.area_ids) for p in plan.pillars] == [3, 3, 22]
    assert [s.id for s in plan.subfields] == ["3A", "3B", "3C"]
    assert plan.subfield("3A").area_ids == tuple(f"3.{k}" for k in range(1, 15))
    assert plan.subfield("3B").area_ids == tuple(f"3.{k}" for k in range(15, 21))
    assert plan.subfield("3C").area_ids == ("3.21", "3.22")
    assert len(plan.initiatives) == 70
    per_pillar = [sum(len(plan.area(a).initiative_ids) for a in p.area_ids) for p in plan.pillars]
    assert per_pillar == [7, 6, 57]


def test_contract_example_and_names(plan):
    assert plan.area("3.15").name == "持続可能な地域公共交通網の形成"
    assert plan.initiative("3.15.2").name == "鉄道交通の確保のための連携"
    assert plan.area("3.16").name == "ICTを活用した広域的な情報発信"
    assert plan.area("3.17").name == "広域的道路網の構築"
    assert plan.area("3.22").name == "機関等の共同設置"
    for a in plan.areas:  # no garbled OCR glyphs left in names
        assert "圈" not in a.name and "道道路" not in a.name
    for i in plan.initiatives:
        assert "圈" not in i.name and "道道路" not in i.name


def test_every_initiative_has_the_core_city_and_an_area(plan):
    for i in plan.initiatives:
        assert "431001" in i.participants, i.id
        assert i.id.startswith(i.area_id + ".")
    for a in plan.areas:
        assert a.initiative_ids, a.id


def test_budgets_as_printed(plan):
    b = plan.initiative("1.1.1").budget
    assert (b.years, b.total) == ({2021: 5334, 2022: 5321, 2023: 5719, 2024: 6589, 2025: 6589}, 29552)
    # only a total printed
    assert plan.initiative("2.3.2").budget.total == 23871
    assert set(plan.initiative("2.3.2").budget.years.values()) == {None}
    # 未定 stays 未定
    assert plan.initiative("3.5.4").budget.planned(2025) == "未定"
    # figures pushed into the 国・県補助制度等 row were moved back
    assert plan.initiative("2.1.2").budget.planned(2021) == 689
    assert plan.initiative("3.12.2").budget.total == 2_543_639
    for i in plan.initiatives:
        if i.budget.all_years_printed() and isinstance(i.budget.total, int):
            assert sum(i.budget.years.values()) == i.budget.total, i.id


def test_kpis_match_contract(plan):
    assert [k.id for k in plan.kpis] == list(CONTRACT_KPIS)
    for k in plan.kpis:
        unit, baseline, year, target, direction, measures, reporters = CONTRACT_KPIS[k.id]
        assert (k.unit, k.baseline, k.baseline_year, k.target, k.direction, k.measures) == (
            unit,
            baseline,
            year,
            target,
            direction,
            measures,
        ), k.id
        assert (list(k.reporters) if not k.reporters_all else "all") == reporters, k.id
        assert plan.node_exists(k.measures)


def test_plan_json_round_trips(plan, capsys):
    assert cli_main(["plan", "--json", "--plan", str(ROOT_DIR / "plans" / plan.meta.id)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == json.loads(json.dumps(plan_to_dict(plan), ensure_ascii=False))
    assert [(m["code"], m["name"]) for m in data["municipalities"]] == CONTRACT_MUNICIPALITIES + ADDED_2025
    assert [m["code"] for m in data["municipalities"] if m["basis"]] == [c for c, _n in CONTRACT_MUNICIPALITIES]
    assert data["municipalities"][-1]["added_by_amendment"] == "2025-03-27-members"
    assert data["amendments"][0]["date"] == "2025-03-27" and len(data["amendments"][0]["members_added"]) == 4
    assert {"id", "name", "subfield"} <= set(data["policy_areas"][0])
    by_id = {i["id"]: i for i in data["initiatives"]}
    assert len(by_id) == 70
    for i in plan.initiatives:
        j = by_id[i.id]
        assert j["name"] == i.name and tuple(j["participants"]) == i.participants
        assert list(j["budget"]) == ["2021", "2022", "2023", "2024", "2025", "total"]
        assert j["budget"]["total"] == i.budget.total
        assert [j["budget"][str(y)] for y in plan.meta.fiscal_years] == list(i.budget.years.values())
    for k in data["kpis"]:
        assert {"id", "name", "unit", "baseline", "baseline_year", "target", "direction", "measures"} <= set(k)


def test_plan_summary_command_runs_as_a_program():
    out = subprocess.run(
        [sys.executable, "-m", "vision_report.cli", "plan", "--plan", str(ROOT_DIR / "plans" / "kumamoto-2024-03")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "具体的取組: 70" in out and "計画事業費（千円）" in out
    assert "3.15  持続可能な地域公共交通網の形成 [3B]: 取組 3" in out
    assert "2021年度: 18市町村" in out and "2025年度: 24市町村" in out and "改定 2025-03-27" in out


def test_independent_transcription_agrees(plan):
    """docs/xcheck/: a second, manual transcription of every ○ grid and budget (see docs/transcription.md)."""
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("compare_xcheck", root / "tools" / "compare_xcheck.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    files = sorted((root / "docs" / "xcheck").glob("*.csv"))
    n, diffs = mod.compare(plan, files)
    assert diffs == []
    assert n == len(plan.initiatives), f"the independent transcription covers {n} of {len(plan.initiatives)}"


# -- membership over time (docs/interface.md §1) -----------------------------------------------------------------------
def test_first_fiscal_year_of_each_member(plan):
    first = {m.code: plan.membership(m.code).first_fiscal_year for m in plan.municipalities}
    assert first["432105"] == 2019  # 菊池市 2019-03-28
    assert first["432083"] == 2022  # 山鹿市 2022-03-28
    assert first["432067"] == 2024  # 玉名市 2023-10-24
    assert [first[c] for c, _n in ADDED_2025] == [2025] * 4  # 2025-03-27
    others = set(first) - {"432105", "432083", "432067"} - {c for c, _n in ADDED_2025}
    assert len(others) == 17 and {first[c] for c in others} == {2016}  # formed 2016-03-30
    assert all(plan.membership(m.code).left is None for m in plan.municipalities)


def test_members_by_fiscal_year(plan):
    assert [len(plan.members(fy)) for fy in range(2021, 2027)] == [18, 19, 19, 20, 24, 24]
    fy2021 = {m.code for m in plan.members(2021)}
    assert "432083" not in fy2021 and "432067" not in fy2021 and "432105" in fy2021
    assert [m.code for m in plan.members(2025)] == [m.code for m in plan.municipalities]  # plan order
    assert plan.is_member("432041", 2025) and not plan.is_member("432041", 2024)
    assert not plan.is_member("439999", 2025)


def test_membership_problem_texts(plan):
    assert (
        plan.membership_problem("432041", 2024)
        == "荒尾市（432041）は2025年度から報告する構成市町村です（2025年3月27日加入）。"
    )
    assert (
        plan.membership_problem("432067", 2023)
        == "玉名市（432067）は2024年度から報告する構成市町村です（2023年10月24日加入）。"
    )
    assert plan.membership_problem("432041", 2025) is None
    assert (
        plan.membership_problem("439999", 2025)
        == "市町村コード 439999 は熊本連携中枢都市圏の構成市町村ではありません。"
    )


def test_the_2025_amendment(plan):
    (a,) = plan.amendments
    assert (a.id, a.date.isoformat()) == ("2025-03-27-members", "2025-03-27")
    assert "荒尾市" in a.source and "連携協約" in a.source
    assert [(m.code, m.name) for m in a.members_added] == ADDED_2025
    assert all(m.initiatives == () for m in a.members_added)  # not in the vision: none shipped
    for code, _name in ADDED_2025:
        assert plan.initiatives_of(code, 2025) == ()
        region_wide = [k.id for k in plan.kpis if k.reporters_all]
        assert [k.id for k in plan.kpis_reported_by(code, 2025)] == region_wide
        assert plan.kpis_reported_by(code, 2024) == ()


def test_kpi_reporters_by_year_and_basis(plan):
    assert len(plan.kpi_reporters("births", 2025)) == 24 and len(plan.kpi_basis_reporters("births", 2025)) == 20
    assert len(plan.kpi_reporters("births", 2021)) == len(plan.kpi_basis_reporters("births", 2021)) == 18
    assert plan.kpi_reporters("agri_sales", 2025) == plan.kpi_basis_reporters("agri_sales", 2025) == ("431001",)
    assert len(plan.participants("1.1.1", 2021)) == 18 and len(plan.participants("1.1.1", 2025)) == 20


# --- the plan's texts are the vision's words, without PDF-extraction artefacts (docs/transcription.md) ------------

# Characters outside cp932 that the vision really prints (kept on purpose; see docs/transcription.md).
CP932_ALLOWED = {"₂"}  # CO₂ (1.3.1 効果)
# Half-width spaces the vision prints inside a text (proper names and a Latin phrase).
SPACES_ALLOWED = ("一般社団法人 大学コンソーシアム熊本", "桜の馬場 城彩苑", "サミット in Kumamoto", " → ")
# 国・県補助制度等: "2022～2026 地方創生推進交付金（国1/2）" (a period, a space, the subsidy)
SUBSIDY_PERIOD = re.compile(r"^(\d{4}～(\d{4})?|\d{4}) (?=\S)", re.MULTILINE)
# numbered items as the vision prints them: "1. 災害発生時における初動体制の強化" (3.12.2 効果)
NUMBERED_ITEM = re.compile(r"^\d\. (?=\S)", re.MULTILINE)
KNOWN_GARBLES = ("术", "圈", "曆", "收", "道道路", "バスター・ミナル", "知つて", "CO ₂", "I C T", "N P O")
# Labels and markup of the vision's table cells: never inside a text (the cell's content belongs to its own field).
CELL_LABELS = ("費用分担", "役割分担", "<熊本市>", "<近隣市町村>", "<近隣町村>", "<p>", "</p>", "<ul")
COST_LABELS = ("費用負担", "経費負担")  # fine in a 費用負担 text, never in a role text
LABEL_LINES = {"費用負担", "経費負担", "事業内容", "効果", "スケジュール", "国・県補助制度等", "関係市町村"}


def _plan_texts(plan):
    """(where, field, text) for every text the reports may print."""
    for p in plan.pillars:
        yield f"柱{p.id}", "direction", p.direction
    for a in plan.areas:
        yield a.id, "direction", a.direction
        ag = a.agreement
        for field in ("field_label", "content", "role_kumamoto", "role_neighbours"):
            yield a.id, f"agreement.{field}", getattr(ag, field)
    for i in plan.initiatives:
        for field in (
            "name",
            "description",
            "role_kumamoto",
            "role_neighbours",
            "cost_sharing",
            "subsidies",
            "effects",
        ):
            yield i.id, field, getattr(i, field)
        for n, item in enumerate(i.schedule):
            yield i.id, f"schedule[{n}]", item
    for k in plan.kpis:
        for field in ("name", "unit", "source", "notes", "baseline_year_label", "target_label"):
            yield k.id, field, getattr(k, field)


def test_texts_encode_in_cp932_except_the_allowed_symbols(plan):
    bad = []
    for where, field, text in _plan_texts(plan):
        for ch in text or "":
            try:
                ch.encode("cp932")
            except UnicodeEncodeError:
                if ch not in CP932_ALLOWED:
                    bad.append((where, field, ch, f"U+{ord(ch):04X}"))
    assert bad == []


def test_texts_have_no_known_garbles_or_spaced_letters(plan):
    found = []
    for where, field, text in _plan_texts(plan):
        text = text or ""
        found += [(where, field, g) for g in KNOWN_GARBLES if g in text]
        found += [(where, field, m.group()) for m in re.finditer(r"(?<![A-Za-z])[A-Za-z] [A-Za-z](?![A-Za-z])", text)]
    assert found == []


def test_texts_have_no_stray_half_width_spaces_or_brackets(plan):
    """A space inside a Japanese text is an extraction artefact (a cell or line break, a spaced word or number)."""
    found = []
    for where, field, text in _plan_texts(plan):
        text = text or ""
        if field == "subsidies":
            text = SUBSIDY_PERIOD.sub("", text)
        text = NUMBERED_ITEM.sub("", text)
        for ok in SPACES_ALLOWED:
            text = text.replace(ok, "")
        for m in re.finditer(r".{0,6}[ ()].{0,6}", text):
            found.append((where, field, m.group()))
        if text != text.strip() or "\n\n" in text or any(line != line.strip() for line in text.split("\n")):
            found.append((where, field, "空行・行頭行末の空白"))
    assert found == []


def test_no_neighbouring_cell_leaked_into_a_text(plan):
    found = []
    for where, field, text in _plan_texts(plan):
        text = text or ""
        found += [(where, field, label) for label in CELL_LABELS if label in text]
        if "role" in field:
            found += [(where, field, label) for label in COST_LABELS if label in text]
        found += [(where, field, line) for line in text.split("\n") if line.strip() in LABEL_LINES]
    assert found == []


def test_lists_keep_one_item_per_line(plan):
    """The vision's bullets (・), numbers (①, 1.) and headings ([取組例]) each start a line of their own."""
    found = []
    for where, field, text in _plan_texts(plan):
        for line in (text or "").split("\n"):
            if re.search(r"(\s|[。）])・", line):  # a second bullet on the same line
                found.append((where, field, line[:30]))
            if re.search(r".[②-⑳]", line) or re.search(r"\S\s*\d\. ", line):
                found.append((where, field, line[:30]))
            if re.search(r"\[[^\]]+\]", line) and not re.fullmatch(r"\[[^\]]+\]", line):
                found.append((where, field, line[:30]))
    assert found == []


def test_schedule_items_are_words_not_arrows(plan):
    found = [(i.id, item) for i in plan.initiatives for item in i.schedule if not re.search(r"[\w\u3040-\u9fff]", item)]
    assert found == []
    # items the extraction pushed into the 事業費 row are back in the schedule
    assert plan.initiative("2.3.3").schedule == ("法律相談の実施",)
    assert plan.initiative("3.20.2").schedule == ("連携事業の実施",)


def test_cell_contents_in_their_own_fields(plan):
    """Texts that the extraction put into the neighbouring cell are in the field the vision prints them in."""
    assert plan.initiative("3.3.2").cost_sharing == (
        "福祉有償運送に係る協議会の開催に要する費用は、人口割及び均等割により算出した額を関係市町村がそれぞれ負担する。"
    )
    assert plan.initiative("3.3.2").role_neighbours == "福祉有償運送に係る運営協議会の構成員として会議に参加する。"
    assert (
        plan.initiative("3.6.3").cost_sharing
        == "講座等の開催に要する費用については、講座等を開催する市町村が負担する。"
    )
    for iid in ("3.11.1", "3.11.2"):
        assert plan.initiative(iid).cost_sharing == "事業に要する費用負担は、別途協議する。", iid
        assert plan.initiative(iid).role_neighbours == "・観光資源の素材発掘、磨き上げによる魅力の向上", iid
    assert plan.initiative("3.11.1").description.split("\n")[2:] == [
        "[取組例]",
        "・歴史、文化、人物等の特定のテーマに基づく旅行商品の造成",
        "・関連イベントの開催",
        "・パンフレットやホームページによる周知広報",
    ]

"""The plan loader refuses inconsistent data, one broken fixture per rule."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from vision_report.plan import PlanError, load_plan

FIX = Path(__file__).resolve().parent / "fixtures"
BROKEN = sorted(p.name for p in (FIX / "plan_broken").iterdir() if p.is_dir())


def overlay(tmp_path: Path, broken: str) -> Path:
    """The tiny valid plan with the broken fixture's files laid over it."""
    target = tmp_path / "plan"
    shutil.copytree(FIX / "plan_tiny", target)
    src = FIX / "plan_broken" / broken
    for f in src.rglob("*"):
        if f.is_file() and f.name != "expected.txt":
            dest = target / f.relative_to(src)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(f, dest)
    return target


def test_tiny_plan_is_valid():
    plan = load_plan(FIX / "plan_tiny")
    assert [i.id for i in plan.initiatives] == ["1.1.1", "1.1.2", "2.1.1", "2.2.1"]
    assert plan.initiative("2.2.1").participants == ("431001", "432083")  # document order, not file order
    assert plan.initiative("1.1.2").budget.years == {2021: 0, 2022: None, 2023: 5, 2024: 5, 2025: "未定"}
    assert plan.initiative("2.1.1").budget.total == 99 and plan.initiative("2.1.1").budget.planned(2021) is None
    assert plan.subfield("2A").area_ids == ("2.1", "2.2")
    assert plan.kpi("k_up").reporters == ("431001", "432067", "432083") and plan.kpi("k_up").reporters_all


def test_every_broken_fixture_has_its_own_defect():
    assert len(BROKEN) >= 15
    for name in BROKEN:
        assert (FIX / "plan_broken" / name / "expected.txt").is_file(), name


@pytest.mark.parametrize("broken", BROKEN)
def test_loader_refuses(tmp_path: Path, broken: str):
    expected = (FIX / "plan_broken" / broken / "expected.txt").read_text(encoding="utf-8").strip()
    with pytest.raises(PlanError) as info:
        load_plan(overlay(tmp_path, broken))
    problems = info.value.problems
    assert any(expected in p for p in problems), problems
    # every message starts with the file to fix (then the item, where there is one), then a colon
    assert all(re.match(r"^[\w/*.-]+\.(yaml|csv)( [^:]+)?: \S", p) for p in problems), problems


def test_initiative_lead_defaults_to_the_core_municipality_and_may_be_named(tmp_path: Path):
    plan = load_plan(FIX / "plan_tiny")
    assert plan.meta.core_municipality == "431001"
    assert plan.initiative("2.1.1").lead is None and plan.lead_of("2.1.1") == "431001"
    target = tmp_path / "plan"
    shutil.copytree(FIX / "plan_tiny", target)
    p = target / "pillars" / "2.yaml"
    p.write_text(
        p.read_text(encoding="utf-8").replace(
            "participants: [熊本市, 玉名市]", "participants: [熊本市, 玉名市]\n        lead: 玉名市"
        ),
        encoding="utf-8",
    )
    assert load_plan(target).lead_of("2.1.1") == "432067"


def test_missing_plan_folder(tmp_path: Path):
    with pytest.raises(PlanError, match="計画フォルダ"):
        load_plan(tmp_path / "nowhere")


# -- membership over time and amendments (issue 10) ----------------------------------------------------------------
def test_plan_without_membership_dates_has_every_member_every_year():
    plan = load_plan(FIX / "plan_tiny")
    assert plan.amendments == () and plan.basis_members == plan.municipalities
    assert all(plan.members(fy) == plan.municipalities for fy in (1990, 2021, 2099))
    assert plan.membership_problem("432067", 2021) is None


def test_small_plan_loads_with_its_amendment():
    """The second test plan: 7 members (one added by an amendment), two pillars, FY2026–FY2030."""
    plan = load_plan(FIX / "plan_small")
    assert plan.meta.fiscal_years == (2026, 2027, 2028, 2029, 2030)
    assert [p.id for p in plan.pillars] == [1, 2] and [s.id for s in plan.subfields] == ["2A", "2B"]
    assert len(plan.municipalities) == 7 and len(plan.basis_members) == 6
    assert [len(plan.members(fy)) for fy in plan.meta.fiscal_years] == [5, 6, 7, 7, 7]
    assert plan.membership("433675").first_fiscal_year == 2027  # joined 2026-09-01
    assert [a.id for a in plan.amendments] == ["2028-03-27-nagasu"]
    # the amendment's participation joins the ○ grid in plan order; the year-aware view drops non-members
    assert plan.initiative("2.3.1").participants == ("431001", "432067", "432041", "433683")
    assert plan.participants("2.3.1", 2027) == ("431001", "432067", "432041")
    assert [i.id for i in plan.initiatives_of("433683", 2028)] == ["2.3.1"]
    assert plan.initiatives_of("433683", 2027) == ()
    # a region-wide KPI is reported by every member of the year; a fixed list stays fixed
    assert plan.kpi_reporters("jobs", 2028)[-1] == "433683" and len(plan.kpi_reporters("jobs", 2026)) == 5
    assert "433683" not in plan.kpi_basis_reporters("jobs", 2028)
    assert plan.kpi_reporters("bus_riders", 2028) == ("431001", "432067")
    assert [k.id for k in plan.kpis_reported_by("433683", 2028)] == ["jobs", "births"]


def test_amendments_apply_in_date_order(tmp_path: Path):
    """A later amendment may give initiatives to a member an earlier one added; file names do not matter."""
    target = overlay(tmp_path, "membership_bad_date")  # any overlay: replace its municipalities below
    shutil.copy(FIX / "plan_tiny" / "municipalities.csv", target / "municipalities.csv")
    (target / "amendments").mkdir()
    (target / "amendments" / "a_later.yaml").write_text(
        "id: second\ndate: 2026-04-01\ntitle: 2番目\nsource: 出典\n"
        "members_added:\n  - {code: '433675', name: 南関町, joined: 2026-04-01, initiatives: ['2.1.1']}\n",
        encoding="utf-8",
    )
    (target / "amendments" / "z_earlier.yaml").write_text(
        "id: first\ndate: 2025-03-27\ntitle: 1番目\nsource: 出典\n"
        "members_added:\n  - {code: '432041', name: 荒尾市, joined: 2025-03-27, first_fiscal_year: 2026}\n",
        encoding="utf-8",
    )
    plan = load_plan(target)
    assert [a.id for a in plan.amendments] == ["first", "second"]
    assert [m.code for m in plan.municipalities][-2:] == ["432041", "433675"]
    assert plan.membership("432041").first_fiscal_year == 2026  # the coordinator's choice wins over the default
    assert plan.membership("433675").first_fiscal_year == 2026  # joined on April 1: that year
    assert plan.initiative("2.1.1").participants == ("431001", "432067", "433675")
    assert plan.kpi("k_up").reporters[-2:] == ("432041", "433675")  # reporters: all includes added members


def test_amendments_add_and_end_initiatives_in_date_order(tmp_path: Path):
    """An added initiative runs from the first fiscal year after the amendment (or the one it names), after its
    area's initiatives; an ended one up to the fiscal year before the amendment's date (or the one it names); a
    member a later amendment adds may take part in an initiative an earlier one added."""
    target = tmp_path / "plan"
    shutil.copytree(FIX / "plan_tiny", target)
    (target / "amendments").mkdir()
    (target / "amendments" / "one.yaml").write_text(
        "id: add\ndate: 2023-10-01\ntitle: 取組の追加\nsource: 連携協約の変更\n"
        "initiatives_added:\n"
        "  - {id: '1.1.3', area: '1.1', name: 新しい取組, lead: 玉名市, participants: [玉名市, '431001'],"
        " budget: {2024: 10, 2025: 未定}}\n"
        "initiatives_ended:\n  - {id: '2.1.1', last_fiscal_year: 2024}\n",
        encoding="utf-8",
    )
    (target / "amendments" / "two.yaml").write_text(
        "id: end\ndate: 2025-04-01\ntitle: 取組の終了\nsource: 連携協約の変更\n"
        "members_added:\n  - {code: '432041', name: 荒尾市, joined: 2025-04-01, initiatives: ['1.1.3']}\n"
        "initiatives_ended:\n  - {id: '1.1.1'}\n",
        encoding="utf-8",
    )
    plan = load_plan(target)
    assert [i.id for i in plan.initiatives] == ["1.1.1", "1.1.2", "1.1.3", "2.1.1", "2.2.1"]
    assert plan.area("1.1").initiative_ids == ("1.1.1", "1.1.2", "1.1.3")
    new = plan.initiative("1.1.3")
    assert (new.first_fiscal_year, new.added_by, new.lead, new.label) == (2024, "add", "432067", "ウ")
    assert new.participants == ("431001", "432067", "432041")
    assert [i.id for i in plan.initiatives_in(2023)] == ["1.1.1", "1.1.2", "2.1.1", "2.2.1"]
    assert [i.id for i in plan.initiatives_in(2025)] == ["1.1.2", "1.1.3", "2.2.1"]
    assert plan.initiative("1.1.1").last_fiscal_year == 2024 and plan.initiative("1.1.1").ended_by == "end"
    assert plan.initiative("2.1.1").last_fiscal_year == 2024  # the coordinator's year, not 2023
    assert plan.participants("1.1.3", 2023) == () and plan.participants("1.1.3", 2025) == ("431001", "432067", "432041")
    assert [i.id for i in plan.initiatives_of("432041", 2025)] == ["1.1.3"]
    assert [i.id for i in plan.area_initiatives("1.1", 2025)] == ["1.1.2", "1.1.3"]


def test_the_members_of_a_year_are_found_once_and_a_copy_of_the_plan_finds_its_own(plan):
    """Plan.members(fy) is asked once per member report (1,741 at scale): found once per year and kept in the plan's
    lookups; a copy made with dataclasses.replace has lookups of its own, so a copy whose memberships differ never
    sees the original's members."""
    import dataclasses

    fy = 2025
    members = plan.members(fy)
    assert plan.members(fy) is members
    assert members == tuple(m for m in plan.municipalities if plan.membership(m.code).reports_in(fy))
    gone = members[-1].code
    left = dataclasses.replace(plan.membership(gone), last_fiscal_year=fy - 1)
    copy = dataclasses.replace(plan, memberships={**plan.memberships, gone: left})
    assert [m.code for m in copy.members(fy)] == [m.code for m in members if m.code != gone]
    assert plan.members(fy) is members  # the original is untouched

    # the members the targets were set for: found once too, and a copy finds its own
    basis = plan.basis_members
    assert plan.basis_members is basis
    assert basis == tuple(m for m in plan.municipalities if plan.membership(m.code).amendment is None)
    added = dataclasses.replace(plan.membership(basis[0].code), amendment="a-later-amendment")
    copy = dataclasses.replace(plan, memberships={**plan.memberships, basis[0].code: added})
    assert copy.basis_members == basis[1:] and plan.basis_members is basis

    # who reports each KPI in a year (each member report names who reports the KPIs it does not): found once
    for k in plan.kpis:
        expected = tuple(m for m in plan.members(fy) if m.code in k.reporters)
        assert plan.members_reporting(k.id, fy) == expected
        assert plan.members_reporting(k.id, fy) is plan.members_reporting(k.id, fy)
        assert plan.kpis_reported_by(expected[0].code, fy) == tuple(
            q for q in plan.kpis if expected[0].code in q.reporters
        )
    left_reporters = dataclasses.replace(plan, memberships={**plan.memberships, gone: left})
    shared = next(k for k in plan.kpis if gone in k.reporters)
    assert gone not in {m.code for m in left_reporters.members_reporting(shared.id, fy)}
    assert gone in {m.code for m in plan.members_reporting(shared.id, fy)}

    # an initiative's participants of a year, and the initiatives of a member: found once, and a copy finds its own
    ini = next(i for i in plan.initiatives if i.runs_in(fy) and len(i.participants) > 1)
    who = ini.participants[-1]
    gone_too = dataclasses.replace(
        plan, memberships={**plan.memberships, who: dataclasses.replace(plan.membership(who), last_fiscal_year=fy - 1)}
    )
    assert plan.participants(ini.id, fy) is plan.participants(ini.id, fy)
    assert plan.participants(ini.id, fy) == tuple(c for c in ini.participants if plan.is_member(c, fy))
    assert who in plan.participants(ini.id, fy) and who not in gone_too.participants(ini.id, fy)
    assert ini in plan.initiatives_of(who, fy) and gone_too.initiatives_of(who, fy) == ()
    assert plan.initiatives_of(who) == tuple(i for i in plan.initiatives if who in i.participants)
    fewer = dataclasses.replace(ini, participants=ini.participants[:-1])
    without = dataclasses.replace(plan, initiatives=tuple(fewer if i is ini else i for i in plan.initiatives))
    assert fewer not in without.initiatives_of(who) and who not in without.participants(ini.id, fy)
    assert ini in plan.initiatives_of(who) and who in plan.participants(ini.id, fy)
    # is_member: one of the year's members, for a code the plan knows and for one it does not
    for code in [m.code for m in plan.municipalities] + ["999999", ""]:
        for year in (fy - 1, fy, fy + 1):
            expected = plan.has_municipality(code) and plan.membership(code).reports_in(year)
            assert plan.is_member(code, year) == expected
            assert gone_too.is_member(code, year) == (expected and not (code == who and year >= fy))

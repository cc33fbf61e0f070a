"""Load a plan folder (plan.yaml, municipalities.csv, pillars/*.yaml, kpis.yaml, amendments/*.yaml) into a Plan.

Every inconsistency is collected and reported at once, in Japanese, with the file and the item,
so that a coordinator who edited the data by hand can fix all of it in one go.

Why one module of ~600 lines: one reader per plan folder that collects every problem at once; its checks need
the whole plan in view (ids across files, members across amendments), so they stay beside the reading.
"""

from __future__ import annotations

import csv
import dataclasses
import re
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from vision_report.core.yamlio import load_yaml
from vision_report.plan.models import (
    DIRECTIONS,
    UNDECIDED,
    Agreement,
    Amendment,
    Budget,
    BudgetValue,
    Initiative,
    InitiativeEnd,
    Kpi,
    MemberAddition,
    Membership,
    Municipality,
    Pillar,
    Plan,
    PlanMeta,
    PolicyArea,
    Subfield,
    TargetRevision,
    date_ja,
    first_fiscal_year_after,
    fiscal_year_of,
    last_full_fiscal_year_before,
)

AREA_RANGE_RE = re.compile(r"^(\d+)\.(\d+)-(\d+)\.(\d+)$")


class PlanError(Exception):
    """The plan data is inconsistent. ``problems`` lists every finding (Japanese)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("計画データに問題があります:\n" + "\n".join(f"- {p}" for p in problems))


def check_digit_ok(code: str) -> bool:
    """全国地方公共団体コード: 5 digits + check digit."""
    if not re.fullmatch(r"\d{6}", code):
        return False
    d = [int(c) for c in code[:5]]
    check = (11 - (6 * d[0] + 5 * d[1] + 4 * d[2] + 3 * d[3] + 2 * d[4]) % 11) % 10
    return check == int(code[5])


class _Loader:
    def __init__(self, plan_dir: Path):
        self.dir = plan_dir
        self.problems: list[str] = []
        self._amendment_members: list[tuple[MemberAddition, Municipality, Membership]] = []
        self._added_initiatives: list[Initiative] = []
        self._ended_initiatives: dict[str, tuple[int, str]] = {}  # id -> (last fiscal year, amendment id)

    def problem(self, where: str, msg: str) -> None:
        self.problems.append(f"{where}: {msg}")

    def read_yaml(self, rel: str) -> Any:
        path = self.dir / rel
        if not path.is_file():
            self.problem(rel, "ファイルがありません")
            return None
        try:
            return load_yaml(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            self.problem(rel, f"YAMLとして読めません（{exc}）")
            return None

    # -- pieces ---------------------------------------------------------------
    def date_value(self, raw: Any, where: str, what: str) -> date | None:
        """A YYYY-MM-DD date (YAML gives a date, CSV a string); None when blank; a problem when unreadable."""
        if raw is None or raw == "":
            return None
        if isinstance(raw, date):
            return raw
        try:
            return date.fromisoformat(str(raw).strip())
        except ValueError:
            self.problem(where, f"{what} {raw!r} は YYYY-MM-DD の日付にしてください（例: 2025-03-27）")
            return None

    def membership(self, row: dict, code: str, where: str, amendment: str | None = None) -> Membership:
        """joined / left / first_fiscal_year of one member, resolved and checked."""
        joined = self.date_value(row.get("joined"), where, "加入日 joined")
        left = self.date_value(row.get("left"), where, "脱退日 left")
        first: int | None = None
        fiscal_year_raw = row.get("first_fiscal_year")
        if fiscal_year_raw not in (None, ""):
            try:
                first = int(str(fiscal_year_raw).strip())
            except ValueError:
                self.problem(where, f"報告開始年度 first_fiscal_year {fiscal_year_raw!r} は4桁の年度にしてください")
                first = None
            if first is not None and joined is not None and first < fiscal_year_of(joined):
                self.problem(
                    where,
                    f"報告開始年度 first_fiscal_year {first} は加入日 {joined} を含む{fiscal_year_of(joined)}年度より前です",
                )
        else:
            first = first_fiscal_year_after(joined) if joined else None
        if joined and left and left < joined:
            self.problem(where, f"脱退日 left {left} が加入日 joined {joined} より前です")
        last = last_full_fiscal_year_before(left) if left else None
        return Membership(
            code=code, joined=joined, left=left, first_fiscal_year=first, last_fiscal_year=last, amendment=amendment
        )

    def municipalities(self) -> tuple[list[Municipality], dict[str, Membership]]:
        rel = "municipalities.csv"
        path = self.dir / rel
        if not path.is_file():
            self.problem(rel, "ファイルがありません")
            return [], {}
        out = []
        memberships: dict[str, Membership] = {}
        with path.open(encoding="utf-8-sig", newline="") as f:
            for n, row in enumerate(csv.DictReader(f), start=2):
                code = (row.get("code") or "").strip()
                name = (row.get("name") or "").strip()
                if not check_digit_ok(code):
                    self.problem(
                        f"{rel} {n}行目",
                        f"市町村コード {code!r} は6桁の全国地方公共団体コードではありません（検査数字が合いません）",
                    )
                if not name:
                    self.problem(f"{rel} {n}行目", "市町村名が空です")
                if any(row.get(k) for k in ("joined", "left", "first_fiscal_year")):
                    memberships[code] = self.membership(row, code, f"{rel} {n}行目（{name}）")
                try:
                    out.append(
                        Municipality(
                            code=code,
                            name=name,
                            population=int(row["population"]) if row.get("population") else None,
                            households=int(row["households"]) if row.get("households") else None,
                            area_km2=float(row["area_km2"]) if row.get("area_km2") else None,
                        )
                    )
                except ValueError as exc:
                    self.problem(f"{rel} {n}行目", f"数値が読めません（{exc}）")
        for what, counter in (
            ("市町村コード", Counter(m.code for m in out)),
            ("市町村名", Counter(m.name for m in out)),
        ):
            for key, c in counter.items():
                if c > 1:
                    self.problem(rel, f"{what} {key} が{c}回出てきます（重複）")
        return out, memberships

    def amendments(
        self,
        known: dict[str, str],
        initiatives: list[Initiative],
        memberships: dict[str, Membership] | None = None,
        area_ids: set[str] | None = None,
        years: tuple[int, ...] = (),
    ) -> list[Amendment]:
        """amendments/*.yaml in date order (then id). ``known``: code -> name of the members so far; members added
        by an earlier amendment are known to later ones, and so are the initiatives an earlier amendment added or
        ended. ``memberships``: the plan's own members' dates (who is a member on an amendment's date)."""
        initiative_ids = {i.id for i in initiatives}
        runs: dict[str, tuple[int | None, int | None]] = {i.id: (None, None) for i in initiatives}
        joined_on: dict[str, date | None] = {}
        folder = self.dir / "amendments"
        if not folder.is_dir():
            return []
        raw_items = []
        for path in sorted(folder.glob("*.yaml")):
            rel = f"amendments/{path.name}"
            raw = self.read_yaml(rel)
            if not isinstance(raw, dict):
                if raw is not None:
                    self.problem(rel, "改定の内容（id・date・title・source・members_added）を対応表で書いてください")
                continue
            missing = [k for k in ("id", "date", "title", "source") if not raw.get(k)]
            if missing:
                self.problem(rel, f"必須項目 {', '.join(missing)} がありません（出典と日付のない改定は受け付けません）")
                continue
            day = self.date_value(raw.get("date"), rel, "改定日 date")
            if day is None:
                continue
            raw_items.append((day, str(raw["id"]), rel, raw))
        for key, c in Counter(i[1] for i in raw_items).items():
            if c > 1:
                self.problem("amendments/*.yaml", f"改定の id {key} が{c}回出てきます（重複）")
        out = []
        known = dict(known)
        for day, aid, rel, raw in sorted(raw_items, key=lambda t: (t[0], t[1])):
            added = []
            members = raw.get("members_added") or []
            if not isinstance(members, list):
                self.problem(rel, "members_added は加入した市町村の一覧にしてください")
                members = []
            for m in members:
                if not isinstance(m, dict):
                    self.problem(rel, f"members_added の {m!r} は code・name・joined を持つ対応表にしてください")
                    continue
                code, name = str(m.get("code") or "").strip(), str(m.get("name") or "").strip()
                where = f"{rel} 加入市町村 {name or code}"
                if not check_digit_ok(code):
                    self.problem(
                        where,
                        f"市町村コード {code!r} は6桁の全国地方公共団体コードではありません（検査数字が合いません）",
                    )
                    continue
                if code in known:
                    self.problem(where, f"市町村コード {code}（{known[code]}）はすでに構成市町村です")
                    continue
                if not name:
                    self.problem(where, "市町村名 name が空です")
                joined = self.date_value(m.get("joined"), where, "加入日 joined")
                if joined is None:
                    if not m.get("joined"):
                        self.problem(where, "加入日 joined がありません")
                    continue
                inits = m.get("initiatives") or []
                if not isinstance(inits, list):
                    self.problem(where, "initiatives は取組 ID の一覧にしてください（参加する取組がなければ []）")
                    inits = []
                bad = [str(i) for i in inits if str(i) not in initiative_ids]
                if bad:
                    self.problem(where, f"取組 {', '.join(bad)} は計画にありません")
                population = m.get("population")
                if population is not None and (isinstance(population, bool) or not isinstance(population, int)):
                    self.problem(where, f"人口 population {population!r} は整数か空欄にしてください")
                    population = None
                known[code] = name
                joined_on[code] = joined
                added.append(
                    (
                        MemberAddition(
                            code=code,
                            name=name,
                            joined=joined,
                            initiatives=tuple(dict.fromkeys(str(i) for i in inits if str(i) in initiative_ids)),
                        ),
                        Municipality(code=code, name=name, population=population),
                        self.membership(m, code, where, amendment=aid),
                    )
                )
            names = {v: k for k, v in known.items()}
            added_ids = self.initiatives_added(
                raw, rel, aid, day, known, names, initiative_ids, runs, memberships or {}, joined_on, area_ids, years
            )
            ended = self.initiatives_ended(raw, rel, aid, day, initiative_ids, runs, years)
            revisions = []
            for t in raw.get("targets_revised") or []:
                kid = str((t or {}).get("kpi") or "")
                try:
                    revisions.append(
                        TargetRevision(
                            kpi=kid, target=float(t["target"]), target_label=_text_or_none(t.get("target_label"))
                        )
                    )
                except (KeyError, TypeError, ValueError):
                    self.problem(f"{rel} 目標値の変更 {kid}", "kpi と target（数値）を書いてください")
            out.append(
                (
                    Amendment(
                        id=aid,
                        date=day,
                        title=str(raw["title"]),
                        source=str(raw["source"]),
                        members_added=tuple(a[0] for a in added),
                        file=rel,
                        targets_revised=tuple(revisions),
                        initiatives_added=added_ids,
                        initiatives_ended=ended,
                    ),
                    added,
                )
            )
        self._amendment_members = [x for _a, added in out for x in added]
        return [a for a, _added in out]

    def initiatives_added(
        self,
        raw: dict,
        rel: str,
        aid: str,
        day: date,
        known: dict[str, str],
        names: dict[str, str],
        initiative_ids: set[str],
        runs: dict[str, tuple[int | None, int | None]],
        memberships: dict[str, Membership],
        joined_on: dict[str, date | None],
        area_ids: set[str] | None,
        years: tuple[int, ...],
    ) -> tuple[str, ...]:
        """initiatives_added of one amendment: new initiatives (id, area, name, participants who are members on the
        amendment's date, budget, optional first_fiscal_year and texts), collected in self._added_initiatives."""
        items = raw.get("initiatives_added") or []
        if not isinstance(items, list):
            self.problem(rel, "initiatives_added は追加する取組の一覧にしてください")
            return ()
        out = []
        order = {code: n for n, code in enumerate(known)}
        for item in items:
            if not isinstance(item, dict):
                self.problem(
                    rel, f"initiatives_added の {item!r} は id・area・name・participants を持つ対応表にしてください"
                )
                continue
            iid, area = str(item.get("id") or "").strip(), str(item.get("area") or "").strip()
            where = f"{rel} 追加する取組 {iid}"
            if not iid:
                self.problem(where, "取組 ID（id）がありません")
                continue
            if iid in initiative_ids:
                self.problem(where, f"取組 {iid} はすでに計画にあります（追加する取組には新しい ID を付けてください）")
                continue
            if area_ids is not None and area not in area_ids:
                self.problem(where, f"政策分野 area {area!r} は計画にありません")
                continue
            tail = iid[len(area) + 1 :] if iid.startswith(f"{area}.") else ""
            if not tail.isdigit():
                self.problem(where, f"取組 ID {iid} は「政策分野ID.番号」（{area}.番号）の形にしてください")
                continue
            if not item.get("name"):
                self.problem(where, "取組名（name）が空です")
            first = first_fiscal_year_after(day)
            if item.get("first_fiscal_year") not in (None, ""):
                try:
                    first = int(str(item["first_fiscal_year"]).strip())
                except ValueError:
                    self.problem(
                        where, f"最初の年度 first_fiscal_year {item['first_fiscal_year']!r} は4桁の年度にしてください"
                    )
                if first < fiscal_year_of(day):
                    self.problem(
                        where,
                        f"最初の年度 first_fiscal_year {first} は改定日 {day} を含む{fiscal_year_of(day)}年度より前です",
                    )
            participants = []
            for p in item.get("participants") or []:
                p = str(p).strip()
                code = p if p in known else names.get(p)
                if code is None:
                    self.problem(where, f"関係市町村 {p!r} は構成市町村にありません")
                elif not _member_on(code, day, memberships, joined_on):
                    self.problem(
                        where, f"関係市町村 {known[code]}（{code}）は改定日 {date_ja(day)} の構成市町村ではありません"
                    )
                elif code not in participants:
                    participants.append(code)
            if not participants:
                self.problem(where, "関係市町村（participants）が空です")
            lead = item.get("lead")
            lead_code = None
            if lead not in (None, ""):
                lead_code = str(lead).strip() if str(lead).strip() in known else names.get(str(lead).strip())
                if lead_code is None or lead_code not in participants:
                    self.problem(where, f"取りまとめ役（lead）{lead} が関係市町村（participants）にありません")
            roles = item.get("roles") or {}
            initiative_ids.add(iid)
            runs[iid] = (first, None)
            self._added_initiatives.append(
                Initiative(
                    id=iid,
                    area_id=area,
                    number=int(tail),
                    name=str(item.get("name") or ""),
                    participants=tuple(sorted(participants, key=order.__getitem__)),
                    budget=self.budget(item.get("budget"), where, years),
                    description=item.get("description"),
                    role_kumamoto=roles.get("kumamoto"),
                    role_neighbours=roles.get("neighbours"),
                    cost_sharing=item.get("cost_sharing"),
                    schedule=tuple(item.get("schedule") or ()),
                    subsidies=item.get("subsidies"),
                    effects=item.get("effects"),
                    lead=lead_code,
                    first_fiscal_year=first,
                    added_by=aid,
                )
            )
            out.append(iid)
        return tuple(out)

    def initiatives_ended(
        self,
        raw: dict,
        rel: str,
        aid: str,
        day: date,
        initiative_ids: set[str],
        runs: dict[str, tuple[int | None, int | None]],
        years: tuple[int, ...],
    ) -> tuple[InitiativeEnd, ...]:
        """initiatives_ended of one amendment: initiatives of the plan (or added earlier) that end; the last fiscal
        year they run is the coordinator's ``last_fiscal_year``, else the fiscal year of the day before the date."""
        items = raw.get("initiatives_ended") or []
        if not isinstance(items, list):
            self.problem(rel, "initiatives_ended は終了する取組の一覧にしてください")
            return ()
        out = []
        for item in items:
            item = item if isinstance(item, dict) else {"id": item}
            iid = str(item.get("id") or "").strip()
            where = f"{rel} 終了する取組 {iid}"
            if iid not in initiative_ids:
                self.problem(where, f"取組 {iid!r} は改定日 {day} の計画にありません")
                continue
            first, last_before = runs[iid]
            if last_before is not None:
                self.problem(where, f"取組 {iid} はすでに{last_before}年度で終了しています")
                continue
            last = fiscal_year_of(day - timedelta(days=1))
            if item.get("last_fiscal_year") not in (None, ""):
                try:
                    explicit = int(str(item["last_fiscal_year"]).strip())
                except ValueError:
                    self.problem(
                        where, f"最後の年度 last_fiscal_year {item['last_fiscal_year']!r} は4桁の年度にしてください"
                    )
                    continue
                if explicit < last:
                    self.problem(
                        where,
                        f"最後の年度 last_fiscal_year {explicit} は改定日 {day} の前の{last}年度より前です"
                        "（改定日より前の年度の報告は変えられません）",
                    )
                    continue
                last = explicit
            start = first if first is not None else (years[0] if years else None)
            if start is not None and last < start:
                self.problem(where, f"取組 {iid} は{start}年度から始まる取組です。最後の年度 {last} がそれより前です")
                continue
            runs[iid] = (first, last)
            self._ended_initiatives[iid] = (last, aid)
            out.append(InitiativeEnd(initiative=iid, last_fiscal_year=last))
        return tuple(out)

    def budget(self, raw: Any, where: str, years: tuple[int, ...]) -> Budget:
        raw = raw or {}
        if not isinstance(raw, dict):
            self.problem(where, "budget は年度ごとの対応表にしてください")
            raw = {}
        values: dict[int, BudgetValue] = {}
        total: BudgetValue = None
        for key, val in raw.items():
            k = str(key)
            v = self.budget_value(val, f"{where} 事業費 {k}")
            if k == "total":
                total = v
            elif k.isdigit() and int(k) in years:
                values[int(k)] = v
            else:
                self.problem(where, f"事業費の年度 {k} は計画期間（{years[0]}〜{years[-1]}年度）の外です")
        for y in years:
            values.setdefault(y, None)
        b = Budget(years=dict(sorted(values.items())), total=total)
        if b.all_years_printed() and isinstance(total, int):
            s = sum(v for v in b.years.values() if isinstance(v, int))
            if s != total:
                self.problem(where, f"事業費の合計 {total:,} が各年度の和 {s:,} と一致しません")
        return b

    def budget_value(self, val: Any, where: str) -> BudgetValue:
        if val is None or val == "":
            return None
        if val == UNDECIDED:
            return UNDECIDED
        if isinstance(val, bool) or not isinstance(val, int):
            self.problem(where, f"事業費 {val!r} は千円単位の整数・空欄・「未定」のいずれかにしてください")
            return None
        if val < 0:
            self.problem(where, f"事業費 {val} が負の値です")
        return val

    def participants(self, raw: Any, where: str, by_name: dict[str, str], order: dict[str, int]) -> tuple[str, ...]:
        if not isinstance(raw, list) or not raw:
            self.problem(where, "関係市町村（participants）が空です")
            return ()
        codes = []
        for p in raw:
            p = str(p).strip()
            code = p if p in order else by_name.get(p)
            if code is None:
                self.problem(where, f"関係市町村 {p!r} は構成市町村にありません")
                continue
            if code in codes:
                self.problem(where, f"関係市町村 {p} が重複しています")
                continue
            codes.append(code)
        return tuple(sorted(codes, key=order.__getitem__))

    def lead(self, raw: Any, where: str, by_name: dict[str, str], order: dict[str, int]) -> str | None:
        """``lead:`` of an initiative (a municipality's name or code); absent: None (the core municipality)."""
        if raw is None or str(raw).strip() == "":
            return None
        p = str(raw).strip()
        code = p if p in order else by_name.get(p)
        if code is None:
            self.problem(where, f"取りまとめ役（lead）{p!r} は構成市町村にありません")
        return code

    # -- whole ------------------------------------------------------------------
    def load(self) -> Plan:
        meta_raw = self.read_yaml("plan.yaml") or {}
        munis, memberships = self.municipalities()
        by_name = {m.name: m.code for m in munis}
        order = {m.code: i for i, m in enumerate(munis)}
        try:
            period = meta_raw["period"]
            meta = PlanMeta(
                id=str(meta_raw["id"]),
                title=meta_raw["title"],
                alliance=meta_raw["alliance"],
                revision=meta_raw["revision"],
                first_fiscal_year=int(period["first_fiscal_year"]),
                last_fiscal_year=int(period["last_fiscal_year"]),
                core_municipality=str(meta_raw["core_municipality"]),
                office=meta_raw.get("office"),
                period_note=period.get("note"),
                population_as_of=meta_raw.get("population_as_of"),
                population_goal=meta_raw.get("population_goal") or None,
                management={str(k): str(v).strip() for k, v in (meta_raw.get("management") or {}).items()},
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PlanError([f"plan.yaml: 必須項目がありません・読めません（{exc}）"] + self.problems) from exc
        if meta.core_municipality not in order:
            self.problem(
                "plan.yaml", f"中心市 core_municipality {meta.core_municipality} が municipalities.csv にありません"
            )
        totals = meta_raw.get("municipality_totals") or {}
        for key in ("population", "households", "area_km2"):
            if key in totals:
                s = sum(getattr(m, key) or 0 for m in munis)
                if round(s, 2) != round(float(totals[key]), 2):
                    self.problem("municipalities.csv", f"{key} の合計 {s:,} が圏域合計 {totals[key]:,} と一致しません")
        years = meta.fiscal_years

        pillars: list[Pillar] = []
        areas: list[PolicyArea] = []
        initiatives: list[Initiative] = []
        subfield_raw = meta_raw.get("subfields") or []
        subfield_of_area: dict[str, str] = {}
        subfields_tmp: list[tuple[str, int, str, str, tuple[str, ...]]] = []
        for s in subfield_raw:
            sid = str(s["id"])
            m = AREA_RANGE_RE.match(str(s.get("areas", "")))
            if not m or m.group(1) != m.group(3) or int(m.group(1)) != int(s["pillar"]):
                self.problem("plan.yaml", f"小分野 {sid} の areas は「3.1-3.14」の形で同じ柱の範囲にしてください")
                continue
            ids = tuple(f"{m.group(1)}.{k}" for k in range(int(m.group(2)), int(m.group(4)) + 1))
            for a in ids:
                subfield_of_area[a] = sid
            subfields_tmp.append((sid, int(s["pillar"]), str(s["letter"]), str(s["name"]), ids))

        for rel in meta_raw.get("pillar_files") or []:
            raw = self.read_yaml(rel)
            if not raw:
                continue
            pid = int(raw["id"])
            area_ids = []
            for a_pos, a in enumerate(raw.get("areas") or [], start=1):
                aid = str(a.get("id"))
                where = f"{rel} 政策分野 {aid}"
                if aid != f"{pid}.{a_pos}":
                    self.problem(where, f"政策分野の番号は文書の順に {pid}.{a_pos} のはずです")
                if subfield_of_area.get(aid) != (a.get("subfield") and f"{pid}{a.get('subfield')}"):
                    self.problem(
                        where,
                        f"小分野 {a.get('subfield')!r} が plan.yaml の範囲（{subfield_of_area.get(aid)}）と合いません",
                    )
                ag = a.get("agreement") or {}
                init_ids = []
                inits = a.get("initiatives") or []
                if not inits:
                    self.problem(where, "具体的取組（initiatives）が一つもありません")
                for i_pos, i in enumerate(inits, start=1):
                    iid = str(i.get("id"))
                    iwhere = f"{rel} 取組 {iid}"
                    if iid != f"{aid}.{i_pos}":
                        self.problem(iwhere, f"取組の番号は文書の順に {aid}.{i_pos} のはずです")
                    roles = i.get("roles") or {}
                    initiatives.append(
                        Initiative(
                            id=iid,
                            area_id=aid,
                            number=i_pos,
                            name=str(i.get("name") or ""),
                            participants=self.participants(i.get("participants"), iwhere, by_name, order),
                            budget=self.budget(i.get("budget"), iwhere, years),
                            description=i.get("description"),
                            role_kumamoto=roles.get("kumamoto"),
                            role_neighbours=roles.get("neighbours"),
                            cost_sharing=i.get("cost_sharing"),
                            schedule=tuple(i.get("schedule") or ()),
                            subsidies=i.get("subsidies"),
                            effects=i.get("effects"),
                            source_line=i.get("source_line"),
                            lead=self.lead(i.get("lead"), iwhere, by_name, order),
                            predecessor=_text_or_none(i.get("predecessor")),
                        )
                    )
                    if not i.get("name"):
                        self.problem(iwhere, "取組名（name）が空です")
                    lead = initiatives[-1].lead
                    if lead and initiatives[-1].participants and lead not in initiatives[-1].participants:
                        self.problem(
                            iwhere, f"取りまとめ役（lead）{i.get('lead')} が関係市町村（participants）にありません"
                        )
                    init_ids.append(iid)
                areas.append(
                    PolicyArea(
                        id=aid,
                        pillar=pid,
                        number=a_pos,
                        name=str(a.get("name") or ""),
                        subfield=subfield_of_area.get(aid),
                        direction=a.get("direction"),
                        agreement=Agreement(
                            content=ag.get("content"),
                            role_kumamoto=ag.get("role_kumamoto"),
                            role_neighbours=ag.get("role_neighbours"),
                            field_label=ag.get("field_label"),
                        ),
                        initiative_ids=tuple(init_ids),
                        source_line=a.get("source_line"),
                    )
                )
                area_ids.append(aid)
            pillars.append(
                Pillar(
                    id=pid,
                    name=str(raw.get("name")),
                    direction=raw.get("direction"),
                    area_ids=tuple(area_ids),
                    subfield_ids=tuple(s[0] for s in subfields_tmp if s[1] == pid),
                    source_line=raw.get("source_line"),
                )
            )
        known_areas = {a.id for a in areas}
        for sid, _p, _l, _n, ids in subfields_tmp:
            missing = [a for a in ids if a not in known_areas]
            if missing:
                self.problem("plan.yaml", f"小分野 {sid} の政策分野 {', '.join(missing)} がありません")
        subfields = [Subfield(id=s[0], pillar=s[1], letter=s[2], name=s[3], area_ids=s[4]) for s in subfields_tmp]
        for what, listed in (
            ("柱", [str(p.id) for p in pillars]),
            ("政策分野", [a.id for a in areas]),
            ("取組", [i.id for i in initiatives]),
        ):
            for key, c in Counter(listed).items():
                if c > 1:
                    self.problem("pillars/*.yaml", f"{what} {key} が{c}回出てきます（重複）")

        # amendments: members added after the plan (appended in amendment order) and the initiatives they join
        amendments = self.amendments({m.code: m.name for m in munis}, initiatives, memberships, known_areas, years)
        for _addition, muni, membership in self._amendment_members:
            munis.append(muni)
            memberships[muni.code] = membership
            order[muni.code] = len(order)
        initiatives, areas = self.apply_initiative_amendments(initiatives, areas, order)
        for addition, muni, _membership in self._amendment_members:
            if addition.initiatives:
                initiatives = [
                    dataclasses.replace(
                        i, participants=tuple(sorted((*i.participants, muni.code), key=order.__getitem__))
                    )
                    if i.id in addition.initiatives and muni.code not in i.participants
                    else i
                    for i in initiatives
                ]
        nodes = {str(p.id) for p in pillars} | known_areas | {s.id for s in subfields}
        kpis = self.kpis(nodes, order)
        for amendment in amendments:  # revised targets, in amendment order (a later revision wins)
            for rev in amendment.targets_revised:
                if rev.kpi not in {k.id for k in kpis}:
                    self.problem(f"{amendment.file} 目標値の変更", f"KPI {rev.kpi} は計画にありません")
                    continue
                kpis = [
                    dataclasses.replace(
                        k,
                        target=rev.target,
                        target_label=rev.target_label,
                        adopted_target=k.target if k.adopted_target is None else k.adopted_target,
                        adopted_target_label=k.target_label if k.adopted_target is None else k.adopted_target_label,
                    )
                    if k.id == rev.kpi
                    else k
                    for k in kpis
                ]
        if self.problems:
            raise PlanError(self.problems)
        return Plan(
            meta=meta,
            municipalities=tuple(munis),
            pillars=tuple(pillars),
            subfields=tuple(subfields),
            areas=tuple(areas),
            initiatives=tuple(initiatives),
            kpis=tuple(kpis),
            memberships=memberships,
            amendments=tuple(amendments),
        )

    def apply_initiative_amendments(
        self, initiatives: list[Initiative], areas: list[PolicyArea], order: dict[str, int]
    ) -> tuple[list[Initiative], list[PolicyArea]]:
        """The initiatives amendments added (after their area's, in id number order) and the years of those ended."""
        if not self._added_initiatives and not self._ended_initiatives:
            return initiatives, areas
        area_pos = {a.id: n for n, a in enumerate(areas)}
        everything = [
            *initiatives,
            *(
                dataclasses.replace(i, participants=tuple(sorted(i.participants, key=order.__getitem__)))
                for i in self._added_initiatives
            ),
        ]
        everything = [
            dataclasses.replace(
                i, last_fiscal_year=self._ended_initiatives[i.id][0], ended_by=self._ended_initiatives[i.id][1]
            )
            if i.id in self._ended_initiatives
            else i
            for i in everything
        ]
        everything.sort(key=lambda i: (area_pos.get(i.area_id, len(area_pos)), i.number))
        for a_id in area_pos:
            numbers = Counter(i.number for i in everything if i.area_id == a_id)
            for number, c in numbers.items():
                if c > 1:
                    self.problem("amendments/*.yaml", f"取組 {a_id}.{number} が{c}回出てきます（重複）")
        areas = [
            dataclasses.replace(a, initiative_ids=tuple(i.id for i in everything if i.area_id == a.id)) for a in areas
        ]
        return everything, areas

    def kpis(self, nodes: set[str], order: dict[str, int]) -> list[Kpi]:
        rel = "kpis.yaml"
        raw = self.read_yaml(rel) or {}
        out = []
        for k in raw.get("kpis") or []:
            kid = str(k.get("id"))
            where = f"{rel} KPI {kid}"
            node = str(k.get("measures"))
            if node not in nodes:
                self.problem(
                    where, f"測る対象 measures {node!r} は計画に存在しません（柱・政策分野・小分野のいずれか）"
                )
            direction = k.get("direction")
            if direction not in DIRECTIONS:
                self.problem(
                    where, f"direction {direction!r} は increase / decrease / at_least のいずれかにしてください"
                )
            rep = k.get("reporters")
            if rep == "all":
                reporters, rep_all = tuple(order), True
            elif isinstance(rep, list) and rep:
                bad = [str(r) for r in rep if str(r) not in order]
                if bad:
                    self.problem(where, f"報告市町村 {', '.join(bad)} は構成市町村にありません")
                reporters, rep_all = (
                    tuple(sorted((str(r) for r in rep if str(r) in order), key=order.__getitem__)),
                    False,
                )
            else:
                self.problem(where, "reporters は all か市町村コードの一覧にしてください")
                reporters, rep_all = (), False
            try:
                baseline, target = float(k["baseline"]), float(k["target"])
                baseline_year = int(k["baseline_year"])
            except (KeyError, TypeError, ValueError):
                self.problem(where, "baseline・baseline_year・target は数値で指定してください")
                continue
            if direction in ("increase", "decrease") and baseline == target:
                self.problem(where, "現状値と目標値が同じため進捗率を計算できません")
            if not k.get("unit"):
                self.problem(where, "単位（unit）が空です")
            lag = k.get("data_year_lag", 0)
            if not isinstance(lag, int) or isinstance(lag, bool) or lag < 0:
                self.problem(where, "data_year_lag（統計の年の遅れ）は0以上の整数で指定してください")
                lag = 0
            out.append(
                Kpi(
                    id=kid,
                    name=str(k.get("name")),
                    measures=node,
                    unit=str(k.get("unit")),
                    baseline=baseline,
                    baseline_year=baseline_year,
                    target=target,
                    direction=direction,
                    reporters=reporters,
                    reporters_all=rep_all,
                    source=k.get("source"),
                    notes=k.get("notes"),
                    baseline_year_label=_text_or_none(k.get("baseline_year_label")),
                    target_label=_text_or_none(k.get("target_label")),
                    allow_negative=bool(k.get("allow_negative", False)),
                    source_line=k.get("source_line"),
                    data_year_lag=lag,
                    predecessor=_text_or_none(k.get("predecessor")),
                    new_series=bool(k.get("new_series", False)),
                )
            )
        for key, c in Counter(k.id for k in out).items():
            if c > 1:
                self.problem(rel, f"KPI {key} が{c}回出てきます（重複）")
        return out


def _member_on(code: str, day: date, memberships: dict[str, Membership], joined_on: dict[str, date | None]) -> bool:
    """Whether ``code`` belongs to the alliance on ``day`` (joined on or before it, not left by then)."""
    if code in joined_on:
        joined = joined_on[code]
        return joined is None or joined <= day
    ms = memberships.get(code)
    if ms is None:
        return True
    return (ms.joined is None or ms.joined <= day) and (ms.left is None or ms.left > day)


def _text_or_none(value) -> str | None:
    """A label printed as is: YAML may read 2019 as a number; the report prints it as text."""
    return None if value is None else str(value)


def load_plan(plan_dir: Path) -> Plan:
    """Load and check a plan folder; raises PlanError listing every problem."""
    if not plan_dir.is_dir():
        raise PlanError([f"計画フォルダ {plan_dir} がありません"])
    return _Loader(plan_dir).load()

"""First-pass extractor: turns the vision's PDF text extraction into draft plan data.

This is a one-off helper kept for reproducibility and for cross-checking the hand-corrected
data in ``plans/``. It never overwrites the plan: it writes a draft (``--out``) and prints
every spot where the extraction is irregular, so a person can decide it and record the
decision in ``docs/transcription.md``.

Usage: python tools/extract_plan.py SEED.txt --out /tmp/draft.yaml
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

MUNICIPALITY_NAMES = [
    "熊本市",
    "玉名市",
    "山鹿市",
    "菊池市",
    "宇土市",
    "宇城市",
    "阿蘇市",
    "合志市",
    "美里町",
    "玉東町",
    "大津町",
    "菊陽町",
    "高森町",
    "西原村",
    "南阿蘇村",
    "御船町",
    "嘉島町",
    "益城町",
    "甲佐町",
    "山都町",
]
PILLAR_RE = re.compile(
    r"^([123]) (圏域全体の経済成長のけん引|高次の都市機能の集積・強化|圏域全体の生活関連機能サービスの向上)\s*$"
)
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳㉑㉒"
AREA_RE = re.compile(rf"^(?:[{CIRCLED}]|\(\d+\))\s*(.+?)\s*$")
INIT_RE = re.compile(r"^([アイウエオカキ]) (.+?)\s*$")
KANA_INDEX = {k: i + 1 for i, k in enumerate("アイウエオカキ")}
TAG_RE = re.compile(r"</?[A-Za-z][^>]*>")


def squash(label: str) -> str:
    return re.sub(r"[\s\u3000]", "", label)


def clean_text(cell: str) -> str:
    """Turn the HTML-ish cell text of the extraction into plain lines."""
    t = cell.replace("</p>", "\n").replace("<li>", "\n・")
    t = re.sub(r"<ul[^>]*>", "\n", t)
    t = TAG_RE.sub("", t)
    lines = [re.sub(r"[ \t]+", " ", ln).strip() for ln in t.split("\n")]
    return "\n".join(ln for ln in lines if ln)


def to_number(cell: str):
    c = cell.strip().replace(",", "")
    if c == "":
        return None
    if c == "未定":
        return "未定"
    if re.fullmatch(r"-?\d+", c):
        return int(c)
    return cell.strip()


@dataclass
class Anomaly:
    line: int
    where: str
    what: str


@dataclass
class Extractor:
    lines: list[str]
    anomalies: list[Anomaly] = field(default_factory=list)

    def flag(self, line: int, where: str, what: str) -> None:
        self.anomalies.append(Anomaly(line, where, what))

    # -- grid -------------------------------------------------------------
    def parse_grid(self, start: int, where: str) -> tuple[list[str], int]:
        """Parse the two name rows + ○ rows that start at line ``start``."""
        part: list[str] = []
        i = start
        rows: list[tuple[int, list[str]]] = []
        while i < len(self.lines):
            ln = self.lines[i]
            key = squash(ln.split("\t", 1)[0])
            if key and key not in ("関係市町村", "○") and key not in MUNICIPALITY_NAMES:
                break
            rows.append((i, ln.split("\t")))
            i += 1
        # rows alternate: names, marks, names, marks (marks may be missing)
        name_rows = [(n, cells) for n, cells in rows if any(c.strip() in MUNICIPALITY_NAMES for c in cells)]
        for idx, (n, cells) in enumerate(name_rows):
            names = [c.strip() for c in cells if c.strip() in MUNICIPALITY_NAMES]
            expected = MUNICIPALITY_NAMES[idx * 10 : (idx + 1) * 10]
            if names != expected:
                self.flag(n + 1, where, f"name row {idx + 1} reads {names}")
            following = [r for r in rows if r[0] == n + 1]
            if not following or any(c.strip() in MUNICIPALITY_NAMES for c in following[0][1]):
                self.flag(n + 1, where, f"no ○ row after name row {idx + 1}: all empty assumed")
                part.extend("" for _ in expected)
                continue
            mline, mcells = following[0]
            body = mcells
            if mcells and mcells[0].strip() != "":
                self.flag(mline + 1, where, "○ row has no empty label cell; read from the first cell")
            else:
                body = mcells[1:]
            marks = [c.strip() for c in body]
            extra = [c for c in marks[10:] if c]
            if extra:
                self.flag(mline + 1, where, f"○ row has {len(marks)} cells with marks beyond the tenth: {marks}")
            marks = (marks + [""] * 10)[:10]
            for m in marks:
                if m not in ("", "○"):
                    self.flag(mline + 1, where, f"unexpected mark {m!r}")
            part.extend(marks)
        if len(name_rows) != 2:
            self.flag(start + 1, where, f"{len(name_rows)} name rows")
        participants = [MUNICIPALITY_NAMES[k] for k, m in enumerate(part[:20]) if m == "○"]
        return participants, i

    # -- budget -----------------------------------------------------------
    def parse_budget(self, header: tuple[int, str] | None, rows: list[tuple[int, str]], where: str) -> dict:
        """Read the 事業費 table by header position; flag anything that does not line up."""
        years = ["2021", "2022", "2023", "2024", "2025"]
        budget: dict = {y: None for y in years} | {"total": None}
        if header is None:
            self.flag(0, where, "no 事業費 table")
            return budget
        hline, htext = header
        hcells = [c.strip() for c in ("x\t" + htext).split("\t")]
        pos = {c: k for k, c in enumerate(hcells) if c in years or c == "合計"}
        figures: list = []
        positional: dict = {}
        for _n, text in rows:
            cells = [c.strip() for c in text.split("\t")]
            for k, c in enumerate(cells):
                v = to_number(c)
                if isinstance(v, int) or v == "未定":
                    figures.append(v)
                    label = next((lab for lab, p in pos.items() if p == k), None)
                    if label is not None and label not in positional:
                        positional[label] = v
        if not figures:
            self.flag(hline + 1, where, "no budget figures")
            return budget
        for label, v in positional.items():
            budget["total" if label == "合計" else label] = v
        clean = len(figures) == len(positional) and len(pos) == 6
        five = [budget[y] for y in years]
        if all(isinstance(v, int) for v in five) and isinstance(budget["total"], int):
            if sum(five) != budget["total"]:
                clean = False
                self.flag(hline + 1, where, f"sum {sum(five)} != total {budget['total']}")
        if not clean:
            self.flag(
                hline + 1,
                where,
                f"figures do not line up with the header: header={hcells} figures={figures} read={budget}",
            )
        return budget

    # -- initiative ---------------------------------------------------------
    def parse_initiative(self, start: int, end: int, iid: str) -> dict:
        name = INIT_RE.match(self.lines[start]).group(2)
        out: dict = {"id": iid, "name": name, "source_line": start + 1}
        i = start + 1
        while i < end and not self.lines[i].startswith("関係市町村\t"):
            i += 1
        out["participants"], i = self.parse_grid(i, iid)
        fields: dict[str, list[tuple[int, str]]] = {}
        current = None
        for n in range(i, end):
            ln = self.lines[n]
            if not ln.strip():
                continue
            head, _, rest = ln.partition("\t")
            key = squash(head)
            if key.startswith("事業費"):
                key = "事業費"
            if key.startswith("関係市町村の役割"):
                key = "役割分担"
            if key in (
                "事業内容",
                "役割分担",
                "費用負担",
                "経費負担",
                "スケジュール",
                "事業費",
                "国・県補助制度等",
                "効果",
            ):
                current = key
                fields.setdefault(current, []).append((n, rest))
            elif ln.startswith("<p>関係市町村の役割分担</p>"):
                current = "役割分担"
                fields.setdefault(current, []).append((n, ln.replace("<p>関係市町村の役割分担</p>", "")))
                self.flag(n + 1, iid, "役割分担 label inside the cell text")
            elif current is not None:
                fields[current].append((n, ln))
            else:
                self.flag(n + 1, iid, "事業内容 without its label cell: read as 事業内容")
                current = "事業内容"
                fields.setdefault(current, []).append((n, ln))
        text = lambda k: clean_text(" ".join(t for _, t in fields.get(k, [])))  # noqa: E731
        out["description"] = text("事業内容")
        roles = text("役割分担")
        m = re.search(r"<熊本市>(.*?)(?:<近隣(?:市)?町村>(.*))?$", roles.replace("\n", "\u2028"))
        if m:
            out["role_kumamoto"] = (m.group(1) or "").replace("\u2028", "\n").strip()
            out["role_neighbours"] = (m.group(2) or "").replace("\u2028", "\n").strip()
        else:
            out["role_kumamoto"], out["role_neighbours"] = roles, ""
            self.flag(start + 1, iid, "roles without <熊本市>/<近隣市町村> markers")
        out["cost_sharing"] = text("費用負担") or text("経費負担")
        sched = []
        for _n, t in fields.get("スケジュール", []):
            cells = [c.strip() for c in t.split("\t") if c.strip()]
            cells = [c for c in cells if c not in ("具体的な項目", "→") and not re.fullmatch(r"20\d\d", c)]
            sched.extend(cells)
        out["schedule"] = sched
        budget_rows = fields.get("事業費", [])
        subsidy_rows = fields.get("国・県補助制度等", [])
        # figures may have been pushed into the subsidy row
        pushed = [(n, t) for n, t in subsidy_rows if re.fullmatch(r"[\d,\t ]+", t.strip() or "x")]
        if pushed:
            self.flag(pushed[0][0] + 1, iid, "budget figures found in the 国・県補助制度等 row")
        header = budget_rows[0] if budget_rows else None
        out["budget"] = self.parse_budget(header, budget_rows[1:] + pushed, iid)
        out["subsidies"] = clean_text(" ".join(t for n, t in subsidy_rows if (n, t) not in pushed))
        out["effects"] = text("効果")
        return out

    # -- areas ----------------------------------------------------------------
    def parse_agreement(self, start: int, end: int) -> dict:
        out: dict = {"field_label": None}
        for n in range(start, end):
            ln = self.lines[n]
            m = re.match(r"^([ABC]) .*?政策分野(【.+】)", ln)
            if m:
                out["subfield"] = m.group(1)
                out["field_label"] = m.group(2)
            head, _, rest = ln.partition("\t")
            k = squash(head)
            if k == "取組内容":
                out["content"] = clean_text(rest)
            elif k == "熊本市の役割":
                out["role_kumamoto"] = clean_text(rest)
            elif k == "近隣市町村の役割":
                out["role_neighbours"] = clean_text(rest)
        return out

    def parse_directions(self, start: int, end: int) -> tuple[str, list[tuple[int, str, str]]]:
        """(1) 取組の方向性: the pillar's paragraphs, then one table row per policy area."""
        L = self.lines
        head = next(i for i in range(start, end) if L[i].startswith("(1) 取組の方向性"))
        table = next(i for i in range(head, end) if L[i].startswith("項目\t内容"))
        kpi = next(i for i in range(table, end) if L[i].startswith("(2) KPI"))
        intro = "\n".join(ln.strip() for ln in L[head + 1 : table] if ln.strip())
        rows = []
        for n in range(table + 1, kpi):
            ln = L[n]
            if not ln.strip() or ln.lstrip().startswith("《"):
                continue
            cells = [c.strip() for c in ln.split("\t") if c.strip()]
            first = cells[0]
            if len(first) == 1 and first in CIRCLED:
                name, text = cells[1], " ".join(cells[2:])
            else:
                name, text = re.sub(rf"^[{CIRCLED}]\s*", "", first), " ".join(cells[1:])
            rows.append((n, name.strip(), clean_text(text)))
        return intro, rows

    def run(self) -> dict:
        L = self.lines
        chapter = max(i for i, ln in enumerate(L) if ln.startswith("第3章 連携協約に基づき推進する具体的取組"))
        stop = max(i for i, ln in enumerate(L) if ln.startswith("4 進行管理"))
        pillar_starts = [i for i in range(chapter, stop) if PILLAR_RE.match(L[i])]
        pillars = []
        initiatives = []
        for p_idx, ps in enumerate(pillar_starts):
            pe = pillar_starts[p_idx + 1] if p_idx + 1 < len(pillar_starts) else stop
            pnum = p_idx + 1
            concrete = next(i for i in range(ps, pe) if L[i].startswith("(3) 具体的取組"))
            heads = []
            for i in range(concrete + 1, pe):
                if AREA_RE.match(L[i]) and "\t" not in L[i]:
                    nxt = [x for x in L[i + 1 : i + 8] if x.strip()]
                    if nxt and nxt[0].startswith("[連携協約]"):
                        heads.append(i)
            areas = []
            for a_idx, hs in enumerate(heads):
                he = heads[a_idx + 1] if a_idx + 1 < len(heads) else pe
                aid = f"{pnum}.{a_idx + 1}"
                aname = AREA_RE.match(L[hs]).group(1)
                init_heads = [
                    i
                    for i in range(hs, he)
                    if INIT_RE.match(L[i]) and any(x.startswith("関係市町村\t") for x in L[i + 1 : i + 4])
                ]
                first = init_heads[0] if init_heads else he
                area = {"id": aid, "name": aname, "source_line": hs + 1, **self.parse_agreement(hs, first)}
                areas.append(area)
                for k, ih in enumerate(init_heads):
                    ie = init_heads[k + 1] if k + 1 < len(init_heads) else he
                    kana = INIT_RE.match(L[ih]).group(1)
                    if KANA_INDEX[kana] != k + 1:
                        self.flag(ih + 1, aid, f"initiative letter {kana} at position {k + 1}")
                    initiatives.append(self.parse_initiative(ih, ie, f"{aid}.{k + 1}"))
            intro, directions = self.parse_directions(ps, concrete)
            if len(directions) != len(areas):
                self.flag(ps + 1, str(pnum), f"{len(directions)} direction rows for {len(areas)} areas")
            for area, (n, dname, dtext) in zip(areas, directions, strict=False):
                area["direction"] = dtext
                if squash(dname) != squash(area["name"]):
                    self.flag(n + 1, area["id"], f"direction row names {dname!r}, area heading {area['name']!r}")
            pillars.append(
                {
                    "id": str(pnum),
                    "name": PILLAR_RE.match(L[ps]).group(2),
                    "source_line": ps + 1,
                    "direction": intro,
                    "areas": areas,
                }
            )
        return {"pillars": pillars, "initiatives": initiatives}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("seed", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    ex = Extractor(args.seed.read_text(encoding="utf-8").split("\n"))
    draft = ex.run()
    args.out.write_text(yaml.safe_dump(draft, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8")
    n_areas = sum(len(p["areas"]) for p in draft["pillars"])
    print(f"pillars={len(draft['pillars'])} areas={n_areas} initiatives={len(draft['initiatives'])}")
    for a in ex.anomalies:
        print(f"L{a.line}\t{a.where}\t{a.what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The ビジョン懇談会's opinions for a fiscal year: a text file a coordinator puts in inputs/<FY>/.

The file (name from config evaluation.panel_opinions_file, default 懇談会意見.md) is plain text or light Markdown,
typed in any editor: ``#``/``##`` lines are headings (e.g. one per 柱), ``- `` / ``* `` / ``・`` lines are list
items, other lines are paragraphs (a blank line ends one). Read as UTF-8 (with or without BOM) or Shift_JIS (what
Windows Notepad wrote for years). It is archived like every file received, never taken as a submission, and
printed in the region report's 進行管理 chapter and in the 概要版 (docs/interface.md §5).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from vision_report.core.vocabulary import Status
from vision_report.intake.files import Received, decode

HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
ITEM_RE = re.compile(r"^\s*(?:[-*+・•]\s+|・)(.*)$")
NUMBERED_RE = re.compile(r"^\s*(\d{1,3})[.)．）]\s+(.*)$")
RULE_RE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")
COMMENT_RE = re.compile(r"<!--.*?-->", re.S)
INLINE_RE = [
    (re.compile(r"\*\*(.+?)\*\*"), r"\1"),
    (re.compile(r"__(.+?)__"), r"\1"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), r"\1"),
    (re.compile(r"`([^`]*)`"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\(([^)]+)\)"), r"\1（\2）"),
]


@dataclass(frozen=True)
class Block:
    """One printed element: ``kind`` heading (``level`` 1–6), paragraph, item (a bullet) or numbered (``number``)."""

    kind: str
    text: str
    level: int = 0
    number: str = ""


@dataclass(frozen=True)
class PanelOpinions:
    """What the report prints: ``blocks`` (empty when there is no file or it says nothing), the ``file`` name (""
    when none was received) and ``unreadable`` (the file is in neither UTF-8 nor Shift_JIS)."""

    file: str = ""
    blocks: tuple[Block, ...] = ()
    unreadable: bool = False

    @property
    def recorded(self) -> bool:
        return bool(self.blocks)


def _inline(text: str) -> str:
    for rx, repl in INLINE_RE:
        text = rx.sub(repl, text)
    return text.replace("\\", "").strip()


def parse(text: str) -> tuple[Block, ...]:
    """The blocks of the file's text, without Markdown's symbols (headings, bullets, emphasis, rules, comments)."""
    text = COMMENT_RE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    blocks: list[Block] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            blocks.append(Block("paragraph", "\n".join(para)))
            para.clear()

    for raw in text.split("\n"):
        line = raw.rstrip()
        if not line.strip() or RULE_RE.match(line):
            flush()
            continue
        if m := HEADING_RE.match(line.strip()):
            flush()
            if title := _inline(m.group(2)):
                blocks.append(Block("heading", title, level=len(m.group(1))))
            continue
        if m := NUMBERED_RE.match(line):
            flush()
            blocks.append(Block("numbered", _inline(m.group(2)), number=m.group(1)))
            continue
        if m := ITEM_RE.match(line):
            flush()
            if item := _inline(m.group(1)):
                blocks.append(Block("item", item))
            continue
        stripped = _inline(re.sub(r"^\s*>\s?", "", line))
        if raw[:1] in (" ", "\t") and not para and blocks and blocks[-1].kind in ("item", "numbered"):
            last = blocks[-1]  # an indented line under a list item continues it
            blocks[-1] = Block(last.kind, f"{last.text}\n{stripped}", last.level, last.number)
            continue
        if stripped:
            para.append(stripped)
    flush()
    return tuple(blocks)


def read(data: bytes, file: str) -> PanelOpinions:
    decoded = decode(data)
    if decoded is None:
        return PanelOpinions(file=file, unreadable=True)
    return PanelOpinions(file=file, blocks=parse(decoded[0]))


def panel_opinions_of(received) -> PanelOpinions:
    """The opinions among a fiscal year's received files (their archived copy; the newest if several); an empty
    PanelOpinions when none was received."""
    mine: list[Received] = [r for r in received if r.status == Status.PANEL_OPINIONS]
    if not mine:
        return PanelOpinions()
    rec = max(mine, key=lambda r: (r.mtime or 0.0, r.name))
    path: Path = rec.archived_path or rec.path
    return read(path.read_bytes(), rec.name)

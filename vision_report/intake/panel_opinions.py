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

from vision_report.core.textsafe import cut_visible, make_safe, visible_length
from vision_report.core.vocabulary import Status, text_message
from vision_report.intake.files import Received, is_panel_file
from vision_report.intake.reading import decode

DEFAULT_MAX_CHARS = 200_000  # config evaluation.panel_opinions_max_chars
DEFAULT_SUMMARY_CHARS = 3_000  # config evaluation.panel_opinions_summary_chars

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
    # issue 23: what the run says about the file (characters removed, text cut), files that look meant as the
    # panel file under another name (懇談会意見.txt, 懇談会意見 (1).md), the configured name, the 概要版's bound
    notes: tuple[str, ...] = ()
    near_miss: tuple[str, ...] = ()
    expected_name: str = ""
    summary_chars: int = DEFAULT_SUMMARY_CHARS

    @property
    def recorded(self) -> bool:
        return bool(self.blocks)

    def near_miss_message(self) -> str:
        """「懇談会意見 (1).md は名前が 懇談会意見.md と違うため、…」 ("" if none)."""
        return "".join(
            text_message("panel_near_miss", file=f, expected=self.expected_name or "懇談会意見.md")
            for f in self.near_miss
        )

    def excerpt(self, blocks) -> tuple[list[Block], bool]:
        """``blocks`` bounded to ``summary_chars`` visible characters in all (the 概要版's excerpt); and whether cut."""
        out: list[Block] = []
        left = self.summary_chars
        for b in blocks:
            n = visible_length(b.text)
            if n <= left:
                out.append(b)
                left -= n
                continue
            if left > 0 and b.kind != "heading":
                out.append(Block(b.kind, cut_visible(b.text, left) + "…", b.level, b.number))
            return out, True
        return out, False


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


def read(data: bytes, file: str, max_chars: int = DEFAULT_MAX_CHARS) -> PanelOpinions:
    """The file's opinions, its text made safe once (textsafe.make_safe: characters a report cannot carry removed,
    Excel's escapes decoded, line breaks unified, NFC) and bounded to ``max_chars`` visible characters; each change a
    note for the run to print. Never raises on what the file holds."""
    decoded = decode(data)
    if decoded is None:
        return PanelOpinions(file=file, unreadable=True)
    text = decoded[0]
    if len(text) > 4 * max_chars:  # cut before the work of grapheme segmentation on a huge paste
        text = text[: 4 * max_chars]
    safe = make_safe(text)
    notes = []
    if safe.removed:
        notes.append(
            text_message("panel_cleaned", file=file, what=text_message("removed", chars="、".join(safe.removed)))
        )
    if safe.escapes:
        notes.append(
            text_message("panel_cleaned", file=file, what=text_message("escapes", escapes="、".join(safe.escapes)))
        )
    if safe.breaks:
        notes.append(
            text_message("panel_cleaned", file=file, what=text_message("line_breaks", breaks="、".join(safe.breaks)))
        )
    text = safe.text
    total = len(decoded[0]) if len(decoded[0]) > len(text) else visible_length(text)
    if total > max_chars:
        text = cut_visible(text, max_chars)
        notes.append(text_message("panel_cut", file=file, chars=f"{total:,}", limit=f"{max_chars:,}"))
    return PanelOpinions(file=file, blocks=parse(text), notes=tuple(notes))


def panel_opinions_of(
    received,
    name: str | None = None,
    *,
    expected_name: str = "",
    max_chars: int = DEFAULT_MAX_CHARS,
    summary_chars: int = DEFAULT_SUMMARY_CHARS,
) -> PanelOpinions:
    """The coordinator's file among a fiscal year's received files (their archived copy; the newest if several) —
    the one named ``name`` (the panel's opinions, the office's 総括所見) when given; an empty PanelOpinions when none
    was received. Files that look meant as that file under another name are named (``near_miss``) so that the run
    and the report can say 「懇談会意見.md という名前で置いてください」."""
    from dataclasses import replace

    target = name or expected_name
    near = tuple(
        r.name
        for r in received
        if any(i.rule == "panel_file_name" and (not target or i.expected == target) for i in r.issues)
    )
    mine: list[Received] = [
        r for r in received if r.status == Status.PANEL_OPINIONS and (name is None or is_panel_file(r.name, name))
    ]
    if not mine:
        return PanelOpinions(near_miss=near, expected_name=expected_name, summary_chars=summary_chars)
    rec = max(mine, key=lambda r: (r.mtime or 0.0, r.name))
    path: Path = rec.archived_path or rec.path
    found = read(path.read_bytes(), rec.name, max_chars)
    return replace(found, near_miss=near, expected_name=expected_name, summary_chars=summary_chars)


def panel_of(settings, received, name: str | None = None) -> PanelOpinions:
    """:func:`panel_opinions_of` with the bounds of the configuration (``evaluation:``): the panel's opinions, or the
    coordinator's file ``name`` (the 総括所見 file)."""
    ev = settings.evaluation
    name = name or ev.panel_opinions_file
    return panel_opinions_of(
        received,
        name,
        expected_name=name,
        max_chars=ev.panel_opinions_max_chars,
        summary_chars=ev.panel_opinions_summary_chars,
    )

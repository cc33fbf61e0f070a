"""Every text from outside made safe once, at intake (issue 23): cells and headers of submissions, the panel file,
the confirmations file, file names.

:func:`make_safe` returns the text a report, a CSV and a Word file can carry, and what was changed, so that intake
can warn with row and column. Pure functions.

- Excel's escapes ``_xHHHH_`` (what Excel writes for a character XML cannot hold, e.g. ``_x000B_`` for a line
  break typed with Alt+Enter in a cell copied from Word) are decoded; ``_x005F_`` before ``_x`` is Excel's escape
  of a literal ``_x`` and is decoded too.
- Line breaks are unified: CR LF, CR, vertical tab (Alt+Enter in a cell copied from Word), U+2028/U+2029 -> LF.
- Characters XML 1.0 cannot carry are removed: C0 controls except tab and LF (form feed, a page break pasted from
  Word, included), NUL, U+FFFE/U+FFFF, lone surrogates;
  DEL and the C1 controls (never typed on purpose, invisible) are removed too.
- Unicode NFC (a decomposed ガ from a Mac becomes one character; compatibility forms such as 全角 Ａ are kept —
  the clerk's words stay as written).

Lengths count what a person sees: :func:`visible_length` counts extended grapheme clusters (Unicode UAX #29) with the
``regex`` package's ``\\X``. The standard library has no grapheme segmentation (unicodedata lacks the
Grapheme_Cluster_Break property); a small own implementation would have to ship Unicode's break tables to get
emoji ZWJ sequences, regional-indicator flags, Hangul syllables and prepended marks right, so the maintained
implementation is used (``regex`` was already installed as a dependency of Prefect's dependencies).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import regex

_EXCEL_ESCAPE_RE = re.compile(r"_x([0-9A-Fa-f]{4})_")
# characters XML 1.0 cannot carry (tab, LF and CR are handled as text / line breaks before this)
_NOT_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
_BREAKS_RE = re.compile("\r\n|[\r\x0b\u2028\u2029\x85]")
_ODD_BREAKS_RE = re.compile("[\x0b\u2028\u2029\x85]")  # line breaks of Word and Excel, read as LF and said so
_GRAPHEME_RE = regex.compile(r"\X")


@dataclass(frozen=True)
class Safe:
    """A text made safe, and what was changed (empty when nothing was): ``escapes`` the Excel escapes decoded
    (``_x000B_``), ``breaks`` the line breaks of Word and Excel read as LF (``U+000B``), ``removed`` the characters
    removed (``U+FFFE``), ``normalized`` True when NFC changed it."""

    text: str
    escapes: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    normalized: bool = False
    breaks: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.escapes or self.removed or self.normalized or self.breaks)


def codepoint(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def _decode_excel(text: str) -> tuple[str, list[str]]:
    found: list[str] = []

    def repl(m: re.Match) -> str:
        found.append(m.group(0))
        return chr(int(m.group(1), 16)) if not 0xD800 <= int(m.group(1), 16) <= 0xDFFF else ""

    if "_x" not in text:
        return text, found
    return _EXCEL_ESCAPE_RE.sub(repl, text), found


# anything make_safe may change: an Excel escape, a line break other than LF, a character XML cannot carry
_ATTENTION_RE = re.compile("_x|[\r\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff\ud800-\udfff]")


def make_safe(value: object, *, line_breaks: bool = True) -> Safe:
    """``value`` as text a Word file, a CSV and a page can carry (see the module's docstring).

    ``line_breaks=False`` (a header, a file name, an id): line breaks become a space. A text with nothing to change
    (nearly every cell: 3 million at 1,741 submissions) is told so by one search and a NFC check, and the same such
    text gets the same ``Safe``."""
    text = "" if value is None else str(value)
    if (
        not _ATTENTION_RE.search(text)
        and (line_breaks or "\n" not in text)
        and (text.isascii() or unicodedata.is_normalized("NFC", text))
    ):
        return _unchanged(text)
    return _made_safe(text, line_breaks)


@lru_cache(maxsize=65536)
def _unchanged(text: str) -> Safe:
    return Safe(text)


def _made_safe(text: str, line_breaks: bool) -> Safe:
    odd = tuple(dict.fromkeys(codepoint(c) for c in _ODD_BREAKS_RE.findall(text)))
    text, escapes = _decode_excel(text)
    text = _BREAKS_RE.sub("\n", text)
    if not line_breaks:
        text = text.replace("\n", " ")
    removed = sorted({codepoint(c) for c in _NOT_XML_RE.findall(text)})
    if removed:
        text = _NOT_XML_RE.sub("", text)
    nfc = unicodedata.normalize("NFC", text)
    return Safe(nfc, tuple(dict.fromkeys(escapes)), tuple(removed), nfc != text, odd)


def safe_text(value: object, *, line_breaks: bool = True) -> str:
    return make_safe(value, line_breaks=line_breaks).text


def visible_length(text: str) -> int:
    """The characters a person sees (extended grapheme clusters): ガ typed as カ + ゙ is 1, 葛󠄀 with its variation
    selector is 1, a flag is 1."""
    if text.isascii():
        return len(text)
    return len(_GRAPHEME_RE.findall(text))


def cut_visible(text: str, limit: int) -> str:
    """The first ``limit`` visible characters of ``text`` (never splits a character a person sees)."""
    if visible_length(text) <= limit:
        return text
    return "".join(_GRAPHEME_RE.findall(text)[:limit])


def is_xml_safe(text: str) -> bool:
    return not _NOT_XML_RE.search(text) and "\r" not in text

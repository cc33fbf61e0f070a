"""Every word the reports print is defined in templates/ (issue 11 item 7): no Japanese text in the report code.

A coordinator changes headings (templates/report/headings.yaml), table words, notes and captions
(templates/report/phrases.yaml), sentences (templates/report/*.txt.j2) and status words (templates/labels.yaml)
without touching Python. The report code may name Word styles of the style template and parse dates; nothing else.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
# not words a reader sees as text of the report: style names of templates/report_style.docx, the 概要版's file name
# (docs/interface.md §5) and the pattern that reads config report.issued ("2026年7月")
ALLOWED = {"表見出し", "表本文", "注記", "表紙", "_概要版.docx", r"(\d{4})年(\d{1,2})月(?:(\d{1,2})日)?"}


def _literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    rules = _line_breaking_rules(tree)
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and id(node) not in rules
        and JAPANESE.search(node.value)
        and node.value not in ALLOWED
    ]


# Line-breaking rules of the typesetting (docs/report_layout.md): what never breaks (a figure and its unit 「20市町村」,
# 「年度」), what never starts a line (kinsoku) and where a chart title may break. They are patterns over the printed
# text, never printed themselves: module-level names listed here, and the text of every ``re.compile`` call and
# character-range comparison in the report code.
LINE_BREAKING_RULES = {"_UNITS", "_KANA_KANJI", "_KANJI_KATAKANA", "_CLOSING", "_OPENING", "_TITLE_BREAK_AFTER"}


def _line_breaking_rules(tree: ast.AST) -> set[int]:
    roots: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id in LINE_BREAKING_RULES for t in node.targets
        ):
            roots.append(node.value)
        elif isinstance(node, ast.Call) and ast.unparse(node.func) == "re.compile":
            roots.extend(node.args)
        elif isinstance(node, ast.Compare):
            roots.append(node)
    return {id(n) for root in roots for n in ast.walk(root) if isinstance(n, ast.Constant)}


def test_report_code_writes_no_japanese_of_its_own():
    found = {
        f"{p.relative_to(ROOT)}:{line}": text
        for p in sorted((ROOT / "vision_report" / "outputs" / "reports").glob("*.py"))
        for line, text in _literals(p)
    }
    assert found == {}


def test_phrases_are_all_used_and_all_defined():
    """Every key of phrases.yaml is asked for by the code, and every key the code asks for exists."""
    phrases = yaml.safe_load((ROOT / "templates" / "report" / "phrases.yaml").read_text(encoding="utf-8"))
    code = "\n".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "vision_report" / "outputs" / "reports").glob("*.py")
    )
    asked = set(re.findall(r"""phrases?(?:_map)?\(\s*["']([a-z_]+)["']""", code))
    asked |= set(re.findall(r"""P\[["']([a-z_]+)["']\]""", code))
    asked |= set(re.findall(r"""_phrases\((?:[^()]|\([^()]*\))*\)\[["']([a-z_]+)["']\]""", code))
    asked |= set(re.findall(r"""["']([a-z_]+)["'] if inline else ["']([a-z_]+)["']""", code)[0])
    assert asked - set(phrases) == set()
    named = {k for k in phrases if f'"{k}"' in code}  # also keys passed along in a variable (kpi_line's label_key)
    assert set(phrases) - asked - named == set()

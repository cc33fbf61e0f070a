"""The layout is the architecture (docs/architecture.md): stages import only the stages below them.

The import graph is read from the source (every ``import`` and ``from … import``, at module level or inside a
function), so a lazy import cannot hide a wrong direction.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# bottom to top; a module may import its own layer and the layers below it, never one above
LAYERS: list[tuple[str, ...]] = [
    ("vision_report.core",),
    ("vision_report.plan",),
    ("vision_report.intake",),
    ("vision_report.screening",),
    ("vision_report.compute",),
    ("vision_report.outputs",),
    ("vision_report.pipeline",),  # the one composition of the stages for a year
    ("vision_report.operations", "vision_report.portal"),
    ("vision_report.cli", "flows"),
]

# narrower rules than the layers: (importer prefix, forbidden import pattern, why)
FORBIDDEN: list[tuple[str, str, str]] = [
    # rendering must not load the screening step (and with it Great Expectations)
    (
        "vision_report.outputs.reports",
        r"vision_report\.screening\.(screen|validation)\b",
        "reports render what they are given",
    ),
    # the settings and the words know nothing of each other: the project root is passed (``root=``) or found by
    # core.paths.find_root, never handed from one module to the other
    ("vision_report.core.vocabulary", r"vision_report\.core\.config\b", "no cycle between settings and words"),
    ("vision_report.core.config", r"vision_report\.core\.vocabulary\b", "no cycle between settings and words"),
    # compute returns codes and numbers; outputs choose the words (outputs/words.py). Every function of the
    # vocabulary gives words (status_label, hold_label, labels, located_message, basis_note, text_message …): compute
    # may use its codes only (Status, Severity … — the names that are not lower case)
    (
        "vision_report.compute",
        r"vision_report\.core\.vocabulary\.[a-z_]\w*$",
        "compute returns codes",
    ),
]

# known offenders still to move, each with the reason; the test fails when one is fixed, so the list cannot rot
KNOWN: dict[str, str] = {}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def sources() -> dict[str, Path]:
    files = [*(ROOT / "vision_report").rglob("*.py"), *(ROOT / "flows").rglob("*.py")]
    return {module_name(p): p for p in sorted(files)}


def imports_of(name: str, path: Path) -> set[str]:
    is_pkg = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_pkg else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join([*base, *([node.module] if node.module else [])])
            else:
                mod = node.module or ""
            found.add(mod)
            found.update(f"{mod}.{a.name}" for a in node.names)  # `from pkg import module`
    return {m for m in found if m.split(".")[0] in ("vision_report", "flows")}


def layer_of(module: str) -> int | None:
    for i, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return i
    return None


GRAPH = {name: imports_of(name, path) for name, path in sources().items()}


def test_every_module_has_a_layer():
    unplaced = [m for m in GRAPH if m != "vision_report" and layer_of(m) is None]
    assert unplaced == [], f"modules outside every layer (add them to a stage package): {unplaced}"


def test_the_checker_sees_a_wrong_direction(tmp_path):
    """A module of compute that imports outputs is found (a test that cannot fail is no test)."""
    fake = tmp_path / "tables.py"
    fake.write_text("def f():\n    from ..outputs.reports import region\n", encoding="utf-8")
    found = imports_of("vision_report.compute.tables", fake)
    assert "vision_report.outputs.reports.region" in found
    assert layer_of("vision_report.outputs.reports.region") > layer_of("vision_report.compute.tables")  # type: ignore[operator]


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_go_one_way(module):
    mine = layer_of(module)
    if mine is None:
        return
    upward = sorted(m for m in GRAPH[module] if (theirs := layer_of(m)) is not None and theirs > mine and m in GRAPH)
    assert upward == [], f"{module} imports a stage above it: {upward}"


@pytest.mark.parametrize(("importer", "forbidden", "why"), FORBIDDEN)
def test_narrower_rules(importer, forbidden, why):
    offenders = sorted(
        f"{m} → {i}"
        for m, imported in GRAPH.items()
        if m == importer or m.startswith(importer + ".")
        for i in imported
        if re.match(forbidden, i)
    )
    assert [o for o in offenders if o not in KNOWN] == [], why
    assert [k for k in KNOWN if k.startswith(importer) and re.match(forbidden, k.split(" → ")[1])] == [
        o for o in offenders if o in KNOWN
    ], "a known offender is gone: take it off KNOWN"


# ---------------------------------------------------------------------------------- compute writes no Japanese

JAPANESE = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")  # kana, kanji, full-width


def japanese_literals(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every string literal with Japanese characters in one module, docstrings aside (f-strings'
    parts included): the words users read are chosen by outputs from templates/, never written by compute."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return sorted(
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and JAPANESE.search(node.value)
    )


def test_compute_writes_no_japanese():
    found = {
        p.relative_to(ROOT).as_posix(): hits
        for p in sorted((ROOT / "vision_report" / "compute").rglob("*.py"))
        if (hits := japanese_literals(p))
    }
    assert found == {}, "compute returns codes and numbers: put the words in templates/ and word them in outputs/"


def test_the_japanese_check_can_fail(tmp_path):
    """A Japanese word in a string, an f-string or a dict is found; docstrings and comments are not."""
    fake = tmp_path / "tables.py"
    fake.write_text(
        '''"""達成率を計算する（docstring: allowed)."""

# 達成 (a comment: allowed)
ACHIEVED = "達成"


def reason(n):
    """暫定の理由 (docstring: allowed)."""
    return f"暫定: {n}市町村", {"done": "完了", "code": "provisional"}
''',
        encoding="utf-8",
    )
    assert japanese_literals(fake) == [(4, "達成"), (9, "完了"), (9, "市町村"), (9, "暫定: ")]


def test_compute_may_not_import_the_words():
    """The compute rule catches every word-producing function of the vocabulary, and lets its codes through."""
    (pattern,) = [f for i, f, _why in FORBIDDEN if i == "vision_report.compute"]
    for name in ("hold_label", "status_label", "labels", "located_message", "basis_note", "text_message", "synthetic"):
        assert re.match(pattern, f"vision_report.core.vocabulary.{name}"), name
    for name in ("Status", "Severity", "NOT_SUBMISSIONS"):
        assert not re.match(pattern, f"vision_report.core.vocabulary.{name}"), name


SIZE_LIMIT = 550  # "about 500 lines" (issue 22): a module above this says at its top why it is one module
SIZE_REASON = re.compile(r"Why one (module|script)")


def long_modules_without_reason(root: Path) -> list[str]:
    out = []
    for folder in ("vision_report", "flows", "samples", "tools", "bench"):
        for path in sorted((root / folder).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            if text.count("\n") <= SIZE_LIMIT:
                continue
            doc = ast.get_docstring(ast.parse(text)) or ""
            if not SIZE_REASON.search(doc):
                out.append(f"{path.relative_to(root).as_posix()}: {text.count(chr(10))} lines")
    return out


def test_long_modules_say_why_they_are_one_module():
    assert long_modules_without_reason(ROOT) == []


def test_the_size_check_finds_a_long_module_without_a_reason(tmp_path):
    (tmp_path / "vision_report").mkdir()
    body = "x = 1\n" * (SIZE_LIMIT + 1)
    (tmp_path / "vision_report" / "long.py").write_text('"""A long module."""\n' + body, encoding="utf-8")
    (tmp_path / "vision_report" / "said.py").write_text(
        '"""A long module.\n\nWhy one module: one table, one reader."""\n' + body, encoding="utf-8"
    )
    (tmp_path / "vision_report" / "short.py").write_text('"""Short."""\nx = 1\n', encoding="utf-8")
    assert long_modules_without_reason(tmp_path) == [f"vision_report/long.py: {SIZE_LIMIT + 2} lines"]


def module_state_writers(root: Path) -> list[str]:
    """Functions that rebind a module-level name (``global``): a project, a cache or a switch one module keeps
    for all the others."""
    out = []
    for path in sorted((root / "vision_report").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Global):
                out.append(f"{path.relative_to(root).as_posix()}:{node.lineno} global {', '.join(node.names)}")
    return out


def test_no_module_keeps_a_project_or_a_switch_for_the_others():
    """Issue 22: vocabulary kept the project config.load_settings gave it (``_active_root``). The root is now
    passed or found (core.paths.find_root: $VISION_REPORT_HOME, which ``--root`` sets for its process)."""
    assert module_state_writers(ROOT) == []


def test_the_global_check_can_fail(tmp_path):
    (tmp_path / "vision_report").mkdir()
    (tmp_path / "vision_report" / "words.py").write_text(
        "_root = None\n\n\ndef use(root):\n    global _root\n    _root = root\n", encoding="utf-8"
    )
    assert module_state_writers(tmp_path) == ["vision_report/words.py:5 global _root"]

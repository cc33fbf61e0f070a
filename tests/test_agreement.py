"""Documentation, configuration and code agree (the sqlite-utils test_docs.py idea)."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SUITES = sorted((ROOT / "expectations").glob("*.json"))


def _subcommands() -> set[str]:
    import argparse

    from vision_report.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return set(sub.choices)


def test_every_subcommand_is_in_the_readme_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `vision-report ([a-z-]+)", readme, flags=re.MULTILINE))
    documented |= {
        m
        for line in re.findall(r"^\| `vision-report [^|]*\|", readme, flags=re.MULTILINE)
        for m in re.findall(r"`vision-report ([a-z-]+)", line)
    }
    assert _subcommands() == documented, _subcommands() ^ documented


def _rules() -> dict[str, str]:
    """rule -> severity (critical / warning) of every expectation in expectations/*.json."""
    out = {}
    for path in SUITES:
        for e in json.loads(path.read_text(encoding="utf-8"))["expectations"]:
            out[e["meta"]["rule"]] = e.get("severity", "critical")
    return out


# rules no file can break under the shipped plan (it has no amendment that adds or ends an initiative): their broken
# fixture is a submission checked against a plan amended for the test, in the test named here
AMENDED_PLAN_FIXTURES = {
    "initiative_ended": ("test_planbook.py", "test_a_row_for_an_ended_initiative_is_refused"),
    "initiative_not_started": ("test_planbook.py", "test_a_row_for_an_initiative_not_yet_started_is_refused"),
}


def test_every_expectation_rule_has_a_broken_fixture_of_its_own():
    from test_validation import EXPECTED

    fixture_rules = {rule for _status, rule in EXPECTED.values()}
    for rule, (module, test) in AMENDED_PLAN_FIXTURES.items():
        assert f"def {test}(" in (ROOT / "tests" / module).read_text(encoding="utf-8"), (rule, module, test)
        fixture_rules.add(rule)
    missing = set(_rules()) - fixture_rules
    assert not missing, f"rules without a fixture in tests/fixtures/submissions/bad: {sorted(missing)}"
    for name, (status, rule) in EXPECTED.items():
        if rule in _rules():
            want = "rejected" if _rules()[rule] == "critical" else "accepted_with_warnings"
            assert status == want, (name, rule)


def _placeholders(text: str) -> set[str]:
    return {f for _lit, f, _spec, _conv in string.Formatter().parse(text) if f}


def test_every_placeholder_in_a_message_names_a_prepared_column():
    from vision_report.core.config import load_settings
    from vision_report.intake.files import RAW_ROW_COLUMNS
    from vision_report.plan import load_plan
    from vision_report.screening.issues import _row_fields
    from vision_report.screening.prepare import coverage, prepare_rows, suite_parameters
    from vision_report.screening.screen import units_of

    settings = load_settings(ROOT)
    plan = load_plan(settings.plan_dir_for(2024))
    prepared = prepare_rows(pd.DataFrame(columns=RAW_ROW_COLUMNS), plan, 2024, units_of(settings))
    files = pd.DataFrame({"file_id": pd.Series(dtype=int), "file": [], "municipality_code": []})
    cov = coverage(prepared, files, plan, 2024)
    params = {k for k, v in suite_parameters(plan, 2024, settings.validation).items() if not isinstance(v, list)}
    derived = set(_row_fields({}, 2024))
    columns = {"submission_rows": set(prepared.columns), "submission_coverage": set(cov.columns)}
    for path in SUITES:
        suite = json.loads(path.read_text(encoding="utf-8"))
        for e in suite["expectations"]:
            meta = e["meta"]
            # an aggregate (one issue per file) has the count and items, and its first row's values (review 4 #2)
            known = columns[path.stem] | derived | params | ({"count", "items"} if meta.get("aggregate") else set())
            for key in ("message_ja", "expected_ja", "column_ja"):
                unknown = _placeholders(str(meta.get(key) or "")) - known
                assert not unknown, (path.name, meta["rule"], key, unknown)
            if meta.get("value_column"):
                assert meta["value_column"] in known, (path.name, meta["rule"], meta["value_column"])

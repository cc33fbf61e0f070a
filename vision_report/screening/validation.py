"""Validation of submissions with Great Expectations 1.x.

The rules are the suites stored as JSON in ``expectations/`` (reviewed like code). All submissions of a
year are validated in ONE batch per suite; failing rows are mapped back to file, row and column through
the ``row_key`` column (``unexpected_index_column_names``). ``severity`` critical = error (the file is
refused whole), warning = warning. Messages for people come from each expectation's ``meta`` (Japanese: issues.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from vision_report.screening.gx_indices import indices_read_by_column


@dataclass(frozen=True)
class Finding:
    """One failing row of one expectation."""

    suite: str
    rule: str
    severity: str
    row_key: str


def _quiet_gx() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.ERROR)


def load_suite_json(expectations_dir: Path, name: str) -> dict:
    return json.loads((expectations_dir / f"{name}.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _context():
    _quiet_gx()
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    _keep_results_as_objects(ctx.validation_results_store)
    return ctx


def _keep_results_as_objects(store) -> None:
    """The context's results store (in memory: an ephemeral context) keeps each validation result as the object GX
    made. GX writes every result it stores as JSON text (``to_json_dict``, then ``json.dumps`` indented with sorted
    keys) and parses the text again when the Data Docs read it: at 1,741 submissions 11 s of the 31 s of validating,
    and more in the Data Docs (bench/results.md 2026-12-04 14:12). Nothing changes a stored result (``validate``
    reads it, the Data Docs render it, ``_forget`` drops it), and the Data Docs rendered from the object are the
    pages rendered from its JSON (tests/test_validation.py compares both). A dict or a text stored by other means
    is still read by GX's own ``deserialize``."""
    load = store.deserialize
    store.serialize = lambda value: value
    store.deserialize = lambda value: load(value) if isinstance(value, (dict, str)) else _as_read_back(value)


def _as_read_back(result):
    """A stored validation result with each failing row's dict (``unexpected_index_list``) in the key order a result
    read back from GX's JSON has (sorted: ``json.dumps(sort_keys=True)``). GX's Data Docs name a multi-column
    expectation's values in the order of a ``set`` of those keys, and a set made from the same keys inserted in
    another order may iterate in another order: the page of a duplicated row (``file_id``, ``kind``, ``item_id``)
    showed its values in another order now and then. Sorted, the pages are those of GX's own store."""
    for r in getattr(result, "results", None) or []:
        details = r.result if isinstance(getattr(r, "result", None), dict) else {}
        for name in ("unexpected_index_list", "partial_unexpected_index_list"):
            rows = details.get(name)
            if isinstance(rows, list) and rows and isinstance(rows[0], dict):
                details[name] = [dict(sorted(row.items())) if isinstance(row, dict) else row for row in rows]
    return result


def run_suite(
    expectations_dir: Path, name: str, df: pd.DataFrame, parameters: dict, docs_dir: Path | None = None
) -> tuple[list[Finding], dict]:
    """Validate ``df`` (must have a unique ``row_key`` column) against suite ``name``; with ``docs_dir``, write the
    Data Docs of this validation there. Several suites with one set of Data Docs: ``validate`` within
    ``data_docs``."""
    with data_docs(docs_dir):
        return validate(expectations_dir, name, df, parameters)


# The validations of the enclosing ``data_docs`` block (their result ids), or None outside one.
_VALIDATED: ContextVar[list[Any] | None] = ContextVar("gx_validated", default=None)


@contextmanager
def data_docs(docs_dir: Path | None) -> Iterator[None]:
    """The suites validated (``validate``) within the block get one set of Data Docs in ``docs_dir`` (if given),
    written when the block ends without an error: the pages of each validation and of its suite, and one index.
    Whether or not it ends with an error, their results then leave the GX context.

    GX keeps every validation result in its context's store: a long-running process (the portal, ``watch``) would
    hold two more for every file it screens. Writing the Data Docs once for a year's two suites, rather than once
    per suite (GX's UpdateDataDocsAction), renders the index and its templates once (bench/results.md 2026-12-04).
    A folder is meant for one block: GX's index drops the validation pages whose results are no longer in the
    context, so a second block writing into the same folder leaves only its own validations there (each run of the
    pipeline writes into a new staging folder).
    """
    validated: list[Any] = []
    token = _VALIDATED.set(validated)
    try:
        yield
        if docs_dir is not None and validated:
            _write_data_docs(docs_dir, validated)
    finally:
        _VALIDATED.reset(token)
        _forget(validated)


def _write_data_docs(docs_dir: Path, validated: list[Any]) -> None:
    """The pages of the validations ``validated`` (result ids) and of their suites, and the index, in ``docs_dir``:
    what GX's UpdateDataDocsAction writes for one validation, here for all of them at once."""
    ctx = _context()
    site = _docs_site(ctx, docs_dir)
    ids: list[Any] = []
    for result_id in validated:
        ids += [result_id, result_id.expectation_suite_identifier]
    ctx.build_data_docs(site_names=[site], resource_identifiers=ids, dry_run=False, build_index=True)


def _forget(validated: list[Any]) -> None:
    store = _context().validation_results_store
    for result_id in validated:
        if store.has_key(result_id):
            store.remove_key(result_id)


def validate(expectations_dir: Path, name: str, df: pd.DataFrame, parameters: dict) -> tuple[list[Finding], dict]:
    """Validate ``df`` (must have a unique ``row_key`` column) against suite ``name``: the failing rows, and GX's
    summary (success and statistics). Within ``data_docs``, the validation gets its Data Docs when the block ends;
    outside one, its result leaves the GX context at once."""
    doc = load_suite_json(expectations_dir, name)
    if df.empty:
        return [], {"success": True, "statistics": {"evaluated_expectations": 0}}
    checkpoint = _checkpoint(name, doc)
    batch = html_safe(df[_columns_read(doc, list(df.columns))])
    with _configurations_kept(), indices_read_by_column():
        run = checkpoint.run(batch_parameters={"dataframe": batch}, expectation_parameters=parameters)
    validated = list(run.run_results)
    collecting = _VALIDATED.get()
    if collecting is None:
        _forget(validated)
    else:
        collecting.extend(validated)
    result = next(iter(run.run_results.values()))
    findings: list[Finding] = []
    for r in result.results:
        cfg = r.expectation_config
        if r.exception_info and r.exception_info.get("raised_exception"):
            raise RuntimeError(
                f"GX expectation {cfg.type} ({cfg.meta.get('rule')}) failed to run: "
                f"{r.exception_info.get('exception_message')}"
            )
        if r.success:
            continue
        sev = getattr(cfg.severity, "value", cfg.severity) or "critical"
        for item in r.result.get("unexpected_index_list") or []:
            key = item["row_key"] if isinstance(item, dict) else item
            findings.append(Finding(name, cfg.meta["rule"], sev, str(key)))
    # GX's success and counts, the shape of an empty batch's (``describe_dict`` would render every result's details
    # again, unexpected rows included: 1.3 s at 1,741 submissions, read by nobody)
    return findings, {"success": bool(result.success), "statistics": dict(result.statistics)}


# Expectation.configuration kept per expectation object while one validation runs (see _configurations_kept);
# None outside a validation. A context variable: a thread or task that did not enter the block is not affected.
_CONFIGURATIONS: ContextVar[dict[int, tuple[Any, tuple, Any]] | None] = ContextVar("gx_configurations", default=None)


@contextmanager
def _configurations_kept() -> Iterator[None]:
    """Within the block, each GX expectation object builds its ``configuration`` once rather than on every read.

    GX 1.x derives ``Expectation.configuration`` anew on every read (a pydantic ``dict()`` of every field, nested
    row conditions included), and validating one expectation reads it about 66 times (each domain, success and
    runtime kwarg looks it up again): 4,104 reads for the 64 expectations of one file, about half of the time of
    screening a small file (bench/results.md 2026-12-04). Within the block a read returns the configuration built
    for that object as long as none of its fields was reassigned since (every field value is kept and compared by
    identity; a value changed in place, e.g. ``exp.meta["k"] = v``, is not noticed) and the configuration itself
    was not given its suite parameters. That last case is GX's one change of a configuration it read: a validation
    reads the configurations of the suite's own expectations and fills in their ``$PARAMETER`` values in place
    (``process_suite_parameters``); a later read builds a new one, with the ``$PARAMETER`` values again, as GX
    would. The other reads are of GX's per-validation copies (``to_domain_obj`` of a deep copy), which GX changes
    only by assigning a field. The memo ends with the block; outside it, reads are GX's own. The block is one
    ``checkpoint.run``: GX 1.x internals are assumed (pyproject pins the major version), and the tests compare
    every fixture's outcome with and without the memo.
    """
    _keep_configurations_installed()
    token = _CONFIGURATIONS.set({})
    try:
        yield
    finally:
        _CONFIGURATIONS.reset(token)


@lru_cache(maxsize=1)
def _keep_configurations_installed() -> None:
    """Wrap ``Expectation.configuration`` once per process so that it reads the memo of ``_configurations_kept``."""
    from great_expectations.expectations.expectation import Expectation

    built = Expectation.__dict__["configuration"].fget

    def configuration(self):
        memo = _CONFIGURATIONS.get()
        if memo is None:
            return built(self)
        fields = tuple(self.__dict__.values())
        kept = memo.get(id(self))  # the memo holds the object itself: its id is not reused while it is kept
        if (
            kept is None
            or len(kept[1]) != len(fields)
            or any(a is not b for a, b in zip(kept[1], fields, strict=True))
            or getattr(kept[2], "_raw_kwargs", None) is not None  # given its suite parameters since
        ):
            kept = (self, fields, _built(built, self))
            memo[id(self)] = kept
        return kept[2]

    configuration.__doc__ = built.__doc__
    Expectation.configuration = property(configuration)  # type: ignore[method-assign,assignment]


_LONG = 64  # items: a field holding this many plain values is copied whole, not value by value (see _built)
_PLAIN = frozenset((str, int, float, bool, type(None)))
_COLLECTIONS = (list, tuple, set, frozenset)


class _Placeholder:
    """Stands in for a long field while pydantic copies the others (compares equal to nothing but itself)."""


def _built(built, expectation):
    """``built(expectation)`` (GX's ``configuration``: a pydantic ``dict()`` of the fields) with each long list, tuple
    or set of plain values copied in one step. pydantic copies a collection value by value, with a dozen type checks
    each: the value sets of the participation and reporting keys hold a few thousand keys at 1,741 members, and each
    configuration GX builds from a per-validation copy cost 8 ms (4 s of validating a year, bench/results.md
    2026-12-04). The copy pydantic makes of such a field is the same collection type with the same values in the
    same order: ``type(v)(v)``. The field is back in place before this returns."""
    fields = expectation.__dict__
    long = {
        name: value
        for name, value in fields.items()
        if type(value) in _COLLECTIONS and len(value) >= _LONG and set(map(type, value)) <= _PLAIN
    }
    if not long:
        return built(expectation)
    placeholders = {name: _Placeholder() for name in long}
    try:
        fields.update(placeholders)
        made = built(expectation)
    finally:
        fields.update(long)
    kwargs = made.kwargs
    for name, value in long.items():
        if kwargs.get(name) is placeholders[name]:
            kwargs[name] = type(value)(value)
        else:  # not where GX puts a field: GX's own copy
            return built(expectation)
    return made


# Expectations that read only the columns their kwargs name (``column``, ``column_list``, the columns of a
# ``row_condition``): the batch can leave every other column out. A suite with any other kind (e.g. a table-level
# expectation on the set of columns) is validated on the whole frame.
_COLUMN_SCOPED = (
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_between",
    "expect_compound_columns_to_be_unique",
)


def _columns_read(doc: dict, available: list[str]) -> list[str]:
    """The columns of ``available`` that the suite ``doc`` reads, in ``available``'s order, ``row_key`` included
    (the findings are mapped back through it); all of them if the suite has an expectation not known to be scoped
    to the columns it names, or a row condition whose columns cannot be named (``_condition_columns``).

    GX filters the whole batch for every expectation with a row condition (``DataFrame.query``, whose cost grows
    with the number of columns as much as with the rows): the prepared rows carry 67 columns and submission_rows
    reads 30, and leaving the others out takes a fifth off validating a year of the samples (0.70 -> 0.56 s,
    bench/results.md 2026-12-04). The outcome is the same: an expectation sees the same values of the same rows."""
    named: set[str] = {"row_key"}
    for e in doc.get("expectations", []):
        kwargs = e.get("kwargs", {})
        in_condition = _condition_columns(kwargs.get("row_condition"))
        if e.get("type") not in _COLUMN_SCOPED or in_condition is None:
            return available
        named |= in_condition
        column, column_list = kwargs.get("column"), kwargs.get("column_list") or []
        named.update(c for c in [column, *column_list] if isinstance(c, str))
    return [c for c in available if c in named]


def _condition_columns(condition: object) -> set[str] | None:
    """The columns a row condition compares: none without a condition; those of comparisons of a named column,
    joined by "and" / "or"; None for any other condition (a pandas query string, a pass-through filter), whose
    suite gets the whole frame."""
    if condition is None:
        return set()
    if not isinstance(condition, dict):
        return None
    if condition.get("type") == "comparison":
        column = condition.get("column")
        name = column.get("name") if isinstance(column, dict) else None
        return {name} if isinstance(name, str) else None
    parts = condition.get("conditions")
    if condition.get("type") not in ("and", "or") or not isinstance(parts, list):
        return None
    columns: set[str] = set()
    for part in parts:
        named = _condition_columns(part)
        if named is None:
            return None
        columns |= named
    return columns


# What is registered in the GX context, kept so that a run registers each suite once: the registration (suite,
# batch definition, validation definition, checkpoint) costs about as much as validating a small file, and most of
# it is GX comparing the suite with the one it holds. A run validates the same two suites for every year.
# suite name -> (its JSON, the checkpoint registered for it; as in GX's context, only the latest JSON's)
_REGISTERED: dict[str, tuple[str, Any]] = {}


def _checkpoint(name: str, doc: dict):
    """The checkpoint that validates a whole DataFrame against suite ``name`` (``doc``); registered on first use
    and again when the suite's JSON changed. It has no actions: ``data_docs`` writes the Data Docs."""
    import great_expectations as gx

    text = json.dumps(doc, sort_keys=True, ensure_ascii=False)
    last = _REGISTERED.get(name)
    if last is not None and last[0] == text:
        return last[1]
    _REGISTERED.pop(name, None)  # not kept if registering fails: GX may hold the new suite already
    ctx = _context()
    checkpoint = ctx.checkpoints.add_or_update(
        gx.Checkpoint(
            name=f"{name}_checkpoint",
            validation_definitions=[_define(name, text)],
            actions=[],
            result_format={
                "result_format": "COMPLETE",
                "unexpected_index_column_names": ["row_key"],
                "return_unexpected_index_query": False,
            },
        )
    )
    _REGISTERED[name] = (text, checkpoint)
    return checkpoint


def _define(name: str, text: str):
    """Register suite ``name`` (its JSON ``text``) and the validation definition of a whole DataFrame against it.
    GX gets a suite of its own, read from ``text``: it adds to the dicts it is given (e.g. each expectation's id)."""
    import great_expectations as gx
    from great_expectations.core import ExpectationSuite

    ctx = _context()
    suite = ctx.suites.add_or_update(ExpectationSuite(**json.loads(text)))
    ds_name = "submissions"
    try:
        ds = ctx.data_sources.get(ds_name)
    except (KeyError, ValueError, gx.exceptions.DataContextError):
        ds = ctx.data_sources.add_pandas(ds_name)
    asset_name = f"{name}_rows"
    try:
        asset = ds.get_asset(asset_name)
    except (LookupError, ValueError, gx.exceptions.DataContextError):
        asset = ds.add_dataframe_asset(asset_name)
    try:
        batch_def = asset.get_batch_definition("whole")
    except (KeyError, ValueError, gx.exceptions.DataContextError):
        batch_def = asset.add_batch_definition_whole_dataframe("whole")
    vd = gx.ValidationDefinition(name=f"{name}_validation", data=batch_def, suite=suite)
    return ctx.validation_definitions.add_or_update(vd)


def html_safe(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every text cell HTML-escaped (``<script>`` -> ``&lt;script&gt;``), as Great Expectations sees it.

    GX's Data Docs print the unexpected values of a validation into HTML without escaping them (issue 23): a value
    a clerk sent must never become live markup in the data_docs/ a run publishes. Escaping is one-to-one, so every
    expectation fails on the same rows as on the values themselves (no list of the suites holds ``<>&"'``); findings
    are mapped back through ``row_key`` (digits and ``:``, unchanged) and messages are built from the unescaped rows.
    """
    import html

    out = df.copy()
    for c in out.columns:
        column = out[c]
        if not (column.dtype == object or pd.api.types.is_string_dtype(column)):
            continue
        # the distinct texts that change (most columns hold none: ids, figures, statuses), escaped once each
        marked = {v: html.escape(v, quote=True) for v in pd.unique(column) if isinstance(v, str) and _MARKUP.search(v)}
        if marked:
            out[c] = pd.Series(
                [marked.get(v, v) if isinstance(v, str) else v for v in column], index=out.index, dtype=column.dtype
            )
    return out


_MARKUP = re.compile("[&<>\"']")  # what html.escape(quote=True) changes


def _docs_site(ctx, docs_dir: Path) -> str:
    """A Data Docs site writing static HTML into ``docs_dir`` (one per folder, added once)."""
    site_name = "run_" + hashlib.sha256(str(docs_dir.resolve()).encode()).hexdigest()[:12]
    sites = ctx.get_config().data_docs_sites or {}
    if site_name not in sites:
        docs_dir.mkdir(parents=True, exist_ok=True)
        ctx.add_data_docs_site(
            site_name=site_name,
            site_config={
                "class_name": "SiteBuilder",
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            },
        )
    return site_name

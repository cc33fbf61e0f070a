"""The failing rows of an expectation, as GX 1.x lists them (``unexpected_index_list``), read a column at a time.

GX's pandas engine lists each failing row by looking up every value it names one cell at a time: for each row and
each column of the expectation's domain, ``DataFrame.at`` and a check that the ``unexpected_index_column_names``
exist in the batch (``compute_unexpected_pandas_indices``). At 1,741 submissions a year has 121,916 failing rows:
8 of the 17 s of validating (bench/results.md 2026-12-04). Within ``indices_read_by_column`` the same list is made
from each column's values read once, after the same check made once. Only GX's own case of named columns on an
unnamed, unique index with the values kept is taken (what ``validation`` asks for); any other case is GX's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

_ON: ContextVar[bool] = ContextVar("gx_indices_by_column", default=False)

# GX's message for an index column the batch does not have (great_expectations/expectations/metrics/util.py)
_MISSING = (
    'Error: The unexpected_index_column "{column_name:s}" does not exist in Dataframe. Please check your '
    "configuration and try again."
)


@contextmanager
def indices_read_by_column() -> Iterator[None]:
    """Within the block (one ``checkpoint.run``), GX lists failing rows with :func:`unexpected_index_list`."""
    _installed()
    token = _ON.set(True)
    try:
        yield
    finally:
        _ON.reset(token)


@lru_cache(maxsize=1)
def _installed() -> None:
    """Route GX's map-expectation index listing through :func:`_listing` once per process (GX 1.x internals: the
    name its module imported; pyproject pins the major version)."""
    from great_expectations.expectations.metrics.map_metric_provider import map_condition_auxilliary_methods as m

    gx_own = m.compute_unexpected_pandas_indices

    def listing(domain_records_df, expectation_domain_column_list, result_format, execution_engine, metrics):
        if _ON.get():
            mine = unexpected_index_list(domain_records_df, expectation_domain_column_list, result_format, metrics)
            if mine is not None:
                return mine
        return gx_own(
            domain_records_df=domain_records_df,
            expectation_domain_column_list=expectation_domain_column_list,
            result_format=result_format,
            execution_engine=execution_engine,
            metrics=metrics,
        )

    m.compute_unexpected_pandas_indices = listing


def unexpected_index_list(
    frame: pd.DataFrame, domain_columns: list, result_format: dict, metrics: dict
) -> list[dict[str, Any]] | None:
    """GX's ``unexpected_index_list`` of the failing rows ``frame``, for named index columns on an unnamed unique
    index with the values kept: per row a dict of the domain columns' and the index columns' values, in the order GX
    puts them in (each domain column, then the index columns after it: a key GX sets again keeps its place), each
    value what ``DataFrame.at`` gives. None for any other case (GX lists those itself)."""
    names = result_format.get("unexpected_index_column_names")
    if (
        frame.index.names[0] is not None  # a named index: GX's other ways
        or not names
        or result_format.get("exclude_unexpected_values", False)
        or not domain_columns
        or not frame.index.is_unique
        or not frame.columns.is_unique
    ):
        return None
    if frame.empty:
        return []
    from great_expectations.expectations.metrics.util import get_dbms_compatible_column_names

    resolved = [
        get_dbms_compatible_column_names(
            column_names=name, batch_columns_list=metrics["table.columns"], error_message_template=_MISSING
        )
        for name in names
    ]
    order: list = []
    for column in domain_columns:
        for key in (column, *resolved):
            if key not in order:
                order.append(key)
    values = [_cells(frame[key]) for key in order]
    return [dict(zip(order, row, strict=True)) for row in zip(*values, strict=True)]


def _cells(column: pd.Series) -> list:
    """Each value of ``column`` as ``DataFrame.at`` gives it (``Series._values[i]``: a NumPy scalar of a NumPy
    column, an extension array's own scalar)."""
    values = column._values
    if isinstance(values, np.ndarray):
        return list(values)
    return [values[i] for i in range(len(values))]

"""The region report's layout as data: templates/report/layout.yaml names the order of its sections and the
columns of its main tables (field, header, width, alignment), so a coordinator can reorder sections or drop a
column without Python. The renderer asks this module what to build, in which order, and with which columns."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from vision_report.core.vocabulary import labels
from vision_report.core.yamlio import load_yaml
from vision_report.outputs.reports.docxutil import add_table

ALIGNMENTS = ("left", "right", "center")


class LayoutError(ValueError):
    """templates/report/layout.yaml names a section or a column field the renderer does not know."""


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    width: float
    align: str = "left"


@lru_cache(maxsize=4)
def _load(path: Path, mtime_ns: int) -> dict[str, Any]:
    return load_yaml(path.read_text(encoding="utf-8")) or {}


def _message(key: str, **values: object) -> str:
    """A line of templates/labels.yaml ``layout:`` filled in."""
    return str(labels()["layout"][key]).format(**values)


def layout(templates: Path) -> dict[str, Any]:
    """templates/report/layout.yaml as read (cached while the file is unchanged)."""
    path = templates / "report" / "layout.yaml"
    return _load(path, path.stat().st_mtime_ns)


def sections(templates: Path, part: str, known: Sequence[str]) -> list[str]:
    """The section keys of ``part`` (body, pillar, management, period, appendix) in the file's order; a key the
    renderer does not know is an error naming the file, never skipped silently."""
    keys = [str(k) for k in (layout(templates).get("region", {}).get(part) or [])]
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise LayoutError(_message("unknown_section", part=part, names="、".join(unknown), known="、".join(known)))
    return keys


def setting(templates: Path, key: str, default: Any) -> Any:
    """A scalar of the ``region:`` block (e.g. lead_text_chars, toc_levels)."""
    return layout(templates).get("region", {}).get(key, default)


def keep_edge_rows(templates: Path) -> int:
    """layout.yaml page_flow.keep_edge_rows: how many of a table's last rows stay on one page with the notes under
    it (and, for a long table kept with its heading, how many of its first rows go with the header)."""
    return int((layout(templates).get("page_flow") or {}).get("keep_edge_rows", 3))


def columns(templates: Path, table: str, known: Sequence[str]) -> list[Column]:
    """The columns of ``table`` in the file's order."""
    out = []
    for raw in layout(templates).get("tables", {}).get(table) or []:
        col = Column(str(raw["field"]), str(raw.get("header", "")), float(raw["width"]), str(raw.get("align", "left")))
        if col.field not in known or col.align not in ALIGNMENTS:
            raise LayoutError(
                _message(
                    "unknown_column",
                    table=table,
                    field=col.field,
                    align=col.align,
                    known="、".join(known),
                    aligns="、".join(ALIGNMENTS),
                )
            )
        out.append(col)
    return out


def spec_table(
    doc,
    templates: Path,
    table: str,
    items: Sequence[Any],
    fields: Mapping[str, Callable[[Any], str]],
    header_values: Mapping[str, object] | None = None,
    skip: Sequence[str] = (),
    **options,
):
    """A table whose columns come from layout.yaml: one row per item, each cell ``fields[column.field](item)``;
    columns whose field is in ``skip`` are left out (e.g. the 総括 verdict before the final year), their width
    there for a column that needs more (「（20市町村計）」 whole in its header, review 3 #4)."""
    every = columns(templates, table, list(fields))
    cols = [c for c in every if c.field not in skip]
    values = dict(header_values or {})
    return add_table(
        doc,
        [c.header.format(**values) for c in cols],
        [[fields[c.field](item) for c in cols] for item in items],
        widths=[c.width for c in cols],
        room=sum(c.width for c in every if c.field in skip),  # a column left out leaves its width to the others
        numeric={i for i, c in enumerate(cols) if c.align == "right"},
        center={i for i, c in enumerate(cols) if c.align == "center"},
        **options,
    )

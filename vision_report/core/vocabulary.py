"""The words users read about submissions, defined once.

Statuses and severities are enums whose values are what CSVs carry (``accepted``, ``error``…); their
Japanese labels — short for tables, long and with an explanation for feedback — live in
``templates/labels.yaml`` so a coordinator can reword them without Python. Every place that shows a status,
a severity, a timeliness, a 区分 or where an issue is (row/column) asks this module.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Protocol

from vision_report.core.paths import find_root
from vision_report.core.yamlio import load_yaml

LABELS_RELPATH = Path("templates") / "labels.yaml"


class Status(StrEnum):
    """What became of a received file (or of a member that sent none)."""

    ACCEPTED = "accepted"
    ACCEPTED_WITH_WARNINGS = "accepted_with_warnings"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"
    MISSING = "missing"
    PENDING = "pending"  # still being written: taken by the next run
    NOT_SUBMISSION = "not_submission"  # archived and listed, never a submission (a PDF cover letter…)
    PANEL_OPINIONS = "panel_opinions"  # the coordinator's file of the ビジョン懇談会's opinions: archived, printed


# files that never stand for a municipality's submission
NOT_SUBMISSIONS = frozenset({Status.NOT_SUBMISSION, Status.PANEL_OPINIONS})


ACCEPTED_STATUSES = frozenset({Status.ACCEPTED, Status.ACCEPTED_WITH_WARNINGS})


class Severity(StrEnum):
    ERROR = "error"  # the file is refused whole
    WARNING = "warning"  # the file is accepted; the point is listed


LabelForm = Literal["short", "long", "explanation"]


class Located(Protocol):
    @property
    def row(self) -> int | None: ...

    @property
    def column(self) -> str | None: ...

    @property
    def message(self) -> str: ...


class LabelsError(Exception):
    """templates/labels.yaml is missing a label (message in Japanese)."""


def labels(root: Path | None = None) -> dict[str, Any]:
    """templates/labels.yaml of the project at ``root``, checked complete.

    Without ``root``: the project ``paths.find_root`` finds ($VISION_REPORT_HOME, which the command line's
    ``--root`` sets for its process, else the folder of the working directory). No module keeps a project of its
    own: what a caller passes, or what the process was started for."""
    return _labels(root.resolve() if root is not None else find_root())  # find_root's path is resolved


@lru_cache(maxsize=8)
def _labels(root: Path) -> dict[str, Any]:
    path = root / LABELS_RELPATH
    data = load_yaml(path.read_text(encoding="utf-8")) or {}
    missing = [
        f"status.{s.value}.{f}"
        for s in Status
        for f in ("short", "long", "explanation")
        if not (data.get("status", {}).get(s.value) or {}).get(f)
    ]
    missing += [
        f"severity.{s.value}.{f}"
        for s in Severity
        for f in ("short", "long")
        if not (data.get("severity", {}).get(s.value) or {}).get(f)
    ]
    missing += [
        f"{group}.{key}"
        for group, keys in (
            ("timeliness", ("on_time", "late", "missing")),
            ("reminder", ("missing", "rejected", "pending", "late")),
            ("kind", ("expenditure", "kpi")),
            ("location", ("row", "column", "joiner", "separator")),
            ("synthetic", ("mark", "note", "banner", "banner_short")),
            ("year", ("fiscal", "calendar", "date")),
            ("hold", ("mark", "held", "confirmed")),
            ("history", ("no_submissions",)),
            ("basis", ("plan_basis", "partial_basis")),
            (
                "reasons",
                ("no_reports", "provisional", "zero_actual", "zero_target", "target_is_baseline", "no_value", "held"),
            ),
            ("reasons", ("joiner",)),
            ("plan_note", ("undecided", "blank", "undecided_years", "blank_years", "total_only")),
            ("plan_note", ("year_joiner", "joiner")),
            ("final_evaluation", ("rule", "achieved", "not_achieved")),
        )
        for key in keys
        if not (data.get(group) or {}).get(key)
    ]
    if missing:
        raise LabelsError(f"{path} に次の言葉がありません: {', '.join(missing)}")
    return data


def status_label(status: str, form: LabelForm = "short", root: Path | None = None) -> str:
    return str(labels(root)["status"][Status(status).value][form])


def severity_label(severity: str, form: Literal["short", "long"] = "short", root: Path | None = None) -> str:
    return str(labels(root)["severity"][Severity(severity).value][form])


def timeliness_label(timeliness: str, root: Path | None = None) -> str:
    return str(labels(root)["timeliness"].get(timeliness, "")) if timeliness else ""


def reminder_label(key: str, root: Path | None = None) -> str:
    """How `vision-report reminders` names missing / rejected / pending / late."""
    return str(labels(root)["reminder"][key])


def kind_labels(root: Path | None = None) -> dict[str, str]:
    """区分 as submissions and templates write it: {"expenditure": "事業費", "kpi": "KPI"}."""
    return {k: str(v) for k, v in labels(root)["kind"].items()}


def synthetic(key: Literal["mark", "note", "banner", "banner_short"], root: Path | None = None) -> str:
    return str(labels(root)["synthetic"][key])


def year_label(year: int, kind: Literal["fiscal", "calendar"] = "fiscal", root: Path | None = None) -> str:
    """A year as the reports print it: "2022年度" (fiscal) or "2022年" (calendar)."""
    return str(labels(root)["year"][kind]).format(year=year)


def date_label(iso: str, root: Path | None = None) -> str:
    """An ISO date ("2026-06-30") as the reports print it ("2026年6月30日"); other text is returned unchanged."""
    from datetime import date

    try:
        d = date.fromisoformat(iso)
    except ValueError:
        return iso
    return str(labels(root)["year"]["date"]).format(year=d.year, month=d.month, day=d.day)


def hold_label(key: Literal["mark", "held", "confirmed"], root: Path | None = None) -> str:
    """要確認 (a value held out of the totals until a coordinator confirms it) and its states."""
    return str(labels(root)["hold"][key])


def text_message(key: str, root: Path | None = None, **fields: object) -> str:
    """A message about the texts received (templates/labels.yaml ``texts:``; issue 23), with ``fields`` filled in.
    A project whose labels.yaml predates the section uses the shipped wording."""
    texts = labels(root).get("texts") or {}
    if key not in texts:
        texts = _labels(Path(__file__).resolve().parents[2]).get("texts") or {}
    return str(texts[key]).format(**fields)


def no_submissions_label(root: Path | None = None) -> str:
    """提出なし: how year tables, CSVs and charts mark a fiscal year without any accepted submission."""
    return str(labels(root)["history"]["no_submissions"])


def basis_note(basis: str, *, n: int, n_all: int, n_target: int, root: Path | None = None) -> str:
    """The sentence saying what a KPI's sum covers for a basis value other than all_members (labels.yaml basis)."""
    return str(labels(root)["basis"][basis]).format(n=n, n_all=n_all, n_target=n_target)


def status_counts_text(counts: dict[str, int], root: Path | None = None) -> str:
    """Counts per status as one line, in the order of ``Status``, with the short labels (e.g. for stdout)."""
    return "、".join(f"{status_label(s, root=root)} {counts[s.value]}" for s in Status if counts.get(s.value))


def location(row: int | None, column: str | None, root: Path | None = None) -> str:
    """Where an issue is, e.g. "12行目・「実績値」列" ("" when the file as a whole is meant)."""
    loc = labels(root)["location"]
    parts = []
    if row is not None:
        parts.append(str(loc["row"]).format(row=row))
    if column:
        parts.append(str(loc["column"]).format(column=column))
    return str(loc["joiner"]).join(parts)


def located_message(issue: Located, root: Path | None = None) -> str:
    """ "12行目・「実績値」列：実績値「約40」を数値として読めません。" (the message alone if it has no place)."""
    where = location(issue.row, issue.column, root)
    return f"{where}{labels(root)['location']['separator']}{issue.message}" if where else issue.message

"""Feedback for submitters: what was accepted, what must be fixed, row by row (Japanese)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .intake import Issue, Received
from .plan import Plan
from .textfmt import jinja_env, jst

STATUS_LABELS = {
    "accepted": "受理",
    "accepted_with_warnings": "受理（警告あり）",
    "rejected": "差戻し",
    "superseded": "差替え済み（新しいファイルを使用）",
    "missing": "未提出",
    "pending": "保留（書込み中のため次回処理）",
}
STATUS_EXPLANATIONS = {
    "accepted": "すべての行を受け付けました。ありがとうございました。",
    "accepted_with_warnings": "受け付けましたが、確認をお願いする点があります。誤りがあれば修正したファイルを再提出してください。",
    "rejected": "エラーがあるため、このファイルの値は一切使用していません。下記を修正して、ファイル全体を再提出してください。",
    "superseded": "同じ市町村の新しいファイルが提出されたため、このファイルは使用していません。",
    "missing": "この年度のファイルが届いていません。",
    "pending": "ファイルが書込み中（更新直後）だったため、今回は処理していません。次回の実行で処理します。",
}


@dataclass(frozen=True)
class FeedbackItem:
    where: str
    message: str
    value: str | None
    expected: str | None


def _item(i: Issue) -> FeedbackItem:
    parts = []
    if i.row is not None:
        parts.append(f"{i.row}行目")
    if i.column:
        parts.append(f"「{i.column}」列")
    where = "・".join(parts) + ": " if parts else ""
    return FeedbackItem(where, i.message, i.value, i.expected)


def feedback_text(
    plan: Plan,
    fiscal_year: int,
    templates_dir: Path,
    *,
    code: str,
    name: str,
    rec: Received | None,
    status: str,
    accepted_summary: list[str] | None = None,
    other_files: list[Received] | None = None,
) -> str:
    issues = sorted(rec.issues if rec else [], key=lambda i: (i.row or 0, i.column or "", i.rule))
    to_submit = []
    if status in ("missing", "rejected") and plan.has_municipality(code):
        to_submit = [f"事業費 {i.id} {i.name}（千円）" for i in plan.initiatives_of(code)]
        to_submit += [f"KPI {k.id} {k.name}（{k.unit}）" for k in plan.kpis_reported_by(code)]
    ctx = {
        "plan_title": plan.meta.title,
        "fiscal_year": fiscal_year,
        "office": plan.meta.office or "",
        "municipality_name": name,
        "municipality_code": code,
        "file": rec.name if rec else None,
        "received_at": jst(rec.mtime) if rec and rec.mtime else "",
        "sha256": rec.sha256 if rec else None,
        "status_label": STATUS_LABELS[status],
        "status_explanation": STATUS_EXPLANATIONS[status],
        "errors": [_item(i) for i in issues if i.severity == "error"],
        "warnings": [_item(i) for i in issues if i.severity == "warning"],
        "accepted_summary": accepted_summary or [],
        "other_files": [
            {"file": o.name, "status_label": STATUS_LABELS.get(o.status, o.status)} for o in (other_files or [])
        ],
        "to_submit": to_submit,
    }
    return jinja_env(templates_dir).get_template("feedback.txt.j2").render(**ctx)

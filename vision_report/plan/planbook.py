"""`vision-report plan export` / `plan import`: the plan workbook round trip (docs: README 計画の取り込み)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vision_report.core.atomic import write_bytes
from vision_report.core.config import Settings, load_settings
from vision_report.plan.loader import load_plan
from vision_report.plan.models import Plan

CONFIG_REL = Path("config") / "vision-report.yaml"


def _plan_dir(settings: Settings, ref: str | None) -> Path:
    """--plan: a folder, or an id under plans/; none: the newest plan of the config."""
    if not ref:
        return settings.plan_dir
    p = Path(ref)
    return p if p.is_dir() else settings.root / "plans" / ref


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def plan_changes(previous: Plan | None, new: Plan, templates: Path) -> list[str]:
    """What the new plan changes against the previous one (Japanese lines): initiatives added / removed / renamed /
    renumbered (by id or by the 前計画 column), KPIs added / removed / changed, members."""
    from vision_report.plan.workbook import labels  # openpyxl: only when a workbook is used

    d = labels(templates)["diff"]
    if previous is None:
        return [d["none"]]
    out = [d["title"].format(previous=f"{previous.meta.title}（{previous.meta.revision}）")]
    if len(previous.municipalities) != len(new.municipalities):
        out.append(d["members"].format(old=len(previous.municipalities), new=len(new.municipalities)))
    old_i = {i.id: i for i in previous.initiatives}
    matched: set[str] = set()
    for i in new.initiatives:
        before = old_i.get(i.predecessor or i.id)
        if i.ended_by and (before is None or before.last_fiscal_year != i.last_fiscal_year):
            out.append(
                d["initiative_ended_by_amendment"].format(
                    amendment=i.ended_by, id=i.id, name=i.name, last=i.last_fiscal_year
                )
            )
        if before is None:
            if i.added_by:
                out.append(
                    d["initiative_added_by_amendment"].format(
                        amendment=i.added_by, id=i.id, name=i.name, first=i.first_fiscal_year
                    )
                )
            else:
                out.append(d["initiative_added"].format(id=i.id, name=i.name))
            continue
        matched.add(before.id)
        if before.id != i.id:
            out.append(d["initiative_moved"].format(old=before.id, id=i.id, name=i.name))
        if before.name != i.name:
            out.append(d["initiative_renamed"].format(id=i.id, old=before.name, new=i.name))
    out += [d["initiative_removed"].format(id=i.id, name=i.name) for i in previous.initiatives if i.id not in matched]
    old_k = {k.id: k for k in previous.kpis}
    matched = set()
    for k in new.kpis:
        was = old_k.get(k.predecessor or k.id)
        if was is None:
            out.append(d["kpi_added"].format(id=k.id, name=k.name))
            continue
        matched.add(was.id)
        if k.new_series:
            out.append(d["kpi_new_series"].format(id=k.id, name=k.name))
        what = [
            d["kpi_field"].format(field=label, old=_fmt(getattr(was, attr)), new=_fmt(getattr(k, attr)))
            for attr, label in d["kpi_fields"].items()
            if getattr(was, attr) != getattr(k, attr)
        ]
        if what:
            out.append(d["kpi_changed"].format(id=k.id, name=k.name, what="、".join(what)))
    out += [d["kpi_removed"].format(id=k.id, name=k.name) for k in previous.kpis if k.id not in matched]
    if len(out) == 1:
        out.append(d["no_change"])
    return out


def _fmt(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return f"{int(v):,}"
    if isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) >= 10000:
        return f"{v:,}"
    return str(v)


def cmd_plan_export(args: argparse.Namespace) -> int:
    from vision_report.plan.workbook import labels, workbook_bytes

    settings = load_settings(Path(args.root) if args.root else None)
    plan_dir = _plan_dir(settings, args.plan)
    plan = load_plan(plan_dir)
    templates = settings.root / "templates"
    out = Path(args.out)
    write_bytes(out, workbook_bytes(plan, templates, plan_dir))
    lab = labels(templates)
    print(lab["messages"]["exported"].format(id=plan.meta.id, path=out, sheets=len(lab["sheets"]) - 1))
    return 0


def import_plan(
    settings: Settings, file: Path, plan_id: str, from_fiscal_year: int, dry_run: bool = False
) -> tuple[int, list[str]]:
    """Check the workbook and (unless ``dry_run``) write plans/<plan_id>/ and the config; (exit code, lines)."""
    from vision_report.plan.planbook_import import (
        Problem,
        check_built,
        format_problems,
        read_plan_workbook,
        register_in_config,
        write_plan_folder,
    )
    from vision_report.plan.workbook import labels

    templates = settings.root / "templates"
    msg = labels(templates)["messages"]
    target = settings.root / "plans" / plan_id
    plan_rel = _rel(target, settings.root)
    ranges = [r for r in settings.plans if r.plan_dir.resolve() != target.resolve()]
    previous_range = max(
        (r for r in ranges if r.first_fiscal_year is not None and r.first_fiscal_year < from_fiscal_year),
        key=lambda r: r.first_fiscal_year or 0,
        default=None,
    )
    previous = load_plan(previous_range.plan_dir) if previous_range else None
    same = target / "plan.yaml"
    current = load_plan(target) if same.is_file() else None
    compare_with = current or previous  # re-import (an amendment): what it was
    others = [(_rel(r.plan_dir, settings.root), r.first_fiscal_year, r.last_fiscal_year) for r in ranges]
    files, problems = read_plan_workbook(file, templates, plan_id, from_fiscal_year, previous, others, current)
    lines: list[str] = []
    plan: Plan | None = None
    if not problems:
        plan, loader_problems = check_built(files, settings.root)
        problems = [Problem(None, None, None, msg["loader"].format(message=p)) for p in loader_problems]
    if problems:
        lines.append(msg["title"].format(file=file.name, count=len(problems)))
        lines += [f"- {p}" for p in format_problems(problems, templates)]
        return 1, lines
    assert plan is not None
    lines += plan_changes(compare_with, plan, templates)
    if dry_run:
        lines.append(msg["ok_dry_run"])
        return 0, lines
    write_plan_folder(files, target)
    register_in_config(settings.root / CONFIG_REL, plan_rel, from_fiscal_year, plan.meta.last_fiscal_year)
    lines.append(
        msg["written"].format(
            id=plan_id,
            path=plan_rel,
            config=CONFIG_REL.as_posix(),
            first=from_fiscal_year,
            last=plan.meta.last_fiscal_year,
        )
    )
    return 0, lines


def cmd_plan_import(args: argparse.Namespace) -> int:
    settings = load_settings(Path(args.root) if args.root else None)
    code, lines = import_plan(settings, Path(args.file), args.id, args.from_fiscal_year, args.dry_run)
    print("\n".join(lines), file=sys.stderr if code else sys.stdout)
    return code


def add_plan_workbook_commands(plan_parser: argparse.ArgumentParser) -> None:
    """`plan export` and `plan import` under the `plan` command (which keeps `plan --json` without a sub-command)."""
    sub = plan_parser.add_subparsers(dest="plan_command", metavar="{export,import}")
    p = sub.add_parser("export", help="計画を1つの Excel ワークブックに書き出す（事務局が読み・直すため）")
    p.add_argument("--out", required=True, help="書き出す .xlsx ファイル")
    p.add_argument("--plan", help="計画ID（plans/ の下のフォルダ名）またはフォルダ（既定: 設定の最新の計画）")
    p.set_defaults(func=cmd_plan_export)
    p = sub.add_parser("import", help="計画ワークブックを確かめて plans/<ID>/ と設定の plans: に取り込む")
    p.add_argument("file", help="計画ワークブック（.xlsx）")
    p.add_argument("--id", required=True, help="計画ID（plans/ の下のフォルダ名。例: kumamoto-2026-03）")
    p.add_argument("--from-fiscal-year", type=int, required=True, help="この計画を使い始める年度（例: 2026）")
    p.add_argument("--dry-run", action="store_true", help="確かめるだけで書き込まない")
    p.set_defaults(func=cmd_plan_import)

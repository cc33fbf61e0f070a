"""Project configuration (config/vision-report.yaml) and the project root."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vision_report.core.paths import CONFIG_RELPATH, find_root
from vision_report.core.yamlio import load_yaml


class ConfigError(Exception):
    """A configuration file is missing or inconsistent (message in Japanese)."""


@dataclass(frozen=True)
class RatingThresholds:
    progress: dict[str, float]
    attainment: dict[str, float]


@dataclass(frozen=True)
class ValidationSettings:
    budget_bound_factor: float = 1.5
    magnitude_factor: float = 1000.0
    magnitude_tolerance: float = 0.3
    max_file_bytes: int = 5_000_000
    settle_seconds: float = 2.0
    max_rows: int = 5000  # data rows per file, checked right after reading (before validation)
    max_messages_per_rule: int = 20  # issues per rule and file, then one "…ほか N 件"
    header_search_rows: int = 10  # the header row is looked for among this many first rows (title rows above it)
    # warnings whose value is a probable error: held out of every total until a coordinator confirms it (要確認)
    hold_rules: tuple[str, ...] = ("magnitude_kpi", "magnitude_expenditure", "over_budget")


@dataclass(frozen=True)
class Deadlines:
    default: str = "{next_year}-06-30"
    years: dict[int, str] = field(default_factory=dict)

    def for_year(self, fiscal_year: int):
        """The last day to submit for ``fiscal_year`` (a date, end of day in Japan time)."""
        from datetime import date

        text = self.years.get(fiscal_year) or self.default.format(next_year=fiscal_year + 1, year=fiscal_year)
        try:
            return date.fromisoformat(str(text))
        except ValueError as exc:
            raise ConfigError(f"設定 deadlines の日付 {text!r} を読めません（例: 2025-06-30）") from exc


@dataclass(frozen=True)
class FinalEvaluation:
    """計画期間の総括: when a KPI counts as 達成 — direction -> ">=" (final value ≥ target) or "<=" (≤ target)."""

    achieved_if: dict[str, str] = field(default_factory=lambda: {"increase": ">=", "at_least": ">=", "decrease": "<="})


def _final_evaluation(raw: Any) -> FinalEvaluation:
    if raw is None:
        return FinalEvaluation()
    rules = raw.get("achieved_if") if isinstance(raw, dict) else None
    directions = {"increase", "decrease", "at_least"}
    if not isinstance(rules, dict) or set(rules) != directions or not set(rules.values()) <= {">=", "<="}:
        raise ConfigError(
            '設定 final_evaluation.achieved_if には increase・decrease・at_least のそれぞれに ">="（最終値が目標値以上で達成）'
            f'か "<="（以下で達成）を指定してください（現在: {rules!r}）'
        )
    return FinalEvaluation(achieved_if={k: str(v) for k, v in rules.items()})


@dataclass(frozen=True)
class PlanRange:
    """One entry of ``plans:``: the plan folder used for fiscal years first..last (last None = open-ended)."""

    first_fiscal_year: int | None
    last_fiscal_year: int | None
    plan_dir: Path

    def covers(self, fiscal_year: int) -> bool:
        return (self.first_fiscal_year is None or fiscal_year >= self.first_fiscal_year) and (
            self.last_fiscal_year is None or fiscal_year <= self.last_fiscal_year
        )

    @property
    def label(self) -> str:
        first = f"{self.first_fiscal_year}年度" if self.first_fiscal_year is not None else ""
        last = f"{self.last_fiscal_year}年度" if self.last_fiscal_year is not None else ""
        return f"{first}〜{last}" if first != last else first


@dataclass(frozen=True)
class ReportSettings:
    """Layout choices of the Word reports a coordinator may change (config ``report:``)."""

    grid_columns: int = 10  # 関係市町村: names per row of the ○ grid (the vision prints 10)
    # above this many members the 関係市町村 of an initiative is one sentence (all / all but … / the list), not a grid
    # of every member's name: 1,741 members made 70 grids of 9 pages each and 1 GB of XML
    grid_max_members: int = 60
    issued: str | None = None  # 発行年月 printed on the cover, e.g. "2026年7月"; default: from the newest file received
    pdf: bool = True  # a PDF next to report_<FY>.docx and the 概要版 when LibreOffice is there (reports/pdf.py)
    pdf_municipalities: bool = False  # also municipalities/*.pdf (about 1 s more per municipality)
    soffice: str = "soffice"  # LibreOffice's program: a name on PATH or a path
    pdf_timeout: int = 900  # seconds for all of a run's PDFs; past it LibreOffice is stopped and no PDF is made
    # a 進捗率 beyond ±this (%) prints as the change from the baseline instead (現状値比 ▲4.6%): a plan of +0.8 %
    # missed by −4.6 % is ▲554.2 % of the planned change, true and misleading
    progress_limit: float = 200.0
    # the 総括 names the initiatives whose five-year 執行率 is below this (%), with why when the plan gave a period total
    low_execution_pct: float = 50.0


@dataclass(frozen=True)
class EvaluationSettings:
    """取組の自己評価と今後の方向性 (config ``evaluation:``); docs/interface.md §2."""

    # grade -> criterion printed in the reports and the template's 記入方法 (order = the order printed)
    self_evaluation: dict[str, str] = field(
        default_factory=lambda: {
            "A": "計画どおり実施し成果が出た",
            "B": "概ね計画どおり",
            "C": "一部のみ実施",
            "D": "未実施",
        }
    )
    good_grades: tuple[str, ...] = ("A", "B")  # counted in 「A・B の割合」 per policy area and pillar
    directions: tuple[str, ...] = ("拡充", "継続", "改善", "縮小", "廃止", "完了")
    max_text_chars: int = 400  # 取組実績・成果・課題: longer is an error
    # the optional columns every file is asked to fill: a file whose expenditure rows leave one of them blank
    # throughout (or that lacks the column) is accepted with a warning saying what to fill in (review 4 #2)
    required_in_file: tuple[str, ...] = ("self_evaluation",)
    # 実施状況 -> the grades that agree with it by the criteria above (C 一部のみ実施 for 一部実施, D 未実施 for 未実施): a
    # member's report marks a grade outside them (review 4 #15: 一部実施 with B). A status not listed is not checked
    grades_by_status: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: {"実施": ("A", "B"), "完了": ("A", "B"), "一部実施": ("C",), "未実施": ("D",)}
    )
    panel_opinions_file: str = "懇談会意見.md"  # inputs/<FY>/<this>: the ビジョン懇談会's opinions for the year
    panel_opinions_max_chars: int = 200_000  # the panel file is read up to this many characters (the run says so)
    panel_opinions_summary_chars: int = 3_000  # the 概要版 prints this much of it (the region report all of it)
    # inputs/<FY>/<this>: the office's own 総括所見 (printed in the 総括 chapter; archived like the panel file)
    period_remarks_file: str = "総括所見.md"

    @property
    def coordinator_files(self) -> tuple[str, ...]:
        """The names of the coordinator's own files in inputs/<FY>/ (archived, printed, never submissions)."""
        return tuple(n for n in (self.panel_opinions_file, self.period_remarks_file) if n)


# the optional columns of expenditure rows (intake.normalize.EVALUATION_COLUMNS; core does not import intake)
_EVALUATION_COLUMN_NAMES = ("self_evaluation", "direction", "result_text", "outcome_text", "challenge_text")


def _evaluation_settings(raw: Any) -> EvaluationSettings:
    if raw is None:
        return EvaluationSettings()
    if not isinstance(raw, dict):
        raise ConfigError("設定 evaluation: には self_evaluation・good_grades・directions などの項目を書いてください")
    unknown = set(raw) - set(EvaluationSettings.__dataclass_fields__)
    if unknown:
        raise ConfigError(f"設定 evaluation に不明な項目があります: {', '.join(sorted(unknown))}")
    d = EvaluationSettings()
    grades = raw.get("self_evaluation", d.self_evaluation)
    if not isinstance(grades, dict) or not grades or not all(str(k).strip() for k in grades):
        raise ConfigError(
            "設定 evaluation.self_evaluation には区分と基準を書いてください（例: A: 計画どおり実施し成果が出た）"
        )
    grades = {str(k).strip(): str(v) for k, v in grades.items()}
    good = tuple(str(g) for g in raw.get("good_grades", d.good_grades))
    if not set(good) <= set(grades):
        raise ConfigError(
            f"設定 evaluation.good_grades の {'・'.join(sorted(set(good) - set(grades)))} が"
            f" self_evaluation の区分（{'・'.join(grades)}）にありません"
        )
    directions = raw.get("directions", d.directions)
    if not isinstance(directions, (list, tuple)) or not directions:
        raise ConfigError("設定 evaluation.directions には今後の方向性の一覧を書いてください（例: [拡充, 継続, 改善]）")
    limit = raw.get("max_text_chars", d.max_text_chars)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ConfigError(f"設定 evaluation.max_text_chars は1以上の整数にしてください（現在: {limit!r}）")
    required = raw.get("required_in_file", d.required_in_file)
    if not isinstance(required, (list, tuple)) or not set(map(str, required)) <= set(_EVALUATION_COLUMN_NAMES):
        raise ConfigError(
            "設定 evaluation.required_in_file には "
            + "・".join(_EVALUATION_COLUMN_NAMES)
            + f" から選んで書いてください（現在: {required!r}）"
        )
    by_status = raw.get("grades_by_status", d.grades_by_status)
    if not isinstance(by_status, dict) or not all(
        isinstance(v, (list, tuple)) and set(map(str, v)) <= set(grades) for v in by_status.values()
    ):
        raise ConfigError(
            "設定 evaluation.grades_by_status には、実施状況ごとに合う自己評価の区分（"
            + "・".join(grades)
            + f"）を書いてください（例: 一部実施: [C]。現在: {by_status!r}）"
        )
    bounds = {}
    for key in ("panel_opinions_max_chars", "panel_opinions_summary_chars"):
        n = raw.get(key, getattr(d, key))
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ConfigError(f"設定 evaluation.{key} は1以上の整数にしてください（現在: {n!r}）")
        bounds[key] = n
    return EvaluationSettings(
        **bounds,
        self_evaluation=grades,
        good_grades=good,
        directions=tuple(str(x) for x in directions),
        max_text_chars=limit,
        required_in_file=tuple(str(c) for c in required),
        grades_by_status={str(k): tuple(str(g) for g in v) for k, v in by_status.items()},
        panel_opinions_file=str(raw.get("panel_opinions_file", d.panel_opinions_file)),
        period_remarks_file=str(raw.get("period_remarks_file", d.period_remarks_file)),
    )


@dataclass(frozen=True)
class Settings:
    root: Path
    plan_dir: Path  # the plan of the newest range (the one used when no fiscal year is given)
    inputs: Path
    outputs: Path
    archive: Path
    ratings: RatingThresholds
    validation: ValidationSettings
    prefect_home: Path
    deadlines: Deadlines = field(default_factory=Deadlines)
    plans: tuple[PlanRange, ...] = ()
    prefect: dict[str, Any] = field(default_factory=dict)  # config prefect: (home, api_url, startup_timeout_seconds)
    report: ReportSettings = field(default_factory=lambda: ReportSettings())
    final_evaluation: FinalEvaluation = field(default_factory=FinalEvaluation)
    evaluation: EvaluationSettings = field(default_factory=EvaluationSettings)
    confirmations: Path | None = None  # folder of confirmations/<FY>.csv (config paths.confirmations)

    def confirmations_file(self, fiscal_year: int, folder: Path | None = None) -> Path:
        """The coordinator's confirmations of held values (要確認) for ``fiscal_year``: <folder>/<FY>.csv."""
        base = folder or self.confirmations or self.root / "confirmations"
        return base / f"{fiscal_year}.csv"

    def plan_dir_for(self, fiscal_year: int) -> Path:
        """The plan folder that covers ``fiscal_year`` (config ``plans:``); ConfigError (Japanese) when none does."""
        ranges = self.plans or (PlanRange(None, None, self.plan_dir),)
        for r in ranges:
            if r.covers(fiscal_year):
                return r.plan_dir
        known = "、".join(f"{r.label}（{_rel(r.plan_dir, self.root)}）" for r in ranges)
        raise ConfigError(
            f"{fiscal_year}年度を対象とする計画がありません（設定済み: {known}）。"
            f"config/vision-report.yaml の plans: に {fiscal_year}年度を含む計画のフォルダを追加してください"
            f"（例: - {{from: {fiscal_year}, to: {fiscal_year + 4}, plan: plans/<新しい計画のフォルダ>}}）。"
        )


def _report_settings(raw: dict[str, Any]) -> ReportSettings:
    unknown = set(raw) - set(ReportSettings.__dataclass_fields__)
    if unknown:
        raise ConfigError(f"設定 report に不明な項目があります: {', '.join(sorted(unknown))}")
    cols = raw.get("grid_columns", 10)
    if not isinstance(cols, int) or not 1 <= cols <= 30:
        raise ConfigError(f"設定 report.grid_columns は 1〜30 の整数にしてください（現在: {cols!r}）")
    grid_max = raw.get("grid_max_members", ReportSettings.grid_max_members)
    if isinstance(grid_max, bool) or not isinstance(grid_max, int) or grid_max < 1:
        raise ConfigError(f"設定 report.grid_max_members は1以上の整数にしてください（現在: {grid_max!r}）")
    issued = raw.get("issued")
    flags = {}
    for key in ("pdf", "pdf_municipalities"):
        value = raw.get(key, getattr(ReportSettings, key))
        if not isinstance(value, bool):
            raise ConfigError(f"設定 report.{key} は true か false にしてください（現在: {value!r}）")
        flags[key] = value
    soffice = raw.get("soffice", ReportSettings.soffice)
    if not isinstance(soffice, str) or not soffice.strip():
        raise ConfigError(
            f"設定 report.soffice には LibreOffice のコマンド名かパスを書いてください（現在: {soffice!r}）"
        )
    timeout = raw.get("pdf_timeout", ReportSettings.pdf_timeout)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 1:
        raise ConfigError(f"設定 report.pdf_timeout は1以上の整数（秒）にしてください（現在: {timeout!r}）")
    limit = raw.get("progress_limit", ReportSettings.progress_limit)
    if isinstance(limit, bool) or not isinstance(limit, int | float) or limit <= 0:
        raise ConfigError(f"設定 report.progress_limit は正の数（%）にしてください（現在: {limit!r}）")
    low = raw.get("low_execution_pct", ReportSettings.low_execution_pct)
    if isinstance(low, bool) or not isinstance(low, int | float) or not 0 < low <= 100:
        raise ConfigError(f"設定 report.low_execution_pct は0より大きく100以下の数（%）にしてください（現在: {low!r}）")
    return ReportSettings(
        grid_columns=cols,
        grid_max_members=grid_max,
        progress_limit=float(limit),
        low_execution_pct=float(low),
        issued=str(issued) if issued else None,
        soffice=soffice.strip(),
        pdf_timeout=timeout,
        **flags,
    )


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _fiscal_year(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1900 <= value <= 2999:
        raise ConfigError(f"設定 {where} の年度 {value!r} は4桁の年度（例: 2021）にしてください")
    return value


def _plan_ranges(raw: dict[str, Any], root: Path) -> tuple[PlanRange, ...]:
    """``plans:`` (a list of {from, to, plan}) or the older single ``plan:`` (every fiscal year); checked."""
    if "plans" in raw and "plan" in raw:
        raise ConfigError(
            "設定 plan: と plans: の両方があります。plans:（年度の範囲ごとの計画フォルダの一覧）だけにしてください。"
        )
    if "plans" not in raw:
        return (PlanRange(None, None, root / raw.get("plan", "plans/kumamoto-2024-03")),)
    items = raw["plans"]
    if not isinstance(items, list) or not items:
        raise ConfigError(
            "設定 plans: には年度の範囲と計画フォルダの一覧を書いてください"
            "（例: - {from: 2021, to: 2025, plan: plans/kumamoto-2024-03}）"
        )
    out = []
    for n, item in enumerate(items, start=1):
        where = f"plans: の{n}番目"
        if not isinstance(item, dict) or not item.get("plan"):
            raise ConfigError(f"設定 {where} に計画フォルダ plan: がありません（例: plan: plans/kumamoto-2024-03）")
        unknown = set(item) - {"from", "to", "plan"}
        if unknown:
            raise ConfigError(
                f"設定 {where} に不明な項目があります: {', '.join(sorted(unknown))}（from・to・plan のみ）"
            )
        first, last = _fiscal_year(item.get("from"), where), _fiscal_year(item.get("to"), where)
        if first is not None and last is not None and first > last:
            raise ConfigError(f"設定 {where} の年度の範囲 from: {first} 〜 to: {last} が逆です")
        out.append(PlanRange(first, last, root / str(item["plan"])))
    for a_pos, a in enumerate(out):
        for b in out[a_pos + 1 :]:
            lo = max(x for x in (a.first_fiscal_year, b.first_fiscal_year, -(10**9)) if x is not None)
            hi = min(x for x in (a.last_fiscal_year, b.last_fiscal_year, 10**9) if x is not None)
            if lo <= hi:
                raise ConfigError(
                    f"設定 plans: の年度の範囲が重なっています（{a.label} と {b.label}）。"
                    "1つの年度には1つの計画だけを割り当ててください。"
                )
    return tuple(sorted(out, key=lambda r: (r.first_fiscal_year is not None, r.first_fiscal_year or 0)))


def _thresholds(raw: dict[str, Any], key: str) -> dict[str, float]:
    t = raw.get(key)
    if not isinstance(t, dict) or set(t) != {"A", "B", "C"}:
        raise ConfigError(f"設定 ratings.{key} には A・B・C の閾値を指定してください（現在: {t!r}）")
    vals = {k: float(v) for k, v in t.items()}
    if not vals["A"] >= vals["B"] >= vals["C"]:
        raise ConfigError(f"設定 ratings.{key} の閾値は A ≥ B ≥ C の順にしてください（現在: {t!r}）")
    return vals


def load_settings(root: Path | None = None, config_path: Path | None = None) -> Settings:
    root = (root or find_root()).resolve()
    path = config_path or root / CONFIG_RELPATH
    if not path.is_file():
        raise ConfigError(f"設定ファイル {path} が見つかりません")
    raw = load_yaml(path.read_text(encoding="utf-8")) or {}
    paths = raw.get("paths", {})
    ratings = raw.get("ratings", {})
    v = raw.get("validation", {}) or {}
    known = ValidationSettings.__dataclass_fields__
    unknown = set(v) - set(known)
    if unknown:
        raise ConfigError(f"設定 validation に不明な項目があります: {', '.join(sorted(unknown))}")
    plans = _plan_ranges(raw, root)
    if "hold_rules" in v:
        rules = v["hold_rules"]
        if not isinstance(rules, list) or not all(isinstance(r, str) and r for r in rules):
            raise ConfigError(
                "設定 validation.hold_rules には、値を要確認として集計から外す警告のルール名の一覧を書いてください"
                f"（例: [magnitude_kpi, magnitude_expenditure, over_budget]。現在: {rules!r}）"
            )
        v = {**v, "hold_rules": tuple(rules)}
    return Settings(
        root=root,
        plan_dir=plans[-1].plan_dir,
        plans=plans,
        final_evaluation=_final_evaluation(raw.get("final_evaluation")),
        inputs=root / paths.get("inputs", "inputs"),
        outputs=root / paths.get("outputs", "outputs"),
        archive=root / paths.get("archive", "archive"),
        confirmations=root / paths.get("confirmations", "confirmations"),
        ratings=RatingThresholds(_thresholds(ratings, "progress"), _thresholds(ratings, "attainment")),
        validation=ValidationSettings(**v),
        prefect_home=root / (raw.get("prefect", {}) or {}).get("home", ".prefect"),
        prefect=dict(raw.get("prefect") or {}),
        deadlines=Deadlines(
            default=str((raw.get("deadlines") or {}).get("default", "{next_year}-06-30")),
            years={int(k): str(v) for k, v in ((raw.get("deadlines") or {}).get("years") or {}).items()},
        ),
        report=_report_settings(raw.get("report") or {}),
        evaluation=_evaluation_settings(raw.get("evaluation")),
    )

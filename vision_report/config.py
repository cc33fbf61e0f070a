"""Project configuration (config/vision-report.yaml) and the project root."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CONFIG_RELPATH = Path("config") / "vision-report.yaml"
ENV_ROOT = "VISION_REPORT_HOME"


class ConfigError(Exception):
    """A configuration file is missing or inconsistent (message in Japanese)."""


def find_root(start: Path | None = None) -> Path:
    """The project folder: $VISION_REPORT_HOME, else the nearest parent of ``start`` (or the cwd)
    holding config/vision-report.yaml, else the checkout this package was installed from."""
    env = os.environ.get(ENV_ROOT)
    if env:
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for cand in (here, *here.parents):
        if (cand / CONFIG_RELPATH).is_file():
            return cand
    return Path(__file__).resolve().parents[1]


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
class Settings:
    root: Path
    plan_dir: Path
    inputs: Path
    outputs: Path
    archive: Path
    ratings: RatingThresholds
    validation: ValidationSettings
    prefect_home: Path
    deadlines: Deadlines = field(default_factory=Deadlines)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


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
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    paths = raw.get("paths", {})
    ratings = raw.get("ratings", {})
    v = raw.get("validation", {}) or {}
    known = ValidationSettings.__dataclass_fields__
    unknown = set(v) - set(known)
    if unknown:
        raise ConfigError(f"設定 validation に不明な項目があります: {', '.join(sorted(unknown))}")
    return Settings(
        root=root,
        plan_dir=root / raw.get("plan", "plans/kumamoto-2024-03"),
        inputs=root / paths.get("inputs", "inputs"),
        outputs=root / paths.get("outputs", "outputs"),
        archive=root / paths.get("archive", "archive"),
        ratings=RatingThresholds(_thresholds(ratings, "progress"), _thresholds(ratings, "attainment")),
        validation=ValidationSettings(**v),
        prefect_home=root / (raw.get("prefect", {}) or {}).get("home", ".prefect"),
        deadlines=Deadlines(
            default=str((raw.get("deadlines") or {}).get("default", "{next_year}-06-30")),
            years={int(k): str(v) for k, v in ((raw.get("deadlines") or {}).get("years") or {}).items()},
        ),
        raw=raw,
    )

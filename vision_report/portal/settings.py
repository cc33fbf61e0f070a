"""The ``portal:`` section of config/vision-report.yaml, checked, with defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

from vision_report.core.config import ConfigError, Settings
from vision_report.core.paths import CONFIG_RELPATH
from vision_report.core.yamlio import load_yaml
from vision_report.portal.messages import msg

ENV_DATABASE = "VISION_REPORT_PORTAL_DATABASE"
ENV_SHARED_DATABASE = "VISION_REPORT_DATABASE"


@dataclass(frozen=True)
class PortalSettings:
    host: str = "127.0.0.1"  # never all interfaces unless configured: the office's HTTPS proxy sits in front
    port: int = 8400
    database: str = ""  # SQLAlchemy URL; "" = SQLite file .portal/portal.db under the project
    secure_cookies: bool = False  # true behind HTTPS: cookies get the Secure flag
    session_idle_minutes: int = 30
    max_upload_bytes: int = 10_000_000
    max_xlsx_uncompressed_bytes: int = 100_000_000  # an .xlsx inflating past this is refused (zip bomb)
    max_xlsx_ratio: int = 200  # … and so is one whose parts inflate more than this many times
    login_slowdown_after: int = 3  # failed logins in a row before each next try waits
    login_delay_seconds: float = 1.0  # the wait, doubled per further failure (up to 8×)
    login_lock_after: int = 10  # failed logins in a row that lock the account …
    login_lock_minutes: int = 15  # … for this long
    fiscal_year: int | None = None  # the year the portal opens on (default: the latest year whose deadline is ahead)
    run_log: str = ".portal/logs"  # where a run started from the portal writes its output


def _raw(root: Path) -> dict[str, Any]:
    path = root / CONFIG_RELPATH
    raw = load_yaml(path.read_text(encoding="utf-8")) or {}
    section = raw.get("portal") or {}
    if not isinstance(section, dict):
        raise ConfigError(msg("config_section", root=root))
    return section


@lru_cache(maxsize=8)
def _load(root: Path, env_db: str) -> PortalSettings:
    section = _raw(root)
    known = {f.name: f for f in fields(PortalSettings)}
    unknown = set(section) - set(known)
    if unknown:
        raise ConfigError(msg("config_unknown", root=root, keys=", ".join(sorted(unknown))))
    values: dict[str, Any] = {}
    for key, value in section.items():
        default = getattr(PortalSettings, key)
        if value is None:
            continue
        if isinstance(default, bool) and not isinstance(value, bool):
            raise ConfigError(msg("config_value", root=root, key=key, value=repr(value)))
        if (
            key != "fiscal_year"
            and isinstance(default, int)
            and not isinstance(default, bool)
            and (isinstance(value, bool) or not isinstance(value, int) or value < 1)
        ):
            raise ConfigError(msg("config_value", root=root, key=key, value=repr(value)))
        values[key] = value
    if env_db:
        values["database"] = env_db
    return PortalSettings(**values)


def portal_settings(settings: Settings) -> PortalSettings:
    """Config ``portal:``; the database from $VISION_REPORT_PORTAL_DATABASE, else config ``portal.database``, else
    $VISION_REPORT_DATABASE (the PostgreSQL database `serve --database` gives Prefect), else SQLite."""
    env = os.environ.get(ENV_DATABASE, "")
    if not env and not _raw(settings.root).get("database"):
        env = os.environ.get(ENV_SHARED_DATABASE, "")
    return _load(settings.root, env)


def database_url(settings: Settings, portal: PortalSettings) -> str:
    """The SQLAlchemy URL of the accounts database: the configured one (``postgresql://`` is taken with the psycopg
    driver) or the SQLite file .portal/portal.db under the project."""
    url = portal.database.strip()
    if not url:
        folder = settings.root / ".portal"
        folder.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{folder / 'portal.db'}"
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    return url

"""The portal's words for users: templates/portal/messages.yaml of the project (a coordinator rewords them there)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from vision_report.core.paths import find_root
from vision_report.core.yamlio import load_yaml

MESSAGES_RELPATH = Path("templates") / "portal" / "messages.yaml"


@lru_cache(maxsize=8)
def _messages(root: Path) -> dict[str, str]:
    data = load_yaml((root / MESSAGES_RELPATH).read_text(encoding="utf-8")) or {}
    return {str(k): str(v) for k, v in data.items()}


def messages(root: Path | None = None) -> dict[str, str]:
    return _messages((root or find_root()).resolve())


def msg(message_key: str, root: Path | None = None, **values: object) -> str:
    """The message ``key`` with its {placeholders} filled."""
    return messages(root)[message_key].format(**values)

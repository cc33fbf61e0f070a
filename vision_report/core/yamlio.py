"""YAML read with libyaml's parser when PyYAML has it (the wheels do): the same safe constructors and the same
values as ``yaml.safe_load``, several times faster. The project reads its settings, words, layout and plan from YAML
many times per run (and the tests hundreds of times), so every read goes through here."""

from __future__ import annotations

from typing import Any

import yaml

_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """``yaml.safe_load(text)``, by libyaml when it is there."""
    return yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader (SafeLoader or its C twin)

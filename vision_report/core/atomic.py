"""Atomic file writes: a reader never sees half a file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_bytes(path: Path, data: bytes) -> None:
    write_with(path, lambda f: f.write(data))


def write_text(path: Path, text: str, *, encoding: str = "utf-8", newline: str = "\n") -> None:
    data = text.replace("\n", newline).encode(encoding) if newline != "\n" else text.encode(encoding)
    write_bytes(path, data)


def write_with(path: Path, writer: Callable) -> None:
    """Call ``writer(binary_file)`` on a temp file beside ``path``, fsync it, then rename over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            writer(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def create_once(path: Path, data: bytes, *, mode: int = 0o444) -> bool:
    """Write ``path`` only if it does not exist yet (never overwrite); True if it was created now."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        try:
            os.link(tmp, path)  # fails if another run created it meanwhile: never overwrites
        except FileExistsError:
            return False
        return True
    finally:
        os.unlink(tmp)


def remove_stale_temps(folder: Path) -> int:
    """Delete temp files left by a killed writer (ours only: hidden names ending in .tmp). Call under the run lock."""
    n = 0
    if not folder.is_dir():
        return 0
    for p in folder.rglob(".*.tmp"):
        if p.is_file() and not p.is_symlink():
            p.unlink()
            n += 1
    return n

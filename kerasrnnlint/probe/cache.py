"""The on-disk cache of probe runs: one JSON file per run, named by the hash of its spec plus the
Keras/TensorFlow versions and the device choice.

Where: ``$XDG_CACHE_HOME/kerasrnnlint/probe/`` (``~/.cache/kerasrnnlint/probe/`` without it).
A file that cannot be read is a miss; a cache that cannot be written is skipped silently.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def directory() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kerasrnnlint" / "probe"


def load(key: str) -> dict[str, Any] | None:
    try:
        data = json.loads((directory() / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def store(key: str, result: dict[str, Any]) -> None:
    folder = directory()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(result, handle)
        os.replace(tmp, folder / f"{key}.json")
    except OSError:
        return

"""The on-disk cache of probe runs: one JSON file per run, named by the hash of its spec plus the
Keras and backend versions and the device choice.

Where: ``$XDG_CACHE_HOME/kerasrnnlint/probe/`` (``~/.cache/kerasrnnlint/probe/`` without it).
Each file is ``{"schema": SCHEMA, "key": KEY, "result": RUN}``. An entry is used only when it is a
regular file (checked on the opened descriptor, opened without blocking: a FIFO there cannot hang
the run), small, valid JSON, of this schema, under its own key, and a run result of the right
shape; anything else is a miss, and the next run replaces it. A cache that cannot be written is
skipped silently.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kerasrnnlint.files import Unreadable, read_bytes

SCHEMA = 2
MAX_ENTRY_BYTES = 1 << 20  # a 1000-step history is ~25 KB
MAX_HISTORY = 100_000
STORED_VERDICTS = ("confirmed", "not-reproduced")


def directory() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kerasrnnlint" / "probe"


def _read_regular(path: Path, limit: int) -> bytes | None:
    """The entry's bytes, or None: missing, not a regular file (a FIFO is refused without
    blocking), unreadable or over ``limit`` (:func:`kerasrnnlint.files.read_bytes`)."""
    data = read_bytes(str(path), limit)
    return None if isinstance(data, Unreadable) else data


def load(key: str) -> dict[str, Any] | None:
    """The run stored under ``key``, or None (missing, unreadable or not a valid entry)."""
    data = _read_regular(directory() / f"{key}.json", MAX_ENTRY_BYTES)
    if data is None:
        return None
    try:
        entry = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    if not isinstance(entry, dict) or entry.get("schema") != SCHEMA or entry.get("key") != key:
        return None
    result = entry.get("result")
    return result if valid_result(result) else None


def _number(value: object, optional: bool = True) -> bool:
    if value is None:
        return optional
    return isinstance(value, int | float) and not isinstance(value, bool)


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def valid_result(result: object) -> bool:
    """Whether ``result`` has the shape of a finished run (what :func:`store` writes)."""
    if not isinstance(result, dict):
        return False
    if result.get("verdict") not in STORED_VERDICTS:
        return False
    history = result.get("history")
    steps = result.get("steps")
    if not isinstance(history, list) or len(history) > MAX_HISTORY or not _count(steps):
        return False
    if len(history) != steps or not all(_number(h, optional=False) for h in history):
        return False
    step = result.get("step")
    if result["verdict"] == "confirmed":
        if not isinstance(step, int) or isinstance(step, bool) or not 1 <= step <= len(history):
            return False
    elif step is not None:
        return False
    for name in ("max_abs_h", "max_abs_c", "loss", "grad_norm"):
        if not _number(result.get(name)):
            return False
    seconds = result.get("seconds")
    if not isinstance(seconds, int | float) or not math.isfinite(seconds) or seconds < 0:
        return False
    for name in ("device", "reason", "tier", "backend", "backend_version", "stopped"):
        if not isinstance(result.get(name), str):
            return False
    assumed = result.get("assumed", [])
    return isinstance(assumed, list) and all(isinstance(a, str) for a in assumed)


def store(key: str, result: Mapping[str, Any]) -> None:
    if not valid_result(dict(result)):
        return
    folder = directory()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"schema": SCHEMA, "key": key, "result": dict(result)}, handle)
            os.replace(tmp, folder / f"{key}.json")
        except BaseException:
            _unlink(tmp)
            raise
    except (OSError, ValueError, TypeError):
        return


def _unlink(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)

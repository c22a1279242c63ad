"""Helpers shared by the test modules (``from helpers import run_cli``; pytest puts ``tests/`` on
the import path)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path


def run_cli(
    *args: str | Path,
    cwd: Path | None = None,
    stdin: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
    importtime: bool = False,
    preexec_fn: Callable[[], object] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``python -m kerasrnnlint ARGS`` in a real subprocess, output captured as text.

    Colour is off (``NO_COLOR=1``, no ``FORCE_COLOR`` from the outer environment) unless the
    arguments ask for it; ``env`` adds variables; ``importtime`` runs Python with
    ``-X importtime`` (the import report is on stderr); ``preexec_fn`` runs in the child before
    Python starts.
    """
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    full_env.pop("FORCE_COLOR", None)
    flags = ["-X", "importtime"] if importtime else []
    return subprocess.run(
        [sys.executable, *flags, "-m", "kerasrnnlint", *map(str, args)],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        preexec_fn=preexec_fn,
    )

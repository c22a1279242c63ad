"""Helpers shared by the test modules (``from helpers import run_cli``; pytest puts ``tests/`` on
the import path)."""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType

from kerasrnnlint import engine
from kerasrnnlint.config import Settings
from kerasrnnlint.engine import lint_source
from kerasrnnlint.findings import Finding
from kerasrnnlint.ir import Arg, Location, RecurrentLayer, Span

ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = ROOT / "fixtures" / "models"
MODELS_SOURCE = MODELS_DIR / "models.py"


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


def lstm(
    path: str = "src/model.py",
    line: int = 3,
    activation: str | None = "relu",
    cell: int | None = None,
    layer_path: tuple[str, ...] = (),
) -> RecurrentLayer:
    """An ``LSTM(activation=...)`` as a frontend gives it to the reporters: from source, spanning
    columns 9-35 of ``line`` with the value at 25-31; from a saved model (``layer_path``), with
    no spans; from a notebook, in ``cell``."""
    saved = bool(layer_path)
    return RecurrentLayer(
        cls="LSTM",
        location=Location(
            path, span=None if saved else Span(line, 9, line, 35), layer_path=layer_path, cell=cell
        ),
        args=(("activation", Arg(activation, span=None if saved else Span(line, 25, line, 31))),),
    )


def findings_of(*layers: RecurrentLayer) -> tuple[Finding, ...]:
    """The KRL001 findings of the real engine on these layers."""
    return tuple(engine.check_layers(layers, Settings(select=frozenset({"KRL001"}))))


# --------------------------------------------------------------------------------------------------
# The models of fixtures/models/models.py (live and saved-model tests)
# --------------------------------------------------------------------------------------------------

Key = tuple[str, str, str]


def keys(findings: list[Finding] | tuple[Finding, ...]) -> Counter[Key]:
    """What is compared between a model and its source: (code, layer class, severity)."""
    return Counter((f.code, f.layer, str(f.severity)) for f in findings)


def load_make_models() -> ModuleType:
    """``fixtures/models/make_models.py``, which builds and saves the models."""
    spec = importlib.util.spec_from_file_location("make_models", MODELS_DIR / "make_models.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def source_findings() -> dict[str, Counter[Key]]:
    """Findings of linting models.py, per model function."""
    text = MODELS_SOURCE.read_text(encoding="utf-8")
    result = lint_source(text, str(MODELS_SOURCE))
    assert result.error is None
    spans = {
        node.name: (node.lineno, node.end_lineno or node.lineno)
        for node in ast.parse(text).body
        if isinstance(node, ast.FunctionDef)
    }
    return {
        name: keys([f for f in result.findings if first <= f.location.line <= last])
        for name, (first, last) in spans.items()
    }

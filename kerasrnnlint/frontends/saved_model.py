"""Saved-model frontend: ``.keras``, ``.h5`` and JSON model configs. Reads JSON config only."""

from __future__ import annotations

from pathlib import Path

from kerasrnnlint.frontends.base import FrontendResult, InputError

MODEL_SUFFIXES: frozenset[str] = frozenset({".keras", ".h5", ".hdf5", ".json"})


def looks_like_model_json(path: Path) -> bool:
    """For directory walks: is this ``.json`` file a Keras model config (bounded read)?"""
    return False


def analyze_file(path: Path) -> FrontendResult:
    raise InputError("saved models are not supported yet")

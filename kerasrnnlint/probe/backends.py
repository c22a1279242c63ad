"""Which Keras 3 backend the probe trains on, decided in the lint process without importing one.

``auto`` is the backend Keras itself would use: ``KERAS_BACKEND``, else ``backend`` in
``$KERAS_HOME/keras.json`` (``~/.keras/keras.json``), else the first of TensorFlow, JAX and
PyTorch that is installed (found with :func:`importlib.util.find_spec`, never imported). The
choice is set in the probe child's ``KERAS_BACKEND`` before Keras is imported there.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from kerasrnnlint.files import Unreadable, read_bytes
from kerasrnnlint.links import install_hint

Backend = Literal["tensorflow", "jax", "torch"]
Choice = Literal["auto", "tensorflow", "jax", "torch"]

BACKENDS: tuple[Backend, ...] = ("tensorflow", "jax", "torch")
CHOICES: tuple[Choice, ...] = ("auto", *BACKENDS)
MODULES: Mapping[str, str] = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}
INSTALL_HINTS: Mapping[str, str] = {
    "tensorflow": install_hint("probe"),
    "jax": install_hint("probe-jax"),
    "torch": (
        f"{install_hint('probe-torch')}; for a CPU-only PyTorch first: "
        "pip install torch --index-url https://download.pytorch.org/whl/cpu"
    ),
}
# Keras's own spellings of the same backends (``keras.backend.backend()`` says "tensorflow",
# "jax", "torch"; KERAS_BACKEND also takes these).
ALIASES: Mapping[str, str] = {"tf": "tensorflow", "pytorch": "torch"}
MAX_CONFIG_BYTES = 64 * 1024


@dataclass(frozen=True)
class Resolved:
    """The backend to train on and where the choice came from (said in messages), or why no
    backend can be used (``problem``: a backend Keras has that cannot train, such as numpy)."""

    backend: str
    source: str
    problem: str | None = None


def keras_config_path(env: Mapping[str, str]) -> str:
    home = env.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return os.path.join(home, "keras.json")


def read_keras_config(path: str) -> str | None:
    """``backend`` of a ``keras.json``; None when there is none or it cannot be read. Opened
    without blocking and checked to be a regular file on the opened descriptor (a FIFO there
    must not hang the run)."""
    data = read_bytes(path, MAX_CONFIG_BYTES)
    if isinstance(data, Unreadable):
        return None
    try:
        config = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):
        return None
    backend = config.get("backend") if isinstance(config, dict) else None
    return backend if isinstance(backend, str) and backend.strip() else None


def normalize(name: str) -> str:
    name = name.strip().lower()
    return ALIASES.get(name, name)


def resolve(
    choice: str, env: Mapping[str, str], installed: Mapping[str, bool] | None = None
) -> Resolved:
    """The backend for ``choice`` (``auto`` or a backend name). ``installed`` says which backend
    packages the child's interpreter has (for ``auto`` with nothing configured)."""
    if choice != "auto":
        return _named(normalize(choice), "--probe-backend")
    named = env.get("KERAS_BACKEND")
    if named and named.strip():
        return _named(normalize(named), "KERAS_BACKEND")
    path = keras_config_path(env)
    configured = read_keras_config(path)
    if configured is not None:
        return _named(normalize(configured), path)
    for backend in BACKENDS:
        if installed is not None and installed.get(backend):
            return Resolved(backend, "the first installed backend")
    return Resolved("tensorflow", "Keras's default")


def _named(backend: str, source: str) -> Resolved:
    if backend in BACKENDS:
        return Resolved(backend, source)
    return Resolved(
        backend,
        source,
        problem=(
            f"the Keras backend {backend!r} (from {source}) cannot train a layer; "
            "pass --probe-backend tensorflow, jax or torch"
        ),
    )

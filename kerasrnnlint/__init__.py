"""kerasrnnlint: find Keras recurrent layers whose configuration makes training diverge to NaN.

The lint path imports libcst and rich only. TensorFlow/Keras are imported lazily, by the probe
child process and by the live-model API (``lint_model``, ``probe_model``), never by a lint run.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "lint_model", "probe_model"]


def __getattr__(name: str) -> Any:
    # Lazy, so that ``import kerasrnnlint`` stays cheap and never imports TensorFlow.
    if name in ("lint_model", "probe_model"):
        from kerasrnnlint import api

        return getattr(api, name)
    raise AttributeError(f"module 'kerasrnnlint' has no attribute {name!r}")

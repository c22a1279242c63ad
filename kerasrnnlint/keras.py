"""A Keras callback that lints the model before the first batch: :class:`LintCallback`.

```python
from kerasrnnlint.keras import LintCallback

model.fit(x, y, callbacks=[LintCallback(fail_on="high")])
```

At ``on_train_begin`` the model is linted (:func:`kerasrnnlint.lint_model`). Findings below
``fail_on`` are issued as :class:`RecurrentConfigWarning` warnings; findings at or above it stop
training with :class:`RecurrentConfigError` before the first batch runs (``model.stop_training``
alone is only read after a batch). With ``probe=True`` each recurrent layer is first probed in this
process with its real objects (:func:`kerasrnnlint.probe_model`), so a custom activation function is
decided as well and a confirmed divergence is rated high.

This module imports Keras (it is only imported by training code, never by a lint run).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import keras

from kerasrnnlint.findings import Finding, Severity

__all__ = ["LintCallback", "RecurrentConfigError", "RecurrentConfigWarning"]


class RecurrentConfigWarning(UserWarning):
    """A finding below the callback's ``fail_on`` level."""


class RecurrentConfigError(RuntimeError):
    """Training was stopped before the first batch; ``findings`` holds what was found."""

    def __init__(self, message: str, findings: Sequence[Finding]):
        super().__init__(message)
        self.findings = tuple(findings)


def describe(finding: Finding) -> str:
    """One line per finding: ``model › lstm: KRL001[high] LSTM uses ...``."""
    text = f"{finding.location.display()}: {finding.code}[{finding.severity}] {finding.message}"
    if finding.probe is not None:
        verdict = getattr(finding.probe, "verdict", None)
        if verdict:
            text += f" (probe: {verdict})"
    return text


class LintCallback(keras.callbacks.Callback):  # type: ignore[misc]
    """Lint the model at ``on_train_begin``; stop before the first batch at ``fail_on`` or above.

    ``fail_on``: ``"info"``, ``"low"``, ``"medium"``, ``"high"`` (default) or a
    :class:`~kerasrnnlint.findings.Severity`; ``None`` never stops (warnings only).
    ``probe``: probe each recurrent layer in-process with the real layer objects first.
    ``probe_mode`` / ``probe_budget``: passed to :func:`kerasrnnlint.probe_model`.
    After training starts, ``callback.findings`` holds the findings (and ``callback.probes`` the
    probe of each recurrent layer, with ``probe=True``).
    """

    def __init__(
        self,
        fail_on: str | Severity | None = "high",
        probe: bool = False,
        probe_mode: str = "stress",
        probe_budget: float | None = None,
    ):
        super().__init__()
        if isinstance(fail_on, str):
            fail_on = Severity.parse(fail_on)
        self.fail_on = fail_on
        self.probe = probe
        self.probe_mode = probe_mode
        self.probe_budget = probe_budget
        self.findings: tuple[Finding, ...] = ()
        self.probes: tuple[Any, ...] = ()  # kerasrnnlint.api.LayerProbe, with probe=True

    def _lint(self) -> list[Finding]:
        from kerasrnnlint import api

        if not self.probe:
            return api.lint_model(self.model)
        probes = api.probe_model(
            self.model,
            mode="replay" if self.probe_mode == "replay" else "stress",
            budget=self.probe_budget,
        )
        self.probes = tuple(probes)
        return [finding for probe in probes for finding in probe.findings]

    # tf.keras 2 (``tf_keras``) asks its callbacks these before training; a Keras 3 callback
    # lacks them. This callback has no batch hooks.
    _supports_tf_logs = False

    def _implements_train_batch_hooks(self) -> bool:
        return False

    def _implements_test_batch_hooks(self) -> bool:
        return False

    def _implements_predict_batch_hooks(self) -> bool:
        return False

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        findings = self._lint()
        self.findings = tuple(findings)
        failing = [f for f in findings if self.fail_on is not None and f.severity >= self.fail_on]
        stopping = {id(f) for f in failing}
        for finding in findings:
            if id(finding) not in stopping:
                warnings.warn(describe(finding), RecurrentConfigWarning, stacklevel=2)
        if failing:
            self.model.stop_training = True
            lines = "\n".join(f"  {describe(f)}" for f in failing)
            raise RecurrentConfigError(
                f"kerasrnnlint stopped training before the first batch: {len(failing)} "
                f"finding(s) at or above {self.fail_on}:\n{lines}\n"
                "Fix the layers, or pass LintCallback(fail_on=None) to only warn.",
                failing,
            )

"""The Python API for live models: :func:`lint_model` and :func:`probe_model`.

``kerasrnnlint.lint_model(model)`` reads a built ``keras.Model`` (Keras 3 or tf.keras 2, compiled or
not) through the same configuration reader as a saved model file, runs the same rules and risk
model, and returns :class:`~kerasrnnlint.findings.Finding` objects (the fields of the JSON output;
``finding.to_json()`` gives it). ``kerasrnnlint.probe_model(model)`` trains each recurrent layer of
the model briefly in this process with the real layer objects, so custom activation functions get
a verdict too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from kerasrnnlint.config import Settings
from kerasrnnlint.engine import check_layers
from kerasrnnlint.findings import Finding, Severity
from kerasrnnlint.frontends import live
from kerasrnnlint.ir import RecurrentLayer
from kerasrnnlint.probe import ProbeResult

__all__ = ["LayerProbe", "lint_model", "probe_model"]

ProbeMode = Literal["stress", "replay"]


def lint_model(model: Any, settings: Settings | None = None) -> list[Finding]:
    """The findings on the recurrent layers of a live ``keras.Model`` (no TensorFlow work is done:
    only the model's configuration and optimizer are read)."""
    result, _ = live.analyze_model(model)
    return check_layers(result.layers, settings or Settings())


@dataclass(frozen=True)
class LayerProbe:
    """The probe of one recurrent layer of a live model, and its findings after the probe
    (a ``confirmed`` verdict raises them to high; a custom activation confirmed to diverge gets a
    KRL001 finding of its own)."""

    layer: RecurrentLayer
    result: ProbeResult
    findings: tuple[Finding, ...] = ()

    @property
    def confirmed(self) -> bool:
        return self.result.verdict == "confirmed"


def _probe_layer_entry() -> Callable[..., ProbeResult]:
    try:
        from kerasrnnlint.probe.trainer import probe_layer
    except ImportError as exc:  # pragma: no cover - the probe package ships with this one
        raise NotImplementedError(f"the in-process probe is not available ({exc})") from exc
    return probe_layer


def _custom_activation_finding(layer: RecurrentLayer, result: ProbeResult) -> Finding:
    from kerasrnnlint.rules.krl001_unbounded_activation import FIX, RULE

    arg = layer.arg("activation")
    return Finding(
        code=RULE.code,
        name=RULE.name,
        severity=Severity.HIGH,
        message=(
            f"{layer.display_name} uses a {arg.origin}; a probe training with the real function "
            f"diverged (verdict {result.verdict}"
            + (f" at step {result.step}" if result.step is not None else "")
            + "), so it acts like an unbounded activation inside the recurrence. "
            "Use activation='tanh'."
        ),
        location=layer.location,
        layer=layer.cls,
        fix=FIX,
        probe=result,
        subject=layer,
    )


def _after_probe(
    layer: RecurrentLayer, findings: Sequence[Finding], result: ProbeResult
) -> tuple[Finding, ...]:
    confirmed = result.verdict == "confirmed"
    updated = []
    for finding in findings:
        severity = finding.severity
        if confirmed and finding.code < "KRL100":  # divergence rules, not the speed ones
            severity = Severity.HIGH
        updated.append(replace(finding, severity=severity, probe=result))
    if (
        confirmed
        and not layer.arg("activation").known
        and not any(f.code == "KRL001" for f in findings)
    ):
        updated.insert(0, _custom_activation_finding(layer, result))
    return tuple(updated)


def probe_model(
    model: Any,
    *,
    mode: ProbeMode = "stress",
    budget: float | None = None,
    settings: Settings | None = None,
) -> list[LayerProbe]:
    """Probe every recurrent layer of a live model in this process, on the Keras backend the
    model was built with (TensorFlow, JAX or PyTorch: Keras's backend of this process).

    Each layer is rebuilt from its configuration with its *real* ``activation`` and
    ``recurrent_activation`` callables and trained for a few steps (``mode``: ``"stress"``, the
    fast hard tier, or ``"replay"`` with the model's own units, sequence length and optimizer).
    When a finding has a fix, a confirmed divergence is re-run with the fix to verify it.
    ``budget``: seconds per run (None: 30 for stress; replay runs to its verdict or its step
    limit); a run the budget stops is ``inconclusive``.
    """
    probe_layer = _probe_layer_entry()
    result, layers = live.analyze_model(model)
    findings = check_layers(result.layers, settings or Settings())
    probes: list[LayerProbe] = []
    for item in layers:
        own = [f for f in findings if f.location.layer_path == item.layer.location.layer_path]
        lead = _lead(own)
        activation, recurrent = live.real_activations(item.obj) if item.obj else (None, None)
        outcome = probe_layer(
            item.layer,
            code=lead.code if lead else None,
            fix=lead.fix if lead else None,
            activation=activation,
            recurrent_activation=recurrent,
            mode=mode,
            budget=budget,
        )
        probes.append(LayerProbe(item.layer, outcome, _after_probe(item.layer, own, outcome)))
    return probes


def _lead(findings: Sequence[Finding]) -> Finding | None:
    """The finding whose fix a probe verifies: the most severe divergence finding."""
    divergence = [f for f in findings if f.code < "KRL100"] or list(findings)
    if not divergence:
        return None
    return max(divergence, key=lambda f: (f.severity, f.code == "KRL001"))

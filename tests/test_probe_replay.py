"""The replay tier on the classic case, at its default flags, on TensorFlow and on JAX (slow: on two
idle cores about 3.3 s a step on TensorFlow; more when the machine is shared).

``LSTM(512, activation='relu', recurrent_dropout=0.3)`` on input (32, 672, 16) trained with
Nadam(4e-4, clipnorm=1) goes NaN within about ten steps; with the KRL001 fix (tanh) the same run
stays finite for longer than that, which is what "fix verified" means for replay. No timeout is
given: the replay times its first two steps, says how long its step limit would take, and runs
until the verdict (a budget-stopped run would be ``inconclusive``, never ``not-reproduced``).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from kerasrnnlint.ir import Arg, Context, Location, Optimizer, RecurrentLayer, Span
from kerasrnnlint.probe import ProbeOptions
from kerasrnnlint.probe.runner import ProbeRequest, probe_batch
from kerasrnnlint.rules.krl001_unbounded_activation import FIX as TANH_FIX

CLASSIC = RecurrentLayer(
    "LSTM",
    Location("train.py", Span(12, 5, 12, 60)),
    args=(
        ("units", Arg(512)),
        ("activation", Arg("relu")),
        ("recurrent_dropout", Arg(0.3)),
    ),
    context=Context(
        timesteps=672,
        features=16,
        optimizer=Optimizer("Nadam", learning_rate=4e-4, clipnorm=1.0),
    ),
)


@pytest.mark.probe
@pytest.mark.slow
@pytest.mark.parametrize(
    "backend",
    [
        pytest.param(
            name,
            marks=pytest.mark.skipif(
                importlib.util.find_spec(name) is None, reason=f"{name} is not installed"
            ),
        )
        for name in ("tensorflow", "jax")
    ],
)
def test_classic_case_at_default_flags_is_confirmed_and_its_fix_verified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    said: list[str] = []
    options = ProbeOptions(mode="replay", backend=backend)  # no timeout: the defaults
    request = ProbeRequest(CLASSIC, "KRL001", TANH_FIX)
    (result,), notes = probe_batch([request], options, announce=said.append)
    assert notes == []
    assert result.verdict == "confirmed", result
    assert result.tier == "replay" and result.backend == backend
    assert result.defaults_used == ()  # units, shape and optimizer all came from the IR
    assert result.step is not None and result.step >= 2
    assert result.fix_verified is True, result.fix_evidence
    steps = result.extra["fix_history"]
    assert len(steps) > result.step  # tanh stayed finite past the step where relu diverged
    # Before the long part, it said how long the 1000-step limit would take.
    assert said and "up to 1000 steps: about" in said[0] and "(traced)" in said[0], said
    print(f"{backend}: {result.seconds:.0f} s, confirmed at step {result.step}; {said}")

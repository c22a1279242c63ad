"""The replay tier on the classic case (slow: ~3.3 s per step on two idle cores, more when shared).

``LSTM(512, activation='relu', recurrent_dropout=0.3)`` on input (32, 672, 16) trained with
Nadam(4e-4, clipnorm=1) goes NaN within about ten steps; with the KRL001 fix (tanh) the same run
stays finite for longer than that, which is what "fix verified" means for replay.
"""

from __future__ import annotations

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
def test_classic_case_is_confirmed_by_replay_and_its_fix_verified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    options = ProbeOptions(mode="replay", timeout=600.0, total_timeout=1500.0)
    (result,), notes = probe_batch([ProbeRequest(CLASSIC, "KRL001", TANH_FIX)], options)
    assert notes == []
    assert result.verdict == "confirmed", result
    assert result.tier == "replay"
    assert result.defaults_used == ()  # units, shape and optimizer all came from the IR
    assert result.step is not None and result.step >= 2
    assert result.fix_verified is True, result.fix_evidence
    steps = result.extra["fix_history"]
    assert len(steps) > result.step  # tanh stayed finite past the step where relu diverged

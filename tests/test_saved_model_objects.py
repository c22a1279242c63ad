"""Constraints, regularizers and initializers written as objects (``MaxNorm(0.5)``) read the same
from a model saved by real Keras (`.keras`, `.h5`) as from the source that builds it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kerasrnnlint.frontends import saved_model
from kerasrnnlint.frontends.source import analyze

SOURCE = """\
import keras

model = keras.Sequential(
    [
        keras.Input(shape=(16, 4)),
        keras.layers.LSTM(
            8,
            activation="relu",
            kernel_constraint=keras.constraints.MaxNorm(0.5),
            recurrent_constraint=keras.constraints.MaxNorm(max_value=0.5),
            bias_constraint=keras.constraints.UnitNorm(axis=0),
            kernel_regularizer=keras.regularizers.L1L2(l1=0.001, l2=0.01),
            recurrent_regularizer=keras.regularizers.l2(0.02),
            bias_initializer=keras.initializers.Constant(0.25),
            kernel_initializer=keras.initializers.GlorotUniform(seed=3),
        ),
    ]
)
"""
NAMES = (
    "kernel_constraint",
    "recurrent_constraint",
    "bias_constraint",
    "kernel_regularizer",
    "recurrent_regularizer",
    "bias_initializer",
    "kernel_initializer",
)


@pytest.mark.parametrize("suffix", (".keras", ".h5"))
def test_saved_file_and_source_give_the_same_object_values(tmp_path: Path, suffix: str) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    namespace: dict[str, object] = {}
    exec(compile(SOURCE, "model.py", "exec"), namespace)  # the test's own source, not scanned code
    path = tmp_path / f"model{suffix}"
    namespace["model"].save(path)  # type: ignore[attr-defined]

    (source_layer,) = analyze(SOURCE, "model.py").layers
    (saved_layer,) = saved_model.analyze_file(path).layers
    from_source = {name: source_layer.arg(name).value for name in NAMES}
    from_file = {name: saved_layer.arg(name).value for name in NAMES}
    assert from_source["kernel_constraint"] == ("MaxNorm", (("max_value", 0.5),))
    assert from_source["kernel_initializer"] == ("GlorotUniform", (("seed", 3),))
    assert from_file == from_source
    assert saved_layer.arg("kernel_constraint").origin == "saved config"

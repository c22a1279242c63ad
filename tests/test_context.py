"""The training context the source frontend gives each layer, and what a user sees from it.

The fixtures' inline expectations (tests/test_fixtures.py) check the findings; these tests check
the context itself (producer, sequence length, features, optimizer) on the same real files, the
classic case end to end through the command line, and Keras's own behaviour behind KRL102.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import run_cli

from kerasrnnlint.engine import lint_source
from kerasrnnlint.findings import Severity
from kerasrnnlint.frontends.source import analyze
from kerasrnnlint.ir import Context, RecurrentLayer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def layers_of(name: str) -> list[RecurrentLayer]:
    path = FIXTURES / name
    return list(analyze(path.read_text(encoding="utf-8"), str(path)).layers)


def context_at(name: str, line: int) -> Context:
    """The context of the first layer written on ``line`` of a fixture."""
    found = [layer for layer in layers_of(name) if layer.location.line == line]
    assert found, f"no layer on {name}:{line}"
    return min(found, key=lambda layer: layer.location.column).context


def line_of(name: str, text: str) -> int:
    lines = (FIXTURES / name).read_text(encoding="utf-8").splitlines()
    matches = [i for i, line in enumerate(lines, 1) if text in line]
    assert len(matches) == 1, (text, matches)
    return matches[0]


def test_classic_case_as_source_is_high_through_the_command_line() -> None:
    path = FIXTURES / "krl003_recurrent_dropout_high_lr.py"
    proc = run_cli("--output-format", "json", path)
    assert proc.returncode == 1, proc.stderr
    line = line_of(path.name, 'LSTM(512, activation="relu"')
    found = {f["code"]: f for f in json.loads(proc.stdout) if f["location"]["row"] == line}
    assert found["KRL001"]["severity"] == "high"
    assert found["KRL003"]["severity"] == "high"
    factors = {f["name"]: f["value"] for f in found["KRL001"]["factors"]}
    assert factors["sequence_length"] == "672"
    assert factors["learning_rate"] == "Nadam 0.0004"
    assert factors["clipping"] == "clipnorm=1"


def test_default_lstm_trained_with_adam_has_no_finding() -> None:
    text = (
        "import keras\nfrom keras import layers\n"
        "model = keras.Sequential(\n"
        "    [keras.Input(shape=(100, 8)), layers.LSTM(64), layers.Dense(1)]\n"
        ")\n"
        "model.compile(optimizer='adam', loss='mse')\n"
    )
    result = lint_source(text, "default.py")
    assert result.error is None and result.findings == ()
    (layer,) = result.layers
    assert layer.context.optimizer is not None
    assert (layer.context.optimizer.cls, layer.context.optimizer.learning_rate) == ("Adam", 1e-3)
    assert layer.context.timesteps == 100 and layer.context.features == 8


def test_sequential_input_shape_producer_and_string_optimizer() -> None:
    name = "context_add_chain.py"
    ctx = context_at(name, line_of(name, 'LSTM(128, activation="elu"'))
    assert ctx.producer is not None and ctx.producer.cls == "Conv1D"
    assert ctx.producer.kind == "unbounded" and ctx.producer.activation == "relu"
    assert ctx.producer.location is not None
    assert ctx.producer.location.line == line_of(name, "model.add(Conv1D(")
    assert (ctx.timesteps, ctx.features) == (300, 64)  # padding="same" keeps T; 64 filters
    assert ctx.optimizer is not None and ctx.optimizer.cls == "Adam"

    legacy = context_at(name, line_of(name, "input_dim=8, input_length=512"))
    assert (legacy.timesteps, legacy.features) == (512, 8)
    assert legacy.producer is not None and legacy.producer.kind == "input"
    assert legacy.optimizer is not None and legacy.optimizer.cls == "Nadam"
    assert legacy.optimizer.learning_rate == 1e-3


def test_rebound_receiver_starts_a_new_model() -> None:
    name = "context_add_chain.py"
    ctx = context_at(name, line_of(name, "model.add(GRU(16))"))
    assert ctx.producer is not None and ctx.producer.cls == "Activation"
    first = context_at(name, line_of(name, "model.add(GRU(32, return_sequences=True))"))
    assert first.producer is not None and first.producer.kind == "input"
    assert (first.timesteps, first.features) == (40, 2)
    # compile() without an optimizer is Keras's default, RMSprop.
    assert first.optimizer is not None and first.optimizer.cls == "RMSprop"


def test_plain_wrapper_class_methods_named_build_and_compile_run_as_written() -> None:
    name = "context_add_chain.py"
    ctx = context_at(name, line_of(name, "self.model.add(LSTM(32"))
    assert ctx.producer is not None and ctx.producer.cls == "Dense"
    assert (ctx.timesteps, ctx.features) == (300, 16)
    assert ctx.optimizer is not None
    assert (ctx.optimizer.cls, ctx.optimizer.learning_rate) == ("Adam", 0.05)


@pytest.mark.parametrize(
    ("marker", "cls", "rate", "clipnorm"),
    [
        ("inline = Sequential", "Adam", 0.05, None),
        ("in_variable = Sequential", "Nadam", 0.03, None),
        ("legacy_lr = Sequential", "RMSprop", 0.1, None),
        ("decayed = Sequential", "Adam", 0.1, None),
        ("piecewise = Sequential", "Adam", 0.001, None),
        ("clipped = Sequential", "Adam", 0.05, 1.0),
        ("scaled = Sequential", "Adam", 0.05, None),
        ("plain_sgd = Sequential", "SGD", 0.5, None),
        ("by_string = Sequential", "Adam", 0.001, None),
        ("chosen = Sequential", "Adam", 0.05, None),
        ("muon = Sequential", "Muon", 0.001, None),
    ],
)
def test_optimizer_forms(marker: str, cls: str, rate: float, clipnorm: float | None) -> None:
    name = "context_optimizer.py"
    ctx = context_at(name, line_of(name, marker))
    assert ctx.optimizer is not None
    assert (ctx.optimizer.cls, ctx.optimizer.learning_rate) == (cls, pytest.approx(rate))
    assert ctx.optimizer.clipnorm == clipnorm
    assert ctx.optimizer.adaptive == (cls != "SGD")


@pytest.mark.parametrize("marker", ["unresolved = Sequential", "return Sequential("])
def test_invisible_rates_are_not_guessed(marker: str) -> None:
    name = "context_optimizer.py"
    ctx = context_at(name, line_of(name, marker))
    if marker.startswith("unresolved"):
        assert ctx.optimizer is not None and ctx.optimizer.learning_rate is None
    else:  # compiled in another module
        assert ctx.optimizer is None
    assert ctx.timesteps == 20


def test_subclassed_model_gets_producer_and_module_level_optimizer() -> None:
    name = "context_subclass.py"
    ctx = context_at(name, line_of(name, "self.rnn = layers.LSTM(units"))
    assert ctx.producer is not None and ctx.producer.cls == "Conv1D"
    assert ctx.optimizer is not None and ctx.optimizer.learning_rate == 0.02
    block = context_at(name, line_of(name, "self.rnn = layers.GRU(64"))
    assert block.producer is not None and block.producer.kind == "normalizing"
    after = context_at(name, line_of(name, "y = layers.GRU(8)(y)"))
    assert after.producer is not None and after.producer.cls == "GRU"
    assert after.producer.kind == "bounded"


def test_subclass_build_method_and_model_build_shape() -> None:
    name = "context_subclass.py"
    ctx = context_at(name, line_of(name, "self.rnns.append(layers.GRU(32"))
    assert ctx.producer is not None and ctx.producer.cls == "Dense"  # created in build()
    assert (ctx.timesteps, ctx.features) == (300, 32)  # model.build((None, 300, 8))
    assert ctx.optimizer is not None and ctx.optimizer.cls == "Adam"


def test_wrappers_nesting_and_shapes_through_a_builder_function() -> None:
    name = "context_wrappers.py"
    bi = context_at(name, line_of(name, "layers.Bidirectional(layers.LSTM(32"))
    assert bi.timesteps == 398  # Input(400) through Conv1D(kernel 3, valid)
    assert bi.features == 16
    assert bi.optimizer is not None and bi.optimizer.learning_rate == 0.02
    nested = context_at(name, line_of(name, "return keras.Sequential([layers.GRU(32"))
    assert nested.producer is not None and nested.producer.cls == "Dense"  # TimeDistributed
    assert nested.timesteps == 398 and nested.features == 8
    cell = context_at(name, line_of(name, "layers.RNN(layers.LSTMCell(32"))
    assert cell.producer is not None and cell.producer.cls == "Conv2D"
    # Compiled twice: the riskier (higher) rate is kept.
    assert cell.optimizer is not None and cell.optimizer.learning_rate == 0.05


@pytest.mark.parametrize(
    ("text", "timesteps", "features"),
    [
        # The text model: token ids (T,) through an Embedding.
        ("x = keras.Input(shape=(500,))\nx = L.Embedding(20000, 128)(x)", 500, 128),
        ("x = L.Embedding(20000, 64, input_length=300)(keras.Input(shape=(None,)))", 300, 64),
        ("x = keras.Input(shape=(None,))\nx = L.Embedding(20000, 64)(x)", None, 64),
        ("x = L.ZeroPadding1D(2)(keras.Input(shape=(400, 8)))", 404, 8),
        ("x = L.Cropping1D((3, 1))(keras.Input(shape=(400, 8)))", 396, 8),
        ("x = L.Cropping1D()(keras.Input(shape=(400, 8)))", 398, 8),
        ("x = L.Reshape((300, 4))(keras.Input(shape=(1200,)))", 300, 4),
        ("x = L.Reshape((-1, 4))(keras.Input(shape=(1200,)))", None, 4),
    ],
)
def test_sequence_length_through_embedding_padding_and_reshape(
    text: str, timesteps: int | None, features: int | None
) -> None:
    source = f"import keras\nfrom keras import layers as L\n{text}\nL.LSTM(8)(x)\n"
    (layer,) = lint_source(source, "shapes.py").layers
    assert (layer.context.timesteps, layer.context.features) == (timesteps, features)


def test_loop_over_a_list_of_layers_chains_them() -> None:
    name = "context_loops.py"
    ctx = context_at(name, line_of(name, "layers.LSTM(64, return_sequences=True)"))
    assert ctx.producer is not None and ctx.producer.cls == "Conv1D"
    assert ctx.timesteps == 248  # (500 - 5 + 1) // 2
    last = context_at(name, line_of(name, "layers.LSTM(32),"))
    assert last.producer is not None and last.producer.kind == "normalizing"


def test_pathological_module_is_bounded_and_keeps_the_layer() -> None:
    loops = "".join("    " * i + "for _ in range(9):\n" for i in range(12))
    text = (
        "from keras.layers import LSTM, Dense\n"
        "def f(x):\n    return f(f(x))\n"
        f"x = f(1)\n{loops}" + "    " * 12 + "x = LSTM(8)(Dense(4)(x))\n"
    )
    result = lint_source(text, "loops.py")
    assert result.error is None
    assert [f.code for f in result.findings] == ["KRL004"]
    assert result.findings[0].severity is Severity.LOW


@pytest.mark.probe
def test_keras_raises_on_forced_cudnn_and_runs_with_auto(tmp_path: Path) -> None:
    """KRL102's claim, checked against real Keras; its fix (use_cudnn='auto') builds and runs."""
    script = tmp_path / "forced.py"
    script.write_text(
        "import numpy as np, keras\n"
        "x = np.zeros((2, 5, 3), 'float32')\n"
        "try:\n"
        "    keras.layers.LSTM(4, recurrent_dropout=0.2, use_cudnn=True)(x)\n"
        "    print('built')\n"
        "except ValueError as exc:\n"
        "    print('raised', 'use_cudnn=True' in str(exc))\n"
        "print(keras.layers.LSTM(4, recurrent_dropout=0.2, use_cudnn='auto')(x).shape)\n",
        encoding="utf-8",
    )
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split("\n")[:2] == ["raised True", "(2, 4)"]

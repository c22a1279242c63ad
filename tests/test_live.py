"""Live models: `lint_model`, `probe_model` and `LintCallback` on real Keras models.

The models are the builders of ``fixtures/models/models.py``; linting a live model must give the
findings of linting the source that built it (and of its saved file). The callback must stop
``model.fit`` before any batch on the classic relu case and let a tanh model train.
"""

from __future__ import annotations

import os
import warnings
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from helpers import Key, keys, load_make_models, source_findings

import kerasrnnlint
from kerasrnnlint.config import Settings
from kerasrnnlint.engine import check_layers, lint_source
from kerasrnnlint.findings import Finding, Severity
from kerasrnnlint.frontends import saved_model

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras = pytest.importorskip("keras")
kerasrnnlint_keras = pytest.importorskip("kerasrnnlint.keras")


@pytest.fixture(scope="module")
def models() -> ModuleType:
    module: ModuleType = load_make_models().load_models()
    return module


@pytest.fixture(scope="module")
def built(models: ModuleType) -> dict[str, Any]:
    """Every model of models.py, built once (fresh layer names per model)."""
    out = {}
    for name, builder in models.BUILDERS.items():
        keras.backend.clear_session()
        out[name] = builder()
    return out


@pytest.fixture(scope="module")
def expected() -> dict[str, Counter[Key]]:
    return source_findings()


NAMES = ("classic", "conv_feeds_lstm", "bidirectional_gru", "rnn_cells")
NAMES += ("subclassed_inside", "nested_encoder", "merge_branches", "shared_layer", "clean")


@pytest.mark.parametrize("name", NAMES)
def test_live_model_gives_the_source_findings(
    built: dict[str, Any], expected: dict[str, Counter[Key]], name: str
) -> None:
    findings = kerasrnnlint.lint_model(built[name])
    assert all(isinstance(f, Finding) for f in findings)
    assert keys(findings) == expected[name]


@pytest.mark.parametrize("name", ("classic", "nested_encoder", "rnn_cells"))
def test_live_model_and_its_saved_file_agree(
    built: dict[str, Any], name: str, tmp_path: Path
) -> None:
    path = tmp_path / f"{name}.keras"
    built[name].save(path)
    from_file = check_layers(saved_model.analyze_file(path).layers, Settings())
    live = kerasrnnlint.lint_model(built[name])
    assert keys(live) == keys(from_file)
    assert [f.location.layer_path for f in live] == [f.location.layer_path for f in from_file]


def test_findings_have_the_json_fields_and_a_layer_path(built: dict[str, Any]) -> None:
    model = built["nested_encoder"]
    findings = kerasrnnlint.lint_model(model)
    krl001 = next(f for f in findings if f.code == "KRL001")
    data = krl001.to_json()
    assert data["layer_path"] == ["encoder", "bidirectional", "forward_lstm"]
    assert (krl001.filename, list(krl001.layer_path)) == (data["filename"], data["layer_path"])
    for name in ("code", "name", "message", "layer"):
        assert getattr(krl001, name) == data[name]
    assert data["filename"] == f"<model {model.name}>"
    assert {"code", "name", "severity", "message", "fix", "factors"} <= set(data)
    assert data["severity"] == "high" and data["fix"]["changes"] == {"activation": "tanh"}


def test_live_optimizer_is_the_compiled_one(built: dict[str, Any]) -> None:
    from kerasrnnlint.frontends import live

    model = built["conv_feeds_lstm"]
    result, _ = live.analyze_model(model)
    (layer,) = result.layers
    optimizer = layer.context.optimizer
    assert optimizer is not None
    assert (optimizer.cls, optimizer.learning_rate, optimizer.clipvalue) == ("SGD", 0.05, 0.5)
    assert layer.arg("units").origin == "model config"


def test_uncompiled_model_has_no_optimizer_and_a_lower_bar() -> None:
    model = keras.Sequential([keras.Input((10, 2)), keras.layers.GRU(4, activation="relu")])
    from kerasrnnlint.frontends import live

    result, _ = live.analyze_model(model)
    assert result.layers[0].context.optimizer is None
    assert [f.code for f in kerasrnnlint.lint_model(model)] == ["KRL001"]  # KRL101 folded


class Block(keras.layers.Layer):  # type: ignore[misc]
    """A subclassed layer that creates its recurrent layer in __init__ (no get_config)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rnn = keras.layers.LSTM(4, activation="relu", return_sequences=True)
        self.norm = keras.layers.LayerNormalization()

    def call(self, x: Any) -> Any:
        return self.norm(self.rnn(x))


class Subclassed(keras.Model):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.block = Block(name="block")
        self.gru = keras.layers.GRU(4, activation="elu")
        self.head = keras.layers.Dense(1)

    def call(self, x: Any) -> Any:
        return self.head(self.gru(self.block(x)))


def test_recurrent_layers_inside_subclassed_layers_and_models_are_found() -> None:
    inputs = keras.Input((12, 3))
    block = Block(name="block")
    model = keras.Model(inputs, keras.layers.Dense(1)(block(inputs)))
    found = [(f.code, f.location.layer_path) for f in kerasrnnlint.lint_model(model)]
    assert found == [("KRL001", ("block", block.rnn.name))]  # its KRL101 is folded into it

    sub = Subclassed()
    sub(np.zeros((1, 12, 3), dtype="float32"))
    findings = kerasrnnlint.lint_model(sub)
    assert Counter((f.code, f.layer) for f in findings if f.code == "KRL001") == Counter(
        {("KRL001", "LSTM"): 1, ("KRL001", "GRU"): 1}
    )
    paths = {f.location.layer_path for f in findings}
    assert paths == {("block", sub.block.rnn.name), (sub.gru.name,)}


class MyLSTM(keras.layers.LSTM):  # type: ignore[misc]
    """A user's subclass of LSTM: its saved config says `MyLSTM`, the live object is an LSTM."""


def test_subclass_of_a_recurrent_layer_keeps_its_place_in_the_graph(tmp_path: Path) -> None:
    inputs = keras.Input((16, 4))
    features = keras.layers.Dense(8, activation="relu")(inputs)
    model = keras.Model(inputs, MyLSTM(4, activation="relu", name="mine")(features))
    findings = kerasrnnlint.lint_model(model)
    assert {(f.code, f.layer, f.location.layer_path) for f in findings} == {
        ("KRL001", "LSTM", ("mine",)),
        ("KRL004", "LSTM", ("mine",)),
    }
    subject = findings[0].subject
    assert subject is not None and subject.context.timesteps == 16
    model.save(tmp_path / "mine.keras")  # the file cannot tell: a note, no guess
    result = saved_model.analyze_file(tmp_path / "mine.keras")
    assert result.layers == () and "custom class `MyLSTM`" in result.notes[0]


FORCED_CUDNN = """import keras
from keras import layers

model = keras.Sequential(
    [
        keras.Input((10, 3)),
        layers.LayerNormalization(),
        layers.LSTM(4, use_cudnn=True, recurrent_dropout=0.2, return_sequences=True),
        layers.GRU(4, use_cudnn=False),
    ]
)
"""


def test_use_cudnn_which_no_config_saves_is_read_from_the_live_layer() -> None:
    """``use_cudnn=True`` on an ineligible LSTM is KRL102 in source and on the live model."""
    source = lint_source(FORCED_CUDNN, "forced.py")
    assert source.error is None
    namespace: dict[str, Any] = {}
    exec(FORCED_CUDNN, namespace)
    live = kerasrnnlint.lint_model(namespace["model"])
    assert keys(live) == keys(source.findings)
    assert "KRL102" in {f.code for f in live}
    subject = next(f for f in live if f.code == "KRL102").subject
    assert subject is not None and subject.arg("use_cudnn").origin == "model config"


# --------------------------------------------------------------------------------------------------
# The callback
# --------------------------------------------------------------------------------------------------


class CountBatches(keras.callbacks.Callback):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.batches = 0

    def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
        self.batches += 1


def data(model: Any, n: int = 8) -> tuple[Any, Any]:
    shape = model.inputs[0].shape[1:]
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, *shape)).astype("float32"), rng.integers(0, 2, (n, 1)).astype(
        "float32"
    )


def test_callback_stops_the_classic_relu_case_before_any_batch(built: dict[str, Any]) -> None:
    model = built["classic"]
    before = [w.copy() for w in model.get_weights()]
    counter = CountBatches()
    x, y = data(model)
    with pytest.raises(kerasrnnlint_keras.RecurrentConfigError) as info:
        model.fit(
            x,
            y,
            epochs=1,
            batch_size=4,
            verbose=0,
            callbacks=[counter, kerasrnnlint_keras.LintCallback()],
        )
    assert counter.batches == 0
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))
    message = str(info.value)
    assert "before the first batch" in message
    assert "<model sequential> › lstm: KRL001[high]" in message and "KRL003[high]" in message
    assert {f.code for f in info.value.findings} == {"KRL001", "KRL003"}


def test_callback_lets_a_tanh_model_train(built: dict[str, Any]) -> None:
    model = built["clean"]
    counter = CountBatches()
    callback = kerasrnnlint_keras.LintCallback()
    x, y = data(model)
    with warnings.catch_warnings():
        warnings.simplefilter("error", kerasrnnlint_keras.RecurrentConfigWarning)
        history = model.fit(x, y, epochs=1, batch_size=4, verbose=0, callbacks=[callback, counter])
    assert counter.batches == 2 and len(history.history["loss"]) == 1
    assert callback.findings == ()


def test_callback_warns_below_fail_on_and_trains(built: dict[str, Any]) -> None:
    model = built["conv_feeds_lstm"]  # KRL004 low only
    counter = CountBatches()
    x, y = data(model)
    with pytest.warns(kerasrnnlint_keras.RecurrentConfigWarning, match="KRL004"):
        model.fit(
            x,
            y,
            epochs=1,
            batch_size=4,
            verbose=0,
            callbacks=[kerasrnnlint_keras.LintCallback(fail_on="high"), counter],
        )
    assert counter.batches == 2
    with pytest.raises(kerasrnnlint_keras.RecurrentConfigError, match="KRL004"):
        model.fit(
            x,
            y,
            epochs=1,
            verbose=0,
            callbacks=[kerasrnnlint_keras.LintCallback(fail_on=Severity.LOW)],
        )


# --------------------------------------------------------------------------------------------------
# The in-process probe with the real activation objects
# --------------------------------------------------------------------------------------------------


def relu_like(x: Any) -> Any:
    return keras.ops.maximum(x, 0.0)


def tanh_like(x: Any) -> Any:
    return keras.ops.tanh(x)


def custom_model(activation: Any) -> Any:
    model = keras.Sequential(
        [keras.Input((16, 4)), keras.layers.LSTM(8, activation=activation), keras.layers.Dense(1)]
    )
    model.compile(optimizer="adam", loss="mse")
    return model


def test_lint_alone_cannot_decide_a_custom_activation() -> None:
    codes = {f.code for f in kerasrnnlint.lint_model(custom_model(relu_like))}
    assert "KRL001" not in codes


def test_probe_decides_custom_activations_and_the_callback_acts_on_it() -> None:
    """``LintCallback(probe=True)`` runs ``kerasrnnlint.probe_model`` with the real functions:
    the relu-like one is confirmed (a KRL001 of its own, high) and stops ``fit`` before any batch;
    the tanh-like one is not reproduced and trains."""
    bad = custom_model(relu_like)
    x, y = data(bad)
    counter = CountBatches()
    callback = kerasrnnlint_keras.LintCallback(probe=True)
    with pytest.raises(kerasrnnlint_keras.RecurrentConfigError, match="probe: confirmed"):
        bad.fit(x, y, epochs=1, verbose=0, callbacks=[callback, counter])
    assert counter.batches == 0
    (relu,) = callback.probes
    assert relu.result.verdict == "confirmed", relu.result
    (krl001,) = [f for f in relu.findings if f.code == "KRL001"]
    assert krl001.severity == Severity.HIGH and "relu_like" in krl001.message
    assert krl001.probe is relu.result

    good = custom_model(tanh_like)
    callback = kerasrnnlint_keras.LintCallback(probe=True)
    history = good.fit(x, y, epochs=1, batch_size=4, verbose=0, callbacks=[callback])
    assert len(history.history["loss"]) == 1
    (tanh,) = callback.probes
    assert tanh.result.verdict == "not-reproduced", tanh.result
    assert not [f for f in tanh.findings if f.code == "KRL001"]


@pytest.mark.parametrize("wrong", [None, "model.keras", Path("model.keras"), 42])
def test_lint_model_refuses_what_is_not_a_model(wrong: object) -> None:
    with pytest.raises(TypeError, match=r"expected a keras\.Model") as info:
        kerasrnnlint.lint_model(wrong)
    if isinstance(wrong, str | Path):
        assert "kerasrnnlint model.keras" in str(info.value)
    with pytest.raises(TypeError, match=r"expected a keras\.Model"):
        kerasrnnlint.probe_model(wrong)


def test_lint_model_does_not_import_tensorflow_by_itself() -> None:
    """``import kerasrnnlint`` and the live frontend stay free of TensorFlow imports."""
    import subprocess
    import sys

    code = "import sys, kerasrnnlint, kerasrnnlint.api; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr[-2000:]

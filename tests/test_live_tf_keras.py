"""Live tf.keras 2 models (the ``tf_keras`` package): ``lint_model`` and ``LintCallback``.

Skipped where ``tf_keras`` is not installed (``pip install tf_keras``); the Keras 2 *file* formats
are tested without it, on the committed ``fixtures/models/keras2_*`` files.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import kerasrnnlint

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
tf_keras = pytest.importorskip("tf_keras")
callbacks = pytest.importorskip("kerasrnnlint.keras")


def classic() -> object:
    layer = tf_keras.layers.LSTM(8, activation="relu", recurrent_dropout=0.3)
    model = tf_keras.Sequential(
        [tf_keras.layers.Bidirectional(layer, input_shape=(64, 16)), tf_keras.layers.Dense(1)]
    )
    model.compile(tf_keras.optimizers.Nadam(4e-4, clipnorm=1.0), "mse")
    return model


def test_lint_model_reads_a_tf_keras_2_model() -> None:
    from kerasrnnlint.frontends import live

    model = classic()
    findings = kerasrnnlint.lint_model(model)
    assert [(f.code, str(f.severity)) for f in findings] == [
        ("KRL001", "high"),
        ("KRL003", "high"),
    ]  # their KRL101 (relu, recurrent dropout) is folded into them
    assert findings[0].location.layer_path == ("bidirectional", "lstm")
    result, layers = live.analyze_model(model)
    optimizer = result.layers[0].context.optimizer
    assert optimizer is not None and (optimizer.cls, optimizer.learning_rate) == ("Nadam", 4e-4)
    assert layers[0].obj is model.layers[0].forward_layer


def test_callback_stops_a_tf_keras_2_fit_and_lets_a_tanh_model_train() -> None:
    model = classic()
    x, y = np.zeros((4, 64, 16), "float32"), np.zeros((4, 1), "float32")
    with pytest.raises(callbacks.RecurrentConfigError, match="KRL001"):
        model.fit(x, y, verbose=0, callbacks=[callbacks.LintCallback()])
    good = tf_keras.Sequential(
        [tf_keras.layers.GRU(4, input_shape=(64, 16)), tf_keras.layers.Dense(1)]
    )
    good.compile("adam", "mse")
    history = good.fit(x, y, verbose=0, callbacks=[callbacks.LintCallback()])
    assert len(history.history["loss"]) == 1

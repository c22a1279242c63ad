"""Saved models: configuration dicts (Keras 3 and Keras 2 formats) into the IR, without Keras.

The configurations are written the way Keras serialises them (``model.to_json()`` output), including
the forms the small models of ``test_saved_model.py`` do not produce: activations as dicts and
lambdas, schedules, loss-scale optimizers, TimeDistributed producers, nested functional models,
ConvLSTM2D, the oldest Sequential format. Any JSON, however odd, never crashes the reader.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kerasrnnlint.config import Settings
from kerasrnnlint.engine import check_layers
from kerasrnnlint.frontends import model_config as mc
from kerasrnnlint.ir import RecurrentLayer


def layer(
    cls: str, name: str, inbound: str | list[str] | None = None, **config: Any
) -> dict[str, Any]:
    """A Keras 3 functional layer entry; ``inbound`` names the layer(s) feeding it."""
    entry: dict[str, Any] = {
        "module": "keras.layers",
        "class_name": cls,
        "config": {"name": name, **config},
        "registered_name": None,
        "name": name,
    }
    if inbound is not None:
        names = [inbound] if isinstance(inbound, str) else inbound
        tensors = [
            {"class_name": "__keras_tensor__", "config": {"keras_history": [n, 0, 0]}}
            for n in names
        ]
        entry["inbound_nodes"] = [{"args": [tensors] if len(tensors) > 1 else tensors}]
    else:
        entry["inbound_nodes"] = []
    return entry


def functional(*layers: dict[str, Any], name: str = "model", **extra: Any) -> dict[str, Any]:
    return {
        "module": "keras.src.models.functional",
        "class_name": "Functional",
        "config": {
            "name": name,
            "layers": list(layers),
            "input_layers": [[layers[0]["name"], 0, 0]],
            "output_layers": [[layers[-1]["name"], 0, 0]],
        },
        **extra,
    }


def input_layer(name: str = "in", shape: tuple[int | None, ...] = (None, 20, 4)) -> dict[str, Any]:
    return layer("InputLayer", name, batch_shape=list(shape))


def only(root: dict[str, Any]) -> RecurrentLayer:
    (found,) = mc.analyze(root, "m.keras").layers
    return found


# --------------------------------------------------------------------------------------------------
# Activations
# --------------------------------------------------------------------------------------------------


def test_activation_forms() -> None:
    assert mc.activation_arg("relu").value == "relu"
    assert mc.activation_arg("swish").value == "silu"
    assert mc.activation_arg(None).value == "linear"
    keras_dict = {"module": "keras.activations", "class_name": "function", "config": "elu"}
    assert mc.activation_arg(keras_dict).value == "elu"
    custom = {"module": "builtins", "class_name": "function", "config": "relu"}
    assert not mc.activation_arg(custom).known  # a user's function named relu is not Keras's
    assert mc.activation_arg(custom).origin == "custom activation `relu`"
    lambda_form = {"value": ["4wEAAAAAAA==", None, None]}
    assert not mc.activation_arg(lambda_form).known
    assert mc.activation_arg("my_act").origin == "custom activation `my_act`"  # Keras 2
    assert not mc.activation_arg(3).known


def test_custom_activation_gives_no_krl001() -> None:
    custom = {"module": "builtins", "class_name": "function", "config": "my_act"}
    root = functional(input_layer(), layer("LSTM", "lstm", "in", units=4, activation=custom))
    found = only(root)
    assert not found.arg("activation").known
    assert [f.code for f in check_layers([found], Settings())] == []


# --------------------------------------------------------------------------------------------------
# Optimizers
# --------------------------------------------------------------------------------------------------


def test_optimizer_forms() -> None:
    adam = mc.optimizer_from_config("adam")
    assert adam is not None and (adam.cls, adam.learning_rate) == ("Adam", 0.001)
    schedule = {
        "class_name": "Nadam",
        "config": {
            "learning_rate": {
                "class_name": "ExponentialDecay",
                "config": {"initial_learning_rate": 0.004, "decay_steps": 10},
            },
            "global_clipnorm": 2.0,
        },
    }
    nadam = mc.optimizer_from_config(schedule)
    assert nadam is not None and (nadam.learning_rate, nadam.global_clipnorm) == (0.004, 2.0)
    piecewise = {
        "class_name": "SGD",
        "config": {
            "learning_rate": {
                "class_name": "PiecewiseConstantDecay",
                "config": {"boundaries": [100], "values": [0.1, 0.01]},
            }
        },
    }
    sgd = mc.optimizer_from_config(piecewise)
    assert sgd is not None and sgd.learning_rate == 0.1
    wrapped = {
        "class_name": "LossScaleOptimizer",
        "config": {"inner_optimizer": {"class_name": "RMSprop", "config": {"learning_rate": 0.01}}},
    }
    rms = mc.optimizer_from_config(wrapped)
    assert rms is not None and (rms.cls, rms.learning_rate) == ("RMSprop", 0.01)
    legacy = mc.optimizer_from_config(
        {"class_name": "Custom>Adam", "config": {"lr": 0.0020000000949949026}}
    )
    assert legacy is not None and (legacy.cls, legacy.learning_rate) == ("Adam", 0.002)
    bare = mc.optimizer_from_config({"class_name": "Adamax", "config": {}})
    assert bare is not None and bare.learning_rate == 0.001  # Keras's default
    unknown_schedule = {"class_name": "Adam", "config": {"learning_rate": {"class_name": "Mine"}}}
    mine = mc.optimizer_from_config(unknown_schedule)
    assert mine is not None and mine.learning_rate is None  # not seen, never guessed
    assert mc.optimizer_from_config(None) is None


# --------------------------------------------------------------------------------------------------
# The graph
# --------------------------------------------------------------------------------------------------


def test_time_distributed_producer_is_its_inner_layer() -> None:
    dense = {"class_name": "Dense", "config": {"name": "d", "activation": "relu"}}
    drop = {"class_name": "Dropout", "config": {"name": "drop", "rate": 0.1}}
    root = functional(
        input_layer(),
        layer("TimeDistributed", "td", "in", layer=dense),
        layer("TimeDistributed", "td_drop", "td", layer=drop),
        layer("GRU", "gru", "td_drop", units=4),
    )
    producer = only(root).context.producer
    assert producer is not None
    assert (producer.cls, producer.kind, producer.name) == ("Dense", "unbounded", "td")


def test_unknown_layer_class_is_an_unknown_producer() -> None:
    root = functional(
        input_layer(),
        layer("MultiHeadAttentionish", "mha", "in"),
        layer("LSTM", "lstm", "mha", units=4),
    )
    producer = only(root).context.producer
    assert producer is not None and producer.kind == "unknown"


def producer_of_lstm(*layers: dict[str, Any]) -> tuple[str, str, str | None]:
    """(class, kind, name) of the producer of the layer named ``lstm`` at the end."""
    root = functional(input_layer("a"), *layers)
    (lstm,) = [x for x in mc.analyze(root, "m.keras").layers if x.name == "lstm"]
    producer = lstm.context.producer
    assert producer is not None
    return producer.cls, producer.kind, producer.name


def test_merge_producers_as_in_source() -> None:
    relu = layer("Dense", "relu", "a", activation="relu")
    norm = layer("LayerNormalization", "norm", "a")
    # An unbounded input makes the merge unbounded, and that input is named.
    assert producer_of_lstm(
        relu, layer("Add", "add", ["a", "relu"]), layer("LSTM", "lstm", "add")
    ) == ("Dense", "unbounded", "relu")
    assert producer_of_lstm(
        norm, layer("Concatenate", "cat", ["norm", "norm"]), layer("LSTM", "lstm", "cat")
    ) == ("Concatenate", "bounded", "cat")
    assert producer_of_lstm(
        input_layer("b"), layer("Concatenate", "cat", ["a", "b"]), layer("LSTM", "lstm", "cat")
    ) == ("Concatenate", "input", "cat")


def test_recurrent_and_capped_relu_producers() -> None:
    tanh = layer("GRU", "gru", "a", units=2, return_sequences=True)
    assert producer_of_lstm(tanh, layer("LSTM", "lstm", "gru")) == ("GRU", "bounded", "gru")
    relu = layer("SimpleRNN", "rnn", "a", units=2, activation="relu")
    assert producer_of_lstm(relu, layer("LSTM", "lstm", "rnn")) == ("SimpleRNN", "unbounded", "rnn")
    capped = layer("ReLU", "relu6", "a", max_value=6.0)
    assert producer_of_lstm(capped, layer("LSTM", "lstm", "relu6"))[1] == "bounded"
    plain = layer("ReLU", "relu", "a", max_value=None)
    assert producer_of_lstm(plain, layer("LSTM", "lstm", "relu"))[1] == "unbounded"


def test_a_ladder_of_merges_is_walked_once() -> None:
    """200 residual Adds (each reads the previous one twice): memoised, not 2**200 walks."""
    layers = [layer("Dense", "d0", "a", activation="relu")]
    previous = "d0"
    for i in range(200):
        layers.append(layer("Add", f"add{i}", [previous, previous]))
        previous = f"add{i}"
    layers.append(layer("LSTM", "lstm", previous))
    assert producer_of_lstm(*layers) == ("Dense", "unbounded", "d0")


def test_nested_functional_model_input_and_output_are_followed() -> None:
    inner = functional(
        input_layer("inner_in", (None, 30, 8)),
        layer("LSTM", "lstm", "inner_in", units=4, return_sequences=True),
        layer("Dense", "proj", "lstm", activation="relu"),
        name="inner",
    )
    inner.update(
        name="inner",
        inbound_nodes=[
            {
                "args": [
                    {"class_name": "__keras_tensor__", "config": {"keras_history": ["bn", 0, 0]}}
                ]
            }
        ],
    )
    root = functional(
        input_layer("in", (None, 30, 8)),
        layer("BatchNormalization", "bn", "in"),
        inner,
        layer("GRU", "gru", "inner", units=4),
    )
    lstm, gru = mc.analyze(root, "m.keras").layers
    assert lstm.location.layer_path == ("inner", "lstm")
    assert lstm.context.producer is not None and lstm.context.producer.kind == "normalizing"
    assert gru.context.producer is not None
    assert (gru.context.producer.cls, gru.context.producer.kind) == ("Dense", "unbounded")
    assert gru.context.producer.location is not None
    assert gru.context.producer.location.layer_path == ("inner", "proj")
    assert (lstm.context.timesteps, lstm.context.features) == (30, 8)


def test_keras2_inbound_nodes_and_oldest_sequential_format() -> None:
    keras2 = {
        "class_name": "Model",
        "config": {
            "name": "m",
            "layers": [
                {
                    "class_name": "InputLayer",
                    "name": "x",
                    "config": {"name": "x", "batch_input_shape": [None, 12, 3]},
                    "inbound_nodes": [],
                },
                {
                    "class_name": "Conv1D",
                    "name": "c",
                    "config": {"name": "c", "activation": "elu"},
                    "inbound_nodes": [[["x", 0, 0, {}]]],
                },
                {
                    "class_name": "SimpleRNN",
                    "name": "r",
                    "config": {"name": "r", "units": 2},
                    "inbound_nodes": [[["c", 0, 0, {}]]],
                },
            ],
        },
    }
    found = only(keras2)
    assert found.context.producer is not None
    assert (found.context.producer.cls, found.context.producer.kind) == ("Conv1D", "unbounded")
    assert (found.context.timesteps, found.context.features) == (12, 3)
    oldest = {
        "class_name": "Sequential",
        "config": [
            {
                "class_name": "LSTM",
                "config": {
                    "name": "l",
                    "units": 3,
                    "activation": "relu",
                    "batch_input_shape": [None, 7, 5],
                },
            },
        ],
    }
    found = only(oldest)
    assert found.context.producer is not None and found.context.producer.kind == "input"
    assert (found.context.timesteps, found.context.features) == (7, 5)
    assert found.arg("activation").value == "relu"


def test_conv_lstm_and_stacked_cells_and_wrappers() -> None:
    cells = {
        "class_name": "StackedRNNCells",
        "config": {
            "name": "stack",
            "cells": [
                {"class_name": "LSTMCell", "config": {"name": "c1", "units": 2}},
                {
                    "class_name": "GRUCell",
                    "config": {"name": "c2", "units": 2, "activation": "gelu"},
                },
            ],
        },
    }
    root = functional(
        input_layer("in", (None, 10, 16, 16, 3)),
        layer("ConvLSTM2D", "conv", "in", filters=2, activation="relu", return_sequences=True),
        layer("Reshape", "flat", "conv"),
        layer("RNN", "rnn", "flat", cell=cells),
    )
    conv, c1, c2 = mc.analyze(root, "m.keras").layers
    assert (conv.cls, conv.context.timesteps, conv.context.features) == ("ConvLSTM2D", 10, 3)
    assert (c1.cls, c1.wrappers, c1.location.layer_path) == (
        "LSTMCell",
        ("RNN", "StackedRNNCells"),
        ("rnn", "stack", "c1"),
    )
    assert c2.arg("activation").value == "gelu"
    producer = c2.context.producer  # looked through the Reshape to the relu ConvLSTM2D
    assert producer is not None and (producer.cls, producer.kind) == ("ConvLSTM2D", "unbounded")


def test_bidirectional_backward_layer_only_when_it_differs() -> None:
    forward = {"class_name": "LSTM", "config": {"name": "forward_l", "units": 2}}
    same = {
        "class_name": "LSTM",
        "config": {"name": "backward_l", "units": 2, "go_backwards": True},
    }
    other = {
        "class_name": "LSTM",
        "config": {"name": "backward_l", "units": 2, "activation": "relu"},
    }
    one = functional(
        input_layer(), layer("Bidirectional", "bi", "in", layer=forward, backward_layer=same)
    )
    two = functional(
        input_layer(), layer("Bidirectional", "bi", "in", layer=forward, backward_layer=other)
    )
    assert [x.name for x in mc.analyze(one, "m").layers] == ["forward_l"]
    assert [x.name for x in mc.analyze(two, "m").layers] == ["forward_l", "backward_l"]


def test_fixed_tanh_and_custom_classes() -> None:
    root = functional(
        input_layer(),
        layer("CuDNNLSTM", "cudnn", "in", units=2),
        {
            **layer("Block", "block", "cudnn"),
            "module": "my_project.layers",
            "registered_name": "Block",
        },
    )
    analysis = mc.analyze(root, "m.keras")
    assert analysis.layers == ()
    assert analysis.opaque == (("block",),)
    assert len(analysis.notes) == 1 and "custom class `Block`" in analysis.notes[0]


def test_unwrap_and_is_model() -> None:
    root = functional(input_layer(), layer("GRU", "g", "in", units=2))
    assert mc.unwrap(root) == (root, None)
    import json

    wrapped = {
        "model_config": json.dumps(root),
        "training_config": json.dumps({"optimizer_config": "sgd"}),
    }
    found = mc.unwrap(wrapped)
    assert found is not None and found[1] == {"optimizer_config": "sgd"}
    assert mc.unwrap({"name": "package"}) is None
    assert mc.unwrap([root]) is None
    assert not mc.is_model({"class_name": "Dense", "config": {"units": 2}})
    subclassed = {
        "module": "app",
        "class_name": "MyModel",
        "registered_name": "MyModel",
        "config": {},
        "build_config": {},
    }
    assert mc.is_model(subclassed)
    analysis = mc.analyze(subclassed, "m.keras")
    assert analysis.layers == () and analysis.opaque == ((),)


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.sampled_from(["LSTM", "RNN", "Bidirectional", "Sequential", "__keras_tensor__", "in"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "class_name",
                    "config",
                    "layers",
                    "name",
                    "inbound_nodes",
                    "args",
                    "keras_history",
                    "layer",
                    "cell",
                    "cells",
                    "activation",
                    "batch_shape",
                    "output_layers",
                    "compile_config",
                    "optimizer",
                    "learning_rate",
                ]
            ),
            children,
            max_size=6,
        )
    ),
    max_leaves=40,
)


MODELS = st.fixed_dictionaries(
    {
        "class_name": st.sampled_from(["Functional", "Sequential", "Model"]),
        "config": st.fixed_dictionaries({"layers": st.lists(JSON, max_size=6)}),
    }
)


@settings(max_examples=300, deadline=None)
@given(JSON | MODELS)
def test_any_json_never_crashes_the_reader(document: object) -> None:
    found = mc.unwrap(document)
    if found is not None:
        analysis = mc.analyze(found[0], "x.json", found[1])
        check_layers(analysis.layers, Settings())

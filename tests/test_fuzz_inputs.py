"""Bounded fuzzing of the non-Python inputs: saved-model configurations and notebooks.

Random JSON (any structure, size and type, mixed into the shapes Keras writes) goes through the
runner as a file would (``.json`` model configs, ``.keras`` archives, ``.ipynb`` notebooks).
Whatever it is, the result is findings or an input error naming the cause: never an internal
error, a traceback, or a hang. Few examples, so that the suite stays fast.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kerasrnnlint.config import Settings
from kerasrnnlint.runner import lint_file

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(
        ["relu", "tanh", "LSTM", "GRU", "Sequential", "InputLayer", "__keras_tensor__"]
    )
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(
            st.sampled_from(
                [
                    "class_name",
                    "config",
                    "layers",
                    "name",
                    "inbound_nodes",
                    "activation",
                    "units",
                    "layer",
                    "cell",
                    "cells",
                    "batch_shape",
                    "keras_history",
                    "args",
                    "module",
                    "compile_config",
                    "optimizer",
                    "learning_rate",
                    "recurrent_dropout",
                    "x",
                ]
            )
            | st.text(max_size=6),
            inner,
            max_size=6,
        )
    ),
    max_leaves=40,
)
CLASSES = st.sampled_from(
    [
        "LSTM",
        "GRU",
        "SimpleRNN",
        "Bidirectional",
        "TimeDistributed",
        "RNN",
        "Dense",
        "Add",
        "InputLayer",
        "Dropout",
        "Sequential",
        "Functional",
        "Activation",
        "Custom>Thing",
    ]
)


@st.composite
def layers(draw: st.DrawFn) -> dict[str, Any]:
    entry: dict[str, Any] = {"class_name": draw(CLASSES), "config": draw(JSON)}
    if draw(st.booleans()):
        config = entry["config"] if isinstance(entry["config"], dict) else {}
        config.update(
            draw(
                st.dictionaries(
                    st.sampled_from(["name", "activation", "layer", "cell", "units"]),
                    JSON,
                    max_size=3,
                )
            )
        )
        entry["config"] = config
    if draw(st.booleans()):
        entry["inbound_nodes"] = draw(JSON)
    return entry


@st.composite
def model_documents(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 4)) == 0:
        return draw(JSON)  # anything at all
    model: dict[str, Any] = {
        "class_name": draw(st.sampled_from(["Sequential", "Functional", "Model", "Custom>M"])),
        "config": {"layers": draw(st.lists(layers(), max_size=8)), "name": draw(JSON)},
    }
    if draw(st.booleans()):
        model["compile_config"] = {"optimizer": draw(JSON)}
    if draw(st.booleans()):
        return {"model_config": json.dumps(model), "training_config": draw(JSON)}
    return model


def assert_no_internal_error(path: Path) -> None:
    result = lint_file(path, Settings())
    if result.error is not None:
        assert "internal error" not in result.error, result.error
        assert "Traceback" not in result.error


@FUZZ
@given(document=model_documents())
def test_random_model_configs_never_crash(tmp_path: Path, document: Any) -> None:
    text = json.dumps(document)
    (tmp_path / "m.json").write_text(text, encoding="utf-8")
    assert_no_internal_error(tmp_path / "m.json")
    with zipfile.ZipFile(tmp_path / "m.keras", "w") as archive:
        archive.writestr("config.json", text)
    assert_no_internal_error(tmp_path / "m.keras")


CELL_SOURCES = st.one_of(
    st.text(max_size=80),
    st.lists(st.text(max_size=30), max_size=5),
    st.sampled_from(
        [
            "from keras.layers import LSTM\nLSTM(8, activation='relu')\n",
            "%%bash\necho hi\n",
            "!pip install keras\nfrom keras.layers import GRU\nGRU(4, recurrent_activation='relu')",
            "from keras.layers import LSTM\nLSTM(8, activation=\n",
        ]
    ),
    JSON,
)


@st.composite
def notebooks(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 4)) == 0:
        return draw(JSON)
    cells = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "cell_type": st.sampled_from(["code", "markdown", "raw", 3]),
                    "source": CELL_SOURCES,
                },
                optional={"metadata": JSON, "outputs": JSON},
            )
            | JSON,
            max_size=6,
        )
    )
    notebook: dict[str, Any] = {"cells": cells, "nbformat": draw(JSON), "metadata": draw(JSON)}
    if draw(st.booleans()):
        notebook = {"worksheets": [{"cells": cells}], "metadata": draw(JSON)}
    return notebook


@FUZZ
@given(notebook=notebooks(), encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_random_notebooks_never_crash(tmp_path: Path, notebook: Any, encoding: str) -> None:
    path = tmp_path / "nb.ipynb"
    path.write_bytes(json.dumps(notebook).encode(encoding))
    assert_no_internal_error(path)

"""KRL004 unnormalized-unbounded-input: a recurrent layer is fed by an unbounded layer.

## What it does
Flags a recurrent layer whose input comes from a layer with an unbounded output (a relu, elu or
linear ``Conv1D``/``Dense``/``SeparableConv``/``DepthwiseConv``, an ``Activation('relu')``, a
``ReLU``/``LeakyReLU``/``ELU``/``PReLU`` layer, a merge of such outputs) with no
``BatchNormalization``, ``LayerNormalization``, ``GroupNormalization`` or ``UnitNormalization``
between. Pass-through layers
(Dropout, SpatialDropout1D, GaussianNoise, pooling, Reshape, Permute, Masking, padding, cropping,
RepeatVector, Flatten inside TimeDistributed) are looked through. The message names the producing
layer and where it is. The model input itself is not flagged (its scale is not visible), and
neither is an ``Embedding``: a trainable lookup table of small vectors, the input of nearly every
text model.

One finding per cause: when the producer is a recurrent layer with its own KRL001 (a relu LSTM
feeding another LSTM), the same edit fixes both, so KRL004 is folded into that KRL001, which names
the layers its output feeds; KRL004 is not reported on its own (unless KRL001 is not selected or
is suppressed there).

## Why is this bad?
The input enters every gate at every step through ``x W``. An unbounded producer can hand the
recurrence values of any size, and they grow as the producer trains: on a layer with an unbounded
activation this feeds the blow-up of the state (high severity, lower when plain SGD or a tiny
learning rate trains the model: see ``kerasrnnlint explain severity``); on a tanh layer it saturates
the gates, so gradients vanish and training stalls (low severity).

## Example
```python
from keras import Sequential, Input
from keras.layers import LSTM, Conv1D

model = Sequential([Input(shape=(100, 8)), Conv1D(32, 3, activation="relu"), LSTM(64)])
```

## Use instead
```python
from keras import Sequential, Input
from keras.layers import LSTM, Conv1D, LayerNormalization

model = Sequential(
    [Input(shape=(100, 8)), Conv1D(32, 3, activation="relu"), LayerNormalization(), LSTM(64)]
)
```

The fix is to insert ``LayerNormalization()`` in front of the recurrent layer. It needs a new layer
in the model, so it is not applied automatically, not even with ``--unsafe-fixes``: ``--fix``
reports the finding as not fixed, with this advice.
"""

from __future__ import annotations

from collections.abc import Iterator

from kerasrnnlint import producers
from kerasrnnlint.findings import Fix, Related, Severity, Violation
from kerasrnnlint.ir import Location, Producer, RecurrentLayer
from kerasrnnlint.rules._rule import Rule, RuleOptions
from kerasrnnlint.severity import unnormalised_input

FIX = Fix(title="add LayerNormalization() in front", normalize_input=True, safe=False)


def describe_producer(producer: Producer) -> str:
    """``Conv1D(activation='relu')``, ``Activation('elu')``, ``ReLU``."""
    name = f" `{producer.name}`" if producer.name else ""
    if producer.cls == "Activation":
        text = f"Activation({producer.activation!r})"
    elif producer.activation and producer.cls not in producers.ACTIVATION_LAYERS:
        text = f"{producer.cls}(activation={producer.activation!r})"
    else:
        text = producer.cls
    return text + name


def describe_location(location: Location | None, layer: RecurrentLayer) -> str:
    """`` on line 12`` (same file), `` in cell 3, line 2`` (another notebook cell),
    `` at model.keras › conv``, or nothing."""
    if location is None:
        return ""
    if location.layer_path:
        return f" at {location.display()}"
    if location.span is None:
        return "" if location.path == layer.location.path else f" in {location.path}"
    if location.path != layer.location.path:
        return f" at {location.display()}"
    if location.cell is not None and location.cell != layer.location.cell:
        return f" in cell {location.cell}, line {location.line}"
    return f" on line {location.line}"


def check(layer: RecurrentLayer, options: RuleOptions) -> Iterator[Violation]:
    producer = unnormalised_input(layer)
    if producer is None:
        return
    yield Violation(
        message=(
            f"{layer.display_name} is fed by {describe_producer(producer)}"
            f"{describe_location(producer.location, layer)}, whose output is unbounded, with no "
            "normalisation between: large inputs drive the recurrence into saturation or "
            "explosion. Add LayerNormalization() in front."
        ),
        fix=FIX,
        related=()
        if producer.location is None
        else (
            Related(
                code=None,
                location=producer.location,
                message=f"{describe_producer(producer)} feeds it with unbounded output",
            ),
        ),
    )


RULE = Rule(
    code="KRL004",
    name="unnormalized-unbounded-input",
    summary="Recurrent layer fed by an unbounded layer with no normalisation between",
    doc=__doc__ or "",
    check=check,
    default_severity=Severity.MEDIUM,
    valid=(
        (
            "from keras import Sequential, Input\n"
            "from keras.layers import LSTM, Conv1D, BatchNormalization\n"
            "Sequential([Input(shape=(100, 8)), Conv1D(32, 3, activation='relu'),\n"
            "            BatchNormalization(), LSTM(64)])\n"
        ),
        (
            "from keras import Sequential, Input\nfrom keras.layers import LSTM, Dense\n"
            "Sequential([Input(shape=(100, 8)), Dense(16, activation='tanh'), LSTM(64)])\n"
        ),
    ),
    invalid=(
        (
            "from keras import Sequential, Input\nfrom keras.layers import LSTM, Conv1D, Dropout\n"
            "Sequential([Input(shape=(100, 8)), Conv1D(32, 3, activation='relu'), Dropout(0.2),\n"
            "            LSTM(64)])\n"
        ),
        (
            "from keras import Input, Model\nfrom keras.layers import GRU, Dense\n"
            "inp = Input(shape=(100, 8))\nx = Dense(16)(inp)\nout = GRU(32)(x)\n"
            "model = Model(inp, out)\n"
        ),
    ),
)

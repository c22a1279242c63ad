"""KRL002 unbounded-recurrent-activation: the gates of a recurrent layer are not squashed.

## What it does
Flags an LSTM, GRU or ConvLSTM layer or cell whose ``recurrent_activation`` (the activation of the
input, forget and output gates, or GRU's update and reset gates) is not a bounded squashing
function such as sigmoid or hard_sigmoid. On an LSTM or GRU the message adds that the setting also
disables the fused cuDNN kernel (that KRL101 is folded into this finding).

## Why is this bad?
Gates are meant to be fractions in [0, 1]: ``c = f*c + i*g`` keeps the cell state in check only
because ``f`` and ``i`` are at most 1. With relu, linear or another unbounded gate activation a
gate can multiply the state by 5, then 25, then 125 across time steps: the state and the gradients
explode and training turns to NaN.

## Example
```python
from keras.layers import LSTM

layer = LSTM(128, recurrent_activation="relu")
```

## Use instead
```python
from keras.layers import LSTM

layer = LSTM(128)  # recurrent_activation="sigmoid", Keras's default
```

The fix (``recurrent_activation="sigmoid"``) is unsafe in the autofix sense: it changes what the
model computes.
"""

from __future__ import annotations

from collections.abc import Iterator

from kerasrnnlint import activations
from kerasrnnlint.findings import Fix, Severity, Violation
from kerasrnnlint.ir import RecurrentLayer
from kerasrnnlint.rules._rule import Rule, RuleOptions
from kerasrnnlint.rules.krl001_unbounded_activation import describe_origin, describe_value

FIX = Fix(
    title="use recurrent_activation='sigmoid'",
    changes=(("recurrent_activation", "sigmoid"),),
    safe=False,
)


def check(layer: RecurrentLayer, options: RuleOptions) -> Iterator[Violation]:
    if layer.cls in ("SimpleRNN", "SimpleRNNCell"):
        return  # no gates
    arg = layer.arg("recurrent_activation")
    if not arg.known:
        return
    value = arg.value
    if not (value is None or isinstance(value, str)):
        return
    if activations.boundedness(value) != "unbounded":
        return
    yield Violation(
        message=(
            f"{layer.display_name} uses unbounded recurrent_activation {describe_value(value)}"
            f"{describe_origin(arg.origin)} for its gates; gates must be fractions in [0, 1] or "
            "the state explodes. Use recurrent_activation='sigmoid'."
        ),
        fix=FIX,
        span=arg.span,
    )


RULE = Rule(
    code="KRL002",
    name="unbounded-recurrent-activation",
    summary="Recurrent layer's gates use an unbounded recurrent_activation",
    doc=__doc__ or "",
    check=check,
    default_severity=Severity.HIGH,
    valid=(
        "from keras.layers import LSTM\nLSTM(64, recurrent_activation='hard_sigmoid')\n",
        "from keras.layers import SimpleRNN\nSimpleRNN(64)\n",
    ),
    invalid=(
        "from keras.layers import LSTM\nLSTM(64, recurrent_activation='relu')\n",
        "from keras.layers import GRU\nGRU(64, recurrent_activation='linear')\n",
    ),
)

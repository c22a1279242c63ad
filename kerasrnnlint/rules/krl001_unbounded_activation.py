"""KRL001 unbounded-activation: a recurrent layer's ``activation`` is not bounded.

## What it does
Flags an LSTM, GRU, SimpleRNN, ConvLSTM layer or cell whose ``activation`` is unbounded: relu, elu,
selu, gelu, silu/swish, mish, celu, softplus, exponential, leaky_relu, log_sigmoid, tanh_shrink,
linear/``None``, or any other known Keras activation that is not bounded.

One finding per cause: on an LSTM or GRU the message adds that the activation also disables the
fused cuDNN kernel (that KRL101 is folded into this finding), and when the layer feeds another
recurrent layer with no normalisation between, it names that layer (its KRL004 is folded into this
finding: tanh here fixes both). With KRL001 ignored or suppressed they are reported on their own.

## Why is this bad?
In a recurrent layer the activation acts *inside* the recurrence: an LSTM computes
``c = f*c + i*act(x W + h U)`` and ``h = o*act(c)``, so ``h`` is fed back through ``act`` at every
step. With a bounded activation (tanh) the state stays in [-1, 1]; with relu nothing stops it from
growing step after step. Training looks fine, then the loss turns to NaN after a few batches,
spontaneously, even with fixed seeds and gradient clipping. Many units, long sequences, recurrent
dropout and an adaptive optimizer with a high learning rate make it happen sooner.

## Example
```python
from keras.layers import LSTM

layer = LSTM(512, activation="relu")
```

## Use instead
```python
from keras.layers import LSTM

layer = LSTM(512)  # activation="tanh", Keras's default, also keeps the fast cuDNN kernel
```

The fix (``activation="tanh"``) is *unsafe* in the autofix sense: it changes what the model
computes, so it is applied only with ``--unsafe-fixes``.
"""

from __future__ import annotations

from collections.abc import Iterator

from kerasrnnlint import activations
from kerasrnnlint.findings import Fix, Severity, Violation
from kerasrnnlint.ir import RecurrentLayer
from kerasrnnlint.rules._rule import Rule, RuleOptions

FIX = Fix(title="use activation='tanh'", changes=(("activation", "tanh"),), safe=False)


def describe_value(value: object) -> str:
    """How an activation value reads in a message: ``'relu'`` or ``None``."""
    return "None (linear)" if value is None else repr(value)


def describe_origin(origin: str) -> str:
    return "" if origin == "literal" else f" ({origin})"


def check(layer: RecurrentLayer, options: RuleOptions) -> Iterator[Violation]:
    arg = layer.arg("activation")
    if not arg.known:
        return
    value = arg.value
    if not (value is None or isinstance(value, str)):
        return
    if activations.boundedness(value) != "unbounded":
        return
    yield Violation(
        message=(
            f"{layer.display_name} uses unbounded activation {describe_value(value)}"
            f"{describe_origin(arg.origin)} inside the recurrence; the state can grow without "
            "bound and training can turn to NaN. Use activation='tanh'."
        ),
        # A search space (hp.Choice, command-line choices) has no automatic fix.
        fix=None if arg.origin.startswith(("search space", "choices of")) else FIX,
        span=arg.span,
    )


RULE = Rule(
    code="KRL001",
    name="unbounded-activation",
    summary="Recurrent layer uses an unbounded activation inside the recurrence",
    doc=__doc__ or "",
    check=check,
    default_severity=Severity.HIGH,
    valid=(
        "from keras.layers import LSTM\nLSTM(64)\n",
        "from keras.layers import GRU\nGRU(64, activation='tanh')\n",
        "from keras.layers import SimpleRNN\nSimpleRNN(8, activation='relu6')\n",
    ),
    invalid=(
        "from keras.layers import LSTM\nLSTM(64, activation='relu')\n",
        "from keras.layers import GRU\nGRU(64, activation=None)\n",
        "import tensorflow as tf\ntf.keras.layers.SimpleRNN(8, activation=tf.nn.elu)\n",
    ),
)

"""KRL003 recurrent-dropout-high-lr: recurrent dropout on a layer that can already blow up.

## What it does
Flags a recurrent layer with ``recurrent_dropout > 0`` when either its ``activation`` is unbounded
(at any learning rate), or the model is trained by an adaptive optimizer (Adam, Nadam, RMSprop, ...)
whose learning rate is above ``recurrent-dropout-max-lr`` (default ``1e-2``, set it in
``[tool.kerasrnnlint]``). A learning rate the linter could not see (the model is compiled in another
module, the rate comes from a variable it cannot resolve) never fires this rule on a layer with a
bounded activation: it is not guessed.

## Why is this bad?
Keras applies inverted dropout to the recurrent state: the units it keeps are scaled by
``1/(1-p)`` (1.43 for ``p=0.3``) at every time step. With an unbounded activation nothing pulls the
scaled state back, so it grows step after step; with a high adaptive learning rate the weights
jump far enough that the amplified state saturates or overflows. In the classic
``LSTM(512, activation='relu', recurrent_dropout=0.3)`` model the loss turns to NaN within 7-10
steps; a relu LSTM that blows up in 1 run of 3 without recurrent dropout blows up in 3 of 3 with
it. Recurrent dropout also disables the fused cuDNN kernel: the message says so, and that KRL101
is folded into this finding.

## Example
```python
from keras.layers import LSTM

layer = LSTM(512, activation="relu", recurrent_dropout=0.3)
```

## Use instead
```python
from keras.layers import LSTM

layer = LSTM(512, dropout=0.3)  # tanh, no recurrent dropout: regularise the input instead
```

The fix sets ``recurrent_dropout=0.0`` (it drops the recurrent dropout). It changes how the model
is trained, so it is applied only with ``--unsafe-fixes``; add ``dropout=`` (on the input) or a
``Dropout`` layer if you still need the regularisation.
"""

from __future__ import annotations

from collections.abc import Iterator

from kerasrnnlint import activations
from kerasrnnlint.findings import Fix, Severity, Violation
from kerasrnnlint.ir import RecurrentLayer
from kerasrnnlint.rules._rule import Rule, RuleOptions
from kerasrnnlint.rules.krl001_unbounded_activation import describe_value
from kerasrnnlint.severity import canonical_activation, number

FIX = Fix(
    title="drop recurrent_dropout (set it to 0.0); regularise the input with dropout= instead",
    changes=(("recurrent_dropout", 0.0),),
    safe=False,
)


def reasons(layer: RecurrentLayer, options: RuleOptions) -> list[str]:
    """Why recurrent dropout is dangerous on this layer (empty: it is not)."""
    found = []
    activation = canonical_activation(layer.arg("activation"))
    if activation is not None and activations.boundedness(activation) == "unbounded":
        shown = describe_value(None if activation == "linear" else activation)
        found.append(f"unbounded activation {shown}")
    opt = layer.context.optimizer
    lr = opt.learning_rate if opt is not None else None
    if (
        opt is not None
        and opt.adaptive
        and lr is not None
        and lr > options.recurrent_dropout_max_lr
    ):
        found.append(
            f"{opt.cls} at learning rate {lr:g} "
            f"(above recurrent-dropout-max-lr {options.recurrent_dropout_max_lr:g})"
        )
    return found


def check(layer: RecurrentLayer, options: RuleOptions) -> Iterator[Violation]:
    arg = layer.arg("recurrent_dropout")
    rate = number(arg)
    if rate is None or rate <= 0:
        return
    why = reasons(layer, options)
    if not why:
        return
    scale = f"{1 / (1 - rate):.2f}" if rate < 1 else "infinity"
    yield Violation(
        message=(
            f"{layer.display_name} uses recurrent_dropout={rate:g} with {' and '.join(why)}: "
            f"inverted dropout scales the kept recurrent state by 1/(1-p) = {scale} at every "
            "step and the state can blow up. Drop recurrent_dropout (set it to 0.0) and "
            "regularise the input with dropout= instead."
        ),
        fix=FIX,
        span=arg.span,
    )


RULE = Rule(
    code="KRL003",
    name="recurrent-dropout-high-lr",
    summary="Recurrent dropout with an unbounded activation or a high adaptive learning rate",
    doc=__doc__ or "",
    check=check,
    default_severity=Severity.MEDIUM,
    valid=(
        "from keras.layers import LSTM\nLSTM(64, recurrent_dropout=0.2)\n",
        "from keras.layers import LSTM\nLSTM(64, activation='relu')\n",
        (
            "from keras import Sequential, Input\nfrom keras.layers import LSTM\n"
            "from keras.optimizers import Adam\n"
            "model = Sequential([Input(shape=(20, 4)), LSTM(64, recurrent_dropout=0.2)])\n"
            "model.compile(optimizer=Adam(1e-3), loss='mse')\n"
        ),
    ),
    invalid=(
        "from keras.layers import LSTM\nLSTM(512, activation='relu', recurrent_dropout=0.3)\n",
        (
            "from keras import Sequential, Input\nfrom keras.layers import GRU\n"
            "from keras.optimizers import RMSprop\n"
            "model = Sequential([Input(shape=(20, 4)), GRU(64, recurrent_dropout=0.2)])\n"
            "model.compile(optimizer=RMSprop(learning_rate=0.05), loss='mse')\n"
        ),
    ),
)

"""KRL101 cudnn-fallback: the configuration disables the fused cuDNN kernel (info).

## What it does
Flags an ``LSTM`` or ``GRU`` layer (also inside Bidirectional/TimeDistributed) whose configuration
keeps Keras from using the fused cuDNN kernel on a GPU, and names each argument that does:
``activation`` other than tanh, ``recurrent_activation`` other than sigmoid,
``recurrent_dropout > 0``, ``unroll=True``, ``use_bias=False``, and for GRU ``reset_after=False``.
Cells inside ``RNN(...)``, SimpleRNN and ConvLSTM never use cuDNN and are not flagged; neither is a
layer with an explicit ``use_cudnn=False`` (a choice) or ``use_cudnn=True`` (that is KRL102).
This is an ``info`` finding: it costs speed, not stability, and does not fail a run.

One finding per cause: when ``activation``, ``recurrent_activation`` or ``recurrent_dropout`` is
already reported on the layer by KRL001, KRL002 or KRL003, that finding says the setting also
disables the fused kernel (this part of KRL101 is folded into it) and KRL101 names only the other
causes (``unroll=True``,
``use_bias=False``, ``reset_after=False``, a bounded activation other than tanh), or is not
reported at all. With ``--ignore KRL001`` (or a ``# noqa: KRL001``) KRL101 names the activation
again. A layer with ``use_cudnn=True`` gets KRL102 instead.

## Why is this bad?
With the cuDNN kernel a recurrent layer runs the whole sequence in one fused GPU call; without it
Keras loops over the time steps in generic graph code, typically several times slower on a GPU.
The settings that disable the
kernel are often the same ones that make training diverge (KRL001, KRL002, KRL003).

## Example
```python
from keras.layers import LSTM

layer = LSTM(128, recurrent_dropout=0.2, unroll=True)
```

## Use instead
```python
from keras.layers import LSTM

layer = LSTM(128, dropout=0.2)  # no recurrent dropout, not unrolled: cuDNN-eligible
```

The fix sets every blocking argument to its cuDNN-eligible value. It changes what the model
computes, so it is applied only with ``--unsafe-fixes``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from kerasrnnlint.cudnn import ELIGIBLE, blockers, describe_all
from kerasrnnlint.findings import Fix, Severity, Violation
from kerasrnnlint.ir import Arg, RecurrentLayer
from kerasrnnlint.rules._rule import Rule, RuleOptions


def use_cudnn(layer: RecurrentLayer) -> Arg:
    return layer.arg("use_cudnn")


def check(layer: RecurrentLayer, options: RuleOptions) -> Iterator[Violation]:
    setting = use_cudnn(layer)
    if setting.known and setting.value is not None and setting.value != "auto":
        return  # False: an explicit choice; True: KRL102
    found = blockers(layer)
    if not found:
        return
    yield violation(layer, found)


def violation(layer: RecurrentLayer, found: Sequence[tuple[str, Arg]]) -> Violation:
    """The finding for these blocking arguments (folding asks for it with fewer of them)."""
    named = describe_all(found)
    return Violation(
        message=(
            f"{layer.display_name} cannot use the fused cuDNN kernel because of {named}: on a GPU "
            "it falls back to the generic loop, several times slower."
        ),
        fix=Fix(
            title="use the cuDNN-eligible "
            + ", ".join(f"{param}={ELIGIBLE[param]!r}" for param, _ in found),
            changes=tuple((param, ELIGIBLE[param]) for param, _ in found),
            safe=False,
        ),
    )


RULE = Rule(
    code="KRL101",
    name="cudnn-fallback",
    summary="Configuration disables the fused cuDNN kernel (slower on GPU)",
    doc=__doc__ or "",
    check=check,
    default_severity=Severity.INFO,
    valid=(
        "from keras.layers import LSTM\nLSTM(64, dropout=0.2)\n",
        "from keras.layers import SimpleRNN\nSimpleRNN(64, activation='relu')\n",
        "from keras.layers import GRU\nGRU(64, unroll=True, use_cudnn=False)\n",
    ),
    invalid=(
        "from keras.layers import LSTM\nLSTM(64, unroll=True)\n",
        "from keras.layers import GRU\nGRU(64, reset_after=False)\n",
        "from keras.layers import LSTM\nLSTM(64, recurrent_dropout=0.1, use_bias=False)\n",
    ),
)

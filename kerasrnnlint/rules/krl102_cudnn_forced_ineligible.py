"""KRL102 cudnn-forced-ineligible: ``use_cudnn=True`` on a configuration cuDNN cannot run.

## What it does
Flags an ``LSTM`` or ``GRU`` layer that passes ``use_cudnn=True`` (Keras 3) while its configuration
rules the cuDNN kernel out: ``activation`` other than tanh, ``recurrent_activation`` other than
sigmoid, ``recurrent_dropout > 0``, ``unroll=True``, ``use_bias=False``, or for GRU
``reset_after=False``. The message names each argument that does.

## Why is this bad?
``use_cudnn=True`` means "cuDNN or nothing": when the kernel cannot run, Keras raises
``ValueError: use_cudnn=True was specified, but cuDNN is not supported for this layer
configuration`` the first time the layer is called, so the model cannot even be built. The same
configuration with the default ``use_cudnn="auto"`` runs (on the slower generic kernel).

## Example
```python
from keras.layers import LSTM

layer = LSTM(64, recurrent_dropout=0.2, use_cudnn=True)
```

## Use instead
```python
from keras.layers import LSTM

layer = LSTM(64, recurrent_dropout=0.2)  # use_cudnn="auto": cuDNN when eligible, else fallback
```

The fix sets ``use_cudnn="auto"``; it does not change what the model computes, so it is safe.
"""

from __future__ import annotations

from collections.abc import Iterator

from kerasrnnlint.cudnn import blockers, describe_all
from kerasrnnlint.findings import Fix, Severity, Violation
from kerasrnnlint.ir import RecurrentLayer
from kerasrnnlint.rules._rule import Rule, RuleOptions

FIX = Fix(title="use use_cudnn='auto'", changes=(("use_cudnn", "auto"),), safe=True)


def check(layer: RecurrentLayer, options: RuleOptions) -> Iterator[Violation]:
    setting = layer.arg("use_cudnn")
    if not setting.known or setting.value is not True:
        return
    found = blockers(layer)
    if not found:
        return
    named = describe_all(found)
    yield Violation(
        message=(
            f"{layer.display_name} forces use_cudnn=True but {named} rules the cuDNN kernel "
            "out: Keras raises ValueError when the layer is first called. "
            "Use use_cudnn='auto'."
        ),
        fix=FIX,
        span=setting.span,
    )


RULE = Rule(
    code="KRL102",
    name="cudnn-forced-ineligible",
    summary="use_cudnn=True with a configuration cuDNN cannot run (Keras raises)",
    doc=__doc__ or "",
    check=check,
    default_severity=Severity.HIGH,
    valid=(
        "from keras.layers import LSTM\nLSTM(64, use_cudnn=True)\n",
        "from keras.layers import LSTM\nLSTM(64, recurrent_dropout=0.2)\n",
    ),
    invalid=(
        "from keras.layers import LSTM\nLSTM(64, recurrent_dropout=0.2, use_cudnn=True)\n",
        "from keras.layers import GRU\nGRU(64, reset_after=False, use_cudnn=True)\n",
    ),
)

"""What the linter knows about the layers that feed a recurrent layer.

Both the source frontend and the saved-model frontend use :func:`classify` so that a Conv1D with
relu in front of an LSTM means the same thing wherever it was found.
"""

from __future__ import annotations

from collections.abc import Iterable

from kerasrnnlint import activations
from kerasrnnlint.ir import ProducerKind

# Layers that pass their input through unchanged in the sense that matters (bounded stays bounded,
# unbounded stays unbounded): look through them to the layer behind.
PASS_THROUGH: frozenset[str] = frozenset(
    {
        "Dropout",
        "SpatialDropout1D",
        "SpatialDropout2D",
        "SpatialDropout3D",
        "GaussianNoise",
        "GaussianDropout",
        "AlphaDropout",
        "ActivityRegularization",
        "MaxPooling1D",
        "MaxPooling2D",
        "MaxPooling3D",
        "MaxPool1D",
        "MaxPool2D",
        "MaxPool3D",
        "AveragePooling1D",
        "AveragePooling2D",
        "AveragePooling3D",
        "AvgPool1D",
        "AvgPool2D",
        "AvgPool3D",
        "Reshape",
        "Permute",
        "Flatten",
        "Masking",
        "ZeroPadding1D",
        "ZeroPadding2D",
        "ZeroPadding3D",
        "Cropping1D",
        "Cropping2D",
        "Cropping3D",
        "RepeatVector",
        "UpSampling1D",
        "UpSampling2D",
        "UpSampling3D",
        "Identity",
        "TimeDistributed",  # looked through to its inner layer by the frontends
    }
)

NORMALIZING: frozenset[str] = frozenset(
    {
        "BatchNormalization",
        "LayerNormalization",
        "GroupNormalization",
        "UnitNormalization",
        "SyncBatchNormalization",
        "RMSNormalization",
        "Normalization",  # keras.layers.Normalization: standardises the input
    }
)

# Layers whose output is their activation applied to an affine map; activation default: linear.
AFFINE: frozenset[str] = frozenset(
    {
        "Dense",
        "EinsumDense",
        "Conv1D",
        "Conv2D",
        "Conv3D",
        "Convolution1D",
        "Convolution2D",
        "Convolution3D",
        "Conv1DTranspose",
        "Conv2DTranspose",
        "Conv3DTranspose",
        "SeparableConv1D",
        "SeparableConv2D",
        "SeparableConvolution1D",
        "SeparableConvolution2D",
        "DepthwiseConv1D",
        "DepthwiseConv2D",
    }
)

# Activation layers with a fixed function.
ACTIVATION_LAYERS: dict[str, str] = {
    "ReLU": "relu",
    "LeakyReLU": "leaky_relu",
    "ELU": "elu",
    "PReLU": "leaky_relu",
    "ThresholdedReLU": "relu",
    "Softmax": "softmax",
}

# Layers that produce unbounded values whatever their arguments.
ALWAYS_UNBOUNDED: frozenset[str] = frozenset({"Embedding", "Add", "Concatenate", "Multiply"})


def classify(
    cls: str, activation: str | None = None, activation_known: bool = True
) -> ProducerKind:
    """The kind of a producing layer of class ``cls`` with the given (canonical) activation.

    ``activation`` matters for ``Activation`` and the affine layers (None means linear there).
    Pass-through layers are not classified here: the frontends look through them.
    """
    if cls in NORMALIZING:
        return "normalizing"
    if cls in ("InputLayer", "Input"):
        return "input"
    if cls in ACTIVATION_LAYERS:
        return "unbounded" if not activations.is_bounded(ACTIVATION_LAYERS[cls]) else "bounded"
    if cls == "Activation" or cls in AFFINE:
        if not activation_known:
            return "unknown"
        return "bounded" if activations.is_bounded(activation) else "unbounded"
    if cls in ALWAYS_UNBOUNDED:
        return "unbounded"
    return "unknown"


def classify_recurrent(activation: str | None, activation_known: bool = True) -> ProducerKind:
    """A recurrent layer (or a Bidirectional/RNN of one) as a producer, from its canonical
    ``activation`` (Keras's default is tanh): its output ``h = o * act(c)`` is bounded exactly
    when the activation is. Used by the frontends when one recurrent layer feeds another."""
    if not activation_known or activation is None:
        return "unknown"
    return "bounded" if activations.is_bounded(activation) else "unbounded"


def classify_merge(kinds: Iterable[ProducerKind]) -> ProducerKind:
    """A merge layer (Add, Concatenate, Multiply, ...) whose input producers are visible:
    unbounded if any input is, bounded if every input is bounded or normalised, the model input if
    all are, else unknown. When the inputs are not visible, :func:`classify` applies."""
    seen = set(kinds)
    if "unbounded" in seen:
        return "unbounded"
    if seen and seen <= {"bounded", "normalizing"}:
        return "bounded"
    if seen == {"input"}:
        return "input"
    return "unknown"

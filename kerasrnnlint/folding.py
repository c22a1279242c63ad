"""One finding per cause: a finding that is only a consequence of another is folded into it.

The engine calls :func:`fold` after the rules ran and after rule selection and ``# noqa``, so a
root finding that is not reported (not selected, ignored for the file, suppressed) folds nothing:
its consequences are reported on their own. :data:`FOLDS` is the table of what folds into what;
``kerasrnnlint rule CODE`` prints it for the rule (:func:`describe`).

- KRL101 (cuDNN fallback) caused by ``activation``, ``recurrent_activation`` or
  ``recurrent_dropout`` folds into the KRL001, KRL002 or KRL003 that reports that argument on the
  same layer: the root finding's message adds that the setting also disables the fused kernel.
  KRL101 stays, naming only the other causes, for ``unroll``, ``use_bias=False``,
  ``reset_after=False`` or an argument no other finding reports.
- KRL004 whose unbounded producer is a recurrent layer with its own KRL001 folds into that KRL001,
  whose message names the layers it feeds.
- KRL102 and KRL101 never meet: a layer with ``use_cudnn=True`` gets KRL102 (Keras raises), not
  KRL101 (:data:`EXCLUSIONS`; the KRL101 rule itself stays silent there).

A folded finding is kept as a :class:`~kerasrnnlint.findings.Related` entry (code, location,
message) on its root, so JSON, SARIF and the language server lose nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from kerasrnnlint.cudnn import blockers, describe
from kerasrnnlint.findings import Finding, Related
from kerasrnnlint.ir import Arg, Location, RecurrentLayer
from kerasrnnlint.rules import krl101_cudnn_fallback
from kerasrnnlint.rules.krl004_unnormalized_unbounded_input import describe_location


@dataclass(frozen=True)
class Fold:
    """``consequence`` findings fold into ``root`` findings ``when`` (for people)."""

    consequence: str
    root: str
    when: str


# The argument each root rule reports that also disables the cuDNN kernel.
CUDNN_CAUSE: dict[str, str] = {
    "KRL001": "activation",
    "KRL002": "recurrent_activation",
    "KRL003": "recurrent_dropout",
}

FOLDS: tuple[Fold, ...] = (
    *(
        Fold(
            "KRL101",
            root,
            f"the layer's `{param}` is one of the causes of the cuDNN fallback: the {root} "
            "message says it also disables the fused kernel; KRL101 stays for the other causes",
        )
        for root, param in CUDNN_CAUSE.items()
    ),
    Fold(
        "KRL004",
        "KRL001",
        "the unbounded producer is a recurrent layer with its own KRL001: that finding names the "
        "layers its output feeds",
    ),
)

# Rules that never report on the same layer: (silent rule, the rule reported instead, why).
EXCLUSIONS: tuple[tuple[str, str, str], ...] = (
    (
        "KRL101",
        "KRL102",
        "a layer with use_cudnn=True is reported by KRL102 (Keras raises), never by KRL101",
    ),
)


def describe_rule(code: str) -> list[str]:
    """What folds into ``code`` and what ``code`` folds into, one sentence a line."""
    lines = []
    for item in FOLDS:
        if item.root == code:
            lines.append(f"{item.consequence} folds into {code} when {item.when}.")
        if item.consequence == code:
            lines.append(f"{code} folds into {item.root} when {item.when}.")
    for silent, instead, why in EXCLUSIONS:
        if code in (silent, instead):
            lines.append(f"{silent} and {instead} on one layer: only {instead}; {why}.")
    if lines:
        lines.append(
            "A root finding that is not reported (not selected, ignored for the file, or "
            "suppressed with `# noqa`) folds nothing: the consequence is reported on its own."
        )
    return lines


# --------------------------------------------------------------------------------------------------
# Folding
# --------------------------------------------------------------------------------------------------

LayerKey = tuple[Location, str, tuple[str, ...]]


def layer_key(layer: RecurrentLayer) -> LayerKey:
    return (layer.location, layer.cls, layer.wrappers)


def within(inner: Location, outer: Location) -> bool:
    """True when ``inner`` lies inside ``outer`` (a layer inside the producer's call or path)."""
    if inner.path != outer.path or inner.cell != outer.cell:
        return False
    if outer.layer_path or inner.layer_path:
        size = len(outer.layer_path)
        return bool(size) and inner.layer_path[:size] == outer.layer_path
    a, b = inner.span, outer.span
    if a is None or b is None:
        return False
    return (b.line, b.column) <= (a.line, a.column) and (a.end_line, a.end_column) <= (
        b.end_line,
        b.end_column,
    )


def where(consumer: Location, producer: RecurrentLayer) -> str:
    """`` on line 48``, `` in cell 3, line 2``, `` at model.keras › gru``: where a consumer is,
    as seen from the producer's message."""
    return describe_location(consumer, producer)


def _join(items: Sequence[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def fold(findings: Sequence[Finding]) -> list[Finding]:
    """``findings`` (of one input, after selection and ``# noqa``) with every consequence folded
    into its root. Order is kept; a root's message and ``related`` grow, folded findings go."""
    roots: dict[tuple[LayerKey, str], int] = {}
    for index, finding in enumerate(findings):
        if finding.subject is not None:
            roots.setdefault((layer_key(finding.subject), finding.code), index)
    suffixes: dict[int, list[str]] = {}
    related: dict[int, list[Related]] = {}
    consumers: dict[int, list[str]] = {}
    out: dict[int, Finding | None] = {}

    for index, finding in enumerate(findings):
        layer = finding.subject
        if layer is None:
            continue
        if finding.code == "KRL101":
            found = blockers(layer)
            folded = []
            for code, param in CUDNN_CAUSE.items():
                root = roots.get((layer_key(layer), code))
                arg = dict(found).get(param)
                if root is None or arg is None:
                    continue
                folded.append(param)
                named = describe(param, arg)
                suffixes.setdefault(root, []).append(
                    f" {named} also disables the fused cuDNN kernel (KRL101)."
                )
                related.setdefault(root, []).append(
                    Related("KRL101", finding.location, _krl101_message(layer, [(param, arg)]))
                )
            if folded:
                rest = [(p, a) for p, a in found if p not in folded]
                out[index] = _reduced_krl101(finding, layer, rest) if rest else None
        elif finding.code == "KRL004":
            producer = finding.producer
            if producer is None:
                continue
            match = [
                i
                for (key, code), i in roots.items()
                if code == "KRL001" and key != layer_key(layer) and within(key[0], producer)
            ]
            if not match:
                continue
            root = max(match)  # the innermost/last layer of the producer's call feeds the output
            root_layer = findings[root].subject
            assert root_layer is not None
            consumers.setdefault(root, []).append(
                f"{layer.display_name}{where(finding.location, root_layer)}"
            )
            related.setdefault(root, []).append(
                Related("KRL004", finding.location, finding.message)
            )
            out[index] = None

    for root, names in consumers.items():
        suffixes.setdefault(root, []).append(
            f" Its unbounded output feeds {_join(names)} with no normalisation (KRL004)."
        )
    result = []
    for index, finding in enumerate(findings):
        current: Finding | None = out.get(index, finding)
        if current is None:
            continue
        if index in suffixes or index in related:
            current = replace(
                current,
                message=current.message + "".join(suffixes.get(index, ())),
                related=current.related + tuple(related.get(index, ())),
            )
        result.append(current)
    return result


def _krl101_message(layer: RecurrentLayer, found: Sequence[tuple[str, Arg]]) -> str:
    return krl101_cudnn_fallback.violation(layer, found).message


def _reduced_krl101(
    finding: Finding, layer: RecurrentLayer, rest: Sequence[tuple[str, Arg]]
) -> Finding:
    """The KRL101 finding naming only the causes no other finding reports."""
    reduced = krl101_cudnn_fallback.violation(layer, rest)
    return replace(finding, message=reduced.message, fix=reduced.fix)

"""The training context of each layer found in a module (what feeds it, input shape, optimizer).

Owned by the training-context work (issue 3); this is the interface the analyzer calls.
``found`` pairs each layer with the ``cst.Call`` of its outermost wrapper call (or the layer call
itself when unwrapped), see :mod:`.analyzer`; ``resolver`` answers what any expression names or
evaluates to, see :mod:`.resolver`.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from kerasrnnlint.frontends.source.resolver import Resolver
from kerasrnnlint.ir import RecurrentLayer


def attach_context(
    module: cst.Module, resolver: Resolver, found: Sequence[tuple[cst.Call, RecurrentLayer]]
) -> list[RecurrentLayer]:
    return [layer for _, layer in found]

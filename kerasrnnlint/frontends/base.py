"""What every frontend returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from kerasrnnlint.ir import RecurrentLayer

# Suppression comments by line: None suppresses every code, else the set of codes.
NoqaMap = Mapping[int, frozenset[str] | None]


@dataclass(frozen=True)
class FrontendResult:
    layers: tuple[RecurrentLayer, ...] = ()
    noqa: NoqaMap = field(default_factory=dict)
    notes: tuple[str, ...] = ()  # e.g. "masked 2 IPython lines so the rest could be parsed"
    # Notebooks: the suppression map of each cell (cell number -> rows inside that cell), because
    # their layers' spans are rows inside a cell (``Location.cell``); ``noqa`` is then empty.
    cell_noqa: Mapping[int, NoqaMap] = field(default_factory=dict)


class InputError(Exception):
    """An input that cannot be linted (does not parse, bad encoding, corrupt model file...).

    The message names the cause; the engine adds the file. The run goes on with other inputs.
    """

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    def describe(self) -> str:
        """The message with its position, as reports show it: ``cause (line 3:1)``."""
        if self.line is None:
            return self.message
        column = f":{self.column}" if self.column is not None else ""
        return f"{self.message} (line {self.line}{column})"


class MissingDependency(InputError):
    """An input that needs an optional package which is not installed (h5py for ``.h5``).

    Named on the command line it is an error; found by a directory walk it is a note, so that a
    lint run without the optional package still checks everything else and exits on its findings.
    """

"""``kerasrnnlint server``: a language server over stdio (pygls).

- Diagnostics on open, change (debounced, 50 ms by default) and save, linted from the editor's
  buffer (never the disk) in worker threads so the server keeps answering while it lints. Pushed
  (``textDocument/publishDiagnostics``), or pulled (LSP 3.17 ``textDocument/diagnostic``) when
  the client's capabilities say it pulls. Severity: high → Error, medium → Warning, low →
  Information, info → Hint; on one line the highest severity first. ``code`` is the rule code.
  Each open document keeps an incremental parser
  (:class:`~kerasrnnlint.frontends.source.incremental.IncrementalParser`): an edit re-parses
  only the statements it touched, and the findings are those of a full lint of the text.
- Hover on a finding: the message, the risk factors that set its severity, the rule's
  explanation; the most severe finding first.
- Code actions for the diagnostics in the request's context: the rule's quick fix (preferred; the
  same libcst edit as ``--fix``, :func:`kerasrnnlint.fixes.fix_source`) and "Suppress with
  ``# noqa: CODE``" (:func:`kerasrnnlint.fixes.add_noqa_source`); and
  ``source.fixAll.kerasrnnlint``, every safe fix of the document at once.
- Hover and code actions are answered from the latest lint's results, never waiting for a lint
  in progress; a closed document's state is freed.
- Documents are found by the URI the client sent, whatever its escaping; ``untitled:`` buffers
  are linted as a file in the workspace root; notebooks (``notebookDocument/*``) are linted as
  one notebook, with diagnostics on each cell.
- Configuration: ``[tool.kerasrnnlint]`` of the nearest ``pyproject.toml`` above the document,
  re-read when a ``pyproject.toml`` above it changes (checked before each lint; also on
  ``workspace/didChangeWatchedFiles`` and on its save). A document its ``exclude`` globs cover
  gets no diagnostics.
- The transport (:mod:`.transport`) bounds message sizes and answers malformed requests.

pygls and lsprotocol are imported only here, so a lint run never pays for them.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence

from kerasrnnlint.integrations.lsp.server import (
    DEBOUNCE_S,
    KerasRnnLintServer,
    build_server,
    run,
)

__all__ = ["DEBOUNCE_S", "KerasRnnLintServer", "build_server", "main"]


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(
        prog="kerasrnnlint server",
        description="Run the kerasrnnlint language server over stdio.",
    )
    parser.add_argument("--stdio", action="store_true", help="use stdio (the default and only)")
    parser.add_argument(
        "--debounce-ms",
        type=float,
        default=DEBOUNCE_S * 1000,
        help="wait this long after the last change before linting "
        f"(default: {DEBOUNCE_S * 1000:.0f})",
    )
    args = parser.parse_args(list(argv))
    logging.basicConfig(level=logging.WARNING, format="kerasrnnlint server: %(message)s")
    return run(debounce=max(0.0, args.debounce_ms) / 1000)

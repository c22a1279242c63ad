"""Where people use kerasrnnlint: the language server (``kerasrnnlint server``), pre-commit."""

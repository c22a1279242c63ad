from kerasrnnlint.cli import main

raise SystemExit(main())

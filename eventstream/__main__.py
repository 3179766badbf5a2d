"""``python -m eventstream``: the same as the ``eventstream`` command."""

from .cli import main

raise SystemExit(main())

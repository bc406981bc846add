"""``python -m multimarkets.sandbox``."""

from .cli import main

raise SystemExit(main())

"""``python -m multimarkets``: the ``multimarkets`` command."""

import sys

from .cli import main

sys.exit(main())

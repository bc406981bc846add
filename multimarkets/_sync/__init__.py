"""The blocking API. ``client.py`` and ``resources/`` are generated from the async ones by
``scripts/gen_sync.py``; this file and ``_portal.py`` are not."""

from ._portal import Portal, SyncUsageError
from .client import BridgeClient

__all__ = ["BridgeClient", "Portal", "SyncUsageError"]

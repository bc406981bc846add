"""The blocking API. ``client.py`` and ``resources/`` are generated from the async ones by
``scripts/gen_sync.py``; this file and ``_portal.py`` are not."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._portal import Portal, SyncUsageError

if TYPE_CHECKING:
    from .client import BridgeClient

__all__ = ["BridgeClient", "Portal", "SyncUsageError"]


def __getattr__(name: str) -> Any:
    # Loaded on first use: the sandbox runs on the portal, and the client would bring the SDK's response models
    # into the process of the service's second implementation.
    if name == "BridgeClient":
        from .client import BridgeClient

        return BridgeClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

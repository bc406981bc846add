"""The ``multimarkets`` logger, switched on by ``MULTIMARKETS_LOG=debug|info`` without touching the root logger."""

from __future__ import annotations

import logging
import os

__all__ = ["setup_logging"]

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}


def setup_logging(level_name: str | None = None) -> None:
    """Send the SDK's log records to stderr at ``level_name`` (default: ``$MULTIMARKETS_LOG``); no-op if unset."""
    name = (level_name if level_name is not None else os.environ.get("MULTIMARKETS_LOG", "")).lower()
    level = _LEVELS.get(name)
    if level is None:
        return
    logger = logging.getLogger("multimarkets")
    if not any(getattr(h, "_multimarkets", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        handler._multimarkets = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(level)

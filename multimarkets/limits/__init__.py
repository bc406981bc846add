"""Where the per-API-key rate-limit window and ban state live: one process, one host, or many hosts.

``AsyncBridgeClient(..., limit_store=...)`` or the ``MULTIMARKETS_LIMIT_STORE`` environment variable picks the
store: ``"memory"`` (default: every client of the process), ``"sqlite:///path/to/limits.db"`` (every process of
one host) or ``"redis://host:6379/0"`` (every host; needs ``pip install multimarkets[redis]``).
"""

from __future__ import annotations

import os

from .._redact import without_password
from ..errors import ConfigurationError
from .base import LimitStore, LimitStoreError, Verdict
from .memory import MemoryLimitStore

__all__ = ["ENV_VAR", "LimitStore", "LimitStoreError", "MemoryLimitStore", "Verdict", "open_limit_store"]

ENV_VAR = "MULTIMARKETS_LIMIT_STORE"
"""The environment variable naming the store when the client is given none."""

_PROCESS_STORE = MemoryLimitStore()


def open_limit_store(spec: str | LimitStore | None = None) -> LimitStore:
    """The store named by ``spec`` (a store, a URL, or None: ``$MULTIMARKETS_LIMIT_STORE``, else in-process).

    A new SQLite or Redis store is opened on every call; the caller closes it with ``aclose()``.
    """
    if spec is None:
        spec = os.environ.get(ENV_VAR) or "memory"
    if not isinstance(spec, str):
        if not isinstance(spec, LimitStore):
            raise ConfigurationError("limit_store must be a URL string or a LimitStore")
        return spec
    if spec == "memory":
        return _PROCESS_STORE
    if spec.startswith("sqlite:///") and len(spec) > len("sqlite:///"):
        from .sqlite import SqliteLimitStore

        return SqliteLimitStore(spec[len("sqlite:///") :])
    if spec.startswith(("redis://", "rediss://", "unix://")):
        from .redis import RedisLimitStore

        return RedisLimitStore(spec)
    named = without_password(spec)
    raise ConfigurationError(
        f"limit store {named!r} is not 'memory', 'sqlite:///PATH' or 'redis://HOST:PORT/DB' ({ENV_VAR})"
    )

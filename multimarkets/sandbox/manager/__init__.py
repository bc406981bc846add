"""The Manager API side of the sandbox (``POST {url}/openapi-b/{bizType}``), a second implementation of
the service written from the reference: it shares no signer, encryptor or model with the SDK.

``Sandbox(manager=ManagerConfig(...))`` sets it up; ``sandbox.manager_credentials`` is what a Manager
client needs. See ``docs/sandbox.md``.
"""

from __future__ import annotations

from .config import DEFAULT_MANAGER_RATE_LIMIT, ManagerConfig, ManagerCredentials

__all__ = ["DEFAULT_MANAGER_RATE_LIMIT", "ManagerConfig", "ManagerCredentials"]

"""A local server that plays the MultiMarkets Bridge service, for tests, demos and benchmarks.

``async with Sandbox() as sb:`` in async code, ``with Sandbox.in_thread() as sb:`` in sync code, or in a
notebook ``handle = Sandbox.in_thread()``, ``sb = handle.start()`` ... ``handle.stop()``; then point a client
at ``sb.base_url`` with ``sb.credentials``. In pytest, the ``multimarkets.testing`` plugin has fixtures for
all of this. See ``docs/sandbox.md``.
"""

from .context import BizError, Handler, RequestContext
from .delivery import DeliveryPolicy, wrap_event
from .faults import FaultSpec, Latency
from .keys import ApiKeyConfig
from .manager import ManagerConfig, ManagerCredentials
from .server import Sandbox
from .settings import SandboxConfig
from .threaded import SandboxThread

__all__ = [
    "ApiKeyConfig",
    "BizError",
    "DeliveryPolicy",
    "FaultSpec",
    "Handler",
    "Latency",
    "ManagerConfig",
    "ManagerCredentials",
    "RequestContext",
    "Sandbox",
    "SandboxConfig",
    "SandboxThread",
    "wrap_event",
]

"""A local server that plays the MultiMarkets Bridge service, for tests, demos and benchmarks.

``async with Sandbox() as sb:`` or ``with Sandbox.in_thread() as sb:``, then point a client at
``sb.base_url`` with ``sb.credentials``. See ``docs/sandbox.md``.
"""

from .context import BizError, Handler, RequestContext
from .delivery import DeliveryPolicy, wrap_event
from .faults import FaultSpec, Latency
from .keys import ApiKeyConfig
from .server import Sandbox, SandboxConfig

__all__ = [
    "ApiKeyConfig",
    "BizError",
    "DeliveryPolicy",
    "FaultSpec",
    "Handler",
    "Latency",
    "RequestContext",
    "Sandbox",
    "SandboxConfig",
    "wrap_event",
]

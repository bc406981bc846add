"""What a Manager handler receives, and the table of endpoints the Manager gateway serves."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import attrs

from ..context import BizError
from . import codes
from .push import PushHub
from .state import ManagerState

__all__ = ["Endpoint", "ManagerContext", "ManagerHandler", "biz_error"]


@attrs.frozen
class ManagerContext:
    """One authenticated Manager request as a handler sees it."""

    state: ManagerState
    company_id: int
    biz_type: str
    trace: str
    now_ms: int
    """The server's wall clock (with any admin skew) when the request arrived, in UNIX milliseconds."""
    push: PushHub

    def publish(self, event_type: str, data: dict[str, Any]) -> None:
        """Push a Data Push event to the caller's company."""
        self.push.publish(self.company_id, event_type, data)


ManagerHandler = Callable[[ManagerContext, dict[str, Any]], Awaitable[Any]]
"""``async def handler(ctx, body) -> data``: returns the envelope's ``data`` or raises ``BizError``."""


@attrs.frozen
class Endpoint:
    """A bizType: its handler and which headers the spec requires for it (reference §1.4)."""

    handler: ManagerHandler
    token_required: bool = True
    company_id_required: bool = True


def biz_error(code: str) -> BizError:
    """A business error with the documented Manager message."""
    return BizError(code, codes.message_for(code))

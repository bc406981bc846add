"""What every resource namespace shares: the client's session."""

from __future__ import annotations

from .._transport import AsyncSession

__all__ = ["AsyncResource"]


class AsyncResource:
    """Base of the ``client.<resource>`` namespaces; holds the client's session."""

    __slots__ = ("_session",)

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

"""A sandbox served from its own event loop in a background thread: the SDK's portal runs that loop."""

from __future__ import annotations

from types import TracebackType
from typing import Generic, Protocol, TypeVar

from .._sync._portal import Portal

__all__ = ["SandboxThread"]

_SHUTDOWN_SECONDS = 10.0


class Served(Protocol):
    """A server started and stopped on an event loop (the :class:`~multimarkets.sandbox.Sandbox`)."""

    async def start(self) -> object: ...

    async def stop(self) -> None: ...


S = TypeVar("S", bound=Served)


class SandboxThread(Generic[S]):
    """A sandbox served from its own event loop in a background thread, started and stopped by plain calls;
    made by :meth:`Sandbox.in_thread <multimarkets.sandbox.Sandbox.in_thread>`.

    ``with Sandbox.in_thread() as sb:`` in sync code and tests; ``sb = handle.start()`` ... ``handle.stop()``
    where a ``with`` block is awkward (a notebook). Forgetting :meth:`stop` is harmless: the sandbox stops
    when the interpreter exits.
    """

    def __init__(self, sandbox: S) -> None:
        self.sandbox = sandbox
        """The sandbox, running or not."""
        self.portal: Portal | None = None
        """The portal whose loop serves the sandbox, while it runs."""

    def __repr__(self) -> str:
        return f"<SandboxThread {self.sandbox!r}>"

    def start(self) -> S:
        """Start serving in a new background thread; returns the running sandbox."""
        if self.portal is not None:
            raise RuntimeError("the sandbox is already running")
        portal = Portal(name="multimarkets-sandbox", shutdown_timeout=_SHUTDOWN_SECONDS)
        try:
            portal.call(self.sandbox.start)
            portal.on_close(self.sandbox.stop)
        except BaseException:
            portal.close()
            raise
        self.portal = portal
        return self.sandbox

    def stop(self) -> None:
        """Stop serving and end the thread. Idempotent."""
        portal, self.portal = self.portal, None
        if portal is not None:
            portal.close()

    def __enter__(self) -> S:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

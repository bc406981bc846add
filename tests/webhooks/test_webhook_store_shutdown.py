"""An application whose event loop closes (a server shutting down: ``asyncio.run`` cancels what is left) while a
delivery's call of the dedup store still waits for one of its 8 slots, all held by calls stuck on the store: the
call is made once a slot frees, so that the service's redelivery of the event is handled, not refused as one in
progress until its claim expires."""

from __future__ import annotations

import asyncio
import contextvars
import subprocess
import sys
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from webhook_samples import MakeDelivery, exec_report, wrap

from multimarkets.signing import RsaSha1Verifier
from multimarkets.webhooks import Claim, Event, MemoryDedupStore, OrderExecReport, WebhookReceiver

TRACE = "t-store-shutdown-1"

EXITING_APP = Path(__file__).with_name("exiting_app.py")

_T = TypeVar("_T")


class Held:
    """A user's store whose calls for the keys the test holds hang until it lets them go (a Redis that stopped
    answering): ``entered`` counts the calls held, ``threads`` notes the thread of each; the keys given up are
    noted."""

    def __init__(self) -> None:
        self.inner = MemoryDedupStore()
        self.entered = threading.Semaphore(0)
        self.threads: dict[tuple[str, str], int] = {}
        self._gates: dict[tuple[str, str], threading.Event] = {}
        self._released: list[str] = []
        self._changed = threading.Condition()

    def hold(self, call: str, *keys: str) -> None:
        """Make the ``call`` (``"claim"`` or ``"complete"``) of each of ``keys`` hang until it is let go."""
        self._gates.update({(call, key): threading.Event() for key in keys})

    def let_go(self, call: str, key: str) -> None:
        self._gates[call, key].set()

    def let_all_go(self) -> None:
        for gate in self._gates.values():
            gate.set()

    def claim(self, key: str) -> Claim:
        self._pass("claim", key)
        return self.inner.claim(key)

    def complete(self, key: str) -> None:
        self._pass("complete", key)
        self.inner.complete(key)

    def release(self, key: str) -> None:
        self.inner.release(key)
        with self._changed:
            self._released.append(key)
            self._changed.notify_all()

    def was_released(self, key: str) -> bool:
        """Whether ``key`` was given up, waiting for it a while (the wait only bounds a failing test)."""
        with self._changed:
            return self._changed.wait_for(lambda: key in self._released, timeout=20)

    def _pass(self, call: str, key: str) -> None:
        gate = self._gates.get((call, key))
        if gate is not None:
            self.threads[call, key] = threading.get_ident()
            self.entered.release()
            # A deadline only so that a receiver that blocks the test fails it, not hangs it.
            if not gate.wait(timeout=30):
                raise RuntimeError(f"the test did not let the {call} go for 30 s")


class WatchedLoop(asyncio.SelectorEventLoop):
    """An event loop that tells when the ``watched`` thread hands it a callback: a worker thread, the result of
    its call."""

    def __init__(self) -> None:
        super().__init__()
        self.watched: int | None = None
        self.handed = threading.Event()

    def call_soon_threadsafe(  # type: ignore[override]
        self, callback: Callable[..., object], *args: object, context: contextvars.Context | None = None
    ) -> asyncio.Handle:
        handle = super().call_soon_threadsafe(callback, *args, context=context)
        if threading.get_ident() == self.watched:
            self.handed.set()
        return handle


def run_and_close(loop: asyncio.AbstractEventLoop, main: Coroutine[Any, Any, _T]) -> _T:
    """What ``asyncio.run`` does with its loop: run ``main``, cancel the tasks left and wait for them, close."""
    try:
        return loop.run_until_complete(main)
    finally:
        left = asyncio.all_tasks(loop)
        for task in left:
            task.cancel()
        if left:
            loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()


def test_a_release_waiting_for_a_slot_when_the_event_loop_closes_is_made_once_one_frees(
    deliver: MakeDelivery, verifier: RsaSha1Verifier
) -> None:
    store = Held()
    first = deliver(wrap(exec_report(tradeId="T0")), trace=TRACE)
    stuck = [deliver(wrap(exec_report(tradeId=f"T{n}"))) for n in range(1, 9)]

    async def application() -> str:
        """Until its loop closes: on_event fails for the first event while 8 other deliveries hang on the store,
        so that giving its claim up (for the service to deliver it again) waits for a slot."""
        handling, fail, failed = asyncio.Event(), asyncio.Event(), asyncio.Event()

        async def on_event(event: Event) -> None:
            handling.set()
            try:
                await fail.wait()
                raise RuntimeError("the handler failed")
            finally:
                failed.set()

        receiver = WebhookReceiver(on_event, verifier=verifier, dedup=store)
        store.hold("claim", *(receiver.accept(*delivery).identity for delivery in stuck))
        deliveries = [asyncio.create_task(receiver.handle(*first))]
        await handling.wait()
        deliveries += [asyncio.create_task(receiver.handle(*delivery)) for delivery in stuck]
        await asyncio.to_thread(lambda: [store.entered.acquire() for _ in stuck])
        fail.set()
        await failed.wait()  # its release now waits for a slot; asyncio.run cancels every task left
        return receiver.accept(*first).identity

    key = asyncio.run(application())
    store.let_all_go()  # the stuck calls return: their slots free up
    assert store.was_released(key), "the claim of the event whose on_event failed was never given up"
    received: list[Event] = []
    restarted = WebhookReceiver(received.append, verifier=verifier, dedup=store)
    assert restarted.handle_sync(*first).status == 200  # the service's redelivery is handled
    assert [event.trade_id for event in received if isinstance(event, OrderExecReport)] == ["T0"]


def test_a_claim_whose_delivery_was_cancelled_as_it_returned_is_given_up_after_the_event_loop_closed(
    deliver: MakeDelivery, verifier: RsaSha1Verifier
) -> None:
    store = Held()
    cancelled = deliver(wrap(exec_report(tradeId="T0")), trace=TRACE)
    recorded = deliver(wrap(exec_report(tradeId="T8")))
    stuck = [deliver(wrap(exec_report(tradeId=f"T{n}"))) for n in range(1, 8)]
    loop = WatchedLoop()

    async def application() -> str:
        """Until its loop closes: 7 deliveries and T0's hang on the store's claims; T8's record, then waiting for
        a slot, takes the one T0's delivery gives back when its client goes away just as its claim returned,
        so that giving that claim up waits for a slot."""
        handling, finish, handled = asyncio.Event(), asyncio.Event(), asyncio.Event()

        async def on_event(event: Event) -> None:
            handling.set()
            try:
                await finish.wait()
            finally:
                handled.set()

        receiver = WebhookReceiver(on_event, verifier=verifier, dedup=store)
        key, recorded_key = (receiver.accept(*delivery).identity for delivery in (cancelled, recorded))
        store.hold("claim", key, *(receiver.accept(*delivery).identity for delivery in stuck))
        store.hold("complete", recorded_key)
        deliveries = [asyncio.create_task(receiver.handle(*recorded))]
        await handling.wait()
        deliveries += [asyncio.create_task(receiver.handle(*delivery)) for delivery in stuck]
        deliveries.append(asyncio.create_task(receiver.handle(*cancelled)))
        await asyncio.to_thread(lambda: [store.entered.acquire() for _ in range(8)])
        finish.set()
        await handled.wait()
        await asyncio.sleep(0)  # a turn of the loop: T8's record, deferred as no slot is free, queues for one
        loop.watched = store.threads["claim", key]
        store.let_go("claim", key)
        assert loop.handed.wait(timeout=20)  # holds the loop: the claim returned, its answer waits in the loop
        deliveries[-1].cancel()  # its client went away just then (aiohttp cancels the handler)
        await asyncio.to_thread(store.entered.acquire)  # the slot it gave back went to the record, which hangs
        return key

    key = run_and_close(loop, application())
    store.let_all_go()
    assert store.was_released(key), "the claim of the delivery cancelled as it returned was never given up"
    received: list[Event] = []
    restarted = WebhookReceiver(received.append, verifier=verifier, dedup=store)
    assert restarted.handle_sync(*cancelled).status == 200  # the service's redelivery is handled
    assert [event.trade_id for event in received if isinstance(event, OrderExecReport)] == ["T0"]


def test_an_application_exiting_while_a_release_finds_no_slot_free_names_the_event_and_ends() -> None:
    # A user's store that never answers (no timeout of its own) holds all 8 slots: the interpreter's exit waits
    # for the release 5 s at most, then the receiver logs the event whose claim stays.
    done = subprocess.run([sys.executable, str(EXITING_APP)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    key = done.stdout.strip()
    assert key.startswith('["ORDER_EXEC_REPORT"')
    assert (
        f"WARNING multimarkets.webhooks: event {key}: a call of the dedup store whose caller was gone was not made "
        "as the application exited (no slot freed within 5 s); the event's claim stays until it expires"
    ) in done.stderr

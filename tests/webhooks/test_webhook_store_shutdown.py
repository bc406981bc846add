"""An application whose event loop closes (a server shutting down: ``asyncio.run`` cancels what is left) while a
delivery's call of the dedup store still waits for one of its 8 slots, all held by calls stuck on the store: the
call is made once a slot frees, so that the service's redelivery of the event is handled, not refused as one in
progress until its claim expires."""

from __future__ import annotations

import asyncio
import threading

from stuck_store import Stuck
from webhook_samples import MakeDelivery, exec_report, wrap

from multimarkets.signing import RsaSha1Verifier
from multimarkets.webhooks import Claim, Event, OrderExecReport, WebhookReceiver

TRACE = "t-store-shutdown-1"


class Held(Stuck):
    """A stuck store whose claims hang for the ``held`` keys only; it notes the keys given up."""

    def __init__(self) -> None:
        super().__init__()
        self.held: set[str] = set()
        self._released: list[str] = []
        self._changed = threading.Condition()

    def claim(self, key: str) -> Claim:
        return super().claim(key) if key in self.held else self.inner.claim(key)

    def release(self, key: str) -> None:
        super().release(key)
        with self._changed:
            self._released.append(key)
            self._changed.notify_all()

    def was_released(self, key: str) -> bool:
        """Whether ``key`` was given up, waiting for it a while (the wait only bounds a failing test)."""
        with self._changed:
            return self._changed.wait_for(lambda: key in self._released, timeout=20)


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
        store.held.update(receiver.accept(*delivery).identity for delivery in stuck)
        deliveries = [asyncio.create_task(receiver.handle(*first))]
        await handling.wait()
        deliveries += [asyncio.create_task(receiver.handle(*delivery)) for delivery in stuck]
        await asyncio.to_thread(lambda: [store.entered.acquire() for _ in stuck])
        fail.set()
        await failed.wait()  # its release now waits for a slot; asyncio.run cancels every task left
        return receiver.accept(*first).identity

    key = asyncio.run(application())
    store.go.set()  # the stuck calls return: their slots free up
    assert store.was_released(key), "the claim of the event whose on_event failed was never given up"
    received: list[Event] = []
    restarted = WebhookReceiver(received.append, verifier=verifier, dedup=store)
    assert restarted.handle_sync(*first).status == 200  # the service's redelivery is handled
    assert [event.trade_id for event in received if isinstance(event, OrderExecReport)] == ["T0"]

"""An application that exits while its receiver's release of a claim waits for a slot of the dedup store, all 8
held by calls stuck on a user's store that has no timeout of its own. Run by test_webhook_store_shutdown in a
process of its own: what is watched is the interpreter's exit. The stuck calls return once the receiver gave the
release up (its warning), so that the process can end; prints the event's key.

    python tests/webhooks/exiting_app.py
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading

from webhook_samples import exec_report, wrap

from multimarkets.webhooks import Claim, Event, MemoryDedupStore, WebhookReceiver


class Hanging:
    """Claims of events other than ``free`` (T0's) hang until ``gate`` opens."""

    def __init__(self, gate: threading.Event) -> None:
        self.inner = MemoryDedupStore()
        self.gate = gate
        self.free = ""
        self.entered = threading.Semaphore(0)

    def claim(self, key: str) -> Claim:
        if key != self.free:
            self.entered.release()
            self.gate.wait(timeout=30)  # a deadline only so that a receiver that never gives up fails, not hangs
        return self.inner.claim(key)

    def complete(self, key: str) -> None:
        self.inner.complete(key)

    def release(self, key: str) -> None:
        self.inner.release(key)


class OpensOnGivingUp(logging.Handler):
    """Opens ``gate`` when the receiver logs that a call was not made."""

    def __init__(self, gate: threading.Event) -> None:
        super().__init__(logging.WARNING)
        self.gate = gate

    def emit(self, record: logging.LogRecord) -> None:
        if "was not made" in record.getMessage():
            self.gate.set()


def delivery(trade_id: str) -> tuple[bytes, dict[str, str]]:
    return json.dumps(wrap(exec_report(tradeId=trade_id))).encode(), {"trace": f"t-exit-{trade_id}"}


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    gate = threading.Event()
    logging.getLogger("multimarkets.webhooks").addHandler(OpensOnGivingUp(gate))
    fail, failed = asyncio.Event(), asyncio.Event()

    async def on_event(event: Event) -> None:
        try:
            await fail.wait()
            raise RuntimeError("the handler failed")
        finally:
            failed.set()

    failing = delivery("T0")
    stuck = [delivery(f"T{n}") for n in range(1, 9)]
    store = Hanging(gate)
    receiver = WebhookReceiver(on_event, verifier=None, dedup=store)
    store.free = receiver.accept(*failing).identity

    async def application() -> None:
        deliveries = [asyncio.create_task(receiver.handle(*failing))]
        deliveries += [asyncio.create_task(receiver.handle(*stuck_delivery)) for stuck_delivery in stuck]
        await asyncio.to_thread(lambda: [store.entered.acquire() for _ in stuck])
        fail.set()
        await failed.wait()  # its release now waits for a slot; asyncio.run cancels every task left

    asyncio.run(application())
    print(store.free, flush=True)


if __name__ == "__main__":
    main()

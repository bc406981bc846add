"""One receiver process of the multi-worker dedup test: handles the delivery in ``MM_DELIVERY`` with a shared
store and appends a line to EVENTS_FILE each time ``on_event`` runs; prints the HTTP status it answered.

    python tests/webhooks/dedup_worker.py sqlite:///PATH|redis://... EVENTS_FILE
"""

from __future__ import annotations

import json
import os
import sys

from multimarkets.webhooks import Event, RedisDedupStore, RsaSha1Verifier, SqliteDedupStore, WebhookReceiver


def main() -> None:
    url, events_file = sys.argv[1], sys.argv[2]
    delivery = json.loads(os.environ["MM_DELIVERY"])
    store = RedisDedupStore(url) if url.startswith("redis://") else SqliteDedupStore(url[len("sqlite:///") :])

    def on_event(event: Event) -> None:
        with open(events_file, "a") as out:
            out.write(f"{os.getpid()}\n")

    receiver = WebhookReceiver(on_event, verifier=RsaSha1Verifier(delivery["public_key"]), dedup=store)
    answer = receiver.handle_sync(delivery["body"].encode(), delivery["headers"])
    store.close()
    print(answer.status)


if __name__ == "__main__":
    main()

"""Registration requests signed ahead of time, and a bare aiohttp loop posting them: the floor the SDK is
measured against (no models, validation, limiter, retries or journal; signing done before the clock starts)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp

from multimarkets import Credentials, RsaSha1Signer
from multimarkets._convert import to_wire
from multimarkets.models.customers import CustomerRegistration
from multimarkets.resources.customers import ADD_CUSTOMER
from multimarkets.trace import new_trace

Presigned = tuple[str, bytes, dict[str, str]]


def presign(credentials: Credentials, base_url: str, rows: list[dict[str, Any]]) -> list[Presigned]:
    """One ready-to-post request per row, each with its own timestamp, trace and signature."""
    signer = RsaSha1Signer(credentials.secret_key)
    url = f"{base_url}/global/{ADD_CUSTOMER}"
    requests = []
    for row in rows:
        body = to_wire(CustomerRegistration.from_mapping(row).to_request())
        timestamp = int(time.time() * 1000)
        headers = {
            "Content-Type": "application/json",
            "apiKey": credentials.api_key,
            "companyId": credentials.company_id,
            "recvWindow": "60000",
            "version": "0.0.1",
            "timestamp": str(timestamp),
            "trace": new_trace(),
            "signature": signer.sign(body, timestamp),
        }
        requests.append((url, json.dumps(body, separators=(",", ":")).encode(), headers))
    return requests


async def post(session: aiohttp.ClientSession, request: Presigned) -> Any:
    """Post one request and return the envelope's data (raising if it is not a success)."""
    url, body, headers = request
    async with session.post(url, data=body, headers=headers) as response:
        envelope = json.loads(await response.read())
    if envelope.get("code") != "0":
        raise RuntimeError(f"bare request failed: {envelope.get('code')} {envelope.get('msg')}")
    return envelope["data"]


async def post_all(requests: list[Presigned], concurrency: int) -> float:
    """Post every request with ``concurrency`` workers; returns the seconds it took."""
    queue = list(reversed(requests))
    async with aiohttp.ClientSession() as session:

        async def worker() -> None:
            while queue:
                await post(session, queue.pop())

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started

"""``POST /webhook/global/{bizType}``: the chain every business request goes through.

Order: faults that strike in front of the gateway (``reset_before``, ``html403``, ``error5xx``) -> API key
-> rate limit -> companyId, trace, version headers -> timestamp within recvWindow -> body -> signature ->
bizType -> handler -> envelope -> faults that strike after the handler (``reset_after_commit``,
``bad_json``, ``slow_body``). Extra latency is added after the rate-limit decision, before the handler.

Choices where the reference is silent:

- A request counts against its key's limit from the moment it is admitted, before any other check (see
  :mod:`multimarkets.sandbox.ratelimit`); one hit by a fault in front of the gateway does not count.
- recvWindow follows Binance: accept when ``timestamp < now + 1000`` and ``now - timestamp <= recvWindow``;
  ``recvWindow`` defaults to 5000 and is capped at ``recv_window_max``. ``now`` is the sandbox's wall clock
  plus the admin skew; the ``Date`` header of every answer carries the same skewed clock.
- A ``companyId`` that is not the key's company is answered like an unknown key (00012003). A ``version``
  other than 0.0.1 is ``GGATEWAY_CODE_010``; an absent one is accepted.
- 429 and 418 answers carry an envelope with code 00012005 and a ``Retry-After`` header (for 418: the rest
  of the ban). Error envelopes carry the bizType as ``data`` ("on exception, the bizType is returned").
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

import attrs
from aiohttp import web

from ..signing import RsaSha1Verifier
from ..trace import new_trace
from . import codes
from .clock import WallClock
from .context import BizError, EventSink, Handler, RequestContext
from .envelope import encode_envelope
from .faults import FAULT_KINDS, PRE_HANDLER_KINDS, FaultInjector, FaultPlan
from .ratelimit import KeyLimiter, VerdictKind
from .state import Store
from .stats import Stats

__all__ = ["API_VERSION", "DEFAULT_RECV_WINDOW", "Answer", "Gateway", "KeyEntry"]

logger = logging.getLogger("multimarkets.sandbox")

API_VERSION = "0.0.1"
DEFAULT_RECV_WINDOW = 5000
FUTURE_TOLERANCE_MS = 1000

_FIREWALL_PAGE = (
    b"<html><head><title>403 Forbidden</title></head><body><center><h1>403 Forbidden</h1></center>"
    b"<hr><center>Request blocked by web application firewall</center></body></html>"
)
_FAULT_STAT = {kind: f"fault_{kind}" for kind in FAULT_KINDS}


@attrs.define
class KeyEntry:
    """One API key the sandbox accepts: its company, its verifier and its own limiter."""

    api_key: str
    company_id: str
    verifier: RsaSha1Verifier
    limiter: KeyLimiter


@attrs.define
class Answer:
    """A finished answer, before any fault that strikes after the handler."""

    status: int
    body: bytes
    headers: dict[str, str]


@attrs.frozen
class _Admission:
    key: KeyEntry
    trace: str
    timestamp: int
    limit_headers: dict[str, str]


@attrs.define(kw_only=True, eq=False)
class Gateway:
    """Serves business requests. Single-threaded: everything runs on the sandbox's event loop."""

    keys: Mapping[str, KeyEntry]
    handlers: Mapping[str, Handler]
    store: Store
    stats: Stats
    faults: FaultInjector
    events: EventSink
    clock: Callable[[], float]
    wall: WallClock
    recv_window_max: int
    _closing: asyncio.Event
    _company_of: dict[str, str] = attrs.field(init=False)

    @_company_of.default
    def _companies(self) -> dict[str, str]:
        return {key: entry.company_id for key, entry in self.keys.items()}

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """The aiohttp handler of ``POST /webhook/global/{bizType}``."""
        admitted = self.clock()
        now_ms = self.wall.now_ms()
        biz_type = request.match_info["bizType"]
        counts = self.stats.counts
        counts["requests"] += 1
        plan = self.faults.plan(biz_type)
        if plan.latency:
            counts["fault_latency"] += 1
        if plan.kind in PRE_HANDLER_KINDS:
            counts[_FAULT_STAT[plan.kind]] += 1
            if plan.latency:
                await asyncio.sleep(plan.latency)
            return self.strike_before(request, plan)

        # Nothing may be awaited before `_admit`: the limiter needs admissions in clock order.
        admission = self._admit(request, admitted, now_ms, biz_type)
        if plan.latency:
            await asyncio.sleep(plan.latency)
        if isinstance(admission, Answer):
            answer = admission
        else:
            dispatched = await self._dispatch(request, admitted, now_ms, biz_type, admission)
            if dispatched is None:
                return web.Response()  # nobody left to answer; aiohttp drops it quietly
            answer = dispatched
        answer.headers["Date"] = self.wall.date_header(now_ms)
        if plan.kind is not None:
            counts[_FAULT_STAT[plan.kind]] += 1
            return await self.strike_after(request, answer, plan)
        return web.Response(body=answer.body, status=answer.status, headers=answer.headers)

    def _answer(
        self,
        code: str,
        trace: str,
        biz_type: str,
        admitted: float,
        *,
        data: Any = None,
        status: int = 200,
        msg: str | None = None,
        msg_params: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        if code != codes.SUCCESS:
            data = biz_type
        body = encode_envelope(trace=trace, tm=self._tm(admitted), code=code, data=data, msg=msg, msg_params=msg_params)
        return Answer(status, body, {"Content-Type": "application/json", **(headers or {})})

    def _tm(self, admitted: float) -> int:
        return int((self.clock() - admitted) * 1000)

    def _admit(self, request: web.Request, admitted: float, now_ms: int, biz_type: str) -> Answer | _Admission:
        """The synchronous checks; an answer when the request is rejected."""
        headers = request.headers
        counts = self.stats.counts
        trace = headers.get("trace") or ""
        key = self.keys.get(headers.get("apiKey") or "")
        if key is None:
            counts["rejected_api_key"] += 1
            return self._answer(codes.API_KEY_UNKNOWN, trace or new_trace(), biz_type, admitted)

        verdict = key.limiter.admit(admitted)
        limit_headers = verdict.headers(key.limiter.limit)
        if verdict.kind is VerdictKind.LIMITED:
            counts["rate_limited"] += 1
            return self._answer(
                codes.TOO_FREQUENT, trace or new_trace(), biz_type, admitted, status=429, headers=limit_headers
            )
        if verdict.kind is VerdictKind.BANNED:
            counts["banned"] += 1
            msg = f"API key banned for ignoring the rate limit; retry in {verdict.retry_after:.0f} s"
            return self._answer(
                codes.TOO_FREQUENT, trace or new_trace(), biz_type, admitted, status=418, msg=msg, headers=limit_headers
            )

        code = None
        company_id = headers.get("companyId")
        if not company_id:
            code = codes.COMPANY_ID_MISSING
        elif company_id != key.company_id:
            code = codes.API_KEY_UNKNOWN
        elif not trace:
            code = codes.TRACE_MISSING
        elif headers.get("version", API_VERSION) not in (API_VERSION, ""):
            code = codes.NO_SUCH_INTERFACE
        if code is not None:
            counts["rejected_api_key" if code == codes.API_KEY_UNKNOWN else "rejected_header"] += 1
            return self._answer(code, trace or new_trace(), biz_type, admitted, headers=limit_headers)

        timestamp = _int_header(headers.get("timestamp"))
        recv_window = _int_header(headers.get("recvWindow") or str(DEFAULT_RECV_WINDOW))
        if recv_window is None or recv_window <= 0:
            counts["rejected_header"] += 1
            msg = "recvWindow must be a positive integer"
            return self._answer(codes.INVALID_PARAMETER, trace, biz_type, admitted, msg=msg, headers=limit_headers)
        recv_window = min(recv_window, self.recv_window_max)
        if timestamp is None or not (timestamp < now_ms + FUTURE_TOLERANCE_MS and now_ms - timestamp <= recv_window):
            counts["rejected_timestamp"] += 1
            return self._answer(codes.TIMESTAMP_OUT_OF_WINDOW, trace, biz_type, admitted, headers=limit_headers)
        return _Admission(key, trace, timestamp, limit_headers)

    async def _dispatch(
        self, request: web.Request, admitted: float, now_ms: int, biz_type: str, admission: _Admission
    ) -> Answer | None:
        """Body, signature and the handler; None when the client hung up before its body arrived."""
        counts = self.stats.counts
        key, trace, limit_headers = admission.key, admission.trace, admission.limit_headers
        try:
            raw = await request.read()
        except ConnectionError:
            # A killed client or a reset mid-body is expected here (kill tests, faults): left to aiohttp, it
            # would be logged as an "Error handling request" with a traceback.
            logger.debug("client of %s (trace %s) hung up before sending its body", biz_type, trace)
            return None
        try:
            body: Any = json.loads(raw) if raw.strip() else {}
        except ValueError:
            body = None
        if not isinstance(body, dict):
            counts["rejected_params"] += 1
            msg = "the body is not a JSON object"
            return self._answer(codes.INVALID_PARAMETER, trace, biz_type, admitted, msg=msg, headers=limit_headers)

        signature = request.headers.get("signature")
        if not signature or not key.verifier.verify(body, admission.timestamp, signature):
            counts["rejected_signature"] += 1
            return self._answer(codes.SIGNATURE_INVALID, trace, biz_type, admitted, headers=limit_headers)

        handler = self.handlers.get(biz_type)
        if handler is None:
            counts["unknown_biz_type"] += 1
            return self._answer(codes.UNKNOWN_BIZ_TYPE, trace, biz_type, admitted, headers=limit_headers)

        ctx = RequestContext(
            store=self.store,
            company_id=key.company_id,
            api_key=key.api_key,
            biz_type=biz_type,
            trace=trace,
            group=request.headers.get("group"),
            lang=request.headers.get("lang"),
            now_ms=now_ms,
            events=self.events,
            api_keys=self._company_of,
        )
        try:
            data = await handler(ctx, body)
        except BizError as exc:
            counts["biz_errors"] += 1
            return self._answer(
                exc.code, trace, biz_type, admitted, msg=exc.msg, msg_params=exc.params, headers=limit_headers
            )
        except Exception:
            counts["server_errors"] += 1
            logger.exception("sandbox handler for %s failed (trace %s)", biz_type, trace)
            return self._answer(codes.SYSTEM_ERROR, trace, biz_type, admitted, status=500, headers=limit_headers)
        counts["ok"] += 1
        return self._answer(codes.SUCCESS, trace, biz_type, admitted, data=data, headers=limit_headers)

    def strike_before(self, request: web.Request, plan: FaultPlan) -> web.StreamResponse:
        """Answer as a fault in front of the gateway (``reset_before``, ``html403``, ``error5xx``) does."""
        if plan.kind == "reset_before":
            return _reset(request)
        if plan.kind == "html403":
            return web.Response(status=403, body=_FIREWALL_PAGE, content_type="text/html")
        # error5xx: a third each of a G500 envelope, a bare 502 and a bare 503 (as from a load balancer).
        if plan.variant < 1 / 3:
            trace = request.headers.get("trace") or new_trace()
            body = encode_envelope(trace=trace, tm=0, code=codes.SYSTEM_ERROR, data=request.match_info["bizType"])
            return web.Response(status=500, body=body, content_type="application/json")
        if plan.variant < 2 / 3:
            return web.Response(status=502, text="502 Bad Gateway")
        return web.Response(status=503, text="503 Service Temporarily Unavailable")

    async def strike_after(self, request: web.Request, answer: Answer, plan: FaultPlan) -> web.StreamResponse:
        """Deliver ``answer`` as a fault after the handler does (``reset_after_commit``, ``bad_json``,
        ``slow_body``)."""
        if plan.kind == "reset_after_commit":
            return _reset(request)
        if plan.kind == "bad_json":
            return web.Response(body=_mangle(answer.body, plan.variant), status=200, headers=answer.headers)
        # slow_body: the headers and half the body now, the rest after the stall (or at shutdown).
        response = web.StreamResponse(status=answer.status, headers=answer.headers)
        response.content_length = len(answer.body)
        half = len(answer.body) // 2
        try:
            await response.prepare(request)
            await response.write(answer.body[:half])
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._closing.wait(), plan.stall)
            await response.write(answer.body[half:])
            await response.write_eof()
        except ConnectionError:
            pass  # the client gave up waiting, as intended
        return response


def _int_header(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _reset(request: web.Request) -> web.StreamResponse:
    """Drop the connection without an answer; aiohttp then fails to write the dummy response, quietly."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    return web.Response()


def _mangle(body: bytes, variant: float) -> bytes:
    """Half the time truncate the JSON at a random point, otherwise make it syntactically wrong."""
    if variant < 0.5 and len(body) > 1:
        return body[: 1 + int(variant * 2 * (len(body) - 1))]
    return body.replace(b'"', b"'")

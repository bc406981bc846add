"""``POST /openapi-b/{bizType}`` and ``POST /openapi-b/auth/{bizType}``: the Manager API's request chain.

Order: faults that strike in front of the gateway (shared with the Bridge side) -> the endpoint's rate limit
-> ``trace`` -> (auth call: app id and secret, a new token) -> ``token`` -> ``companyId`` -> ``version`` ->
body (decrypted when the trace starts with ``x-``) -> MD5 signature -> handler -> envelope -> faults that
strike after the handler.

Choices where the reference is silent (reference §8):

- Tokens are ``<uuid>admin`` like the documented example and live ``token_lifetime`` seconds on the
  sandbox's monotonic clock. An expired token answers ``GGATEWAY_CODE_005``, a token the sandbox never
  issued (e.g. after a restart) ``GGATEWAY_CODE_017``; a new auth call does not revoke older tokens.
- Wrong app id or secret: ``GGATEWAY_CODE_101``. A ``companyId`` header other than the token's company:
  ``GGATEWAY_CODE_019``. A ``version`` other than 0.0.1: ``GGATEWAY_CODE_010``; an absent one is accepted.
  ``companyId`` may be left out only where the spec does not list it (account list, balance update).
- Every business body must carry a valid ``signature`` (encrypted or not); the auth call is not signed. A
  bad or missing signature answers ``GGATEWAY_CODE_015``; an ``x-`` body that does not decrypt, or a body
  that is no JSON object, ``GGATEWAY_CODE_104``.
- The limit counts every admitted request of an endpoint, whatever its fate; an answer over the limit is
  HTTP 429 with ``GGATEWAY_CODE_018`` and ``Retry-After``. There is no ban ladder (none is documented).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import attrs
from aiohttp import web

from ...config import RateLimit
from ...trace import new_trace
from ..clock import WallClock
from ..context import BizError
from ..envelope import encode_envelope
from ..faults import PRE_HANDLER_KINDS, FaultInjector
from ..gateway import Answer, Gateway
from ..ratelimit import Verdict, VerdictKind
from ..state import Store
from . import admin, codes
from .config import ManagerConfig, ManagerCredentials
from .context import Endpoint, ManagerContext
from .crypto import DecryptionError, signature_matches
from .endpoints import ENDPOINTS
from .push import PushHub
from .state import Identity, ManagerState, resolve_identity

__all__ = ["API_VERSION", "AUTH_BIZ_TYPE", "EndpointLimiter", "ManagerGateway", "mount"]

logger = logging.getLogger("multimarkets.sandbox.manager")

AUTH_BIZ_TYPE = "admin.admin.CompanyAuthDubboService.auth"
API_VERSION = "0.0.1"
_MAX_TOKENS = 10_000


class EndpointLimiter:
    """A sliding window per endpoint: at most ``limit.requests`` per ``limit.window`` seconds each."""

    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self._hits: dict[str, deque[float]] = {}

    def admit(self, endpoint: str, now: float) -> Verdict:
        """Decide for a request admitted at ``now`` (non-decreasing per endpoint)."""
        hits = self._hits.setdefault(endpoint, deque())
        horizon = now - self.limit.window
        while hits and hits[0] <= horizon:
            hits.popleft()
        if len(hits) < self.limit.requests:
            hits.append(now)
            return Verdict(VerdictKind.ALLOWED, self.limit.requests - len(hits), 0.0)
        return Verdict(VerdictKind.LIMITED, 0, hits[0] - horizon)

    def reset(self) -> None:
        """Forget every hit."""
        self._hits.clear()


@attrs.frozen
class _Token:
    company_id: int
    expires: float


class _Reject(Exception):
    def __init__(self, code: str, msg: str | None = None) -> None:
        self.code = code
        self.msg = msg


@attrs.define(kw_only=True, eq=False)
class ManagerGateway:
    """Serves Manager requests on the sandbox's event loop."""

    config: ManagerConfig
    identity: Identity
    state: ManagerState
    endpoints: Mapping[str, Endpoint]
    faults: FaultInjector
    strikes: Gateway
    clock: Callable[[], float]
    wall: WallClock
    push: PushHub
    limiter: EndpointLimiter = attrs.field(init=False)
    tokens: dict[str, _Token] = attrs.field(init=False, factory=dict)

    @limiter.default
    def _limiter(self) -> EndpointLimiter:
        return EndpointLimiter(self.config.rate_limit)

    def credentials(self, base_url: str) -> ManagerCredentials:
        """What a Manager client needs, for a server reached at ``base_url``."""
        identity = self.identity
        return ManagerCredentials(
            base_url=base_url,
            app_id=identity.app_id,
            app_secret=identity.app_secret,
            company_id=self.config.company_id,
            public_key=identity.key.public_key,
            private_key=identity.key.private_key,
        )

    def stats(self) -> dict[str, int]:
        """What ``Sandbox.stats()`` adds of the Manager side besides its counters."""
        return {
            "manager_customers": len(self.state.customers),
            "push_connections": self.push.connections,
            "push_pings": self.push.pings,
        }

    def reset(self) -> None:
        """Forget tokens, rate-limit history and Data Push events and groups."""
        self.tokens.clear()
        self.limiter.reset()
        self.push.reset()

    async def handle_push(self, request: web.Request) -> web.StreamResponse:
        """The aiohttp handler of ``GET /openapi-b/ws`` (Data Push); the token is checked before the upgrade."""
        try:
            company_id = self._company_of(request.headers.get("token"), Endpoint(_unknown))
        except _Reject as exc:
            trace = request.headers.get("trace") or new_trace()
            body = encode_envelope(trace=trace, tm=0, code=exc.code, data="ws", msg=codes.message_for(exc.code))
            return web.Response(status=401, body=body, content_type="application/json")
        return await self.push.serve(request, company_id)

    async def handle_auth(self, request: web.Request) -> web.StreamResponse:
        """The aiohttp handler of ``POST /openapi-b/auth/{bizType}``."""
        return await self._handle(request, auth=True)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """The aiohttp handler of ``POST /openapi-b/{bizType}``."""
        return await self._handle(request, auth=False)

    async def _handle(self, request: web.Request, *, auth: bool) -> web.StreamResponse:
        admitted = self.clock()
        now_ms = self.wall.now_ms()
        biz_type = request.match_info["bizType"]
        counts = self.strikes.stats.counts  # one set of counters for both sides, Manager ones prefixed
        counts["manager_requests"] += 1
        plan = self.faults.plan(biz_type)
        if plan.latency:
            counts["fault_latency"] += 1
        if plan.kind is not None:
            counts[f"fault_{plan.kind}"] += 1
            counts["manager_faults"] += 1
        if plan.kind in PRE_HANDLER_KINDS:
            return self.strikes.strike_before(request, plan)
        verdict = self.limiter.admit(("auth/" if auth else "") + biz_type, admitted)
        headers = {"Content-Type": "application/json", **verdict.headers(self.config.rate_limit)}
        trace = request.headers.get("trace") or ""
        status, code = 200, codes.SUCCESS
        msg: str | None = None
        data: Any = None
        outcome = "manager_ok"
        try:
            if verdict.kind is not VerdictKind.ALLOWED:
                status, outcome = 429, "manager_rate_limited"
                raise _Reject(codes.TOO_FREQUENT)
            if not trace:
                raise _Reject(codes.TRACE_MISSING)
            if auth:
                data = await self._auth(request, biz_type)
            else:
                data = await self._business(request, biz_type, trace, now_ms)
        except _Reject as exc:
            code, msg = exc.code, exc.msg
            outcome = "manager_rate_limited" if status == 429 else "manager_rejected"
        except BizError as exc:
            code, msg, outcome = exc.code, exc.msg, "manager_biz_errors"
        except ConnectionError:
            # The client hung up before its body arrived (kill tests, faults): nobody is left to answer.
            return web.Response()
        except Exception:
            logger.exception("sandbox Manager handler for %s failed (trace %s)", biz_type, trace)
            status, code, outcome = 500, codes.SYSTEM_ERROR, "manager_server_errors"
        counts[outcome] += 1
        if code != codes.SUCCESS:
            data = biz_type
        body = encode_envelope(
            trace=trace or new_trace(),
            tm=int((self.clock() - admitted) * 1000),
            code=code,
            data=data,
            msg=msg if msg is not None else codes.message_for(code),
        )
        headers["Date"] = self.wall.date_header(now_ms)
        if plan.latency:
            await asyncio.sleep(plan.latency)
        if plan.kind is not None:
            return await self.strikes.strike_after(request, Answer(status, body, headers), plan)
        return web.Response(body=body, status=status, headers=headers)

    async def _auth(self, request: web.Request, biz_type: str) -> dict[str, Any]:
        if biz_type != AUTH_BIZ_TYPE:
            raise _Reject(codes.UNKNOWN_BIZ_TYPE)
        body = _json_object(await request.read())
        identity = self.identity
        if body.get("appId") != identity.app_id or body.get("appSecret") != identity.app_secret:
            raise _Reject(codes.INVALID_ACCOUNT)
        now = self.clock()
        if len(self.tokens) >= _MAX_TOKENS:
            self.tokens = {t: v for t, v in self.tokens.items() if v.expires > now}
        token = f"{uuid.uuid4()}admin"
        self.tokens[token] = _Token(self.config.company_id, now + self.config.token_lifetime)
        return _auth_data(token, self.config.company_id, identity, self.wall.now_ms())

    def _company_of(self, token: str | None, endpoint: Endpoint) -> int:
        if not token:
            if endpoint.token_required:
                raise _Reject(codes.TOKEN_MISSING)
            return self.config.company_id
        entry = self.tokens.get(token)
        if entry is None:
            raise _Reject(codes.LOGIN_UNKNOWN)
        if self.clock() >= entry.expires:
            raise _Reject(codes.LOGIN_EXPIRED)
        return entry.company_id

    async def _business(self, request: web.Request, biz_type: str, trace: str, now_ms: int) -> Any:
        headers = request.headers
        endpoint = self.endpoints.get(biz_type)
        company_id = self._company_of(headers.get("token"), endpoint or Endpoint(_unknown))
        if endpoint is None:
            raise _Reject(codes.UNKNOWN_BIZ_TYPE)
        claimed = headers.get("companyId")
        if not claimed:
            if endpoint.company_id_required:
                raise _Reject(codes.COMPANY_ID_MISSING)
        elif claimed != str(company_id):
            raise _Reject(codes.NO_ACCESS)
        if headers.get("version", API_VERSION) not in (API_VERSION, ""):
            raise _Reject(codes.NO_SUCH_INTERFACE)
        raw = await request.read()
        if trace.startswith("x-"):
            raw = self._decrypt(raw)
        body = _json_object(raw)
        if not signature_matches(body):
            raise _Reject(codes.INVALID_PARAMETER, f"{codes.message_for(codes.INVALID_PARAMETER)}: signature")
        business = {k: v for k, v in body.items() if k not in ("signature", "timestamp")}
        ctx = ManagerContext(
            state=self.state, company_id=company_id, biz_type=biz_type, trace=trace, now_ms=now_ms, push=self.push
        )
        return await endpoint.handler(ctx, business)

    def _decrypt(self, raw: bytes) -> bytes:
        envelope = _loads(raw)
        data = envelope.get("data") if isinstance(envelope, dict) else None
        if not isinstance(data, str) or not data:
            raise _Reject(codes.PARAMETERS_ABNORMAL, 'an x- trace needs a body {"data": <encrypted text>}')
        try:
            text = self.identity.key.decrypt(data)
        except DecryptionError as exc:
            raise _Reject(codes.PARAMETERS_ABNORMAL, f"{codes.message_for(codes.PARAMETERS_ABNORMAL)}: {exc}") from None
        if not text.strip():
            # OpenSSL 3.2+ does not fail a PKCS#1 v1.5 block under the wrong key (implicit rejection): it returns
            # random bytes, empty about once in a hundred, which must not pass for an empty body (an unsigned one).
            msg = f"{codes.message_for(codes.PARAMETERS_ABNORMAL)}: the decrypted body is empty"
            raise _Reject(codes.PARAMETERS_ABNORMAL, msg)
        return text.encode()


async def _unknown(ctx: ManagerContext, body: dict[str, Any]) -> Any:
    raise _Reject(codes.UNKNOWN_BIZ_TYPE)


def _loads(raw: bytes) -> Any:
    try:
        return json.loads(raw, parse_float=Decimal) if raw.strip() else {}
    except ValueError:
        return None


def _json_object(raw: bytes) -> dict[str, Any]:
    body = _loads(raw)
    if not isinstance(body, dict):
        raise _Reject(codes.PARAMETERS_ABNORMAL, "the body is not a JSON object")
    return body


def _auth_data(token: str, company_id: int, identity: Identity, now_ms: int) -> dict[str, Any]:
    """The auth call's ``data``: every field of the documented schema (reference §2.2)."""
    return {
        "token": token,
        "id": company_id,
        "publicKey": identity.key.public_key,
        "appId": identity.app_id,
        "appSecret": identity.app_secret,
        "code": f"WL{company_id}",
        "name": "Sandbox white label",
        "domain": "sandbox.invalid",
        "lang": "en-US",
        "timezone": 8,
        "startNumber": 86000001,
        "endNumber": 86999999,
        "tradeTypes": "1,2,5",
        "tradeTypeList": [
            {"code": "contract_whole", "name": "Contract full position", "id": "1"},
            {"code": "contract_single", "name": "Contract isolated position", "id": "2"},
            {"code": "spot", "name": "Spot", "id": "5"},
        ],
        "status": 1,
        "companyType": "real",
        "associationCompanyId": 0,
        "initProgress": 3,
        "dataSourceType": 1,
        "logo": "",
        "bgImage": "",
        "adImage": "",
        "codeMd5": "",
        "bizName": "COMPANY",
        "strId": str(company_id),
        "createBy": "admin",
        "updateBy": "admin",
        "createTime": now_ms,
        "updateTime": now_ms,
        "revision": 0,
        "adminPassword": None,
        "adminRoleId": None,
        "adminUserId": None,
        "stpLoginUser": None,
        "stpAccount": None,
        "stpPassword": None,
        "demoInitialAmount": None,
        "dbPassword": None,
    }


async def mount(
    app: web.Application,
    config: ManagerConfig,
    store: Store,
    faults: FaultInjector,
    strikes: Gateway,
    clock: Callable[[], float],
    wall: WallClock,
    seed: int | None,
) -> ManagerGateway:
    """Add the Manager routes to the sandbox's ``app``; the gateway serving them."""
    gateway = ManagerGateway(
        config=config,
        identity=await resolve_identity(config, store),
        state=ManagerState(store),
        endpoints=ENDPOINTS,
        faults=faults,
        strikes=strikes,
        clock=clock,
        wall=wall,
        push=PushHub(drop_rate=config.push_drop_rate, seed=seed),
    )
    app.on_shutdown.append(gateway.push.on_shutdown)
    admin.add_routes(app, gateway.push, config.company_id)
    app.router.add_get("/openapi-b/ws", gateway.handle_push)
    app.router.add_post("/openapi-b/auth/{bizType}", gateway.handle_auth)
    app.router.add_post("/openapi-b/{bizType}", gateway.handle)
    return gateway

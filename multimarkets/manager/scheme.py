"""The Manager API's side of the request loop: token header, signed (and optionally encrypted) body."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from .._convert import bad_data
from .._json import PLAIN, encode
from .._read import read
from .._redact import secret_values
from .._scheme import Prepared
from .._transport import AsyncSession
from ..config import header_value_problem
from ..errors import APIError, AuthenticationError, ConfigurationError, LoginExpiredError, MultiMarketsError
from ..trace import new_trace
from .config import ManagerCredentials
from .encryption import BodyEncryptor
from .signing import SIGNATURE_FIELD, TIMESTAMP_FIELD, signed_body
from .tokens import Token, TokenCache

__all__ = ["AUTH", "ManagerScheme"]

AUTH = "admin.admin.CompanyAuthDubboService.auth"


@attrs.frozen
class _Auth:
    """The parts of the auth answer (reference §2.2) later calls need; the rest (secrets included) is dropped."""

    token: str
    id: int
    public_key: str | None = None


def _compact(body: Mapping[str, Any]) -> bytes:
    return encode(body, PLAIN)


class ManagerScheme:
    """``{base_url}/{bizType}`` with ``token`` and ``companyId`` headers and an MD5-signed body, encrypted with the
    company public key when one is known and ``encrypt`` is on (trace ``x-...``). One limit per endpoint."""

    per_endpoint = True
    headers: Mapping[str, str] = {}

    def __init__(self, credentials: ManagerCredentials, *, encrypt: bool, strict: bool) -> None:
        self.credentials = credentials
        self.tokens = TokenCache(self._authenticate)
        self.session: AsyncSession | None = None
        self._encrypt = encrypt
        self._strict = strict
        self._encryptors: dict[str, BodyEncryptor] = {}
        if encrypt and credentials.public_key is not None:
            self._encryptor(credentials.public_key)  # an unreadable key fails here, before anything is sent

    @property
    def limit_key(self) -> str:
        return self.credentials.app_id

    def url(self, base_url: str, biz_type: str) -> str:
        return f"{base_url}/auth/{biz_type}" if biz_type == AUTH else f"{base_url}/{biz_type}"

    def _encryptor(self, public_key: str) -> BodyEncryptor:
        encryptor = self._encryptors.get(public_key)
        if encryptor is None:
            encryptor = self._encryptors[public_key] = BodyEncryptor(public_key)
        return encryptor

    async def _authenticate(self) -> Token:
        if self.session is None:
            raise ConfigurationError("the Manager scheme is not attached to a session")
        body = {"appId": self.credentials.app_id, "appSecret": self.credentials.app_secret}
        try:
            reply = await self.session.request(AUTH, body)
        except APIError as exc:
            if type(exc) is not APIError:
                raise
            # ASSUMPTION (reference §8 item 1): the code for refused credentials is not documented (the sandbox
            # answers GGATEWAY_CODE_101); an auth call refused with a code of no other meaning refused the app
            # id or secret, which strikes every call alike (a bulk run stops instead of failing each row).
            raise AuthenticationError(
                exc.message,
                code=exc.code,
                trace=exc.trace,
                http_status=exc.http_status,
                biz_code=exc.biz_code,
                biz_type=exc.biz_type,
                body_excerpt=exc.body_excerpt,
            ) from exc
        auth = read(reply.data, _Auth, strict=self._strict, biz_type=AUTH, trace=reply.trace)
        problem = header_value_problem(auth.token)
        if problem is not None:  # every later call would send it as its token header, which aiohttp would refuse
            raise bad_data(f"at $.token: the token {problem}", biz_type=AUTH, trace=reply.trace)
        public_key = auth.public_key or None
        if public_key is not None and self._encrypt and self.credentials.public_key is None:
            try:
                self._encryptor(public_key)
            except ConfigurationError as exc:
                raise bad_data(f"at $.publicKey: {exc}", biz_type=AUTH, trace=reply.trace) from exc
        return Token(auth.token, str(auth.id), public_key)

    async def prepare(self, biz_type: str, payload: Mapping[str, Any], encoded: bytes) -> Prepared:
        if biz_type == AUTH:
            # ASSUMPTION (reference §2.3): the auth call is sent plain; the key encryption needs comes from it.
            return Prepared(new_trace(), lambda headers, timestamp: encoded)
        token = await self.tokens.get()
        public_key = self.credentials.public_key or token.public_key
        encryptor = self._encryptor(public_key) if self._encrypt and public_key else None

        def encode(headers: dict[str, str], timestamp: int) -> bytes:
            headers["token"] = token.value
            headers["companyId"] = token.company_id
            body = _compact(signed_body(payload, timestamp))
            if encryptor is None:
                return body
            return _compact({"data": encryptor.encrypt(body.decode("utf-8"))})

        trace = new_trace()
        # The service reads an x- trace as "this body is encrypted" (reference §1.5).
        return Prepared(f"x-{trace[2:]}" if encryptor else trace, encode, token)

    async def renew(self, error: MultiMarketsError, attempt: Prepared) -> bool:
        if not isinstance(error, LoginExpiredError) or not isinstance(attempt.grant, Token):
            return False
        self.tokens.discard(attempt.grant)
        return True

    def secrets(self, attempt: Prepared, payload: Mapping[str, Any]) -> list[str]:
        headers = attempt.headers or {}
        found = [self.credentials.app_id, *secret_values(headers, payload)]  # the token header, appSecret, pwd
        timestamp = headers.get(TIMESTAMP_FIELD)
        if timestamp is not None:  # the body's MD5 signature, made in encode() and not kept
            found.append(signed_body(payload, int(timestamp))[SIGNATURE_FIELD])
        return found

"""A small Manager API client for the sandbox tests, written from the reference (§3.3) and sharing nothing
with the SDK's signer or the sandbox's verifier: MD5 of ``timestamp=T`` + ``&k=v`` over the sorted
non-empty strings and numbers, then JSON, Java-style URL-encoding, 100-character pieces, RSA PKCS#1 v1.5
under the company public key, Base64, joined with commas."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote_plus

import aiohttp
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

AUTH = "admin.admin.CompanyAuthDubboService.auth"
DICTIONARIES = "config.admin.AdminDictDubboService.getListByParentCode"
CURRENCIES = "config.admin.AdminAssetsDubboService.getAssetsList"
PRODUCTS = "config.admin.AdminSymbolDubboService.getSymbolByCompanyId"
PAGE = "customer.admin.WhiteCustomerAdminApiService.page"
REGISTER = "customer.admin.WhiteCustomerAdminApiService.addCusAndOpenAccountAndKyc"
DETAIL = "customer.admin.WhiteCustomerAdminApiService.detail"
GROUPS = "customer.admin.CustomerGroupAdminApiService.groupList"
ACCOUNTS = "customer.admin.CustomerAdminApiService.queryAccountList"
BALANCE_UPDATE = "fund.admin.CustomerAdjustProposalAdminDubboService.addCustomerAdjustProposal"
PWD = "dc483e80a7a0bd9ef71d8cf973673924"


def md5_input(body: Mapping[str, Any]) -> str:
    pairs = [
        f"{key}={value}"
        for key, value in sorted(body.items())
        if key != "signature" and not isinstance(value, bool) and isinstance(value, str | int | Decimal) and value != ""
    ]
    return "&".join([f"timestamp={body['timestamp']}", *pairs])


def sign(body: Mapping[str, Any]) -> str:
    return hashlib.md5(md5_input(body).encode()).hexdigest().upper()


def java_url_encode(text: str) -> str:
    return quote_plus(text, safe="*").replace("~", "%7E")


def encrypt(json_text: str, public_key: str) -> str:
    key = serialization.load_der_public_key(base64.b64decode(public_key))
    assert isinstance(key, rsa.RSAPublicKey)
    encoded = java_url_encode(json_text)
    pieces = [encoded[i : i + 100] for i in range(0, len(encoded), 100)]
    return ",".join(base64.b64encode(key.encrypt(p.encode(), padding.PKCS1v15())).decode() for p in pieces)


class Reply:
    def __init__(self, status: int, headers: Mapping[str, str], raw: bytes) -> None:
        self.status = status
        self.headers = headers
        self.raw = raw

    @property
    def json(self) -> Any:
        return json.loads(self.raw)

    @property
    def code(self) -> str:
        return str(self.json["code"])

    @property
    def data(self) -> Any:
        return self.json["data"]


class ManagerRaw:
    """Sends documented Manager requests to a sandbox; ``token`` after :meth:`login`."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, credentials: Any) -> None:
        self.session = session
        self.base_url = base_url
        self.credentials = credentials
        self.token: str | None = None
        self.sandbox: Any = None
        self._traces = 0

    async def post(self, path: str, data: bytes, headers: Mapping[str, str]) -> Reply:
        async with self.session.post(f"{self.base_url}/{path}", data=data, headers=dict(headers)) as response:
            return Reply(response.status, response.headers, await response.read())

    async def auth(self, app_id: str | None = None, app_secret: str | None = None) -> Reply:
        body = {
            "appId": app_id or self.credentials.app_id,
            "appSecret": app_secret or self.credentials.app_secret,
        }
        headers = {"Content-Type": "application/json", "trace": "t-auth"}
        return await self.post(f"auth/{AUTH}", json.dumps(body).encode(), headers)

    async def login(self) -> str:
        reply = await self.auth()
        assert reply.code == "0", reply.raw
        self.token = str(reply.data["token"])
        return self.token

    async def call(
        self,
        biz_type: str,
        body: Mapping[str, Any] | None = None,
        *,
        encrypted: bool = False,
        signature: str | None = None,
        unsigned: bool = False,
        **header_overrides: str | None,
    ) -> Reply:
        self._traces += 1
        timestamp = int(time.time() * 1000)
        signed: dict[str, Any] = {**(body or {}), "timestamp": timestamp}
        if not unsigned:
            signed["signature"] = signature or sign(signed)
        text = json.dumps(signed, default=str)
        if encrypted:
            text = json.dumps({"data": encrypt(text, self.credentials.public_key)})
        headers: dict[str, str | None] = {
            "Content-Type": "application/json",
            "trace": f"{'x' if encrypted else 't'}-test-{self._traces}",
            "timestamp": str(timestamp),
            "companyId": str(self.credentials.company_id),
            "token": self.token,
            "version": "0.0.1",
        }
        headers.update(header_overrides)
        return await self.post(biz_type, text.encode(), {k: v for k, v in headers.items() if v is not None})

    async def register(self, **fields: Any) -> Reply:
        body = {
            "pwd": PWD,
            "country": "CN",
            "registerSource": 1,
            "customerGroupId": 1,
            "tradeTypeCurrencyList": [{"allCurrency": "USDT", "tradeType": "1"}],
            **fields,
        }
        return await self.call(REGISTER, body)

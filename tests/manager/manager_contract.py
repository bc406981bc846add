"""A recording loopback server that checks Manager requests against the documented contract (reference
manager-api §1-§5), with its own few-line MD5 and decryption (never the SDK's signer)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import attrs
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

KEYS = json.loads((Path(__file__).parents[1] / "reference" / "sign-demo-keys.json").read_text())
APP_ID, APP_SECRET, COMPANY = "7cb9164942caec70594e594db46de7af", "33171f3e91c45e0dfbb3c9f219906471", 439
AUTH = "admin.admin.CompanyAuthDubboService.auth"

# bizType -> (required body fields and their documented JSON types, optional fields); reference §5.
CONTRACT: dict[str, tuple[dict[str, type | tuple[type, ...]], dict[str, type | tuple[type, ...]]]] = {
    "config.admin.AdminDictDubboService.getListByParentCode": ({"parentCode": str}, {}),
    "config.admin.AdminAssetsDubboService.getAssetsList": ({}, {"companyId": str}),
    "config.admin.AdminSymbolDubboService.getSymbolByCompanyId": ({"companyId": str}, {"tradeType": int}),
    "customer.admin.WhiteCustomerAdminApiService.page": ({"current": int, "size": int}, {"customerNo": str}),
    "customer.admin.WhiteCustomerAdminApiService.addCusAndOpenAccountAndKyc": (
        {"pwd": str, "country": str, "registerSource": int, "customerGroupId": int, "tradeTypeCurrencyList": list},
        {
            **dict.fromkeys(["phone", "email", "phoneArea", "emailArea", "remark", "registerDevice"], str),
            **dict.fromkeys(["utmSource", "utmMedium", "utmCampaign", "utmContent", "utmTerm"], str),
            "thirdServerCode": str,
        },
    ),
    "customer.admin.WhiteCustomerAdminApiService.detail": ({"type": str, "id": str, "customerNo": str}, {}),
    "customer.admin.CustomerGroupAdminApiService.groupList": ({}, {"tradeType": int}),
    "customer.admin.CustomerAdminApiService.queryAccountList": ({"customerNo": str, "tradeType": int}, {}),
    # amount: a number in the docs; the SDK sends an exact decimal string (README "Manager API: inferred").
    "fund.admin.CustomerAdjustProposalAdminDubboService.addCustomerAdjustProposal": (
        {
            "customerNo": str,
            "accountCurrency": str,
            "tradeType": int,
            "businessType": int,
            "amount": (int, str),
            "withdraw": bool,
        },
        {"accountId": int, "remark": str},
    ),
}

ACCOUNT = {
    "netAssets": "47.319290", "available": "47.319290", "remark": None, "type": 1, "equity": "47.319290",
    "firstDepositTime": 1646123635909, "lockMargin": "0.000000", "balance": "47.319290", "interest": "0.000000",
    "customerId": 189, "liabilities": "0.000000", "currency": "USDT", "activateStatus": 2,
    "withdrawAmount": "0.000000", "profit": "0", "tradeType": 1, "wholeWarehouseBalance": None, "freeMargin": "0",
    "margin": "0", "firstWithdrawTime": None, "activateTime": 1646123635934, "frozen": "0.000000",
    "wholeWarehouseRate": None, "accountId": 1003496, "openAccountStatus": True, "companyId": 1,
    "liabilitiesPrincipal": "0.000000", "interestProportion": None, "createTime": 1646123590664,
    "lockAmount": "0.000000", "marginRadio": None, "notWithdrawAmount": "10000000.000000", "availableLoan": None,
    "digits": 6, "customerNo": "86000188", "status": 2, "assetsId": 1,
}  # fmt: skip
# The documented samples' data (reference §5), one per bizType.
ANSWERS: dict[str, Any] = {
    "config.admin.AdminDictDubboService.getListByParentCode": [
        {"code": "Tron(TRC20)", "displayName": "Tron", "updateTime": 1675995340948, "sort": 1, "nameEn": None,
         "parentId": 469, "revision": 5, "extend": "", "nameTw": None, "createBy": "admin",
         "createTime": 1673440493544, "parentCode": "USDT", "updateBy": "admin", "name": "Tron",
         "showType": None, "id": 1300, "hasLeaf": 0, "status": 1}
    ],
    "config.admin.AdminAssetsDubboService.getAssetsList": [
        {"code": "CNY", "displayName": None, "strId": "2", "updateTime": 1664158550190, "type": 1, "revision": 8,
         "fundId": 266, "createBy": "allen", "createTime": 1616550825827, "updateBy": "admin", "bizName": "ASSETS",
         "name": "CNY", "digits": 2, "initState": None, "id": 2, "status": 1}
    ],
    "config.admin.AdminSymbolDubboService.getSymbolByCompanyId": [
        {"symbolId": 2, "pointRatio": 0, "customerGroupIds": "2,3,4", "dealMode": 1, "baseCurrency": None,
         "bidSpread": "0", "labels": None, "enableShortLoan": 0, "symbolGroupIds": "118", "symbolCode": "USDCHF",
         "fundId": None, "etf": False, "enableLongLoan": 0, "dividend": 0, "profitCurrency": None,
         "symbolName": "美元瑞郎", "sortNum": 0, "symbolDigits": None, "askSpread": "0", "tradeType": 3}
    ],
    "customer.admin.WhiteCustomerAdminApiService.page": {
        "current": 1, "size": 20, "total": 1,
        "records": [{"id": 21, "companyId": COMPANY, "customerNo": "86000020", "customerGroupId": 1,
                     "customerType": 0, "phone": "13200000092", "phoneArea": "+86", "email": "",
                     "openAccountType": 0, "registerSource": 1, "status": 1, "createTime": 1640077647523}],
    },
    "customer.admin.WhiteCustomerAdminApiService.addCusAndOpenAccountAndKyc": "86021976",
    "customer.admin.WhiteCustomerAdminApiService.detail": {
        "id": 21, "customerNo": "86000020", "companyId": COMPANY, "customerGroupId": 1, "status": 1, "type": 0,
        "country": "CN", "kycAuditStatus": 2, "registerSource": 1, "accountList": {},
    },
    "customer.admin.CustomerGroupAdminApiService.groupList": [
        {"id": 1, "name": "default", "openAccountType": 1, "type": 0, "tradeType": 1, "assets": "USDT"}
    ],
    "customer.admin.CustomerAdminApiService.queryAccountList": [ACCOUNT],
    "fund.admin.CustomerAdjustProposalAdminDubboService.addCustomerAdjustProposal": "A20221212686244",
}  # fmt: skip


def md5_of(body: dict[str, Any]) -> str:
    """The documented rule, written again here: timestamp first, then sorted non-empty strings and numbers."""
    text = f"timestamp={body['timestamp']}"
    for key in sorted(k for k in body if k != "signature"):
        value = body[key]
        if isinstance(value, (int, float, str)) and not isinstance(value, bool) and value != "":
            text += f"&{key}={value}"
    return hashlib.md5(text.encode()).hexdigest().upper()


def decrypt(data: str) -> str:
    key = serialization.load_der_private_key(base64.b64decode(KEYS["private_key"]), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return unquote_plus("".join(key.decrypt(base64.b64decode(p), padding.PKCS1v15()).decode() for p in data.split(",")))


@attrs.define
class Received:
    biz_type: str
    headers: dict[str, str]
    body: dict[str, Any]
    encrypted: bool


@attrs.define
class ContractServer:
    """Answers the documented samples; anything off the contract gets an error envelope naming the problem."""

    public_key: str | None = KEYS["public_key"]
    received: list[Received] = attrs.field(factory=list)
    auth_calls: int = 0
    tokens: set[str] = attrs.field(factory=set)
    fault: dict[str, str] = attrs.field(factory=dict)
    refuse_tokens: bool = False
    errors: dict[str, tuple[str, str]] = attrs.field(factory=dict)
    """bizType -> (code, msg) of the error envelope it answers after checking the request."""
    answers: dict[str, Any] = attrs.field(factory=dict)
    """bizType -> ``data`` answered instead of the documented sample."""
    url: str = ""

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def count(self, biz_type: str) -> int:
        return sum(1 for r in self.received if r.biz_type == biz_type)

    def last(self, biz_type: str) -> Received:
        return [r for r in self.received if r.biz_type == biz_type][-1]

    @staticmethod
    def envelope(data: Any = None, code: str = "0", msg: str = "Success", trace: str = "") -> web.Response:
        ok = code == "0"
        return web.json_response(
            {"code": code, "msg": msg, "data": data, "trace": trace, "ok": ok, "fail": not ok, "tm": 3, "bizCode": ""}
        )

    async def auth(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body != {"appId": APP_ID, "appSecret": APP_SECRET} or not request.headers.get("trace"):
            return self.envelope(code="GGATEWAY_CODE_019", msg="No access rights")
        self.auth_calls += 1
        if self.fault.get(AUTH) == "drop":
            assert request.transport is not None
            request.transport.close()
        token = secrets.token_hex(16) + "admin"
        self.tokens.add(token)
        data = {"token": token, "id": COMPANY, "publicKey": self.public_key, "appId": APP_ID, "appSecret": APP_SECRET}
        return self.envelope(data, trace=request.headers["trace"])

    async def call(self, request: web.Request) -> web.StreamResponse:
        biz_type, headers, trace = request.match_info["biz_type"], request.headers, request.headers.get("trace", "")
        if not trace:
            return self.envelope(code="GGATEWAY_CODE_004", msg="Link sign cannot be null")
        if biz_type not in CONTRACT:
            return self.envelope(code="GGATEWAY_CODE_002", msg="Invalid business type", trace=trace)
        if self.refuse_tokens or headers.get("token") not in self.tokens:
            return self.envelope(code="GGATEWAY_CODE_005", msg="Login info is expired, please login again")
        raw = await request.json()
        encrypted = trace.startswith("x-")
        if encrypted:
            assert set(raw) == {"data"}, raw
            raw = json.loads(decrypt(raw["data"]))
        problems = [
            f"header {name}" for name in ("companyId", "version", "timestamp") if not headers.get(name)
        ]  # fmt: skip
        problems += [] if headers.get("companyId") == str(COMPANY) and headers.get("version") == "0.0.1" else ["hdr"]
        problems += [] if str(raw.get("timestamp")) == headers.get("timestamp") else ["timestamp"]
        problems += [] if raw.get("signature") == md5_of(raw) else ["signature"]
        body = {k: v for k, v in raw.items() if k not in ("timestamp", "signature")}
        required, optional = CONTRACT[biz_type]
        problems += [f"{k} missing or mistyped" for k, t in required.items() if not isinstance(body.get(k), t)]
        problems += [f"{k} undocumented" for k in body if k not in required and k not in optional]
        problems += [f"{k} mistyped" for k, t in optional.items() if k in body and not isinstance(body[k], t)]
        if problems:
            return self.envelope(code="GGATEWAY_CODE_015", msg="; ".join(problems), trace=trace)
        self.received.append(Received(biz_type, dict(headers), body, encrypted))
        if biz_type in self.errors:
            return self.envelope(None, *self.errors[biz_type], trace=trace)
        fault = self.fault.get(biz_type)
        if fault == "drop":
            assert request.transport is not None
            request.transport.close()
        if fault == "500":
            return web.Response(status=500, text="upstream failed")
        return self.envelope(self.answers.get(biz_type, ANSWERS[biz_type]), trace=trace)


async def start(app: web.Application) -> tuple[web.AppRunner, str]:
    """Serve ``app`` on a free loopback port: its runner (the caller cleans it up) and origin."""
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


async def serve(contract: ContractServer) -> web.AppRunner:
    """Start ``contract`` on a free loopback port; the caller cleans the runner up."""
    app = web.Application()
    app.router.add_post(f"/openapi-b/auth/{AUTH}", contract.auth)
    app.router.add_post("/openapi-b/{biz_type}", contract.call)
    runner, origin = await start(app)
    contract.url = f"{origin}/openapi-b"
    return runner

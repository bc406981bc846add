"""Every answer the sandbox serves has the shape of the docs' own sample (same keys, same JSON types).

The samples are the docs' request and response examples (``tests/reference/response-samples.json``); each
bizType is driven over loopback with signed requests, without the SDK client or its models.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import multimarkets.sandbox
from multimarkets.sandbox.handlers import HANDLERS

SAMPLES_FILE = Path(__file__).parents[1] / "reference" / "response-samples.json"
SAMPLES: dict[str, Any] = json.loads(SAMPLES_FILE.read_text())["samples"]
SANDBOX_ONLY = "sandbox."
"""Prefix of the sandbox's own bizTypes (driving the simulated market); the service has no such call."""

CUSTOMERS = "customer.admin.WhiteCustomerAdminApiService"
ACCOUNTS = "customer.admin.CustomerDirectAccAdminApiService"
BALANCES = "tradeapi.admin.AccountAdminService.queryBalances"
DEPOSITS = "tradeapi.admin.AccountAdminService.queryDepositList"
ORDERS = "tradeapi.admin.OrderAdminApiService"
SET_PRICE = "sandbox.MarketService.setPrice"

_ORDER_GUESSES = frozenset(
    {"direction", "price", "num", "amount", "executedNum", "executedAmount", "createTime", "updateTime"}
)
GUESSED: dict[str, frozenset[str]] = {
    DEPOSITS: frozenset({"network", "createTime"}),
    f"{ORDERS}.addDirectOrder": _ORDER_GUESSES | {"timeInForce", "symbolId", "bizType"},
    f"{ORDERS}.queryDirectOrder": _ORDER_GUESSES,
    f"{ORDERS}.queryDirectTradeRecord": frozenset({"direction"}),
}
"""Keys the sandbox adds to the objects of answers the reference marks as partial (§6.14, §6.17, §6.18, §6.20:
the docs' text is cut there; a new order is answered as "query order" answers it). Every other answer has
exactly the sample's keys; a new guess has to be named here."""


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def differences(actual: Any, sample: Any, path: str, extra_ok: frozenset[str]) -> list[str]:
    """Where ``actual`` differs from ``sample`` in keys or JSON types (the items of an array against the
    sample's first item)."""
    if json_type(actual) != json_type(sample):
        return [f"{path}: {json_type(actual)} {actual!r}, the docs show {json_type(sample)} {sample!r}"]
    found: list[str] = []
    if isinstance(sample, dict):
        missing = sample.keys() - actual.keys()
        extra = actual.keys() - sample.keys() - extra_ok
        found += [f"{path}.{key}: missing" for key in sorted(missing)]
        found += [f"{path}.{key}: not in the docs" for key in sorted(extra)]
        for key in sample.keys() & actual.keys():
            found += differences(actual[key], sample[key], f"{path}.{key}", extra_ok)
    elif isinstance(sample, list) and sample:
        if not actual:
            return [f"{path}: empty, so its items cannot be compared with the docs"]
        for index, item in enumerate(actual):
            found += differences(item, sample[0], f"{path}[{index}]", extra_ok)
    return found


async def drive_every_documented_call(raw: Any) -> dict[str, dict[str, Any]]:
    """One successful answer of every documented bizType, as JSON."""
    answers: dict[str, dict[str, Any]] = {}

    async def call(biz_type: str, body: dict[str, Any], **headers: str) -> Any:
        reply = await raw.call(biz_type, body, **headers)
        assert (reply.status, reply.code) == (200, "0"), (biz_type, reply.json)
        answers[biz_type] = reply.json
        return reply.json.get("data")

    company = raw.credentials.company_id
    await call("config.admin.AdminDictDubboService.getListByParentCode", {"parentCode": "USDT"})
    await call("config.admin.AdminAssetsDubboService.getAssetsList", {"companyId": company})
    await call("config.admin.AdminSymbolDubboService.getSymbolByCompanyId", {"companyId": company})

    registration = {"pwd": "dc483e80a7a0bd9ef71d8cf973673924", "country": "CN", "registerSource": 1}
    customer_no = await call(
        f"{CUSTOMERS}.addCustomer", {**registration, "phone": "13200000092", "phoneArea": "+86", "customerGroupId": 1}
    )
    await call(f"{CUSTOMERS}.page", {"customerNo": customer_no, "current": "1", "size": "20"})
    for name in ("detail", "detailByCustomerNo"):
        await call(f"{CUSTOMERS}.{name}", {"type": "baseInfo", "customerNo": customer_no})

    account = {
        "customerNo": customer_no,
        "exchangeCode": "binance",
        "accountType": "spot",
        "accountName": "binance-spot-01",
        "accountApiKey": "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
        "accountSecretKey": "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j",
        "isTest": 0,
    }
    await call(f"{ACCOUNTS}.add", account)
    page = await call(f"{ACCOUNTS}.getPage", {"customerNo": customer_no, "current": "1", "size": "20"})
    await call(f"{ACCOUNTS}.edit", {"id": page["records"][0]["id"], "accountName": "binance-spot-02"})

    block = {
        "tradeType": 10,
        "exchangeId": "binance",
        "accountName": "binance-spot-02",
        "customerNo": customer_no,
        "customerGroupId": 1,
    }
    trade = {"group": "tradeApi"}
    await call(BALANCES, {**block, "omitZeroBalances": True}, **trade)
    await call(DEPOSITS, {**block, "currency": "USDT", "limit": "20"}, **trade)
    assert (await raw.call(SET_PRICE, {"symbolId": 59, "price": "25000"})).code == "0"
    filled = {"symbolId": 59, "bizType": 1, "direction": 1, "num": "0.001"}
    await call(f"{ORDERS}.addDirectOrder", {**block, **filled}, **trade)
    resting = {"symbolId": 59, "bizType": 2, "direction": 1, "price": "20000.5", "num": "0.001"}
    order = await call(
        f"{ORDERS}.addDirectOrder", {**block, **resting, "timeInForce": "GTC", "clientOrderId": "abc123XYZ"}, **trade
    )
    await call(f"{ORDERS}.queryDirectOrder", {**block, "symbolId": 59, "orderId": order["orderId"]}, **trade)
    await call(f"{ORDERS}.queryDirectTradeRecord", {**block, "symbolId": 59, "limit": 20}, **trade)
    await call(f"{ORDERS}.cancelDirectOrder", {**block, "symbolId": 59, "clientOrderId": "abc123XYZ"}, **trade)

    await call(
        "admin.admin.CompanyApiKeyDubboService.subscribe",
        {"apiKey": raw.credentials.api_key, "webhookUrl": "https://webhook.example/4fe19259"},
    )
    await call(f"{CUSTOMERS}.destroyByCustomerNo", {"customerNo": customer_no, "remark": "test", "isAuto": True})
    return answers


def imported_modules(path: Path) -> set[str]:
    """Absolute names of the modules a file under ``multimarkets/sandbox/`` imports."""
    package = "multimarkets." + ".".join(path.relative_to(SANDBOX_DIR.parent).parent.parts)
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[: len(base) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


SANDBOX_DIR = Path(multimarkets.sandbox.__file__).parent
FORBIDDEN = ("multimarkets.models", "multimarkets._convert", "multimarkets.resources")


def test_the_sandbox_does_not_borrow_the_sdks_models_or_converter():
    """A second implementation of the service: it must not share the SDK's assumptions about answers."""
    borrowed = {
        f"{path.relative_to(SANDBOX_DIR)}: {name}"
        for path in SANDBOX_DIR.rglob("*.py")
        for name in imported_modules(path)
        if name.startswith(FORBIDDEN)
    }
    assert borrowed == set()
    assert "multimarkets.sandbox.handlers._validate" in imported_modules(SANDBOX_DIR / "handlers" / "customers.py")


SERVE_ONE_REGISTRATION = textwrap.dedent(
    """
    import json, sys, time, urllib.request
    from multimarkets.sandbox import Sandbox
    from multimarkets.signing import RsaSha1Signer

    with Sandbox.in_thread() as sandbox:
        credentials, body = sandbox.credentials, {"phone": "13200000092", "pwd": "0" * 32, "country": "CN",
                                                  "registerSource": 1, "customerGroupId": 1}
        timestamp = int(time.time() * 1000)
        headers = {"Content-Type": "application/json", "apiKey": credentials.api_key, "timestamp": str(timestamp),
                   "signature": RsaSha1Signer(credentials.secret_key).sign(body, timestamp),
                   "companyId": credentials.company_id, "trace": "t-1", "version": "0.0.1"}
        url = f"{sandbox.base_url}/global/customer.admin.WhiteCustomerAdminApiService.addCustomer"
        request = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
        with urllib.request.urlopen(request) as answer:
            assert json.load(answer)["code"] == "0"
    print(sorted(name for name in sys.modules if name.startswith(FORBIDDEN)))
    """
)


def test_a_running_sandbox_has_not_loaded_the_sdks_models():
    """What the sandbox's modules import, their packages' ``__init__`` included (the portal's package once
    brought in the sync client and, with it, every response model)."""
    script = f"FORBIDDEN = {FORBIDDEN!r}\n{SERVE_ONE_REGISTRATION}"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_every_documented_bizType_has_a_sample_and_every_sample_a_handler():
    served = {biz_type for biz_type in HANDLERS if not biz_type.startswith(SANDBOX_ONLY)}
    assert served == set(SAMPLES)


@pytest.mark.anyio
async def test_every_answer_has_the_shape_of_the_documented_sample(start_sandbox):
    raw = await start_sandbox(rate_limit="1000/1s")
    answers = await drive_every_documented_call(raw)
    assert set(answers) == set(SAMPLES)
    found = [
        problem
        for biz_type, answer in answers.items()
        for problem in differences(
            answer, SAMPLES[biz_type]["response_example"], biz_type, GUESSED.get(biz_type, frozenset())
        )
    ]
    assert not found, "\n".join(found)


@pytest.mark.anyio
async def test_okx_answers_a_new_order_with_client_order_id_and_status_only(start_sandbox):
    """As documented for OKX (§6.17): the same types as the sample, two of its keys."""
    raw = await start_sandbox(rate_limit="1000/1s")
    customer_no = (await raw.register(phone="13200000093")).data
    account = {"customerNo": customer_no, "exchangeCode": "okx", "accountType": "spot", "accountName": "okx-1"}
    keys = {"accountApiKey": "k" * 16, "accountSecretKey": "s" * 16, "passphrase": "p"}
    assert (await raw.call(f"{ACCOUNTS}.add", {**account, **keys})).code == "0"
    block = {"tradeType": 10, "exchangeId": "okx", "accountName": "okx-1", "customerNo": customer_no}
    order = {"customerGroupId": 1, "symbolId": 59, "bizType": 2, "direction": 1, "price": "100", "num": "0.001"}
    reply = await raw.call(f"{ORDERS}.addDirectOrder", {**block, **order}, group="tradeApi")
    assert reply.code == "0", reply.json
    sample = SAMPLES[f"{ORDERS}.addDirectOrder"]["response_example"]["data"]
    assert set(reply.data) == {"clientOrderId", "status"}
    assert differences(reply.data, {key: sample[key] for key in reply.data}, "data", frozenset()) == []


@pytest.mark.parametrize(
    ("actual", "problem"),
    [
        ({"a": "1", "b": [{"c": 1}]}, None),
        ({"a": 1, "b": [{"c": 1}]}, "x.a: integer"),
        ({"a": "1", "b": [{"c": 1, "d": 2}]}, "x.b[0].d: not in the docs"),
        ({"a": "1", "b": [{}]}, "x.b[0].c: missing"),
        ({"a": "1", "b": []}, "x.b: empty"),
        ({"a": "1", "b": [{"c": True}]}, "x.b[0].c: boolean"),
        ({"a": None, "b": [{"c": 1}]}, "x.a: null"),
    ],
)
def test_the_comparison_sees_keys_and_types(actual, problem):
    found = differences(actual, {"a": "", "b": [{"c": 0}]}, "x", frozenset())
    assert found == [] if problem is None else (len(found) == 1 and found[0].startswith(problem))

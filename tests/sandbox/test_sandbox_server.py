"""The Python API (`in_thread`, properties, admin endpoints) and the CLI."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator

import pytest

from multimarkets.config import Credentials, RateLimit
from multimarkets.errors import ConfigurationError
from multimarkets.sandbox import Sandbox
from multimarkets.sandbox.keys import ApiKeyConfig, generate_secret_key
from multimarkets.signing import RsaSha1Signer

PAGE = "customer.admin.WhiteCustomerAdminApiService.page"
ADD = "customer.admin.WhiteCustomerAdminApiService.addCustomer"
SLOW_CALLBACK = re.compile(r"Executing <.*> took \d+\.\d+ seconds$")
CUSTOMER = {
    "phone": "13200000092",
    "pwd": "dc483e80a7a0bd9ef71d8cf973673924",
    "country": "CN",
    "registerSource": 1,
    "customerGroupId": 1,
}


def signed_post(base_url: str, credentials: Credentials, biz_type: str, body: dict) -> dict:
    """A raw signed request with the standard library only, as sync code would send it."""
    ts = int(time.time() * 1000)
    headers = {
        "Content-Type": "application/json",
        "apiKey": credentials.api_key,
        "companyId": credentials.company_id,
        "trace": f"t-sync-{ts}",
        "timestamp": str(ts),
        "version": "0.0.1",
        "signature": RsaSha1Signer(credentials.secret_key).sign(body, ts),
    }
    request = urllib.request.Request(f"{base_url}/global/{biz_type}", json.dumps(body).encode(), headers)
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def admin_get(sandbox: Sandbox, path: str):
    with urllib.request.urlopen(f"{sandbox.url}/__sandbox__/{path}", timeout=5) as response:
        return json.loads(response.read())


def test_in_thread_serves_sync_callers():
    with Sandbox.in_thread(rate_limit="50/1s") as sb:
        assert sb.base_url == sb.url + "/webhook" and sb.url.startswith("http://127.0.0.1:")
        reply = signed_post(sb.base_url, sb.credentials, ADD, CUSTOMER)
        assert (reply["code"], reply["data"]) == ("0", "86000001")
        assert sb.stats()["customers"] == 1  # read from this thread, marshalled to the sandbox's loop
        assert sb.customers()[0]["phone"] == "13200000092"
        assert admin_get(sb, "stats")["requests"] == 1
        sb.set_faults("html403=1")
        with pytest.raises(urllib.error.HTTPError) as info:
            signed_post(sb.base_url, sb.credentials, PAGE, {})
        assert info.value.code == 403
        info.value.close()
        sb.set_faults(None)
        sb.reset()
        assert sb.customers() == [] and sb.stats()["requests"] == 0
    with pytest.raises(RuntimeError, match="not running"):
        sb.base_url  # noqa: B018


def test_in_thread_start_failure_is_raised_in_the_caller():
    with Sandbox.in_thread() as sb, pytest.raises(OSError), Sandbox.in_thread(port=sb.port):
        pass


def test_credentials_and_configuration():
    secret = generate_secret_key()
    with Sandbox.in_thread(secret_key=secret, company_id="220", api_keys=3, rate_limit=RateLimit(5, 1.0)) as sb:
        assert sb.credentials.secret_key == secret and sb.credentials.company_id == "220"
        assert len({c.api_key for c in sb.all_credentials}) == 3
        assert len(sb.credentials.api_key) == 32
        assert "secret" not in repr(sb.credentials).replace("secret_key=<hidden>", "")
        assert sb.config.rate_limit == RateLimit(5, 1.0)
        assert set(admin_get(sb, "stats")["bans"]) == {c.api_key for c in sb.all_credentials}
    with pytest.raises(ConfigurationError):
        Sandbox(api_keys=0)
    # Each key is an RSA key pair made at start: 100,000,000 of them went on silently for days.
    with pytest.raises(ConfigurationError, match=r"^the sandbox serves 1 to 100 API keys, not 100000000$"):
        Sandbox(api_keys=100_000_000)
    with pytest.raises(ConfigurationError, match=r"^the sandbox serves 1 to 100 API keys, not 101$"):
        Sandbox(api_keys=[ApiKeyConfig()] * 101)
    with pytest.raises(ConfigurationError):
        Sandbox(faults="nonsense=1")
    with pytest.raises(ConfigurationError), Sandbox.in_thread(api_keys=[ApiKeyConfig(api_key="k")] * 2):
        pass


def test_secret_key_given_twice_is_refused_without_echoing_it():
    first, second = generate_secret_key(), generate_secret_key()
    with pytest.raises(ConfigurationError) as caught:
        Sandbox(secret_key=first, api_keys=[ApiKeyConfig(secret_key=second)])
    assert first not in str(caught.value) and second not in str(caught.value)
    assert Sandbox(secret_key=first, api_keys=[ApiKeyConfig()]).config.keys[0].secret_key == first


def test_a_sandbox_on_a_loop_in_another_thread_refuses_calls_from_this_one():
    """Only a sandbox run by ``in_thread`` has a loop that takes calls from other threads; any other says so
    instead of waiting on a loop that may never run the call."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever)
    thread.start()
    sb = Sandbox()
    try:
        asyncio.run_coroutine_threadsafe(sb.start(), loop).result()
        with pytest.raises(RuntimeError, match="another thread"):
            sb.stats()
        assert asyncio.run_coroutine_threadsafe(_stats_on_the_loop(sb), loop).result()["customers"] == 0
    finally:
        asyncio.run_coroutine_threadsafe(sb.stop(), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


async def _stats_on_the_loop(sb: Sandbox) -> dict:
    return sb.stats()


def test_a_handle_starts_and_stops_without_a_with_block():
    handle = Sandbox.in_thread(rate_limit="50/1s")
    with pytest.raises(RuntimeError, match="not running"):
        _ = handle.sandbox.base_url
    sb = handle.start()
    assert sb is handle.sandbox
    with pytest.raises(RuntimeError, match="already running"):
        handle.start()
    assert signed_post(sb.base_url, sb.credentials, ADD, CUSTOMER)["data"] == "86000001"
    assert sb.stats()["customers"] == 1
    handle.stop()
    handle.stop()
    with pytest.raises(RuntimeError, match="not running"):
        sb.stats()
    again = handle.start()  # a fresh start: the in-memory state is gone
    try:
        assert again.stats()["customers"] == 0
        assert signed_post(again.base_url, again.credentials, ADD, CUSTOMER)["code"] == "0"
    finally:
        handle.stop()


def test_a_handle_never_stopped_ends_cleanly_at_exit():
    """A notebook kernel that exits with the sandbox still running: no warning, no traceback.

    Under ``-X dev`` (asyncio debug mode: thread-safety checks, every warning an error) with one exception:
    debug mode also logs each loop step slower than 0.1 s, which says how loaded the machine is, not
    whether the sandbox ends cleanly, so that one log line is filtered out.
    """
    script = (
        "import logging\n"
        "logging.getLogger('asyncio').addFilter(lambda record: not record.msg.startswith('Executing '))\n"
        "from multimarkets.sandbox import Sandbox\nsb = Sandbox.in_thread().start()\nprint(sb.stats()['customers'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error", "-c", script], capture_output=True, text=True, timeout=60
    )
    # -X dev also reports callbacks slower than 0.1 s, which says how loaded the machine is, not how we exit.
    stderr = "".join(line for line in done.stderr.splitlines(keepends=True) if not SLOW_CALLBACK.match(line))
    assert (done.returncode, done.stdout, stderr) == (0, "0\n", "")


def test_admin_endpoints():
    with Sandbox.in_thread() as sb:
        signed_post(sb.base_url, sb.credentials, ADD, CUSTOMER)
        stats = admin_get(sb, "stats")
        expected = {"customers", "requests", "rate_limited", "banned", "rejected_signature", "bans"}
        expected |= {f"fault_{k}" for k in ("latency", "error5xx", "reset_before", "reset_after_commit")}
        expected |= {"fault_html403", "fault_bad_json", "fault_slow_body", "webhook_deliveries", "webhook_failures"}
        assert expected <= set(stats)
        customers = admin_get(sb, "customers")
        assert customers[0]["customer_no"] == "86000001" and customers[0]["status"] == 1
        assert {"customer_no", "email", "phone", "phone_area", "status"} <= set(customers[0])
        assert admin_get(sb, "webhooks") == []
        assert admin_get(sb, "clock")["skew_ms"] == 0

        def post(path: str, data: bytes) -> tuple[int, dict]:
            request = urllib.request.Request(f"{sb.url}/__sandbox__/{path}", data, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    return response.status, json.loads(response.read())
            except urllib.error.HTTPError as exc:
                with exc:
                    return exc.code, json.loads(exc.read())

        status, clock = post("clock", b'{"skew_ms": 2500}')
        assert status == 200 and clock["skew_ms"] == 2500
        assert abs(clock["server_time_ms"] - (time.time() * 1000 + 2500)) < 2000
        assert post("clock", b'{"skew": 1}')[0] == 400
        assert post("clock", b"soon")[0] == 400
        assert post("faults", b'{"spec": 5}')[0] == 400
        assert post("reset", b"") == (200, {"ok": True})
        assert admin_get(sb, "customers") == []


@contextlib.contextmanager
def serving_cli(*options: str) -> Iterator[dict]:
    """``python -m multimarkets.sandbox`` with ``options``: yields its JSON line; stops it with SIGINT, which
    must end it with exit code 0."""
    command = [sys.executable, "-m", "multimarkets.sandbox", "--port", "0", *options]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        yield json.loads(process.stdout.readline())
        process.send_signal(signal.SIGINT if os.name != "nt" else signal.CTRL_C_EVENT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout and process.stdout.close()
        process.stderr and process.stderr.close()


def test_cli_prints_one_json_line_serves_and_stops_on_sigint(tmp_path):
    options = ["--rate-limit", "10/2s", "--ban", "3s", "--api-keys", "220:2, 439", "--db", str(tmp_path / "cli.db")]
    with serving_cli(*options, "--seed", "1") as line:
        assert set(line) >= {"base_url", "api_key", "secret_key", "company_id", "keys"}
        assert line["company_id"] == "220" and [k["company_id"] for k in line["keys"]] == ["220", "220", "439"]
        credentials = Credentials(line["api_key"], line["secret_key"], line["company_id"])
        assert signed_post(line["base_url"], credentials, ADD, CUSTOMER)["data"] == "86000001"
        codes = []
        for _ in range(11):
            try:
                codes.append(signed_post(line["base_url"], credentials, PAGE, {})["code"])
            except urllib.error.HTTPError as exc:
                codes.append(str(exc.code))
                exc.close()
        assert codes == ["0"] * 9 + ["429", "418"]


def test_cli_api_keys_as_a_count_are_keys_of_the_company_id():
    with serving_cli("--api-keys", "3", "--company-id", "7") as line:
        assert [k["company_id"] for k in line["keys"]] == ["7", "7", "7"]
        assert len({k["api_key"] for k in line["keys"]}) == 3


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--faults", "explode=1"], "unknown fault"),
        (["--ban", "soon"], "duration"),
        (["--rate-limit", "x"], "N/WINDOW"),
        (["--db", os.path.join("no-such-dir", "sandbox.db")], "cannot create the sandbox database"),
        (["--api-keys", "220:x"], "is not COMPANY[:COUNT]"),
    ],
)
def test_cli_reports_bad_options(option, message):
    result = subprocess.run(
        [sys.executable, "-m", "multimarkets.sandbox", "--port", "0", *option],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert message in result.stderr and result.stdout == ""

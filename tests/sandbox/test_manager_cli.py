"""``multimarkets sandbox`` serves the Manager API too and announces what a Manager client needs."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request

from manager_wire import AUTH, PAGE, sign


def post(url: str, body: dict[str, object], headers: dict[str, str]) -> dict[str, object]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json", **headers}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def test_the_announced_manager_credentials_work() -> None:
    command = [sys.executable, "-m", "multimarkets.cli", "sandbox", "--port", "0", "--manager-rate-limit", "5/1m"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as server:
        try:
            assert server.stdout is not None
            announced = json.loads(server.stdout.readline())
            manager = announced["manager"]
            assert manager["base_url"] == announced["url"] + "/openapi-b"
            assert set(manager) == {"base_url", "app_id", "app_secret", "company_id", "public_key"}
            auth = post(
                f"{manager['base_url']}/auth/{AUTH}",
                {"appId": manager["app_id"], "appSecret": manager["app_secret"]},
                {"trace": "t-1"},
            )
            data = auth["data"]
            assert isinstance(data, dict) and data["publicKey"] == manager["public_key"]
            body = {"current": 1, "timestamp": 1}
            page = post(
                f"{manager['base_url']}/{PAGE}",
                {**body, "signature": sign(body)},
                {"trace": "t-2", "token": data["token"], "companyId": str(manager["company_id"])},
            )
            assert page["code"] == "0"
        finally:
            server.terminate()
        server.communicate(timeout=30)

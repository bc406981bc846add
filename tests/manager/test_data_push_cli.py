"""``multimarkets data-push listen``: the loop end to end against an embedded sandbox, in a new process."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def listen(*words: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "multimarkets.cli", "data-push", "listen", *words]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)


def test_sandbox_loop_prints_one_json_line_per_event() -> None:
    done = listen("--sandbox", "--exit-after", "3", "--duration", "60")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["eventType"] for line in lines] == ["register", "open_account", "account_adjust"]
    assert lines[2]["data"]["amount"] == "25.5"
    assert lines[0]["data"]["customerNo"] == lines[2]["data"]["customerNo"]


def test_without_sandbox_it_needs_the_manager_credentials() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MULTIMARKETS_MANAGER_")}
    done = listen("--duration", "5", env=env)
    assert done.returncode == 2
    assert "MULTIMARKETS_MANAGER_APP_ID" in done.stderr


def test_a_malformed_base_url_exits_2_with_one_line() -> None:
    env = {**os.environ, "MULTIMARKETS_MANAGER_APP_ID": "app-id", "MULTIMARKETS_MANAGER_APP_SECRET": "app-secret"}
    done = listen("--base-url", "http://[::1:1/openapi-b", "--duration", "5", env=env)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "base_url is not a valid URL" in done.stderr

"""``multimarkets webhooks listen``: JSON lines when piped, rich on a terminal, the embedded sandbox run."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest
from webhook_samples import exec_report, wrap

from multimarkets.cli import webhooks as cli
from multimarkets.webhooks import parse_notification


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="multimarkets")
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["webhooks", "listen", *argv])
    return int(args.func(args))


def test_sandbox_run_prints_each_event_as_a_json_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there; the sandbox run must not use it
    assert run("--sandbox", "--port", "0", "--exit-after", "3", "--duration", "30") == 0
    out, err = capsys.readouterr()
    events = [json.loads(line) for line in out.splitlines()]
    assert sorted(e["msgType"] for e in events) == ["ORDER_CANCEL_REPORT", "ORDER_EXEC_REPORT", "ORDER_EXPIRED_REPORT"]
    (fill,) = (e for e in events if e["msgType"] == "ORDER_EXEC_REPORT")
    assert fill["status"] == "2" and fill["executeNum"] == "0.002" and isinstance(fill["executeTime"], int)
    assert "listening for notifications on http://127.0.0.1:" in err


def test_deliveries_that_do_not_verify_are_reported_and_not_printed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, other_keys: tuple[str, str]
) -> None:
    key_file = tmp_path / "platform.pub"
    key_file.write_text(other_keys[1])
    code = run("--sandbox", "--port", "0", "--public-key", f"@{key_file}", "--exit-after", "1", "--duration", "2")
    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    assert "rejected a delivery with HTTP 401: notification signature does not verify" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ((), "give --public-key"),
        (("--insecure", "--exit-after", "0"), "--exit-after must be at least 1"),
        (("--insecure", "--duration", "-1"), "--duration must be positive"),
        (("--public-key", "not a key"), "public key"),
    ],
)
def test_bad_options_exit_with_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argv: tuple[str, ...], message: str
) -> None:
    monkeypatch.delenv(cli.PUBLIC_KEY_ENV, raising=False)
    assert run("--port", "0", *argv) == 2
    assert message in capsys.readouterr().err


def test_pretty_output_on_a_terminal() -> None:
    stream = io.StringIO()
    printer = cli.EventPrinter(stream, pretty=True)
    printer.event(parse_notification(json.dumps(wrap(exec_report()))))
    printer.event(parse_notification(json.dumps(wrap({"msgType": "QUOTE_TAG", "quoteId": "q1"}))))
    text = stream.getvalue()
    assert "ORDER_EXEC_REPORT" in text and "PARTIALLY_FILLED (3)" in text and "65000.10" in text
    assert "2023-11-14 22:13:20.123000+00:00" in text
    assert "QUOTE_TAG" in text and "'quoteId': 'q1'" in text
    assert "raw" not in text

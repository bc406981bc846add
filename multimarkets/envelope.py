"""Unwrapping the ``{code, ok, fail, msg, data, trace, ...}`` envelope into data or a typed error."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from .errors import (
    APIConnectionError,
    APIError,
    IPBannedError,
    ProxyAuthenticationError,
    RateLimitError,
    RedirectError,
    ResponseFormatError,
    ServerError,
    error_for,
)

if TYPE_CHECKING:
    import aiohttp

__all__ = [
    "MAX_SERVER_MESSAGE_CHARS",
    "MAX_SERVER_TRACE_CHARS",
    "SUCCESS_CODE",
    "excerpt",
    "make_printable",
    "parse_retry_after",
    "printable",
    "proxy_error",
    "read_capped",
    "redirect_error",
    "too_large_error",
    "unwrap",
]

SUCCESS_CODE = "0"
_EXCERPT_CHARS = 200


MAX_SERVER_MESSAGE_CHARS = 500
"""The longest service ``msg`` an error keeps (longer ones are cut, ending in ``...``)."""
MAX_SERVER_TRACE_CHARS = 128
"""The longest service ``trace`` an error keeps: the service's own are under 64 characters."""

# What server text may not bring into an exception's message, a log line, a terminal or a report cell: the C0
# and C1 controls and DEL (ESC starts terminal escape sequences, CR/LF forge lines), the Unicode line and
# paragraph separators, and the bidirectional overrides (which reorder what a reader sees). Each is shown as the
# escape repr() would use, so nothing is lost but the effect.
_UNPRINTABLE = {
    char: repr(chr(char))[1:-1]
    for char in (*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
}


def printable(text: str, limit: int) -> str:
    """``text`` from a server made safe to print: control characters escaped, cut to ``limit`` characters."""
    # str.isprintable() is false for every character _UNPRINTABLE holds (Cc, Zl, Zp, Cf): a usual trace, read
    # from every successful answer, skips translate(), which looks each character up in a dict.
    if len(text) <= limit and text.isprintable():
        return text
    text = text.translate(_UNPRINTABLE)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def make_printable(error: APIError) -> None:
    """Escape and cap, in place, the server's text ``error`` carries (message, codes, body excerpt; its trace is
    made printable where :func:`unwrap` reads it), so that printing or logging it can neither forge lines nor drive
    a terminal. Done after secrets were redacted: a cut must not leave the start of a secret, nor an escape hide
    one from redaction."""
    error.message = printable(error.message, MAX_SERVER_MESSAGE_CHARS)
    error.args = (error.message, *error.args[1:])
    if error.code is not None:
        error.code = printable(error.code, MAX_SERVER_TRACE_CHARS)
    if error.biz_code is not None:
        error.biz_code = printable(error.biz_code, MAX_SERVER_TRACE_CHARS)
    if error.body_excerpt is not None:
        error.body_excerpt = error.body_excerpt.translate(_UNPRINTABLE)


def excerpt(raw: bytes) -> str:
    """A short, printable start of a response body for error messages."""
    text = raw[:_EXCERPT_CHARS].decode("utf-8", errors="replace")
    return " ".join(text.split()) + ("..." if len(raw) > _EXCERPT_CHARS else "")


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header given in seconds; None when absent or not a finite number, 0 or more
    (an HTTP date, ``nan``, ``inf``, ``-5``): the caller then falls back as if no hint came. How long a hint is
    followed is capped where it is used (a 429 pause, a 418 ban)."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if 0.0 <= seconds < math.inf else None


def _origin(url: str, location: str | None) -> str | None:
    if not location:
        return None
    try:
        target = urlsplit(urljoin(url, location.strip()))
        host, port = target.hostname, target.port
    except ValueError:
        return None
    if not target.scheme or not host:
        return None
    # Only scheme, host and port: a Location's path, query or userinfo may carry anything.
    return f"{target.scheme}://{host}" + (f":{port}" if port is not None else "")


async def read_capped(response: aiohttp.ClientResponse, limit: int) -> tuple[bytes, bool]:
    """``(body, True)``, or ``(what was read, False)`` once the body is, or announces to be, over ``limit``; for
    a body that has not all arrived with the headers (the request loop takes one that has at once)."""
    announced = response.content_length
    if announced is not None and announced > limit:
        return b"", False
    body = bytearray()
    # Chunk by chunk, also for a small Content-Length: a compressed body may inflate far beyond it.
    async for chunk in response.content.iter_any():
        body += chunk
        if len(body) > limit:
            return bytes(body[:512]), False  # enough for the error's excerpt
    return bytes(body), True


def proxy_error(status: int, reason: str, *, target: str, trace: str | None) -> APIConnectionError:
    """The error for a proxy that would not pass a request to ``target`` (nothing reached the service); a 407 is
    :class:`ProxyAuthenticationError`. The proxy URL is never named: it may hold a password."""
    if status == 407:
        return ProxyAuthenticationError(
            f"the proxy refused to pass the request to {target}: HTTP 407 {reason} (proxy authentication failed: "
            "give its credentials in the proxy URL, http://user:password@host:port, or in HTTP(S)_PROXY)",
            trace=trace,
            maybe_processed=False,
        )
    return APIConnectionError(
        f"the proxy refused to connect to {target}: HTTP {status} {reason}", trace=trace, maybe_processed=False
    )


def redirect_error(
    status: int, location: str | None, *, url: str, trace: str | None, biz_type: str | None
) -> RedirectError:
    """The error for a 3xx answer to ``url``; it names the status and the origin ``location`` points to."""
    origin = _origin(url, location)
    where = f"to {origin}" if origin is not None else "without a usable Location"
    return RedirectError(
        f"the service answered HTTP {status}, redirecting {where}; redirects are never followed",
        code=f"HTTP {status}",
        http_status=status,
        trace=trace,
        biz_type=biz_type,
        target_origin=origin,
    )


def too_large_error(
    limit: int, *, start: bytes, http_status: int, trace: str | None, biz_type: str | None
) -> ResponseFormatError:
    """The error for an answer longer than ``limit`` bytes (announced or read); ``start`` is what was read."""
    return ResponseFormatError(
        f"the answer is larger than max_response_bytes={limit}; it was not read further",
        code="TOO_LARGE",
        http_status=http_status,
        trace=trace,
        biz_type=biz_type,
        body_excerpt=excerpt(start),
    )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# NaN and Infinity are not JSON; Python accepts them unless told otherwise. One decoder for every answer:
# json.loads would build a new one per call when given an option.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


# The decoder's own scanner (the C one), which decode() calls after skipping whitespace; typeshed omits it.
_scan: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]


def _decode(raw: bytes) -> tuple[Any, str | None]:
    """The parsed body (None when empty or undecodable) and why it could not be decoded."""
    if raw[:2] == b'{"' and raw[-1:] == b"}":
        # The usual answer: an object, UTF-8 (json.detect_encoding's verdict for a body that starts so), nothing
        # around it. The scanner alone reads it; anything it does not read to the very end takes the full path.
        try:
            text = raw.decode("utf-8", "surrogatepass")
            parsed, end = _scan(text, 0)
            if end == len(text):
                return parsed, None
        except (ValueError, StopIteration, RecursionError):
            pass  # the full path says why
    if not raw.strip():
        return None, None
    try:
        # Decoded as json.loads decodes bytes (UTF-8, -16 or -32).
        return _DECODER.decode(raw.decode(json.detect_encoding(raw), "surrogatepass")), None
    except RecursionError:
        return None, "nested too deeply"
    except UnicodeDecodeError:
        return None, "not UTF-8"
    except ValueError as exc:
        return None, str(exc)


def _http_error(status: int, raw: bytes, envelope: Mapping[str, Any] | None, **common: Any) -> APIError:
    msg = str(envelope.get("msg") or "") if envelope else ""
    code = str(envelope.get("code")) if envelope and envelope.get("code") is not None else f"HTTP {status}"
    if status == 429:
        return RateLimitError(msg or "rate limit exceeded (HTTP 429)", code=code, **common)
    if status == 418:
        return IPBannedError(msg or "API key banned for ignoring rate limits (HTTP 418)", code=code, **common)
    if status >= 500:
        return ServerError(msg or f"server error (HTTP {status})", code=code, **common)
    if envelope is None:
        return ResponseFormatError(f"HTTP {status} with a body that is not an envelope", code=code, **common)
    return error_for(code)(msg or f"HTTP {status}", code=code, **common)


def unwrap(
    raw: bytes,
    *,
    http_status: int,
    request_trace: str | None = None,
    biz_type: str | None = None,
    retry_after: float | None = None,
) -> tuple[Any, str | None]:
    """Return ``(data, trace)`` of a successful envelope, or raise the matching :class:`APIError`."""
    if http_status == 407:  # only a proxy answers so (plain HTTP through it): the service never saw the request
        raise proxy_error(407, "Proxy Authentication Required", target=biz_type or "the service", trace=request_trace)
    parsed, undecodable = _decode(raw)
    envelope = parsed if isinstance(parsed, dict) and "code" in parsed else None
    trace = request_trace
    if envelope is not None:
        server_trace = envelope.get("trace")
        if server_trace and isinstance(server_trace, str):
            # Made printable here, where it enters: an answer's trace reaches models, log lines, report cells
            # and the errors raised after a success (wrong data, wrong page), not only the failures unwrapped here.
            trace = printable(server_trace, MAX_SERVER_TRACE_CHARS)
        if (
            http_status == 200
            and str(envelope["code"]) == SUCCESS_CODE
            and envelope.get("ok", True) is True
            and envelope.get("fail", False) is not True
        ):
            return envelope.get("data"), trace

    # A failure from here on: only now is the excerpt worth building.
    common: dict[str, Any] = {
        "http_status": http_status,
        "trace": trace,
        "biz_type": biz_type,
        "body_excerpt": excerpt(raw),
    }
    if envelope is not None and envelope.get("bizCode"):
        common["biz_code"] = str(envelope["bizCode"])
    if http_status == 429:
        common["retry_after"] = retry_after
    if http_status != 200:
        raise _http_error(http_status, raw, envelope, **common)
    if envelope is None:
        if not raw.strip():
            raise ResponseFormatError("empty response body", code="EMPTY_BODY", **common)
        if undecodable is not None:
            raise ResponseFormatError(f"response body is not valid JSON: {undecodable}", code="BAD_JSON", **common)
        raise ResponseFormatError("response JSON is not an envelope", code="NOT_ENVELOPE", **common)

    code = str(envelope["code"])
    message = str(envelope.get("msg") or "request failed")
    error_class = error_for(code)
    if error_class is RateLimitError:
        raise RateLimitError(message, code=code, retry_after=retry_after, **common)
    raise error_class(message, code=code, **common)

"""Secrets we sent, kept out of what the server says back.

A server (or a proxy, or a firewall page) may echo a request in its answer: the ``signature`` header, the Manager
``token``, the ``appSecret`` of the auth call, the MD5 ``signature`` of a Manager body, a registration's password
hash, an exchange account's keys. Its text reaches the errors we raise (``msg``, the body excerpt, aiohttp's
description of a broken answer) and, through them, logs and reports. Before an attempt's error leaves the
request loop, every secret value that attempt sent is replaced by :data:`MARKER` in every text the error
carries. Only failures pay for this: the success path never looks at it.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

__all__ = [
    "MARKER",
    "SECRET_FIELDS",
    "SECRET_HEADERS",
    "SHORT_SECRET",
    "redact_error",
    "secret_values",
    "url_error",
    "without_password",
]

MARKER = "<redacted>"
"""What a secret value is replaced with."""

SECRET_HEADERS = frozenset({"apiKey", "signature", "token"})
"""Request headers whose values are secret (the API key is shown masked in reprs, so never in full here)."""

SECRET_FIELDS = frozenset(
    {
        "accountApiKey",
        "accountSecretKey",
        "apiKey",
        "appSecret",
        "certificate",
        "passphrase",
        "pwd",
        "signature",
    }
)
"""Request body fields whose values are secret: those our request models keep out of their reprs, the Manager
``appSecret`` and body ``signature``."""


def secret_values(headers: Mapping[str, str], body: Any) -> list[str]:
    """The values of :data:`SECRET_HEADERS` in ``headers`` and of :data:`SECRET_FIELDS` anywhere in ``body``."""
    found = [value for name, value in headers.items() if name in SECRET_HEADERS]
    todo = [body]
    while todo:
        current = todo.pop()
        if isinstance(current, Mapping):
            for name, value in current.items():
                if name in SECRET_FIELDS and isinstance(value, str):
                    found.append(value)
                else:
                    todo.append(value)
        elif isinstance(current, list | tuple):
            todo.extend(current)
    return found


SHORT_SECRET = 8
"""Characters under which a secret is replaced only where it stands alone, not inside a longer word or number: a
one-letter passphrase would otherwise take that letter out of the whole message. An echo shows a value whole,
between quotes, spaces or ``=`` and ``&``; long values (keys, signatures, tokens) are replaced wherever they are."""

_ALONE = "(?<![0-9A-Za-z]){}(?![0-9A-Za-z])"


def _spellings(secret: str) -> set[str]:
    """``secret`` as a server may echo it: as is, escaped in a JSON string (``\\uXXXX``, ``\\/``) once or twice (the
    request body quoted as a JSON string inside a JSON message: ``\\\\\\"``), URL-encoded (a gateway quoting the
    request as a query string: ``%40``, ``+``, ``%2f``), HTML-escaped (an error page quoting it: ``&amp;``,
    ``&quot;``, ``&#x27;``), and with its whitespace collapsed as a body excerpt collapses it."""
    spellings = {secret, *_in_json(secret)}
    spellings |= {twice for once in spellings - {secret} for twice in _in_json(once)}
    encoded = {quote(secret, safe=""), quote(secret), quote_plus(secret), quote_plus(secret, safe="/")}
    spellings |= encoded | {re.sub("%[0-9A-F]{2}", lambda escape: escape[0].lower(), form) for form in encoded}
    for form in list(spellings):
        spellings |= {html.escape(form, quote=False), escaped := html.escape(form), escaped.replace("&#x27;", "&#39;")}
    spellings.add(" ".join(secret.split()))
    return {spelling for spelling in spellings if spelling}


def _in_json(text: str) -> set[str]:
    """``text`` as the inside of a JSON string: ASCII-only or not, ``/`` escaped or not."""
    forms = {json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1]}
    return forms | {form.replace("/", "\\/") for form in forms} | {text.replace("/", "\\/")}


def _clean(text: str, pattern: re.Pattern[str], spellings: list[str], *, excerpt: bool) -> str:
    text = pattern.sub(MARKER, text)
    if excerpt and text.endswith("..."):
        # A cut excerpt may end inside a secret: drop whatever start of one it ends with.
        body = text[:-3]
        for spelling in spellings:
            for length in range(len(spelling) - 1, 0, -1):
                if body.endswith(spelling[:length]):
                    body = body[:-length]
                    break
        text = body + "..."
    return text


_CUT = frozenset({"body_excerpt", "trace"})
"""The texts that may come cut (a server's trace is capped where it is read): a cut may end inside a secret."""


def redact_error(error: BaseException, secrets: Iterable[str]) -> None:
    """Replace each of ``secrets`` by :data:`MARKER` in the texts ``error`` carries (its ``args`` and every text
    attribute: message, code, body excerpt, trace, ...), in place; one shorter than :data:`SHORT_SECRET` where
    it stands alone."""
    alone: dict[str, bool] = {}
    for secret in filter(None, secrets):
        for spelling in _spellings(secret):  # a spelling two secrets share is replaced as the longer one's
            alone[spelling] = alone.get(spelling, True) and len(secret) < SHORT_SECRET
    if not alone:
        return
    spellings = sorted(alone, key=len, reverse=True)  # longest first: a secret that contains another is replaced whole
    pattern = re.compile(
        "|".join(
            _ALONE.format(re.escape(spelling)) if alone[spelling] else re.escape(spelling) for spelling in spellings
        )
    )
    error.args = tuple(
        _clean(arg, pattern, spellings, excerpt=False) if isinstance(arg, str) else arg for arg in error.args
    )
    for name, value in list(vars(error).items()):
        if isinstance(value, str):
            setattr(error, name, _clean(value, pattern, spellings, excerpt=name in _CUT))


def without_password(url: str) -> str:
    """``url`` for reprs and errors: its credentials (``user:password@``) shown as ``***@``, a ``password`` in its
    query (which redis-py reads) as ``password=***``; a text that is not ``scheme://...`` (a password pasted in its
    place, a scheme missing a slash) is not shown at all."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return "<not a URL, not shown>"
    credentials, at, host = rest.rpartition("@")
    shown = f"{scheme}{sep}***@{host}" if at and credentials else url
    return _QUERY_PASSWORD.sub(r"\1***", shown)


_QUERY_PASSWORD = re.compile(r"([?&;]password=)[^&;#]*", re.IGNORECASE)


def url_error(error: Exception, url: str) -> str:
    """The text of ``error``, raised reading ``url``, with each quoted part of the URL's credentials shown as
    ``'***'``: an unencoded ``/`` in a password makes urllib quote the part before it as the port."""
    credentials = url.partition("://")[2].rpartition("@")[0]
    return re.sub(r"'([^']+)'", lambda quoted: "'***'" if quoted[1] in credentials else quoted[0], str(error))

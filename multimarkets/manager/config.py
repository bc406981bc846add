"""Manager API credentials and service URLs (reference manager-api §1.1, §2.1)."""

from __future__ import annotations

import os
from collections.abc import Mapping

import attrs

from ..config import check_header_fields, check_secret_field, masked
from ..errors import ConfigurationError

__all__ = ["MANAGER_PRODUCTION_URL", "MANAGER_TEST_URL", "ManagerCredentials"]

MANAGER_PRODUCTION_URL = "https://api.multimarkets.org/openapi-b"
"""Production base URL; calls go to ``{base_url}/{bizType}``, the auth call to ``{base_url}/auth/{bizType}``."""

# ASSUMPTION (reference §1.1, §8 item 8): every spec and rendered sample uses this host; the API Address page
# names prewppc-3.cmfbl.com instead.
MANAGER_TEST_URL = "https://pre-api-test.cmfbl.com/openapi-b"
"""Test ("PRE") base URL."""


@attrs.frozen
class ManagerCredentials:
    """What the main label issues to a white label: ``app_id`` and ``app_secret``, and optionally the company's
    RSA public key (base64 X.509 DER or PEM) for body encryption when it is not taken from the auth answer."""

    app_id: str
    app_secret: str = attrs.field(repr=False)
    public_key: str | None = attrs.field(default=None, repr=False)

    def __attrs_post_init__(self) -> None:
        # The app id is checked as Credentials checks the API key: a CR/LF or a space pasted with it would
        # only show as a refused auth call, an int as a TypeError when the credentials are printed.
        check_header_fields(self, ("app_id",))
        check_secret_field(self, "app_secret")

    def __repr__(self) -> str:
        key = "<none>" if self.public_key is None else "<given>"
        return f"ManagerCredentials(app_id={masked(self.app_id)}, app_secret=<hidden>, public_key={key})"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ManagerCredentials:
        """Read ``MULTIMARKETS_MANAGER_APP_ID``, ``MULTIMARKETS_MANAGER_APP_SECRET`` and, if set,
        ``MULTIMARKETS_MANAGER_PUBLIC_KEY``."""
        env = os.environ if environ is None else environ
        names = ("MULTIMARKETS_MANAGER_APP_ID", "MULTIMARKETS_MANAGER_APP_SECRET")
        missing = [name for name in names if not env.get(name)]
        if missing:
            raise ConfigurationError(f"missing environment variable(s): {', '.join(missing)}")
        return cls(env[names[0]], env[names[1]], env.get("MULTIMARKETS_MANAGER_PUBLIC_KEY") or None)

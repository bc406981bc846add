"""Codes the Manager side of the sandbox answers with, and their documented messages (reference §4.3); the
gateway and customer codes shared with the Bridge API come from :mod:`multimarkets.sandbox.codes`."""

from __future__ import annotations

from ..codes import (
    COMPANY_ID_MISSING,
    DATA_NOT_EXIST,
    EMAIL_EXISTS,
    INVALID_PARAMETER,
    NO_SUCH_INTERFACE,
    PHONE_EXISTS,
    PHONE_OR_EMAIL_REQUIRED,
    SUCCESS,
    SYSTEM_ERROR,
    TRACE_MISSING,
    UNKNOWN_BIZ_TYPE,
)
from ..codes import MESSAGES as _SHARED

__all__ = [
    "COMPANY_ID_MISSING",
    "DATA_NOT_EXIST",
    "EMAIL_EXISTS",
    "INVALID_PARAMETER",
    "MESSAGES",
    "NO_SUCH_INTERFACE",
    "PHONE_EXISTS",
    "PHONE_OR_EMAIL_REQUIRED",
    "SUCCESS",
    "SYSTEM_ERROR",
    "TRACE_MISSING",
    "UNKNOWN_BIZ_TYPE",
    "message_for",
]

TOKEN_MISSING = "GGATEWAY_CODE_001"
LOGIN_EXPIRED = "GGATEWAY_CODE_005"
LOGIN_UNKNOWN = "GGATEWAY_CODE_017"
TOO_FREQUENT = "GGATEWAY_CODE_018"
NO_ACCESS = "GGATEWAY_CODE_019"
INVALID_ACCOUNT = "GGATEWAY_CODE_101"
PARAMETERS_ABNORMAL = "GGATEWAY_CODE_104"
CLIENT_EXISTS = "USCUSTOMER_API_0000101"
TOURIST_GROUP = "USCUSTOMER_API_0001024"
FUND_REQUIRED = "FS10001"
FUND_INVALID = "FS10002"
ADJUST_FAILED = "FS52001"
ACCOUNT_TRADE_TYPE_MISMATCH = "FS520010"

MESSAGES: dict[str, str] = {
    **_SHARED,
    TOKEN_MISSING: "TOKEN is null",
    LOGIN_EXPIRED: "Login info is expired, please login again",
    LOGIN_UNKNOWN: "Login info is expired, please login again",
    TOO_FREQUENT: "The request frequency is too fast, please try again later",
    NO_ACCESS: "No access rights",
    INVALID_ACCOUNT: "Invalid account info",
    PARAMETERS_ABNORMAL: "The current interface parameters are abnormal, please check and try again",
    CLIENT_EXISTS: "Client info exist already",
    TOURIST_GROUP: "Tourist customer group cannot register and open an account",
    FUND_REQUIRED: "Required parameters cannot be empty",
    FUND_INVALID: "Invalid parameter",
    ADJUST_FAILED: "Limit adjustment add request fail",
    ACCOUNT_TRADE_TYPE_MISMATCH: "Account ID does not match tradeType",
}


def message_for(code: str) -> str:
    """The documented message of ``code``."""
    return MESSAGES.get(code, "Request failed")

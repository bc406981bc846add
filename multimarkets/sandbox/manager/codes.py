"""Codes the Manager side of the sandbox answers with, and their documented messages (reference §4.3)."""

from __future__ import annotations

__all__ = ["MESSAGES", "message_for"]

SUCCESS = "0"
SYSTEM_ERROR = "G500"
TOKEN_MISSING = "GGATEWAY_CODE_001"
UNKNOWN_BIZ_TYPE = "GGATEWAY_CODE_002"
COMPANY_ID_MISSING = "GGATEWAY_CODE_003"
TRACE_MISSING = "GGATEWAY_CODE_004"
LOGIN_EXPIRED = "GGATEWAY_CODE_005"
NO_SUCH_INTERFACE = "GGATEWAY_CODE_010"
INVALID_PARAMETER = "GGATEWAY_CODE_015"
LOGIN_UNKNOWN = "GGATEWAY_CODE_017"
TOO_FREQUENT = "GGATEWAY_CODE_018"
NO_ACCESS = "GGATEWAY_CODE_019"
INVALID_ACCOUNT = "GGATEWAY_CODE_101"
PARAMETERS_ABNORMAL = "GGATEWAY_CODE_104"

DATA_NOT_EXIST = "USCUSTOMER_API_0000003"
CLIENT_EXISTS = "USCUSTOMER_API_0000101"
PHONE_OR_EMAIL_REQUIRED = "USCUSTOMER_API_0000105"
PHONE_EXISTS = "USCUSTOMER_API_0000106"
EMAIL_EXISTS = "USCUSTOMER_API_0000107"
TOURIST_GROUP = "USCUSTOMER_API_0001024"

FUND_REQUIRED = "FS10001"
FUND_INVALID = "FS10002"
ADJUST_FAILED = "FS52001"
ACCOUNT_TRADE_TYPE_MISMATCH = "FS520010"

MESSAGES: dict[str, str] = {
    SUCCESS: "Success",
    SYSTEM_ERROR: "System error",
    TOKEN_MISSING: "TOKEN is null",
    UNKNOWN_BIZ_TYPE: "Invalid business type",
    COMPANY_ID_MISSING: "Company ID cannot be null",
    TRACE_MISSING: "Link sign cannot be null",
    LOGIN_EXPIRED: "Login info is expired, please login again",
    NO_SUCH_INTERFACE: "Downstream port does not exist",
    INVALID_PARAMETER: "The request parameter is invalid",
    LOGIN_UNKNOWN: "Login info is expired, please login again",
    TOO_FREQUENT: "The request frequency is too fast, please try again later",
    NO_ACCESS: "No access rights",
    INVALID_ACCOUNT: "Invalid account info",
    PARAMETERS_ABNORMAL: "The current interface parameters are abnormal, please check and try again",
    DATA_NOT_EXIST: "Data not exist",
    CLIENT_EXISTS: "Client info exist already",
    PHONE_OR_EMAIL_REQUIRED: "Should fill in at least mobile or email, or both",
    PHONE_EXISTS: "Mobile number already exist",
    EMAIL_EXISTS: "Email exist already",
    TOURIST_GROUP: "Tourist customer group cannot register and open an account",
    FUND_REQUIRED: "Required parameters cannot be empty",
    FUND_INVALID: "Invalid parameter",
    ADJUST_FAILED: "Limit adjustment add request fail",
    ACCOUNT_TRADE_TYPE_MISMATCH: "Account ID does not match tradeType",
}


def message_for(code: str) -> str:
    """The documented message of ``code``."""
    return MESSAGES.get(code, "Request failed")

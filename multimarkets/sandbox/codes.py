"""Error codes the sandbox answers with, and their default messages (reference §5)."""

from __future__ import annotations

__all__ = ["MESSAGES", "SUCCESS", "message_for"]

SUCCESS = "0"

SIGNATURE_INVALID = "00012001"
TIMESTAMP_OUT_OF_WINDOW = "00012002"
API_KEY_UNKNOWN = "00012003"
NO_PERMISSION = "00012004"
TOO_FREQUENT = "00012005"

SYSTEM_ERROR = "G500"
UNKNOWN_BIZ_TYPE = "GGATEWAY_CODE_002"
COMPANY_ID_MISSING = "GGATEWAY_CODE_003"
TRACE_MISSING = "GGATEWAY_CODE_004"
HEADER_MISSING = "GGATEWAY_CODE_009"
NO_SUCH_INTERFACE = "GGATEWAY_CODE_010"
INVALID_PARAMETER = "GGATEWAY_CODE_015"

DATA_NOT_EXIST = "USCUSTOMER_API_0000003"
ACTION_NOT_ALLOWED = "USCUSTOMER_API_0000004"
PHONE_OR_EMAIL_REQUIRED = "USCUSTOMER_API_0000105"
PHONE_EXISTS = "USCUSTOMER_API_0000106"
EMAIL_EXISTS = "USCUSTOMER_API_0000107"
CUSTOMER_NUMBER_EXHAUSTED = "USCUSTOMER_API_0000110"

MESSAGES: dict[str, str] = {
    SUCCESS: "Success",
    SIGNATURE_INVALID: "Signature verification failed",
    TIMESTAMP_OUT_OF_WINDOW: "Request has exceeded the time window",
    API_KEY_UNKNOWN: "The requested API_KEY does not exist",
    NO_PERMISSION: "No permission for the current API request",
    TOO_FREQUENT: "Request too frequent",
    SYSTEM_ERROR: "System error",
    UNKNOWN_BIZ_TYPE: "Invalid business type",
    COMPANY_ID_MISSING: "Company ID cannot be null",
    TRACE_MISSING: "Link sign cannot be null",
    HEADER_MISSING: "Request header cannot be empty",
    NO_SUCH_INTERFACE: "Downstream interface does not exist",
    INVALID_PARAMETER: "The request parameter is invalid",
    DATA_NOT_EXIST: "Data not exist",
    ACTION_NOT_ALLOWED: "Working in progress, current action is not allowed",
    PHONE_OR_EMAIL_REQUIRED: "Should fill in at least mobile or email, or both",
    PHONE_EXISTS: "Mobile number already exist",
    EMAIL_EXISTS: "Email exist already",
    CUSTOMER_NUMBER_EXHAUSTED: "Company's Client account number out of interval",
}


def message_for(code: str) -> str:
    """The documented message of ``code``, or a generic one."""
    return MESSAGES.get(code, "Request failed")

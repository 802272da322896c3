"""Resume webhooks are how Holdpoint wakes a durable agent.

Anyone can POST to the agent's URL, so nothing in the body may be trusted before its
Standard Webhooks signature and timestamp are checked here (same rules as sdk/webhook.ts).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

from pydantic import ValidationError

from .errors import WebhookVerificationError
from .models import ResumeEvent, describe_without_values

_SECRET_PREFIX = "whsec_"
_TIMESTAMP = re.compile(r"\d{1,15}")
DEFAULT_TOLERANCE_SECONDS = 300


class _HasItems(Protocol):
    def items(self) -> Iterable[tuple[str, Any]]: ...


#: A plain dict, or any headers object with ``items()`` (Starlette, Flask/Werkzeug, httpx).
WebhookHeaders = Mapping[str, Any] | _HasItems
Body = str | bytes | bytearray


def _header(headers: WebhookHeaders, name: str) -> str | None:
    # Header names are case-insensitive, and frameworks disagree on how they store them.
    values = [value for key, value in headers.items() if key.lower() == name]
    if not values:
        return None
    flat = [v for value in values for v in (value if isinstance(value, (list, tuple)) else [value])]
    return " ".join(str(v) for v in flat)


def _key_of(secret: str) -> bytes:
    """The HMAC key of a ``whsec_<base64>`` secret (the prefix is optional, as in Standard Webhooks)."""
    body = secret[len(_SECRET_PREFIX) :] if secret.startswith(_SECRET_PREFIX) else secret
    try:
        key = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if not key:
        raise WebhookVerificationError("invalid_secret", "The webhook secret is not a whsec_<base64> value")
    return key


def _as_bytes(body: Body) -> bytes:
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


def _signature(key: bytes, webhook_id: str, timestamp: str, body: bytes) -> bytes:
    return hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()


def sign_webhook(secret: str, webhook_id: str, timestamp: int, body: Body) -> str:
    """The ``webhook-signature`` header value (``v1,<base64>``) for a payload."""
    digest = _signature(_key_of(secret), webhook_id, str(timestamp), _as_bytes(body))
    return "v1," + base64.b64encode(digest).decode()


def webhook_headers(secret: str, webhook_id: str, body: Body, timestamp: int | None = None) -> dict[str, str]:
    """All three Standard Webhooks headers for a payload; ``timestamp`` defaults to now."""
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": sign_webhook(secret, webhook_id, ts, body),
    }


def _decode_candidate(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def verify_webhook(
    secret: str,
    headers: WebhookHeaders,
    body: Body,
    *,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
    now: datetime | float | None = None,
) -> ResumeEvent:
    """Verifies a resume webhook and returns its parsed body.

    ``body`` must be the raw request body exactly as received: re-serialised JSON will not
    verify. Raises WebhookVerificationError (with a ``reason``) for missing headers, a
    timestamp further than ``tolerance_seconds`` from now, no matching signature, or a body
    that is not a resume event. Deduplicate on ``webhook-id``: retries reuse it.
    """
    webhook_id = _header(headers, "webhook-id")
    timestamp = _header(headers, "webhook-timestamp")
    signatures = _header(headers, "webhook-signature")
    if webhook_id is None or timestamp is None or signatures is None:
        raise WebhookVerificationError(
            "missing_header", "Missing webhook-id, webhook-timestamp or webhook-signature header"
        )
    timestamp = timestamp.strip()
    if not _TIMESTAMP.fullmatch(timestamp):
        raise WebhookVerificationError("invalid_timestamp", f"webhook-timestamp {timestamp!r} is not Unix seconds")
    # Checked before the signature: a replay of a genuine old request must fail too.
    now_seconds = now.timestamp() if isinstance(now, datetime) else (time.time() if now is None else float(now))
    skew = abs(int(now_seconds) - int(timestamp))
    if skew > tolerance_seconds:
        raise WebhookVerificationError(
            "timestamp_out_of_tolerance",
            f"webhook-timestamp is {skew}s away from now (tolerance {tolerance_seconds}s)",
        )

    raw = _as_bytes(body)
    expected = _signature(_key_of(secret), webhook_id, timestamp, raw)
    # Several signatures are sent while a secret rotates; one match is enough.
    matched = False
    for entry in signatures.split(" "):
        if not entry.startswith("v1,"):
            continue
        candidate = _decode_candidate(entry[3:])
        # compare_digest on every candidate: time depends on lengths only, not on content.
        if candidate is not None and hmac.compare_digest(candidate, expected):
            matched = True
    if not matched:
        raise WebhookVerificationError("no_matching_signature", "No webhook-signature matches this body and secret")

    try:
        parsed = json.loads(raw)
    except ValueError as error:
        raise WebhookVerificationError("invalid_payload", "The signed body is not JSON") from error
    try:
        return ResumeEvent.model_validate(parsed)
    except ValidationError as error:
        reason = describe_without_values(error)
        raise WebhookVerificationError("invalid_payload", f"The signed body is not a resume event: {reason}") from None

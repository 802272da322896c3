"""Standard Webhooks verification: a real resume webhook from Holdpoint, and the ways a
forged, stale or malformed one is refused."""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Iterator

import pytest
from pydantic import BaseModel

from holdpoint import (
    ResumeEvent,
    WebhookVerificationError,
    create_checkpoint,
    outcome_of,
    sign_webhook,
    verify_webhook,
    webhook_headers,
)
from support.receiver import WebhookReceiver
from support.server import Holdpoint

SECRET = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
OTHER_SECRET = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
BODY = json.dumps(
    {
        "type": "checkpoint.resolved",
        "timestamp": "2026-11-25T19:00:00Z",
        "data": {
            "checkpointId": "cp_1",
            "state": "resolved",
            "response": {"approved": True},
            "respondedBy": {"channel": "slack", "actor": "U024BE7LH", "name": "Ana"},
            "idempotencyKey": "k",
            "metadata": {"runId": "run_7"},
        },
    }
)


class Decision(BaseModel):
    approved: bool


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    endpoint = WebhookReceiver()
    yield endpoint
    endpoint.close()


def reason_of(headers: dict[str, str], body: str | bytes = BODY, secret: str = SECRET, **kw: object) -> str:
    with pytest.raises(WebhookVerificationError) as caught:
        verify_webhook(secret, headers, body, **kw)  # type: ignore[arg-type]
    assert caught.value.code == "webhook_verification_failed"
    return caught.value.reason


def test_a_real_resume_webhook_verifies_and_parses(holdpoint: Holdpoint, receiver: WebhookReceiver) -> None:
    checkpoint = create_checkpoint(
        task="Resume me by webhook",
        response_model=Decision,
        resume={"webhook": {"url": receiver.url}},
        metadata={"runId": "run_7"},
        url=holdpoint.url,
        token=holdpoint.token,
    )
    holdpoint.answer(checkpoint.id, {"approved": True})
    delivery = receiver.deliveries.get(timeout=20)
    event = verify_webhook(holdpoint.webhook_secret, delivery.headers, delivery.body)
    assert isinstance(event, ResumeEvent)
    assert event.type == "checkpoint.resolved"
    assert event.data.checkpoint_id == checkpoint.id
    assert event.data.metadata == {"runId": "run_7"}
    assert outcome_of(event, Decision).response == Decision(approved=True)
    # The same delivery checked with another deployment's secret is a forgery.
    assert reason_of(delivery.headers, delivery.body, secret=OTHER_SECRET) == "no_matching_signature"


def test_good_signature_in_any_header_case_and_among_several() -> None:
    headers = webhook_headers(SECRET, "msg_1", BODY)
    assert verify_webhook(SECRET, headers, BODY).data.checkpoint_id == "cp_1"
    upper = {k.upper(): v for k, v in headers.items()}
    assert verify_webhook(SECRET, upper, BODY.encode()).data.responded_by is not None
    # While a secret rotates, several signatures are sent; one match is enough.
    rotated = dict(headers)
    rotated["webhook-signature"] = f"v1,{base64.b64encode(b'x' * 32).decode()} v2,abc {headers['webhook-signature']}"
    assert verify_webhook(SECRET, rotated, BODY).type == "checkpoint.resolved"


def test_forged_signatures_are_refused() -> None:
    headers = webhook_headers(SECRET, "msg_1", BODY)
    assert reason_of(headers, BODY.replace("true", "false")) == "no_matching_signature"
    assert reason_of(webhook_headers(OTHER_SECRET, "msg_1", BODY)) == "no_matching_signature"
    assert reason_of({**headers, "webhook-id": "msg_2"}) == "no_matching_signature"
    assert reason_of({**headers, "webhook-signature": "v1,not base64!"}) == "no_matching_signature"
    assert reason_of({k: v for k, v in headers.items() if k != "webhook-signature"}) == "missing_header"


def test_stale_and_future_timestamps_are_refused() -> None:
    old = int(time.time()) - 301
    stale = webhook_headers(SECRET, "msg_1", BODY, timestamp=old)
    assert reason_of(stale) == "timestamp_out_of_tolerance"
    ahead = webhook_headers(SECRET, "msg_1", BODY, timestamp=int(time.time()) + 301)
    assert reason_of(ahead) == "timestamp_out_of_tolerance"
    # Inside a wider tolerance, or at an injected "now", the same request is fine.
    assert verify_webhook(SECRET, stale, BODY, tolerance_seconds=600).data.checkpoint_id == "cp_1"
    assert verify_webhook(SECRET, stale, BODY, now=old + 10).data.checkpoint_id == "cp_1"
    assert reason_of({**stale, "webhook-timestamp": "yesterday"}) == "invalid_timestamp"


def test_bad_secret_and_unsigned_garbage() -> None:
    headers = webhook_headers(SECRET, "msg_1", BODY)
    assert reason_of(headers, secret="whsec_") == "invalid_secret"
    garbage = "not json"
    signed = {**headers, "webhook-signature": sign_webhook(SECRET, "msg_1", int(headers["webhook-timestamp"]), garbage)}
    assert reason_of(signed, garbage) == "invalid_payload"

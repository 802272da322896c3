"""The checkpoint resource as flows: create, read and cancel.

Waiting lives in _wait.py because it is a loop with its own rules, not a single request.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from ._answers import failure_for
from ._connection import REQUEST_TIMEOUT
from ._flow import Attempt, Flow
from ._retry import RetryPolicy, SendStats, send
from .duration import Duration, to_timeout_seconds
from .errors import CheckpointConflictError, CheckpointValidationError, IdempotencyConflictError, problem_of
from .models import Checkpoint, read_checkpoint
from .schema import to_json_schema, validated

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class Question:
    """Everything that describes the question; shared by await_human and create_checkpoint."""

    task: str
    response_model: Any
    payload: Any = None
    payload_model: Any = None
    notify: Sequence[str] | None = None
    assign_to: Sequence[str] | None = None
    timeout: Duration | None = None
    #: The answer to return when nobody answers in time (a response_model instance or dict).
    on_timeout: Any = None
    escalation: Sequence[Mapping[str, Any]] | None = None
    reminders: Mapping[str, Any] | None = None
    quorum: Mapping[str, Any] | None = None
    verify: Mapping[str, Any] | None = None
    pick: str | None = None
    redact: bool | None = None
    resume: Mapping[str, Any] | None = None
    metadata: Mapping[str, Any] | None = None
    idempotency_key: str | None = None


def checkpoint_path(checkpoint_id: str, suffix: str = "") -> str:
    return f"/v1/checkpoints/{quote(checkpoint_id, safe='')}{suffix}"


def new_idempotency_key() -> str:
    return str(uuid.uuid4())


def build_create_body(q: Question) -> JsonObject:
    """The create body, failing locally on anything the server would refuse for sure."""
    if not isinstance(q.task, str) or q.task.strip() == "":
        raise CheckpointValidationError(
            "`task` must be a non-empty string", [{"path": "/task", "message": "must be a non-empty string"}]
        )
    if q.idempotency_key is not None and q.idempotency_key.strip() == "":
        raise CheckpointValidationError(
            "`idempotency_key` must not be empty", [{"path": "/idempotencyKey", "message": "must not be empty"}]
        )
    if q.response_model is None:
        raise CheckpointValidationError(
            "`response_model` is required", [{"path": "/responseSchema", "message": "is required"}]
        )
    body: JsonObject = {"task": q.task, "responseSchema": to_json_schema(q.response_model, "response_model")}

    # A payload that is a model instance brings its own schema: reviewers then see typed fields.
    payload_model = q.payload_model
    if payload_model is None and isinstance(q.payload, BaseModel):
        payload_model = type(q.payload)
    if payload_model is not None:
        body["payloadSchema"] = to_json_schema(payload_model, "payload_model")
        if q.payload is not None:
            body["payload"] = validated(payload_model, q.payload, "/payload", "payload")
    elif q.payload is not None:
        body["payload"] = to_jsonable_python(q.payload)

    if q.on_timeout is not None:
        response = validated(q.response_model, q.on_timeout, "/onTimeout/response", "on_timeout")
        body["onTimeout"] = {"response": response}
    if q.timeout is not None:
        body["timeoutSeconds"] = to_timeout_seconds(q.timeout)
    optional: dict[str, Any] = {
        "notify": None if q.notify is None else list(q.notify),
        "assignTo": None if q.assign_to is None else list(q.assign_to),
        "escalation": None if q.escalation is None else [dict(step) for step in q.escalation],
        "reminders": q.reminders,
        "quorum": q.quorum,
        "verify": q.verify,
        "pick": q.pick,
        "redact": q.redact,
        "resume": q.resume,
        "metadata": q.metadata,
    }
    for key, value in optional.items():
        if value is not None:
            body[key] = to_jsonable_python(value)
    return body


def create_flow(q: Question, policy: RetryPolicy) -> Flow[Checkpoint]:
    body = build_create_body(q)
    # Fixed before the first attempt: every retry must carry the same key for the server to
    # recognise it and replay the original checkpoint instead of creating a second one.
    key = q.idempotency_key if q.idempotency_key is not None else new_idempotency_key()
    attempt = Attempt(
        method="POST",
        path="/v1/checkpoints",
        timeout=REQUEST_TIMEOUT,
        body=body,
        headers={"idempotency-key": key},
    )
    answer = yield from send(attempt, policy)
    if answer.status in (200, 201):
        return read_checkpoint(answer.body, "POST /v1/checkpoints")
    if answer.status == 409:
        raise IdempotencyConflictError(key, status=409, problem=problem_of(answer.body))
    raise failure_for(answer, "Creating the checkpoint")


def get_flow(checkpoint_id: str, policy: RetryPolicy) -> Flow[Checkpoint]:
    path = checkpoint_path(checkpoint_id)
    answer = yield from send(Attempt("GET", path, REQUEST_TIMEOUT), policy, checkpoint_id)
    if answer.status == 200:
        return read_checkpoint(answer.body, f"GET {path}")
    raise failure_for(answer, f"Reading checkpoint {checkpoint_id}", checkpoint_id)


def cancel_flow(checkpoint_id: str, policy: RetryPolicy) -> Flow[Checkpoint]:
    path = checkpoint_path(checkpoint_id, "/cancel")
    attempt = Attempt("POST", path, REQUEST_TIMEOUT, body={})
    # After a lost answer, a 409 may be our own earlier attempt having succeeded, which only
    # a fresh read can tell; so the number of attempts matters here.
    stats = SendStats()
    answer = yield from send(attempt, policy, checkpoint_id, stats)
    if answer.status == 200:
        return read_checkpoint(answer.body, f"POST {path}")
    if answer.status == 409:
        if stats.attempts > 1:
            current = yield from get_flow(checkpoint_id, policy)
            if current.state == "cancelled":
                return current
        raise CheckpointConflictError(
            f"Checkpoint {checkpoint_id} cannot be cancelled: it has already finished",
            checkpoint_id=checkpoint_id,
            status=409,
            problem=problem_of(answer.body),
        )
    raise failure_for(answer, f"Cancelling checkpoint {checkpoint_id}", checkpoint_id)

"""Waiting for a person: long-poll until the checkpoint is terminal, then turn the outcome
into a typed answer or a typed error. Outages in between are ridden out by the retry
policy on the same checkpoint id, so a server restart mid-wait is invisible to the agent."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import ValidationError

from ._answers import failure_for
from ._checkpoints import checkpoint_path
from ._flow import Attempt, Flow, Pause
from ._retry import RetryPolicy, send
from .errors import (
    CheckpointCancelledError,
    CheckpointRejectedError,
    CheckpointResponseInvalidError,
    CheckpointTimeoutError,
)
from .models import Checkpoint, RespondedBy, read_checkpoint
from .schema import adapter_for, field_errors

T = TypeVar("T")

#: Seconds the server holds each long-poll; below typical proxy idle timeouts (30–60 s).
DEFAULT_WAIT_SECONDS = 25
# Slack on top of the server's hold before the client gives up on one poll as hung.
_POLL_GRACE = 15.0
# Floor between polls that come back unfinished, so a server that answers at once cannot
# turn the loop into a busy spin.
_MIN_POLL_INTERVAL = 1.0


@dataclass(frozen=True)
class WaitResult(Generic[T]):
    #: The answer, parsed by ``response_model``.
    response: T
    responded_by: RespondedBy | None
    checkpoint: Checkpoint


def settle(checkpoint: Checkpoint, response_model: Any) -> WaitResult[Any]:
    """Maps a terminal checkpoint to its answer, or to the error that says why there is none."""
    state = checkpoint.state
    if state == "resolved":
        return _parsed(checkpoint, response_model)
    if state == "expired":
        # An `on_timeout` default is the answer the agent asked to get when nobody replies.
        if checkpoint.response is not None:
            return _parsed(checkpoint, response_model)
        raise CheckpointTimeoutError(checkpoint)
    if state == "cancelled":
        raise CheckpointCancelledError(checkpoint)
    if state == "rejected":
        raise CheckpointRejectedError(checkpoint)
    raise ValueError(f"settle() called with non-terminal state {state}")


def _parsed(checkpoint: Checkpoint, response_model: Any) -> WaitResult[Any]:
    try:
        value = adapter_for(response_model).validate_python(checkpoint.response)
    except ValidationError as error:
        # from None: the chained ValidationError would print the answer into tracebacks and logs.
        raise CheckpointResponseInvalidError(checkpoint, field_errors(error)) from None
    return WaitResult(response=value, responded_by=checkpoint.responded_by, checkpoint=checkpoint)


def wait_flow(checkpoint_id: str, policy: RetryPolicy, wait_seconds: int = DEFAULT_WAIT_SECONDS) -> Flow[Checkpoint]:
    """Long-polls until the checkpoint is terminal and returns it."""
    if isinstance(wait_seconds, bool) or not isinstance(wait_seconds, int) or wait_seconds <= 0:
        raise ValueError("wait_seconds must be a whole number > 0")
    path = checkpoint_path(checkpoint_id, f"/wait?timeoutSeconds={wait_seconds}")
    attempt = Attempt("GET", path, wait_seconds + _POLL_GRACE)
    while True:
        started = time.monotonic()
        answer = yield from send(attempt, policy, checkpoint_id)
        if answer.status != 200:
            raise failure_for(answer, f"Waiting for checkpoint {checkpoint_id}", checkpoint_id)
        checkpoint = read_checkpoint(answer.body, f"GET {path}")
        if checkpoint.is_terminal:
            return checkpoint
        early = _MIN_POLL_INTERVAL - (time.monotonic() - started)
        if early > 0:
            yield Pause(early)

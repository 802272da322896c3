"""Every failure the SDK reports is a HoldpointError with a stable ``code``.

The codes are the TypeScript SDK's (sdk/errors.ts), so an agent, a log query or an alert
can branch on ``err.code`` the same way whichever language raised it, without parsing
messages. Structured fields (checkpoint id, HTTP status, the server's problem+json) carry
what an operator needs to find the checkpoint.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .models import Checkpoint

HoldpointErrorCode = Literal[
    "configuration_error",
    "invalid_duration",
    "unauthorized",
    "validation_failed",
    "not_found",
    "idempotency_conflict",
    "checkpoint_conflict",
    "request_failed",
    "protocol_error",
    "holdpoint_unavailable",
    "checkpoint_timeout",
    "checkpoint_cancelled",
    "checkpoint_rejected",
    "response_invalid",
    "webhook_verification_failed",
]

WebhookVerificationFailure = Literal[
    "missing_header",
    "invalid_timestamp",
    "timestamp_out_of_tolerance",
    "no_matching_signature",
    "invalid_secret",
    "invalid_payload",
]

#: One failing path of a problem+json ``errors`` list: ``{"path": "/payload/x", "message": …}``.
FieldError = dict[str, Any]
#: An RFC 9457 problem details body as the server sends it.
ProblemDetails = dict[str, Any]


class HoldpointError(Exception):
    """Base of every SDK error. ``code`` is stable; the message is for people."""

    code: HoldpointErrorCode

    def __init__(
        self,
        code: HoldpointErrorCode,
        message: str,
        *,
        checkpoint_id: str | None = None,
        status: int | None = None,
        problem: ProblemDetails | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.checkpoint_id = checkpoint_id
        #: HTTP status of the answer that caused this error, when there was one.
        self.status = status
        self.problem = problem


class HoldpointConfigError(HoldpointError):
    """No usable URL or token could be found, or a configuration source is malformed."""

    def __init__(self, message: str) -> None:
        super().__init__("configuration_error", message)


class InvalidDurationError(HoldpointError):
    def __init__(self, value: object, reason: str) -> None:
        super().__init__("invalid_duration", f"Invalid duration {value!r}: {reason}")
        self.input = value


class HoldpointAuthError(HoldpointError):
    """The server refused the bearer token (401). Retrying will not help."""

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__("unauthorized", message, **fields)


class CheckpointValidationError(HoldpointError):
    """The request failed validation: a server 422, or the SDK's own check before sending.

    ``errors`` holds one ``{"path", "message"}`` entry per failing JSON pointer, in the same
    shape whichever side found the problem.
    """

    def __init__(self, message: str, errors: Sequence[FieldError], **fields: Any) -> None:
        super().__init__("validation_failed", message, **fields)
        self.errors: list[FieldError] = list(errors)

    @property
    def paths(self) -> list[str]:
        """The failing JSON pointers, e.g. ``["/response/approved"]``."""
        return [str(e.get("path", e.get("pointer", "?"))) for e in self.errors]


class CheckpointNotFoundError(HoldpointError):
    def __init__(self, checkpoint_id: str, **fields: Any) -> None:
        super().__init__(
            "not_found", f"Checkpoint {checkpoint_id} does not exist", checkpoint_id=checkpoint_id, **fields
        )


class IdempotencyConflictError(HoldpointError):
    """The idempotency key was already used for a create with a different body (409)."""

    def __init__(self, idempotency_key: str, **fields: Any) -> None:
        super().__init__(
            "idempotency_conflict",
            f"Idempotency key {idempotency_key} was already used to create a checkpoint with a different body",
            **fields,
        )
        self.idempotency_key = idempotency_key


class CheckpointConflictError(HoldpointError):
    """The checkpoint's state does not allow the operation (409), e.g. cancelling a finished one."""

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__("checkpoint_conflict", message, **fields)


class HoldpointRequestError(HoldpointError):
    """An answer the SDK has no specific meaning for (e.g. 400, 403, 413)."""

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__("request_failed", message, **fields)


class HoldpointProtocolError(HoldpointError):
    """The server answered 2xx with a body that is not what the contract promises."""

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__("protocol_error", message, **fields)


class HoldpointUnavailableError(HoldpointError):
    """The server stayed unreachable (network errors, 5xx) for longer than ``unavailable_after``."""

    def __init__(self, unavailable_for: float, **fields: Any) -> None:
        checkpoint_id = fields.get("checkpoint_id")
        where = "" if checkpoint_id is None else f" while handling checkpoint {checkpoint_id}"
        super().__init__(
            "holdpoint_unavailable", f"Holdpoint was unreachable for {round(unavailable_for)}s{where}", **fields
        )
        #: Seconds of continuous failure before giving up.
        self.unavailable_for = unavailable_for


class CheckpointEndedError(HoldpointError):
    """Base of the errors saying how a checkpoint ended when it ended without a usable answer."""

    def __init__(self, code: HoldpointErrorCode, message: str, checkpoint: Checkpoint) -> None:
        super().__init__(code, message, checkpoint_id=checkpoint.id)
        self.checkpoint = checkpoint


class CheckpointTimeoutError(CheckpointEndedError):
    def __init__(self, checkpoint: Checkpoint) -> None:
        super().__init__("checkpoint_timeout", f"Checkpoint {checkpoint.id} expired without an answer", checkpoint)


class CheckpointCancelledError(CheckpointEndedError):
    def __init__(self, checkpoint: Checkpoint) -> None:
        super().__init__("checkpoint_cancelled", f"Checkpoint {checkpoint.id} was cancelled", checkpoint)


class CheckpointRejectedError(CheckpointEndedError):
    """Verification rejected every answer until its attempts ran out."""

    def __init__(self, checkpoint: Checkpoint) -> None:
        super().__init__("checkpoint_rejected", f"Checkpoint {checkpoint.id} was rejected by verification", checkpoint)


class CheckpointResponseInvalidError(CheckpointEndedError):
    """The server accepted an answer the agent's own model refuses.

    A validator JSON Schema cannot express, or a model changed between create and answer.
    ``errors`` uses the same ``{"path", "message"}`` shape as CheckpointValidationError.
    """

    def __init__(self, checkpoint: Checkpoint, errors: Sequence[FieldError]) -> None:
        first = errors[0] if errors else None
        detail = "" if first is None else f": {first.get('path') or '(root)'} {first.get('message', '')}"
        super().__init__(
            "response_invalid", f"Checkpoint {checkpoint.id} answer does not match response_model{detail}", checkpoint
        )
        self.errors: list[FieldError] = list(errors)
        self.response: Any = checkpoint.response


class WebhookVerificationError(HoldpointError):
    def __init__(self, reason: WebhookVerificationFailure, message: str) -> None:
        super().__init__("webhook_verification_failed", message)
        self.reason: WebhookVerificationFailure = reason


def problem_of(body: object) -> ProblemDetails | None:
    return dict(body) if isinstance(body, Mapping) else None

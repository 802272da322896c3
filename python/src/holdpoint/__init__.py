"""Holdpoint: a durable human checkpoint for AI agents. The Python SDK.

Everything an agent may rely on is exported here; underscore modules are free to change.
The LangGraph helpers live in ``holdpoint.langgraph`` so that importing ``holdpoint`` never
needs LangGraph installed.
"""

from ._retry import DEFAULT_RETRY_POLICY, RetryPolicy
from ._wait import DEFAULT_WAIT_SECONDS, WaitResult
from .client import (
    await_human,
    await_human_async,
    cancel_checkpoint,
    cancel_checkpoint_async,
    create_checkpoint,
    create_checkpoint_async,
    get_checkpoint,
    get_checkpoint_async,
    wait_for_checkpoint,
    wait_for_checkpoint_async,
)
from .config import DEFAULT_URL, DevFile, ResolvedConfig, read_dev_file, resolve_config
from .duration import Duration, parse_duration
from .errors import (
    CheckpointCancelledError,
    CheckpointConflictError,
    CheckpointEndedError,
    CheckpointNotFoundError,
    CheckpointRejectedError,
    CheckpointResponseInvalidError,
    CheckpointTimeoutError,
    CheckpointValidationError,
    HoldpointAuthError,
    HoldpointConfigError,
    HoldpointError,
    HoldpointErrorCode,
    HoldpointProtocolError,
    HoldpointRequestError,
    HoldpointUnavailableError,
    IdempotencyConflictError,
    InvalidDurationError,
    WebhookVerificationError,
    WebhookVerificationFailure,
)
from .models import Checkpoint, CheckpointState, RespondedBy, ResumeData, ResumeEvent, is_terminal_state
from .resume_outcome import outcome_of
from .schema import to_json_schema
from .webhook import sign_webhook, verify_webhook, webhook_headers

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_RETRY_POLICY",
    "DEFAULT_URL",
    "DEFAULT_WAIT_SECONDS",
    "Checkpoint",
    "CheckpointCancelledError",
    "CheckpointConflictError",
    "CheckpointEndedError",
    "CheckpointNotFoundError",
    "CheckpointRejectedError",
    "CheckpointResponseInvalidError",
    "CheckpointState",
    "CheckpointTimeoutError",
    "CheckpointValidationError",
    "DevFile",
    "Duration",
    "HoldpointAuthError",
    "HoldpointConfigError",
    "HoldpointError",
    "HoldpointErrorCode",
    "HoldpointProtocolError",
    "HoldpointRequestError",
    "HoldpointUnavailableError",
    "IdempotencyConflictError",
    "InvalidDurationError",
    "ResolvedConfig",
    "RespondedBy",
    "ResumeData",
    "ResumeEvent",
    "RetryPolicy",
    "WaitResult",
    "WebhookVerificationError",
    "WebhookVerificationFailure",
    "await_human",
    "await_human_async",
    "cancel_checkpoint",
    "cancel_checkpoint_async",
    "create_checkpoint",
    "create_checkpoint_async",
    "get_checkpoint",
    "get_checkpoint_async",
    "is_terminal_state",
    "outcome_of",
    "parse_duration",
    "read_dev_file",
    "resolve_config",
    "sign_webhook",
    "to_json_schema",
    "verify_webhook",
    "wait_for_checkpoint",
    "wait_for_checkpoint_async",
    "webhook_headers",
]

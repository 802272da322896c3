"""The wire shapes of api.md as the agent sees them.

Only what the SDK acts on is required; everything else is optional and unknown fields are
kept (``extra="allow"``), so a server adding fields never breaks an older agent, and a 2xx
body that is not a checkpoint at all (a proxy's HTML page) fails loudly in one place.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel

from .errors import HoldpointProtocolError

CheckpointState = Literal["pending", "delivered", "claimed", "verified", "resolved", "expired", "cancelled", "rejected"]
TerminalState = Literal["resolved", "expired", "cancelled", "rejected"]
TERMINAL_STATES: frozenset[str] = frozenset({"resolved", "expired", "cancelled", "rejected"})


def is_terminal_state(state: str) -> bool:
    # A state this SDK does not know is read as "still open": waiting longer is the safe
    # reading of a newer server, where guessing an outcome is not.
    return state in TERMINAL_STATES


class _Wire(BaseModel):
    # camelCase on the wire, snake_case in Python; both accepted when building by hand.
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")


def _dict_or_empty(value: object) -> object:
    # The contract allows `metadata: null`; agents should not have to check for it.
    return {} if value is None else value


class RespondedBy(_Wire):
    """Who answered, as recorded by the channel that took the answer."""

    channel: str
    actor: str
    name: str | None = None


class Links(_Wire):
    dashboard: str


class Checkpoint(_Wire):
    """A checkpoint as returned by create, ``GET /v1/checkpoints/:id`` and ``/wait``."""

    id: str = Field(min_length=1)
    #: A known state, or a newer server's state this SDK does not know (treated as open).
    state: str = Field(min_length=1)
    task: str = ""
    payload: Any = None
    response_schema: dict[str, Any] = Field(default_factory=dict)
    response: Any = None
    responded_by: RespondedBy | None = None
    created_at: str | None = None
    updated_at: str | None = None
    expires_at: str | None = None
    links: Links
    metadata: dict[str, Any] = Field(default_factory=dict)

    _metadata = field_validator("metadata", mode="before")(_dict_or_empty)

    @property
    def is_terminal(self) -> bool:
        return is_terminal_state(self.state)


def describe_without_values(error: ValidationError) -> str:
    """A ValidationError's paths and messages without the offending values: those may be
    payloads or answers, which must not end up in logs."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in error.errors(include_input=False)
    )


def read_checkpoint(body: object, what: str) -> Checkpoint:
    try:
        return Checkpoint.model_validate(body)
    except ValidationError as error:
        raise HoldpointProtocolError(f"{what} did not return a checkpoint: {describe_without_values(error)}") from None


ResumeEventType = Literal["checkpoint.resolved", "checkpoint.expired", "checkpoint.cancelled", "checkpoint.rejected"]


class ResumeData(_Wire):
    checkpoint_id: str
    state: TerminalState
    response: Any = None
    responded_by: RespondedBy | None = None
    idempotency_key: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    _metadata = field_validator("metadata", mode="before")(_dict_or_empty)


class ResumeEvent(_Wire):
    """The body of a resume webhook (api.md "Resume webhook")."""

    type: ResumeEventType
    timestamp: str
    data: ResumeData

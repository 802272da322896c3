"""What every resume path does with the event Holdpoint sent: turn it into the typed
answer, or into the same typed error ``await_human`` would raise. Shared so an agent sees
one behaviour whether it was woken by a webhook, LangGraph or by waiting."""

from __future__ import annotations

from typing import Any, TypeVar

from ._wait import WaitResult, settle
from .models import Checkpoint, Links, ResumeData, ResumeEvent

T = TypeVar("T")


def checkpoint_of(data: ResumeData) -> Checkpoint:
    """A checkpoint as far as the resume tells it. Errors carry it as ``error.checkpoint``;
    fields a resume does not carry (task, schemas, links) are empty rather than invented."""
    return Checkpoint(
        id=data.checkpoint_id,
        state=data.state,
        response=data.response,
        responded_by=data.responded_by,
        links=Links(dashboard=""),
        metadata=data.metadata,
    )


def outcome_of(event: ResumeEvent | ResumeData, response_model: type[T]) -> WaitResult[T]:
    """The answer parsed by ``response_model``, or a CheckpointEndedError subclass saying why there is none."""
    data = event.data if isinstance(event, ResumeEvent) else event
    result: WaitResult[Any] = settle(checkpoint_of(data), response_model)
    return result

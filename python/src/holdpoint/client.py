"""The public calls, each in a blocking and an asyncio flavour.

Both flavours run the same flows (see _flow.py); the parameter lists are spelled out in
full rather than hidden behind ``**kwargs`` so editors and type checkers can help.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import httpx

from ._checkpoints import Question, cancel_flow, create_flow, get_flow
from ._connection import Connection, connect
from ._flow import run_async, run_sync
from ._wait import DEFAULT_WAIT_SECONDS, WaitResult, settle, wait_flow
from .duration import Duration
from .models import Checkpoint

T = TypeVar("T")

OnCreated = Callable[[Checkpoint], None | Awaitable[None]]


def _sync(flow: Any, conn: Connection) -> Any:
    return run_sync(flow, conn.config, conn.sync_transport())


async def _async(flow: Any, conn: Connection) -> Any:
    return await run_async(flow, conn.config, conn.async_transport())


# ---------------------------------------------------------------------------------------
# await_human: ask, block until a person answers, get a typed value.


def await_human(
    task: str,
    *,
    response_model: type[T],
    payload: Any = None,
    payload_model: Any = None,
    notify: Sequence[str] | None = None,
    assign_to: Sequence[str] | None = None,
    timeout: Duration | None = None,
    on_timeout: T | Mapping[str, Any] | None = None,
    escalation: Sequence[Mapping[str, Any]] | None = None,
    reminders: Mapping[str, Any] | None = None,
    quorum: Mapping[str, Any] | None = None,
    verify: Mapping[str, Any] | None = None,
    pick: str | None = None,
    redact: bool | None = None,
    resume: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    idempotency_key: str | None = None,
    on_created: Callable[[Checkpoint], None] | None = None,
    wait_seconds: int = DEFAULT_WAIT_SECONDS,
    url: str | None = None,
    token: str | None = None,
    unavailable_after: float | None = None,
    transport: httpx.BaseTransport | None = None,
) -> T:
    """Asks a person ``task`` and returns their answer parsed by ``response_model``.

    ``response_model`` (a pydantic model or any type pydantic can validate) is sent as the
    JSON Schema every answer is checked against. ``timeout`` is seconds, a ``timedelta`` or
    ``"15m"``; ``on_timeout`` is the answer returned when nobody replies in time (without
    it, CheckpointTimeoutError). Survives server restarts and outages shorter than
    ``unavailable_after`` seconds (default 300): the create is retried under one idempotency
    key and the wait resumes on the same checkpoint. Every other outcome raises a
    HoldpointError subclass.
    """
    question = Question(
        task=task, response_model=response_model, payload=payload, payload_model=payload_model, notify=notify,
        assign_to=assign_to, timeout=timeout, on_timeout=on_timeout, escalation=escalation, reminders=reminders,
        quorum=quorum, verify=verify, pick=pick, redact=redact, resume=resume, metadata=metadata,
        idempotency_key=idempotency_key,
    )  # fmt: skip
    conn = connect(url, token, unavailable_after, transport)
    checkpoint: Checkpoint = _sync(create_flow(question, conn.policy), conn)
    if on_created is not None:
        on_created(checkpoint)
    finished: Checkpoint = _sync(wait_flow(checkpoint.id, conn.policy, wait_seconds), conn)
    return settle(finished, response_model).response  # type: ignore[no-any-return]


async def await_human_async(
    task: str,
    *,
    response_model: type[T],
    payload: Any = None,
    payload_model: Any = None,
    notify: Sequence[str] | None = None,
    assign_to: Sequence[str] | None = None,
    timeout: Duration | None = None,
    on_timeout: T | Mapping[str, Any] | None = None,
    escalation: Sequence[Mapping[str, Any]] | None = None,
    reminders: Mapping[str, Any] | None = None,
    quorum: Mapping[str, Any] | None = None,
    verify: Mapping[str, Any] | None = None,
    pick: str | None = None,
    redact: bool | None = None,
    resume: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    idempotency_key: str | None = None,
    on_created: OnCreated | None = None,
    wait_seconds: int = DEFAULT_WAIT_SECONDS,
    url: str | None = None,
    token: str | None = None,
    unavailable_after: float | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> T:
    """``await_human`` for asyncio: the same behaviour, without blocking the event loop.
    Cancelling the task stops waiting; the checkpoint itself stays open (cancel it with
    ``cancel_checkpoint_async`` if no one should answer any more)."""
    question = Question(
        task=task, response_model=response_model, payload=payload, payload_model=payload_model, notify=notify,
        assign_to=assign_to, timeout=timeout, on_timeout=on_timeout, escalation=escalation, reminders=reminders,
        quorum=quorum, verify=verify, pick=pick, redact=redact, resume=resume, metadata=metadata,
        idempotency_key=idempotency_key,
    )  # fmt: skip
    conn = connect(url, token, unavailable_after, transport)
    checkpoint: Checkpoint = await _async(create_flow(question, conn.policy), conn)
    if on_created is not None:
        outcome = on_created(checkpoint)
        if inspect.isawaitable(outcome):
            await outcome
    finished: Checkpoint = await _async(wait_flow(checkpoint.id, conn.policy, wait_seconds), conn)
    return settle(finished, response_model).response  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------------------
# create_checkpoint: for durable flows that resume through `resume` (webhook, LangGraph,
# queue, ...) rather than by waiting in-process.


def create_checkpoint(
    task: str,
    *,
    response_model: Any,
    payload: Any = None,
    payload_model: Any = None,
    notify: Sequence[str] | None = None,
    assign_to: Sequence[str] | None = None,
    timeout: Duration | None = None,
    on_timeout: Any = None,
    escalation: Sequence[Mapping[str, Any]] | None = None,
    reminders: Mapping[str, Any] | None = None,
    quorum: Mapping[str, Any] | None = None,
    verify: Mapping[str, Any] | None = None,
    pick: str | None = None,
    redact: bool | None = None,
    resume: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    idempotency_key: str | None = None,
    url: str | None = None,
    token: str | None = None,
    unavailable_after: float | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Checkpoint:
    """Creates a checkpoint and returns it at once. Retried safely: the same
    ``idempotency_key`` (generated once per call when not given) replays the original."""
    question = Question(
        task=task, response_model=response_model, payload=payload, payload_model=payload_model, notify=notify,
        assign_to=assign_to, timeout=timeout, on_timeout=on_timeout, escalation=escalation, reminders=reminders,
        quorum=quorum, verify=verify, pick=pick, redact=redact, resume=resume, metadata=metadata,
        idempotency_key=idempotency_key,
    )  # fmt: skip
    conn = connect(url, token, unavailable_after, transport)
    return _sync(create_flow(question, conn.policy), conn)  # type: ignore[no-any-return]


async def create_checkpoint_async(
    task: str,
    *,
    response_model: Any,
    payload: Any = None,
    payload_model: Any = None,
    notify: Sequence[str] | None = None,
    assign_to: Sequence[str] | None = None,
    timeout: Duration | None = None,
    on_timeout: Any = None,
    escalation: Sequence[Mapping[str, Any]] | None = None,
    reminders: Mapping[str, Any] | None = None,
    quorum: Mapping[str, Any] | None = None,
    verify: Mapping[str, Any] | None = None,
    pick: str | None = None,
    redact: bool | None = None,
    resume: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    idempotency_key: str | None = None,
    url: str | None = None,
    token: str | None = None,
    unavailable_after: float | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Checkpoint:
    question = Question(
        task=task, response_model=response_model, payload=payload, payload_model=payload_model, notify=notify,
        assign_to=assign_to, timeout=timeout, on_timeout=on_timeout, escalation=escalation, reminders=reminders,
        quorum=quorum, verify=verify, pick=pick, redact=redact, resume=resume, metadata=metadata,
        idempotency_key=idempotency_key,
    )  # fmt: skip
    conn = connect(url, token, unavailable_after, transport)
    return await _async(create_flow(question, conn.policy), conn)  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------------------
# Reading, waiting on and cancelling an existing checkpoint.


def wait_for_checkpoint(
    checkpoint_id: str,
    *,
    response_model: type[T],
    wait_seconds: int = DEFAULT_WAIT_SECONDS,
    url: str | None = None,
    token: str | None = None,
    unavailable_after: float | None = None,
    transport: httpx.BaseTransport | None = None,
) -> WaitResult[T]:
    """Waits until the checkpoint finishes and returns its typed answer with who gave it.
    Raises CheckpointTimeoutError, CheckpointCancelledError, CheckpointRejectedError or
    CheckpointResponseInvalidError when it finished without a usable answer."""
    conn = connect(url, token, unavailable_after, transport)
    finished: Checkpoint = _sync(wait_flow(checkpoint_id, conn.policy, wait_seconds), conn)
    return settle(finished, response_model)


async def wait_for_checkpoint_async(
    checkpoint_id: str,
    *,
    response_model: type[T],
    wait_seconds: int = DEFAULT_WAIT_SECONDS,
    url: str | None = None,
    token: str | None = None,
    unavailable_after: float | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> WaitResult[T]:
    conn = connect(url, token, unavailable_after, transport)
    finished: Checkpoint = await _async(wait_flow(checkpoint_id, conn.policy, wait_seconds), conn)
    return settle(finished, response_model)


def get_checkpoint(
    checkpoint_id: str,
    *,
    url: str | None = None,
    token: str | None = None,
    unavailable_after: float | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Checkpoint:
    conn = connect(url, token, unavailable_after, transport)
    return _sync(get_flow(checkpoint_id, conn.policy), conn)  # type: ignore[no-any-return]


async def get_checkpoint_async(
    checkpoint_id: str,
    *,
    url: str | None = None,
    token: str | None = None,
    unavailable_after: float | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Checkpoint:
    conn = connect(url, token, unavailable_after, transport)
    return await _async(get_flow(checkpoint_id, conn.policy), conn)  # type: ignore[no-any-return]


def cancel_checkpoint(
    checkpoint_id: str,
    *,
    url: str | None = None,
    token: str | None = None,
    unavailable_after: float | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Checkpoint:
    """Cancels a checkpoint; CheckpointConflictError if it had already finished."""
    conn = connect(url, token, unavailable_after, transport)
    return _sync(cancel_flow(checkpoint_id, conn.policy), conn)  # type: ignore[no-any-return]


async def cancel_checkpoint_async(
    checkpoint_id: str,
    *,
    url: str | None = None,
    token: str | None = None,
    unavailable_after: float | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Checkpoint:
    conn = connect(url, token, unavailable_after, transport)
    return await _async(cancel_flow(checkpoint_id, conn.policy), conn)  # type: ignore[no-any-return]

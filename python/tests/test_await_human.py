"""await_human and friends against a real Holdpoint: answers, timeouts, cancels, errors."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime, timedelta
from queue import Queue
from typing import Any, TypeVar

import pytest
from pydantic import BaseModel, field_validator

from holdpoint import (
    Checkpoint,
    CheckpointCancelledError,
    CheckpointConflictError,
    CheckpointNotFoundError,
    CheckpointResponseInvalidError,
    CheckpointTimeoutError,
    CheckpointValidationError,
    HoldpointAuthError,
    await_human,
    await_human_async,
    cancel_checkpoint,
    cancel_checkpoint_async,
    create_checkpoint,
    get_checkpoint,
    wait_for_checkpoint,
)
from support.server import Holdpoint

T = TypeVar("T")


class Decision(BaseModel):
    approved: bool
    note: str | None = None


class Refund(BaseModel):
    amount_usd: float
    customer_id: str


def in_background(call: Callable[..., T], **kwargs: Any) -> tuple[Future[T], Queue[Checkpoint]]:
    """Runs a blocking SDK call in a thread; its created checkpoint arrives on the queue."""
    created: Queue[Checkpoint] = Queue()
    future: Future[T] = Future()

    def run() -> None:
        try:
            future.set_result(call(on_created=created.put, **kwargs))
        except BaseException as error:  # handed to the test through the future
            future.set_exception(error)

    # A daemon thread, so a failed test cannot keep the interpreter alive while the call
    # rides out the (by then stopped) server for its whole unavailability window.
    threading.Thread(target=run, daemon=True).start()
    return future, created


def test_typed_answer_round_trip(holdpoint: Holdpoint) -> None:
    future, created = in_background(
        await_human,
        task="Approve a $250 refund for cus_42?",
        payload=Refund(amount_usd=250, customer_id="cus_42"),
        response_model=Decision,
        timeout="15m",
        url=holdpoint.url,
        token=holdpoint.token,
    )
    checkpoint = created.get(timeout=15)
    stored = holdpoint.api("GET", f"/v1/checkpoints/{checkpoint.id}").json()
    assert stored["responseSchema"]["required"] == ["approved"]
    assert stored["payload"] == {"amount_usd": 250, "customer_id": "cus_42"}
    expires = datetime.fromisoformat(stored["expiresAt"].replace("Z", "+00:00"))
    created_at = datetime.fromisoformat(stored["createdAt"].replace("Z", "+00:00"))
    assert expires - created_at == timedelta(minutes=15)

    started = time.monotonic()
    assert holdpoint.answer(checkpoint.id, {"approved": True, "note": "ok"}).status_code == 200
    decision = future.result(timeout=15)
    assert decision == Decision(approved=True, note="ok")
    assert isinstance(decision, Decision)
    # woken by the server's pub/sub, not by the 25 s long-poll running out
    assert time.monotonic() - started < 5


async def test_async_round_trip_with_timedelta(holdpoint: Holdpoint) -> None:
    ids: asyncio.Queue[str] = asyncio.Queue()

    async def on_created(checkpoint: Checkpoint) -> None:
        await ids.put(checkpoint.id)

    task = asyncio.create_task(
        await_human_async(
            task="Ship it?",
            response_model=Decision,
            timeout=timedelta(minutes=5),
            on_created=on_created,
            url=holdpoint.url,
            token=holdpoint.token,
        )
    )
    checkpoint_id = await asyncio.wait_for(ids.get(), 15)
    stored = holdpoint.api("GET", f"/v1/checkpoints/{checkpoint_id}").json()
    assert stored["expiresAt"] is not None
    # The blocking API call below runs in a thread so the event loop keeps polling.
    await asyncio.to_thread(holdpoint.answer, checkpoint_id, {"approved": False})
    assert await asyncio.wait_for(task, 15) == Decision(approved=False)


def test_server_refuses_an_invalid_answer_and_keeps_waiting(holdpoint: Holdpoint) -> None:
    future, created = in_background(
        await_human, task="Typed answers only", response_model=Decision, url=holdpoint.url, token=holdpoint.token
    )
    checkpoint = created.get(timeout=15)
    refused = holdpoint.answer(checkpoint.id, {"approved": "yes"})
    assert refused.status_code == 422
    assert [e["path"] for e in refused.json()["errors"]] == ["/response/approved"]
    assert not future.done()
    holdpoint.answer(checkpoint.id, {"approved": True})
    assert future.result(timeout=15).approved is True


def test_server_422_becomes_validation_error_with_paths(holdpoint: Holdpoint) -> None:
    with pytest.raises(CheckpointValidationError) as caught:
        create_checkpoint(
            task="Who hears about this?",
            response_model=Decision,
            notify=["carrier-pigeon:bob"],
            url=holdpoint.url,
            token=holdpoint.token,
        )
    error = caught.value
    assert error.code == "validation_failed"
    assert error.status == 422
    assert any(path.startswith("/notify") for path in error.paths), error.errors


def test_local_validation_names_each_failing_path(holdpoint: Holdpoint) -> None:
    with pytest.raises(CheckpointValidationError) as caught:
        create_checkpoint(
            task="Refund?",
            payload={"amount_usd": "a lot"},
            payload_model=Refund,
            response_model=Decision,
            url=holdpoint.url,
            token=holdpoint.token,
        )
    assert caught.value.paths == ["/payload/amount_usd", "/payload/customer_id"]
    assert caught.value.status is None  # found before anything was sent

    with pytest.raises(CheckpointValidationError) as caught:
        create_checkpoint(
            task="Refund?",
            response_model=Decision,
            on_timeout={"approved": "maybe"},
            url=holdpoint.url,
            token=holdpoint.token,
        )
    assert caught.value.paths == ["/onTimeout/response/approved"]


def test_answer_the_model_refuses_is_response_invalid(holdpoint: Holdpoint) -> None:
    class Strict(BaseModel):
        approved: bool
        note: str

        @field_validator("note")
        @classmethod
        def must_say_why(cls, value: str) -> str:
            # A rule JSON Schema does not carry to the server: only the SDK can catch it.
            if len(value.split()) < 2:
                raise ValueError("say why in a few words")
            return value

    future, created = in_background(
        await_human, task="Explain yourself", response_model=Strict, url=holdpoint.url, token=holdpoint.token
    )
    checkpoint = created.get(timeout=15)
    holdpoint.answer(checkpoint.id, {"approved": True, "note": "ok"})
    with pytest.raises(CheckpointResponseInvalidError) as caught:
        future.result(timeout=15)
    assert caught.value.code == "response_invalid"
    assert caught.value.errors[0]["path"] == "/note"
    assert caught.value.response == {"approved": True, "note": "ok"}


def test_timeout_without_default_raises(holdpoint: Holdpoint) -> None:
    with pytest.raises(CheckpointTimeoutError) as caught:
        await_human(
            task="Nobody will answer", response_model=Decision, timeout="2s", url=holdpoint.url, token=holdpoint.token
        )
    assert caught.value.code == "checkpoint_timeout"
    assert caught.value.checkpoint.state == "expired"


def test_timeout_with_default_returns_it(holdpoint: Holdpoint) -> None:
    decision = await_human(
        task="Nobody will answer either",
        response_model=Decision,
        timeout=2,
        on_timeout=Decision(approved=False, note="no answer in time"),
        url=holdpoint.url,
        token=holdpoint.token,
    )
    assert decision == Decision(approved=False, note="no answer in time")


def test_cancel_wakes_the_waiter_with_a_typed_error(holdpoint: Holdpoint) -> None:
    future, created = in_background(
        await_human, task="Will be cancelled", response_model=Decision, url=holdpoint.url, token=holdpoint.token
    )
    checkpoint = created.get(timeout=15)
    cancelled = cancel_checkpoint(checkpoint.id, url=holdpoint.url, token=holdpoint.token)
    assert cancelled.state == "cancelled"
    with pytest.raises(CheckpointCancelledError) as caught:
        future.result(timeout=15)
    assert caught.value.code == "checkpoint_cancelled"
    assert caught.value.checkpoint_id == checkpoint.id
    with pytest.raises(CheckpointConflictError) as again:
        cancel_checkpoint(checkpoint.id, url=holdpoint.url, token=holdpoint.token)
    assert again.value.code == "checkpoint_conflict"


async def test_async_cancel_and_wait(holdpoint: Holdpoint) -> None:
    checkpoint = create_checkpoint(
        task="Cancelled from asyncio", response_model=Decision, url=holdpoint.url, token=holdpoint.token
    )
    await cancel_checkpoint_async(checkpoint.id, url=holdpoint.url, token=holdpoint.token)
    with pytest.raises(CheckpointCancelledError):
        wait_for_checkpoint(checkpoint.id, response_model=Decision, url=holdpoint.url, token=holdpoint.token)


def test_wait_for_checkpoint_reports_who_answered(holdpoint: Holdpoint) -> None:
    checkpoint = create_checkpoint(
        task="Durable flow",
        response_model=Decision,
        metadata={"runId": "run_7"},
        url=holdpoint.url,
        token=holdpoint.token,
    )
    assert checkpoint.state in ("pending", "delivered")
    assert checkpoint.links.dashboard.endswith(checkpoint.id)
    holdpoint.answer(checkpoint.id, {"approved": True}, actor="ana")
    result = wait_for_checkpoint(checkpoint.id, response_model=Decision, url=holdpoint.url, token=holdpoint.token)
    assert result.response == Decision(approved=True)
    assert result.responded_by is not None and "ana" in (result.responded_by.actor, result.responded_by.name)
    assert result.checkpoint.metadata == {"runId": "run_7"}
    assert get_checkpoint(checkpoint.id, url=holdpoint.url, token=holdpoint.token).state == "resolved"


def test_unknown_checkpoint_and_bad_token(holdpoint: Holdpoint) -> None:
    with pytest.raises(CheckpointNotFoundError) as missing:
        get_checkpoint("cp_doesnotexist0000000000", url=holdpoint.url, token=holdpoint.token)
    assert missing.value.code == "not_found"
    with pytest.raises(HoldpointAuthError) as refused:
        get_checkpoint("cp_whatever", url=holdpoint.url, token="not-a-token")
    assert refused.value.code == "unauthorized"
    assert refused.value.status == 401
    assert "not-a-token" not in str(refused.value)

"""A real LangGraph graph (in-memory checkpointer) asks through Holdpoint, pauses on
interrupt(), and is resumed by Holdpoint's signed webhook exactly once."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from queue import Empty
from typing import Any, TypedDict

import pytest
from pydantic import BaseModel

from holdpoint import CheckpointCancelledError, webhook_headers
from support.receiver import Delivery, WebhookReceiver
from support.server import Holdpoint

langgraph = pytest.importorskip("langgraph")

from langgraph.checkpoint.memory import InMemorySaver  # noqa: E402
from langgraph.graph import END, START, StateGraph  # noqa: E402

from holdpoint.langgraph import (  # noqa: E402
    LangGraphResumeReceiver,
    ask_human_in_node,
    ask_human_in_node_async,
    interrupt_checkpoint_id,
)


class Decision(BaseModel):
    approved: bool
    note: str | None = None


class RefundState(TypedDict, total=False):
    amount_usd: float
    decision: dict[str, Any]
    outcome: str


class Harness:
    """A refund graph, the receiver that resumes it, and a local webhook endpoint."""

    def __init__(self, holdpoint: Holdpoint, *, asynchronous: bool = False) -> None:
        self.asks = 0
        self.applied: list[str] = []
        self.errors: list[BaseException] = []
        # An async graph is resumed through handle_async on the test's own event loop.
        self.loop = asyncio.get_running_loop() if asynchronous else None
        self.endpoint = WebhookReceiver(self._deliver)
        resume = {"webhook": {"url": self.endpoint.url}}

        def review(state: RefundState) -> RefundState:
            self.asks += 1  # counts executions: LangGraph re-runs the node on resume
            decision = ask_human_in_node(
                f"Refund ${state['amount_usd']}?",
                response_model=Decision,
                resume=resume,
                payload={"amountUsd": state["amount_usd"]},
                url=holdpoint.url,
                token=holdpoint.token,
            )
            return {"decision": decision.model_dump()}

        async def review_async(state: RefundState) -> RefundState:
            self.asks += 1
            decision = await ask_human_in_node_async(
                f"Refund ${state['amount_usd']}?",
                response_model=Decision,
                resume=resume,
                url=holdpoint.url,
                token=holdpoint.token,
            )
            return {"decision": decision.model_dump()}

        def apply(state: RefundState) -> RefundState:
            outcome = "refunded" if state["decision"]["approved"] else "declined"
            self.applied.append(outcome)
            return {"outcome": outcome}

        builder = StateGraph(RefundState)
        builder.add_node("review", review_async if asynchronous else review)
        builder.add_node("apply", apply)
        builder.add_edge(START, "review")
        builder.add_edge("review", "apply")
        builder.add_edge("apply", END)
        self.graph = builder.compile(checkpointer=InMemorySaver())
        self.receiver = LangGraphResumeReceiver(
            self.graph, holdpoint.webhook_secret, on_error=lambda error, _event: self.errors.append(error)
        )

    def _deliver(self, delivery: Delivery) -> tuple[int, bytes]:
        if self.loop is not None:
            pending = self.receiver.handle_async(delivery.headers, delivery.body)
            answer = asyncio.run_coroutine_threadsafe(pending, self.loop).result(timeout=20)
        else:
            answer = self.receiver.handle(delivery.headers, delivery.body)
        return answer.status, json.dumps(answer.body).encode()

    def close(self) -> None:
        self.endpoint.close()


@pytest.fixture
def harness(holdpoint: Holdpoint) -> Iterator[Harness]:
    h = Harness(holdpoint)
    yield h
    h.close()


def test_graph_is_interrupted_and_resumed_by_the_webhook_exactly_once(holdpoint: Holdpoint, harness: Harness) -> None:
    config: Any = {"configurable": {"thread_id": f"thread-{time.time_ns()}"}}
    paused = harness.graph.invoke({"amount_usd": 250}, config)
    interrupts = paused["__interrupt__"]
    assert len(interrupts) == 1
    checkpoint_id = interrupt_checkpoint_id(interrupts[0].value)
    assert checkpoint_id is not None and checkpoint_id.startswith("cp_")
    stored = holdpoint.api("GET", f"/v1/checkpoints/{checkpoint_id}").json()
    assert stored["metadata"]["langgraph"]["node"] == "review"
    assert harness.applied == []

    assert holdpoint.answer(checkpoint_id, {"approved": True, "note": "duplicate charge"}).status_code == 200
    delivery = harness.endpoint.deliveries.get(timeout=20)
    assert harness.receiver.wait_idle(timeout=20)
    assert harness.errors == []

    state = harness.graph.get_state(config)
    assert state.next == ()
    assert state.values["decision"] == {"approved": True, "note": "duplicate charge"}
    assert state.values["outcome"] == "refunded"
    assert harness.applied == ["refunded"]
    # The node ran twice (ask, then resume) but created one checkpoint: the replayed create
    # carried the same thread/node/step/index idempotency key.
    assert harness.asks == 2
    thread_id = config["configurable"]["thread_id"]
    listed = holdpoint.api("GET", "/v1/checkpoints?limit=100").json()["items"]
    asked = [c["id"] for c in listed if (c.get("metadata") or {}).get("langgraph", {}).get("threadId") == thread_id]
    assert asked == [checkpoint_id]

    # A redelivery (Holdpoint retries reuse the webhook-id) changes nothing.
    again = harness.receiver.handle(delivery.headers, delivery.body)
    assert (again.status, again.outcome) == (200, "already-resumed")
    assert harness.receiver.wait_idle(timeout=5)
    assert harness.applied == ["refunded"]
    # Holdpoint had its 2xx: it does not deliver again.
    with pytest.raises(Empty):
        harness.endpoint.deliveries.get(timeout=1.5)


def test_forged_webhook_does_not_touch_the_graph(harness: Harness) -> None:
    config: Any = {"configurable": {"thread_id": f"thread-{time.time_ns()}"}}
    harness.graph.invoke({"amount_usd": 10}, config)
    body = json.dumps({"type": "checkpoint.resolved", "timestamp": "now", "data": {}})
    headers = {"webhook-id": "msg_x", "webhook-timestamp": str(int(time.time())), "webhook-signature": "v1,AAAA"}
    answer = harness.receiver.handle(headers, body)
    assert (answer.status, answer.outcome) == (401, "invalid-signature")
    assert harness.graph.get_state(config).next == ("review",)


async def test_async_graph_cancelled_checkpoint_raises_inside_the_node(holdpoint: Holdpoint) -> None:
    h = Harness(holdpoint, asynchronous=True)
    try:
        config: Any = {"configurable": {"thread_id": f"thread-{time.time_ns()}"}}
        paused = await h.graph.ainvoke({"amount_usd": 99}, config)
        checkpoint_id = interrupt_checkpoint_id(paused["__interrupt__"][0].value)
        assert checkpoint_id is not None
        await asyncio.to_thread(holdpoint.api, "POST", f"/v1/checkpoints/{checkpoint_id}/cancel", {})
        delivery = await asyncio.to_thread(h.endpoint.deliveries.get, timeout=20)
        await asyncio.wait_for(h.receiver.idle(), 20)
        # The resumed node raised CheckpointCancelledError, as await_human would have.
        assert len(h.errors) == 1 and isinstance(h.errors[0], CheckpointCancelledError)
        assert h.applied == []
        assert delivery.body  # Holdpoint sent the cancellation as a signed resume
        # The run failed inside `review`, so the thread stays there and `apply` never ran.
        # The failed resume is recorded on the thread; a redelivery does not run the node again.
        failed = (await h.graph.aget_state(config)).tasks
        assert [t.name for t in failed] == ["review"] and "cancelled" in str(failed[0].error)
        replay = await h.receiver.handle_async(delivery.headers, delivery.body)
        assert (replay.status, replay.outcome) == (200, "already-resumed")
        assert h.asks == 2 and len(h.errors) == 1
    finally:
        h.close()


def test_deliveries_that_cannot_resume_anything(holdpoint: Holdpoint, harness: Harness) -> None:
    def signed(metadata: dict[str, Any]) -> tuple[dict[str, str], str]:
        body = json.dumps(
            {
                "type": "checkpoint.resolved",
                "timestamp": "2026-11-25T19:00:00Z",
                "data": {
                    "checkpointId": "cp_elsewhere",
                    "state": "resolved",
                    "response": {"approved": True},
                    "metadata": metadata,
                },
            }
        )
        return webhook_headers(holdpoint.webhook_secret, f"msg_{time.time_ns()}", body), body

    # Not asked from a node: 410, so Holdpoint stops retrying.
    assert harness.receiver.handle(*signed({"runId": "x"})).status == 410
    # Asked from a thread that has not saved its interrupt (yet): 409, so Holdpoint retries.
    early = harness.receiver.handle(*signed({"langgraph": {"threadId": "never-ran"}}))
    assert (early.status, early.outcome) == (409, "not-interrupted-yet")

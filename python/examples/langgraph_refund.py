"""A LangGraph refund graph that pauses for a person through Holdpoint and is resumed by
Holdpoint's signed webhook.

    export HOLDPOINT_URL=… HOLDPOINT_API_TOKEN=… HOLDPOINT_WEBHOOK_SECRET=whsec_…
    python examples/langgraph_refund.py            # serves the webhook on :8765, starts a run

Holdpoint must be able to reach RESUME_URL (default http://127.0.0.1:8765/holdpoint; a
Holdpoint on another host needs a public URL, and one on 127.0.0.1 needs
HOLDPOINT_ALLOW_PRIVATE_WEBHOOKS=true). The in-memory checkpointer keeps this example
self-contained; a real deployment uses a durable one (Postgres, SQLite, Redis) so a
restart between question and answer loses nothing.
"""

from __future__ import annotations

import json
import os
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypedDict

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from pydantic import BaseModel

from holdpoint.langgraph import LangGraphResumeReceiver, ask_human_in_node


class Decision(BaseModel):
    approved: bool
    note: str | None = None


class RefundState(TypedDict, total=False):
    customer_id: str
    amount_usd: float
    decision: dict[str, Any]
    outcome: str


def build_graph(resume_url: str) -> Any:
    def review(state: RefundState) -> RefundState:
        # Pauses the run here; LangGraph re-runs the node on resume, and the stable
        # idempotency key makes the second call return the same checkpoint, not a new one.
        decision = ask_human_in_node(
            f"Approve a ${state['amount_usd']:g} refund for {state['customer_id']}?",
            response_model=Decision,
            payload={"customerId": state["customer_id"], "amountUsd": state["amount_usd"]},
            resume={"webhook": {"url": resume_url}},
            timeout="1h",
        )
        return {"decision": decision.model_dump()}

    def pay_out(state: RefundState) -> RefundState:
        outcome = "refunded" if state["decision"]["approved"] else "declined"
        print(f"{state['customer_id']}: {outcome} ({state['decision'].get('note') or '-'})", flush=True)
        return {"outcome": outcome}

    builder = StateGraph(RefundState)
    builder.add_node("review", review)
    builder.add_node("pay_out", pay_out)
    builder.add_edge(START, "review")
    builder.add_edge("review", "pay_out")
    builder.add_edge("pay_out", END)
    return builder.compile(checkpointer=InMemorySaver())


def serve(receiver: LangGraphResumeReceiver, port: int) -> ThreadingHTTPServer:
    class Endpoint(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            # Verify on the raw bytes: re-serialised JSON would not match the signature.
            answer = receiver.handle(dict(self.headers.items()), body)
            payload = json.dumps(answer.body).encode()
            self.send_response(answer.status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return ThreadingHTTPServer(("127.0.0.1", port), Endpoint)


def main() -> None:
    port = int(os.environ.get("PORT", "8765"))
    resume_url = os.environ.get("RESUME_URL", f"http://127.0.0.1:{port}/holdpoint")
    graph = build_graph(resume_url)
    receiver = LangGraphResumeReceiver(
        graph,
        os.environ["HOLDPOINT_WEBHOOK_SECRET"],
        on_error=lambda error, event: print(f"resume of {event.data.checkpoint_id} failed: {error!r}"),
    )
    server = serve(receiver, port)
    config = {"configurable": {"thread_id": f"refund-{uuid.uuid4()}"}}
    paused = graph.invoke({"customer_id": "cus_42", "amount_usd": 250.0}, config)
    for pending in paused.get("__interrupt__", []):
        print(f"Paused; answer at {pending.value['link']}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

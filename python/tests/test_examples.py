"""The examples run as written: the plain script end to end (configured only through
HOLDPOINT_URL / HOLDPOINT_API_TOKEN), and the LangGraph example's graph builds."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.server import Holdpoint

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_refund_agent_script(holdpoint: Holdpoint) -> None:
    env = {**os.environ, "HOLDPOINT_URL": holdpoint.url, "HOLDPOINT_API_TOKEN": holdpoint.token}
    agent = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "refund_agent.py"), "cus_7", "42", "Double charge"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert agent.stdout is not None
        first_line = agent.stdout.readline()
        assert first_line.startswith("Waiting for a person: "), first_line + (
            agent.stderr.read() if agent.stderr else ""
        )
        checkpoint_id = first_line.strip().rsplit("/", 1)[1]
        stored = holdpoint.api("GET", f"/v1/checkpoints/{checkpoint_id}").json()
        assert stored["payload"] == {"customer_id": "cus_7", "amount_usd": 42.0, "reason": "Double charge"}
        assert stored["payloadSchema"]["required"] == ["customer_id", "amount_usd", "reason"]
        holdpoint.answer(checkpoint_id, {"approved": True, "note": "confirmed"})
        out, _ = agent.communicate(timeout=20)
        assert agent.returncode == 0
        assert "Refunding $42 to cus_7. Note: confirmed" in out
    finally:
        agent.kill()


def test_langgraph_example_builds() -> None:
    pytest.importorskip("langgraph")
    spec = importlib.util.spec_from_file_location("langgraph_refund", EXAMPLES / "langgraph_refund.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered first: LangGraph resolves the state's postponed annotations through it.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    graph = module.build_graph("http://127.0.0.1:1/holdpoint")
    assert set(graph.get_graph().nodes) >= {"review", "pay_out"}

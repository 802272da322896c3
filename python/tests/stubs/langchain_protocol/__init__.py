"""Stand-in for the `langchain-protocol` distribution, for test venvs only.

langchain-core 1.6 and langgraph-sdk 0.4 import type names from `langchain_protocol` at
import time, and this machine's package index lacks that distribution, so `import
langgraph` would fail before any graph runs. The names are only types of LangChain's
chat-model streaming protocol, which the Holdpoint tests never use (no chat models, no
LangGraph Platform streaming), so every name resolves to `typing.Any`. run-tests.sh puts
this directory on the path only when the real package cannot be imported.
"""

from typing import Any


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    return Any

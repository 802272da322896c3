"""Stand-in for `langchain_protocol.protocol`: see the package docstring."""

from typing import Any


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    return Any

"""The one bridge between pydantic (how agents describe shapes) and JSON Schema (how the
server and every channel that renders a form read them)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from pydantic import TypeAdapter, ValidationError

from .errors import CheckpointValidationError, FieldError


def to_json_pointer(path: Sequence[object]) -> str:
    """pydantic's ``loc`` tuple as an RFC 6901 pointer, the notation the server's 422 uses,
    so an agent handles local and server validation errors the same way."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


@lru_cache(maxsize=256)
def adapter_for(model: Any) -> TypeAdapter[Any]:
    # TypeAdapter accepts BaseModel subclasses and plain types alike (TypedDict, dataclasses,
    # Literal…); building one is not free, and agents ask with the same model again and again.
    return TypeAdapter(model)


def to_json_schema(model: Any, label: str) -> dict[str, Any]:
    """JSON Schema (draft 2020-12, the server's default dialect) of what the model *accepts*.

    ``mode="validation"`` describes the input side: a person's answer is what the model
    will parse, so defaults must not make the server demand fields the model fills in.
    """
    try:
        schema = adapter_for(model).json_schema(mode="validation")
    except Exception as error:  # pydantic raises several types for unsupported schemas
        raise CheckpointValidationError(
            f"{label} cannot be expressed as JSON Schema: {error}", [{"path": "", "message": str(error)}]
        ) from error
    schema.pop("$schema", None)
    return schema


def field_errors(error: ValidationError, prefix: str = "") -> list[FieldError]:
    return [{"path": prefix + to_json_pointer(e["loc"]), "message": e["msg"]} for e in error.errors()]


def validated(model: Any, value: object, where: str, label: str) -> Any:
    """Checks ``value`` locally, so a bad payload fails in the agent with the same error
    shape as a server 422, and returns its JSON form (what goes on the wire)."""
    adapter = adapter_for(model)
    try:
        parsed = adapter.validate_python(value)
    except ValidationError as error:
        errors = field_errors(error, where)
        summary = "; ".join(f"{e['path']} {e['message']}" for e in errors)
        # from None: the chained ValidationError would print the payload into tracebacks and logs.
        raise CheckpointValidationError(f"{label} does not match its schema: {summary}", errors) from None
    return adapter.dump_python(parsed, mode="json", by_alias=True)

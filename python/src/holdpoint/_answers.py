"""What an HTTP answer means when the route-specific code did not claim it: the meanings
shared by every route (401, 422, 404, anything else)."""

from __future__ import annotations

from typing import Any

from ._flow import Answer
from .errors import (
    CheckpointNotFoundError,
    CheckpointValidationError,
    FieldError,
    HoldpointAuthError,
    HoldpointError,
    HoldpointRequestError,
    ProblemDetails,
    problem_of,
)


def _field_errors(problem: ProblemDetails | None) -> list[FieldError]:
    errors = (problem or {}).get("errors")
    if not isinstance(errors, list):
        return []
    return [dict(e) for e in errors if isinstance(e, dict)]


def _path_of(error: FieldError) -> str:
    # The contract names the member `path`; RFC 9457 examples often say `pointer`. Accept both.
    path = error.get("path", error.get("pointer"))
    return path if isinstance(path, str) else "?"


def _describe(answer: Answer, problem: ProblemDetails | None) -> str:
    if problem is not None:
        for key in ("detail", "title"):
            if isinstance(problem.get(key), str):
                return str(problem[key])
    if isinstance(answer.body, str) and answer.body != "":
        return answer.body[:200]
    return f"HTTP {answer.status}"


def failure_for(answer: Answer, what: str, checkpoint_id: str | None = None) -> HoldpointError:
    problem = problem_of(answer.body)
    fields: dict[str, Any] = {"status": answer.status, "problem": problem, "checkpoint_id": checkpoint_id}
    if answer.status == 401:
        return HoldpointAuthError(f"Holdpoint refused the API token (401): {_describe(answer, problem)}", **fields)
    if answer.status == 422:
        errors = _field_errors(problem)
        listed = "; ".join(f"{_path_of(e)} {e.get('message', '')}".strip() for e in errors)
        return CheckpointValidationError(
            f"{what} was rejected as invalid: {listed or _describe(answer, problem)}", errors, **fields
        )
    if answer.status == 404 and checkpoint_id is not None:
        del fields["checkpoint_id"]
        return CheckpointNotFoundError(checkpoint_id, **fields)
    return HoldpointRequestError(f"{what} failed with HTTP {answer.status}: {_describe(answer, problem)}", **fields)

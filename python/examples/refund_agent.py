"""A refund agent that asks a person before it pays out.

Run a Holdpoint (`npm start` at the repository root writes .data/dev.json, which the SDK
reads), or set HOLDPOINT_URL and HOLDPOINT_API_TOKEN, then:

    python examples/refund_agent.py cus_42 250 "Duplicate charge"

Open the dashboard link it prints and answer; the script continues with a typed Decision.
"""

from __future__ import annotations

import sys

from pydantic import BaseModel, Field

from holdpoint import Checkpoint, CheckpointCancelledError, HoldpointError, await_human


class Refund(BaseModel):
    customer_id: str
    amount_usd: float = Field(gt=0)
    reason: str


class Decision(BaseModel):
    approved: bool
    note: str | None = Field(default=None, max_length=500)


def show_link(checkpoint: Checkpoint) -> None:
    print(f"Waiting for a person: {checkpoint.links.dashboard}", flush=True)


def main(customer_id: str, amount_usd: float, reason: str) -> int:
    refund = Refund(customer_id=customer_id, amount_usd=amount_usd, reason=reason)
    try:
        decision = await_human(
            f"Approve a ${refund.amount_usd:g} refund for {refund.customer_id}?",
            payload=refund,  # its model becomes payloadSchema, so reviewers see typed fields
            response_model=Decision,
            notify=["dashboard"],
            timeout="15m",
            # Nobody answered in 15 minutes: decline rather than pay out unreviewed.
            on_timeout=Decision(approved=False, note="no answer in time"),
            on_created=show_link,
        )
    except CheckpointCancelledError:
        print("The request was cancelled; no refund.")
        return 1
    except HoldpointError as error:
        # `code` is stable across SDK versions and languages; the message is for people.
        print(f"Could not get a decision ({error.code}): {error}", file=sys.stderr)
        return 2
    if decision.approved:
        print(f"Refunding ${refund.amount_usd:g} to {refund.customer_id}. Note: {decision.note or '-'}")
    else:
        print(f"Refund declined. Note: {decision.note or '-'}")
    return 0


if __name__ == "__main__":
    args = sys.argv[1:] or ["cus_42", "250", "Duplicate charge"]
    sys.exit(main(args[0], float(args[1]), args[2]))

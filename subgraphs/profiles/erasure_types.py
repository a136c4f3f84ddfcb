"""GraphQL types of erasure: the request (``eraseCustomer``) and the job's status (``erasureJob``)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from subgraphs.kit.classes import classified, classify
from subgraphs.profiles.erasure_jobs import JobView, StepView


@strawberry.enum(description="Where an erasure job is.")
class ErasureState(Enum):
    _value_: str

    PENDING = strawberry.enum_value(
        "pending", description="Requested: waiting for the identity graph to apply its first step, in order."
    )
    RUNNING = strawberry.enum_value(
        "running", description="Its first step is done; the others follow in order."
    )
    DONE = strawberry.enum_value("done", description="Every step is done: nothing of the subject is left.")
    FAILED = strawberry.enum_value(
        "failed",
        description="A step failed repeatedly and was set aside (`steps` names it and its error code).",
    )


@strawberry.enum(description="Where a step of an erasure job is.")
class ErasureStepState(Enum):
    _value_: str

    PENDING = strawberry.enum_value(
        "pending", description="Not done yet (`attempts` and `error` say if it failed)."
    )
    DONE = strawberry.enum_value("done", description="Done, once; `counts` says what it changed.")
    FAILED = strawberry.enum_value("failed", description="Set aside after repeated failures.")


@classified("public")
@strawberry.type(description="How many rows, nodes or events of one kind a step changed.")
class ErasureCount:
    name: str = strawberry.field(description="What was changed, e.g. `golden_records`, `orders_restricted`.")
    count: int = strawberry.field(description="How many.")


def _counts(counts: dict[str, int]) -> list[ErasureCount]:
    return [ErasureCount(name=name, count=count) for name, count in sorted(counts.items())]


@classified("public")
@strawberry.type(description="One step of an erasure job, in one store.")
class ErasureStep:
    name: str = strawberry.field(
        description="`identity`, then one per PostgreSQL subgraph (`orders`, `tickets`, `interactions`), `profiles`, "
        "`audit` and `seal`."
    )
    store: str = strawberry.field(description="The stores it changes, e.g. `neo4j, postgres:profiles`.")
    state: ErasureStepState = strawberry.field(description="Where it is.")
    counts: list[ErasureCount] = strawberry.field(description="What it changed, once done.")
    attempts: int = strawberry.field(
        description="How many times it was tried (a step runs to completion once)."
    )
    error: str | None = strawberry.field(
        description="The code of its last failure while not done: `DATA_SOURCE_UNAVAILABLE`, `PERMISSION_DENIED` or "
        "`STEP_FAILED`."
    )
    started_at: datetime | None = strawberry.field(description="When it became due.")
    finished_at: datetime | None = strawberry.field(description="When it was done.")

    @staticmethod
    def of(step: StepView) -> ErasureStep:
        return ErasureStep(
            name=step.name,
            store=step.store,
            state=ErasureStepState(step.state),
            counts=_counts(step.counts),
            attempts=step.attempts,
            error=step.error,
            started_at=step.started_at,
            finished_at=step.finished_at,
        )


@classified("public")
@strawberry.type(
    description=(
        "An erasure of a data subject (`eraseCustomer`) and where it is. It names no one: once done, nothing links "
        "it to the customer it erased but a keyed hash of the id."
    )
)
class ErasureJob:
    id: strawberry.ID = strawberry.field(description="The job's id.")
    state: ErasureState = strawberry.field(description="Where it is.")
    requested_by: str = strawberry.field(
        metadata=classify("internal"), description="Who asked (the subject of their token)."
    )
    requested_at: datetime = strawberry.field(description="When it was asked for.")
    started_at: datetime | None = strawberry.field(description="When its first step was done.")
    finished_at: datetime | None = strawberry.field(description="When its last step was done.")
    steps: list[ErasureStep] = strawberry.field(description="Its steps, in the order they run.")

    @strawberry.field(description="What every step changed, summed by kind.")
    def counts(self) -> list[ErasureCount]:
        totals: dict[str, int] = {}
        for step in self.steps:
            for count in step.counts:
                totals[count.name] = totals.get(count.name, 0) + count.count
        return _counts(totals)

    @strawberry.field(
        description="The error codes of the steps not done, in step order (empty when none failed)."
    )
    def errors(self) -> list[str]:
        return [step.error for step in self.steps if step.error is not None]

    @staticmethod
    def of(job: JobView) -> ErasureJob:
        return ErasureJob(
            id=strawberry.ID(job.id),
            state=ErasureState(job.state),
            requested_by=job.requested_by,
            requested_at=job.requested_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            steps=[ErasureStep.of(s) for s in job.steps],
        )


@strawberry.input(description="The data subject to erase.")
class EraseCustomerInput:
    customer_id: strawberry.ID = strawberry.field(
        description="The customer (an id merged into another erases the customer it belongs to now)."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Sent again with the same key, the request answers the same job and starts nothing (1 to 200 "
        "characters, per caller).",
    )


@classified("public")
@strawberry.type(description="What `eraseCustomer` started.")
class EraseCustomerPayload:
    job: ErasureJob = strawberry.field(description="The erasure job; `erasureJob(id)` follows it.")
    started: bool = strawberry.field(
        description="False when an erasure of this customer was already under way: `job` is that one."
    )

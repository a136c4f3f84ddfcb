"""Root fields of the interactions subgraph."""

from __future__ import annotations

from typing import Annotated

import strawberry

from core.ids import parse_int_id
from subgraphs.interactions.loaders import InteractionsLoaders
from subgraphs.interactions.types import Interaction
from subgraphs.kit.context import Info


@strawberry.type(name="InteractionsQuery")
class InteractionsQuery:
    @strawberry.field(description="One interaction by id; null when no interaction has that id.")
    async def interaction(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Interaction id (an integer).")],
    ) -> Interaction | None:
        row = await info.context.loaders(InteractionsLoaders).interaction_by_id.load(
            parse_int_id(id, "interaction id")
        )
        return Interaction.from_row(row) if row else None

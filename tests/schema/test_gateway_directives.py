"""Subgraph SDLs carry federation's access directives, so a gateway can enforce what the subgraphs enforce."""

from __future__ import annotations

from graphql import FieldDefinitionNode, ListValueNode, ObjectTypeDefinitionNode, StringValueNode, parse

from core.policy import ANY, Policy
from core.settings import PROJECT_ROOT, Settings
from schema import PARTS, subgraph_schema
from schema.policies import field_class

POLICY = Policy.load(PROJECT_ROOT / "config" / "policy.toml")


def _policies(field: FieldDefinitionNode) -> list[list[str]] | None:
    for directive in field.directives or ():
        if directive.name.value == "policy":
            (argument,) = directive.arguments or ()
            assert isinstance(argument.value, ListValueNode)
            return [
                [v.value for v in inner.values if isinstance(v, StringValueNode)]
                for inner in argument.value.values
                if isinstance(inner, ListValueNode)
            ]
    return None


def test_root_fields_are_authenticated_with_their_roles_and_classified_fields_name_their_class() -> None:
    settings = Settings(_env_file=None)
    checked = 0
    for name in PARTS:
        schema = subgraph_schema(name, settings)
        document = parse(str(schema))
        for definition in document.definitions:
            if not isinstance(definition, ObjectTypeDefinitionNode) or definition.name.value.startswith("_"):
                continue
            gtype = schema._schema.type_map[definition.name.value]
            for field in definition.fields or ():
                if field.name.value.startswith("_"):
                    continue
                names = {d.name.value for d in field.directives or ()}
                if definition.name.value in ("Query", "Mutation", "Subscription"):
                    roles = POLICY.operations[f"{definition.name.value}.{field.name.value}"]
                    if ANY in roles:
                        continue
                    assert "authenticated" in names, (name, field.name.value)
                    assert _policies(field) == [[f"role:{r}"] for r in sorted(roles)]
                else:
                    found = field_class(gtype.fields[field.name.value])  # type: ignore[attr-defined]
                    assert found is not None
                    expected = None if found[0] == "public" else [[f"class:{found[0]}"]]
                    assert _policies(field) == expected, (name, definition.name.value, field.name.value)
                checked += 1
    assert checked > 150

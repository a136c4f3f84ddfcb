"""Errors a client may see, each with a stable ``extensions.code``; anything else is masked as unexpected."""

from __future__ import annotations

from typing import Any


class ClientError(Exception):
    """An error whose message is safe and useful to show to API clients."""

    code = "INTERNAL"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.extensions: dict[str, Any] = {"code": self.code, **details}


class BadUserInput(ClientError):
    code = "BAD_USER_INPUT"


class InvalidIdentifier(BadUserInput):
    """An identifier value that cannot be normalised for its type."""

    code = "INVALID_IDENTIFIER"

    def __init__(self, identifier_type: str, value: str, reason: str) -> None:
        super().__init__(
            f"Invalid {identifier_type} identifier {value!r}: {reason}", identifierType=identifier_type
        )
        self.reason = reason
        """Why, without the value (which may be personal data)."""


class SourceUnavailable(ClientError):
    """A backing store (a PostgreSQL database or Neo4j) could not be reached in time."""

    code = "DATA_SOURCE_UNAVAILABLE"

    def __init__(self, source: str, cause: BaseException | None = None) -> None:
        reason = f": {type(cause).__name__}" if cause is not None else ""
        super().__init__(f"Data source {source!r} is unavailable{reason}", source=source)


class AlreadyDecided(BadUserInput):
    """A review candidate a steward has decided already: a pair is asked once, and its decision stands."""

    code = "ALREADY_DECIDED"


class NotFound(BadUserInput):
    """An id in the input names nothing (a write refuses it; reads return null instead)."""

    code = "NOT_FOUND"

    def __init__(self, what: str, id: str) -> None:
        super().__init__(f"No {what} with id {id!r}", what=what, id=id)


class IdentifierNotFound(NotFound):
    """A write names its customer by an identifier no customer has (the value is not repeated back)."""

    def __init__(self, identifier_type: str) -> None:
        BadUserInput.__init__(
            self,
            f"No customer has this {identifier_type} identifier",
            what="customer",
            identifierType=identifier_type,
        )


class RelationshipRefused(BadUserInput):
    """A relationship write that would break the graph's rules: self-links, cycles, too deep, conflicting."""

    code = "RELATIONSHIP_REFUSED"

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message, reason=reason)


class Unauthenticated(ClientError):
    """No verifiable credentials: the request is answered 401 before anything runs."""

    code = "UNAUTHENTICATED"


class Forbidden(ClientError):
    """The caller is known but may not do or see this."""

    code = "FORBIDDEN"


class Restricted(BadUserInput):
    """A row kept only for accounting after its customer's erasure (``restricted``): it takes no more changes."""

    code = "RESTRICTED"


class AuditUnavailable(ClientError):
    """The audit record a response needs could not be written: the personal data it would show is withheld."""

    code = "AUDIT_UNAVAILABLE"

"""The order tests share the ticket tests' API on a fixed clock."""

from tests.tickets.conftest import api, clock

__all__ = ["api", "clock"]

"""Which DSN the API uses and which one migrates: owner settings fall back to the API's, subgraph by subgraph."""

from __future__ import annotations

import os

import pytest

from core import migrations
from core.settings import Settings

API = "postgresql://c360_app:a@db/c360"
OWNER = "postgresql://owner:b@db/c360"
ORDERS_API = "postgresql://c360_app:a@orders-db/orders"
ORDERS_OWNER = "postgresql://owner:b@orders-db/orders"


def _settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name in [n for n in os.environ if n.startswith("C360_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings(_env_file=None)


def test_without_an_owner_dsn_migrations_use_the_api_dsn(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(monkeypatch, C360_DATABASE_URL=API)
    assert settings.migration_dsn_for("profiles") == API
    assert settings.as_owner().dsn_for("orders") == API
    assert settings.app_db_role is None


def test_owner_dsns_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(
        monkeypatch,
        C360_DATABASE_URL=API,
        C360_MIGRATION_DATABASE_URL=OWNER,
        C360_ORDERS_DSN=ORDERS_API,
        C360_ORDERS_MIGRATION_DSN=ORDERS_OWNER,
        C360_TICKETS_DSN="postgresql://c360_app:a@tickets-db/tickets",
        C360_APP_DB_ROLE="c360_app",
    )
    assert settings.dsn_for("profiles") == API
    assert settings.migration_dsn_for("profiles") == OWNER
    assert settings.dsn_for("orders") == ORDERS_API
    assert settings.migration_dsn_for("orders") == ORDERS_OWNER
    # A subgraph in a database of its own without an owner DSN there migrates with its own DSN, not the default's.
    assert settings.migration_dsn_for("tickets") == "postgresql://c360_app:a@tickets-db/tickets"
    assert settings.app_db_role == "c360_app"
    owner = settings.as_owner()
    assert {name: owner.dsn_for(name) for name in ("profiles", "orders", "tickets", "interactions")} == {
        "profiles": OWNER,
        "orders": ORDERS_OWNER,
        "tickets": "postgresql://c360_app:a@tickets-db/tickets",
        "interactions": OWNER,
    }


def test_the_grants_stay_inside_the_schema() -> None:
    statements = migrations.app_grants("orders", "c360_app")
    assert all('"orders"' in s and '"c360_app"' in s for s in statements)
    granted = " ".join(s for s in statements if s.startswith(("GRANT", "ALTER DEFAULT")))
    assert "CREATE" not in granted
    assert "TRUNCATE" not in granted
    assert "ALL PRIVILEGES" not in granted
    assert migrations.app_grants('we"ird', "r")[0] == 'GRANT USAGE ON SCHEMA "we""ird" TO "r"'

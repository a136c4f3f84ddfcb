from core.migrations import run_env
from subgraphs.tickets.models import SCHEMA, metadata

run_env(metadata, SCHEMA)

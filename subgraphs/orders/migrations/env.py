from core.migrations import run_env
from subgraphs.orders.models import SCHEMA, metadata

run_env(metadata, SCHEMA)

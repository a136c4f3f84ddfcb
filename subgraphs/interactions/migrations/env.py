from core.migrations import run_env
from subgraphs.interactions.models import SCHEMA, metadata

run_env(metadata, SCHEMA)

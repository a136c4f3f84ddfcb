from core.migrations import run_env
from subgraphs.profiles.models import SCHEMA, metadata

run_env(metadata, SCHEMA)

"""Resolution that crosses sources: the edges between subgraphs and the per-request context that carries loaders."""

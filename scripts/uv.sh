#!/usr/bin/env bash
# Runs uv, wherever pip put it.
if command -v uv >/dev/null 2>&1; then exec uv "$@"; fi
if [ -x "$HOME/.local/bin/uv" ]; then exec "$HOME/.local/bin/uv" "$@"; fi
exec python3 -m uv "$@"

#!/usr/bin/env bash
# Installs what Customer 360 needs on a fresh Debian/Ubuntu machine, once: PostgreSQL server binaries, Java 17 and
# Maven (for Neo4j Community from Maven Central), Node.js and npm (federation composition and gateways), Chromium
# (the GraphiQL browser test), uv, and the pinned GraphiQL assets under web/graphiql/ (served by the API, so the page
# needs no internet). Skips whatever is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || packages+=(postgresql postgresql-contrib)
command -v java >/dev/null 2>&1 || packages+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || packages+=(maven)
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
[ -x /usr/bin/chromium ] || packages+=(chromium chromium-driver)
if [ ${#packages[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "bootstrap: installing ${packages[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}" >/dev/null
fi
if ! command -v uv >/dev/null 2>&1; then
  user_bin="$(python3 -m site --user-base)/bin"
  if [ ! -x "$user_bin/uv" ]; then
    echo "bootstrap: installing uv" >&2
    python3 -m pip install --quiet --user uv 2>/dev/null || python3 -m pip install --quiet uv
  fi
  # The README's commands run `uv` in a new shell: put it on the PATH every shell has.
  if [ -x "$user_bin/uv" ] && ! command -v uv >/dev/null 2>&1; then
    if [ -w /usr/local/bin ]; then
      ln -sf "$user_bin/uv" /usr/local/bin/uv
      ln -sf "$user_bin/uvx" /usr/local/bin/uvx
      echo "bootstrap: linked uv into /usr/local/bin" >&2
    else
      echo "bootstrap: uv is in $user_bin; add it to PATH: export PATH=\"$user_bin:\$PATH\"" >&2
    fi
  fi
fi
# Reinstalled when the lock file is newer than the install (a fresh clone, or new pins).
if [ web/graphiql/package-lock.json -nt web/graphiql/node_modules/.package-lock.json ]; then
  echo "bootstrap: installing GraphiQL assets (npm ci in web/graphiql)" >&2
  npm ci --prefix web/graphiql --no-audit --no-fund --loglevel=error
fi

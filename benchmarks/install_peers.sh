#!/usr/bin/env bash
# Install the peer linters used by benchmarks/run.py into benchmarks/.tools/
# (git-ignored). Idempotent: re-running only installs what is missing.
# Not run in CI. Needs python3 (with venv) and npm.
#
#   panache            PyPI  panache-cli   (Quarto-aware linter/formatter, Rust binary)
#   rumdl              PyPI  rumdl         (Markdown linter, Rust binary)
#   markdownlint-cli2  npm   markdownlint-cli2
#
# Pin versions with PANACHE_VERSION / RUMDL_VERSION / MDL2_VERSION if wanted.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tools="$here/.tools"
venv="$tools/venv"
npm_prefix="$tools/npm"
PYTHON="${PYTHON:-python3}"

mkdir -p "$tools"

spec() { # spec NAME VERSION -> NAME or NAME==VERSION
  if [ -n "${2:-}" ]; then echo "$1==$2"; else echo "$1"; fi
}

if [ ! -x "$venv/bin/python" ]; then
  echo "creating venv $venv"
  "$PYTHON" -m venv "$venv"
fi

need_py=()
[ -x "$venv/bin/panache" ] || need_py+=("$(spec panache-cli "${PANACHE_VERSION:-}")")
[ -x "$venv/bin/rumdl" ]   || need_py+=("$(spec rumdl "${RUMDL_VERSION:-}")")
if [ ${#need_py[@]} -gt 0 ]; then
  echo "pip install ${need_py[*]}"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${need_py[@]}"
else
  echo "panache and rumdl already installed"
fi

if [ ! -x "$npm_prefix/node_modules/.bin/markdownlint-cli2" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "npm not found: markdownlint-cli2 skipped" >&2
  else
    echo "npm install markdownlint-cli2"
    mkdir -p "$npm_prefix"
    npm install --prefix "$npm_prefix" --no-audit --no-fund --loglevel=error \
      "$(spec markdownlint-cli2 "${MDL2_VERSION:-}" | sed 's/==/@/')"
  fi
else
  echo "markdownlint-cli2 already installed"
fi

# run.py reads peak RSS with GNU time (Debian package "time"); offer it, never require it.
if [ ! -x /usr/bin/time ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "apt-get install time (GNU time, for peak RSS)"
    apt-get install -y -qq time >/dev/null || echo "could not install GNU time: run.py falls back to os.wait4" >&2
  else
    echo "GNU time (/usr/bin/time) missing: install the 'time' package for exact peak RSS" >&2
  fi
fi

echo "versions:"
"$venv/bin/panache" --version 2>/dev/null || echo "panache: n/a"
"$venv/bin/rumdl" --version 2>/dev/null || echo "rumdl: n/a"
mdl2="$npm_prefix/node_modules/.bin/markdownlint-cli2"
if [ -x "$mdl2" ]; then { "$mdl2" --help 2>/dev/null || true; } | head -1; else echo "markdownlint-cli2: n/a"; fi

#!/usr/bin/env bash
# Scaffold a new workflow: ./dev/shared/create_new_workflow.sh <name> [--owner X] [--schedule CRON]
# Accepts snake_case or kebab-case (converted). Uses the shared environment (.nox/env), building
# it through nox when it does not exist yet.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [ $# -lt 1 ]; then
  echo "usage: $0 <workflow-name> [--owner OWNER] [--schedule CRON] [--timezone TZ]" >&2
  exit 2
fi
python="$root/.nox/env/bin/python"
cd "$root"
if [ ! -x "$python" ]; then  # first use on this clone: nox builds the shared environment
  make -s .tools/bin/nox >/dev/null
  exec .tools/bin/nox -s new -- --kebab "$@"
fi
PYTHONPATH="$root" exec "$python" -m dev.shared.scaffold --kebab "$@"

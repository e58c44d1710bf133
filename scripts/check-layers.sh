#!/usr/bin/env bash
# `make check-layers` (part of `make test`): every #include "dir/file.h" under app/ points at its
# own layer or one below it. The ranks, lowest first:
#
#   core                      arena, config, text, logging, the supervisor
#   store   http   view       MariaDB, Redis, Kafka, mail | the FastCGI loop and requests | templates
#   domain                    the product's rules, on the stores
#   web     workers   tools   the handlers (on domain, http, view) | the background processes and
#                             the one-shot commands (on domain)
#   app/main.c                dispatches to the entry points of web, workers and tools
#
# store, http and view are siblings and never include each other; nor do web, workers and tools.
# Usage: scripts/check-layers.sh [APP_DIR]   (default: app/ of this checkout)
set -uo pipefail
APP=${1:-$(cd "$(dirname "$0")/.." && pwd)/app}

allowed() {
  case "$1" in
    core) echo "core" ;;
    store) echo "core store" ;;
    http) echo "core http" ;;
    view) echo "core view" ;;
    domain) echo "core store domain" ;;
    web) echo "core store http view domain web" ;;
    workers) echo "core store domain workers" ;;
    tools) echo "core store domain tools" ;;
    *) echo "" ;;
  esac
}

bad=0 files=0
for f in "$APP"/*/*.c "$APP"/*/*.h "$APP"/*/*.cc; do
  [ -e "$f" ] || continue
  layer=$(basename "$(dirname "$f")")
  ok=" $(allowed "$layer") "
  if [ "$ok" = "  " ]; then
    echo "layers: $f is in a directory with no rank ($layer/): add it to scripts/check-layers.sh"
    bad=1
    continue
  fi
  files=$((files + 1))
  while IFS=: read -r line text; do
    inc=$(sed 's/.*"\(.*\)".*/\1/' <<<"$text")
    target=${inc%%/*}
    if [[ "$ok" != *" $target "* ]]; then
      echo "layers: ${f#"$APP"/}:$line includes \"$inc\": $layer may include only ($(allowed "$layer"))"
      bad=1
    fi
  done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[a-z_]*/' "$f")
done
if [ $bad -ne 0 ]; then
  echo "layers: some file includes a layer above its own (or a sibling's)"
  exit 1
fi
echo "layers: $files files, every include points down or sideways within its layer"

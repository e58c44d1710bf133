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
# The libraries under a layer are its own business: only store talks to MariaDB, Redis, Kafka,
# curl and libvips (and tools, for the devbroker built on librdkafka), only http to libfcgi, only view to
# ctemplate, and http knows no JSON.
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

# Sets users to the layers that may include a library's header; empty for a library any layer
# may use.
library_users() {
  case "$1" in
    hiredis/* | mysql.h | errmsg.h | mariadb/* | curl/* | vips/*) users="store" ;;
    librdkafka/*) users="store tools" ;;
    fcgiapp.h | fcgi_stdio.h | fcgio.h) users="http" ;;
    ctemplate/*) users="view" ;;
    jansson.h) users="core store domain view web workers tools" ;;
    *) users="" ;;
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
    if [[ "$text" =~ \"(([a-z_]*)/[^\"]*)\" ]]; then
      inc=${BASH_REMATCH[1]} target=${BASH_REMATCH[2]}
      if [[ "$ok" != *" $target "* ]]; then
        echo "layers: ${f#"$APP"/}:$line includes \"$inc\": $layer may include only ($(allowed "$layer"))"
        bad=1
      fi
    elif [[ "$text" =~ \<([^\>]*)\> ]]; then
      lib=${BASH_REMATCH[1]}
      library_users "$lib"
      if [ -n "$users" ] && [[ " $users " != *" $layer "* ]]; then
        echo "layers: ${f#"$APP"/}:$line includes <$lib>: only ($users) may use it"
        bad=1
      fi
    fi
  done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]' "$f")
done
if [ $bad -ne 0 ]; then
  echo "layers: some file includes a layer above its own (or a sibling's), or another layer's library"
  exit 1
fi
echo "layers: $files files, every include points down or sideways within its layer"

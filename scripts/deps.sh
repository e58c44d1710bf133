#!/usr/bin/env bash
# Installs the Debian packages firstcome needs, only those missing; safe to run again.
set -euo pipefail

PKGS=(
  build-essential pkg-config g++
  libfcgi-dev libmariadb-dev libhiredis-dev librdkafka-dev libctemplate-dev
  libjansson-dev libsodium-dev libjwt-dev libcurl4-openssl-dev libvips-dev libcriterion-dev clang-format
  clang
  mariadb-server redis-server nginx-light
  python3 python3-pytest python3-requests python3-selenium python3-aiosmtpd python3-locust
  python3-pymysql python3-redis python3-yaml python3-jwt python3-pil
  chromium chromium-driver wrk docker-compose curl procps prometheus
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# Debian's packaged daemons must not start themselves: we run our own under STATE_DIR.
policy=/usr/sbin/policy-rc.d
added_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod +x "$policy"
  added_policy=1
fi
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
[ $added_policy -eq 1 ] && $SUDO rm -f "$policy"
exit 0

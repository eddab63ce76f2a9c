#!/usr/bin/env bash
# Nightly step 0: what the ci/ scripts need on a bare Debian 12 runner before
# `make setup` installs the rest: make, curl (KCIDB REST), lavacli,
# python3-yaml and the lab package's imports (jsonschema, jinja2, tenacity, tap).
# Root or sudo; apt-get is retried while another apt holds its lock.
#
# Usage: ci/deps.sh
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"
pkgs=(make curl lavacli python3 python3-yaml python3-jsonschema python3-jinja2 python3-tenacity python3-tap ca-certificates)
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -qx 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -gt 0 ] || { ci_log "runner packages: all present"; exit 0; }
for try in 1 2 3 4 5; do
	if $SUDO apt-get update -qq &&
		$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends "${missing[@]}"; then
		exit 0
	fi
	ci_log "apt-get failed (try $try), retrying in 20 s"
	sleep 20
done
ci_die "could not install ${missing[*]}"

#!/usr/bin/env bash
# Shared by the ci/*.sh steps (sourced, not run). Both pipelines
# (ci/gitlab-ci.yml, ci/github/nightly.yml) call the same scripts.
#
# Secrets come from the CI system's environment, never from the repository:
#   LAVA_URI     the lava-server's RPC endpoint, e.g. https://lava.example.org/RPC2
#   LAVA_USER    the LAVA user the token belongs to
#   LAVA_TOKEN   that user's API token
#   (or LAVA_IDENTITY: an identity already in the runner's lavacli.yaml)
set -euo pipefail

# shellcheck disable=SC2034 # used by the scripts that source this file
ci_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

ci_log() { printf 'ci: %s\n' "$*" >&2; }
ci_die() { printf 'ci: error: %s\n' "$*" >&2; exit 1; }

# lava_identity: set up lavacli's identity from the secrets; lava() uses it.
# With LAVA_TOKEN the identity lives in a private XDG_CONFIG_HOME (mode 0700)
# that the caller removes (ci_cleanup), so the token is neither on a command
# line nor left on the runner.
lava_identity() {
	command -v lavacli >/dev/null || ci_die "lavacli is not installed (apt-get install lavacli)"
	if [ -n "${LAVA_TOKEN:-}" ]; then
		if [ -z "${LAVA_URI:-}" ] || [ -z "${LAVA_USER:-}" ]; then
			ci_die "LAVA_TOKEN needs LAVA_URI and LAVA_USER"
		fi
		CI_LAVA_CONFIG=$(mktemp -d)
		chmod 700 "$CI_LAVA_CONFIG"
		export XDG_CONFIG_HOME=$CI_LAVA_CONFIG
		python3 -c 'import os, sys, yaml
sys.stdout.write(yaml.safe_dump({"smmu-hil-ci": {"uri": os.environ["LAVA_URI"],
    "username": os.environ["LAVA_USER"], "token": os.environ["LAVA_TOKEN"]}}))' \
			>"$CI_LAVA_CONFIG/lavacli.yaml"
		CI_LAVA_ID=smmu-hil-ci
	elif [ -n "${LAVA_IDENTITY:-}" ]; then
		CI_LAVA_ID=$LAVA_IDENTITY
	else
		ci_die "no LAVA credentials: set LAVA_URI, LAVA_USER, LAVA_TOKEN (CI secrets) or LAVA_IDENTITY"
	fi
}

# lava ARGS...: lavacli with the identity lava_identity set up.
lava() { lavacli -i "$CI_LAVA_ID" "$@"; }

# ci_cleanup: remove what lava_identity wrote.
ci_cleanup() {
	[ -n "${CI_LAVA_CONFIG:-}" ] && rm -rf "$CI_LAVA_CONFIG"
	return 0
}

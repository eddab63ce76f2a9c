#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The include graph of harness/ follows the layers of docs/architecture.md:
# no oracle file (harness/oracle) includes an agent or CLI header, no agent
# file (harness/agent) includes a CLI header. Reads every #include "..." and
# #include <...> line and resolves it against the layers' include folders:
#   spec    modules/include/smmu_hil (the STE/CD field table the modules and
#           the oracle share: every layer may include it)
#   oracle  harness/oracle/include, harness/oracle
#   agent   harness/agent/include, modules/include/uapi (the modules' uapi)
#   cli     harness/cli
# Prints each offending FILE:LINE: #include and exits 1; 0 when clean.
# Usage: harness/tests/include_graph.sh [ROOT]   (ROOT: the tree, default .)
set -u
root=${1:-.}
cd "$root" || exit 2

# layer_of HEADER: the layer whose folders hold HEADER ("" if none: system).
layer_of() {
	local h=$1
	if [ -f "modules/include/$h" ] && [[ $h == smmu_hil/* ]]; then
		echo spec
	elif [ -f "harness/oracle/include/$h" ] || [ -f "harness/oracle/$h" ]; then
		echo oracle
	elif [ -f "harness/agent/include/$h" ] || [ -f "modules/include/$h" ] ||
	     [ -f "harness/agent/$h" ]; then
		echo agent
	elif [ -f "harness/cli/$h" ]; then
		echo cli
	fi
}

# check LAYER FORBIDDEN... : the files of LAYER include no header of FORBIDDEN.
bad=0
check() {
	local layer=$1 file n line h l
	shift
	while IFS= read -r -d '' file; do
		n=0
		while IFS= read -r line; do
			n=$((n + 1))
			[[ $line =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*[\"\<]([^\"\>]+)[\"\>] ]] ||
				continue
			h=${BASH_REMATCH[1]}
			l=$(layer_of "$h")
			for f in "$@"; do
				if [ "$l" = "$f" ]; then
					echo "$file:$n: $layer file includes $f header: $line" >&2
					bad=1
				fi
			done
		done <"$file"
	done < <(find "harness/$layer" -name '*.[ch]' -print0 | sort -z)
}

[ -d harness/oracle ] && [ -d harness/agent ] || { echo "include_graph: no harness/ under $root" >&2; exit 2; }
check oracle agent cli
check agent cli
if [ $bad = 0 ]; then
	echo "include graph: oracle -> (nothing above), agent -> oracle: ok"
fi
exit $bad

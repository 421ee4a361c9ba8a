#!/bin/sh
# Seeds for fuzz/fuzz_case: every conformance file in the binary case form,
# after one byte that picks the built-in profile (0: the first).
# Run from the top of the tree after `make`: sh ci/gen_case_seeds.sh
set -e
out=corpora/fuzz_case
mkdir -p "$out"
find conformance -name '*.vmx' | sort | while read -r f; do
	n=$(echo "$f" | sed 's|^conformance/||; s|/|-|g; s|\.vmx$||')
	{ printf '\000'; ./build/nestvmx asm "$f" -o -; } > "$out/$n"
done

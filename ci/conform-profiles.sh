#!/bin/sh
# The suite on the model under every built-in profile (nestvmx caps
# --list), not just the default: a case that silently assumes what one CPU
# offers (a CR4 bit, MAXPHYADDR, TRUE controls) fails here instead of on
# a user's machine.  Profiles whose L1 cannot execute VMXON as the test
# machine starts (variants made for the VMXON rules) are skipped, named.
# Usage: sh ci/conform-profiles.sh [NESTVMX]
set -u
nv=${1:-build/nestvmx}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'case probe.vmxon\nvmxon\nexpect ok\n' > "$tmp/vmxon.vmx"
n=0 skipped=0 failed=0
for p in $("$nv" caps --list | awk '{ print $1 }'); do
	if ! "$nv" run --profile "$p" "$tmp/vmxon.vmx" > /dev/null 2>&1; then
		echo "conform-profiles: $p: skipped (VMXON does not succeed from the test machine's L1)"
		skipped=$((skipped + 1))
		continue
	fi
	if ! "$nv" conform --backend ref --profile "$p" > "$tmp/out" 2>&1; then
		echo "conform-profiles: $p: FAILED"
		grep '^FAIL' "$tmp/out" | head -20
		tail -2 "$tmp/out"
		failed=$((failed + 1))
	fi
	n=$((n + 1))
done
echo "conform-profiles: the suite passes on ref under $((n - failed)) of $n profiles ($skipped skipped)"
[ "$failed" -eq 0 ]

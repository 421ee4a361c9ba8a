#!/bin/sh
# Line coverage of refvmm/ and harness/ by the unit tests and the
# conformance suite on ref, with lcov.  Fails when refvmm/ line coverage
# drops below the floor in ci/coverage-floor (a percentage).
set -eu
B=build/cov
make --no-print-directory B=$B CFLAGS="-O0 -g --coverage" SAN="--coverage" LDFLAGS=--coverage \
	$B/nestvmx $B/test_refvmm $B/test_harness >/dev/null
lcov -q --zerocounters --directory $B
CK_FORK=no ./$B/test_refvmm >/dev/null
CK_FORK=no ./$B/test_harness >/dev/null || true   # verdicts come from `make check`
./$B/nestvmx conform --backend ref >/dev/null || true
lcov -q --capture --directory $B --output-file $B/all.info
lcov -q --extract $B/all.info "$(pwd)/refvmm/*" --output-file $B/refvmm.info
lcov -q --extract $B/all.info "$(pwd)/harness/*" --output-file $B/harness.info
genhtml -q $B/all.info --output-directory $B/html
pct=$(lcov --summary $B/refvmm.info 2>&1 | awk '/lines/ {sub("%","",$2); print $2}')
floor=$(cat ci/coverage-floor)
echo "refvmm line coverage: ${pct}% (floor ${floor}%); report: $B/html/index.html"
lcov --summary $B/harness.info 2>&1 | awk '/lines/ {print "harness line coverage: " $2}'
awk -v p="$pct" -v f="$floor" 'BEGIN { exit !(p + 0 >= f + 0) }'

#!/bin/sh
# Proves that the compile-time assertions of refvmm/vmcs_fields.c guard
# the field table: the unmodified table compiles, and the same table with
# one wrong width column (GUEST_RIP: WNAT -> W32) does not.
#
# vmcs_fields.c includes "vmcs_fields.h", which includes "vmcs_fields.def";
# quoted includes are searched first in the including file's directory,
# so the .c, .h and .def are all copied to a scratch directory and
# compiled there, with -I refvmm supplying the remaining headers.
# Usage: ci/field-assert-test.sh [REPO_ROOT]   (CC defaults to cc)
set -eu

root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cc=${CC:-cc}
flags="-std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

setup() {   # $1: directory to fill with a copy of the table's sources
	mkdir -p "$1"
	cp "$root/refvmm/vmcs_fields.c" "$root/refvmm/vmcs_fields.h" \
	   "$root/refvmm/vmcs_fields.def" "$1/"
}

compiles() {   # $1: directory
	$cc $flags -I"$1" -I"$root/refvmm" -I"$root" -c "$1/vmcs_fields.c" \
	    -o "$1/vmcs_fields.o" 2>"$1/log"
}

setup "$tmp/good"
if ! compiles "$tmp/good"; then
	echo "field-assert-test: FAIL: the unmodified table does not compile" >&2
	cat "$tmp/good/log" >&2
	exit 1
fi

setup "$tmp/bad"
sed 's/^\(VMCS_FIELD(GUEST_RIP, *0x681e, *\)WNAT,/\1W32, /' \
    "$root/refvmm/vmcs_fields.def" >"$tmp/bad/vmcs_fields.def"
if cmp -s "$root/refvmm/vmcs_fields.def" "$tmp/bad/vmcs_fields.def"; then
	echo "field-assert-test: FAIL: could not find GUEST_RIP's WNAT column to break" >&2
	exit 1
fi
if compiles "$tmp/bad"; then
	echo "field-assert-test: FAIL: GUEST_RIP declared W32 still compiles" >&2
	exit 1
fi
if ! grep -q "GUEST_RIP: width column" "$tmp/bad/log"; then
	echo "field-assert-test: FAIL: the build broke, but not on GUEST_RIP's width assertion:" >&2
	cat "$tmp/bad/log" >&2
	exit 1
fi
echo "field-assert-test: PASS (good table compiles; GUEST_RIP as W32 is rejected)"

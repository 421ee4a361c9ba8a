#!/bin/sh
# The asm/disasm commands on every repository case file: disasm of the
# text and disasm of its binary give the same canonical text, asm of the
# binary reproduces it byte for byte, and malformed input exits 2 with the
# file and the offset.  Usage: sh ci/asm-test.sh [NESTVMX]
set -u
nv=${1:-build/nestvmx}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
for f in $(find conformance -name '*.vmx' | sort); do
	"$nv" disasm "$f" > "$tmp/a.txt" || { echo "asm-test: disasm $f failed"; exit 1; }
	"$nv" asm "$f" -o "$tmp/b.bin" || { echo "asm-test: asm $f failed"; exit 1; }
	"$nv" disasm "$tmp/b.bin" > "$tmp/b.txt" || { echo "asm-test: disasm of $f's binary failed"; exit 1; }
	cmp -s "$tmp/a.txt" "$tmp/b.txt" || { echo "asm-test: $f: text -> binary -> text differs"; exit 1; }
	"$nv" asm "$tmp/b.bin" -o "$tmp/c.bin" && cmp -s "$tmp/b.bin" "$tmp/c.bin" ||
		{ echo "asm-test: $f: binary -> binary differs"; exit 1; }
	n=$((n + 1))
done
printf 'NVXC\001\001\000\001' > "$tmp/bad.bin"
"$nv" disasm "$tmp/bad.bin" 2> "$tmp/err"
rc=$?
[ $rc -eq 2 ] && grep -q "bad.bin: offset [0-9]*: error: " "$tmp/err" ||
	{ echo "asm-test: malformed binary gave exit $rc: $(cat "$tmp/err")"; exit 1; }
echo "asm-test: $n case files round-trip through asm/disasm; malformed binary refused"

#!/bin/sh
# SPDX-License-Identifier: MIT
# Build a kernel tree's drivers/iommu/iommu-sva.c against svacheck's shim, by hand, the way
# `svacheck kernel` does (kernel/build.ts), so a test can be reproduced without the CLI:
#
#   kernel/shim/build-by-hand.sh TREE OUTDIR      ->  OUTDIR/sva-kernel
#
# OUTDIR gets iommu-sva.c (a byte copy), generated/svacheck-sva-defs.h (the tree's SVA
# definitions from include/linux/iommu.h: struct iommu_sva, struct iommu_mm_data, then the body
# of the CONFIG_IOMMU_SVA branch holding mm_pasid_init, with #line directives) and
# generated/svacheck-config.h. The extraction here is a crude awk; the TS extractor is the real one.
set -eu
[ $# -eq 2 ] || { echo "usage: $0 TREE OUTDIR" >&2; exit 64; }
tree=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
src="$tree/drivers/iommu/iommu-sva.c"
hdr="$tree/include/linux/iommu.h"
[ -f "$src" ] || { echo "$0: no $src" >&2; exit 66; }
[ -f "$hdr" ] || { echo "$0: no $hdr" >&2; exit 66; }
hdr_abs=$(cd "$(dirname "$hdr")" && pwd)/iommu.h
mkdir -p "$out/generated"
cp "$src" "$out/iommu-sva.c"

{
	echo "/* extracted from $hdr_abs by kernel/shim/build-by-hand.sh */"
	for s in iommu_sva iommu_mm_data; do
		awk -v s="$s" -v f="$hdr_abs" '
			!on && $0 ~ "^struct " s " \\{" { on = 1; printf "#line %d \"%s\"\n", NR, f }
			on { print }
			on && /^};/ { exit }' "$hdr"
	done
	# the #ifdef CONFIG_IOMMU_SVA branch that defines mm_pasid_init, up to its #else/#endif
	awk -v f="$hdr_abs" '
		{ line[NR] = $0 }
		END {
			for (i = 1; i <= NR; i++) {
				if (line[i] !~ /^#ifdef CONFIG_IOMMU_SVA/) continue
				depth = 0; has = 0
				for (j = i + 1; j <= NR; j++) {
					if (line[j] ~ /^#[ \t]*if/) depth++
					else if (depth == 0 && line[j] ~ /^#[ \t]*(else|endif|elif)/) break
					else if (line[j] ~ /^#[ \t]*endif/) depth--
					if (depth == 0 && line[j] ~ /mm_pasid_init\(/) has = 1
				}
				if (!has) continue
				printf "#line %d \"%s\"\n", i + 1, f
				for (k = i + 1; k < j; k++) print line[k]
				exit
			}
			print "#error no #ifdef CONFIG_IOMMU_SVA branch defining mm_pasid_init"
		}' "$hdr"
} > "$out/generated/svacheck-sva-defs.h"

bind_pasid=0
grep -q '^struct iommu_sva \*iommu_sva_bind_device_pasid(' "$src" && bind_pasid=1
pasid_global=0
awk '/^struct iommu_mm_data \{/ { on = 1 } on && /pasid_global/ { found = 1 } on && /^};/ { exit } END { exit !found }' "$hdr" && pasid_global=1
cat > "$out/generated/svacheck-config.h" <<CFG
/* what this tree's code offers (kernel/shim/build-by-hand.sh) */
#define SVACHECK_HAVE_BIND_PASID $bind_pasid
#define SVACHECK_HAVE_PASID_GLOBAL $pasid_global
CFG

cd "$root"
${CC:-cc} -std=gnu11 -O1 -g -Wall -Wno-unused-function -Wno-unused-variable \
	-I "$out/generated" -I kernel/shim/include \
	"$out/iommu-sva.c" kernel/shim/*.c examples/c/json.c examples/c/protocol.c -o "$out/sva-kernel"
echo "built $out/sva-kernel (bind_pasid=$bind_pasid pasid_global=$pasid_global)"

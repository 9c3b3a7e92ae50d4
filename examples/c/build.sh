#!/bin/sh
# Build the reference C implementation into examples/c/build/:
#   sva-v2           the v2 rules (also v1 and upstream, chosen by configure)
#   sva-v2-planted   the same with the v1 reuse bug planted (-DPLANT_V1_REUSE_BUG)
# Uses the system cc; no dependencies. CC and CFLAGS may be overridden.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out="$here/build"
mkdir -p "$out"
cc=${CC:-cc}
flags=${CFLAGS:--O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror}
$cc $flags -o "$out/sva-v2" "$here/sva.c" "$here/json.c" "$here/protocol.c"
$cc $flags -DPLANT_V1_REUSE_BUG -o "$out/sva-v2-planted" "$here/sva.c" "$here/json.c" "$here/protocol.c"
echo "built $out/sva-v2 $out/sva-v2-planted"

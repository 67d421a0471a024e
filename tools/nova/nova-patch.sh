#!/usr/bin/env bash
# Print the path of the integration patch for a Nova release.
#
# Usage: tools/nova/nova-patch.sh VERSION
# One patch, tools/nova/nova-34.0.0.patch, serves every supported release:
# it applies to 31.3.1, 32.2.1 and 33.0.2 with offsets (and, on 31.x and
# 32.x, fuzz 2 on one hunk: test_compute.py's import block, which has no
# `import futurist` there). A release that needs its own patch gets a
# tools/nova/nova-VERSION.patch, which then wins.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VERSION=${1:?usage: nova-patch.sh VERSION}
if [[ ! $VERSION =~ ^[0-9]+(\.[0-9]+)*$ ]]; then
    echo "nova-patch.sh: not a Nova version: $VERSION" >&2; exit 2
fi
if [[ -f $HERE/nova-$VERSION.patch ]]; then
    echo "$HERE/nova-$VERSION.patch"
else
    echo "$HERE/nova-34.0.0.patch"
fi

#!/usr/bin/env bash
# Run one Nova test class alone N times and count the runs that hang.
#
# Usage: tools/nova/solo-runs.sh [WORKDIR/] [CLASS] [N]
#   CLASS  default nova.tests.functional.libvirt.test_numa_live_migration.
#          NUMALiveMigrationRollbackTests (the hang of issue 9)
#   N      default 30
# Each run is `run-nova-tests.sh --tests '^CLASS\.'` with NOVA_RETRIES=0 into
# SOLO_DIR/run-NN (SOLO_DIR defaults to WORKDIR/solo/<timestamp>); a run the
# watchdog killed counts as hung and keeps its stack dumps in run-NN/dumps/.
# NOVA_SM_INTEGRATION, NOVA_STALL_SECONDS, NOVA_TEST_CONCURRENCY work as for
# run-nova-tests.sh. Prints one line per run, then "H of N runs hung" (and
# "P passed, F failed" over the runs that did not hang). Exits non-zero if a
# run left no results.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORKDIR=${NOVA_WORKDIR:-$HERE/../../.tox/nova-work}
[[ ${1:-} == */* ]] && { WORKDIR=$1; shift; }
CLASS=${1:-nova.tests.functional.libvirt.test_numa_live_migration.NUMALiveMigrationRollbackTests}
RUNS=${2:-30}
SOLO=${SOLO_DIR:-$WORKDIR/solo/$(date +%Y%m%dT%H%M%S)}
mkdir -p "$SOLO"
hung=0 bad=0
for i in $(seq 1 "$RUNS"); do
    n=$(printf %02d "$i") out=$SOLO/run-$(printf %02d "$i")
    mkdir -p "$out/lists"
    if [[ -f $SOLO/run-01/plan.json ]]; then  # the same ids, listed once
        cp "$SOLO/run-01/plan.json" "$out/" && cp "$SOLO/run-01/lists/tests.txt" "$out/lists/"
    fi
    NOVA_RETRIES=0 NOVA_RESULTS_DIR=$out "$HERE/run-nova-tests.sh" "$WORKDIR/" \
        --tests "^${CLASS//./\\.}\\." >"$out/run.log" 2>&1
    verdict=$(python3 - "$out/shards/tests.json" <<'PY'
import json, sys
try:
    shard = json.load(open(sys.argv[1]))
except OSError:
    print("no-results"); sys.exit()
c = shard["counts"]
print("hung" if shard["killed"] else "ran", c["passed"], c["failed"],
      shard["wall_seconds"])
PY
)
    read -r state passed failed wall <<<"$verdict"
    case $state in
        hung) hung=$((hung + 1)) ;;
        ran) P=$(( ${P:-0} + passed )) F=$(( ${F:-0} + failed )) ;;
        *) bad=$((bad + 1)) ;;
    esac
    echo "run $n: $state, ${passed:-?} passed, ${failed:-?} failed, ${wall:-?}s  ($out)"
done
echo "$hung of $RUNS runs hung (dumps: $SOLO/run-*/dumps/)"
echo "${P:-0} passed, ${F:-0} failed"
(( bad == 0 ))

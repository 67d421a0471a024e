#!/usr/bin/env bash
# Run one Nova test class alone N times and count the runs that hang.
#
# Usage: tools/nova/solo-runs.sh [WORKDIR/] [CLASS] [N]
#   CLASS  default nova.tests.functional.libvirt.test_numa_live_migration.
#          NUMALiveMigrationRollbackTests (the hang of issue 9)
#   N      runs wanted in SOLO_DIR (default 30); runs already there count,
#          so the same command resumes a series that was stopped
# Each run is `run-nova-tests.sh --tests '^CLASS\.'` with NOVA_RETRIES=0 into
# SOLO_DIR/run-NN (SOLO_DIR defaults to WORKDIR/solo/<timestamp>); a run the
# watchdog killed counts as hung and keeps its stack dumps in run-NN/dumps/.
# NOVA_SM_INTEGRATION, NOVA_STALL_SECONDS, NOVA_TEST_CONCURRENCY work as for
# run-nova-tests.sh. Prints one line per run, then "H of R runs hung" over
# every run in SOLO_DIR, and "P passed, F failed" over the runs that did not
# hang. Exits non-zero if a run left no results.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORKDIR=${NOVA_WORKDIR:-$HERE/../../.tox/nova-work}
[[ ${1:-} == */* ]] && { WORKDIR=${1%/}; shift; }
CLASS=${1:-nova.tests.functional.libvirt.test_numa_live_migration.NUMALiveMigrationRollbackTests}
RUNS=${2:-30}
SOLO=${SOLO_DIR:-$WORKDIR/solo/$(date +%Y%m%dT%H%M%S)}
mkdir -p "$SOLO"
for i in $(seq 1 "$RUNS"); do
    out=$SOLO/run-$(printf %02d "$i")
    [[ -f $out/shards/tests.json ]] && continue  # done in an earlier call
    mkdir -p "$out/lists"
    if [[ -f $SOLO/run-01/plan.json && $i != 1 ]]; then  # listed once
        cp "$SOLO/run-01/plan.json" "$out/" && cp "$SOLO/run-01/lists/tests.txt" "$out/lists/"
    fi
    NOVA_RETRIES=0 NOVA_RESULTS_DIR=$out "$HERE/run-nova-tests.sh" "$WORKDIR/" \
        --tests "^${CLASS//./\\.}\\." >"$out/run.log" 2>&1
    echo "run $(basename "$out"): see $out/run.log"
done
python3 - "$SOLO" <<'PY'
import glob, json, os, sys
hung = ran = passed = failed = bad = 0
for run in sorted(glob.glob(os.path.join(sys.argv[1], "run-*"))):
    try:
        with open(os.path.join(run, "shards", "tests.json")) as f:
            shard = json.load(f)
    except OSError:
        print(f"{run}: no results"); bad += 1; continue
    c = shard["counts"]
    state = "hung" if shard["killed"] else "ran"
    print(f"{os.path.basename(run)}: {state}, {c['passed']} passed, "
          f"{c['failed']} failed, {shard['wall_seconds']}s")
    if shard["killed"]:
        hung += 1
    else:
        ran += 1; passed += c["passed"]; failed += c["failed"]
print(f"{hung} of {hung + ran} runs hung (dumps: {sys.argv[1]}/run-*/dumps/)")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if bad else 0)
PY

#!/usr/bin/env bash
# Run our selections of Nova 34.0.0's own tests (unit, then functional).
#
# Usage: tools/nova/run-nova-tests.sh [WORKDIR] [unit] [functional]
#   WORKDIR defaults to ${NOVA_WORKDIR:-.tox/nova-work} (set up by setup-nova.sh,
#   which this script runs first; it is a no-op when nothing changed).
#   With no selection named, both run, unit first.
# Environment:
#   NOVA_TEST_CONCURRENCY  stestr workers (default 2)
#   NOVA_RESULTS_DIR       where results go (default WORKDIR/results/<timestamp>)
#   NOVA_SKIP_SETUP=1      do not call setup-nova.sh
#   NOVA_SM_EXTRA_PIP      passed through to setup-nova.sh
#   NOVA_SM_INTEGRATION=1  run with nova_migration_sm: installs this repo into
#                          the Nova venv, applies tools/nova/nova-34.0.0.patch,
#                          records every checked status move to
#                          NOVA_RESULTS_DIR/moves.jsonl and prints
#                          tools/nova/report.py's report at the end (its exit
#                          status counts: a refused move fails the run).
#                          Use a WORKDIR of its own: the patch is applied to
#                          the sdist the venv runs.
#   NOVA_BASELINE_RESULTS  results dir of a plain-Nova run, for the report
#   NOVA_STALL_SECONDS     kill the run when its subunit stream has not grown
#                          for this long (default 300; a hung worker otherwise
#                          blocks forever, see below)
#   NOVA_MAX_SECONDS       hard limit per selection (default 3600)
#
# Per selection, in NOVA_RESULTS_DIR: SEL.subunit (the subunit v2 stream,
# written live), SEL.log (subunit-trace of it, live; it also carries the stray
# Nova log lines of green threads that outlive their test, which is normal),
# SEL.stderr.log (stestr's own stderr), SEL.summary.json (counts, skipped ids,
# slowest tests, failing ids), SEL.failing.txt, and a stestr repository in
# SEL.stestr/ (`stestr -u DIR last`, `stestr -u DIR failing` work on it).
# Prints "SEL: N passed, M failed, K skipped" per selection; tests that were
# listed but never finished count as failed. Exits non-zero if any failed.
#
# Why the watchdog: in one run (load average ~5 from other jobs) a worker ran
# into OS_TEST_TIMEOUT in libvirt.test_numa_live_migration...test_bug_1843639,
# tore the test's services down, and then sat idle in the eventlet hub without
# ever reporting the test, so `stestr run` never returned. Alone, the test
# passes in ~9 s.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORKDIR=""
SELECTIONS=()
for arg in "$@"; do
    case $arg in
        unit|functional) SELECTIONS+=("$arg") ;;
        -h|--help) awk 'NR>1 && /^#/ {sub(/^# ?/, ""); print; next} NR>1 {exit}' "$0"; exit 0 ;;
        *) WORKDIR=$arg ;;
    esac
done
WORKDIR=${WORKDIR:-${NOVA_WORKDIR:-.tox/nova-work}}
(( ${#SELECTIONS[@]} )) || SELECTIONS=(unit functional)

REPO=$(cd "$HERE/../.." && pwd)
if [[ ${NOVA_SM_INTEGRATION:-0} == 1 ]]; then
    export NOVA_PATCH=${NOVA_PATCH:-$HERE/nova-34.0.0.patch}
    export NOVA_SM_EXTRA_PIP="-e $REPO ${NOVA_SM_EXTRA_PIP:-}"
fi
if [[ ${NOVA_SKIP_SETUP:-0} != 1 ]]; then
    setup_out=$("$HERE/setup-nova.sh" "$WORKDIR") || { echo "setup-nova.sh failed" >&2; exit 2; }
    eval "$(grep -E '^NOVA_(VENV|SDIST)=' <<<"$setup_out" | sed 's/=\(.*\)/="\1"/')"
else
    WORKDIR=$(cd "$WORKDIR" && pwd)
    NOVA_VENV=$WORKDIR/venv
    sdists=("$WORKDIR"/nova-*/)
    NOVA_SDIST=${sdists[0]%/}
fi
[[ -x $NOVA_VENV/bin/stestr && -f $NOVA_SDIST/.stestr.conf ]] || {
    echo "no Nova venv/sdist in $WORKDIR" >&2; exit 2; }

CONCURRENCY=${NOVA_TEST_CONCURRENCY:-2}
STALL_SECONDS=${NOVA_STALL_SECONDS:-300}  # > OS_TEST_TIMEOUT (160 s)
MAX_SECONDS=${NOVA_MAX_SECONDS:-3600}
RESULTS=${NOVA_RESULTS_DIR:-$WORKDIR/results/$(date +%Y%m%dT%H%M%S)}
mkdir -p "$RESULTS"
RESULTS=$(cd "$RESULTS" && pwd)

# Nova's tox env for unit and functional tests ([testenv:functional] in tox.ini);
# LC_ALL=C.UTF-8 because en_US.utf-8 may not exist here.
NOVA_ENV=(
    OS_STDOUT_CAPTURE=1 OS_STDERR_CAPTURE=1 OS_TEST_TIMEOUT=160
    LANGUAGE=en_US LC_ALL=C.UTF-8 PYTHONDONTWRITEBYTECODE=1
    NOVA_RAISE_ON_GREENLET_LEAK=True OS_NOVA_DISABLE_EVENTLET_PATCHING=False
    PATH="$NOVA_VENV/bin:$PATH" VIRTUAL_ENV="$NOVA_VENV"
)
MOVES=""
if [[ ${NOVA_SM_INTEGRATION:-0} == 1 ]]; then
    # The library's options: strict enforcement (oslo.config reads
    # OS_<GROUP>__<OPTION>); every checked move goes to moves.jsonl.
    MOVES=$RESULTS/moves.jsonl
    rm -f "$MOVES"
    NOVA_ENV+=(OS_MIGRATION_STATE_MACHINE__ENFORCEMENT=${OS_MIGRATION_STATE_MACHINE__ENFORCEMENT:-strict}
               NOVA_MIGRATION_SM_RECORD="$MOVES")
fi

# Reads a subunit stream, writes SEL.summary.json and SEL.failing.txt, prints
# the counts line. Tests in the list that never reported count as failed.
SUMMARISE=$(cat <<'PY'
import json, os, sys, collections
import subunit, testtools
sel, stream, listfile, out, wall, rc = sys.argv[1:7]
tests = {}
result = testtools.StreamToDict(lambda t: tests.__setitem__(t["id"], t))
result.startTestRun()
with open(stream, "rb") as f:
    subunit.ByteStreamToStreamResult(f, non_subunit_name="stdout").run(result)
result.stopTestRun()
wanted = [l.strip() for l in open(listfile) if l.strip()]
counts = collections.Counter()
failing, durations = [], []
for tid, t in sorted(tests.items()):
    st = t["status"]
    start, stop = t["timestamps"]
    if start and stop:
        durations.append(((stop - start).total_seconds(), tid))
    if st in ("success", "xfail"):
        counts["passed"] += 1
    elif st == "skip":
        counts["skipped"] += 1
    elif st in ("exists", "inprogress", None):
        continue  # enumerated or started, never finished: counted below
    else:
        counts["failed"] += 1
        failing.append(f"{tid}  [{st}]")
unfinished = [t for t in wanted if t in tests and tests[t]["status"] == "inprogress"]
missing = [t for t in wanted if t not in unfinished
           and (t not in tests or tests[t]["status"] in ("exists", None))]
failing += [f"{t}  [started, never finished]" for t in unfinished]
failing += [f"{t}  [did not run]" for t in missing]
counts["failed"] += len(unfinished) + len(missing)
killed = open(f"{out}.killed").read().strip() if os.path.exists(f"{out}.killed") else None
summary = {"selection": sel, "listed": len(wanted), "passed": counts["passed"],
           "failed": counts["failed"], "skipped": counts["skipped"],
           "unfinished": len(unfinished), "did_not_run": len(missing),
           "wall_seconds": int(wall), "stestr_exit": int(rc), "killed": killed,
           "skipped_ids": sorted(t for t in tests if tests[t]["status"] == "skip"),
           "slowest": [[round(d, 1), t] for d, t in sorted(durations, reverse=True)[:10]],
           "failing": failing}
json.dump(summary, open(f"{out}.summary.json", "w"), indent=1)
open(f"{out}.failing.txt", "w").write("".join(f + "\n" for f in failing))
shown = failing if len(failing) <= 30 else failing[:30] + [f"... {len(failing) - 30} more in {out}.failing.txt"]
for f in shown:
    print(f"  FAILED {f}")
print(f"{sel}: {counts['passed']} passed, {counts['failed']} failed, "
      f"{counts['skipped']} skipped")
PY
)

# stestr's own subunit-trace; `python -m stestr.subunit_trace` misses an import.
TRACE='import sys, subunit.test_results; from stestr import subunit_trace
sys.argv[1:] = ["--fails"]; subunit_trace.main()'

# run_list SEL TEST_PATH LIST OUT: one stestr run of LIST under the
# watchdog; sets $rc, $counts (the "SEL: N passed, M failed, K skipped"
# line) and $summarised (0 when the stream could be read).
run_list() {
    local sel=$1 test_path=$2 list=$3 out=$4 repo=$4.stestr start
    rm -rf "$repo" && mkdir -p "$repo"
    rm -f "$out.subunit" "$out.log" "$out.stderr.log" "$out.killed"
    (cd "$NOVA_SDIST" && env "${NOVA_ENV[@]}" stestr -u "$repo" init >/dev/null)
    echo "== $sel: $(wc -l <"$list") tests, $CONCURRENCY workers, log $out.log" >&2
    start=$(date +%s)
    # timeout(1) leads its own process group and passes TERM on to all of it,
    # so killing $run_pid takes the stestr workers down too.
    (cd "$NOVA_SDIST" && exec env "${NOVA_ENV[@]}" timeout -k 30 "$MAX_SECONDS" \
        stestr -u "$repo" --test-path "$test_path" run --subunit \
        --concurrency "$CONCURRENCY" --load-list "$list") \
        >"$out.subunit" 2>"$out.stderr.log" &
    run_pid=$!
    tail -c +1 --pid="$run_pid" -f "$out.subunit" 2>/dev/null \
        | "$NOVA_VENV/bin/python" -c "$TRACE" >"$out.log" 2>&1 &
    trace_pid=$!
    last_size=-1 last_change=$start
    while kill -0 "$run_pid" 2>/dev/null; do
        sleep 2
        size=$(stat -c %s "$out.subunit" 2>/dev/null || echo 0)
        now=$(date +%s)
        if [[ $size != "$last_size" ]]; then
            last_size=$size last_change=$now
        elif (( now - last_change >= STALL_SECONDS )); then
            echo "== $sel: no progress for ${STALL_SECONDS}s, killing the run" >&2
            echo "stalled after $(( now - start ))s" >"$out.killed"
            kill -TERM "$run_pid" 2>/dev/null
            break
        fi
    done
    wait "$run_pid"
    rc=$?
    [[ $rc == 124 ]] && echo "hit NOVA_MAX_SECONDS=$MAX_SECONDS" >"$out.killed"
    wait "$trace_pid" 2>/dev/null
    wall=$(( $(date +%s) - start ))
    line=$(env "${NOVA_ENV[@]}" "$NOVA_VENV/bin/python" -c "$SUMMARISE" \
        "$sel" "$out.subunit" "$list" "$out" "$wall" "$rc")
    summarised=$?
    echo "$line" | grep -v '^[a-z]*: [0-9]* passed' >&2
    counts=$(echo "$line" | grep '^[a-z]*: [0-9]* passed')
    echo "== $sel: wall ${wall}s, stestr exit $rc" >&2
    [[ -f $out.killed ]] && echo "== $sel: run killed: $(cat "$out.killed")" >&2
    return 0
}

# NOTE: Nova's functional suite sometimes leaves a stestr worker idle in
# the eventlet hub after a test hits OS_TEST_TIMEOUT (seen on plain Nova,
# see above), so the rest of that worker's tests never run. When the
# watchdog kills such a run, the tests it left unfinished or unrun are run
# once more; a test that ran and failed is never retried.
overall=0
summary_lines=()
for sel in "${SELECTIONS[@]}"; do
    case $sel in
        unit) test_path=./nova/tests/unit ;;
        functional) test_path=./nova/tests/functional ;;
    esac
    list=$HERE/$sel-selection.txt
    out=$RESULTS/$sel
    run_list "$sel" "$test_path" "$list" "$out"
    if [[ -f $out.killed && $summarised -eq 0 ]]; then
        sed -n 's/^\(\S*\)  \[\(started, never finished\|did not run\)\]$/\1/p' \
            "$out.failing.txt" >"$out.retry-list.txt"
        retried=$(wc -l <"$out.retry-list.txt")
        first=$counts
        echo "== $sel: a hung worker left $retried tests; running them again" >&2
        run_list "$sel" "$test_path" "$out.retry-list.txt" "$out.retry"
        if [[ $summarised -eq 0 && $rc -eq 0 && ! -f $out.retry.killed ]]; then
            counts=$(awk -v r="$retried" -v s="$sel" '
                {p += $2; f += $4; k += $6}
                END {print s ": " p " passed, " f - r " failed, " k \
                     " skipped (" r " rerun after a hung worker)"}' \
                <<<"$(sed 's/^[a-z]*: //' <<<"$first"$'\n'"$counts" \
                      | sed 's/^/x /')")
        else
            overall=1
        fi
    elif [[ -f $out.killed || $rc -ne 0 ]]; then
        overall=1
    fi
    if [[ $summarised -ne 0 || -z $counts ]]; then
        counts="$sel: 0 passed, $(wc -l <"$list") failed"
        echo "== $sel: could not read the subunit stream" >&2
        overall=1
    fi
    grep -q ' 0 failed' <<<"$counts" || overall=1
    summary_lines+=("$counts")
done

echo "results: $RESULTS" >&2
printf '%s\n' "${summary_lines[@]}"
if [[ -n $MOVES ]]; then
    echo "== nova_migration_sm report (enforcement ${OS_MIGRATION_STATE_MACHINE__ENFORCEMENT:-strict})"
    report_args=(--moves "$MOVES" --results "$RESULTS" --json "$RESULTS/report.json")
    [[ -n ${NOVA_BASELINE_RESULTS:-} ]] && report_args+=(--baseline "$NOVA_BASELINE_RESULTS")
    "$NOVA_VENV/bin/python" "$HERE/report.py" "${report_args[@]}" || overall=1
fi
# One closing line for CI, over all selections.
printf '%s\n' "${summary_lines[@]}" | awk '{p += $2; f += $4} END {print p " passed, " f " failed"}'
exit $overall

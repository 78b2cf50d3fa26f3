#!/usr/bin/env bash
# fuzz-long.sh: the long fuzz campaign, run by hand (make fuzz-long), not in CI.
# Every Fuzz* target in the module runs for FUZZTIME (default 10m), JOBS at a
# time (default 2), each with one fuzz worker (-parallel 1) at low priority,
# so the machine stays usable. SKIP is a space-separated list of targets to
# leave out (e.g. ones already run this long). Logs go to OUT (default
# /tmp/sluice-fuzz-long); the summary (target, package, executions, result)
# is printed at the end and written to OUT/summary.tsv.
#
# A run that ends while the engine is minimising a new input reports
# "context deadline exceeded"; it still ran its full time, so it is counted
# as "ok (ended minimising)". A failing input is reported as FOUND with the
# path of the file the engine wrote under testdata/fuzz.
set -u
fuzztime=${FUZZTIME:-10m} jobs=${JOBS:-2} out=${OUT:-/tmp/sluice-fuzz-long} go=${GO:-go}
skip=" ${SKIP:-} "
mkdir -p "$out"
cd "$(dirname "$0")/.."

targets=$(grep -rl --include='*_test.go' '^func Fuzz' . | while read -r file; do
	pkg=./$(dirname "${file#./}")
	grep -o '^func Fuzz[A-Za-z0-9_]*' "$file" | sed 's/^func //' | while read -r name; do
		echo "$name $pkg"
	done
done | sort -k2,2 -k1,1)

run() {
	local name=$1 pkg=$2
	local log="$out/$(echo "$pkg" | tr '/.' '__')_$name.log"
	nice -n 10 "$go" test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime 1s \
		-parallel 1 "$pkg" >"$log" 2>&1
	local status=$? result=ok
	if grep -q "Failing input written" "$log"; then
		result="FOUND $(grep -o 'testdata/fuzz/[^ ]*' "$log" | head -1)"
	elif [ $status -ne 0 ]; then
		if grep -q "context deadline exceeded" "$log"; then
			result="ok (ended minimising)"
		else
			result="FAILED (see $log)"
		fi
	fi
	local execs
	execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	local elapsed
	elapsed=$(grep -o 'elapsed: [0-9hms]*' "$log" | tail -1 | cut -d' ' -f2)
	printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$pkg" "${elapsed:-?}" "${execs:-0}" "$result" | tee -a "$out/summary.tsv"
}

: >"$out/summary.tsv"
running=0
while read -r name pkg; do
	[ -z "$name" ] && continue
	case "$skip" in *" $name "*) continue ;; esac
	run "$name" "$pkg" &
	running=$((running + 1))
	if [ $running -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
done <<<"$targets"
wait
echo "--- summary ($fuzztime each, $jobs at a time)"
column -t -s $'\t' "$out/summary.tsv"

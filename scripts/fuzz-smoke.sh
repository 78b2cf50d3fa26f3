#!/usr/bin/env bash
# fuzz-smoke.sh TARGET PACKAGE: a short fuzz pass (FUZZTIME, default 5s) of
# one target. A real finding (a failing input written to testdata) fails at
# once. The Go fuzz engine itself sometimes ends a time-limited run with
# "context deadline exceeded" when the time runs out while a worker is
# still minimising a new input (no input is at fault then); that run is
# retried once, and fails only if it happens twice.
set -u
target=$1 pkg=$2 fuzztime=${FUZZTIME:-5s} go=${GO:-go}
for attempt in 1 2; do
	out=$("$go" test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" 2>&1)
	status=$?
	echo "$out" | tail -n 4
	if [ $status -eq 0 ]; then
		exit 0
	fi
	if echo "$out" | grep -q "Failing input written" || ! echo "$out" | grep -q "context deadline exceeded"; then
		echo "$out"
		exit 1
	fi
	echo "fuzz-smoke: $target in $pkg ended with the fuzz engine's deadline error (no failing input); attempt $attempt"
done
exit 1

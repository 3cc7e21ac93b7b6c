#!/usr/bin/env bash
# timed.sh NAME CMD...: runs CMD and prints how long it took ("[time] NAME: 12.3 s"), pass or fail.
name=$1
shift
t0=$(date +%s%N)
rc=0
"$@" || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
printf '[time] %s: %d.%d s%s\n' "$name" $((ms / 1000)) $((ms % 1000 / 100)) "$([[ $rc == 0 ]] || echo " (failed, exit $rc)")"
exit $rc

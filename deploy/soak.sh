#!/usr/bin/env bash
# The soak, in one command: three registrar JVMs (-Xmx256m, default settings) under churn (three pe-sims, 2,142 PEs,
# 5 PEs leaving and 5 joining per second each, re-registration every 2-5 s; a pu-sim at 1,500 resolutions/s) for
# --soak-minutes (default 30), a random fault every --fault-every seconds (default 180: SIGKILL, or a 10 s SIGSTOP,
# of registrar 2 or 3; a supervisor restarts exited registrars). Samples heap after GC, RSS, threads and file
# descriptors of every registrar every 10 s; prints per registrar whether each stayed flat, writes heap.png,
# rss.png and soak.csv to target/chaos/<timestamp>/. Not part of mvn verify.
#
#   deploy/soak.sh [--soak-minutes 30] [--fault-every 180] [--heap 256m] [--out DIR] [any deploy/chaos.sh option]
#
# Exit 0 only if registrar 1 (which lives through every fault) stayed flat in all four.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
case " $* " in
  *" --soak-minutes "*) exec "$root/deploy/chaos.sh" --netns off "$@" ;;
  *) exec "$root/deploy/chaos.sh" --netns off --soak-minutes 30 "$@" ;;
esac

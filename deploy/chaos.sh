#!/usr/bin/env bash
# Faults under load, in one command (about 12 minutes with the defaults on 2 cores): three registrar JVMs
# (-Xmx256m, default settings), restarted by a supervisor when they exit; per scenario three pe-sims (2,142 PEs in
# 21 pools, each pool with PEs homed at all three registrars) and a pu-sim --spread at 1,500 resolutions/s; every
# pool listed at every registrar every 100 ms and checked against the PEs the pe-sims hold. Scenarios: kill
# (SIGKILL), pause (SIGSTOP 15 s, SIGCONT), restart (5 cycles of SIGKILL of a random registrar, 30 s each),
# partition ({1,2}|{3} for 40 s by network namespaces; needs root and iproute2, else skipped with the reason).
# Progress on stderr; a table on stdout and in target/chaos/<timestamp>/report.md; figures in results.json.
#
#   deploy/chaos.sh [--scenarios kill,pause,restart,partition] [--cycles 5] [--cycle-seconds 30]
#                   [--pause-seconds 15] [--partition-seconds 40] [--pools 21] [--pes-per-pool 34] [--rate 1500]
#                   [--heap 256m] [--restart-delay 5] [--netns auto|on|off] [--registrar-opts "-D..."]
#                   [--out DIR] [--help]
#
# Exit 0 only if no serving registrar missed a live PE at any sample, no registration of a live pe-sim failed, at
# least 99.9 % of the resolutions were answered and the registrars agreed after every fault.
# Builds what is missing first (mvn -q -DskipTests package). Every process and namespace it makes is removed on
# exit and Ctrl-C.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [[ ! -f tools/target/poolkeeper-tools.jar ]] || ! compgen -G "registrar-actors/target/registrar-actors-*.jar" >/dev/null; then
  case " $* " in
    *" --help "*|*" -h "*) ;;
    *) echo "chaos: building (mvn -q -DskipTests package) ..." >&2
       mvn -q -DskipTests package ;;
  esac
fi
JAVA_OPTS="${CHAOS_JAVA_OPTS:--Xmx256m -XX:+UseSerialGC}" \
  exec "$root/deploy/lib/run-tool.sh" chaos --root "$root" "$@"

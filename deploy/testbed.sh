#!/usr/bin/env bash
# The paper's real-system testbed (section 3.4, Table 2) on this machine, in one command.
#
#   deploy/testbed.sh [--duration 60] [--hold 8] [--capacity 3] [--pools N] [--pes-per-pool N] [--policies RR,LU] [--rate R]
#                     [--pe-sims 6] [--pu-sims 2] [--out DIR] [--help]
#
# Builds what is missing (mvn -q -DskipTests package), then runs 'deploy/bin/bench testbed': two clustered
# registrars (primary and backup), pe-sim and pu-sim JVMs on loopback. One progress line every 5 s; after the load
# the pe-sims hold their PEs registered for --hold seconds while the registrars are compared; at the end a report on
# stdout, saved with CSV and PNG charts under target/testbed/<timestamp>/ (or --out). Exits non-zero if a process
# failed or the registrars disagree during the hold; every child JVM is stopped on exit, error and Ctrl-C.
# Environment: JAVA_HOME, TESTBED_JAVA_OPTS (the orchestrator JVM; default -Xmx256m -XX:+UseSerialGC).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

missing=0
for jar in tools/target/poolkeeper-tools.jar pe-sim/target/pe-sim.jar pu-sim/target/pu-sim.jar; do
  [[ -f "$jar" ]] || missing=1
done
compgen -G "registrar-actors/target/registrar-actors-*.jar" >/dev/null || missing=1
[[ -d registrar-actors/target/lib ]] || missing=1
if [[ $missing == 1 ]]; then
  case " $* " in
    *" --help "*|*" -h "*) ;;
    *) echo "testbed: building (mvn -q -DskipTests package) ..." >&2
       mvn -q -DskipTests package ;;
  esac
fi

JAVA_OPTS="${TESTBED_JAVA_OPTS:--Xmx256m -XX:+UseSerialGC}" exec "$root/deploy/bin/bench" testbed --root "$root" "$@"

#!/usr/bin/env bash
# The scale benchmark, in one command (about 5 minutes with the defaults on 2 cores): three registrar JVMs on
# loopback with 1 GB heaps; 100,000 pools x 10 PEs registered through all three by the load client (first one PE
# per pool: new pools/s; then the rest into the existing pools: registrations/s); heap after a full GC per node;
# resolutions/s across the cluster; acknowledgement-to-visibility latency; a SIGKILL of one registrar (time until
# every probed pool is written again, PEs homed at the survivors missing at any moment); its restart (join pull).
# Progress lines on stderr, a Markdown table on stdout and in target/scale-bench/<timestamp>/report.md.
#
#   deploy/scale-bench.sh [--pools 100000] [--pes-per-pool 10] [--heap 1g] [--connections 12] [--in-flight 64]
#                         [--kill 3] [--probe-pools 2000] [--resolve-seconds 10] [--registrar-opts "-D..."]
#                         [--out DIR] [--help]
#
# Builds what is missing first (mvn -q -DskipTests package). Every JVM it starts is stopped on exit and Ctrl-C.
# Exit 0 only if every step succeeded (no failed registration, every registrar agreed, no survivor's PE missing,
# every probed pool written again). Environment: JAVA_HOME; SCALE_BENCH_JAVA_OPTS (the orchestrator JVM).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [[ ! -f tools/target/poolkeeper-tools.jar ]] || ! compgen -G "registrar-actors/target/registrar-actors-*.jar" >/dev/null; then
  case " $* " in
    *" --help "*|*" -h "*) ;;
    *) echo "scale-bench: building (mvn -q -DskipTests package) ..." >&2
       mvn -q -DskipTests package ;;
  esac
fi
JAVA_OPTS="${SCALE_BENCH_JAVA_OPTS:--Xmx256m -XX:+UseSerialGC}" \
  exec "$root/deploy/lib/run-tool.sh" scale-bench --root "$root" "$@"

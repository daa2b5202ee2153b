#!/usr/bin/env bash
# Cluster figures on this machine (issue 6's performance table), in one command, about 2 minutes:
#   1. a three-node local cluster: resolutions/s and registrations/s with the pipelined load client spread over
#      the three registrars (the registrars answer resolutions from their local replicas);
#   2. a two-node cluster holding 100,000 PEs (4 pe-sims x 25 pools x 1,000 PEs): a third registrar joins and
#      pulls the whole handlespace; its log line gives the time.
#
#   deploy/cluster-bench.sh [--help]
#
# Needs a build (mvn -q -DskipTests package). State and logs under target/cluster-bench/. Every JVM it starts is
# stopped on exit, error and Ctrl-C.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [[ "${1:-}" == "--help" || "${1:-}" == "-h" ]]; then
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
if [[ $# -gt 0 ]]; then
  echo "cluster-bench: unknown argument '$1' (see --help)" >&2
  exit 2
fi
compgen -G "registrar-actors/target/registrar-actors-*.jar" >/dev/null && [[ -f pe-sim/target/pe-sim.jar ]] || {
  echo "cluster-bench: build first: mvn -q -DskipTests package" >&2
  exit 2
}

state="$root/target/cluster-bench"
rm -rf "$state"
mkdir -p "$state"
export POOLKEEPER_CLUSTER_DIR="$state/cluster"
children=()
cleanup() {
  for pid in "${children[@]}"; do kill "$pid" 2>/dev/null || true; done
  deploy/bin/cluster stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM
say() { echo "cluster-bench: $*" >&2; }
loadgen() { JAVA_OPTS="-Xmx256m -XX:+UseSerialGC" deploy/bin/loadgen "$@"; }

say "starting three registrars"
deploy/bin/cluster start 3 >"$state/cluster-start.out" 2>&1
ports="$(cut -d: -f2 "$POOLKEEPER_CLUSTER_DIR/addresses" | paste -sd,)"
say "resolutions over the three registrars (5 s warm-up, 10 s measured)"
resolve="$(loadgen --port "$ports" --mode resolve -c 6 -k 64 --warmup 5 --duration 10 | head -1)"
say "registrations over the three registrars (5 s warm-up, 10 s measured)"
register="$(loadgen --port "$ports" --mode register -c 6 -k 64 --warmup 5 --duration 10 | head -1)"
deploy/bin/cluster stop >/dev/null 2>&1

say "starting two registrars and registering 100,000 PEs"
deploy/bin/cluster start 2 >"$state/cluster-start-2.out" 2>&1
first="$(head -1 "$POOLKEEPER_CLUSTER_DIR/addresses")"
seed="$(grep -o 'listening on address \[pekko://poolkeeper@[0-9.:]*' "$POOLKEEPER_CLUSTER_DIR/node1.out" \
  | head -1 | sed 's/.*@//')"
for i in 0 1 2 3; do
  JAVA_OPTS="-Xmx512m -XX:+UseSerialGC" deploy/bin/pe-sim --registrars "$first" --pools 25 --pool-prefix "big$i-" \
    --pes-per-pool 1000 --connections 5 --life 600000 --rereg-interval 200000..300000 --duration 300 \
    >"$state/pe-sim-$i.out" 2>"$state/pe-sim-$i.err" &
  children+=($!)
  for _ in $(seq 1 60); do
    sleep 1
    replicated="$(grep -o '"elements":[0-9]*' "$POOLKEEPER_CLUSTER_DIR/node2.json" 2>/dev/null | cut -d: -f2)"
    (( ${replicated:-0} >= (i + 1) * 25000 )) && break
  done
  say "  ${replicated:-0} PEs replicated to the second registrar"
done
say "a third registrar joins and pulls the handlespace"
JAVA_OPTS="-Xmx256m -XX:+UseSerialGC -Dpoolkeeper.registrar.status-file=$state/node3.json" deploy/bin/registrar \
  --host 127.0.0.1 --asap-port 0 --cluster-port 0 --registrar-id 0x103 --seed "$seed" >"$state/node3.out" 2>&1 &
children+=($!)
for _ in $(seq 1 60); do
  sleep 1
  grep -q "listening asap=" "$state/node3.out" && break
done
join="$(grep "join: pulled" "$state/node3.out" | sed 's/.*join: //')"
joined="$(grep -o '"elements":[0-9]*' "$state/node3.json" 2>/dev/null || echo '"elements":?')"

echo "| figure | measured |"
echo "| --- | --- |"
echo "| resolutions, three registrars, local replicas | ${resolve#loadgen } |"
echo "| registrations, three registrars | ${register#loadgen } |"
echo "| join pull, 100,000 PEs from two registrars | $(echo "$join" | paste -sd';' | sed 's/;/; /g') ($joined on the new node) |"

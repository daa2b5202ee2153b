#!/usr/bin/env bash
# Hostile clients against one registrar, in one command (about 8 minutes with the defaults on 2 cores): one
# registrar JVM (-Xmx256m, SerialGC, default settings) on 127.0.0.1, attacked by clients written against the wire
# format only, from 127.0.0.2 on, while legitimate clients on 127.0.0.1 go on. Phases, one row each:
#   hijack     another connection deregisters or re-registers an owner's PEs without the owner secret, with a wrong
#              one, and for a PE registered without one (all must be rejected, the PEs unchanged and kept alive);
#              fail-over with the right secret must work; secret lengths other than 16..64 are invalid
#   reports    EndpointUnreachable: many reports from one connection never remove a PE, 3 distinct reporters do,
#              a re-registration starts the count again; unknown pool/PE reports get an Error
#   ownerless  short connections that pipeline registrations and close at once leave no PE behind; a PE handed
#              over to a new connection of its owner stays
#   floods     one-PE pools, short registering connections, unfinished 64 KiB frames, handle resolutions,
#              unreachability reports (one row each): the registrar lives, a legitimate pool user's resolutions
#              are answered with every legitimate PE, and the heap after GC returns near its baseline
#   fuzz       10,000,000 mutated frames of every message kind over many connections; the legitimate PEs stay
#              listed and fresh connections work at the end
# then a scan of the registrar's log (no OutOfMemoryError, no failed actor). A registrar that exits fails its
# phase (exit status and log tail) and is started again for the next one. Progress on stderr; a table on stdout and
# in target/hostile/<timestamp>/report.md; figures in results.json.
#
#   deploy/hostile.sh [--phases hijack,reports,ownerless,floods,fuzz] [--floods pools,short,slow,resolutions,reports]
#                     [--hijack-pools 4] [--hijack-pes 25] [--same-reports 20] [--ownerless-connections 500]
#                     [--ownerless-registrations 20] [--ownerless-wait 15] [--flood-seconds 30]
#                     [--slow-connections 4000] [--slow-hold 15] [--report-flood-connections 2] [--max-eu-rate 20]
#                     [--legit-pes 10] [--fuzz-frames 10000000] [--fuzz-per-connection 1000] [--fuzz-workers 2]
#                     [--attacker-addresses 16] [--registrar-opts "-D..."] [--seed 1] [--out DIR] [--help]
#
# Exit 0 only if every check of every phase passed (1: a check failed; 2: bad arguments).
# Builds what is missing first (mvn -q -DskipTests package). The registrar JVM it starts is killed on exit and
# Ctrl-C.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [[ ! -f tools/target/poolkeeper-tools.jar ]] || ! compgen -G "registrar-actors/target/registrar-actors-*.jar" >/dev/null; then
  case " $* " in
    *" --help "*|*" -h "*) ;;
    *) echo "hostile: building (mvn -q -DskipTests package) ..." >&2
       mvn -q -DskipTests package ;;
  esac
fi
JAVA_OPTS="${HOSTILE_JAVA_OPTS:--Xmx256m -XX:+UseSerialGC}" \
  exec "$root/deploy/lib/run-tool.sh" hostile --root "$root" "$@"

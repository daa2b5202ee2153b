#!/usr/bin/env bash
# Shared by the launchers in deploy/bin: runs a built jar with JAVA_OPTS, or says how to build it.
#   launch_jar NAME JAR [DEFAULT_JAVA_OPTS] -- ARGS...
# JAVA_OPTS, when set, replaces DEFAULT_JAVA_OPTS; it is split on whitespace, as launchers conventionally do.

poolkeeper_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

launch_jar() {
  local name="$1" jar="$2" default_opts="$3"
  shift 3
  [[ "${1:-}" == "--" ]] && shift
  if [[ ! -f "$jar" ]]; then
    echo "$name: $jar not found; build it first: (cd $poolkeeper_root && mvn -q -DskipTests package)" >&2
    exit 2
  fi
  local java_bin="java"
  if [[ -n "${JAVA_HOME:-}" ]]; then
    java_bin="$JAVA_HOME/bin/java"
  fi
  # shellcheck disable=SC2086
  exec "$java_bin" ${JAVA_OPTS:-$default_opts} -jar "$jar" "$@"
}

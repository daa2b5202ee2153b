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

# Runs a main class of the built registrar-actors module (its jar plus the runtime dependencies in target/lib).
#   launch_registrar_actors NAME MAIN_CLASS DEFAULT_JAVA_OPTS [EXTRA_JAVA_OPTION...] -- ARGS...
# JAVA (default: java on PATH) is the java command; JAVA_OPTS, when set, replaces DEFAULT_JAVA_OPTS.
launch_registrar_actors() {
  local name="$1" main="$2" default_opts="$3"
  shift 3
  local extra=()
  while [[ $# -gt 0 && "$1" != "--" ]]; do
    extra+=("$1")
    shift
  done
  [[ "${1:-}" == "--" ]] && shift
  local target="$poolkeeper_root/registrar-actors/target" jar="" candidate
  for candidate in "$target"/registrar-actors-*.jar; do
    case "$candidate" in
      *-tests.jar|*-sources.jar|*-javadoc.jar) ;;
      *) [[ -f "$candidate" ]] && jar="$candidate" ;;
    esac
  done
  if [[ -z "$jar" || ! -d "$target/lib" ]]; then
    echo "$name: not built yet; run: (cd $poolkeeper_root && mvn -B -ntp -DskipTests package)" >&2
    exit 1
  fi
  # shellcheck disable=SC2086
  exec "${JAVA:-java}" ${JAVA_OPTS:-$default_opts} "${extra[@]}" -cp "$jar:$target/lib/*" "$main" "$@"
}

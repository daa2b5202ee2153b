#!/usr/bin/env bash
# Runs one tool of tools/target/poolkeeper-tools.jar: run-tool.sh TOOL ARGS... (JAVA_OPTS as for the launchers).
set -euo pipefail
# shellcheck source=launch.sh
source "$(dirname "${BASH_SOURCE[0]}")/launch.sh"
tool="$1"
shift
launch_jar "$tool" "$poolkeeper_root/tools/target/poolkeeper-tools.jar" "-Xmx256m -XX:+UseSerialGC" -- "$tool" "$@"

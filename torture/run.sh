#!/usr/bin/env bash
# logbus-torture: seeded crash/pause fault injection against real local clusters.
#   torture/run.sh [--duration SECONDS] [--runs N] [--seed N] [--nodes 3|5] [--short] [--help]
# Builds what is missing, then runs the harness; its last line is the summary (PASS or FAIL) and
# the exit code is non-zero on any violation. Reports go to torture/target/torture/.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
jar="$root/torture/target/logbus-torture.jar"
if [ ! -f "$jar" ] || [ ! -f "$root/cli/target/logbus.jar" ]; then
  echo "torture: building the jars (mvn -B -DskipTests package)" >&2
  (cd "$root" && mvn -B -q -DskipTests package -pl torture,cli -am) >&2
fi
exec java ${TORTURE_OPTS:-} -Dlogbus.root="$root" \
  -Dorg.slf4j.simpleLogger.defaultLogLevel="${TORTURE_LOG_LEVEL:-info}" \
  -Dorg.slf4j.simpleLogger.showDateTime=true -Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS \
  -jar "$jar" --work-dir "$root/torture/target/torture" "$@"

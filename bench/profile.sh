#!/usr/bin/env bash
# Profile one logbus produce workload with JFR on every node and on the producer.
#
#   bench/profile.sh [--acks all|1] [--seconds S] [--record-size B] [--partitions P] [--out DIR]
#                    [--producer-args "..."] [--topic-config KEY=VALUE]...
#
# Starts a fresh 3-node cluster (deploy/local/cluster.sh, its own LOGBUS_HOME and port base so it
# never touches another cluster), creates a topic (P partitions, RF=3, min.insync.replicas=2),
# warms up for WARMUP_SECONDS (default 20) unrecorded, then records S seconds (default 60) of
# `logbus perf produce` with a JFR recording on each node (started with jcmd for the measured
# window only) and one on the producer JVM. It stops the cluster through cluster.sh, then runs
# bench/jfr_report.py on every recording. Outputs in --out (default bench/target/profile-<time>/):
# node-<i>.jfr, client.jfr, *.txt reports, cpu.tsv (CPU seconds per process in the window),
# idle-cpu-per-s.txt (each node's CPU per second while idle, before the warm-up), requests.txt
# (produce requests/s, records per request, mean broker-side latency from /metrics), uptime
# before/after, the producer's output.
#
# Knobs (env): PROFILE_HOME (cluster folder, default /tmp/perf-lb/home), PROFILE_PORT_BASE (28000),
# WARMUP_SECONDS (20), LOGBUS_JAR (default: a copy of cli/target/logbus.jar taken at start, so a
# rebuild by someone else during the run changes nothing), NODE_HEAP (-Xms1g -Xmx1g).
# The JFR settings are the JDK's profile.jfc with the thresholds of fsync (jdk.FileForce), file
# writes and reads at 0 (every call counted: appends per fsync, bytes per append) and of
# locks/parks at 1 ms.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
acks=all; seconds=60; size=1024; partitions=6; out=""; producer_args=""; topic_configs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --acks) acks="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --record-size) size="$2"; shift 2 ;;
    --partitions) partitions="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --producer-args) producer_args="$2"; shift 2 ;;
    --topic-config) topic_configs+=(--config "$2"); shift 2 ;;
    -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "profile.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$acks" in all|1|0) ;; *) echo "profile.sh: --acks must be all, 1 or 0" >&2; exit 2 ;; esac
for v in "$seconds" "$size" "$partitions"; do
  [[ "$v" =~ ^[1-9][0-9]*$ ]] || { echo "profile.sh: --seconds/--record-size/--partitions must be positive numbers" >&2; exit 2; }
done
out="${out:-$root/bench/target/profile-$(date +%Y%m%d-%H%M%S)-acks$acks}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
warmup="${WARMUP_SECONDS:-20}"

export LOGBUS_HOME="${PROFILE_HOME:-/tmp/perf-lb/home}"
export LOGBUS_PORT_BASE="${PROFILE_PORT_BASE:-28000}"
export LOGBUS_NODE_OPTS="${NODE_HEAP:--Xms1g -Xmx1g} -XX:+UseG1GC -XX:+UnlockDiagnosticVMOptions -XX:+DebugNonSafepoints"
if [ -z "${LOGBUS_JAR:-}" ]; then
  cp "$root/cli/target/logbus.jar" "$out/logbus.jar"
  export LOGBUS_JAR="$out/logbus.jar"
fi
cluster="$root/deploy/local/cluster.sh"
logbus="$root/bin/logbus"
bootstrap="127.0.0.1:$((LOGBUS_PORT_BASE + 1)),127.0.0.1:$((LOGBUS_PORT_BASE + 2)),127.0.0.1:$((LOGBUS_PORT_BASE + 3))"

# JFR settings: profile.jfc with every fsync, write and read recorded and locks/parks from 1 ms.
jdk_home="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
sed -e '/<event name="jdk.FileForce">/,/<\/event>/ s|<setting name="threshold"[^>]*>[^<]*<|<setting name="threshold">0 ms<|' \
    -e '/<event name="jdk.JavaMonitorEnter">/,/<\/event>/ s|<setting name="threshold"[^>]*>[^<]*<|<setting name="threshold">1 ms<|' \
    -e '/<event name="jdk.ThreadPark">/,/<\/event>/ s|<setting name="threshold"[^>]*>[^<]*<|<setting name="threshold">1 ms<|' \
    -e '/<event name="jdk.FileWrite">/,/<\/event>/ s|<setting name="threshold"[^>]*>[^<]*<|<setting name="threshold">0 ms<|' \
    -e '/<event name="jdk.FileRead">/,/<\/event>/ s|<setting name="threshold"[^>]*>[^<]*<|<setting name="threshold">0 ms<|' \
    "$jdk_home/lib/jfr/profile.jfc" > "$out/logbus-profile.jfc"

node_pids() { for i in 1 2 3; do cat "$LOGBUS_HOME/node-$i/node.pid"; done; }
cpu_of() { awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

rm -rf "$LOGBUS_HOME"
"$cluster" up 3 > "$out/cluster-up.out" 2>&1
trap '"$cluster" down > "$out/cluster-down.out" 2>&1 || true' EXIT
# A loaded machine can time out the first admin call; try a few times.
for attempt in 1 2 3 4 5; do
  "$logbus" topics create --bootstrap "$bootstrap" --topic perf --partitions "$partitions" \
    --replication-factor 3 --config min.insync.replicas=2 "${topic_configs[@]}" --request-timeout-ms 60000 \
    > "$out/topic.out" 2>&1 && break
  grep -q 'already exists\|TOPIC_ALREADY_EXISTS' "$out/topic.out" && break
  [ "$attempt" -lt 5 ] || { cat "$out/topic.out" >&2; exit 1; }
  sleep 2
done

# The idle cluster's own CPU (quorum heartbeats, metadata, JFR off): subtract it from the window's.
declare -A idle0
for p in $(node_pids); do idle0[$p]=$(cpu_of "$p"); done
sleep 10
for p in $(node_pids); do echo "$p $(echo "scale=2; ($(cpu_of "$p") - ${idle0[$p]}) / $(getconf CLK_TCK) / 10" | bc)"; done > "$out/idle-cpu-per-s.txt"
echo "[$(date -u +%T)] warm-up ${warmup}s (acks=$acks, ${size} B)"
# shellcheck disable=SC2086
timeout $((warmup + 30)) "$logbus" perf produce --bootstrap "$bootstrap" --topic perf --num-records 100000000 \
  --record-size "$size" --throughput -1 --acks "$acks" $producer_args > "$out/warmup.out" 2>&1 &
wpid=$!
sleep "$warmup"; kill "$wpid" 2>/dev/null || true; wait "$wpid" 2>/dev/null || true

scrape() { # suffix: every node's /metrics (produce request counts, records in) to metrics-<i>-<suffix>.txt
  date +%s.%N > "$out/time-$1.txt"
  for i in 1 2 3; do
    curl -s -m 10 "http://127.0.0.1:$((LOGBUS_PORT_BASE + 200 + i))/metrics" > "$out/metrics-$i-$1.txt" || true
  done
}
scrape before
uptime > "$out/uptime-before.txt"
declare -A before
for p in $(node_pids); do
  before[$p]=$(cpu_of "$p")
  jcmd "$p" JFR.start name=perf settings="$out/logbus-profile.jfc" > /dev/null
done
echo "[$(date -u +%T)] measuring ${seconds}s; $(cat "$out/uptime-before.txt")"
# The producer runs until killed after the window; its JFR is dumped at exit.
# shellcheck disable=SC2086
LOGBUS_OPTS="-XX:+UnlockDiagnosticVMOptions -XX:+DebugNonSafepoints -XX:StartFlightRecording=filename=$out/client.jfr,settings=$out/logbus-profile.jfc,dumponexit=true" \
  "$logbus" perf produce --bootstrap "$bootstrap" --topic perf --num-records 100000000 \
  --record-size "$size" --throughput -1 --acks "$acks" --reporting-interval-ms 5000 $producer_args \
  > "$out/produce.out" 2>&1 &
ppid_=$!
client_before=0
sleep 1; client_java="$(pgrep -P "$ppid_" java || echo "$ppid_")"
sleep "$((seconds - 1))"
i=0
{
  printf 'process\tpid\tcpu_s\n'
  for p in $(node_pids); do
    i=$((i + 1))
    printf 'node-%s\t%s\t%s\n' "$i" "$p" "$(echo "scale=1; ($(cpu_of "$p") - ${before[$p]}) / $(getconf CLK_TCK)" | bc)"
  done
  printf 'client\t%s\t%s\n' "$client_java" "$(echo "scale=1; ($(cpu_of "$client_java") - $client_before) / $(getconf CLK_TCK)" | bc)"
} > "$out/cpu.tsv"
echo "cpu.tsv covers $(echo "$(date +%s.%N) - $(cat "$out/time-before.txt")" | bc) s" >> "$out/cpu.tsv"
i=0
for p in $(node_pids); do
  i=$((i + 1))
  jcmd "$p" JFR.stop name=perf filename="$out/node-$i.jfr" > /dev/null
done
uptime > "$out/uptime-after.txt"
scrape after
kill -TERM "$client_java" 2>/dev/null || true
wait "$ppid_" 2>/dev/null || true
"$cluster" down > "$out/cluster-down.out" 2>&1 || true
trap - EXIT
echo "[$(date -u +%T)] done; $(cat "$out/uptime-after.txt")"
cat "$out/cpu.tsv"
grep -E 'records sent' "$out/produce.out" | tail -3 || true

# Produce requests and records per node in the window, from the brokers' own counters.
python3 - "$out" "$seconds" <<'PY' | tee "$out/requests.txt"
import re, sys
out = sys.argv[1]
# The real time between the two scrapes (jcmd and curl are slow on a loaded machine).
secs = float(open(f"{out}/time-after.txt").read()) - float(open(f"{out}/time-before.txt").read())
print(f"window between scrapes: {secs:.1f} s")
def read(path):
    vals = {}
    for line in open(path, errors="replace"):
        m = re.match(r"^(logbus_produce_latency_seconds_count|logbus_produce_latency_seconds_sum|logbus_records_in_total|logbus_bytes_in_total)(\{[^}]*\})? ([\d.eE+-]+)$", line)
        if m:
            vals[m.group(1)] = vals.get(m.group(1), 0.0) + float(m.group(3))
    return vals
tot_req = tot_rec = 0
for i in (1, 2, 3):
    try:
        b, a = read(f"{out}/metrics-{i}-before.txt"), read(f"{out}/metrics-{i}-after.txt")
    except OSError:
        continue
    d = {k: a.get(k, 0) - b.get(k, 0) for k in a}
    req, rec = d.get("logbus_produce_latency_seconds_count", 0), d.get("logbus_records_in_total", 0)
    tot_req += req; tot_rec += rec
    print(f"node-{i}: {req / secs:.0f} produce requests/s, {rec / secs:.0f} records/s in, "
          f"{rec / req if req else 0:.1f} records/request, {d.get('logbus_bytes_in_total', 0) / secs / 1e6:.2f} MB/s in, "
          f"mean broker-side produce latency {1000 * d.get('logbus_produce_latency_seconds_sum', 0) / req if req else 0:.1f} ms")
print(f"cluster: {tot_req / secs:.0f} produce requests/s, {tot_rec / secs:.0f} records/s, {tot_rec / tot_req if tot_req else 0:.1f} records/request")
PY

for f in "$out"/node-*.jfr "$out"/client.jfr; do
  [ -f "$f" ] || continue
  python3 "$root/bench/jfr_report.py" "$f" > "${f%.jfr}.txt" 2> "${f%.jfr}.err" || echo "jfr_report failed on $f" >&2
done
echo "reports: $out/*.txt"

#!/usr/bin/env bash
# logbus beside Apache Kafka (KRaft) on this machine, in one run, with the same workloads.
#
#   bench/compare.sh [--pairs N] [--workloads a,b,c,d,e]
#
# For each pair it runs Kafka then logbus (A B A B ...), each as a fresh 3-node cluster on
# loopback with -Xmx1g -Xms1g per node, topics with 6 partitions, RF=3, min.insync.replicas=2,
# a discarded warm-up run, then the workloads:
#   a  1 KiB records, acks=all, unthrottled            (produce: rec/s, MiB/s, p50/p99/p99.9)
#   b  100-byte records, acks=all, unthrottled
#   c  1 KiB records, acks=1, unthrottled
#   d  1 KiB records, acks=all, fixed 10,000 rec/s     (latency at a steady load)
#   e  consume 1 GiB already stored                    (MiB/s)
#   plus end-to-end latency (produce -> consumer receipt) p50/p99 at acks=all.
# It prints per workload the median over pairs for each system, the ratio logbus/Kafka, and the
# CPU seconds each cluster's processes used. Raw outputs and results.tsv go to bench/target/.
#
# Kafka comes from ../shared/bench/kafka (jars fetched from Maven Central by its setup.sh);
# logbus from deploy/local/cluster.sh and bin/logbus (built if missing).
# Knobs (env): N1K (default 1000000), N100 (5000000), NRATE_SECONDS (30), CONSUME_GIB (1),
# CONSUME_RECORDS (overrides CONSUME_GIB), NE2E (10000), RUN_TIMEOUT (300 s per tool run), KAFKA_KIT (the kit's folder).
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
kit="${KAFKA_KIT:-$root/../shared/bench/kafka}"
pairs=3
workloads="a,b,c,d,e"
while [ $# -gt 0 ]; do
  case "$1" in
    --pairs) pairs="$2"; shift 2 ;;
    --workloads) workloads="$2"; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "compare.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$pairs" =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: --pairs must be a positive number" >&2; exit 2; }
[ -d "$kit" ] || { echo "compare.sh: no Kafka kit at $kit (set KAFKA_KIT)" >&2; exit 1; }

N1K="${N1K:-1000000}"; N100="${N100:-5000000}"; NRATE_SECONDS="${NRATE_SECONDS:-30}"
CONSUME_GIB="${CONSUME_GIB:-1}"; NE2E="${NE2E:-10000}"; RUN_TIMEOUT="${RUN_TIMEOUT:-300}"
CONSUME_RECORDS="${CONSUME_RECORDS:-$(( CONSUME_GIB * 1024 * 1024 ))}"   # 1 KiB records
HZ="$(getconf CLK_TCK)"
out="$root/bench/target/compare-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
tsv="$out/results.tsv"
printf 'system\tpair\tworkload\trec_per_s\tmib_per_s\tp50_ms\tp99_ms\tp999_ms\tcpu_s\n' > "$tsv"

# ---- Kafka side (the kit's scripts, unchanged)
# KA_HOME: the kit's default (${TMPDIR:-/tmp}/kafka-bench) unless set, so jars are fetched once.
# shellcheck disable=SC1091
source "$kit/env.sh"
[ -d "$KA_LIBS" ] || bash "$kit/setup.sh" > "$out/kafka-setup.out" 2>&1
kafka_bootstrap="$(ka_bootstrap 3)"

# ---- logbus side
logbus="$root/bin/logbus"
[ -f "$root/cli/target/logbus.jar" ] || (cd "$root" && mvn -B -q -DskipTests package) >&2
logbus_port_base=19090
logbus_bootstrap="127.0.0.1:19091,127.0.0.1:19092,127.0.0.1:19093"

cluster_pids() {
  case "$1" in
    kafka) cat "$KA_PIDS"/node*.pid ;;
    logbus) cat "$LOGBUS_HOME"/node-*/node.pid ;;
  esac
}
cpu_ticks() { local t=0 p; for p in $(cluster_pids "$1"); do t=$(( t + $(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null || echo 0) )); done; echo "$t"; }

start_cluster() {
  case "$1" in
    kafka) bash "$kit/start-cluster.sh" 3 > "$out/$1-$2-start.out" 2>&1 ;;
    logbus)
      export LOGBUS_HOME="$out/logbus-home-$2" LOGBUS_PORT_BASE="$logbus_port_base"
      export LOGBUS_NODE_OPTS="-Xms1g -Xmx1g -XX:+UseG1GC"
      "$root/deploy/local/cluster.sh" up 3 > "$out/$1-$2-start.out" 2>&1 ;;
  esac
}
stop_cluster() {
  case "$1" in
    kafka) bash "$kit/stop-cluster.sh" --wipe > /dev/null 2>&1 || true ;;
    logbus) "$root/deploy/local/cluster.sh" down > /dev/null 2>&1 || true; rm -rf "$LOGBUS_HOME" ;;
  esac
}
create_topic() { # system topic
  case "$1" in
    kafka) ka_topics --bootstrap-server "$kafka_bootstrap" --create --topic "$2" --partitions 6 \
             --replication-factor 3 --config min.insync.replicas=2 > /dev/null ;;
    logbus) "$logbus" topics create --bootstrap "$logbus_bootstrap" --topic "$2" --partitions 6 \
             --replication-factor 3 --config min.insync.replicas=2 > /dev/null ;;
  esac
}
produce() { # system name topic records size acks throughput
  local sys="$1" name="$2" topic="$3" n="$4" size="$5" acks="$6" rate="$7"
  case "$sys" in
    kafka) timeout "$RUN_TIMEOUT" "$JAVA" $KA_TOOL_HEAP $KA_JVM_PERF \
             -Dlog4j2.configurationFile="$KA_CONF/log4j2-tools.properties" -cp "$KA_LIBS/*" \
             org.apache.kafka.tools.ProducerPerformance --bootstrap-server "$kafka_bootstrap" --topic "$topic" \
             --num-records "$n" --record-size "$size" --throughput "$rate" --producer-props acks="$acks" \
             > "$out/$name.out" 2>&1 ;;
    logbus) timeout "$RUN_TIMEOUT" "$logbus" perf produce --bootstrap "$logbus_bootstrap" --topic "$topic" \
             --num-records "$n" --record-size "$size" --throughput "$rate" --acks "$acks" > "$out/$name.out" 2>&1 ;;
  esac
}
consume() { # system name topic records
  case "$1" in
    kafka) timeout "$RUN_TIMEOUT" "$JAVA" $KA_TOOL_HEAP $KA_JVM_PERF \
             -Dlog4j2.configurationFile="$KA_CONF/log4j2-tools.properties" -cp "$KA_LIBS/*" \
             org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "$kafka_bootstrap" --topic "$3" \
             --messages "$4" > "$out/$2.out" 2>&1 ;;
    logbus) timeout "$RUN_TIMEOUT" "$logbus" perf consume --bootstrap "$logbus_bootstrap" --topic "$3" \
             --messages "$4" > "$out/$2.out" 2>&1 ;;
  esac
}
e2e() { # system name topic
  case "$1" in
    kafka) timeout "$RUN_TIMEOUT" "$JAVA" $KA_TOOL_HEAP $KA_JVM_PERF \
             -Dlog4j2.configurationFile="$KA_CONF/log4j2-tools.properties" -cp "$KA_LIBS/*" \
             org.apache.kafka.tools.EndToEndLatency "$kafka_bootstrap" "$3" "$NE2E" all 1024 \
             > "$out/$2.out" 2>&1 ;;
    logbus) timeout "$RUN_TIMEOUT" "$logbus" perf e2e --bootstrap "$logbus_bootstrap" --topic "$3" \
             --num-records "$NE2E" --record-size 1024 --acks all > "$out/$2.out" 2>&1 ;;
  esac
}

# One row of results.tsv from a tool's output (both systems print ProducerPerformance's line).
record_row() { # system pair workload file cpu_s kind
  python3 - "$@" >> "$tsv" <<'PY'
import re, sys
system, pair, workload, path, cpu, kind = sys.argv[1:7]
text = open(path, errors="replace").read()
row = ["", "", "", "", ""]
if kind == "produce":
    m = re.findall(r"^(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), [\d.]+ ms avg latency, "
                   r"[\d.]+ ms max latency, ([\d.]+) ms 50th, [\d.]+ ms 95th, ([\d.]+) ms 99th, ([\d.]+) ms 99\.9th\.", text, re.M)
    if m:
        _, rps, mbs, p50, p99, p999 = m[-1]
        row = [rps, mbs, p50, p99, p999]
elif kind == "consume":
    m = re.findall(r"^\d{4}-\d\d-\d\d[^,]*, [^,]*, ([\d.]+), ([\d.]+), (\d+), ([\d.]+)", text, re.M)   # Kafka
    if m:
        row = [m[-1][3], m[-1][1], "", "", ""]
    m = re.findall(r"records consumed in [\d.]+ s: ([\d.]+) records/sec \(([\d.]+) MB/sec", text)     # logbus
    if m:
        row = [m[-1][0], m[-1][1], "", "", ""]
elif kind == "e2e":
    m = re.findall(r"Percentiles: 50th = ([\d.]+), 99th = ([\d.]+), 99\.9th = ([\d.]+)", text)        # Kafka
    if m:
        row = ["", "", m[-1][0], m[-1][1], m[-1][2]]
    m = re.findall(r"p50 ([\d.]+) ms, p99 ([\d.]+) ms, p99\.9 ([\d.]+) ms", text)                     # logbus
    if m:
        row = ["", "", m[-1][0], m[-1][1], m[-1][2]]
if not any(row):
    print(f"compare.sh: could not parse {path}", file=sys.stderr)
print("\t".join([system, pair, workload] + row + [cpu]))
PY
}

# The workloads, each as: <function> system name
run_a() { produce "$1" "$2" w-a "$N1K" 1024 all -1; }
run_b() { produce "$1" "$2" w-b "$N100" 100 all -1; }
run_c() { produce "$1" "$2" w-c "$N1K" 1024 1 -1; }
run_d() { produce "$1" "$2" w-d "$(( 10000 * NRATE_SECONDS ))" 1024 all 10000; }
run_e() { consume "$1" "$2" w-e "$CONSUME_RECORDS"; }
run_e2e() { e2e "$1" "$2" w-e2e; }

measure() { # system pair workload kind function
  local sys="$1" pair="$2" workload="$3" kind="$4" fn="$5"
  local before after name="$sys-$pair-$workload"
  before=$(cpu_ticks "$sys")
  "$fn" "$sys" "$name" || echo "compare.sh: $name failed (see $out/$name.out)" >&2
  after=$(cpu_ticks "$sys")
  record_row "$sys" "$pair" "$workload" "$out/$name.out" "$(echo "scale=1; ($after - $before) / $HZ" | bc)" "$kind"
}

selected() { case ",$workloads," in *,"$1",*) return 0 ;; esac; return 1; }

run_system() { # system pair
  local sys="$1" pair="$2"
  echo "[$(date +%T)] pair $pair: $sys"
  start_cluster "$sys" "$pair"
  trap 'stop_cluster '"$sys" EXIT
  for t in warmup w-a w-b w-c w-d w-e w-e2e; do create_topic "$sys" "$t"; done
  produce "$sys" "$sys-$pair-warmup" warmup "$N1K" 1024 all -1 || true   # JIT warm-up, discarded
  for w in a b c d; do selected "$w" && measure "$sys" "$pair" "$w" produce "run_$w"; done
  if selected e; then
    produce "$sys" "$sys-$pair-fill" w-e "$CONSUME_RECORDS" 1024 all -1 || true
    measure "$sys" "$pair" e consume run_e
  fi
  measure "$sys" "$pair" e2e e2e run_e2e
  stop_cluster "$sys"
  trap - EXIT
}

echo "compare.sh: $pairs pair(s), workloads $workloads, results in $out"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; java: $(java -version 2>&1 | head -1)" | tee "$out/env.txt"
for pair in $(seq 1 "$pairs"); do
  run_system kafka "$pair"
  run_system logbus "$pair"
done

python3 - "$tsv" <<'PY' | tee "$out/summary.txt"
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
fields = ["rec_per_s", "mib_per_s", "p50_ms", "p99_ms", "p999_ms", "cpu_s"]
def med(system, workload, field):
    vals = [float(r[field]) for r in rows if r["system"] == system and r["workload"] == workload and r[field]]
    return statistics.median(vals) if vals else None
print(f"{'workload':8} {'figure':10} {'kafka':>12} {'logbus':>12} {'logbus/kafka':>13}")
for workload in ["a", "b", "c", "d", "e", "e2e"]:
    for field in fields:
        k, l = med("kafka", workload, field), med("logbus", workload, field)
        if k is None and l is None:
            continue
        ratio = f"{l / k:.2f}" if k and l is not None else "-"
        fmt = lambda v: "-" if v is None else f"{v:.2f}"
        print(f"{workload:8} {field:10} {fmt(k):>12} {fmt(l):>12} {ratio:>13}")
PY

#!/usr/bin/env bash
# Local logbus cluster on 127.0.0.1: one background JVM per node.
#
#   cluster.sh up [N]     write configs, start N nodes (default $LOGBUS_NODES, else 3), wait until
#                         ready, print status
#   cluster.sh down       stop every node: SIGTERM, then SIGKILL after LOGBUS_STOP_SECONDS (20)
#   cluster.sh status     process state per node, then `logbus cluster status`
#   cluster.sh kill I     SIGKILL node I (a crash)
#   cluster.sh stop I     SIGTERM node I, SIGKILL after the bound
#   cluster.sh start I    start node I again
#   cluster.sh restart I  stop then start node I
#   cluster.sh logs I     print node I's log (add -f to follow)
#
# Environment:
#   LOGBUS_NODES      node count of `up` when N is not given (default 3)
#   LOGBUS_VOTERS     how many of them (nodes 1..V) form the metadata quorum (odd, default: all
#                     nodes when their count is odd); the others are brokers only
#   LOGBUS_HOME       data folder (default ./.logbus): configs, data, logs and PIDs of this cluster
#   LOGBUS_PORT_BASE  node i gets client port BASE+i, quorum BASE+100+i, HTTP BASE+200+i
#                     (default 19090: 19091.., 19191.., 19291..)
#   LOGBUS_NODE_OPTS  JVM options of each node (default -Xms256m -Xmx1g)
#   LOGBUS_WAIT_SECONDS  bound of `up`/`start` waiting for readiness (default 120)
#
# Processes are found through the PID files under LOGBUS_HOME and checked against their command
# line, which names their config file under LOGBUS_HOME: two clusters with different folders never
# touch each other's processes, and nothing is ever killed by name.
set -euo pipefail

script_dir="$(cd -P "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd -P "$script_dir/../.." && pwd)"
jar="${LOGBUS_JAR:-$root/cli/target/logbus.jar}"
home_rel="${LOGBUS_HOME:-./.logbus}"
# Absolute, without creating it: only `up` creates the folder.
home="$(realpath -m "$home_rel")"
stop_seconds="${LOGBUS_STOP_SECONDS:-20}"
wait_seconds="${LOGBUS_WAIT_SECONDS:-120}"
node_opts="${LOGBUS_NODE_OPTS:--Xms256m -Xmx1g}"

die() { echo "cluster.sh: $*" >&2; exit 1; }
usage() { sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# The cluster's size and port base are fixed at `up` and remembered in $home/cluster.env.
load_env() {
  if [ -f "$home/cluster.env" ]; then
    # shellcheck disable=SC1091
    . "$home/cluster.env"
    # Clusters written before LOGBUS_VOTERS existed: every node is a voter.
    voters="${voters:-$nodes}"
  else
    die "no cluster in $home (run: cluster.sh up)"
  fi
}

client_port() { echo $((port_base + $1)); }
quorum_port() { echo $((port_base + 100 + $1)); }
http_port() { echo $((port_base + 200 + $1)); }
node_dir() { echo "$home/node-$1"; }
config_file() { echo "$(node_dir "$1")/node.properties"; }
pid_file() { echo "$(node_dir "$1")/node.pid"; }
log_file() { echo "$(node_dir "$1")/node.log"; }

check_index() {
  [[ "${1:-}" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le "$nodes" ] ||
    die "node index must be 1..$nodes, got '${1:-}'"
}

# Prints the PID of node I if its process is alive and is really that node (command line names
# its config file); nothing otherwise.
node_pid() {
  local f pid
  f="$(pid_file "$1")"
  [ -f "$f" ] || return 0
  pid="$(cat "$f")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  if kill -0 "$pid" 2>/dev/null && [ -r "/proc/$pid/cmdline" ] &&
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "--config $(config_file "$1")"; then
    echo "$pid"
  fi
}

build_if_missing() {
  if [ ! -f "$jar" ]; then
    echo "Building logbus ($jar is missing): mvn -B -DskipTests package" >&2
    (cd "$root" && mvn -B -DskipTests package) >&2 || die "build failed"
  fi
}

# Nodes 1..voters form the quorum; the config of every node lists them (a node not listed is a
# broker only and follows the voters' metadata log).
write_config() {
  local i="$1" voter_list="" j rf=3
  [ "$nodes" -lt 3 ] && rf="$nodes"
  for ((j = 1; j <= voters; j++)); do
    voter_list="${voter_list:+$voter_list,}$j@127.0.0.1:$(quorum_port "$j")"
  done
  mkdir -p "$(node_dir "$i")/data"
  sed -e "s|@ID@|$i|g" \
    -e "s|@DATA_DIR@|$(node_dir "$i")/data|g" \
    -e "s|@CLIENT_PORT@|$(client_port "$i")|g" \
    -e "s|@VOTERS@|$voter_list|g" \
    -e "s|@HTTP_PORT@|$(http_port "$i")|g" \
    -e "s|@DEFAULT_RF@|$rf|g" \
    "$script_dir/node.properties.template" >"$(config_file "$i")"
}

start_node() {
  local i="$1" pid
  if [ -n "$(node_pid "$i")" ]; then
    echo "node $i is already running (pid $(node_pid "$i"))"
    return 0
  fi
  # shellcheck disable=SC2086 # node_opts is a list of JVM options on purpose.
  nohup java $node_opts -jar "$jar" node start --config "$(config_file "$i")" \
    >>"$(log_file "$i")" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$(pid_file "$i")"
  echo "node $i started (pid $pid, client 127.0.0.1:$(client_port "$i"), log $(log_file "$i"))"
}

# SIGTERM, wait up to stop_seconds, then SIGKILL. Several nodes are stopped in parallel.
stop_nodes() {
  local i pid deadline pids=() ids=()
  for i in "$@"; do
    pid="$(node_pid "$i")"
    if [ -n "$pid" ]; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
      ids+=("$i")
    fi
  done
  deadline=$((SECONDS + stop_seconds))
  for idx in "${!pids[@]}"; do
    pid="${pids[$idx]}"
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "node ${ids[$idx]} did not stop within ${stop_seconds}s; SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    echo "node ${ids[$idx]} stopped"
  done
  for i in "$@"; do
    [ -n "$(node_pid "$i")" ] || rm -f "$(pid_file "$i")"
  done
}

# Waits (bounded) until the quorum has a leader and every node is a registered, alive broker,
# as the cluster itself reports it (`logbus cluster status --wait-for-brokers`).
wait_ready() {
  local i expected=0
  for ((i = 1; i <= nodes; i++)); do
    [ -n "$(node_pid "$i")" ] && expected=$((expected + 1))
  done
  for i in "$@"; do
    [ -n "$(node_pid "$i")" ] || die "node $i exited; see $(log_file "$i")"
  done
  java -jar "$jar" cluster status --bootstrap "$(bootstrap)" --wait-for-brokers "$expected" \
    --wait-timeout-ms $((wait_seconds * 1000)) >/dev/null ||
    die "cluster not ready within ${wait_seconds}s; see the node logs (cluster.sh logs I)"
}

bootstrap() {
  local i list=""
  for ((i = 1; i <= nodes; i++)); do
    list="${list:+$list,}127.0.0.1:$(client_port "$i")"
  done
  echo "$list"
}

print_status() {
  local i pid role
  for ((i = 1; i <= nodes; i++)); do
    pid="$(node_pid "$i")"
    role=voter
    [ "$i" -gt "$voters" ] && role=broker
    if [ -n "$pid" ]; then
      echo "node $i ($role): running (pid $pid) client 127.0.0.1:$(client_port "$i") http $(http_port "$i")"
    else
      echo "node $i ($role): stopped"
    fi
  done
  echo
  java -jar "$jar" cluster status --bootstrap "$(bootstrap)" || true
}

cmd="${1:-}"
[ -n "$cmd" ] || usage
shift || true
case "$cmd" in
up)
  n="${1:-${LOGBUS_NODES:-3}}"
  [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] || die "the node count must be 1 or more, got '$n'"
  v="${LOGBUS_VOTERS:-$n}"
  [[ "$v" =~ ^[0-9]+$ ]] && [ "$v" -ge 1 ] && [ $((v % 2)) -eq 1 ] ||
    die "the voter count must be odd (1, 3, 5, ...), got '$v' (set LOGBUS_VOTERS for an even node count)"
  [ "$v" -le "$n" ] || die "LOGBUS_VOTERS ($v) is larger than the node count ($n)"
  if [ -f "$home/cluster.env" ]; then
    load_env
    for ((i = 1; i <= nodes; i++)); do
      [ -z "$(node_pid "$i")" ] || die "a cluster is already running in $home (run: cluster.sh down)"
    done
  fi
  nodes="$n"
  voters="$v"
  mkdir -p "$home"
  home="$(cd -P "$home" && pwd)"
  port_base="${LOGBUS_PORT_BASE:-19090}"
  [[ "$port_base" =~ ^[0-9]+$ ]] && [ "$port_base" -ge 1024 ] && [ "$port_base" -le 65000 ] ||
    die "LOGBUS_PORT_BASE must be 1024..65000, got '$port_base'"
  build_if_missing
  printf 'nodes=%s\nvoters=%s\nport_base=%s\n' "$nodes" "$voters" "$port_base" >"$home/cluster.env"
  for ((i = 1; i <= nodes; i++)); do
    write_config "$i"
  done
  for ((i = 1; i <= nodes; i++)); do
    start_node "$i"
  done
  all=()
  for ((i = 1; i <= nodes; i++)); do all+=("$i"); done
  wait_ready "${all[@]}"
  echo "cluster of $nodes ready ($voters voters); bootstrap: $(bootstrap)"
  echo
  print_status
  ;;
down)
  load_env
  all=()
  for ((i = 1; i <= nodes; i++)); do all+=("$i"); done
  stop_nodes "${all[@]}"
  ;;
status)
  load_env
  print_status
  ;;
kill)
  load_env
  check_index "${1:-}"
  pid="$(node_pid "$1")"
  [ -n "$pid" ] || die "node $1 is not running"
  kill -KILL "$pid"
  echo "node $1 killed (pid $pid)"
  ;;
stop)
  load_env
  check_index "${1:-}"
  stop_nodes "$1"
  ;;
start)
  load_env
  check_index "${1:-}"
  build_if_missing
  start_node "$1"
  wait_ready "$1"
  ;;
restart)
  load_env
  check_index "${1:-}"
  stop_nodes "$1"
  start_node "$1"
  wait_ready "$1"
  ;;
logs)
  load_env
  check_index "${1:-}"
  if [ "${2:-}" = "-f" ]; then
    exec tail -n 200 -f "$(log_file "$1")"
  fi
  cat "$(log_file "$1")"
  ;;
-h | --help | help)
  usage
  ;;
*)
  echo "cluster.sh: unknown command '$cmd'" >&2
  usage
  ;;
esac

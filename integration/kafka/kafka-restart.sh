#!/usr/bin/env bash
# Restarts the single-node broker (KAFKA_NODES=1) on its existing data, for failure
# tests. Unlike kafka-down.sh it keeps the data, so topics, committed offsets and
# transaction state survive, as they would a broker crash or upgrade.
#
#   kafka-restart.sh [term|kill] [SECONDS]
#
#   term (default)  SIGTERM: controlled shutdown (SIGKILL after KAFKA_STOP_TIMEOUT seconds)
#   kill            SIGKILL: a crash; the next start recovers the unflushed logs
#   SECONDS         how long the broker stays down before it starts again (default 0)
#
# Returns once the broker serves requests again. Only a node that kafka-up.sh started
# (it has a pid file) can be restarted: a broker found through KAFKA_BOOTSTRAP or run
# by docker compose is not this script's to stop.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { kafka_die "usage: $0 [term|kill] [SECONDS]"; }

case ${1:-term} in
term) sig=TERM ;;
kill) sig=KILL ;;
*) usage ;;
esac
down=${2:-0}
[[ $down =~ ^[0-9]+([.][0-9]+)?$ ]] || usage

if [[ -n ${KAFKA_BOOTSTRAP:-} ]]; then
	kafka_die "KAFKA_BOOTSTRAP=$KAFKA_BOOTSTRAP is set: that broker was not started here, so it is not restarted"
fi
if [[ -f $(kafka_node_dir single)/compose ]]; then
	kafka_die "the single node runs under docker compose: restart it with docker compose restart kafka"
fi
pid=$(kafka_pid single) || kafka_die "no single node started by kafka-up.sh is running: run make kafka-up first"

kafka_ensure_jars
start=$SECONDS
kafka_log "stopping single (pid $pid) with SIG$sig"
kafka_stop_node single "$sig"
sleep "$down"
kafka_start_node single
kafka_wait_ready single
kafka_log "restarted single in $((SECONDS - start))s (down ${down}s): 127.0.0.1:$(kafka_node_port single)"

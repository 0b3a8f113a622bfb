#!/usr/bin/env bash
# Controls one node of the three-node cluster (KAFKA_NODES=3) for failure tests:
#
#   kafka-node.sh stop  <1|2|3>   SIGTERM: controlled shutdown, waits until it exited
#   kafka-node.sh kill  <1|2|3>   SIGKILL: a crash, waits until it exited
#   kafka-node.sh start <1|2|3>   starts it on its existing data, waits until it serves
#
# The node's data is kept, so a restarted node catches up and rejoins the ISR.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if (($# != 2)) || [[ ! $2 =~ ^[123]$ ]]; then
	kafka_die "usage: $0 stop|kill|start 1|2|3"
fi
key=node$2

case $1 in
stop) kafka_stop_node "$key" TERM ;;
kill) kafka_stop_node "$key" KILL ;;
start)
	kafka_ensure_jars
	kafka_pid "$key" >/dev/null || kafka_start_node "$key"
	kafka_wait_ready "$key"
	;;
*) kafka_die "usage: $0 stop|kill|start 1|2|3" ;;
esac
kafka_log "$1 $key: done"

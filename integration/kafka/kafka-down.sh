#!/usr/bin/env bash
# Stops what kafka-up.sh started, by pid file only (SIGTERM, then SIGKILL after
# KAFKA_STOP_TIMEOUT seconds), and deletes the data so the next start is clean.
#
#   KAFKA_NODES=1 (default) | 3 | all
#
# With KAFKA_BOOTSTRAP set nothing was started, so nothing is stopped.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

nodes=${KAFKA_NODES:-1}

if [[ -n ${KAFKA_BOOTSTRAP:-} ]]; then
	kafka_log "KAFKA_BOOTSTRAP=$KAFKA_BOOTSTRAP is set: nothing to stop"
	exit 0
fi

case $nodes in
1) keys=(single) ;;
3) keys=(node1 node2 node3) ;;
all) keys=(single node1 node2 node3) ;;
*) kafka_die "KAFKA_NODES must be 1, 3 or all, not '$nodes'" ;;
esac

# Stop nodes in parallel: a cluster node's controlled shutdown waits on the others.
pids=()
for key in "${keys[@]}"; do
	dir=$(kafka_node_dir "$key")
	if [[ $key == single && -f $dir/compose ]]; then
		docker compose -f "$KAFKA_REPO_ROOT/docker-compose.yml" rm --stop --force --volumes kafka
		rm -f "$dir/compose"
		continue
	fi
	if pid=$(kafka_pid "$key"); then
		kafka_log "stopping $key (pid $pid)"
	fi
	kafka_stop_node "$key" TERM &
	pids+=($!)
done
for p in ${pids[@]+"${pids[@]}"}; do wait "$p"; done

for key in "${keys[@]}"; do
	rm -rf "$(kafka_node_dir "$key")/data"
done
kafka_log "stopped: ${keys[*]}"

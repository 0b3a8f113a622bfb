#!/usr/bin/env bash
# Starts a real Apache Kafka 4.x and returns once it serves requests.
#
#   KAFKA_NODES=1 (default)  one KRaft node (broker + controller) on 127.0.0.1:9092
#   KAFKA_NODES=3            a separate three-node cluster on 127.0.0.1:19092,19094,19096
#                            (controllers 19093,19095,19097); it can run beside the single node
#   KAFKA_BOOTSTRAP=host:port  use that broker instead: start nothing
#   KAFKA_USE_DOCKER=0       never use docker compose, even where a Docker engine answers
#
# Without Docker the jars come from Maven Central (first run only) into
# integration/kafka/.cache, where each node keeps its config, data, pid file and logs.
# A node that is already running is left alone, so running this twice is harmless.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

nodes=${KAFKA_NODES:-1}

if [[ -n ${KAFKA_BOOTSTRAP:-} ]]; then
	kafka_log "KAFKA_BOOTSTRAP=$KAFKA_BOOTSTRAP is set: using that broker, starting none"
	exit 0
fi

case $nodes in
1) keys=(single) ;;
3) keys=(node1 node2 node3) ;;
*) kafka_die "KAFKA_NODES must be 1 or 3, not '$nodes'" ;;
esac

if [[ $nodes == 1 ]] && ! kafka_pid single >/dev/null && kafka_probe 127.0.0.1 9092; then
	kafka_log "a broker not started by this script already answers on 127.0.0.1:9092: using it"
	exit 0
fi

if [[ $nodes == 1 ]] && kafka_docker_ok; then
	kafka_log "Docker engine found: docker compose up kafka"
	dir=$(kafka_node_dir single)
	mkdir -p "$dir"
	docker compose -f "$KAFKA_REPO_ROOT/docker-compose.yml" up -d kafka
	touch "$dir/compose" # tells kafka-down.sh to use docker compose
	deadline=$((SECONDS + KAFKA_START_TIMEOUT))
	until kafka_probe 127.0.0.1 9092; do
		((SECONDS < deadline)) || {
			docker compose -f "$KAFKA_REPO_ROOT/docker-compose.yml" logs --tail 40 kafka >&2
			kafka_die "kafka container not serving on 127.0.0.1:9092 after ${KAFKA_START_TIMEOUT}s"
		}
		sleep 0.5
	done
	kafka_log "ready on 127.0.0.1:9092 (docker compose)"
	exit 0
fi

kafka_ensure_jars
start=$SECONDS
started=()
# A broker that failed to become ready is stopped, not left half-started; its logs stay.
trap 'rc=$?; if ((rc != 0)); then for key in ${started[@]+"${started[@]}"}; do kafka_stop_node "$key" KILL; done; fi' EXIT
for key in "${keys[@]}"; do
	if kafka_pid "$key" >/dev/null; then
		continue
	fi
	port=$(kafka_node_port "$key")
	if kafka_probe 127.0.0.1 "$port" || (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		kafka_die "127.0.0.1:$port is taken by another process; stop it or set KAFKA_BOOTSTRAP"
	fi
	kafka_start_node "$key"
	started+=("$key")
done
# Cluster nodes start together: none finishes starting until a quorum of controllers exists.
kafka_wait_ready "${keys[@]}"

addrs=()
for key in "${keys[@]}"; do addrs+=("127.0.0.1:$(kafka_node_port "$key")"); done
if ((${#started[@]} == 0)); then
	kafka_log "already running: $(IFS=,; echo "${addrs[*]}")"
else
	kafka_log "ready in $((SECONDS - start))s: $(IFS=,; echo "${addrs[*]}") (logs: $(kafka_node_dir "${keys[0]}")/logs)"
fi

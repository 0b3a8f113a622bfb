# shellcheck shell=bash
# Shared by kafka-up.sh, kafka-down.sh, kafka-node.sh and bin/*: where the jars and
# the nodes live, how to fetch the jars, start, probe and stop one broker node.
# Sourced, not run. Every node is addressed by a key: "single" (the one-node
# broker on 127.0.0.1:9092) or "node1".."node3" (the three-node cluster).

KAFKA_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC2034 # used by the scripts that source this file
KAFKA_REPO_ROOT=$(cd "$KAFKA_DIR/../.." && pwd)
KAFKA_CACHE=${KAFKA_CACHE:-$KAFKA_DIR/.cache}
KAFKA_LIBS=$KAFKA_CACHE/libs

# Fixed cluster ids (base64 of 16 ASCII bytes): a data dir left by a crash can be
# reused by the next start, which a random id would refuse.
KAFKA_SINGLE_CLUSTER_ID=aGVhZGNvdW50LXNpbmdsZQ    # "headcount-single"
KAFKA_CLUSTER_CLUSTER_ID=aGVhZGNvdW50LTNub2Rlcw   # "headcount-3nodes"

KAFKA_START_TIMEOUT=${KAFKA_START_TIMEOUT:-120}
KAFKA_STOP_TIMEOUT=${KAFKA_STOP_TIMEOUT:-30}

# G1 as in Kafka's own kafka-run-class.sh; a fixed heap avoids resizing pauses.
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xmx512m -Xms512m}
KAFKA_JVM_PERFORMANCE_OPTS=${KAFKA_JVM_PERFORMANCE_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true}

kafka_log() { printf 'kafka: %s\n' "$*" >&2; }
kafka_die() { kafka_log "$*"; exit 1; }

kafka_java() {
	local java=java
	[[ -n ${JAVA_HOME:-} ]] && java=$JAVA_HOME/bin/java
	command -v "$java" >/dev/null 2>&1 ||
		kafka_die "java not found: install Java 17 or newer (Debian: apt-get install openjdk-17-jre-headless)"
	printf '%s' "$java"
}

# kafka_ensure_jars copies the broker, tools and logging jars from Maven Central into
# the cache once; a marker file records which pom.xml produced them, so changing the
# pinned version refetches. A lock keeps concurrent callers from racing.
kafka_ensure_jars() {
	local marker=$KAFKA_LIBS/.complete want
	want=$(cksum <"$KAFKA_DIR/pom.xml")
	[[ -f $marker && $(<"$marker") == "$want" ]] && return 0
	mkdir -p "$KAFKA_CACHE"
	(
		if command -v flock >/dev/null 2>&1; then
			flock 9 || kafka_die "cannot lock $KAFKA_CACHE/.lock"
		fi
		[[ -f $marker && $(<"$marker") == "$want" ]] && exit 0
		command -v mvn >/dev/null 2>&1 ||
			kafka_die "mvn not found: install Maven (Debian: apt-get install maven) to fetch the Kafka jars"
		kafka_log "fetching Apache Kafka jars from Maven Central into $KAFKA_LIBS"
		rm -rf "$KAFKA_LIBS"
		# Output goes to a log (mvn -q still prints colour resets), shown on failure.
		mvn -q -B -f "$KAFKA_DIR/pom.xml" dependency:copy-dependencies -DoutputDirectory="$KAFKA_LIBS" \
			>"$KAFKA_CACHE/maven.log" 2>&1 ||
			{ cat "$KAFKA_CACHE/maven.log" >&2; kafka_die "mvn dependency:copy-dependencies failed"; }
		printf '%s' "$want" >"$marker"
	) 9>"$KAFKA_CACHE/.lock" || exit 1
}

kafka_node_dir() { printf '%s' "$KAFKA_CACHE/$([[ $1 == single ]] && echo single || echo "cluster/$1")"; }

kafka_node_port() {
	case $1 in
	single) echo 9092 ;;
	node[123]) echo $((19090 + 2 * ${1#node})) ;;
	*) kafka_die "unknown node $1" ;;
	esac
}

kafka_cluster_id() { [[ $1 == single ]] && echo "$KAFKA_SINGLE_CLUSTER_ID" || echo "$KAFKA_CLUSTER_CLUSTER_ID"; }

# kafka_render_config writes the node's server.properties from its template.
kafka_render_config() {
	local key=$1 dir port
	dir=$(kafka_node_dir "$key")
	port=$(kafka_node_port "$key")
	mkdir -p "$dir/data" "$dir/logs"
	if [[ $key == single ]]; then
		sed -e "s|@DATA_DIR@|$dir/data|g" "$KAFKA_DIR/config/server-single.properties"
	else
		sed -e "s|@DATA_DIR@|$dir/data|g" -e "s|@NODE_ID@|${key#node}|g" \
			-e "s|@BROKER_PORT@|$port|g" -e "s|@CONTROLLER_PORT@|$((port + 1))|g" \
			"$KAFKA_DIR/config/server-cluster.properties"
	fi >"$dir/server.properties"
}

# kafka_alive succeeds while the process exists and is not a zombie (an exited
# broker whose parent has not reaped it yet must count as stopped).
kafka_alive() {
	kill -0 "$1" 2>/dev/null || return 1
	local stat
	[[ -r /proc/$1/stat ]] || return 0
	stat=$(<"/proc/$1/stat")
	stat=${stat##*) }
	[[ ${stat:0:1} != Z ]]
}

# kafka_pid prints the node's pid when its process is alive and is this node's broker
# (its command line names this node's config), so a recycled pid is never signalled.
kafka_pid() {
	local dir pid args
	dir=$(kafka_node_dir "$1")
	[[ -f $dir/kafka.pid ]] || return 1
	pid=$(<"$dir/kafka.pid")
	[[ $pid =~ ^[0-9]+$ ]] && kafka_alive "$pid" || return 1
	if [[ -r /proc/$pid/cmdline ]]; then
		args=$(tr '\0' ' ' <"/proc/$pid/cmdline")
	else
		args=$(ps -p "$pid" -o args= 2>/dev/null)
	fi
	[[ $args == *kafka.Kafka*"$dir/server.properties"* ]] || return 1
	printf '%s' "$pid"
}

# kafka_probe sends a Kafka ApiVersions v0 request (api key 18, correlation id 1,
# client id "probe") and succeeds when the response carries correlation id 1 and
# error code 0: the broker is serving requests, not merely accepting connections.
kafka_probe() {
	local host=$1 port=$2 out
	local limit=()
	if command -v timeout >/dev/null 2>&1; then limit=(timeout 3); fi # absent on macOS
	# shellcheck disable=SC2016 # expanded by the inner bash
	out=$(${limit[@]+"${limit[@]}"} bash -c '
		exec 3<>"/dev/tcp/$0/$1" || exit 1
		printf "\x00\x00\x00\x0f\x00\x12\x00\x00\x00\x00\x00\x01\x00\x05probe" >&3
		head -c 10 <&3 | od -An -tx1' "$host" "$port" 2>/dev/null) || return 1
	out=${out//[[:space:]]/}
	[[ ${#out} -eq 20 && ${out:8:12} == 000000010000 ]]
}

# kafka_start_node formats the node's data dir if needed and starts its broker in
# the background, detached from the caller's session. It does not wait.
kafka_start_node() {
	local key=$1 dir java
	dir=$(kafka_node_dir "$key")
	java=$(kafka_java)
	kafka_render_config "$key"
	"$java" -Xmx256m -Xms64m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
		-Dlog4j2.configurationFile="$KAFKA_DIR/config/tools-log4j2.xml" \
		-cp "$KAFKA_LIBS/*" kafka.tools.StorageTool format --ignore-formatted \
		--cluster-id "$(kafka_cluster_id "$key")" --config "$dir/server.properties" \
		>"$dir/logs/format.log" 2>&1 ||
		{ cat "$dir/logs/format.log" >&2; kafka_die "formatting $dir/data failed"; }
	if [[ -f $dir/logs/server.log ]]; then
		mv -f "$dir/logs/server.log" "$dir/logs/server.log.prev"
	fi
	# The inner bash writes its own pid, then becomes java: the pid file holds the
	# broker's pid even when setsid had to fork. Option lists are meant to split.
	# shellcheck disable=SC2016,SC2206
	local launch=(bash -c 'echo $$ >"$0"; exec "$@"' "$dir/kafka.pid"
		"$java" $KAFKA_HEAP_OPTS $KAFKA_JVM_PERFORMANCE_OPTS
		-Dkafka.logs.dir="$dir/logs"
		-Dlog4j2.configurationFile="$KAFKA_DIR/config/log4j2.xml"
		-cp "$KAFKA_LIBS/*" kafka.Kafka "$dir/server.properties")
	rm -f "$dir/kafka.pid"
	if command -v setsid >/dev/null 2>&1; then
		nohup setsid "${launch[@]}" >"$dir/logs/stdout.log" 2>&1 </dev/null &
	else
		nohup "${launch[@]}" >"$dir/logs/stdout.log" 2>&1 </dev/null &
	fi
	disown # the broker outlives this script; no job notices when it is stopped later
	local i
	for ((i = 0; i < 50; i++)); do
		[[ -s $dir/kafka.pid ]] && return 0
		sleep 0.1
	done
	kafka_die "broker $key did not start (see $dir/logs/stdout.log)"
}

# kafka_ready succeeds when the node's process is alive, says it finished starting
# and answers ApiVersions.
kafka_ready() {
	local key=$1 dir
	dir=$(kafka_node_dir "$key")
	kafka_pid "$key" >/dev/null &&
		grep -qs 'Kafka Server started' "$dir/logs/server.log" &&
		kafka_probe 127.0.0.1 "$(kafka_node_port "$key")"
}

# kafka_wait_ready waits for every given node, failing with their log tails when
# one dies or the timeout passes.
kafka_wait_ready() {
	local deadline=$((SECONDS + KAFKA_START_TIMEOUT)) key pending
	while :; do
		pending=()
		for key in "$@"; do
			kafka_ready "$key" && continue
			if ! kafka_pid "$key" >/dev/null; then
				kafka_show_logs "$key"
				kafka_die "broker $key exited during startup"
			fi
			pending+=("$key")
		done
		((${#pending[@]} == 0)) && return 0
		if ((SECONDS >= deadline)); then
			for key in "${pending[@]}"; do kafka_show_logs "$key"; done
			kafka_die "broker(s) ${pending[*]} not ready after ${KAFKA_START_TIMEOUT}s"
		fi
		sleep 0.3
	done
}

kafka_show_logs() {
	local dir
	dir=$(kafka_node_dir "$1")
	kafka_log "--- $1: tail of $dir/logs/server.log"
	tail -n 40 "$dir/logs/server.log" >&2 2>/dev/null
	if [[ -s $dir/logs/stdout.log ]]; then
		kafka_log "--- $1: tail of $dir/logs/stdout.log"
		tail -n 20 "$dir/logs/stdout.log" >&2
	fi
}

# kafka_stop_node signals the node's broker (TERM: controlled shutdown; KILL: crash)
# and waits for it to exit, escalating to KILL after KAFKA_STOP_TIMEOUT seconds.
kafka_stop_node() {
	local key=$1 sig=${2:-TERM} dir pid deadline
	dir=$(kafka_node_dir "$key")
	pid=$(kafka_pid "$key") || { rm -f "$dir/kafka.pid"; return 0; }
	kill -"$sig" "$pid" 2>/dev/null
	deadline=$((SECONDS + KAFKA_STOP_TIMEOUT))
	while kafka_alive "$pid"; do
		if ((SECONDS >= deadline)) && [[ $sig != KILL ]]; then
			kafka_log "broker $key (pid $pid) ignored SIG$sig for ${KAFKA_STOP_TIMEOUT}s, killing it"
			sig=KILL
			kill -KILL "$pid" 2>/dev/null
		fi
		sleep 0.2
	done
	rm -f "$dir/kafka.pid"
}

kafka_docker_ok() {
	[[ ${KAFKA_USE_DOCKER:-auto} != 0 ]] && command -v docker >/dev/null 2>&1 &&
		docker info >/dev/null 2>&1 && docker compose version >/dev/null 2>&1
}

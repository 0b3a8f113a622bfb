// Package integration holds the tests that need a real Apache Kafka, and the
// harness that finds one for them.
//
// A broker comes from, in order: KAFKA_BOOTSTRAP; a broker already answering on
// 127.0.0.1:9092 (make kafka-up); a testcontainers-go Kafka container where a
// Docker engine answers. With none of them a test fails, never skips, so a run
// without a broker cannot pass by skipping (CI sets CI=true and relies on it).
package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
	tckafka "github.com/testcontainers/testcontainers-go/modules/kafka"
	"github.com/twmb/franz-go/pkg/kgo"
)

const (
	// LocalBroker is where make kafka-up (integration/kafka/kafka-up.sh) serves the single node.
	LocalBroker = "127.0.0.1:9092"

	// LocalCluster is where make kafka-up KAFKA_NODES=3 serves the three-node cluster;
	// node n listens on port 19090+2n.
	LocalCluster = "127.0.0.1:19092,127.0.0.1:19094,127.0.0.1:19096"

	// KafkaImage is the image used where Docker is available; it pins the same
	// Kafka version as integration/kafka/pom.xml and docker-compose.yml.
	KafkaImage = "apache/kafka:4.1.1"

	pingTimeout = 3 * time.Second
)

// Broker returns the bootstrap address (host:port, or a comma-separated list from
// KAFKA_BOOTSTRAP) of a Kafka broker the test may use, creating topics of its own.
// It fails the test, with the command to start one, when no broker is available.
func Broker(t testing.TB) string {
	t.Helper()
	if addr := os.Getenv("KAFKA_BOOTSTRAP"); addr != "" {
		if err := ping(t.Context(), Seeds(addr)); err != nil {
			t.Fatalf("KAFKA_BOOTSTRAP=%s does not answer: %v", addr, err)
		}
		return addr
	}
	if err := ping(t.Context(), []string{LocalBroker}); err == nil {
		return LocalBroker
	}
	if dockerAvailable(t.Context()) {
		return containerBroker(t)
	}
	t.Fatalf("no Kafka broker: run `make kafka-up` (or integration/kafka/kafka-up.sh) to start one on %s, "+
		"or set KAFKA_BOOTSTRAP=host:port", LocalBroker)
	return ""
}

// KafkaCluster is the three-node KRaft cluster started by make kafka-up KAFKA_NODES=3.
// Node ids are 1, 2 and 3, as in the brokers' metadata.
type KafkaCluster struct {
	bootstrap []string
	script    string // kafka-node.sh; empty when the cluster is not the local one
}

// Cluster returns the three-node cluster (KAFKA_CLUSTER_BOOTSTRAP overrides its
// address), failing the test when it does not answer. Only the local cluster can
// have its nodes stopped and started.
func Cluster(t testing.TB) *KafkaCluster {
	t.Helper()
	addr, script := os.Getenv("KAFKA_CLUSTER_BOOTSTRAP"), ""
	if addr == "" || addr == LocalCluster {
		addr, script = LocalCluster, filepath.Join(kafkaDir(t), "kafka-node.sh")
	}
	c := &KafkaCluster{bootstrap: Seeds(addr), script: script}
	if err := ping(t.Context(), c.bootstrap); err != nil {
		t.Fatalf("no three-node Kafka cluster at %s (%v): run `make kafka-up KAFKA_NODES=3` "+
			"(or KAFKA_NODES=3 integration/kafka/kafka-up.sh), or set KAFKA_CLUSTER_BOOTSTRAP", addr, err)
	}
	return c
}

// Bootstrap returns the seed addresses of every node.
func (c *KafkaCluster) Bootstrap() []string { return c.bootstrap }

// StopNode shuts node id down cleanly (SIGTERM) and returns once it has exited.
// Tests that stop a node must restart it with StartNode in a t.Cleanup.
func (c *KafkaCluster) StopNode(t testing.TB, id int32) { c.node(t, "stop", id) }

// KillNode kills node id (SIGKILL), as a crash would, and returns once it has exited.
func (c *KafkaCluster) KillNode(t testing.TB, id int32) { c.node(t, "kill", id) }

// StartNode starts node id on its existing data and returns once it serves requests.
// Starting a running node does nothing.
func (c *KafkaCluster) StartNode(t testing.TB, id int32) { c.node(t, "start", id) }

func (c *KafkaCluster) node(t testing.TB, action string, id int32) {
	t.Helper()
	if c.script == "" {
		t.Fatalf("cannot %s node %d: only the local cluster (make kafka-up KAFKA_NODES=3) can be controlled", action, id)
	}
	// Not t.Context: StartNode runs in t.Cleanup, after that context is canceled.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, c.script, action, strconv.Itoa(int(id))).CombinedOutput()
	if err != nil {
		t.Fatalf("kafka-node.sh %s %d: %v\n%s", action, id, err, out)
	}
}

// Seeds splits a comma-separated bootstrap list into kgo.SeedBrokers arguments.
func Seeds(bootstrap string) []string {
	var seeds []string
	for s := range strings.SplitSeq(bootstrap, ",") {
		if s = strings.TrimSpace(s); s != "" {
			seeds = append(seeds, s)
		}
	}
	return seeds
}

// ping reports whether any of the seeds answers a Kafka request within pingTimeout.
func ping(ctx context.Context, seeds []string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.DialTimeout(time.Second))
	if err != nil {
		return fmt.Errorf("kafka client: %w", err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	return cl.Ping(ctx)
}

// dockerAvailable reports whether testcontainers can reach a Docker engine. The
// provider may panic when none is configured, which also means no.
func dockerAvailable(ctx context.Context) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	p, err := testcontainers.ProviderDocker.GetProvider()
	if err != nil {
		return false
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return p.Health(ctx) == nil
}

// containerBroker starts KafkaImage with testcontainers' Kafka module and removes it
// when the test ends. The module targets Confluent's image, whose start script it
// writes into the container after start (the address it must advertise is only
// known then); the apache/kafka image is started by its own /etc/kafka/docker/run,
// so the command waits for that script and takes only the advertised listeners
// from it. The module's KAFKA_BROKER_ID and REST proxy settings mean nothing to a
// KRaft-only Kafka 4 and are dropped.
func containerBroker(t testing.TB) string {
	t.Helper()
	const script = "/usr/sbin/testcontainers_start.sh"
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	ctr, err := tckafka.Run(ctx, KafkaImage,
		tckafka.WithClusterID(clusterIDContainer),
		testcontainers.WithEnv(map[string]string{
			"KAFKA_TRANSACTION_STATE_LOG_NUM_PARTITIONS":                        "1",
			"KAFKA_AUTO_CREATE_TOPICS_ENABLE":                                   "false",
			"KAFKA_LOG_CLEANER_BACKOFF_MS":                                      "1000",
			"KAFKA_TRANSACTION_ABORT_TIMED_OUT_TRANSACTION_CLEANUP_INTERVAL_MS": "1000",
		}),
		testcontainers.CustomizeRequestOption(func(req *testcontainers.GenericContainerRequest) error {
			delete(req.Env, "KAFKA_BROKER_ID")
			delete(req.Env, "KAFKA_REST_BOOTSTRAP_SERVERS")
			return nil
		}),
		testcontainers.WithEntrypoint("bash"),
		testcontainers.WithCmd("-c", "while [ ! -f "+script+" ]; do sleep 0.1; done; "+
			`eval "$(grep '^export KAFKA_ADVERTISED_LISTENERS=' `+script+`)"; exec /etc/kafka/docker/run`),
	)
	testcontainers.CleanupContainer(t, ctr)
	if err != nil {
		t.Fatalf("start %s with testcontainers: %v", KafkaImage, err)
	}
	brokers, err := ctr.Brokers(ctx)
	if err != nil {
		t.Fatalf("kafka container address: %v", err)
	}
	return strings.Join(brokers, ",")
}

// clusterIDContainer is any valid cluster id (base64 of 16 bytes) for a throwaway container.
const clusterIDContainer = "aGVhZGNvdW50LWRvY2tlcg"

// kafkaDir returns integration/kafka, found from this file's location so that the
// harness works from any working directory.
func kafkaDir(t testing.TB) string {
	t.Helper()
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		return filepath.Join(filepath.Dir(file), "kafka")
	}
	// Built with -trimpath: go test runs in the package directory.
	dir, err := filepath.Abs("kafka")
	if err != nil {
		t.Fatalf("locate integration/kafka: %v", err)
	}
	return dir
}

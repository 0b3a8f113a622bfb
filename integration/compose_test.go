package integration

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// docker-compose.yml cannot be run on machines without Docker, so these tests
// check its structure and keep its kafka service in step with the configuration
// that kafka-up.sh uses (config/server-single.properties) and the version it pins
// (pom.xml). No broker needed.

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
}

type composeService struct {
	Image       string         `yaml:"image"`
	Build       yaml.Node      `yaml:"build"`
	Ports       []string       `yaml:"ports"`
	Environment map[string]any `yaml:"environment"`
	DependsOn   yaml.Node      `yaml:"depends_on"`
}

// env returns the service's environment with every value as a string, the way
// Compose passes numbers and booleans to the container.
func (s composeService) env() map[string]string {
	out := make(map[string]string, len(s.Environment))
	for k, v := range s.Environment {
		out[k] = fmt.Sprint(v)
	}
	return out
}

// dependsOn lists the services named in depends_on, in its short (list) or long (map) form.
func (s composeService) dependsOn() []string {
	var names []string
	switch s.DependsOn.Kind {
	case yaml.SequenceNode:
		for _, n := range s.DependsOn.Content {
			names = append(names, n.Value)
		}
	case yaml.MappingNode:
		for i := 0; i < len(s.DependsOn.Content); i += 2 {
			names = append(names, s.DependsOn.Content[i].Value)
		}
	}
	return names
}

// buildContext returns the build context in the short (string) or long (map) form.
func (s composeService) buildContext() string {
	switch s.Build.Kind {
	case yaml.ScalarNode:
		return s.Build.Value
	case yaml.MappingNode:
		for i := 0; i < len(s.Build.Content); i += 2 {
			if s.Build.Content[i].Value == "context" {
				return s.Build.Content[i+1].Value
			}
		}
	}
	return ""
}

func repoRoot(t *testing.T) string {
	t.Helper()
	return filepath.Dir(filepath.Dir(kafkaDir(t)))
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var f composeFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("parse docker-compose.yml: %v", err)
	}
	return f
}

// readProperties parses a Java properties file of plain key=value lines.
func readProperties(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	props := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: not key=value: %q", path, line)
		}
		props[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return props
}

// envName is the apache/kafka image's environment name for a broker property:
// '_' doubles, '-' triples, '.' becomes '_', all upper case, prefixed KAFKA_.
func envName(property string) string {
	r := strings.NewReplacer("_", "__", "-", "___", ".", "_")
	return "KAFKA_" + strings.ToUpper(r.Replace(property))
}

func TestEnvName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"offsets.topic.replication.factor", "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"},
		{"abc_def", "KAFKA_ABC__DEF"},
		{"abc-def", "KAFKA_ABC___DEF"},
	} {
		if got := envName(tc.in); got != tc.want {
			t.Errorf("envName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestComposeKafka(t *testing.T) {
	kafka, ok := loadCompose(t).Services["kafka"]
	if !ok {
		t.Fatal("docker-compose.yml has no kafka service")
	}
	env := kafka.env()

	t.Run("image", func(t *testing.T) {
		pom, err := os.ReadFile(filepath.Join(kafkaDir(t), "pom.xml"))
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`<kafka\.version>([^<]+)</kafka\.version>`).FindSubmatch(pom)
		if m == nil {
			t.Fatal("pom.xml has no <kafka.version>")
		}
		if !regexp.MustCompile(`^apache/kafka:4\.\d+\.\d+$`).MatchString(kafka.Image) {
			t.Errorf("image %q is not an apache/kafka 4.x release", kafka.Image)
		}
		if want := "apache/kafka:" + string(m[1]); kafka.Image != want || KafkaImage != want {
			t.Errorf("compose image %q and harness image %q, want %q as pinned by pom.xml", kafka.Image, KafkaImage, want)
		}
	})

	t.Run("kraft", func(t *testing.T) {
		roles := strings.Split(env["KAFKA_PROCESS_ROLES"], ",")
		slices.Sort(roles)
		if !slices.Equal(roles, []string{"broker", "controller"}) {
			t.Errorf("KAFKA_PROCESS_ROLES = %q, want broker,controller", env["KAFKA_PROCESS_ROLES"])
		}
		for _, k := range []string{"CLUSTER_ID", "KAFKA_NODE_ID", "KAFKA_CONTROLLER_LISTENER_NAMES",
			"KAFKA_LISTENERS", "KAFKA_ADVERTISED_LISTENERS", "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"} {
			if env[k] == "" {
				t.Errorf("%s is not set", k)
			}
		}
		voter := env["KAFKA_NODE_ID"] + "@kafka:"
		if !strings.HasPrefix(env["KAFKA_CONTROLLER_QUORUM_VOTERS"], voter) {
			t.Errorf("KAFKA_CONTROLLER_QUORUM_VOTERS = %q, want this node (%s...)", env["KAFKA_CONTROLLER_QUORUM_VOTERS"], voter)
		}
		if !strings.Contains(env["KAFKA_LISTENERS"], env["KAFKA_CONTROLLER_LISTENER_NAMES"]+"://") {
			t.Errorf("no %s listener in KAFKA_LISTENERS = %q", env["KAFKA_CONTROLLER_LISTENER_NAMES"], env["KAFKA_LISTENERS"])
		}
	})

	t.Run("port 9092", func(t *testing.T) {
		if !slices.ContainsFunc(kafka.Ports, func(p string) bool { return strings.HasSuffix(p, ":9092:9092") || p == "9092:9092" }) {
			t.Errorf("ports %q do not publish 9092", kafka.Ports)
		}
		if !strings.Contains(env["KAFKA_ADVERTISED_LISTENERS"], "://127.0.0.1:9092") &&
			!strings.Contains(env["KAFKA_ADVERTISED_LISTENERS"], "://localhost:9092") {
			t.Errorf("KAFKA_ADVERTISED_LISTENERS = %q does not advertise 9092 to the host", env["KAFKA_ADVERTISED_LISTENERS"])
		}
	})

	// Every setting of the local single node, apart from addresses and paths,
	// must be the same in the container.
	t.Run("same settings as kafka-up.sh", func(t *testing.T) {
		local := map[string]bool{
			"listeners": true, "advertised.listeners": true, "controller.quorum.voters": true,
			"listener.security.protocol.map": true, "log.dirs": true,
		}
		props := readProperties(t, filepath.Join(kafkaDir(t), "config", "server-single.properties"))
		for k, v := range props {
			if local[k] {
				continue
			}
			if got, ok := env[envName(k)]; !ok || got != v {
				t.Errorf("%s = %q (set: %v), want %q as %s in server-single.properties", envName(k), got, ok, v, k)
			}
		}
	})
}

func TestComposeHeadcount(t *testing.T) {
	f := loadCompose(t)
	hc, ok := f.Services["headcount"]
	if !ok {
		t.Fatal("docker-compose.yml has no headcount service")
	}
	ctx := hc.buildContext()
	if ctx == "" {
		t.Fatal("headcount service is not built from the repository (no build)")
	}
	if _, err := os.Stat(filepath.Join(repoRoot(t), ctx, "Dockerfile")); err != nil {
		t.Errorf("build context %q has no Dockerfile: %v", ctx, err)
	}
	if !slices.Contains(hc.dependsOn(), "kafka") {
		t.Errorf("headcount depends_on %q, want kafka", hc.dependsOn())
	}
	brokers := hc.env()["HEADCOUNT_BROKERS"]
	advertised := f.Services["kafka"].env()["KAFKA_ADVERTISED_LISTENERS"]
	if brokers == "" || !strings.Contains(advertised, "://"+brokers) {
		t.Errorf("HEADCOUNT_BROKERS = %q is not among kafka's advertised listeners %q", brokers, advertised)
	}
}

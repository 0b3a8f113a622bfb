package processor

import (
	"strings"
	"testing"
)

func TestTopicNames(t *testing.T) {
	tests := []struct {
		app, input, results, rejects string
		want                         Topics
	}{
		{"headcount", "frames", "", "", Topics{"frames", "headcount-results", "headcount-rejects", "headcount-changelog", "headcount-repartition"}},
		{"a", "in", "out", "dlq", Topics{"in", "out", "dlq", "a-changelog", "a-repartition"}},
	}
	for _, tt := range tests {
		if got := TopicNames(tt.app, tt.input, tt.results, tt.rejects); got != tt.want {
			t.Errorf("TopicNames(%q, %q, %q, %q) = %+v, want %+v", tt.app, tt.input, tt.results, tt.rejects, got, tt.want)
		}
	}
}

func TestCompactionProblem(t *testing.T) {
	tests := []struct {
		name    string
		configs map[string]string
		problem string // substring of the problem; "" means safe
	}{
		{"compact", map[string]string{"cleanup.policy": "compact", "retention.ms": "604800000"}, ""},
		{"delete", map[string]string{"cleanup.policy": "delete"}, `"delete", not compact`},
		{"missing policy", map[string]string{}, `"", not compact`},
		{"compact,delete unlimited", map[string]string{"cleanup.policy": "compact,delete", "retention.ms": "-1", "retention.bytes": "-1"}, ""},
		{"delete, compact unlimited", map[string]string{"cleanup.policy": "delete, compact", "retention.ms": "-1"}, ""},
		{"compact,delete timed", map[string]string{"cleanup.policy": "compact,delete", "retention.ms": "604800000", "retention.bytes": "-1"}, "retention.ms=604800000"},
		{"compact,delete sized", map[string]string{"cleanup.policy": "compact,delete", "retention.ms": "-1", "retention.bytes": "1073741824"}, "retention.bytes=1073741824"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := compactionProblem(tt.configs)
			switch {
			case tt.problem == "" && got != "":
				t.Errorf("problem %q, want none", got)
			case tt.problem != "" && !strings.Contains(got, tt.problem):
				t.Errorf("problem %q, want one mentioning %q", got, tt.problem)
			}
		})
	}
}

func TestCheckNames(t *testing.T) {
	tests := []struct {
		name   string
		topics Topics
		err    string
	}{
		{"defaults", TopicNames("app", "frames", "", ""), ""},
		{"empty input", TopicNames("app", "", "", ""), "input topic: empty name"},
		{"results is input", TopicNames("app", "x", "x", ""), `"x" is both the input and the results topic`},
		{"rejects is changelog", TopicNames("app", "frames", "", "app-changelog"), `"app-changelog" is both the changelog and the rejects topic`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkNames(tt.topics.specs(TopicLayout{}))
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("error %v, want one containing %q", err, tt.err)
			}
		})
	}
}

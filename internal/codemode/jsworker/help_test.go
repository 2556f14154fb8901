package jsworker

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ironcurtain/ironcurtain-go/internal/runnerproto"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestHelpGolden pins what help() prints for each kind of topic.
func TestHelpGolden(t *testing.T) {
	topics := map[string]string{
		"all":          "",
		"server":       "filesystem",
		"tool":         "filesystem.read_file",
		"short-alias":  "git.status",
		"full-name":    "git.git_status",
		"bracketed":    "my-server.do-it",
		"unknown":      "nope",
		"unknown-tool": "filesystem.nope",
	}
	for name, topic := range topics {
		t.Run(name, func(t *testing.T) {
			got := Help(testTools(), topic)
			path := filepath.Join("testdata", "help", name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("Help(%q) =\n%s\nwant\n%s", topic, got, want)
			}
		})
	}
}

func TestHelpHostileDescriptions(t *testing.T) {
	tools := []runnerproto.ToolSpec{{
		Server:      "evil",
		Name:        "t",
		Description: "first line\x1b[2J\r\nsecond\u2028line " + strings.Repeat("long ", 5000),
	}}
	for _, topic := range []string{"", "evil", "evil.t"} {
		got := Help(tools, topic)
		if strings.ContainsAny(got, "\x1b\r\u2028") {
			t.Errorf("Help(%q) passes control characters through: %q", topic, got)
		}
		if len(got) > maxDescription+1000 {
			t.Errorf("Help(%q) is %d bytes, want it cut near %d", topic, len(got), maxDescription)
		}
	}
	if got := Help([]runnerproto.ToolSpec{{Server: "a", Name: "b"}, {Server: "a", Name: "b"}}, ""); !strings.Contains(got, "listed twice") {
		t.Errorf("Help with a duplicate tool = %q, want it to say so", got)
	}
}

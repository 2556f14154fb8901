package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExecCode(t *testing.T) {
	home, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"HOME": home, "PATH": os.Getenv("PATH"), "LANG": "C"}
	run := func(stdin string, args ...string) (int, string, string) {
		var out, errb strings.Builder
		code := run(append([]string{"exec-code"}, args...), strings.NewReader(stdin), &out, &syncWriter{w: &errb}, func(k string) string { return vars[k] })
		return code, out.String(), errb.String()
	}
	script := `
		const w = filesystem.write_file({path: "a.txt", content: "text"});
		let denied = "";
		try { await filesystem.read_text_file({path: "~/.ssh/id_rsa"}); } catch (e) { denied = e.message; }
		console.log("hello from the cage");
		return {read: filesystem.read_text_file({path: "a.txt"}), denied};`
	code, out, errOut := run("", "--json", "-e", script)
	if code != 0 {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	var res struct {
		Value struct {
			Read   string `json:"read"`
			Denied string `json:"denied"`
		} `json:"value"`
		Console []struct{ Level, Text string } `json:"console"`
		Calls   []struct {
			Server  string `json:"server"`
			Tool    string `json:"tool"`
			Outcome string `json:"outcome"`
		} `json:"calls"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	if res.Value.Read != "text" || !strings.HasPrefix(res.Value.Denied, "DENIED:") || len(res.Calls) != 3 || res.Calls[1].Outcome != "denied" {
		t.Fatalf("result %+v", res)
	}
	if len(res.Console) != 1 || res.Console[0].Text != "hello from the cage" {
		t.Errorf("console %+v", res.Console)
	}
	if b, err := os.ReadFile(filepath.Join(home, ".ironcurtain", "sandbox", "a.txt")); err != nil || string(b) != "text" {
		t.Errorf("sandbox file %q %v", b, err)
	}
	// The script from standard input; failures exit 1 with a one-line reason.
	for _, tc := range []struct{ code, want string }{
		{`throw new Error("boom")`, "script exception: Error: boom"},
		{`for(;;){}`, "script timeout"},
		{`return process.env`, "ReferenceError"},
		{`let x: number = ;`, "script syntax"},
	} {
		c, _, e := run(tc.code, "--timeout", "2s", "-")
		if c != 1 || !strings.Contains(e, tc.want) || strings.Count(e, "\n") != 1 {
			t.Errorf("%s: exit %d stderr %q, want 1 and one line containing %q", tc.code, c, e, tc.want)
		}
	}
	for _, args := range [][]string{{}, {"-e", "1", "file.ts"}, {"--memory-limit", "lots", "-e", "1"}, {"--timeout", "1ns", "-e", "1"}} {
		if c, _, _ := run("", args...); c != 2 {
			t.Errorf("exec-code %q: exit %d, want 2", args, c)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"128MiB": 128 << 20, "64mib": 64 << 20, "1GiB": 1 << 30, "2M": 2 << 20, "1048576": 1 << 20, "3MB": 3e6, " 16MiB ": 16 << 20} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "lots", "-5MiB", "0", "1KiB", "100GiB", "MiB"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) succeeded", in)
		}
	}
}

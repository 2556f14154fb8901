package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDoctorCageProbeWorker is not a test: doctor's tests re-execute the
// test binary with this test selected and "--" then a mode, and it plays
// the hidden cage-probe command (or a broken one) in the caged worker.
// Run normally, it skips.
func TestDoctorCageProbeWorker(t *testing.T) {
	switch flag.Arg(0) {
	case cageProbeCmdName:
		cmd := newCageProbeCmd(env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv})
		cmd.SetArgs([]string{})
		if err := cmd.Execute(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	case "silent-failure":
		fmt.Fprintln(os.Stderr, "probe broke\x1b[31m on purpose")
		os.Exit(3)
	case "garbage":
		fmt.Println(`{"items":[{"name":"seccomp","applied":true,"detail":"\u001b]0;pwned\u0007"}]}`)
		os.Exit(0)
	}
	t.Skip("helper for the doctor tests")
}

func testProbe(t *testing.T, mode string) probeCommand {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return func() (string, []string, error) {
		return exe, []string{exe, "-test.run=^TestDoctorCageProbeWorker$", "--", mode}, nil
	}
}

func runDoctorCmd(t *testing.T, vars map[string]string, probe probeCommand, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }}
	root := newRootCmd(e)
	for _, c := range root.Commands() {
		if c.Name() == "doctor" {
			root.RemoveCommand(c) // replaced by one whose worker the test controls
		}
	}
	root.AddCommand(newDoctorCmdWith(e, probe))
	root.SetArgs(append([]string{"doctor"}, args...))
	code := 0
	if err := root.Execute(); err != nil {
		code = 2
		if ee, ok := err.(*exitError); ok {
			code = ee.code
		}
	}
	return code, out.String(), errb.String()
}

func TestDoctor(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	if err := os.Mkdir(home, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "git"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	const secret = "sk-ant-doctor-must-not-print-this"
	vars := map[string]string{"HOME": home, "PATH": "relative:" + bin, "ANTHROPIC_API_KEY": secret}
	code, out, stderr := runDoctorCmd(t, vars, testProbe(t, cageProbeCmdName))
	t.Log("\n" + out)
	if code != 0 {
		t.Fatalf("doctor = exit %d, want 0 on this machine (stderr %q)", code, stderr)
	}
	if strings.Contains(out, secret) {
		t.Errorf("doctor printed the API key's value")
	}
	for _, want := range []string{
		"cage on this machine", "caged worker", "ns.net ", "seccomp ", "landlock ", "check.exec ",
		"git                yes  " + filepath.Join(bin, "git"),
		"ANTHROPIC_API_KEY  yes  set", "OPENAI_API_KEY     no   not set",
		"does not exist yet", "none (the bundled servers are used)",
		"cage essentials in force",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor output lacks %q", want)
		}
	}
	if _, err := os.Stat(filepath.Join(home, ".ironcurtain")); err == nil {
		t.Errorf("doctor created the home directory")
	}

	code, out, _ = runDoctorCmd(t, vars, testProbe(t, cageProbeCmdName), "--json")
	var rep doctorReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("doctor --json output %q: %v", out, err)
	}
	if code != 0 || !rep.OK {
		t.Fatalf("doctor --json = exit %d, ok %v; want 0, true", code, rep.OK)
	}
	worker := rep.Sections[1]
	for _, name := range []string{"ns.user", "ns.net", "ns.pid", "seccomp", "landlock", "capabilities", "check.exec", "check.fork", "check.socket", "check.write", "check.read"} {
		found := false
		for _, it := range worker.Items {
			if it.Name == name {
				found = true
				if !it.OK {
					t.Errorf("doctor --json worker %s = %q, want ok", name, it.Detail)
				}
			}
		}
		if !found {
			t.Errorf("doctor --json worker section lacks %s", name)
		}
	}
}

func TestDoctorBadServersFile(t *testing.T) {
	home := t.TempDir()
	ich := filepath.Join(home, ".ironcurtain")
	if err := os.Mkdir(ich, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ich, "mcp-servers.json"), []byte(`{"fs": [`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runDoctorCmd(t, map[string]string{"HOME": home}, testProbe(t, cageProbeCmdName))
	if code != 0 {
		t.Errorf("doctor with a broken mcp-servers.json = exit %d, want 0 (only the cage decides)", code)
	}
	if !strings.Contains(out, "mcp-servers.json   no   ") || !strings.Contains(out, "home               yes  "+ich) {
		t.Errorf("doctor output does not report the broken mcp-servers.json and the existing home:\n%s", out)
	}
}

func TestDoctorWorkerFails(t *testing.T) {
	tests := []struct {
		mode, want string
	}{
		{"silent-failure", "probe worker gave no report (exit status 3): probe broke"},
		{"garbage", "cage report: items[0].detail"},
	}
	for _, tc := range tests {
		t.Run(tc.mode, func(t *testing.T) {
			code, out, _ := runDoctorCmd(t, map[string]string{"HOME": t.TempDir()}, testProbe(t, tc.mode))
			if code != 1 {
				t.Errorf("doctor with a %s worker = exit %d, want 1", tc.mode, code)
			}
			if !strings.Contains(out, tc.want) || !strings.Contains(out, "cage not verified") {
				t.Errorf("doctor with a %s worker: output lacks %q:\n%s", tc.mode, tc.want, out)
			}
			if strings.ContainsAny(out, "\x1b\x07") {
				t.Errorf("doctor passed the worker's terminal controls through:\n%q", out)
			}
		})
	}
}

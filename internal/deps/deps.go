//go:build tools

// Package deps pins modules that packages under construction will import,
// so parallel work does not race on go.mod. It is never built.
package deps

import (
	_ "github.com/anthropics/anthropic-sdk-go"
	_ "github.com/elastic/go-seccomp-bpf"
	_ "github.com/evanw/esbuild/pkg/api"
	_ "github.com/landlock-lsm/go-landlock/landlock"
	_ "github.com/openai/openai-go/v3"
	_ "golang.org/x/sys/unix"
	_ "modernc.org/quickjs"
)

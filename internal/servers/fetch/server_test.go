package fetch

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const testPage = `<!doctype html><html><head><title>T</title><script>evil()</script></head>
<body><nav>menu</nav><h1>Hello</h1><p>Read <a href="/docs">the docs</a>.</p><ul><li>one</li><li>two</li></ul></body></html>`

func newPageServer(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, testPage)
	})
	mux.HandleFunc("/plain", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, "<b>not html</b>\nline 2")
	})
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		fmt.Fprint(w, `{"a":1}`)
	})
	mux.HandleFunc("/latin1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=ISO-8859-1")
		w.Write([]byte("caf\xe9 \x80"))
	})
	mux.HandleFunc("/png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Content-Length", "8")
		w.Write([]byte("\x89PNG\r\n\x1a\n"))
	})
	mux.HandleFunc("/untyped", func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = nil // suppress sniffing by the server
		w.Write([]byte("\x00\x01\x02binary"))
	})
	mux.HandleFunc("/mislabelled", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("PK\x03\x04\x00\x00zip"))
	})
	mux.HandleFunc("/missing", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "nothing here", http.StatusNotFound)
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, strings.Repeat("0123456789", 1000))
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "UA=%s|AL=%s|Accept=%s", r.UserAgent(), r.Header.Get("Accept-Language"), r.Header.Get("Accept"))
	})
	mux.HandleFunc("/block", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts
}

func TestListTools(t *testing.T) {
	cs := connect(t, Config{})
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatalf("ListTools error = %v", err)
	}
	want := Tools()
	if len(res.Tools) != len(want) {
		t.Fatalf("ListTools = %d tools, want %d", len(res.Tools), len(want))
	}
	required := map[string]string{FetchToolName: "url", SearchToolName: "query"}
	for _, tool := range res.Tools {
		schema, ok := tool.InputSchema.(map[string]any)
		if !ok {
			t.Fatalf("tool %s schema = %T, want object", tool.Name, tool.InputSchema)
		}
		req, _ := schema["required"].([]any)
		if len(req) != 1 || req[0] != required[tool.Name] {
			t.Errorf("tool %s required = %v, want [%s]", tool.Name, req, required[tool.Name])
		}
		if schema["additionalProperties"] != false {
			t.Errorf("tool %s additionalProperties = %v, want false", tool.Name, schema["additionalProperties"])
		}
	}
	props := res.Tools[0].InputSchema.(map[string]any)["properties"].(map[string]any)
	if res.Tools[0].Name != FetchToolName {
		props = res.Tools[1].InputSchema.(map[string]any)["properties"].(map[string]any)
	}
	for _, arg := range []string{"url", "headers", "max_length", "format", "timeout"} {
		if _, ok := props[arg]; !ok {
			t.Errorf("http_fetch schema lacks argument %q", arg)
		}
	}
}

func TestFetch(t *testing.T) {
	ts := newPageServer(t)
	cs := connect(t, Config{InsecureAllowPrivate: true, UserAgent: "test-agent/1"})
	tests := []struct {
		name     string
		args     map[string]any
		wantErr  bool
		contains []string
		absent   []string
	}{
		{"markdown default", map[string]any{"url": ts.URL + "/page"}, false,
			[]string{"Status: 200 OK", "URL: " + ts.URL + "/page", "Content-Type: text/html",
				"# Hello", "[the docs](" + ts.URL + "/docs)", "- one\n- two"},
			[]string{"evil", "menu", "<h1>"}},
		{"text", map[string]any{"url": ts.URL + "/page", "format": "text"}, false,
			[]string{"Hello\n\nRead the docs.\n\none\ntwo"}, []string{"#", "]("}},
		{"html unconverted", map[string]any{"url": ts.URL + "/page", "format": "html"}, false,
			[]string{"<h1>Hello</h1>", "<script>"}, nil},
		{"plain text as is", map[string]any{"url": ts.URL + "/plain"}, false,
			[]string{"<b>not html</b>\nline 2"}, nil},
		{"json suffix is text", map[string]any{"url": ts.URL + "/json"}, false, []string{`{"a":1}`}, nil},
		{"latin1 decoded", map[string]any{"url": ts.URL + "/latin1"}, false, []string{"café €"}, nil},
		{"binary described", map[string]any{"url": ts.URL + "/png"}, false,
			[]string{"[Binary content (image/png, 8 bytes) not shown]"}, []string{"PNG"}},
		{"untyped binary sniffed", map[string]any{"url": ts.URL + "/untyped"}, false,
			[]string{"[Binary content"}, []string{"binary\n"}},
		{"mislabelled binary", map[string]any{"url": ts.URL + "/mislabelled"}, false,
			[]string{"[Binary content (text/plain"}, []string{"zip"}},
		{"error status is a result", map[string]any{"url": ts.URL + "/missing"}, false,
			[]string{"Status: 404 Not Found", "nothing here"}, nil},
		{"max_length", map[string]any{"url": ts.URL + "/big", "max_length": 15}, false,
			[]string{"\n\n012345678901234\n\n[Truncated: output longer than max_length 15 characters]"}, nil},
		{"headers", map[string]any{"url": ts.URL + "/echo", "headers": map[string]any{"Accept-Language": "de-CH"}}, false,
			[]string{"UA=test-agent/1|AL=de-CH|Accept=" + defaultAccept}, nil},
		{"caller user agent", map[string]any{"url": ts.URL + "/echo", "headers": map[string]any{"user-agent": "me"}}, false,
			[]string{"UA=me|"}, nil},
		{"forbidden header", map[string]any{"url": ts.URL + "/echo", "headers": map[string]any{"Cookie": "s=1"}}, true,
			[]string{"http_fetch: headers: Cookie may not be set"}, nil},
		{"bad argument", map[string]any{"url": ts.URL + "/page", "format": "pdf"}, true,
			[]string{`http_fetch: format: "pdf" is not a format`}, nil},
		{"unknown argument", map[string]any{"url": ts.URL + "/page", "method": "POST"}, true,
			[]string{"method: unknown field"}, nil},
		{"unreachable", map[string]any{"url": "http://no-such-host.invalid/"}, true, []string{"http_fetch http://no-such-host.invalid"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text, isErr := call(t, cs, FetchToolName, tc.args)
			if isErr != tc.wantErr {
				t.Fatalf("http_fetch(%v) IsError = %v (%q), want %v", tc.args, isErr, text, tc.wantErr)
			}
			for _, s := range tc.contains {
				if !strings.Contains(text, s) {
					t.Errorf("http_fetch(%v) = %q, want it to contain %q", tc.args, text, s)
				}
			}
			for _, s := range tc.absent {
				if strings.Contains(body(text), s) {
					t.Errorf("http_fetch(%v) body = %q, want no %q", tc.args, body(text), s)
				}
			}
			if isErr && strings.Contains(text, "\n") {
				t.Errorf("http_fetch(%v) error %q spans lines", tc.args, text)
			}
		})
	}
}

func TestFetchByteCap(t *testing.T) {
	ts := newPageServer(t)
	cs := connect(t, Config{InsecureAllowPrivate: true, MaxBytes: 1000})
	text, isErr := call(t, cs, FetchToolName, map[string]any{"url": ts.URL + "/big", "max_length": 100000})
	if isErr {
		t.Fatalf("http_fetch(/big) IsError, text %q", text)
	}
	b := body(text)
	got, marker, _ := strings.Cut(b, "\n\n")
	if len(got) != 1000 || !strings.Contains(marker, "truncated at the server's byte limit") {
		t.Errorf("http_fetch(/big, MaxBytes 1000) = %d bytes and %q, want 1000 and the byte-limit marker", len(got), marker)
	}
}

func TestFetchTimeout(t *testing.T) {
	ts := newPageServer(t)
	tests := []struct {
		name    string
		cfg     time.Duration
		arg     any
		wantMsg string
	}{
		{"config timeout", 50 * time.Millisecond, nil, "timed out after 50ms"},
		{"argument lowers it", time.Hour, 0.05, "timed out after 50ms"},
		{"argument cannot raise it", 50 * time.Millisecond, 3600, "timed out after 50ms"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cs := connect(t, Config{InsecureAllowPrivate: true, Timeout: tc.cfg})
			args := map[string]any{"url": ts.URL + "/block"}
			if tc.arg != nil {
				args["timeout"] = tc.arg
			}
			text, isErr := call(t, cs, FetchToolName, args)
			if !isErr || !strings.Contains(text, tc.wantMsg) {
				t.Errorf("http_fetch(%v) = %q, IsError %v, want error containing %q", args, text, isErr, tc.wantMsg)
			}
		})
	}
}

func TestWebSearch(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/search", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"q":%q,"n":%q,"key":%q}`, r.URL.Query().Get("q"), r.URL.Query().Get("max_results"), r.URL.Query().Get("key"))
	})
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusBadGateway)
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)

	tests := []struct {
		name      string
		searchURL string
		args      map[string]any
		wantErr   bool
		want      string
	}{
		{"not configured", "", map[string]any{"query": "go"}, true, "web search is not configured"},
		{"results", ts.URL + "/search?key=k", map[string]any{"query": "go & mcp", "max_results": 3}, false,
			`{"q":"go & mcp","n":"3","key":"k"}`},
		{"bad arguments", ts.URL + "/search", map[string]any{"max_results": 3}, true, "web_search: query: is required"},
		{"service error", ts.URL + "/broken", map[string]any{"query": "go"}, true, "search service answered 502 Bad Gateway"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cs := connect(t, Config{InsecureAllowPrivate: true, SearchURL: tc.searchURL})
			text, isErr := call(t, cs, SearchToolName, tc.args)
			if isErr != tc.wantErr || !strings.Contains(text, tc.want) {
				t.Errorf("web_search(%v) = %q, IsError %v, want %v containing %q", tc.args, text, isErr, tc.wantErr, tc.want)
			}
		})
	}
}

func TestWebSearchIsGuarded(t *testing.T) {
	cs := connect(t, Config{SearchURL: "http://127.0.0.1:9/search"})
	text, isErr := call(t, cs, SearchToolName, map[string]any{"query": "x"})
	if !isErr || !strings.Contains(text, "loopback") {
		t.Errorf("web_search via loopback SearchURL = %q, IsError %v, want a loopback refusal", text, isErr)
	}
}

func TestNewConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"negative bytes", Config{MaxBytes: -1}, "MaxBytes"},
		{"negative timeout", Config{Timeout: -time.Second}, "Timeout"},
		{"bad user agent", Config{UserAgent: "a\nb"}, "UserAgent"},
		{"search scheme", Config{SearchURL: "ftp://search.test/"}, "SearchURL"},
		{"search userinfo", Config{SearchURL: "https://u:p@search.test/"}, "SearchURL"},
		{"search relative", Config{SearchURL: "/search"}, "SearchURL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New(%+v) error = %v, want one naming %s", tc.cfg, err, tc.want)
			}
		})
	}
}

package fetch

import (
	"strings"
	"testing"
	"time"
)

func TestParseFetchArgs(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    fetchArgs
		wantErr string
	}{
		{"minimal", `{"url":"https://a.test/"}`,
			fetchArgs{URL: "https://a.test/", MaxLength: defaultMaxLength, Format: formatMarkdown}, ""},
		{"all", `{"url":"https://a.test/","headers":{"Accept":"text/plain"},"max_length":100,"format":"text","timeout":2.5}`,
			fetchArgs{URL: "https://a.test/", Headers: map[string]string{"Accept": "text/plain"}, MaxLength: 100,
				Format: formatText, Timeout: 2500 * time.Millisecond}, ""},
		{"nulls are defaults", `{"url":"https://a.test/","headers":null,"max_length":null,"format":null,"timeout":null}`,
			fetchArgs{URL: "https://a.test/", MaxLength: defaultMaxLength, Format: formatMarkdown}, ""},
		{"max_length clamped", `{"url":"u","max_length":1e12}`,
			fetchArgs{URL: "u", MaxLength: maxMaxLength, Format: formatMarkdown}, ""},
		{"whole float", `{"url":"u","max_length":10.0}`,
			fetchArgs{URL: "u", MaxLength: 10, Format: formatMarkdown}, ""},
		{"missing url", `{}`, fetchArgs{}, "url: is required"},
		{"no arguments", ``, fetchArgs{}, "url: is required"},
		{"empty url", `{"url":" "}`, fetchArgs{}, "url: must not be empty"},
		{"url not string", `{"url":1}`, fetchArgs{}, "url: must be a string"},
		{"unknown field", `{"url":"u","method":"POST"}`, fetchArgs{}, "method: unknown field"},
		{"duplicate url", `{"url":"https://a.test/","url":"http://127.0.0.1/"}`, fetchArgs{}, "duplicate"},
		{"not object", `["u"]`, fetchArgs{}, "must be an object"},
		{"bad format", `{"url":"u","format":"pdf"}`, fetchArgs{}, `"pdf" is not a format`},
		{"raw is not a format", `{"url":"u","format":"raw"}`, fetchArgs{}, "is not a format"},
		{"negative max_length", `{"url":"u","max_length":-1}`, fetchArgs{}, "positive whole number"},
		{"fractional max_length", `{"url":"u","max_length":1.5}`, fetchArgs{}, "positive whole number"},
		{"string max_length", `{"url":"u","max_length":"10"}`, fetchArgs{}, "must be a number"},
		{"zero timeout", `{"url":"u","timeout":0}`, fetchArgs{}, "positive number of seconds"},
		{"tiny timeout", `{"url":"u","timeout":1e-300}`, fetchArgs{}, "too small"},
		{"header not string", `{"url":"u","headers":{"Accept":1}}`, fetchArgs{}, "must be a string"},
		{"headers not object", `{"url":"u","headers":"Accept: x"}`, fetchArgs{}, "must be an object"},
		{"invalid utf8", "{\"url\":\"\xff\"}", fetchArgs{}, "invalid UTF-8"},
		{"trailing data", `{"url":"u"} {}`, fetchArgs{}, "after the JSON value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseFetchArgs([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("parseFetchArgs(%s) error = %v, want containing %q", tc.in, err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("parseFetchArgs(%s) error %q spans lines", tc.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseFetchArgs(%s) error = %v", tc.in, err)
			}
			if got.URL != tc.want.URL || got.MaxLength != tc.want.MaxLength || got.Format != tc.want.Format ||
				got.Timeout != tc.want.Timeout || len(got.Headers) != len(tc.want.Headers) {
				t.Errorf("parseFetchArgs(%s) = %+v, want %+v", tc.in, got, tc.want)
			}
			for k, v := range tc.want.Headers {
				if got.Headers[k] != v {
					t.Errorf("parseFetchArgs(%s).Headers[%s] = %q, want %q", tc.in, k, got.Headers[k], v)
				}
			}
		})
	}
}

func TestParseSearchArgs(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    searchArgs
		wantErr string
	}{
		{"minimal", `{"query":"go"}`, searchArgs{Query: "go", MaxResults: defaultMaxResults}, ""},
		{"max_results", `{"query":"go","max_results":3}`, searchArgs{Query: "go", MaxResults: 3}, ""},
		{"max_results clamped", `{"query":"go","max_results":50}`, searchArgs{Query: "go", MaxResults: maxMaxResults}, ""},
		{"missing query", `{}`, searchArgs{}, "query: is required"},
		{"long query", `{"query":"` + strings.Repeat("q", maxQueryLen+1) + `"}`, searchArgs{}, "longer than"},
		{"zero results", `{"query":"go","max_results":0}`, searchArgs{}, "positive whole number"},
		{"unknown", `{"query":"go","engine":"x"}`, searchArgs{}, "unknown field"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseSearchArgs([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("parseSearchArgs(%s) error = %v, want containing %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("parseSearchArgs(%s) = %+v, %v, want %+v, nil", tc.in, got, err, tc.want)
			}
		})
	}
}

package fetch

import (
	"strings"
	"testing"
)

func TestRequestHeaders(t *testing.T) {
	tests := []struct {
		name    string
		in      map[string]string
		wantErr string // substring; "" means success
		check   map[string]string
	}{
		{"defaults", nil, "", map[string]string{"User-Agent": "ua/1", "Accept": defaultAccept}},
		{"allowed", map[string]string{"accept-language": "de", "User-Agent": "me"}, "",
			map[string]string{"Accept-Language": "de", "User-Agent": "me"}},
		{"host", map[string]string{"Host": "internal"}, "Host may not be set", nil},
		{"cookie", map[string]string{"Cookie": "a=b"}, "Cookie may not be set", nil},
		{"authorization", map[string]string{"Authorization": "Bearer x"}, "Authorization may not be set", nil},
		{"hop by hop", map[string]string{"Connection": "close"}, "Connection may not be set", nil},
		{"proxy", map[string]string{"Proxy-Authorization": "x"}, "may not be set", nil},
		{"forwarded", map[string]string{"X-Forwarded-For": "1.2.3.4"}, "may not be set", nil},
		{"encoding", map[string]string{"Accept-Encoding": "gzip"}, "may not be set", nil},
		{"duplicate by case", map[string]string{"accept": "a", "Accept": "b"}, "given twice", nil},
		{"bad name", map[string]string{"Bad Name": "x"}, "not a valid header name", nil},
		{"crlf value", map[string]string{"Accept": "a\r\nHost: evil"}, "not allowed in a header", nil},
		{"long value", map[string]string{"Accept": strings.Repeat("a", maxHeaderValueLen+1)}, "longer than", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, err := requestHeaders(tc.in, "ua/1")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("requestHeaders(%v) error = %v, want containing %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("requestHeaders(%v) error = %v, want nil", tc.in, err)
			}
			for k, v := range tc.check {
				if got := h.Get(k); got != v {
					t.Errorf("requestHeaders(%v)[%s] = %q, want %q", tc.in, k, got, v)
				}
			}
		})
	}
	many := map[string]string{}
	for i := range maxHeaders + 1 {
		many["X-H"+strings.Repeat("a", i)] = "v"
	}
	if _, err := requestHeaders(many, "ua"); err == nil {
		t.Errorf("requestHeaders(%d headers) error = nil, want too many", len(many))
	}
}

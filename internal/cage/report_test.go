package cage

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

func TestDecodeReport(t *testing.T) {
	tests := []struct {
		name, in string
		wantErr  string // substring; "" means success
		want     int    // items
	}{
		{"ok", `{"items":[{"name":"seccomp","applied":true,"detail":"12 syscalls"},{"name":"ns.net","applied":false,"detail":""}]}`, "", 2},
		{"empty list", `{"items":[]}`, "", 0},
		{"trailing space", `{"items":[]}` + "\n", "", 0},
		{"missing items", `{}`, "missing items", 0},
		{"null items", `{"items":null}`, "missing items", 0},
		{"unknown field", `{"items":[],"extra":1}`, "unknown field", 0},
		{"unknown item field", `{"items":[{"name":"a","applied":true,"detail":"","x":1}]}`, "unknown field", 0},
		{"trailing data", `{"items":[]}{"items":[]}`, "data after", 0},
		{"not json", `items`, "invalid character", 0},
		{"bad name", `{"items":[{"name":"Seccomp","applied":true,"detail":""}]}`, "items[0].name", 0},
		{"empty name", `{"items":[{"name":"","applied":true,"detail":""}]}`, "items[0].name", 0},
		{"long name", `{"items":[{"name":"` + strings.Repeat("a", 65) + `","applied":true,"detail":""}]}`, "items[0].name", 0},
		{"duplicate name", `{"items":[{"name":"a","applied":true,"detail":""},{"name":"a","applied":false,"detail":""}]}`, "given twice", 0},
		{"escape in detail", `{"items":[{"name":"a","applied":true,"detail":"\u001b[31m"}]}`, "items[0].detail", 0},
		{"newline in detail", `{"items":[{"name":"a","applied":true,"detail":"x\ny"}]}`, "items[0].detail", 0},
		{"bidi in detail", `{"items":[{"name":"a","applied":true,"detail":"\u202e"}]}`, "items[0].detail", 0},
		{"escaped bad utf8", `{"items":[{"name":"a","applied":true,"detail":"\ud800"}]}`, "items[0].detail", 0},
		{"invalid utf8", "{\"items\":[{\"name\":\"a\",\"applied\":true,\"detail\":\"\xff\"}]}", "invalid UTF-8", 0},
		{"long detail", `{"items":[{"name":"a","applied":true,"detail":"` + strings.Repeat("x", 513) + `"}]}`, "items[0].detail", 0},
		{"too big", `{"items":[],"pad":"` + strings.Repeat("x", MaxReportSize) + `"}`, "limit", 0},
		{"too many items", manyItems(129), "over the limit", 0},
		{"items not a list", `{"items":{}}`, "cannot unmarshal", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := DecodeReport([]byte(tc.in))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("DecodeReport(%.60q) = %v, want success", tc.in, err)
				}
				if len(r.Items) != tc.want {
					t.Errorf("DecodeReport(%.60q) = %d items, want %d", tc.in, len(r.Items), tc.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("DecodeReport(%.60q) = %v, want error containing %q", tc.in, err, tc.wantErr)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Errorf("DecodeReport(%.60q) error %q is not one line", tc.in, err)
			}
		})
	}
}

func manyItems(n int) string {
	r := Report{}
	for i := range n {
		r.add("i"+strconv.Itoa(i), true, "")
	}
	b, _ := json.Marshal(r)
	return string(b)
}

func TestReportRoundTrip(t *testing.T) {
	r := Report{Items: []Item{{"seccomp", true, "90 syscalls denied"}, {"ns.net", false, "the kernel refuses it: EPERM"}}}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeReport(b)
	if err != nil {
		t.Fatalf("DecodeReport(Marshal(%v)) = %v", r, err)
	}
	if len(got.Items) != 2 || got.Items[0] != r.Items[0] || got.Items[1] != r.Items[1] {
		t.Errorf("DecodeReport(Marshal(%v)) = %v, want the same", r, got)
	}
	if !got.Applied("seccomp") || got.Applied("ns.net") || got.Applied("missing") {
		t.Errorf("Applied on %v: seccomp %v, ns.net %v, missing %v; want true, false, false",
			got, got.Applied("seccomp"), got.Applied("ns.net"), got.Applied("missing"))
	}
}

// FuzzDecodeReport: whatever a hostile child prints, decoding either fails
// with a one-line error or yields a report that obeys the limits and
// survives a round trip.
func FuzzDecodeReport(f *testing.F) {
	f.Add([]byte(`{"items":[{"name":"seccomp","applied":true,"detail":"ok"}]}`))
	f.Add([]byte(`{"items":[]}`))
	f.Add([]byte(`{"items":[{"name":"a","applied":true,"detail":"\u202e"}]}`))
	f.Add([]byte(`{"items":null} x`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeReport(data)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("DecodeReport error %q is not one line", err)
			}
			return
		}
		if len(r.Items) > maxItems {
			t.Fatalf("DecodeReport gave %d items", len(r.Items))
		}
		for _, it := range r.Items {
			if checkName(it.Name) != nil || checkDetail(it.Detail) != nil {
				t.Fatalf("DecodeReport let through %+v", it)
			}
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeReport(b); err != nil {
			t.Fatalf("DecodeReport(Marshal(DecodeReport(%q))) = %v", data, err)
		}
	})
}

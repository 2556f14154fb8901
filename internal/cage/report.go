package cage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode"
	"unicode/utf8"
)

// Item is one layer of the cage, or one check of it.
type Item struct {
	// Name is stable and machine-readable: "ns.net", "seccomp",
	// "landlock", "rlimit.nofile", "check.exec".
	Name string `json:"name"`
	// Applied is true when the layer is in force (Apply), available
	// (Probe) or holds (a check: the operation was refused).
	Applied bool `json:"applied"`
	// Detail says what was done, or why not, in one line.
	Detail string `json:"detail"`
}

// Report lists every layer asked about, applied or not, in order.
type Report struct {
	Items []Item `json:"items"`
}

// Get returns the item named name.
func (r Report) Get(name string) (Item, bool) {
	for _, it := range r.Items {
		if it.Name == name {
			return it, true
		}
	}
	return Item{}, false
}

// Applied reports whether the item named name is present and applied; a
// missing item is not applied.
func (r Report) Applied(name string) bool {
	it, ok := r.Get(name)
	return ok && it.Applied
}

func (r *Report) add(name string, applied bool, detail string) {
	r.Items = append(r.Items, Item{Name: name, Applied: applied, Detail: detail})
}

// Limits on a report read from a caged child.
const (
	MaxReportSize = 64 << 10
	maxItems      = 128
	maxName       = 64
	maxDetail     = 512
)

// DecodeReport reads one JSON report (as json.Marshal writes it) that a
// caged child printed. The child may be compromised, so the report is
// held to its shape: at most MaxReportSize bytes, no unknown fields,
// nothing after it, at most 128 items, names of [a-z0-9._-], details of
// printable UTF-8 without control characters.
func DecodeReport(data []byte) (Report, error) {
	if len(data) > MaxReportSize {
		return Report{}, fmt.Errorf("cage report: %d bytes, over the %d-byte limit", len(data), MaxReportSize)
	}
	if !utf8.Valid(data) {
		return Report{}, errors.New("cage report: invalid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var raw struct {
		Items *[]Item `json:"items"`
	}
	if err := dec.Decode(&raw); err != nil {
		return Report{}, fmt.Errorf("cage report: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Report{}, errors.New("cage report: data after the report")
	}
	if raw.Items == nil {
		return Report{}, errors.New("cage report: missing items")
	}
	items := *raw.Items
	if len(items) > maxItems {
		return Report{}, fmt.Errorf("cage report: %d items, over the limit of %d", len(items), maxItems)
	}
	seen := make(map[string]bool, len(items))
	for i, it := range items {
		if err := checkName(it.Name); err != nil {
			return Report{}, fmt.Errorf("cage report: items[%d].name: %w", i, err)
		}
		if seen[it.Name] {
			return Report{}, fmt.Errorf("cage report: items[%d].name: %q given twice", i, it.Name)
		}
		seen[it.Name] = true
		if err := checkDetail(it.Detail); err != nil {
			return Report{}, fmt.Errorf("cage report: items[%d].detail: %w", i, err)
		}
	}
	return Report{Items: items}, nil
}

func checkName(s string) error {
	if s == "" || len(s) > maxName {
		return fmt.Errorf("length %d, want 1 to %d", len(s), maxName)
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("byte %#x not allowed (want [a-z0-9._-])", c)
		}
	}
	return nil
}

func checkDetail(s string) error {
	if len(s) > maxDetail {
		return fmt.Errorf("length %d, over %d", len(s), maxDetail)
	}
	for _, r := range s {
		// Format controls (bidirectional overrides) are refused with
		// the C0/C1 controls: the detail ends up on a terminal.
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError {
			return fmt.Errorf("character %U not allowed", r)
		}
	}
	return nil
}

package fetch

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/ironcurtain/ironcurtain-go/internal/jsondoc"
)

// Argument limits and defaults. The defaults are the TypeScript server's,
// so calls that omit them behave the same.
const (
	maxArgsBytes      = 256 << 10
	defaultMaxLength  = 5000
	maxMaxLength      = 1 << 20 // characters; longer requests are clamped
	defaultMaxResults = 5
	maxMaxResults     = 20
	maxQueryLen       = 2048
	maxTimeoutSeconds = 24 * 60 * 60 // clamped later to Config.Timeout anyway
)

// Output formats of http_fetch. html is the TypeScript server's name for
// the unconverted body, kept so existing policies and prompts still work.
const (
	formatMarkdown = "markdown"
	formatText     = "text"
	formatHTML     = "html"
)

var formats = []any{formatMarkdown, formatText, formatHTML}

// fetchArgs are http_fetch's arguments after validation.
type fetchArgs struct {
	URL       string
	Headers   map[string]string
	MaxLength int
	Format    string
	Timeout   time.Duration // 0 means the configured timeout
}

// searchArgs are web_search's arguments after validation.
type searchArgs struct {
	Query      string
	MaxResults int
}

// parseFetchArgs validates http_fetch's arguments. Unknown and duplicate
// fields are errors: the policy judged the arguments as it parsed them,
// and a field it ignored, or a second "url", must not change what runs.
func parseFetchArgs(raw []byte) (fetchArgs, error) {
	c := &jsondoc.Checker{File: "http_fetch"}
	obj, err := parseObject(c, raw, "url", "headers", "max_length", "format", "timeout")
	if err != nil {
		return fetchArgs{}, err
	}
	a := fetchArgs{MaxLength: defaultMaxLength, Format: formatMarkdown}
	if v := c.Required(obj, "url"); v != nil {
		a.URL, _ = c.NonEmptyString(v)
	}
	if v := optional(obj, "headers"); v != nil && c.Kind(v, jsondoc.Object) {
		a.Headers = make(map[string]string, len(v.Members))
		for _, m := range v.Members {
			if s, ok := c.String(m.Value); ok {
				a.Headers[m.Key] = s
			}
		}
	}
	if v := optional(obj, "max_length"); v != nil {
		if n, ok := positiveInt(c, v); ok {
			a.MaxLength = min(n, maxMaxLength)
		}
	}
	if v := optional(obj, "format"); v != nil {
		if s, ok := c.String(v); ok {
			switch s {
			case formatMarkdown, formatText, formatHTML:
				a.Format = s
			default:
				c.Errorf(v, "%q is not a format (use markdown, text or html)", s)
			}
		}
	}
	if v := optional(obj, "timeout"); v != nil {
		if f, ok := number(c, v); ok {
			if f <= 0 {
				c.Errorf(v, "must be a positive number of seconds")
			} else {
				a.Timeout = time.Duration(min(f, maxTimeoutSeconds) * float64(time.Second))
				if a.Timeout <= 0 {
					c.Errorf(v, "is too small to be a timeout")
				}
			}
		}
	}
	if err := c.Err(); err != nil {
		return fetchArgs{}, err
	}
	return a, nil
}

// parseSearchArgs validates web_search's arguments.
func parseSearchArgs(raw []byte) (searchArgs, error) {
	c := &jsondoc.Checker{File: "web_search"}
	obj, err := parseObject(c, raw, "query", "max_results")
	if err != nil {
		return searchArgs{}, err
	}
	a := searchArgs{MaxResults: defaultMaxResults}
	if v := c.Required(obj, "query"); v != nil {
		if s, ok := c.NonEmptyString(v); ok {
			if len(s) > maxQueryLen {
				c.Errorf(v, "is longer than %d bytes", maxQueryLen)
			}
			a.Query = s
		}
	}
	if v := optional(obj, "max_results"); v != nil {
		if n, ok := positiveInt(c, v); ok {
			a.MaxResults = min(n, maxMaxResults)
		}
	}
	if err := c.Err(); err != nil {
		return searchArgs{}, err
	}
	return a, nil
}

// parseObject parses raw as a JSON object with only the allowed keys.
// Absent arguments are an empty object, as MCP clients may omit them.
func parseObject(c *jsondoc.Checker, raw []byte, allowed ...string) (*jsondoc.Value, error) {
	if t := bytes.TrimSpace(raw); len(t) == 0 || string(t) == "null" {
		raw = []byte("{}")
	}
	obj, err := jsondoc.Parse(raw, maxArgsBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: arguments: %w", c.File, err)
	}
	if !c.Object(obj, allowed...) {
		return nil, c.Err()
	}
	return obj, nil
}

// optional returns member key, treating an explicit null as absent:
// models often send null for "use the default", and it is unambiguous.
func optional(obj *jsondoc.Value, key string) *jsondoc.Value {
	v := obj.Get(key)
	if v == nil || v.Kind == jsondoc.Null {
		return nil
	}
	return v
}

func number(c *jsondoc.Checker, v *jsondoc.Value) (float64, bool) {
	if !c.Kind(v, jsondoc.Number) {
		return 0, false
	}
	f, err := strconv.ParseFloat(v.Text, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		c.Errorf(v, "number %s is out of range", v.Text)
		return 0, false
	}
	return f, true
}

// positiveInt accepts 5, 5.0 and 5e0 alike (JSON has one number type) but
// not 5.5, zero or negatives.
func positiveInt(c *jsondoc.Checker, v *jsondoc.Value) (int, bool) {
	f, ok := number(c, v)
	if !ok {
		return 0, false
	}
	if f < 1 || f != math.Trunc(f) {
		c.Errorf(v, "must be a positive whole number, not %s", v.Text)
		return 0, false
	}
	return int(min(f, math.MaxInt32)), true
}

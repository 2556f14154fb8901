package fetch

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzRenderHTML(f *testing.F) {
	for _, s := range []string{
		"",
		"<p>hello <b>world</b></p>",
		`<a href="/x">a<img src="y.png" alt="]">b</a>`,
		"<ul><li><ol><li><pre>x\n`y`</pre></li></ol></li></ul>",
		"<table><tr><td><table><tr><th>n</th></tr></table></td></tr></table>",
		"<blockquote><blockquote>q<br><br>r</blockquote></blockquote>",
		"\xff\xfe<p>\x00\x1b</p>",
		strings.Repeat("<div>", 600) + "x",
		"<script>a</script><svg><title>t</title></svg><math><mi>x</mi></math>",
	} {
		f.Add(s, uint16(0))
		f.Add(s, uint16(7))
	}
	base, _ := url.Parse("https://example.org/dir/page")
	f.Fuzz(func(t *testing.T, in string, limit uint16) {
		for _, mode := range []renderMode{renderMarkdown, renderText} {
			out, cut := renderHTML(in, base, mode, int(limit))
			if !utf8.ValidString(out) {
				t.Fatalf("renderHTML(%q, %d, %d) = %q: invalid UTF-8", in, mode, limit, out)
			}
			if limit > 0 && len(out) > int(limit) {
				t.Fatalf("renderHTML(%q, %d, %d) = %d bytes, want <= limit", in, mode, limit, len(out))
			}
			if limit == 0 && cut {
				t.Fatalf("renderHTML(%q, %d, 0) reported a cut without a limit", in, mode)
			}
			for _, r := range out {
				if r != '\n' && r != '\t' && dropRune(r) {
					t.Fatalf("renderHTML(%q, %d, %d) = %q: contains control %U", in, mode, limit, out, r)
				}
			}
		}
	})
}

func FuzzParseFetchArgs(f *testing.F) {
	for _, s := range []string{
		`{"url":"https://a.test/"}`,
		`{"url":"u","headers":{"Accept":"x"},"max_length":5,"format":"text","timeout":1}`,
		`{"url":"u","url":"v"}`,
		`{"url":"u","max_length":1e400}`,
		`null`,
		`[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		a, err := parseFetchArgs(in)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("parseFetchArgs(%q) error %q spans lines", in, err)
			}
			return
		}
		if a.URL == "" || a.MaxLength < 1 || a.MaxLength > maxMaxLength || a.Timeout < 0 {
			t.Fatalf("parseFetchArgs(%q) = %+v: accepted out-of-range values", in, a)
		}
		switch a.Format {
		case formatMarkdown, formatText, formatHTML:
		default:
			t.Fatalf("parseFetchArgs(%q).Format = %q", in, a.Format)
		}
	})
}

func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{
		"https://example.org/a?b#c", "http://2130706433/", "http://user@a.test/", "ftp://a.test/",
		"http://[::ffff:127.0.0.1]/", "http://a.test\\@b.test/", "http://ex%41mple.org/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		u, err := checkURL(in)
		if err != nil {
			return
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.User != nil || u.Host == "" || u.Fragment != "" {
			t.Fatalf("checkURL(%q) = %v: accepted a URL it must refuse", in, u)
		}
		again, err := checkURL(u.String())
		if err != nil || again.String() != u.String() {
			t.Fatalf("checkURL(checkURL(%q)) = %v, %v, want %v (idempotent)", in, again, err, u)
		}
	})
}

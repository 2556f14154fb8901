package fetch

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestRenderMarkdown(t *testing.T) {
	base, _ := url.Parse("https://example.org/docs/page.html")
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"paragraphs", "<p>one</p><p>two</p>", "one\n\ntwo"},
		{"whitespace collapsed", "<p>  a \n\t b  </p>", "a b"},
		{"headings", "<h1>Title</h1><h3>Sub</h3><p>x</p>", "# Title\n\n### Sub\n\nx"},
		{"link resolved", `<p>see <a href="/a b">the docs</a>.</p>`, "see [the docs](https://example.org/a%20b)."},
		{"link relative to page", `<a href="other.html">o</a>`, "[o](https://example.org/docs/other.html)"},
		{"link parens escaped", `<a href="https://x.test/a(b)">t</a>`, "[t](https://x.test/a%28b%29)"},
		{"javascript link dropped", `<a href="javascript:alert(1)">click</a>`, "click"},
		{"fragment link dropped", `<a href="#top">top</a>`, "top"},
		{"empty link dropped", `<p>a<a href="/x"></a>b</p>`, "ab"},
		{"emphasis", "<p><b>bold</b> and <em>it</em> <strong></strong>x</p>", "**bold** and *it* x"},
		{"emphasis trailing space", "<p><b>bold </b>next</p>", "**bold** next"},
		{"strike", "<del>gone</del>", "~~gone~~"},
		{"unordered list", "<ul><li>a</li><li>b</li></ul>", "- a\n- b"},
		{"ordered list start", `<ol start="3"><li>c</li><li>d</li></ol>`, "3. c\n4. d"},
		{"nested list", "<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul>", "- a\n  - b\n- c"},
		{"list after paragraph", "<p>intro</p><ul><li>a</li></ul><p>end</p>", "intro\n\n- a\n\nend"},
		{"inline code", "<p>run <code>go test</code> now</p>", "run `go test` now"},
		{"inline code with backtick", "<code>a`b</code>", "``a`b``"},
		{"pre", "<pre>line 1\n  line 2\n</pre>", "```\nline 1\n  line 2\n```"},
		{"pre with language", `<pre><code class="language-go">x := 1</code></pre>`, "```go\nx := 1\n```"},
		{"pre with fence inside", "<pre>```\nx\n```</pre>", "````\n```\nx\n```\n````"},
		{"blockquote", "<blockquote><p>a</p><p>b</p></blockquote>", "> a\n>\n> b"},
		{"br", "a<br>b<br><br>c", "a\nb\n\nc"},
		{"hr", "<p>a</p><hr><p>b</p>", "a\n\n---\n\nb"},
		{"image", `<img src="/i.png" alt="a [cat]">`, `![a \[cat\]](https://example.org/i.png)`},
		{"data image shows alt", `<img src="data:image/png;base64,AAAA" alt="dot">`, "dot"},
		{"table", "<table><tr><th>h1</th><th>h2</th></tr><tr><td>a</td><td><p>b</p></td></tr></table>",
			"| h1 | h2 |\n| --- | --- |\n| a | b |"},
		{"script style nav stripped", "<script>var x=1</script><style>p{}</style><nav>menu</nav><p>body</p>", "body"},
		{"hidden stripped", `<p hidden>secret</p><div aria-hidden="true">x</div><p>shown</p>`, "shown"},
		{"head ignored", "<html><head><title>T</title></head><body><p>b</p></body></html>", "b"},
		{"entities", "<p>a &amp; b &lt;c&gt; &nbsp;d</p>", "a & b <c> d"},
		{"control chars dropped", "<p>a\x1b[31mb\u202ec</p>", "a[31mbc"},
		{"definition list", "<dl><dt>term</dt><dd>def</dd></dl>", "term\n: def"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, cut := renderHTML(tc.in, base, renderMarkdown, 0)
			if got != tc.want || cut {
				t.Errorf("renderHTML(%q) = %q, %v, want %q, false", tc.in, got, cut, tc.want)
			}
		})
	}
}

func TestRenderText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"paragraphs", "<p>one</p><p>two</p>", "one\n\ntwo"},
		{"no markup", `<h1>T</h1><p><b>x</b> <a href="https://a.test/">y</a></p>`, "T\n\nx y"},
		{"list", "<ul><li>a</li><li>b</li></ul>", "a\nb"},
		{"pre kept", "<pre>a\n  b</pre>", "a\n  b"},
		{"table", "<table><tr><td>a</td><td>b</td></tr></table>", "a | b"},
		{"code", "<p>run <code>go</code></p>", "run go"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := renderHTML(tc.in, nil, renderText, 0)
			if got != tc.want {
				t.Errorf("renderHTML(%q, text) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestRenderLimit(t *testing.T) {
	in := "<p>" + strings.Repeat("é", 1000) + "</p>"
	got, cut := renderHTML(in, nil, renderMarkdown, 101)
	if !cut || len(got) > 101 || !utf8.ValidString(got) {
		t.Errorf("renderHTML(1000 runes, limit 101) = %d bytes, cut %v, valid %v; want <= 101, true, true",
			len(got), cut, utf8.ValidString(got))
	}
}

// TestRenderDeepNesting covers documents html.Parse refuses (nesting past
// 512) and deep quotes, whose prefixes must stay bounded.
func TestRenderDeepNesting(t *testing.T) {
	deep := strings.Repeat("<div>", 2000) + "deep text" + strings.Repeat("</div>", 2000)
	if got, _ := renderHTML(deep, nil, renderMarkdown, 0); got != "deep text" {
		t.Errorf("renderHTML(2000 nested divs) = %q, want %q", got, "deep text")
	}
	quotes := strings.Repeat("<blockquote>", 400) + "q" + strings.Repeat("</blockquote>", 400)
	got, _ := renderHTML(quotes, nil, renderMarkdown, 0)
	if want := strings.Repeat("> ", maxPrefixDepth) + "q"; got != want {
		t.Errorf("renderHTML(400 nested quotes) = %q, want %q", got, want)
	}
}

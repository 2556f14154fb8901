package fetch

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// tokenText is the fallback for documents html.Parse refuses: text from
// the token stream, line breaks at block boundaries, script and style
// bodies dropped. It has no tree, so it cannot drop whole skipped
// elements the way the converter does; it is plain text only.
func tokenText(w *textWriter, src string) {
	z := html.NewTokenizer(strings.NewReader(src))
	rawBody := false
	for !w.full {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return
		case html.TextToken:
			if !rawBody {
				w.text(string(z.Text()))
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			// The tokenizer hands back a script or style body as the one
			// text token right after the start tag.
			rawBody = tt == html.StartTagToken && (a == atom.Script || a == atom.Style)
			switch {
			case a == atom.Br:
				w.br()
			case blocks[a] || lines[a] || headings[a] || a == atom.Li || a == atom.Pre ||
				a == atom.Table || a == atom.Blockquote:
				w.line()
			}
			continue
		}
		rawBody = false
	}
}

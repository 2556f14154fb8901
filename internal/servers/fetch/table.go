package fetch

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// table renders rows as markdown pipe-table lines (cells separated by
// " | " in text mode). Cells are rendered flat: a block inside a cell
// becomes a space, since a line break would end the row.
func (c *converter) table(n *html.Node) {
	c.w.block()
	row := 0
	var rows func(parent *html.Node)
	rows = func(parent *html.Node) {
		for ch := parent.FirstChild; ch != nil && !c.w.full; ch = ch.NextSibling {
			if ch.Type != html.ElementNode {
				continue
			}
			switch ch.DataAtom {
			case atom.Thead, atom.Tbody, atom.Tfoot:
				rows(ch)
			case atom.Tr:
				c.row(ch, row == 0)
				row++
			case atom.Caption:
				c.w.line()
				c.children(ch)
				c.w.line()
			}
		}
	}
	rows(n)
	c.w.block()
}

func (c *converter) row(tr *html.Node, first bool) {
	c.w.line()
	if c.md {
		c.w.raw("|")
	}
	cells := 0
	c.w.flat++
	for ch := tr.FirstChild; ch != nil && !c.w.full; ch = ch.NextSibling {
		if ch.Type != html.ElementNode || (ch.DataAtom != atom.Td && ch.DataAtom != atom.Th) {
			continue
		}
		if !c.md && cells > 0 {
			c.w.raw("|")
		}
		c.w.gap()
		c.children(ch)
		c.w.gap()
		if c.md {
			c.w.raw("|")
		}
		cells++
	}
	c.w.flat--
	c.w.line()
	if c.md && first {
		c.w.raw("|" + strings.Repeat(" --- |", max(cells, 1)))
		c.w.line()
	}
}

package filesystem

import (
	"strconv"
	"strings"
)

const (
	// diffContext is the number of unchanged lines shown around a change,
	// as in the reference server's diffs.
	diffContext = 4
	// maxDiffD and diffBudget bound the search for a minimal diff: at most
	// maxDiffD differing lines, and about diffBudget steps in all. Past
	// either, the differing middle is shown as one replaced block, which
	// is still a correct diff, just not the smallest one.
	maxDiffD   = 1000
	diffBudget = 50_000_000
)

// block says that lines a[a0:a1] were replaced by b[b0:b1]. Between two
// blocks the files agree.
type block struct{ a0, a1, b0, b1 int }

// unifiedDiff returns a unified diff from before to after, headed the way
// the reference server heads its diffs.
func unifiedDiff(name string, before, after string) string {
	name = oneLine(name)
	var sb strings.Builder
	sb.WriteString("Index: " + name + "\n")
	sb.WriteString(strings.Repeat("=", 67) + "\n")
	sb.WriteString("--- " + name + "\toriginal\n")
	sb.WriteString("+++ " + name + "\tmodified\n")
	a, b := splitLines(before), splitLines(after)
	writeHunks(&sb, a, b, diffBlocks(a, b))
	return sb.String()
}

// splitLines splits s into lines that keep their "\n", so that a last
// line without one differs from the same line with one.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// diffBlocks finds the changed blocks: the common head and tail are cut
// off, then the middle is diffed with Myers' algorithm.
func diffBlocks(a, b []string) []block {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	am, bm := a[pre:len(a)-suf], b[pre:len(b)-suf]
	if len(am) == 0 && len(bm) == 0 {
		return nil
	}
	x, y := internLines(am, bm)
	limit := min(maxDiffD, diffBudget/(len(x)+len(y)+1))
	blocks, ok := myers(x, y, limit)
	if !ok {
		blocks = []block{{0, len(x), 0, len(y)}}
	}
	for i := range blocks {
		blocks[i].a0 += pre
		blocks[i].a1 += pre
		blocks[i].b0 += pre
		blocks[i].b1 += pre
	}
	return blocks
}

// internLines replaces lines by small integers so the diff compares ints.
func internLines(a, b []string) ([]int, []int) {
	ids := make(map[string]int)
	conv := func(lines []string) []int {
		out := make([]int, len(lines))
		for i, l := range lines {
			id, ok := ids[l]
			if !ok {
				id = len(ids)
				ids[l] = id
			}
			out[i] = id
		}
		return out
	}
	return conv(a), conv(b)
}

// myers computes a shortest edit script from x to y with at most maxD
// edits, as blocks; ok is false if none that short exists. It keeps the
// furthest-reaching x for every diagonal after every round (O(D²)
// memory) and walks back through them.
func myers(x, y []int, maxD int) (_ []block, ok bool) {
	n, m := len(x), len(y)
	off := maxD + 1
	v := make([]int, 2*maxD+3)
	var trace [][]int
	for d := 0; d <= maxD; d++ {
		for k := -d; k <= d; k += 2 {
			var px int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				px = v[off+k+1]
			} else {
				px = v[off+k-1] + 1
			}
			py := px - k
			for px < n && py < m && x[px] == y[py] {
				px++
				py++
			}
			v[off+k] = px
			if px >= n && py >= m {
				trace = append(trace, append([]int(nil), v[off-d:off+d+1]...))
				return backtrack(trace, n, m), true
			}
		}
		trace = append(trace, append([]int(nil), v[off-d:off+d+1]...))
	}
	return nil, false
}

// backtrack turns the trace of furthest reaches into blocks, in order.
func backtrack(trace [][]int, n, m int) []block {
	type step struct{ x0, y0, x1, y1 int }
	var steps []step // in reverse order
	px, py := n, m
	for d := len(trace) - 1; d > 0; d-- {
		prev := trace[d-1] // index k+(d-1) holds diagonal k
		at := func(k int) int { return prev[k+d-1] }
		k := px - py
		var prevK int
		if k == -d || (k != d && at(k-1) < at(k+1)) {
			prevK = k + 1 // reached by an insertion
		} else {
			prevK = k - 1 // reached by a deletion
		}
		sx := at(prevK)
		sy := sx - prevK
		if prevK == k+1 {
			steps = append(steps, step{sx, sy, sx, sy + 1})
		} else {
			steps = append(steps, step{sx, sy, sx + 1, sy})
		}
		px, py = sx, sy
	}
	var blocks []block
	for i := len(steps) - 1; i >= 0; i-- {
		s := steps[i]
		if len(blocks) > 0 {
			last := &blocks[len(blocks)-1]
			if last.a1 == s.x0 && last.b1 == s.y0 {
				last.a1, last.b1 = s.x1, s.y1
				continue
			}
		}
		blocks = append(blocks, block{s.x0, s.x1, s.y0, s.y1})
	}
	return blocks
}

// writeHunks writes the blocks as unified-diff hunks with diffContext
// lines of context, merging blocks whose contexts would touch.
func writeHunks(sb *strings.Builder, a, b []string, blocks []block) {
	for i := 0; i < len(blocks); {
		j := i
		for j+1 < len(blocks) && blocks[j+1].a0-blocks[j].a1 <= 2*diffContext {
			j++
		}
		first, last := blocks[i], blocks[j]
		aStart := max(0, first.a0-diffContext)
		aEnd := min(len(a), last.a1+diffContext)
		bStart := first.b0 - (first.a0 - aStart)
		bEnd := last.b1 + (aEnd - last.a1)
		sb.WriteString("@@ -" + hunkRange(aStart, aEnd-aStart) + " +" + hunkRange(bStart, bEnd-bStart) + " @@\n")
		pos := aStart
		for _, bl := range blocks[i : j+1] {
			writeLines(sb, ' ', a[pos:bl.a0])
			writeLines(sb, '-', a[bl.a0:bl.a1])
			writeLines(sb, '+', b[bl.b0:bl.b1])
			pos = bl.a1
		}
		writeLines(sb, ' ', a[pos:aEnd])
		i = j + 1
	}
}

// hunkRange formats a hunk's start and length; an empty range starts at
// the line before it, as diff and patch expect.
func hunkRange(start, n int) string {
	if n > 0 {
		start++
	}
	return strconv.Itoa(start) + "," + strconv.Itoa(n)
}

func writeLines(sb *strings.Builder, prefix byte, lines []string) {
	for _, l := range lines {
		sb.WriteByte(prefix)
		sb.WriteString(l)
		if !strings.HasSuffix(l, "\n") {
			sb.WriteString("\n\\ No newline at end of file\n")
		}
	}
}

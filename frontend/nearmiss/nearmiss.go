// Package nearmiss finds the names a misspelled one was probably meant to
// be, for the "did you mean" hints of the frontends' errors (a DSL layer
// Conv2d for Conv2D, an ONNX op type Sigmoidd for Sigmoid).
package nearmiss

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// Closest returns the candidates name is a plausible misspelling of, best
// first, or nil. A candidate equal up to case is the only answer
// (conv2d for Conv2D). Otherwise the edit distance, counted on lower-cased
// names, must be at most a third of the candidate's length (at least 2),
// so that kernal_size finds kernel_size and MaxPool2d finds MaxPool2D but
// nothing finds a name with nothing in common; of those, only the ones at
// the smallest distance are returned, the ones closer in length first (rleu
// is as far from elu as from relu, but it is relu mistyped), then in the
// candidates' order.
func Closest(name string, candidates []string) []string {
	lower := strings.ToLower(name)
	n := utf8.RuneCountInString(name)
	type near struct {
		name     string
		dist, dl int
	}
	var found []near
	for _, c := range candidates {
		if strings.EqualFold(c, name) {
			return []string{c}
		}
		cn := utf8.RuneCountInString(c)
		if d := Distance(lower, strings.ToLower(c)); d <= max(2, cn/3) {
			found = append(found, near{c, d, abs(cn - n)})
		}
	}
	if len(found) == 0 {
		return nil
	}
	sort.SliceStable(found, func(i, j int) bool {
		if found[i].dist != found[j].dist {
			return found[i].dist < found[j].dist
		}
		return found[i].dl < found[j].dl
	})
	var out []string
	for _, f := range found {
		if f.dist == found[0].dist {
			out = append(out, f.name)
		}
	}
	return out
}

// Suggest returns the best of Closest, or "".
func Suggest(name string, candidates []string) string {
	if c := Closest(name, candidates); len(c) > 0 {
		return c[0]
	}
	return ""
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Distance is the optimal-string-alignment distance between a and b, in
// runes: Levenshtein's insertions, deletions and substitutions plus the
// transposition of two neighbours, the commonest typo (rleu). Names are
// short, so the quadratic table is cheap; names longer than 64 runes are
// no misspelling of a name and get the longer length, which no limit
// accepts.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return max(len(ra), len(rb))
	}
	// d[i][j] is the distance between ra[:i] and rb[:j].
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

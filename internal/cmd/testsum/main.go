// Command testsum summarizes the output of go test -json for
// scripts/test.sh: a line per package as go test prints it (ok, FAIL, no
// test files), the full output of every failing test, and at the end a
// list of every skipped test with the reason it gave, which plain go test
// never shows (a conformance test that skips because ../shared is missing
// looks just like one that ran).
//
// Usage:
//
//	go test -json ./... | go run ./internal/cmd/testsum
//
// It exits 1 if a package failed, did not build or did not finish (the
// test binary crashed or the stream was cut), 2 if it could not read its
// input, and 0 otherwise.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
)

func main() {
	ok, err := summarize(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsum:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

// event is one line of go test -json (cmd/test2json's TestEvent, and the
// go command's build events).
type event struct {
	Action      string
	Package     string
	Test        string
	Elapsed     float64
	Output      string
	ImportPath  string // build-output and build-fail
	FailedBuild string
}

// test is what is known of one test (or subtest) so far.
type test struct {
	name    string
	output  []string // in order, without the === RUN/PAUSE/CONT framing
	done    bool
	failed  bool
	skipped bool
}

// pkg is one package's tests and output.
type pkg struct {
	path    string
	tests   map[string]*test
	order   []string // test names in the order they started
	output  []string // the package's own lines (Test == "")
	lines   []line   // every line, in the order they came, until the package ends
	skipped []*test
	done    bool
}

// line is one line of output and the test that wrote it ("" for the
// package itself).
type line struct{ test, text string }

// summary accumulates the whole run.
type summary struct {
	w        io.Writer
	pkgs     map[string]*pkg
	order    []string
	builds   map[string][]string // build output by import path
	failed   []string            // packages, in the order they ended
	skipped  []*pkg              // packages with skipped tests, in order
	finished int
}

// summarize reads go test -json from r and writes the summary to w. It
// returns whether every package passed (or had no tests).
func summarize(r io.Reader, w io.Writer) (bool, error) {
	s := &summary{w: w, pkgs: map[string]*pkg{}, builds: map[string][]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20) // a test may log long lines
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			// Not an event: the go command's own messages, passed on.
			fmt.Fprintf(w, "%s\n", line)
			continue
		}
		s.event(&e)
	}
	if err := sc.Err(); err != nil {
		return false, err
	}
	return s.finish(), nil
}

func (s *summary) pkg(path string) *pkg {
	p, ok := s.pkgs[path]
	if !ok {
		p = &pkg{path: path, tests: map[string]*test{}}
		s.pkgs[path] = p
		s.order = append(s.order, path)
	}
	return p
}

func (s *summary) event(e *event) {
	switch e.Action {
	case "build-output":
		s.builds[e.ImportPath] = append(s.builds[e.ImportPath], e.Output)
		return
	case "build-fail":
		return // reported with the package's fail event, which names the build
	}
	if e.Package == "" {
		return
	}
	p := s.pkg(e.Package)
	if e.Test == "" {
		switch e.Action {
		case "output":
			p.output = append(p.output, e.Output)
			p.lines = append(p.lines, line{"", e.Output})
		case "pass", "fail", "skip":
			s.endPackage(p, e)
		}
		return
	}
	t, ok := p.tests[e.Test]
	if !ok {
		t = &test{name: e.Test}
		p.tests[e.Test] = t
		p.order = append(p.order, e.Test)
	}
	switch e.Action {
	case "output":
		if !strings.HasPrefix(e.Output, "=== RUN") && !strings.HasPrefix(e.Output, "=== PAUSE") && !strings.HasPrefix(e.Output, "=== CONT") && !strings.HasPrefix(e.Output, "=== NAME") {
			t.output = append(t.output, e.Output)
			p.lines = append(p.lines, line{e.Test, e.Output})
		}
	case "pass":
		t.done = true
	case "fail":
		t.done, t.failed = true, true
	case "skip":
		t.done, t.skipped = true, true
		p.skipped = append(p.skipped, t)
	}
}

// endPackage prints the package's line, preceded, if it failed, by what
// go test would have shown of it.
func (s *summary) endPackage(p *pkg, e *event) {
	p.done = true
	s.finished++
	status := lastStatusLine(p.output)
	if e.Action == "fail" {
		s.failed = append(s.failed, p.path)
		s.printFailure(p, e)
		if status == "" {
			status = fmt.Sprintf("FAIL\t%s\t%.3fs", p.path, e.Elapsed)
		}
	}
	if status == "" {
		switch e.Action {
		case "skip":
			status = fmt.Sprintf("?   \t%s\t[no test files]", p.path)
		default:
			status = fmt.Sprintf("ok  \t%s\t%.3fs", p.path, e.Elapsed)
		}
	}
	fmt.Fprintln(s.w, status)
	if len(p.skipped) > 0 {
		s.skipped = append(s.skipped, p)
	}
	// Only the skipped tests' reasons are needed from here on.
	p.lines, p.output = nil, nil
	for _, t := range p.tests {
		if !t.skipped {
			t.output = nil
		}
	}
}

// lastStatusLine finds the "ok  \tpkg\t1.2s" (FAIL, ?) line go test
// printed for the package.
func lastStatusLine(output []string) string {
	for i := len(output) - 1; i >= 0; i-- {
		l := strings.TrimRight(output[i], "\n")
		if strings.HasPrefix(l, "ok  \t") || strings.HasPrefix(l, "FAIL\t") || strings.HasPrefix(l, "?   \t") {
			return l
		}
	}
	return ""
}

// printFailure writes a failed package's build output, the output of its
// failed (or unfinished: the binary crashed in them) tests, and its own
// output (a panic outside any test, TestMain's, a timeout).
func (s *summary) printFailure(p *pkg, e *event) {
	if e.FailedBuild != "" {
		for _, l := range s.builds[e.FailedBuild] {
			fmt.Fprint(s.w, l)
		}
	}
	status := lastStatusLine(p.output)
	for _, l := range p.lines {
		if l.test == "" {
			if trimmed := strings.TrimRight(l.text, "\n"); trimmed != "PASS" && trimmed != status {
				fmt.Fprint(s.w, l.text)
			}
			continue
		}
		if t := p.tests[l.test]; t.failed || !t.done {
			fmt.Fprint(s.w, l.text)
		}
	}
	for _, name := range p.order {
		if t := p.tests[name]; !t.done {
			fmt.Fprintf(s.w, "--- %s did not finish\n", t.name)
		}
	}
}

// finish reports packages that never ended, the skipped tests and the
// failures, and says whether all went well.
func (s *summary) finish() bool {
	var unfinished []string
	for _, path := range s.order {
		if !s.pkgs[path].done {
			unfinished = append(unfinished, path)
			s.printFailure(s.pkgs[path], &event{})
			fmt.Fprintf(s.w, "FAIL\t%s\t[did not finish]\n", path)
		}
	}
	if len(s.skipped) > 0 {
		n := 0
		for _, p := range s.skipped {
			n += len(p.skipped)
		}
		fmt.Fprintf(s.w, "\nskipped: %d tests\n", n)
		for _, p := range s.skipped {
			s.printSkipped(p)
		}
	}
	bad := append(s.failed, unfinished...)
	switch {
	case len(s.order) == 0:
		fmt.Fprintln(s.w, "\nFAIL: go test reported no packages")
		return false
	case len(bad) > 0:
		fmt.Fprintf(s.w, "\nFAIL: %d of %d packages: %s\n", len(bad), len(s.order), strings.Join(bad, " "))
		return false
	}
	return true
}

// maxListed is how many skipped subtests of one test are listed one by
// one; beyond it they are counted by reason, so that a conformance suite
// skipping a hundred cases stays readable.
const maxListed = 10

// printSkipped lists a package's skipped tests with their reasons.
func (s *summary) printSkipped(p *pkg) {
	fmt.Fprintf(s.w, "%s\n", p.path)
	// Group by top-level test, keeping the order they ran in.
	var tops []string
	byTop := map[string][]*test{}
	for _, t := range p.skipped {
		top, _, _ := strings.Cut(t.name, "/")
		if _, ok := byTop[top]; !ok {
			tops = append(tops, top)
		}
		byTop[top] = append(byTop[top], t)
	}
	for _, top := range tops {
		ts := byTop[top]
		if len(ts) <= maxListed {
			sort.SliceStable(ts, func(i, j int) bool { return ts[i].name < ts[j].name })
			for _, t := range ts {
				fmt.Fprintf(s.w, "  %s: %s\n", t.name, reason(t))
			}
			continue
		}
		// The reasons usually come from one t.Skip call: its file:line
		// goes in the heading, once.
		type group struct {
			reason string
			names  []string
		}
		var groups []*group
		index := map[string]*group{}
		places := map[string]bool{}
		for _, t := range ts {
			place, r := location(reason(t))
			places[place] = true
			g, ok := index[r]
			if !ok {
				g = &group{reason: r}
				index[r] = g
				groups = append(groups, g)
			}
			g.names = append(g.names, strings.TrimPrefix(t.name, top+"/"))
		}
		heading := fmt.Sprintf("  %s: %d subtests skipped", top, len(ts))
		if len(places) == 1 {
			for place := range places {
				if place != "" {
					heading += ", at " + place
				}
			}
		} else {
			for i, g := range groups {
				g.reason = reason(byName(ts, top+"/"+groups[i].names[0]))
			}
		}
		fmt.Fprintln(s.w, heading+":")
		// Parallel subtests end in any order: sort, so that two runs
		// print the same summary.
		for _, g := range groups {
			sort.Strings(g.names)
		}
		sort.SliceStable(groups, func(i, j int) bool {
			if len(groups[i].names) != len(groups[j].names) {
				return len(groups[i].names) > len(groups[j].names)
			}
			return groups[i].reason < groups[j].reason
		})
		shown := groups
		if len(shown) > maxGroups {
			shown = shown[:maxGroups]
		}
		for _, g := range shown {
			examples := g.names
			more := ""
			if len(examples) > 2 {
				examples, more = examples[:2], fmt.Sprintf(", %d more", len(g.names)-2)
			}
			fmt.Fprintf(s.w, "    %4d  %s (%s%s)\n", len(g.names), clip(g.reason, maxReason), strings.Join(examples, ", "), more)
		}
		if rest := groups[len(shown):]; len(rest) > 0 {
			n := 0
			for _, g := range rest {
				n += len(g.names)
			}
			fmt.Fprintf(s.w, "    %4d  for %d other reasons (go test -v -run '^%s$' %s lists them)\n", n, len(rest), top, p.path)
		}
	}
}

// maxGroups is how many reasons of one test's skipped subtests are shown,
// the commonest first; maxReason is how many characters of each.
const (
	maxGroups = 8
	maxReason = 150
)

var place = regexp.MustCompile(`^([\w.-]+\.go:\d+): `)

// location splits a t.Skip message into the file:line the testing package
// put in front of it and the rest.
func location(msg string) (where, rest string) {
	if m := place.FindStringSubmatch(msg); m != nil {
		return m[1], msg[len(m[0]):]
	}
	return "", msg
}

func byName(ts []*test, name string) *test {
	for _, t := range ts {
		if t.name == name {
			return t
		}
	}
	return nil
}

// clip shortens s to n runes.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// reason is what a skipped test logged, on one line, without its
// --- SKIP line.
func reason(t *test) string {
	var parts []string
	for _, l := range t.output {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "--- SKIP") {
			continue
		}
		parts = append(parts, l)
	}
	if len(parts) == 0 {
		return "(no reason given)"
	}
	return strings.Join(parts, " / ")
}

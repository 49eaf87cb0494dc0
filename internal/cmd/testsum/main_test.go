package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// stream writes go test -json lines; each entry is action, package, test
// and output (the last two optional).
func stream(events ...[]string) string {
	var b strings.Builder
	for _, e := range events {
		ev := event{Action: e[0], Package: e[1]}
		if len(e) > 2 {
			ev.Test = e[2]
		}
		if len(e) > 3 {
			ev.Output = e[3]
		}
		if e[0] == "build-output" || e[0] == "build-fail" {
			ev.ImportPath, ev.Package = e[1], ""
		}
		if e[0] == "fail" && len(e) > 4 {
			ev.FailedBuild = e[4]
		}
		data, err := json.Marshal(ev)
		if err != nil {
			panic(err)
		}
		b.Write(data)
		b.WriteByte('\n')
	}
	return b.String()
}

// skips makes n skipped subtests of TestConf, every third with another
// reason.
func skips(n int) [][]string {
	var evs [][]string
	for i := range n {
		name := fmt.Sprintf("TestConf/case_%02d", i)
		why := "    conf_test.go:9: skipping: 3-D windows\n"
		if i%3 == 0 {
			why = "    conf_test.go:9: skipping: integer run-time tensors\n"
		}
		evs = append(evs,
			[]string{"run", "m/conf", name},
			[]string{"output", "m/conf", name, "=== RUN   " + name + "\n"},
			[]string{"output", "m/conf", name, why},
			[]string{"output", "m/conf", name, "--- SKIP: " + name + " (0.00s)\n"},
			[]string{"skip", "m/conf", name})
	}
	return evs
}

// manyReasons makes n skipped subtests of TestConf: the first two
// reasons three times each, then one reason each.
func manyReasons(n int) [][]string {
	var evs [][]string
	for i := range n {
		name := fmt.Sprintf("TestConf/case_%02d", i)
		r := i
		if i < 6 {
			r = i % 2
		}
		evs = append(evs,
			[]string{"run", "m/conf", name},
			[]string{"output", "m/conf", name, fmt.Sprintf("    conf_test.go:9: reason %d\n", r)},
			[]string{"skip", "m/conf", name})
	}
	return evs
}

func TestSummarize(t *testing.T) {
	pass := [][]string{
		{"start", "m/a"},
		{"run", "m/a", "TestOK"},
		{"output", "m/a", "TestOK", "=== RUN   TestOK\n"},
		{"output", "m/a", "TestOK", "    a_test.go:3: chatter that passing tests keep to themselves\n"},
		{"output", "m/a", "TestOK", "--- PASS: TestOK (0.00s)\n"},
		{"pass", "m/a", "TestOK"},
		{"output", "m/a", "", "PASS\n"},
		{"output", "m/a", "", "ok  \tm/a\t0.005s\n"},
		{"pass", "m/a"},
	}
	fail := [][]string{
		{"start", "m/b"},
		{"run", "m/b", "TestParent"},
		{"output", "m/b", "TestParent", "=== RUN   TestParent\n"},
		{"run", "m/b", "TestParent/child"},
		{"output", "m/b", "TestParent/child", "=== RUN   TestParent/child\n"},
		{"output", "m/b", "TestParent/child", "    b_test.go:7: want 1, got 2\n"},
		{"output", "m/b", "TestParent/child", "--- FAIL: TestParent/child (0.00s)\n"},
		{"fail", "m/b", "TestParent/child"},
		{"output", "m/b", "TestParent", "--- FAIL: TestParent (0.00s)\n"},
		{"fail", "m/b", "TestParent"},
		{"run", "m/b", "TestFine"},
		{"output", "m/b", "TestFine", "    b_test.go:9: not shown\n"},
		{"pass", "m/b", "TestFine"},
		{"output", "m/b", "", "FAIL\n"},
		{"output", "m/b", "", "FAIL\tm/b\t0.010s\n"},
		{"fail", "m/b"},
	}
	build := [][]string{
		{"build-output", "m/c [m/c.test]", "", "# m/c [m/c.test]\n"},
		{"build-output", "m/c [m/c.test]", "", "c/c_test.go:3:28: undefined: nope\n"},
		{"build-fail", "m/c [m/c.test]"},
		{"start", "m/c"},
		{"output", "m/c", "", "FAIL\tm/c [build failed]\n"},
		{"fail", "m/c", "", "", "m/c [m/c.test]"},
	}
	noTests := [][]string{
		{"start", "m/d"},
		{"output", "m/d", "", "?   \tm/d\t[no test files]\n"},
		{"skip", "m/d"},
	}
	skip := [][]string{
		{"start", "m/e"},
		{"run", "m/e", "TestShared"},
		{"output", "m/e", "TestShared", "=== RUN   TestShared\n"},
		{"output", "m/e", "TestShared", "    e_test.go:5: skipping: ../shared not found beside the repository\n"},
		{"output", "m/e", "TestShared", "--- SKIP: TestShared (0.00s)\n"},
		{"skip", "m/e", "TestShared"},
		{"run", "m/e", "TestQuiet"},
		{"output", "m/e", "TestQuiet", "--- SKIP: TestQuiet (0.00s)\n"},
		{"skip", "m/e", "TestQuiet"},
		{"output", "m/e", "", "ok  \tm/e\t0.002s\n"},
		{"pass", "m/e"},
	}
	crash := [][]string{
		{"start", "m/f"},
		{"run", "m/f", "TestCrash"},
		{"output", "m/f", "TestCrash", "=== RUN   TestCrash\n"},
		{"output", "m/f", "TestCrash", "fatal error: concurrent map writes\n"},
	}
	cat := func(parts ...[][]string) [][]string {
		var all [][]string
		for _, p := range parts {
			all = append(all, p...)
		}
		return all
	}
	cases := []struct {
		name    string
		in      string
		ok      bool
		want    []string // in this order
		notWant []string
	}{
		{"all pass", stream(cat(pass, noTests)...), true,
			[]string{"ok  \tm/a\t0.005s\n", "?   \tm/d\t[no test files]\n"},
			[]string{"chatter", "skipped", "FAIL"}},
		{"a failure shows its output in order, not the passing tests'", stream(cat(pass, fail)...), false,
			[]string{"ok  \tm/a", "    b_test.go:7: want 1, got 2\n--- FAIL: TestParent/child (0.00s)\n--- FAIL: TestParent (0.00s)\nFAIL\nFAIL\tm/b\t0.010s\n", "FAIL: 1 of 2 packages: m/b\n"},
			[]string{"not shown", "=== RUN"}},
		{"build failure", stream(build...), false,
			[]string{"# m/c [m/c.test]\nc/c_test.go:3:28: undefined: nope\nFAIL\tm/c [build failed]\n", "FAIL: 1 of 1 packages: m/c"},
			nil},
		{"skips are listed with their reasons", stream(cat(skip, pass)...), true,
			[]string{"ok  \tm/e\t0.002s\n", "skipped: 2 tests\nm/e\n  TestShared: e_test.go:5: skipping: ../shared not found beside the repository\n  TestQuiet: (no reason given)\n"},
			[]string{"FAIL"}},
		{"many skipped subtests are counted by reason", stream(cat([][]string{{"start", "m/conf"}}, skips(12), [][]string{{"pass", "m/conf"}})...), true,
			[]string{"skipped: 12 tests\nm/conf\n  TestConf: 12 subtests skipped, at conf_test.go:9:\n" +
				"       8  skipping: 3-D windows (case_01, case_02, 6 more)\n" +
				"       4  skipping: integer run-time tensors (case_00, case_03, 2 more)\n"},
			nil},
		{"the commonest reasons are shown, the rest counted", stream(cat([][]string{{"start", "m/conf"}}, manyReasons(20), [][]string{{"pass", "m/conf"}})...), true,
			[]string{"  TestConf: 20 subtests skipped, at conf_test.go:9:\n", "       3  reason 0 (case_00, case_02, 1 more)\n", "       1  reason 15 (case_15)\n",
				"       8  for 8 other reasons (go test -v -run '^TestConf$' m/conf lists them)\n"},
			[]string{"reason 6 ", "reason 19"}},
		{"a crashed binary is a failure", stream(cat(pass, crash)...), false,
			[]string{"fatal error: concurrent map writes\n--- TestCrash did not finish\nFAIL\tm/f\t[did not finish]\n", "FAIL: 1 of 2 packages: m/f"},
			nil},
		{"other lines pass through", "go: downloading example.com/x v1.0.0\n" + stream(pass...), true,
			[]string{"go: downloading example.com/x v1.0.0\n", "ok  \tm/a"}, nil},
		{"nothing ran", "", false, []string{"FAIL: go test reported no packages"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out strings.Builder
			ok, err := summarize(strings.NewReader(tc.in), &out)
			if err != nil {
				t.Fatal(err)
			}
			got := out.String()
			if ok != tc.ok {
				t.Errorf("ok = %v, want %v", ok, tc.ok)
			}
			at := 0
			for _, w := range tc.want {
				i := strings.Index(got[at:], w)
				if i < 0 {
					t.Errorf("output lacks %q after offset %d:\n%s", w, at, got)
					break
				}
				at += i + len(w)
			}
			for _, w := range tc.notWant {
				if strings.Contains(got, w) {
					t.Errorf("output has %q:\n%s", w, got)
				}
			}
		})
	}
}

package vision

import (
	"errors"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

func TestTopK(t *testing.T) {
	nan := float32(math.NaN())
	labels := []string{"zero", "one", "two", "three"}
	for _, tc := range []struct {
		name   string
		scores []float32
		k      int
		labels []string
		want   []Class
	}{
		{"top 2", []float32{0.1, 0.5, 0.3, 0.1}, 2, labels, []Class{{1, 0.5, "one"}, {2, 0.3, "two"}}},
		{"ties by index", []float32{0.2, 0.4, 0.4, 0.2}, 4, labels, []Class{{1, 0.4, "one"}, {2, 0.4, "two"}, {0, 0.2, "zero"}, {3, 0.2, "three"}}},
		{"k clipped", []float32{1, 3}, 10, nil, []Class{{1, 3, ""}, {0, 1, ""}}},
		{"k zero", []float32{1, 3}, 0, nil, nil},
		{"k negative", []float32{1, 3}, -1, nil, nil},
		{"empty", nil, 3, nil, nil},
		{"labels short", []float32{1, 2, 3}, 3, []string{"a"}, []Class{{2, 3, ""}, {1, 2, ""}, {0, 1, "a"}}},
		{"logits", []float32{-3, -1, -2}, 1, nil, []Class{{1, -1, ""}}},
		{"NaN last", []float32{nan, 1, nan, 2}, 3, nil, []Class{{3, 2, ""}, {1, 1, ""}, {0, nan, ""}}},
		{"infinities", []float32{float32(math.Inf(-1)), float32(math.Inf(1)), 0}, 3, nil,
			[]Class{{1, float32(math.Inf(1)), ""}, {2, 0, ""}, {0, float32(math.Inf(-1)), ""}}},
	} {
		got := TopK(tc.scores, tc.k, tc.labels)
		if !classesEqual(got, tc.want) {
			t.Errorf("%s: TopK = %v, want %v", tc.name, got, tc.want)
		}
	}
	// The sorting path (k > 32) agrees with the insertion path.
	scores := make([]float32, 1000)
	for i := range scores {
		scores[i] = float32((i * 7919) % 97) // many ties
	}
	scores[500] = nan
	all := TopK(scores, 1000, nil)
	for k := 1; k <= 32; k++ {
		if got := TopK(scores, k, nil); !classesEqual(got, all[:k]) {
			t.Fatalf("TopK(k=%d) = %v, want %v", k, got, all[:k])
		}
	}
	for i := 1; i < len(all); i++ {
		a, b := all[i-1], all[i]
		if !ranksBefore(a.Score, a.Index, b.Score, b.Index) {
			t.Fatalf("TopK(1000) out of order at %d: %v then %v", i, a, b)
		}
	}
	if all[999].Index != 500 {
		t.Errorf("NaN is not last: %v", all[999])
	}
}

func classesEqual(a, b []Class) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Index != y.Index || x.Label != y.Label || !(x.Score == y.Score || x.Score != x.Score && y.Score != y.Score) {
			return false
		}
	}
	return true
}

func TestClassString(t *testing.T) {
	if s := (Class{Index: 281, Score: 0.45321, Label: "tabby"}).String(); s != "tabby (281): 0.4532" {
		t.Errorf("String = %q", s)
	}
	if s := (Class{Index: 3, Score: 0.5}).String(); s != "3: 0.5" {
		t.Errorf("String = %q", s)
	}
}

func TestReadLabels(t *testing.T) {
	long := strings.Repeat("x", 100000)
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"trailing newline", "cat\ndog\n", []string{"cat", "dog"}},
		{"no trailing newline", "cat\ndog", []string{"cat", "dog"}},
		{"CRLF", "cat\r\ndog\r\n", []string{"cat", "dog"}},
		{"BOM", "\ufeffcat\ndog\n", []string{"cat", "dog"}},
		{"blank in the middle kept", "cat\n\ndog\n", []string{"cat", "", "dog"}},
		{"blank lines at the end", "cat\ndog\n\n\n", []string{"cat", "dog"}},
		{"spaces trimmed, inner kept", "  n01440764 tench \n", []string{"n01440764 tench"}},
		{"empty", "", nil},
		{"only newlines", "\n\n", nil},
		{"long line", long + "\nb\n", []string{long, "b"}},
	} {
		got, err := ReadLabels(strings.NewReader(tc.in))
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: ReadLabels = %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
	boom := errors.New("boom")
	if _, err := ReadLabels(io.MultiReader(strings.NewReader("a\n"), iotest.ErrReader(boom))); !errors.Is(err, boom) {
		t.Errorf("reader error: %v", err)
	}
}

func TestSoftmax(t *testing.T) {
	inf := float32(math.Inf(1))
	for _, tc := range []struct {
		name string
		in   []float32
		want []float32
	}{
		{"equal", []float32{3, 3}, []float32{0.5, 0.5}},
		{"log 1:3", []float32{0, float32(math.Log(3))}, []float32{0.25, 0.75}},
		{"large logits", []float32{1000, 1002}, []float32{0.11920292, 0.88079708}}, // exp(1000) overflows
		{"one +Inf", []float32{inf, 1}, []float32{1, 0}},
		{"two +Inf", []float32{inf, 1, inf}, []float32{0.5, 0, 0.5}},
		{"all -Inf", []float32{-inf, -inf}, []float32{0.5, 0.5}},
		{"empty", []float32{}, []float32{}},
	} {
		x := append([]float32(nil), tc.in...)
		Softmax(x)
		for i := range x {
			if math.Abs(float64(x[i]-tc.want[i])) > 1e-6 {
				t.Errorf("%s: Softmax(%v) = %v, want %v", tc.name, tc.in, x, tc.want)
				break
			}
		}
	}
	x := []float32{1, float32(math.NaN()), 2}
	Softmax(x)
	for _, v := range x {
		if v == v {
			t.Errorf("Softmax with a NaN = %v, want all NaN", x)
		}
	}
	x = []float32{1, 2, 3, -4, 0.5}
	Softmax(x)
	sum := float32(0)
	for _, v := range x {
		sum += v
	}
	if math.Abs(float64(sum-1)) > 1e-6 || TopK(x, 1, nil)[0].Index != 2 {
		t.Errorf("Softmax = %v (sum %g)", x, sum)
	}
}

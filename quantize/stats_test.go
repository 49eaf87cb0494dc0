package quantize

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestStatsMinMax(t *testing.T) {
	s := NewStats(false)
	if _, _, err := s.Range(MinMax, 100); err == nil {
		t.Error("an empty Stats has a range")
	}
	for _, batch := range [][]float64{{1, 2, 3}, {}, {-0.5, 0.25}} {
		if err := s.Add(batch); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddRange(-2, 7, 10); err != nil {
		t.Fatal(err)
	}
	lo, hi, err := s.Range(MinMax, 100)
	if err != nil || lo != -2 || hi != 7 || s.Count != 15 {
		t.Errorf("got [%g, %g] over %d values, %v; want [-2, 7] over 15", lo, hi, s.Count, err)
	}
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if err := s.Add([]float64{0, bad}); err == nil {
			t.Errorf("Add accepted %g", bad)
		}
		if err := s.AddRange(bad, 1, 1); err == nil {
			t.Errorf("AddRange accepted %g", bad)
		}
	}
	if s.Count != 15 {
		t.Errorf("a refused batch changed the count to %d", s.Count)
	}
}

// TestPercentile: a few outliers stretch the min-max range a hundredfold;
// the percentile range stays at the bulk of the values.
func TestPercentile(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	s := NewStats(true)
	vals := make([]float64, 100000)
	for i := range vals {
		vals[i] = rng.Float64()*2 - 0.5 // [-0.5, 1.5)
	}
	if err := s.Add(vals); err != nil {
		t.Fatal(err)
	}
	if err := s.Add([]float64{100, 120, -80}); err != nil {
		t.Fatal(err)
	}
	lo, hi, _ := s.Range(MinMax, 100)
	if lo != -80 || hi != 120 {
		t.Fatalf("min-max [%g, %g]", lo, hi)
	}
	tests := []struct {
		p, lo, hi, tol float64
	}{
		{99.99, -0.5, 1.5, 0.07}, // the 3 outliers are cut (5 values per side may go)
		{98, -0.5 + 0.02, 1.5 - 0.02, 0.07},
		{100, -80, 120, 0},
	}
	for _, tt := range tests {
		lo, hi, err := s.Range(Percentile, tt.p)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(lo-tt.lo) > tt.tol || math.Abs(hi-tt.hi) > tt.tol {
			t.Errorf("percentile %g: [%g, %g], want about [%g, %g]", tt.p, lo, hi, tt.lo, tt.hi)
		}
	}
}

// TestHistogramGrowthIsExact: growing the histogram merges bins whose
// edges line up, so values seen before and after the growth land where a
// histogram sized for all of them at once would put them.
func TestHistogramGrowthIsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var batches [][]float64
	var all []float64
	for k, scale := range []float64{0, 0.01, 1, 3, 250, 0.5} {
		b := make([]float64, 1000)
		for i := range b {
			if k > 0 {
				b[i] = rng.NormFloat64() * scale
			}
		}
		batches = append(batches, b)
		all = append(all, b...)
	}
	grown, once := NewStats(true), NewStats(true)
	for _, b := range batches {
		if err := grown.Add(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := once.Add(all); err != nil {
		t.Fatal(err)
	}
	if grown.limit != once.limit || !slices.Equal(grown.hist, once.hist) {
		t.Fatalf("limits %g and %g; histograms equal: %v", grown.limit, once.limit, slices.Equal(grown.hist, once.hist))
	}
	var total int64
	for _, c := range grown.hist {
		total += c
	}
	if total != int64(len(all)) {
		t.Errorf("the histogram holds %d values, want %d", total, len(all))
	}
}

func TestPercentileAllZero(t *testing.T) {
	s := NewStats(true)
	if err := s.Add(make([]float64, 100)); err != nil {
		t.Fatal(err)
	}
	lo, hi, err := s.Range(Percentile, 99.9)
	if err != nil || lo != 0 || hi != 0 {
		t.Errorf("got [%g, %g], %v; want [0, 0]", lo, hi, err)
	}
	// Zeros seen before the first non-zero value are counted.
	if err := s.Add([]float64{1}); err != nil {
		t.Fatal(err)
	}
	if got := s.hist[histBins/2]; got != 100 {
		t.Errorf("the zero bin holds %d, want 100", got)
	}
}

func TestParseMethodAndType(t *testing.T) {
	for _, s := range []string{"minmax", "percentile"} {
		m, err := ParseMethod(s)
		if err != nil || m.String() != s {
			t.Errorf("ParseMethod(%q) = %v, %v", s, m, err)
		}
	}
	if _, err := ParseMethod("entropy"); err == nil {
		t.Error("ParseMethod accepted entropy")
	}
	for _, s := range []string{"uint8", "int8"} {
		q, err := ParseQType(s)
		if err != nil || q.String() != s {
			t.Errorf("ParseQType(%q) = %v, %v", s, q, err)
		}
	}
	if _, err := ParseQType("int4"); err == nil {
		t.Error("ParseQType accepted int4")
	}
}

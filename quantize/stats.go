package quantize

import (
	"fmt"
	"math"
)

// Method is how a tensor's calibrated range is chosen from what was
// observed.
type Method int

// The calibration methods.
const (
	// MinMax takes the smallest and largest value seen.
	MinMax Method = iota
	// Percentile cuts the tails: with percentile p, (100-p)/2 percent of
	// the values seen lie below the range and as many above it, read off
	// a histogram. Outliers then saturate instead of stretching the scale
	// of every other value.
	Percentile
)

// String names the method as the -method flag spells it.
func (m Method) String() string {
	if m == Percentile {
		return "percentile"
	}
	return "minmax"
}

// ParseMethod reads a method name.
func ParseMethod(s string) (Method, error) {
	switch s {
	case "minmax", "min-max":
		return MinMax, nil
	case "percentile":
		return Percentile, nil
	}
	return 0, fmt.Errorf("calibration method %q: want minmax or percentile", s)
}

// histBins is the number of histogram bins, half for negative values and
// half for positive ones. The histogram covers [-limit, limit) with limit
// a power of two above the largest magnitude seen, so a bin is at most
// max|x|/4096 wide: the percentile's bound is read to that precision.
const histBins = 8192

// Stats accumulates what calibration observes of one tensor: the count
// and extremes of its values, and with a histogram, their distribution.
type Stats struct {
	Count    int64
	Min, Max float64
	// hist counts values in histBins equal bins over [-limit, limit);
	// nil when only the extremes are kept.
	hist  []int64
	limit float64
	// zeros counts the zeros seen while limit is still 0 (every value so
	// far was zero); they go to the bins once a non-zero value sets the
	// limit.
	zeros int64
}

// NewStats returns empty statistics; withHistogram keeps the histogram
// that Percentile needs.
func NewStats(withHistogram bool) *Stats {
	s := &Stats{Min: math.Inf(1), Max: math.Inf(-1)}
	if withHistogram {
		s.hist = make([]int64, histBins)
	}
	return s
}

// Add observes values. A NaN or an infinity is an error: no range can
// hold it, and it means the calibration data or the model is broken.
func (s *Stats) Add(values []float64) error {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range values {
		if !finite(x) {
			return fmt.Errorf("value %g is %w", x, ErrNotFinite)
		}
		lo, hi = min(lo, x), max(hi, x)
	}
	if len(values) == 0 {
		return nil
	}
	s.Count += int64(len(values))
	s.Min, s.Max = min(s.Min, lo), max(s.Max, hi)
	if s.hist == nil {
		return nil
	}
	s.grow(max(-lo, hi))
	if s.limit == 0 {
		s.zeros += int64(len(values))
		return nil
	}
	scale := histBins / (2 * s.limit)
	for _, x := range values {
		s.hist[s.bin(x, scale)]++
	}
	return nil
}

// AddRange observes count values known only by their extremes (the
// generated code reduces each item to its minimum and maximum).
func (s *Stats) AddRange(lo, hi float64, count int64) error {
	if !finite(lo) || !finite(hi) {
		return fmt.Errorf("range [%g, %g] is %w", lo, hi, ErrNotFinite)
	}
	if s.hist != nil {
		return fmt.Errorf("internal error: a histogram needs every value, not just the extremes")
	}
	s.Count += count
	s.Min, s.Max = min(s.Min, lo), max(s.Max, hi)
	return nil
}

// bin is the histogram bin of x, for scale = histBins/(2*limit).
func (s *Stats) bin(x, scale float64) int {
	i := int(math.Floor((x + s.limit) * scale))
	return max(0, min(histBins-1, i))
}

// grow widens the histogram so that it covers magnitude m: the limit
// doubles, and each doubling merges pairs of bins, which is exact because
// the bin edges of the wider histogram are edges of the narrower one.
func (s *Stats) grow(m float64) {
	if m == 0 || m < s.limit {
		return
	}
	if s.limit == 0 {
		// The first non-zero value: a power of two above it, and the
		// zeros seen before into their bin.
		s.limit = math.Pow(2, math.Floor(math.Log2(m))+1)
		if s.zeros > 0 {
			s.hist[histBins/2] += s.zeros
			s.zeros = 0
		}
		return
	}
	for s.limit <= m {
		s.limit *= 2
		merged := make([]int64, histBins)
		// Old bin i covers [-L+i*w, -L+(i+1)*w); in the doubled
		// histogram that is bin (histBins/2+i)/2.
		for i, c := range s.hist {
			merged[(histBins/2+i)/2] += c
		}
		s.hist = merged
	}
}

// Range is the calibrated range: [Min, Max] for MinMax; for Percentile
// the bounds that leave (100-p)/2 percent of the values outside on each
// side, within [Min, Max]. An empty Stats is an error.
func (s *Stats) Range(m Method, p float64) (lo, hi float64, err error) {
	if s.Count == 0 {
		return 0, 0, fmt.Errorf("no values were observed")
	}
	if m == MinMax || p >= 100 {
		return s.Min, s.Max, nil
	}
	if s.hist == nil {
		return 0, 0, fmt.Errorf("internal error: percentile calibration without a histogram")
	}
	if s.limit == 0 {
		return 0, 0, nil // every value was zero
	}
	cut := float64(s.Count) * (100 - p) / 200
	w := 2 * s.limit / histBins
	// lo is the lower edge of the first bin where more than cut values
	// lie at or below it; hi the upper edge of the last such bin from
	// the top.
	var sum int64
	lo = s.Min
	for i, c := range s.hist {
		sum += c
		if float64(sum) > cut {
			lo = -s.limit + float64(i)*w
			break
		}
	}
	sum = 0
	hi = s.Max
	for i := histBins - 1; i >= 0; i-- {
		sum += s.hist[i]
		if float64(sum) > cut {
			hi = -s.limit + float64(i+1)*w
			break
		}
	}
	return max(lo, s.Min), min(hi, s.Max), nil
}

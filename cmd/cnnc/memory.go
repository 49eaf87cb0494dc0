package main

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/cnnc/cnnc/ir"
	"github.com/cnnc/cnnc/passes"
)

// A run's memory is checked before anything batch-sized is allocated: the
// reference engine evaluates the whole batch at once in float64, so
// "cnnc run -batch 100000" on an MNIST model wants tens of gigabytes and,
// unchecked, is killed by the kernel after swapping the machine to a halt.

// fallbackMemoryLimit is the limit when the machine's memory is unknown.
const fallbackMemoryLimit = 4 << 30

// memoryFlag is -max-memory SIZE.
type memoryFlag struct {
	bytes int64
	set   bool
}

func (m *memoryFlag) String() string {
	if m == nil || !m.set {
		return "auto"
	}
	return formatBytes(float64(m.bytes))
}

// Set parses a size: a number of bytes, or one with a unit (KB, MB, GB,
// TB in powers of 1000; KiB, MiB, GiB, TiB in powers of 1024); 0 turns
// the check off.
func (m *memoryFlag) Set(s string) error {
	t := strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   float64
	}{
		{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
		{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
		{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"t", 1 << 40}, {"b", 1},
	}
	mult := 1.0
	lower := strings.ToLower(t)
	for _, u := range units {
		if strings.HasSuffix(lower, u.suffix) {
			mult, t = u.mult, strings.TrimSpace(t[:len(t)-len(u.suffix)])
			break
		}
	}
	x, err := strconv.ParseFloat(t, 64)
	if err != nil || x < 0 || math.IsInf(x, 0) || x != x || x*mult > math.MaxInt64/2 {
		return fmt.Errorf("want a size such as 8GiB, 500MB or 0 (no limit), got %q", s)
	}
	m.bytes, m.set = int64(x*mult), true
	return nil
}

// limit returns the memory limit and what it is, for messages; 0 means
// no limit.
func (m *memoryFlag) limit() (int64, string) {
	if m.set {
		return m.bytes, "-max-memory"
	}
	if avail, ok := memAvailable(); ok {
		// Half: Go's collector lets the heap grow to about twice the live
		// data (GOGC=100) before it collects, and the estimate counts live
		// data.
		return avail / 2, fmt.Sprintf("half of the %s available (MemAvailable in /proc/meminfo)", formatBytes(float64(avail)))
	}
	return fallbackMemoryLimit, "the default when /proc/meminfo is unreadable"
}

// memAvailable reads MemAvailable from /proc/meminfo (Linux).
func memAvailable() (int64, bool) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemAvailable:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil || kb <= 0 {
				return 0, false
			}
			return kb << 10, true
		}
	}
	return 0, false
}

// memoryEstimate is what a run needs: fixed bytes plus bytes per batch
// item.
type memoryEstimate struct {
	perItem, fixed float64
	what           string // what the per-item bytes are, for the message
}

// estimateMemory estimates the memory an engine needs to run g, per batch
// item, from the model's peak activation memory (passes.PeakActivationBytes:
// the values live at once, in the model's float32 sizes).
//
// The reference engine holds every value in float64, twice the float32
// size, and data-movement and broadcasting ops (Transpose, Pad, Slice, a
// broadcast Add) build a table of int offsets as long as their output: up
// to 8 more bytes per element of the largest value. The Go engine runs the
// generated code, which needs one item's activations at a time; what grows
// with the batch is the inputs and outputs, held as float64 tensors, a
// float32 copy written to the program and its float32 buffers (24 bytes
// per element in all).
func estimateMemory(g *ir.Graph, engine string) memoryEstimate {
	if engine == "go" {
		var elems int64
		for _, v := range g.Inputs {
			elems += int64(v.Shape.PerBatch())
		}
		for _, v := range g.Outputs {
			elems += int64(v.Shape.PerBatch())
		}
		return memoryEstimate{perItem: 24 * float64(elems), fixed: float64(passes.PeakActivationBytes(g)), what: "inputs and outputs in float64 and float32"}
	}
	var largest int64
	for _, v := range g.Inputs {
		largest = max(largest, passes.Bytes(v))
	}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o != nil {
				largest = max(largest, passes.Bytes(o))
			}
		}
	}
	peak := passes.PeakActivationBytes(g)
	return memoryEstimate{perItem: 2*float64(peak) + 2*float64(largest), what: "float64 activations of the reference evaluator"}
}

// checkMemory refuses a run whose estimate passes the limit. items names
// the batch for the message ("a batch of 100000", "100000 images"), extra
// is memory beyond the engine's (the largest decoded image).
func checkMemory(g *ir.Graph, engine string, batch int, items string, extra float64, lim *memoryFlag) error {
	limit, why := lim.limit()
	if limit <= 0 {
		return nil
	}
	est := estimateMemory(g, engine)
	need := est.fixed + extra + est.perItem*float64(batch)
	if need <= float64(limit) {
		return nil
	}
	fit := 0
	if est.perItem > 0 {
		fit = int(math.Max(0, (float64(limit)-est.fixed-extra)/est.perItem))
	}
	advice := fmt.Sprintf("a smaller batch (about %d items fit)", fit)
	if engine == "ref" {
		advice += ", -engine go (the generated float32 code, one item's activations at a time)"
	}
	return fmt.Errorf("%s on the %s engine would need about %s (%s per item: %s), more than the limit of %s (%s); use %s, or raise the limit with -max-memory",
		items, engine, formatBytes(need), formatBytes(est.perItem), est.what, formatBytes(float64(limit)), why, advice)
}

// formatBytes prints a size in binary units: 1.5 GiB.
func formatBytes(b float64) string {
	units := []string{"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	i := 0
	for b >= 1024 && i < len(units)-1 {
		b /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f bytes", b)
	}
	return fmt.Sprintf("%.1f %s", b, units[i])
}

package runtime

import (
	"math"
	"strconv"
)

// Softmax writes the softmax of each row of the rows x cols matrix src
// (row-major, tight) into dst: exp(x - max) / sum(exp(x - max)), which
// cannot overflow. dst may be src itself.
//
// Contract: len(src) and len(dst) >= rows*cols. It never allocates.
func Softmax(dst, src []float32, rows, cols int) {
	softmax("Softmax", dst, src, rows, cols, false)
}

// LogSoftmax writes the log-softmax of each row of the rows x cols matrix
// src into dst: x - max - log(sum(exp(x - max))). dst may be src itself.
//
// Contract: len(src) and len(dst) >= rows*cols. It never allocates.
func LogSoftmax(dst, src []float32, rows, cols int) {
	softmax("LogSoftmax", dst, src, rows, cols, true)
}

func softmax(fn string, dst, src []float32, rows, cols int, log bool) {
	if rows < 0 || cols < 0 {
		panic("runtime." + fn + ": negative size " + strconv.Itoa(rows) + "x" + strconv.Itoa(cols))
	}
	checkLen(fn, "src", len(src), rows*cols)
	checkLen(fn, "dst", len(dst), rows*cols)
	for r := 0; r < rows; r++ {
		in := src[r*cols : r*cols+cols]
		out := dst[r*cols : r*cols+cols]
		out = out[:len(in)]
		if len(in) == 0 {
			continue
		}
		m := in[0]
		for _, v := range in {
			if v > m || v != v {
				m = v
			}
		}
		if math.IsInf(float64(m), 0) || m != m {
			// A row holding +Inf or NaN, or only -Inf, has no
			// meaningful softmax; shifting by 0 lets the NaN and
			// infinities propagate instead of inventing numbers.
			m = 0
		}
		// The sum is kept in float64: it costs nothing here and keeps
		// long rows (thousands of classes) accurate. The exponentials go
		// through the vector kernel: into out for Softmax, and, because
		// out may be in and LogSoftmax still needs x afterwards, through
		// a chunk of stack for LogSoftmax.
		var sum float64
		if log {
			var buf [256]float32
			for c := 0; c < len(in); c += len(buf) {
				e := buf[:min(len(buf), len(in)-c)]
				for i := range e {
					e[i] = in[c+i] - m
				}
				Activate(e, ActExp, 0, 0)
				for _, v := range e {
					sum += float64(v)
				}
			}
			shift := m + float32(math.Log(sum))
			for i, v := range in {
				out[i] = v - shift
			}
			continue
		}
		for i, v := range in {
			out[i] = v - m
		}
		Activate(out, ActExp, 0, 0)
		for _, e := range out {
			sum += float64(e)
		}
		scale := float32(1 / sum)
		for i := range out {
			out[i] *= scale
		}
	}
}

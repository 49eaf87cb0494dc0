package runtime

import "math"

// LayerNorm normalizes each of rows rows of cols values of src into dst:
// dst = (src - mean) / sqrt(var + eps) * scale + bias, with the row's mean
// and biased variance. scale and bias hold cols values; bias may be nil.
// mean and invStd, if not nil, receive each row's mean and 1/sqrt(var+eps)
// (ONNX LayerNormalization's second and third outputs). dst may be src.
func LayerNorm(dst, src []float32, rows, cols int, scale, bias []float32, eps float32, mean, invStd []float32) {
	if rows <= 0 || cols <= 0 {
		return
	}
	checkLen("LayerNorm", "src", len(src), rows*cols)
	checkLen("LayerNorm", "dst", len(dst), rows*cols)
	checkLen("LayerNorm", "scale", len(scale), cols)
	if bias != nil {
		checkLen("LayerNorm", "bias", len(bias), cols)
	}
	if mean != nil {
		checkLen("LayerNorm", "mean", len(mean), rows)
	}
	if invStd != nil {
		checkLen("LayerNorm", "invStd", len(invStd), rows)
	}
	scale = scale[:cols]
	inv := 1 / float64(cols)
	for r := 0; r < rows; r++ {
		x := src[r*cols : (r+1)*cols]
		y := dst[r*cols : (r+1)*cols]
		// Four partial sums keep the additions independent (and the
		// rounding error of long rows small); the variance is taken
		// about the mean, in a second pass, so that rows with a large
		// offset lose nothing to cancellation.
		var s0, s1, s2, s3 float32
		j := 0
		for ; j+4 <= cols; j += 4 {
			s0 += x[j]
			s1 += x[j+1]
			s2 += x[j+2]
			s3 += x[j+3]
		}
		for ; j < cols; j++ {
			s0 += x[j]
		}
		m := float32(float64((s0+s1)+(s2+s3)) * inv)
		var v0, v1, v2, v3 float32
		j = 0
		for ; j+4 <= cols; j += 4 {
			d0, d1, d2, d3 := x[j]-m, x[j+1]-m, x[j+2]-m, x[j+3]-m
			v0 += d0 * d0
			v1 += d1 * d1
			v2 += d2 * d2
			v3 += d3 * d3
		}
		for ; j < cols; j++ {
			d := x[j] - m
			v0 += d * d
		}
		is := float32(1 / math.Sqrt(float64((v0+v1)+(v2+v3))*inv+float64(eps)))
		if mean != nil {
			mean[r] = m
		}
		if invStd != nil {
			invStd[r] = is
		}
		if bias != nil {
			b := bias[:cols]
			for j, v := range x {
				y[j] = (v-m)*is*scale[j] + b[j]
			}
		} else {
			for j, v := range x {
				y[j] = (v - m) * is * scale[j]
			}
		}
	}
}

package runtime

// The coefficients of SigmoidORT, float32 as ONNX Runtime has them.
const (
	ortLogisticA9   float32 = 4.37031012579801e-11
	ortLogisticA7   float32 = 1.15627324459942e-07
	ortLogisticA5   float32 = 6.08574864600143e-05
	ortLogisticA3   float32 = 8.51377133304701e-03
	ortLogisticA1   float32 = 2.48287947061529e-01
	ortLogisticB10  float32 = 6.10247389755681e-13
	ortLogisticB8   float32 = 5.76102136993427e-09
	ortLogisticB6   float32 = 6.29106785017040e-06
	ortLogisticB4   float32 = 1.70198817374094e-03
	ortLogisticB2   float32 = 1.16817656904453e-01
	ortLogisticB0   float32 = 9.93151921023180e-01
	ortLogisticEdge float32 = 18
)

// SigmoidORT applies in place the logistic function as ONNX Runtime
// computes it on x86 CPUs with FMA (MLAS's logistic kernel), the values
// its QLinearSigmoid tabulates: x clamped to [-18, 18], then the rational
// approximation
//
//	p = x * ((((a9*x² + a7)*x² + a5)*x² + a3)*x² + a1)
//	q = ((((b10*x² + b8)*x² + b6)*x² + b4)*x² + b2)*x² + b0
//	y = max(p/q + 0.5, 0)
//
// in float32, each a*x² + b one fused multiply-add. It is within a few
// units in the last place of the exact function (Activate's ActSigmoid),
// which is enough to move an entry of a fine-grained table by a step:
// generated code builds QLinearSigmoid tables from it so that they are
// ONNX Runtime's. It never allocates.
func SigmoidORT(x []float32) {
	for i, v := range x {
		v = min(max(v, -ortLogisticEdge), ortLogisticEdge)
		v2 := float32(v * v)
		p := fma32(v2, ortLogisticA9, ortLogisticA7)
		p = fma32(v2, p, ortLogisticA5)
		p = fma32(v2, p, ortLogisticA3)
		p = fma32(v2, p, ortLogisticA1)
		p = float32(v * p)
		q := fma32(v2, ortLogisticB10, ortLogisticB8)
		q = fma32(v2, q, ortLogisticB6)
		q = fma32(v2, q, ortLogisticB4)
		q = fma32(v2, q, ortLogisticB2)
		q = fma32(v2, q, ortLogisticB0)
		x[i] = max(float32(float32(p/q)+0.5), 0)
	}
}

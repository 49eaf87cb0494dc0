#!/usr/bin/env bash
# int8-vs-ort.sh: quantize float models with `cnnc quantize` and measure how closely cnnc's
# integer code agrees with ONNX Runtime running the same QDQ file; print a markdown table.
set -euo pipefail

usage() {
	cat <<'EOF2'
usage: scripts/int8-vs-ort.sh [--calib N] [--test N] MODEL.onnx...

For each float MODEL: makes calibration noise (N items, default 32, seed 1) and test noise
(default 16 items, seed 2) with scripts/ort_testdata.js, quantizes the model twice with
`cnnc quantize -reduce-range` (7-bit weights, which ONNX Runtime's AVX2 u8s8 kernels need
to be exact), once with the default recipe (keep-first-last: the first Conv and the last
Gemm stay float) and once with -keep-first-last=false, runs ONNX Runtime on the test noise
to make test data sets, and compares with `cnnc check -steps 1` on the go engine (the
generated code) and the ref engine (the reference evaluator).

Both recipes leave the model's output float (cnnc quantize ends on a float Gemm or
MatMul fed by dequantized codes, and ONNX Runtime runs the same float op), so a step count
on the output alone would say nothing. The script therefore also makes every
QuantizeLinear's codes a graph output (a copy of the QDQ file, with Python's onnx package)
and counts, over all of those tensors and all data sets, how many codes are equal to ONNX
Runtime's, one quantization step off, or further (`cnnc check -steps 1`'s per-output
counts). The model's own float output is reported separately: the share of its elements
within cnnc check's float tolerance (rtol 1e-3, atol 1e-5: float32 summation order in the
last float op, not a changed code before it) and the largest absolute difference.

One row per model, recipe and engine. Only the table goes to standard output; progress
goes to standard error. The script exits 1 if any code is more than one step off or a
check cannot run.

options:
  --calib N    calibration items (default 32)
  --test N     test items (default 16)
  --keep DIR   write the intermediate files to DIR and keep them
  --ref        also check the ref engine (the reference evaluator: slow on big models)
  -h, --help   this text

environment:
  NODE_PATH    must let node find onnxruntime-node (or ORT_MODULE its path), as for
               scripts/ort_testdata.js
  GO           the go command (default: go)
  PYTHON       a Python with the onnx package (default: python3)
EOF2
}

calib=32 ntest=16 keep= engines=go
while [ $# -gt 0 ]; do
	case "$1" in
	--calib) calib=$2; shift 2 ;;
	--test) ntest=$2; shift 2 ;;
	--keep) keep=$2; shift 2 ;;
	--ref) engines="go ref"; shift ;;
	-h|--help) usage; exit 0 ;;
	-*) usage >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || { usage >&2; exit 2; }

repo=$(cd "$(dirname "$0")/.." && pwd)
GO=${GO:-go}
PYTHON=${PYTHON:-python3}
if [ -n "$keep" ]; then
	work=$keep; mkdir -p "$work"
else
	work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fi
cnnc=$work/cnnc
(cd "$repo" && "$GO" build -o "$cnnc" ./cmd/cnnc)
ortdata() { node "$repo/scripts/ort_testdata.js" "$@"; }
# allcodes IN OUT: IN with every QuantizeLinear output as a graph output too.
allcodes() {
	"$PYTHON" - "$1" "$2" <<'EOP'
import sys, onnx
from onnx import helper
m = onnx.load(sys.argv[1])
have = {o.name for o in m.graph.output}
for n in m.graph.node:
    if n.op_type == 'QuantizeLinear' and n.output[0] not in have:
        to = onnx.TensorProto.UINT8
        if len(n.input) > 2:
            for t in m.graph.initializer:
                if t.name == n.input[2]:
                    to = t.data_type
        m.graph.output.append(helper.make_tensor_value_info(n.output[0], to, None))
        have.add(n.output[0])
onnx.save(m, sys.argv[2])
EOP
}

status=0
echo "| model | recipe | engine | code tensors | codes | equal | one step off | further | % within one step | float output: % within tolerance | float output: max abs diff |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for model in "$@"; do
	name=$(basename "$(dirname "$model")")
	[ "$name" != . ] || name=$(basename "$model" .onnx)
	d=$work/$name
	mkdir -p "$d"
	echo "$name: noise" >&2
	ortdata noise "$model" "$calib" 1 "$d/calib.npy"
	ortdata noise "$model" "$ntest" 2 "$d/test.npy"
	for recipe in keep-first-last all-int8; do
		flag=-keep-first-last=true
		[ "$recipe" = all-int8 ] && flag=-keep-first-last=false
		q=$d/$recipe.int8.onnx
		"$cnnc" quantize -reduce-range "$flag" "$model" -calibrate "$d/calib.npy" -o "$q" >&2
		allcodes "$q" "$d/$recipe.codes.onnx"
		rm -rf "$d/$recipe.data"
		echo "$name $recipe: ONNX Runtime" >&2
		ortdata run "$d/$recipe.codes.onnx" "$d/test.npy" "$d/$recipe.data"
		nout=$("$PYTHON" -c 'import onnx,sys; print(len(onnx.load(sys.argv[1], load_external_data=False).graph.output) - 0)' "$q")
		for engine in $engines; do
			echo "$name $recipe: cnnc check -engine $engine" >&2
			out=$d/$recipe.$engine.txt
			"$cnnc" check -engine "$engine" -steps 1 "$d/$recipe.codes.onnx" "$d/$recipe.data"/test_data_set_* >"$out" 2>&1 || true
			row=$(awk -v m="$name" -v r="$recipe" -v e="$engine" -v nf="$nout" '
				/^  output [0-9]+ / {
					split($0, w, " "); k = w[2] + 0
					n = $0; sub(/.*\(/, "", n); sub(/ elements\).*/, "", n); n += 0
					if (k < nf) {
						a = $0; sub(/.*max abs /, "", a); sub(/ .*/, "", a); a += 0; if (a > maxabs) maxabs = a
						bad = 0; if ($0 ~ /FAIL/) { bad = $0; sub(/.*FAIL /, "", bad); sub(/\/.*/, "", bad); bad += 0 }
						fn += n; fok += n - bad
					} else {
						tens[k] = 1; qpend = n
					}
					next
				}
				/^    quantized output \(step/ && qpend {
					s = $0; sub(/.*\): /, "", s); split(s, f, /[ ,;]+/)
					qn += qpend; eq += f[1]; one += f[3]; fur += f[7]; qpend = 0; next
				}
				END {
					nt = 0; for (t in tens) nt++
					if (fn == 0 || qn == 0) { print "none"; exit }
					printf "| %s | %s | %s | %d | %d | %d | %d | %d | %.3f%% | %.3f%% of %d | %.3g |\n", m, r, e, nt, qn, eq, one, fur, 100 * (eq + one) / qn, 100 * fok / fn, fn, maxabs
					if (fur > 0) exit 3
				}' "$out") || status=1
			if [ "$row" = none ]; then
				echo "| $name | $recipe | $engine | cnnc check failed: see $out | | | | | | | |"
				status=1
			else
				echo "$row"
			fi
		done
	done
done
exit $status

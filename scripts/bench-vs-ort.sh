#!/usr/bin/env bash
# bench-vs-ort.sh: time cnnc's generated code against ONNX Runtime on the same models, in
# alternating rounds, and print one markdown table of medians and ratios.
set -euo pipefail

usage() {
	cat <<'EOF'
usage: scripts/bench-vs-ort.sh [--threads LIST] [--batch N] [--rounds R] [--iters N] [--int8] [--quantize-flags FLAGS] MODEL...

Times each MODEL with `cnnc bench` (the generated Go code) and with ONNX Runtime
(ortbench.js), alternating: round 1 of cnnc, round 1 of ONNX Runtime, round 2 of cnnc, ...
Each round is a fresh process with its own warm-up and N timed runs and gives a median; the
table shows the median of the R round medians for each runtime and their ratio, then the
geometric mean of the ratios for each thread count. Only the table goes to standard output;
progress and errors go to standard error. A model that either runtime cannot run gets a row
saying so, and the script exits 1 at the end.

MODEL is a .onnx file, a model directory holding model.onnx, or a directory searched for
*/model.onnx (the ONNX backend-test layout, e.g. the zoo's OUTDIR). A model is named after
the directory that holds its model.onnx.

options:
  --threads LIST  comma-separated thread counts (default 1): cnnc's -threads, ORT's intra-op threads
  --batch N       items per run (default 1); N > 1 needs a symbolic batch dimension and adds
                  items/s columns
  --rounds R      alternating rounds per model and thread count (default 3)
  --iters N       timed runs per round (default 200)
  --int8          also quantize each (float) model with `cnnc quantize` (calibrated on 16 items of
                  standard-normal noise from scripts/ort_testdata.js, default recipe) and time the
                  QDQ file on both runtimes: rows "NAME int8", then a table of cnnc's int8 speedup
                  over its own float code
  --quantize-flags FLAGS
                  extra flags for cnnc quantize with --int8, e.g. '-reduce-range' (7-bit weights:
                  exact on ONNX Runtime's AVX2 kernels, and cnnc's VPMADDUBSW kernel takes them)
  -h, --help      this text

environment:
  ORTBENCH  path of ortbench.js (default: ../shared/tools/ortbench/ortbench.js beside the repo,
            or beside the main checkout when this is a git worktree elsewhere);
            it needs onnxruntime-node installed beside it:
              cd ../shared/tools/ortbench && ONNXRUNTIME_NODE_INSTALL=skip npm install --no-save
            (or copy that directory somewhere writable first, install there, and set ORTBENCH)
  GO        the go command (default: go)

cnnc is built once (go build ./cmd/cnnc) into a temporary directory; each model's generated
code is built once and timed R rounds (`cnnc bench -rounds R -step`).

example:
  scripts/bench-vs-ort.sh --threads 1,2 --rounds 3 ../shared/conformance/models/resnet18
EOF
}

die() {
	echo "bench-vs-ort: $*" >&2
	exit 2
}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
threads=1 batch=1 rounds=3 iters=200 int8=0 qflags=
models=()
while (($#)); do
	case $1 in
	-h | --help | -help) usage; exit 0 ;;
	--int8) int8=1; shift ;;
	--quantize-flags)
		(($# >= 2)) || die "$1 needs a value"
		qflags=$2
		shift 2
		;;
	--threads | --batch | --rounds | --iters)
		(($# >= 2)) || die "$1 needs a value"
		declare "${1#--}=$2"
		shift 2
		;;
	--threads=* | --batch=* | --rounds=* | --iters=*)
		opt=${1%%=*}
		declare "${opt#--}=${1#*=}"
		shift
		;;
	--) shift; models+=("$@"); break ;;
	-*) die "unknown option $1 (see --help)" ;;
	*) models+=("$1"); shift ;;
	esac
done
positive='^[1-9][0-9]*$'
[[ $batch =~ $positive ]] || die "--batch must be a positive integer, not '$batch'"
[[ $rounds =~ $positive ]] || die "--rounds must be a positive integer, not '$rounds'"
[[ $iters =~ $positive ]] || die "--iters must be a positive integer, not '$iters'"
[[ $threads =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "--threads must be a comma-separated list of positive integers, not '$threads'"
IFS=, read -r -a thread_list <<<"$threads"
((${#models[@]})) || { usage >&2; exit 2; }

# Resolve the models to absolute paths of .onnx files, with names.
files=() names=()
add_model() {
	local f=$1 name
	f="$(cd "$(dirname "$f")" && pwd)/$(basename "$f")"
	if [[ $(basename "$f") == model.onnx ]]; then
		name=$(basename "$(dirname "$f")")
	else
		name=$(basename "$f" .onnx)
	fi
	files+=("$f") names+=("$name")
}
for m in "${models[@]}"; do
	if [[ -f $m ]]; then
		add_model "$m"
	elif [[ -d $m && -f $m/model.onnx ]]; then
		add_model "$m/model.onnx"
	elif [[ -d $m ]]; then
		found=0
		while IFS= read -r f; do
			add_model "$f"
			found=1
		done < <(find "$m" -mindepth 2 -maxdepth 2 -name model.onnx | LC_ALL=C sort)
		((found)) || die "$m: no model.onnx in it or in its subdirectories"
	else
		die "$m: no such file or directory"
	fi
done

# ONNX Runtime's side.
ortbench=${ORTBENCH:-$root/../shared/tools/ortbench/ortbench.js}
if [[ -z ${ORTBENCH:-} && ! -f $ortbench ]]; then
	# A git worktree elsewhere: try ../shared beside the main checkout.
	if common=$(git -C "$root" rev-parse --path-format=absolute --git-common-dir 2>/dev/null) &&
		[[ -f $(dirname "$common")/../shared/tools/ortbench/ortbench.js ]]; then
		ortbench=$(dirname "$common")/../shared/tools/ortbench/ortbench.js
	fi
fi
command -v node >/dev/null || die "node is not on PATH; ortbench.js needs Node.js"
[[ -f $ortbench ]] || die "no ortbench.js at $ortbench (set ORTBENCH to its path; it is in the project's shared/tools/ortbench)"
ortbench="$(cd "$(dirname "$ortbench")" && pwd)/$(basename "$ortbench")"
install_hint="install it with:
  cd $(dirname "$ortbench") && ONNXRUNTIME_NODE_INSTALL=skip npm install --no-save
(if that directory is read-only, copy it somewhere writable, install there and set ORTBENCH=/that/copy/ortbench.js)"
(cd "$(dirname "$ortbench")" && node -e "require.resolve('onnxruntime-node')" 2>/dev/null) ||
	die "onnxruntime-node is not installed beside $ortbench; $install_hint"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-vs-ort.XXXXXX")
cnnc_pid=
cleanup() {
	if [[ -n $cnnc_pid ]]; then kill "$cnnc_pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
echo "bench-vs-ort: building cnnc" >&2
(cd "$root" && "${GO:-go}" build -o "$tmp/cnnc" ./cmd/cnnc) || die "go build ./cmd/cnnc failed"

# json_num FIELD LINE prints the number FIELD holds in the JSON line.
json_num() {
	sed -n "s/.*\"$1\":\(-\{0,1\}[0-9][0-9.eE+-]*\).*/\1/p" <<<"$2"
}
# median of the arguments (the mean of the middle two for an even count).
median() {
	printf '%s\n' "$@" | LC_ALL=C sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else printf "%.4f\n", (v[NR/2]+v[NR/2+1])/2}'
}
fmt() { LC_ALL=C awk -v x="$1" 'BEGIN {if (x >= 100) printf "%.1f", x; else if (x >= 10) printf "%.2f", x; else printf "%.3f", x}'; }

# With --int8, each model's QDQ form follows it.
if ((int8)); then
	export NODE_PATH="$(dirname "$ortbench")/node_modules${NODE_PATH:+:$NODE_PATH}"
	qfiles=() qnames=()
	for i in "${!files[@]}"; do
		qfiles+=("${files[$i]}") qnames+=("${names[$i]}")
		q="$tmp/q$i.int8.onnx"
		echo "bench-vs-ort: ${names[$i]}: quantizing" >&2
		if node "$root/scripts/ort_testdata.js" noise "${files[$i]}" 16 1 "$tmp/calib$i.npy" >&2 &&
			"$tmp/cnnc" quantize -q $qflags "${files[$i]}" -calibrate "$tmp/calib$i.npy" -o "$q" >&2; then
			qfiles+=("$q") qnames+=("${names[$i]} int8")
		else
			echo "bench-vs-ort: ${names[$i]}: cnnc quantize failed" >&2
			failed=1
		fi
	done
	files=("${qfiles[@]}") names=("${qnames[@]}")
fi

failed=${failed:-0}
max_foreign=0 # the most CPU other processes took while ORT was timed, in % of a core
pad= # the empty items/s cells of a row without them
if ((batch > 1)); then pad=' | |'; fi
rows=()
ratios=() qratios=() # "threads ratio" per successful float (int8) row
declare -A cnnc_ms # "name threads" -> cnnc's median
for i in "${!files[@]}"; do
	model=${files[$i]} name=${names[$i]}
	for t in "${thread_list[@]}"; do
		cn=() ort=() err=
		rm -f "$tmp/to" "$tmp/from"
		mkfifo "$tmp/to" "$tmp/from"
		"$tmp/cnnc" bench -json -step -rounds "$rounds" -threads "$t" -batch "$batch" -iters "$iters" "$model" \
			<"$tmp/to" >"$tmp/from" 2>"$tmp/cnnc.err" &
		cnnc_pid=$!
		exec {to}>"$tmp/to" {from}<"$tmp/from"
		echo "bench-vs-ort: $name, $t thread(s), batch $batch: building the generated code" >&2
		for ((r = 1; r <= rounds; r++)); do
			if ((r > 1)); then echo go >&"$to"; fi
			line=
			if ! IFS= read -r line <&"$from" || [[ $line != '{"round":'* ]]; then
				err="cnnc: $(tr '\n' ' ' <"$tmp/cnnc.err" | sed 's/ *$//')"
				break
			fi
			cn+=("$(json_num median_ms "$line")")
			if ! out=$(node "$ortbench" "$model" --json --threads "$t" --batch "$batch" --iters "$iters" 2>"$tmp/ort.err" {to}>&- {from}<&-); then
				err="ONNX Runtime: $(tr '\n' ' ' <"$tmp/ort.err" | sed 's/ *$//' | cut -c1-300)"
				break
			fi
			out=$(tail -n 1 <<<"$out")
			ort+=("$(json_num median_ms "$out")")
			foreign=$(json_num foreign_cpu_pct "$out")
			if [[ -n $foreign ]] && ((foreign > max_foreign)); then max_foreign=$foreign; fi
			echo "bench-vs-ort: $name t=$t round $r: cnnc ${cn[-1]} ms, ONNX Runtime ${ort[-1]} ms${foreign:+ (other processes used ${foreign}% of a core while ORT was timed)}" >&2
		done
		exec {to}>&- # cnnc reads end-of-file if it still waits, and exits
		IFS= read -r line <&"$from" || true # its summary line, unused: the rounds' medians are above
		exec {from}<&-
		wait "$cnnc_pid" 2>/dev/null || [[ -n $err ]] || err="cnnc: $(tr '\n' ' ' <"$tmp/cnnc.err" | sed 's/ *$//')"
		cnnc_pid=
		if [[ -n $err ]]; then
			echo "bench-vs-ort: $name t=$t: $err" >&2
			failed=1
			short=${err%%:*}
			rows+=("| $name | $t | $batch | ${short} failed, see stderr | | |$pad")
			continue
		fi
		c=$(median "${cn[@]}") o=$(median "${ort[@]}")
		cnnc_ms["$name $t"]=$c
		ratio=$(LC_ALL=C awk -v c="$c" -v o="$o" 'BEGIN {printf "%.2f", c/o}')
		r6=$(LC_ALL=C awk -v c="$c" -v o="$o" 'BEGIN {printf "%.6f", c/o}')
		if [[ $name == *" int8" ]]; then qratios+=("$t $r6"); else ratios+=("$t $r6"); fi
		row="| $name | $t | $batch | $(fmt "$c") | $(fmt "$o") | $ratio |"
		if ((batch > 1)); then
			row+=" $(LC_ALL=C awk -v b="$batch" -v x="$c" 'BEGIN {printf "%.1f", b*1000/x}') | $(LC_ALL=C awk -v b="$batch" -v x="$o" 'BEGIN {printf "%.1f", b*1000/x}') |"
		fi
		rows+=("$row")
	done
done

if ((batch > 1)); then
	echo "| model | threads | batch | cnnc ms | ONNX Runtime ms | cnnc / ORT | cnnc items/s | ORT items/s |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|"
else
	echo "| model | threads | batch | cnnc ms | ONNX Runtime ms | cnnc / ORT |"
	echo "|---|---:|---:|---:|---:|---:|"
fi
printf '%s\n' "${rows[@]}"
for t in "${thread_list[@]}"; do
	g=$(printf '%s\n' "${ratios[@]}" | LC_ALL=C awk -v t="$t" '$1 == t {s += log($2); n++} END {if (n) printf "%.2f (%d model%s)", exp(s/n), n, (n == 1 ? "" : "s"); else print "none"}')
	echo "| **geometric mean** | $t | $batch | | | **$g** |$pad"
	if ((${#qratios[@]})); then
		g=$(printf '%s\n' "${qratios[@]}" | LC_ALL=C awk -v t="$t" '$1 == t {s += log($2); n++} END {if (n) printf "%.2f (%d model%s)", exp(s/n), n, (n == 1 ? "" : "s"); else print "none"}')
		echo "| **geometric mean, int8** | $t | $batch | | | **$g** |$pad"
	fi
done
if ((int8)); then
	echo
	echo "| model | threads | cnnc float ms | cnnc int8 ms | int8 speedup |"
	echo "|---|---:|---:|---:|---:|"
	for i in "${!names[@]}"; do
		name=${names[$i]}
		[[ $name == *" int8" ]] || continue
		base=${name% int8}
		for t in "${thread_list[@]}"; do
			f=${cnnc_ms["$base $t"]:-} q=${cnnc_ms["$name $t"]:-}
			[[ -n $f && -n $q ]] || continue
			echo "| $base | $t | $(fmt "$f") | $(fmt "$q") | $(LC_ALL=C awk -v f="$f" -v q="$q" 'BEGIN {printf "%.2fx", f/q}') |"
		done
	done
fi
if ((max_foreign > 25)); then
	echo "bench-vs-ort: WARNING: other processes used up to ${max_foreign}% of a core while ONNX Runtime was timed (ortbench's foreign_cpu_pct); the machine was not idle and the ratios are noisy" >&2
fi
exit "$failed"

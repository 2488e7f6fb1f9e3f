# bench-lib.sh: sourced by scripts/bench-*. Timing helpers.

# measure OUTVAR CMD...: runs CMD (a shell string) RUNS times; sets OUTVAR to the
# median wall seconds and OUTVAR_kb to the largest peak RSS in KiB.
measure() {
	local var=$1 cmd=$2 runs=${RUNS:-3} i t m times=() peak=0
	for ((i = 0; i < runs; i++)); do
		/usr/bin/time -f '%e %M' -o "$BENCH_TMP/time" bash -c "$cmd" || {
			echo "bench: failed: $cmd" >&2
			return 1
		}
		read -r t m <"$BENCH_TMP/time"
		times+=("$t")
		[ "$m" -gt "$peak" ] && peak=$m
	done
	printf -v "$var" '%s' "$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
	printf -v "${var}_kb" '%s' "$peak"
}

# rate N SECONDS: records per second
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

BENCH_TMP=$(mktemp -d)
trap 'rm -rf "$BENCH_TMP"' EXIT
BENCH_ROWS=${BENCH_ROWS:-1000000}

# gen_csv N: an OHLCV CSV of N hourly candles, a mean-reverting random walk, 2 decimals.
gen_csv() {
	awk -v n="$1" 'BEGIN { srand(42); p = 40000; t = 1577836800;
		print "timestamp,open,high,low,close,volume";
		for (i = 0; i < n; i++) {
			# Log-price pulled back towards 40000, so a million steps neither
			# drift to zero nor explode.
			o = p; c = o * exp((rand() - 0.5) * 0.02 - 0.002 * log(o / 40000));
			h = (o > c ? o : c) * (1 + rand() * 0.005); l = (o < c ? o : c) * (1 - rand() * 0.005);
			printf "%.0f,%.2f,%.2f,%.2f,%.2f,%.5f\n", t + 3600 * i, o, h, l, c, rand() * 2000;
			p = c } }'
}

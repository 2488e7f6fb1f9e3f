#!/usr/bin/env bats
# The fuzz harnesses, on a short budget (the full run is `make fuzz`, 60 s each).

load helper

@test "fuzz: every harness builds and runs a short budget without a finding" {
	[ -z "${AB_ASAN:-}" ] || skip "the harnesses carry their own sanitizers; run once in the plain build"
	command -v clang >/dev/null || skip "clang is not installed (scripts/deps installs it)"
	harnesses=()
	for f in "$TOP"/tests/fuzz/fuzz-*.c; do
		harnesses+=("build-fuzz/$(basename "$f" .c)")
	done
	run make -s -C "$TOP" -j2 "${harnesses[@]}"
	assert_success
	cd "$TOP"
	run env FUZZ_SECONDS="${CI_FUZZ_SECONDS:-2}" scripts/fuzz "${harnesses[@]}"
	echo "$output" | sed 's/^/# /' >&3
	assert_success
	[ "$(grep -c ' executions in ' <<<"$output")" -eq "${#harnesses[@]}" ]
}

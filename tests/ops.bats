#!/usr/bin/env bats
# Operations: ab-cron, ab-run, ab-health and ab-backup (scripts/). No test
# touches the real crontab: AB_CRONTAB points at a file, and a crontab command
# that fails loudly comes first on PATH.

load helper

setup() {
	export PATH="$AB_BIN:$PATH"
	export HOME="$BATS_TEST_TMPDIR/home"
	mkdir -p "$HOME"
	unset AB_DB AB_NOW AB_TOKEN AB_JOB XDG_DATA_HOME XDG_STATE_HOME XDG_CONFIG_HOME AB_ALERT_CMD
	DB="$BATS_TEST_TMPDIR/test.db"
	T="$BATS_TEST_TMPDIR"
	S="$TOP/scripts"
	mkdir -p "$T/fakebin"
	printf '#!/bin/sh\necho "the real crontab must not be used" >&2\nexit 99\n' >"$T/fakebin/crontab"
	chmod +x "$T/fakebin/crontab"
	export PATH="$T/fakebin:$PATH"
	export AB_CRONTAB="$T/crontab" AB_STATE_DIR="$T/state"
}

# candles FILE N [START]: an hourly OHLCV CSV of N rows.
candles() {
	awk -v n="$2" -v t0="${3:-1704067200}" 'BEGIN {
		print "ts,open,high,low,close,volume"
		for (i = 0; i < n; i++) {
			p = 100 + (i % 50)
			printf "%d,%d,%d,%d,%d,%d\n", t0 + i * 3600, p, p + 2, p - 2, p + 1, 10 + i % 7
		}
	}' >"$1"
}

# A database with the schema, by way of a first import.
schema() {
	candles "$T/seed.csv" 3
	ab-fetch csv --exchange seed --symbol SEED/USD -t 1h -q --db "$DB" "$T/seed.csv"
}

# ---- ab-cron

@test "ab-cron: install adds the jobs between markers and keeps the other entries" {
	printf 'MAILTO=me@example.com\n# my own job\n0 1 * * * /usr/bin/true mine\n' >"$T/crontab"
	run "$S/ab-cron" install --db "$DB" --log-dir "$T/log" --work-dir "$T/work"
	assert_success
	assert_output --partial "installed"
	run head -n 3 "$T/crontab"
	assert_output "$(printf 'MAILTO=me@example.com\n# my own job\n0 1 * * * /usr/bin/true mine')"
	run grep -c '^# BEGIN autobot' "$T/crontab"
	assert_output 1
	run tail -n 1 "$T/crontab"
	assert_output '# END autobot'
	run grep -c '@[A-Z]*@' "$T/crontab"
	assert_output 0
	# Every job of the template, each through ab-run with the given paths.
	want=$(grep -c '^[^#[:space:]]' "$TOP/share/autobot/crontab")
	run grep -c "^[^#].* $S/ab-run --db $DB --log-dir $T/log --dir $T/work \(--timeout [0-9a-z]* \)\?[a-z-]* -- '" "$T/crontab"
	assert_output "$want"
	[ "$want" -ge 8 ]
}

@test "ab-cron: installing twice leaves one block; list prints it; remove restores the crontab exactly" {
	printf '0 1 * * * /usr/bin/true mine\n\n# trailing comment\n' >"$T/crontab"
	cp "$T/crontab" "$T/orig"
	"$S/ab-cron" install --db "$DB"
	"$S/ab-cron" install --db "$DB" --log-dir "$T/elsewhere"
	run grep -c '^# BEGIN autobot' "$T/crontab"
	assert_output 1
	run grep -c -- "--log-dir $T/elsewhere" "$T/crontab"
	refute_output 0
	run "$S/ab-cron" list
	assert_success
	assert_line -n 0 --partial '# BEGIN autobot'
	refute_output --partial 'mine'
	run "$S/ab-cron" remove
	assert_success
	run cmp "$T/crontab" "$T/orig"
	assert_success
	run "$S/ab-cron" list
	assert_failure 1
	run "$S/ab-cron" remove
	assert_success
}

@test "ab-cron: --dry-run prints the new crontab and changes nothing" {
	printf '0 1 * * * /usr/bin/true mine\n' >"$T/crontab"
	run "$S/ab-cron" install --dry-run --db "$DB"
	assert_success
	assert_line -n 0 '0 1 * * * /usr/bin/true mine'
	assert_output --partial '# END autobot'
	run cat "$T/crontab"
	assert_output '0 1 * * * /usr/bin/true mine'
	"$S/ab-cron" install --db "$DB"
	run "$S/ab-cron" remove --dry-run
	assert_output '0 1 * * * /usr/bin/true mine'
	run grep -c '^# BEGIN autobot' "$T/crontab"
	assert_output 1
}

@test "ab-cron: without AB_CRONTAB it goes through the crontab command, with -u for --user" {
	unset AB_CRONTAB
	cat >"$T/fakebin/crontab" <<EOF
#!/bin/sh
echo "\$*" >>"$T/calls"
[ "\$1" = -u ] && shift 2
case \$1 in
-l) [ -f "$T/tab" ] && exec cat "$T/tab"; echo "no crontab for tester" >&2; exit 1 ;;
-) exec cat >"$T/tab" ;;
esac
exit 2
EOF
	run "$S/ab-cron" install --db "$DB"
	assert_success
	run grep -c '^# BEGIN autobot' "$T/tab"
	assert_output 1
	run "$S/ab-cron" remove --user "$(id -un)"
	assert_success
	run cat "$T/tab"
	assert_output ''
	run cat "$T/calls"
	assert_output "$(printf -- '-l\n-\n-u %s -l\n-u %s -' "$(id -un)" "$(id -un)")"
}

@test "ab-cron: every job is a bash pipeline of toolkit commands" {
	"$S/ab-cron" install --db "$DB"
	n=0
	while IFS= read -r line; do
		case $line in '#'* | '') continue ;; esac
		n=$((n + 1))
		# the words after -- are one single-quoted pipeline
		pipe=${line#* -- \'}
		pipe=${pipe%\'}
		bash -n -c "$pipe" || fail "does not parse: $pipe"
		for w in $(printf '%s\n' "$pipe" | grep -o 'ab-[a-z]*' | sort -u); do
			case $w in
			ab-fetch | ab-signal | ab-order | ab-train | ab-inventory | ab-price | ab-serve | ab-auth | ab-backup | ab-health) ;;
			*) fail "unknown program $w in: $pipe" ;;
			esac
		done
		case $line in *%*) fail "a bare % in: $line" ;; esac
	done < <("$S/ab-cron" list)
	[ "$n" -ge 8 ]
}

@test "ab-cron: an installed line runs as cron runs it, even with spaces in the paths" {
	schema
	mkdir -p "$T/my dir"
	printf '# my schedule\n\n*/2 * * * * @BINDIR@/ab-run --db @DB@ --log-dir @LOGDIR@ --dir @WORKDIR@ hello -- '"'"'echo hi from "$AB_JOB"; pwd'"'"'\n' >"$T/tmpl"
	run "$S/ab-cron" install --file "$T/tmpl" --db "$DB" --log-dir "$T/my dir/log" --work-dir "$T/my dir/work"
	assert_success
	line=$(grep -v '^#' "$T/crontab")
	cmd=$(printf '%s\n' "$line" | sed 's/^[^ ]* [^ ]* [^ ]* [^ ]* [^ ]* //')
	(cd / && env -i HOME="$HOME" PATH=/usr/bin:/bin sh -c "$cmd")
	run cat "$T/my dir/log/hello.log"
	assert_line "hi from hello"
	assert_line "$T/my dir/work"
	run sql "$DB" "SELECT program, job, status FROM runs WHERE job = 'hello'"
	assert_output 'ab-run|hello|0'
	run "$S/ab-health" --db "$DB" --json
	assert_success
	assert_output --partial '"job":"hello","state":"ok"'
	assert_output --partial '"max_age_s":540,"runs":1,"schedule":"*/2 * * * *"}'
}

@test "ab-cron: bad usage exits 64; a path with % is refused" {
	run "$S/ab-cron"
	assert_failure 64
	run "$S/ab-cron" frob
	assert_failure 64
	run "$S/ab-cron" list --db x
	assert_failure 64
	run "$S/ab-cron" install --db "$T/100%.db"
	assert_failure 64
	[ ! -e "$T/crontab" ]
}

# ---- ab-run

@test "ab-run: records the pipeline as an ab-run row and its programs under the job" {
	schema
	candles "$T/a.csv" 24
	run "$S/ab-run" --db "$DB" import -- "ab-fetch csv --exchange x --symbol A/USD -t 1h '$T/a.csv' | wc -l"
	assert_success
	run sql "$DB" "SELECT program, job, status, ended >= started FROM runs WHERE job = 'import' ORDER BY id"
	assert_output "$(printf 'ab-run|import|0|1\nab-fetch|import|0|1')"
	run sql "$DB" "SELECT json_extract(args, '\$[0]') FROM runs WHERE program = 'ab-run'"
	assert_output import
	run cat "$T/state/log/import.log"
	assert_output --partial "import: start: ab-fetch csv"
	assert_line 24
	assert_output --partial "import: exit 0"
}

@test "ab-run: a failing stage fails the pipeline (pipefail) and the status is kept" {
	schema
	run "$S/ab-run" --db "$DB" broken -- 'ab-fetch csv --exchange x --symbol A/USD -t 1h /nonexistent | cat'
	assert_failure 66
	run sql "$DB" "SELECT program, status FROM runs WHERE job = 'broken' ORDER BY id"
	assert_output "$(printf 'ab-run|66\nab-fetch|66')"
}

@test "ab-run: an overlapping run skips, says so in the log and exits 0" {
	schema
	"$S/ab-run" --db "$DB" slow -- "touch '$T/started'; sleep 3" &
	for _ in $(seq 100); do [ -e "$T/started" ] && break; sleep 0.05; done
	[ -e "$T/started" ]
	run "$S/ab-run" --db "$DB" slow -- "touch '$T/second'"
	assert_success
	wait
	[ ! -e "$T/second" ]
	run grep -c 'skipped: the previous run (pid [0-9]*) is still running' "$T/state/log/slow.log"
	assert_output 1
	run sql "$DB" "SELECT count(*), sum(status = 0) FROM runs WHERE job = 'slow'"
	assert_output '1|1'
}

@test "ab-run: with --wait overlapping runs take turns and their imports never corrupt the database" {
	schema
	candles "$T/a.csv" 3000
	candles "$T/b.csv" 3000 1699999200
	for s in A B; do
		f=$T/$(echo "$s" | tr AB ab).csv
		"$S/ab-run" --db "$DB" --wait import -- "echo begin >>'$T/seq'; ab-fetch csv --exchange x --symbol $s/USD -t 1h -q '$f'; sleep 0.3; echo end >>'$T/seq'" &
	done
	wait
	run cat "$T/seq"
	assert_output "$(printf 'begin\nend\nbegin\nend')"
	run sql "$DB" "PRAGMA integrity_check"
	assert_output ok
	run sql "$DB" "SELECT symbol, count(*) FROM candles WHERE exchange = 'x' GROUP BY symbol"
	assert_output "$(printf 'A/USD|3000\nB/USD|3000')"
	run sql "$DB" "SELECT count(*), sum(status = 0) FROM runs WHERE job = 'import' AND program = 'ab-run'"
	assert_output '2|2'
}

@test "ab-run: a failing job alerts once, not every run, and once more when it recovers" {
	schema
	export AB_ALERT_CMD="{ printf '%s %s %s: ' \"\$AB_ALERT_JOB\" \"\$AB_ALERT_STATE\" \"\$AB_ALERT_STATUS\"; head -n 1; } >>'$T/alerts'"
	for _ in 1 2 3; do
		run "$S/ab-run" --db "$DB" flaky -- 'echo trying; exit 3'
		assert_failure 3
	done
	run cat "$T/alerts"
	assert_output "flaky failing 3: autobot job flaky on $(hostname): failing (exit status 3)"
	run sql "$DB" "SELECT count(*) FROM runs WHERE job = 'flaky' AND program = 'ab-run' AND status = 3"
	assert_output 3
	"$S/ab-run" --db "$DB" flaky -- true
	"$S/ab-run" --db "$DB" flaky -- true
	run cut -d: -f1 "$T/alerts"
	assert_output "$(printf 'flaky failing 3\nflaky recovered 0')"
	run grep -c 'alert "failing" sent' "$T/state/log/flaky.log"
	assert_output 1
}

@test "ab-run: a run stuck past --stale-after alerts stale once" {
	export AB_ALERT_CMD="echo \"\$AB_ALERT_STATE\" >>'$T/alerts'"
	"$S/ab-run" --db "$DB" stuck -- "touch '$T/started'; sleep 3" &
	for _ in $(seq 100); do [ -e "$T/started" ] && break; sleep 0.05; done
	"$S/ab-run" --db "$DB" --stale-after 0 stuck -- true
	"$S/ab-run" --db "$DB" --stale-after 0 stuck -- true
	wait
	run cat "$T/alerts"
	assert_output "$(printf 'stale\nrecovered')"
}

@test "ab-run: a database without the schema is said in the log, and the job still runs" {
	run "$S/ab-run" --db "$T/new.db" first -- "echo ran >'$T/out'"
	assert_success
	[ "$(cat "$T/out")" = ran ]
	run grep -c 'has no runs table' "$T/state/log/first.log"
	assert_output 2
	[ ! -e "$T/new.db" ]
}

@test "ab-run: --timeout stops a hung pipeline and records the failure; --dir sets its folder" {
	schema
	run "$S/ab-run" --db "$DB" --timeout 1 --dir "$T/w" hung -- 'pwd >where; sleep 30'
	assert_failure 124
	[ "$(cat "$T/w/where")" = "$T/w" ]
	run sql "$DB" "SELECT status FROM runs WHERE job = 'hung'"
	assert_output 124
	run grep -c 'timed out after 1s' "$T/state/log/hung.log"
	assert_output 1
}

@test "ab-run: bad usage exits 64" {
	run "$S/ab-run" job
	assert_failure 64
	run "$S/ab-run" job true
	assert_failure 64
	run "$S/ab-run" 'a/b' -- true
	assert_failure 64
	run "$S/ab-run" --timeout soon job -- true
	assert_failure 64
}

# ---- ab-health

@test "ab-health: reports a stale job and a failing job with exit 1, a healthy one with 0" {
	schema
	AB_NOW=2026-01-01T00:00:00Z "$S/ab-run" --db "$DB" old -- true
	AB_NOW=2026-01-01T00:50:00Z "$S/ab-run" --db "$DB" good -- true
	AB_NOW=2026-01-01T00:40:00Z "$S/ab-run" --db "$DB" bad -- true
	AB_NOW=2026-01-01T00:55:00Z "$S/ab-run" --db "$DB" bad -- false || true
	export AB_NOW=2026-01-01T01:00:00Z
	run "$S/ab-health" --db "$DB" --no-crontab --max-age 30m --json
	assert_failure 1
	assert_line '{"type":"job_health","job":"bad","state":"failing","last_success":"2026-01-01T00:40:00Z","last_failure":"2026-01-01T00:55:00Z","last_status":1,"running_since":null,"age_s":1200,"max_age_s":1800,"runs":2,"schedule":null}'
	assert_line '{"type":"job_health","job":"good","state":"ok","last_success":"2026-01-01T00:50:00Z","last_failure":null,"last_status":0,"running_since":null,"age_s":600,"max_age_s":1800,"runs":1,"schedule":null}'
	assert_line --partial '"job":"old","state":"stale","last_success":"2026-01-01T00:00:00Z"'
	run "$S/ab-health" --db "$DB" --no-crontab --max-age 30m
	assert_failure 1
	assert_line -n 0 --regexp '^JOB +STATE +LAST SUCCESS +LAST FAILURE +AGE +MAX AGE$'
	assert_line --regexp '^old +stale +2026-01-01T00:00:00Z +- +60m +30m$'
	run "$S/ab-health" --db "$DB" --no-crontab --max-age 30m --job good
	assert_success
	run "$S/ab-health" --db "$DB" --no-crontab --max-age 30m --max-age old=2h --job old --job good
	assert_success
	# The health job does not judge itself.
	AB_JOB=bad run "$S/ab-health" --db "$DB" --no-crontab --max-age 2h
	assert_success
	refute_output --partial bad
}

@test "ab-health: max ages come from the installed schedule; a job that never ran goes stale" {
	schema
	"$S/ab-cron" install --db "$DB"
	installed=$(date -u +%s)
	AB_NOW="@$installed" run "$S/ab-health" --db "$DB" --json
	assert_success
	assert_line --partial '"job":"trade-btc","state":"ok","last_success":null'
	assert_line --partial '"max_age_s":420,"runs":0,"schedule":"* * * * *"}'
	assert_line --partial '"job":"report","state":"ok"'
	assert_line --partial '"max_age_s":900,"runs":0,"schedule":"2-59/5 * * * *"}'
	assert_line --partial '"max_age_s":1209900,"runs":0,"schedule":"30 4 * * 0"}'
	assert_line --partial '"max_age_s":173100,"runs":0,"schedule":"7 0 * * *"}'
	AB_NOW="@$((installed + 3600))" run "$S/ab-health" --db "$DB" --json
	assert_failure 1
	assert_line --partial '"job":"trade-btc","state":"stale"'
	assert_line --partial '"job":"backup","state":"ok"'
	AB_NOW="@$((installed + 3600))" "$S/ab-run" --db "$DB" trade-btc -- true
	AB_NOW="@$((installed + 3660))" run "$S/ab-health" --db "$DB" --job trade-btc
	assert_success
	assert_line --regexp '^trade-btc +ok '
}

@test "ab-health: no database exits 66, bad usage 64" {
	run "$S/ab-health" --db "$T/none.db"
	assert_failure 66
	run "$S/ab-health" --max-age forever
	assert_failure 64
	schema
	run "$S/ab-health" --db "$DB" --no-crontab --job nosuch
	assert_failure 66
}

# ---- ab-backup

@test "ab-backup: a backup taken while another process writes candles opens and passes integrity_check" {
	schema
	# 200 CSV files of 500 new candles each, imported one after another.
	awk -v dir="$T" 'BEGIN {
		for (f = 0; f < 200; f++) {
			out = dir "/c" f ".csv"
			print "ts,open,high,low,close,volume" >out
			for (i = 0; i < 500; i++)
				printf "%d,%d,%d,%d,%d,%d\n", 1704067200 + (f * 500 + i) * 3600, 100, 102, 98, 101, 10 >out
			close(out)
		}
	}'
	(
		for i in $(seq 0 199); do
			ab-fetch csv --exchange loop --symbol L/USD -t 1h -q --db "$DB" "$T/c$i.csv" || exit
		done
	) &
	writer=$!
	during=0
	while kill -0 "$writer" 2>/dev/null; do
		run "$S/ab-backup" --db "$DB" --keep 1000 "$T/bk"
		assert_success
		kill -0 "$writer" 2>/dev/null && during=$((during + 1))
	done
	wait "$writer"
	[ "$during" -ge 2 ] || fail "only $during backups overlapped the writes"
	partial=0
	for f in "$T"/bk/*.db; do
		[ "$(sql "$f" 'PRAGMA integrity_check')" = ok ] || fail "$f fails integrity_check"
		n=$(sql "$f" "SELECT count(*) FROM candles WHERE exchange = 'loop'")
		# Each import is one transaction: a copy holds whole files only.
		[ $((n % 500)) -eq 0 ] || fail "$f holds $n candles, not whole imports"
		[ "$n" -gt 0 ] && [ "$n" -lt 100000 ] && partial=$((partial + 1))
	done
	[ "$partial" -ge 1 ] || fail "no copy was taken in the middle of the imports"
	run sql "$DB" "SELECT count(*) FROM candles WHERE exchange = 'loop'"
	assert_output 100000
}

@test "ab-backup: reports the copy as a record, keeps the newest N, --vacuum compacts" {
	schema
	for i in 1 2 3; do
		run "$S/ab-backup" --db "$DB" --keep 2 "$T/bk"
		assert_success
		assert_output --regexp '^\{"type":"backup","db":"[^"]*test.db","file":"[^"]*/bk/test-[0-9]{8}T[0-9]{6}Z(-[0-9]+)?\.db","ts":"[0-9-]{10}T[0-9:]{8}Z","bytes":[0-9]+,"integrity":"ok","removed":[01],"vacuumed":false\}$'
	done
	run ls "$T/bk"
	[ "${#lines[@]}" -eq 2 ]
	[ "$(stat -c %a "$T/bk/${lines[0]}")" = 600 ]
	run "$S/ab-backup" --db "$DB" --vacuum "$T/bk"
	assert_success
	assert_output --partial '"vacuumed":true'
}

@test "ab-backup: a missing database exits 66, bad usage 64" {
	run "$S/ab-backup" --db "$T/none.db" "$T/bk"
	assert_failure 66
	run "$S/ab-backup" --db "$DB"
	assert_failure 64
	run "$S/ab-backup" --keep 0 "$T/bk"
	assert_failure 64
}

# ---- documentation and style

@test "ops: each script's options are in its man page, and the scripts are shellcheck clean" {
	for s in ab-cron ab-run ab-health ab-backup; do
		[ -f "$TOP/man/$s.1" ] || fail "no man/$s.1"
		for opt in $("$S/$s" --help | grep -o -- '--[a-z-]*' | sort -u); do
			case $opt in --) continue ;; esac
			grep -q -- "Fl \\\\-${opt#--}" "$TOP/man/$s.1" || fail "$s: $opt is not in man/$s.1"
		done
	done
	command -v shellcheck >/dev/null || skip "shellcheck is not installed"
	run shellcheck "$S/ab-cron" "$S/ab-run" "$S/ab-health" "$S/ab-backup"
	assert_success
}

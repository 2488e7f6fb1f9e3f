#!/usr/bin/env bats
# Documentation and packaging: man pages, completions, install.

load helper

programs() {
	for p in "$AB_BIN"/ab-*; do basename "$p"; done
}

@test "docs: every man page is mandoc -Tlint clean" {
	for m in "$TOP"/man/*.[17]; do
		run mandoc -Tlint -W warning "$m"
		assert_success
		assert_output ""
	done
}

@test "docs: every program has a man page documenting each of its options" {
	for p in $(programs); do
		[ -f "$TOP/man/$p.1" ] || fail "$p has no man page"
		for opt in $("$p" --list-options | grep '^--' | sed 's/=$//'); do
			case $opt in --help|--version) continue ;; esac
			grep -q -- "Fl \\\\-${opt#--}" "$TOP/man/$p.1" || fail "$p: $opt is not in man/$p.1"
		done
	done
}

@test "docs: every program's subcommands are in its man page" {
	for p in $(programs); do
		for c in $("$p" --list-options | sed -n 's/^@//p'); do
			grep -qE -- "Cm (.* )?$c( |\$)" "$TOP/man/$p.1" || fail "$p: command $c is not in man/$p.1"
		done
	done
}

@test "docs: the README lists every program" {
	for p in $(programs); do
		grep -q -- "\`$p\`" "$TOP/README.md" || fail "$p is missing from README.md"
	done
}

@test "completions: the committed files are what the programs generate" {
	mkdir "$T/c"
	"$TOP/scripts/gen-completions" "$AB_BIN" "$T/c"
	run diff -u "$TOP/completions/autobot.bash" "$T/c/autobot.bash"
	assert_success
	run diff -u "$TOP/completions/_autobot" "$T/c/_autobot"
	assert_success
}

@test "completions: bash completes commands and options" {
	[ -f /usr/share/bash-completion/bash_completion ] || skip "bash-completion is not installed"
	run bash -c '
		. /usr/share/bash-completion/bash_completion
		. "$1"
		COMP_WORDS=(ab-fetch cs); COMP_CWORD=1; COMP_LINE="ab-fetch cs"; COMP_POINT=${#COMP_LINE}
		_autobot_complete ab-fetch cs ab-fetch; echo "${COMPREPLY[@]}"
		COMP_WORDS=(ab-fetch csv --sym); COMP_CWORD=2; COMP_LINE="ab-fetch csv --sym"; COMP_POINT=${#COMP_LINE}
		_autobot_complete ab-fetch --sym csv; echo "${COMPREPLY[@]}"' _ "$TOP/completions/autobot.bash"
	assert_success
	assert_line -n 0 "csv"
	assert_line -n 1 "--symbol="
}

@test "install: DESTDIR and PREFIX place programs, manuals, completions and share" {
	[ -z "${AB_ASAN:-}" ] || skip "install is checked in the plain build"
	run make -s -C "$TOP" install DESTDIR="$T/root" PREFIX=/usr
	assert_success
	for p in $(programs); do
		[ -x "$T/root/usr/bin/$p" ] || fail "$p not installed"
		[ -f "$T/root/usr/share/man/man1/$p.1" ] || fail "$p.1 not installed"
	done
	[ -f "$T/root/usr/share/man/man7/autobot.7" ]
	[ -f "$T/root/usr/share/bash-completion/completions/autobot" ]
	[ -f "$T/root/usr/share/zsh/vendor-completions/_autobot" ]
	[ -f "$T/root/usr/share/autobot/migrations/001-core.sql" ]
}

#!/usr/bin/env bash
# Checks that the man pages' sources (run/man/*.scd) say what the programs
# say: every option --help prints (and, for backendctl, every command and
# every option of `backendctl COMMAND --help`) has its entry in the page, a
# line that starts with it in bold (*-c*, *--config* _FILE_; *add* _NAME_),
# and every config key of the code's one key list (the setters() table of
# conf/config.cpp), every plugin setting of conf/backend-server.conf and
# every plugin has its entry in backend-server.conf.5.scd.
#
#   check_man_pages.sh --source-dir DIR --server BIN --shm BIN --ctl BIN --plugins a,b,c
#
# Needs only the built binaries, not scdoc. Prints every gap, exits 1 if any.
set -uo pipefail

source_dir="" server="" shm="" ctl="" plugins=""
while [ $# -gt 0 ]; do
  case "$1" in
    --source-dir) source_dir=$2; shift 2 ;;
    --server) server=$2; shift 2 ;;
    --shm) shm=$2; shift 2 ;;
    --ctl) ctl=$2; shift 2 ;;
    --plugins) plugins=$2; shift 2 ;;
    *) echo "check_man_pages: unknown argument $1" >&2; exit 64 ;;
  esac
done
for v in source_dir server shm ctl plugins; do
  [ -n "${!v}" ] || { echo "check_man_pages: --${v//_/-} is required" >&2; exit 64; }
done

man_dir=$source_dir/run/man
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# The help text of a program: false when it fails or prints nothing (the
# caller counts that as a failure: this runs in a subshell).
help_of() {  # COMMAND...
  local text
  text=$("$@" 2>&1) && [ -n "$text" ] && printf '%s\n' "$text"
}

# Every option a help text names: --long ones, and -x ones where an option
# stands (at a line's start, after a space, '[', '(' or '|', and followed
# by a space, ',', ']' or the end of the line).
options_of() {
  {
    printf '%s\n' "$1" | grep -oE -- '(^|[^A-Za-z0-9-])--[a-z][a-z0-9-]*' | sed -E 's/^[^-]+//'
    printf '%s\n' "$1" | grep -oE -- '(^|[ [(|])-[A-Za-z]([] ,]|$)' | grep -oE -- '-[A-Za-z]'
  } | sort -u
}

# Whether an option is the bold term of an entry of the page: a line (maybe
# indented) that starts with it, or with other options and then it
# ("*-c*, *--config* _FILE_", "*--writelog*, *--no-writelog*").
documented() {  # PAGE OPTION
  grep -qsE "^[[:space:]]*(\*-[^*]+\*[^,]*, )*\*$2\*([ ,]|\$)" "$man_dir/$1"
}

# Each option of a help text must have its entry in the page.
check_options() {  # PAGE WHAT HELP_TEXT
  local page=$1 what=$2 count=0 opt
  while IFS= read -r opt; do
    [ -n "$opt" ] || continue
    count=$((count + 1))
    documented "$page" "$opt" || fail "$page: $opt (from $what) has no entry (a line starting *$opt*)"
  done < <(options_of "$3")
  echo "$page: $count options of $what checked"
  [ "$count" -gt 0 ] || fail "$page: no option found in $what: did its format change?"
}

for page in backend-server.8.scd backend-server.conf.5.scd backendctl.1.scd backend-shm.8.scd; do
  [ -f "$man_dir/$page" ] || fail "$man_dir/$page is missing"
done

# backend-server and backend-shm: their options.
if text=$(help_of "$server" --help); then
  check_options backend-server.8.scd "backend-server --help" "$text"
else
  fail "backend-server --help failed or printed nothing"
fi
if text=$(help_of "$shm" --help); then
  check_options backend-shm.8.scd "backend-shm --help" "$text"
else
  fail "backend-shm --help failed or printed nothing"
fi

# backendctl: its global options, its commands, and each command's options.
if ! ctl_help=$(help_of "$ctl" --help); then
  fail "backendctl --help failed or printed nothing"
else
  check_options backendctl.1.scd "backendctl --help" "$ctl_help"
  # The command lines: two spaces, then the command's words (lower case)
  # up to its first argument; the list ends at the global options.
  commands=$(printf '%s\n' "$ctl_help" | sed -n '/^Global options/q; p' |
    grep -E '^  [a-z]' | awk '{ c = ""; for (i = 1; i <= NF && $i ~ /^[a-z][a-z-]*$/; i++) c = c (c ? " " : "") $i; print c }' |
    sort -u)
  count=0
  while IFS= read -r command; do
    [ -n "$command" ] || continue
    count=$((count + 1))
    grep -qsE "^\*$command\*( |$)" "$man_dir/backendctl.1.scd" ||
      fail "backendctl.1.scd: command \"$command\" (from backendctl --help) has no entry (a line starting *$command*)"
    # shellcheck disable=SC2086 # the command's words are separate arguments
    if ! text=$(help_of "$ctl" $command --help); then
      fail "backendctl $command --help failed or printed nothing"
    else
      while IFS= read -r opt; do
        [ -n "$opt" ] || continue
        documented backendctl.1.scd "$opt" ||
          fail "backendctl.1.scd: $opt (from backendctl $command --help) has no entry (a line starting *$opt*)"
      done < <(options_of "$text")
      # Another name of the command ("Also called "statusall".").
      for alias in $(printf '%s\n' "$text" | grep -oE 'Also called "[a-z-]+"' | grep -oE '"[a-z-]+"' | tr -d '"'); do
        grep -qsF -- "*$alias*" "$man_dir/backendctl.1.scd" ||
          fail "backendctl.1.scd: \"$alias\", another name of $command, is not documented"
      done
    fi
  done <<<"$commands"
  echo "backendctl.1.scd: $count commands of backendctl --help checked"
  [ "$count" -ge 10 ] || fail "backendctl.1.scd: only $count commands found in backendctl --help: did its format change?"
fi

# backend-server.conf.5: every key of the setters() table of conf/config.cpp.
conf_page=$man_dir/backend-server.conf.5.scd
keys=$(sed -n '/setters() {/,/return table;/p' "$source_dir/conf/config.cpp" | grep -oE '^ *\{"[a-z_]+",' | grep -oE '[a-z_]+')
count=0
for key in $keys; do
  count=$((count + 1))
  grep -qsE "^\*$key\*( |$)" "$conf_page" ||
    fail "backend-server.conf.5.scd: config key $key (conf/config.cpp) has no entry (a line starting *$key*)"
done
echo "backend-server.conf.5.scd: $count config keys checked"
[ "$count" -ge 10 ] || fail "only $count config keys found in conf/config.cpp's setters(): did the table move?"

# Every plugin has its section, and every plugin setting the sample config
# shows (the lines of its plugin_settings block, six spaces in) its entry.
for plugin in ${plugins//,/ }; do
  grep -qsE "^## $plugin\$" "$conf_page" || fail "backend-server.conf.5.scd: plugin $plugin has no section (## $plugin)"
done
settings=$(sed -n '/"plugin_settings": {/,/^  },/p' "$source_dir/conf/backend-server.conf" | grep -oE '^      "[a-z_]+"' | tr -d ' "')
count=0
for setting in $settings; do
  count=$((count + 1))
  grep -qsE "^\*$setting\*( |$)" "$conf_page" ||
    fail "backend-server.conf.5.scd: plugin setting $setting (conf/backend-server.conf) has no entry"
done
echo "backend-server.conf.5.scd: $count plugin settings checked"
[ "$count" -gt 0 ] || fail "no plugin setting found in conf/backend-server.conf: did its plugin_settings block change?"

if [ "$failures" -gt 0 ]; then
  echo "check_man_pages: $failures gap(s) between the programs and run/man/*.scd" >&2
  exit 1
fi
echo "check_man_pages: OK"

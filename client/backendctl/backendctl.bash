# bash completion for backendctl                              -*- shell-script -*-
#
# Completes global options, commands, each command's options and, by asking
# the server (with the host, port and user already typed), job names, log
# folders and files, and schedule UUIDs. Those queries never prompt for a
# password: stdin is /dev/null, so without BACKEND_PASSWORD they just fail.

_backendctl_query() {
    "${_backendctl_cmd[@]}" --timeout 2 "$@" </dev/null 2>/dev/null
}

_backendctl() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    local global_valued="-H --host -p --port -u --user --timeout"
    local global_opts="-H --host -p --port -u --user --timeout --json -h --help --version"
    local commands="add update delete get getall start stop restart status ls statusall read mem memall
        server call auth logs schedule cluster"
    local -A groups=(
        [server]="mem read"
        [auth]="getenable setenable add delete update get getall"
        [logs]="ls files cat server-ls server-files server-cat"
        [schedule]="add delete update get ls log"
        [cluster]="ls apply drain move"
    )
    # Each command's options (-h, --help and --json are added to all).
    local -A opts=(
        [add]="--params --writelog --no-writelog --buffersize --autostart --no-autostart --guard --no-guard --env --cwd --run-as --interpreter --stopsignal --stoptimeout --set"
        [update]="--params --writelog --no-writelog --buffersize --autostart --no-autostart --guard --no-guard --env --cwd --run-as --interpreter --stopsignal --stoptimeout --set"
        [status]="-s --short"
        [ls]="--names"
        [statusall]="--names"
        [read]="-f --follow"
        ["auth add"]="--set"
        ["auth update"]="--password-prompt --privileges --set"
        ["logs cat"]="--offset --length"
        ["logs server-cat"]="--offset --length"
        ["schedule add"]="--cron --condition --enabled --disabled"
        ["schedule update"]="--cron --condition --enabled --disabled"
        ["cluster drain"]="--undo"
    )
    # What each positional argument is, in order.
    local -A args=(
        [add]="new file" [update]="job" [delete]="job" [get]="job" [start]="job" [stop]="job"
        [restart]="job" [status]="job" [read]="job" [mem]="job" [call]="none"
        ["auth setenable"]="onoff"
        ["logs ls"]="job" ["logs files"]="job logdir" ["logs cat"]="job logdir logfile"
        ["logs server-files"]="serverdir" ["logs server-cat"]="serverdir serverfile"
        ["schedule add"]="job" ["schedule delete"]="job uuid" ["schedule update"]="job uuid"
        ["schedule get"]="job uuid" ["schedule ls"]="job" ["schedule log"]="job uuid"
        ["cluster apply"]="file" ["cluster drain"]="none" ["cluster move"]="job none"
    )
    local opts_valued="--params --buffersize --env --cwd --run-as --interpreter --stopsignal --stoptimeout --set
        --privileges --offset --length --cron --condition"

    # Bash splits "--port=1" into "--port" "=" "1" (COMP_WORDBREAKS): the
    # word after an "=" is the option's value.
    [[ $prev == = ]] && prev=${COMP_WORDS[COMP_CWORD - 2]}

    # The global options before the command, kept for the queries.
    local -a _backendctl_cmd=("${COMP_WORDS[0]}")
    local i=1 word
    while ((i < COMP_CWORD)); do
        word=${COMP_WORDS[i]}
        [[ $word != -* ]] && break
        if [[ " $global_valued " == *" $word "* ]]; then
            [[ ${COMP_WORDS[i + 1]} == = ]] && ((i++))
            _backendctl_cmd+=("$word" "${COMP_WORDS[i + 1]}")
            ((i += 2))
        else
            [[ $word == --host=* || $word == --port=* || $word == --user=* ]] && _backendctl_cmd+=("$word")
            ((i++))
        fi
    done

    if ((i >= COMP_CWORD)); then
        if [[ " $global_valued " == *" $prev "* ]]; then
            [[ $prev == -H || $prev == --host ]] && COMPREPLY=($(compgen -A hostname -- "$cur"))
            return
        fi
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "$global_opts" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$commands" -- "$cur"))
        fi
        return
    fi

    local command=${COMP_WORDS[i]}
    ((i++))
    if [[ -n ${groups[$command]} ]]; then
        if ((i >= COMP_CWORD)); then
            COMPREPLY=($(compgen -W "${groups[$command]} --help" -- "$cur"))
            return
        fi
        command="$command ${COMP_WORDS[i]}"
        ((i++))
    fi

    # The positionals typed so far, skipping options and their values.
    local -a typed=()
    while ((i < COMP_CWORD)); do
        word=${COMP_WORDS[i]}
        if [[ $word == -* ]]; then
            if [[ " $opts_valued " == *" $word "* ]]; then
                [[ ${COMP_WORDS[i + 1]} == = ]] && ((i++))
                ((i++))
            fi
        else
            typed+=("$word")
        fi
        ((i++))
    done

    case $prev in
        --cwd) COMPREPLY=($(compgen -d -- "$cur")); return ;;
        --interpreter) COMPREPLY=($(compgen -c -- "$cur")); return ;;
        --stopsignal) COMPREPLY=($(compgen -W "TERM INT HUP QUIT KILL USR1 USR2" -- "$cur")); return ;;
    esac
    if [[ " $opts_valued " == *" $prev "* ]]; then
        return
    fi
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "${opts[$command]} -h --help --json" -- "$cur"))
        return
    fi

    local -a kinds=(${args[$command]})
    local n=${#typed[@]}
    local IFS=$'\n'
    case ${kinds[n]} in
        job) COMPREPLY=($(compgen -W "$(_backendctl_query ls --names)" -- "$cur")) ;;
        file) COMPREPLY=($(compgen -f -- "$cur")) ;;
        onoff) COMPREPLY=($(compgen -W $'on\noff' -- "$cur")) ;;
        logdir) COMPREPLY=($(compgen -W "$(_backendctl_query logs ls "${typed[0]}")" -- "$cur")) ;;
        logfile) COMPREPLY=($(compgen -W "$(_backendctl_query logs files "${typed[0]}" "${typed[1]}")" -- "$cur")) ;;
        serverdir) COMPREPLY=($(compgen -W "$(_backendctl_query logs server-ls)" -- "$cur")) ;;
        serverfile)
            COMPREPLY=($(compgen -W "$(_backendctl_query logs server-files "${typed[0]}")" -- "$cur")) ;;
        uuid)
            COMPREPLY=($(compgen -W "$(_backendctl_query schedule ls "${typed[0]}" | awk 'NR > 1 { print $2 }')" \
                -- "$cur")) ;;
    esac
}

complete -F _backendctl backendctl

# bash completion for rl and rl-oci                                 -*- shell-script -*-
# Install: source this file, or copy it to /usr/share/bash-completion/completions/rl
# (and link rl-oci to it).
# shellcheck shell=bash

_rl_verbs="oci info doctor version help"
_rl_global_opts="--root --log --log-format --log-level --debug --help --version"
_rl_oci_opts="--root --log --log-format --debug --systemd-cgroup --rootless --help"
_rl_oci_verbs="spec create start run state kill delete exec list ps features"

# _rl_oci_flags VERB: the options of `rl oci VERB`.
_rl_oci_flags() {
    case "$1" in
    spec) echo "-b --bundle --rootless" ;;
    create) echo "-b --bundle --console-socket --pid-file --preserve-fds --no-pivot --no-new-keyring" ;;
    run) echo "-b --bundle -d --detach --console-socket --pid-file --preserve-fds --no-pivot
              --no-new-keyring --keep" ;;
    kill) echo "-a --all" ;;
    delete) echo "-f --force" ;;
    exec) echo "-p --process -t --tty -d --detach -e --env --cwd -u --user -g --additional-gids
               -c --cap --no-new-privs --console-socket --pid-file --preserve-fds" ;;
    list) echo "-f --format -q --quiet" ;;
    ps) echo "-f --format" ;;
    esac
    echo "--help"
}

# _rl_takes_arg OPTION [VERB]: true when OPTION (of any level) is followed by a value. -f is
# --format of list, info and doctor, but --force of delete.
_rl_takes_arg() {
    case "$1" in
    --root | --log | --log-format | --log-level | --rootless | -b | --bundle | --console-socket | \
        --pid-file | --preserve-fds | -p | --process | -e | --env | --cwd | -u | --user | -g | \
        --additional-gids | -c | --cap | --format) return 0 ;;
    -f) [ "${2:-}" != delete ] ;;
    *) return 1 ;;
    esac
}

# _rl_complete_value OPTION VERB CUR: fill COMPREPLY for the value of OPTION.
_rl_complete_value() {
    local opt=$1 verb=$2 cur=$3
    case "$opt" in
    --log-format) mapfile -t COMPREPLY < <(compgen -W "text json" -- "$cur") ;;
    --log-level) mapfile -t COMPREPLY < <(compgen -W "error warning info debug" -- "$cur") ;;
    -f | --format)
        if [ "$verb" = list ] || [ "$verb" = ps ]; then
            mapfile -t COMPREPLY < <(compgen -W "table json" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "text json" -- "$cur")
        fi
        ;;
    --root | -b | --bundle | --cwd) mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
    --log | --console-socket | --pid-file | -p | --process)
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        ;;
    -c | --cap)
        mapfile -t COMPREPLY < <(compgen -W "CAP_CHOWN CAP_DAC_OVERRIDE CAP_FOWNER CAP_FSETID
            CAP_KILL CAP_SETGID CAP_SETUID CAP_SETPCAP CAP_NET_BIND_SERVICE CAP_NET_RAW
            CAP_SYS_CHROOT CAP_SYS_ADMIN CAP_SYS_PTRACE CAP_MKNOD CAP_AUDIT_WRITE CAP_SETFCAP" \
            -- "$cur")
        ;;
    *) COMPREPLY=() ;;
    esac
}

# _rl_ids ROOT: the ids of `rl oci list -q`, quietly.
_rl_ids() {
    local -a cmd=("${_rl_prog:-rl}")
    [ -n "$1" ] && cmd+=(--root "$1")
    [ "${cmd[0]##*/}" = rl-oci ] || cmd+=(oci)
    "${cmd[@]}" list -q 2>/dev/null
}

# _rl_oci_complete FIRST: complete an `rl oci` command line whose oci part starts at word
# FIRST (after "oci" for rl, 1 for rl-oci). ROOT comes from an earlier --root.
_rl_oci_complete() {
    local i=$1 cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    local verb='' npos=0 w

    # The oci options, then the verb, then its options and positional arguments.
    while [ "$i" -lt "$COMP_CWORD" ]; do
        w=${COMP_WORDS[i]}
        if [ "$w" = --root ]; then
            root=${COMP_WORDS[i + 1]}
        fi
        if _rl_takes_arg "$w" "$verb"; then
            i=$((i + 2))
            continue
        fi
        if [[ "$w" != -* ]]; then
            if [ -z "$verb" ]; then verb=$w; else npos=$((npos + 1)); fi
        fi
        i=$((i + 1))
    done
    if [ "$i" -gt "$COMP_CWORD" ]; then
        _rl_complete_value "$prev" "$verb" "$cur"
        return
    fi
    if [ -z "$verb" ]; then
        if [[ "$cur" == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "$_rl_oci_opts" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "$_rl_oci_verbs" -- "$cur")
        fi
        return
    fi
    if [[ "$cur" == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(_rl_oci_flags "$verb")" -- "$cur")
        return
    fi
    case "$verb" in
    start | state | delete | kill | exec | ps)
        if [ "$npos" -eq 0 ]; then
            mapfile -t COMPREPLY < <(compgen -W "$(_rl_ids "$root")" -- "$cur")
        elif [ "$verb" = kill ] && [ "$npos" -eq 1 ]; then
            mapfile -t COMPREPLY < <(compgen -W "TERM KILL INT HUP QUIT USR1 USR2 STOP CONT" -- "$cur")
        elif [ "$verb" = exec ] && [ "$npos" -eq 1 ]; then
            COMPREPLY=()
        fi
        ;;
    *) COMPREPLY=() ;;
    esac
}

_rl() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    local i=1 w verb='' root='' _rl_prog=${COMP_WORDS[0]}
    COMPREPLY=()

    # Global options, up to the verb.
    while [ "$i" -lt "$COMP_CWORD" ]; do
        w=${COMP_WORDS[i]}
        if _rl_takes_arg "$w"; then
            [ "$w" = --root ] && root=${COMP_WORDS[i + 1]}
            i=$((i + 2))
            continue
        fi
        if [[ "$w" != -* ]]; then
            verb=$w
            break
        fi
        i=$((i + 1))
    done

    if [ -z "$verb" ]; then
        if [ "$i" -gt "$COMP_CWORD" ]; then
            _rl_complete_value "$prev" "" "$cur"
        elif [[ "$cur" == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "$_rl_global_opts" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "$_rl_verbs" -- "$cur")
        fi
        return
    fi

    case "$verb" in
    oci) _rl_oci_complete $((i + 1)) ;;
    info | doctor | version)
        if [ "$prev" = --format ] || [ "$prev" = -f ]; then
            mapfile -t COMPREPLY < <(compgen -W "text json" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "--format --help" -- "$cur")
        fi
        ;;
    help)
        [ "$COMP_CWORD" -eq $((i + 1)) ] && mapfile -t COMPREPLY < <(compgen -W "$_rl_verbs" -- "$cur")
        ;;
    esac
}

_rl_oci() {
    local root='' _rl_prog=${COMP_WORDS[0]}
    COMPREPLY=()
    _rl_oci_complete 1
}

complete -F _rl rl
complete -F _rl_oci rl-oci

# bash completion for rl and rl-oci                                 -*- shell-script -*-
# Install: source this file, or copy it to /usr/share/bash-completion/completions/rl
# (and link rl-oci to it).
# shellcheck shell=bash

_rl_verbs="oci run create start stop restart kill rm ps wait logs exec top port stats update cp export rename container pull images
           rmi tag image history inspect save load import login logout info doctor version help"
_rl_global_opts="--root --log --log-format --log-level --debug --cgroup-manager --help --version"
_rl_oci_opts="--root --log --log-format --debug --systemd-cgroup --rootless --help"
_rl_oci_verbs="spec create start run state kill delete exec list ps features"
_rl_image_verbs="inspect ls list prune pull rm tag exists history"

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

# _rl_image_flags VERB: the options of an image command (`rl VERB`, or `rl image VERB` with
# ls, list and rm as images and rmi).
_rl_image_flags() {
    case "$1" in
    pull) echo "-q --quiet --platform --arch --os --variant --tls-verify --tls-verify=false
                --creds --authfile --cert-dir -j --jobs" ;;
    images) echo "-a --all -f --filter --sort -q --quiet --no-trunc --digests -n --noheading
                 --format" ;;
    history) echo "--no-trunc -H --human -q --quiet --format" ;;
    rmi) echo "-a --all -f --force -i --ignore" ;;
    inspect) echo "-f --format --type" ;;
    save) echo "-o --output --format -m --multi-image-archive -q --quiet --compress" ;;
    load) echo "-i --input -q --quiet" ;;
    import) echo "-c --change -m --message -q --quiet" ;;
    prune) echo "-a --all -f --force" ;;
    login) echo "-u --username -p --password --password-stdin --authfile --tls-verify
                 --tls-verify=false --cert-dir --get-login" ;;
    logout) echo "-a --all --authfile" ;;
    esac
    echo "--help"
}

# _rl_takes_arg OPTION [VERB]: true when OPTION (of any level) is followed by a value. -f is
# --format of list, info, doctor and inspect, but --force of delete, rmi, rm and prune; -i is
# --input of load but --ignore of rmi; -m is --message of import but a flag of save.
_rl_takes_arg() {
    case "$1" in
    --root | --log | --log-format | --log-level | --rootless | -b | --bundle | --console-socket | \
        --pid-file | --preserve-fds | -p | --process | -e | --env | --cwd | -u | --user | -g | \
        --additional-gids | -c | --cap | --format | --platform | --arch | --os | --variant | \
        --creds | --authfile | --cert-dir | -j | --jobs | --username | --password | --filter | \
        -o | --output | --input | --change | --message | --sort | --type | --cgroup-manager) return 0 ;;
    -f)
        case "${2:-}" in
        delete | rmi | rm | prune) return 1 ;;
        *) return 0 ;;
        esac
        ;;
    -i) [ "${2:-}" = load ] ;;
    -m) [ "${2:-}" = import ] ;;
    *) return 1 ;;
    esac
}

# _rl_complete_filter CUR: the keys of `rl images --filter`; no space after a "KEY=".
_rl_complete_filter() {
    mapfile -t COMPREPLY < <(compgen -W "dangling=true dangling=false reference= label= before=
        since= id=" -- "$1")
    if [ "${#COMPREPLY[@]}" -eq 1 ] && [[ "${COMPREPLY[0]}" == *= ]]; then
        compopt -o nospace 2>/dev/null || true
    fi
}

# _rl_complete_value OPTION VERB CUR: fill COMPREPLY for the value of OPTION.
_rl_complete_value() {
    local opt=$1 verb=$2 cur=$3
    case "$opt" in
    --log-format) mapfile -t COMPREPLY < <(compgen -W "text json" -- "$cur") ;;
    --log-level) mapfile -t COMPREPLY < <(compgen -W "error warning info debug" -- "$cur") ;;
    --filter) _rl_complete_filter "$cur" ;;
    -f | --format)
        if [ "$opt" = -f ] && [ "$verb" = images ]; then
            _rl_complete_filter "$cur"
        elif [ "$verb" = list ] || [ "$verb" = ps ] || [ "$verb" = images ]; then
            mapfile -t COMPREPLY < <(compgen -W "table json" -- "$cur")
        elif [ "$verb" = inspect ]; then
            mapfile -t COMPREPLY < <(compgen -W "json" -- "$cur")
        elif [ "$verb" = save ]; then
            mapfile -t COMPREPLY < <(compgen -W "docker-archive oci-archive" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "text json" -- "$cur")
        fi
        ;;
    --root | -b | --bundle | --cwd | --cert-dir) mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
    --log | --console-socket | --pid-file | --authfile | -o | --output | -i | --input)
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        ;;
    -p | --process)
        # -p is also --password of login.
        [ "$verb" = login ] || mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        ;;
    --platform)
        mapfile -t COMPREPLY < <(compgen -W "linux/amd64 linux/arm64 linux/arm64/v8 linux/arm/v7
            linux/arm/v6 linux/386 linux/ppc64le linux/s390x linux/riscv64" -- "$cur")
        ;;
    --arch)
        mapfile -t COMPREPLY < <(compgen -W "amd64 arm64 arm 386 ppc64le s390x riscv64" -- "$cur")
        ;;
    --os) mapfile -t COMPREPLY < <(compgen -W "linux" -- "$cur") ;;
    --variant) mapfile -t COMPREPLY < <(compgen -W "v6 v7 v8" -- "$cur") ;;
    -c | --cap)
        # -c is also --change of import: a Dockerfile instruction, not completed.
        [ "$verb" = import ] && return
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

# _rl_images ROOT: the names of the images in the store (of --root ROOT), quietly; images
# without a name are left out.
_rl_images() {
    local -a cmd=("${_rl_prog:-rl}")
    local name
    [ -n "$1" ] && cmd+=(--root "$1")
    "${cmd[@]}" images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null |
        while IFS= read -r name; do
            [[ "$name" == *"<none>"* ]] || printf '%s\n' "$name"
        done
}

# _rl_line_words: split the line up to the cursor on blanks into the array `words` of the
# caller, the last one being the word to complete. Unlike COMP_WORDS, image names keep
# their ':' and options their '='. Blanks inside quotes do not split (import -c 'CMD ...').
_rl_line_words() {
    local line=${COMP_LINE:0:COMP_POINT} w q='' k
    local -a raw
    read -ra raw <<<"$line"
    words=()
    for w in "${raw[@]}"; do
        if [ -n "$q" ]; then
            words[${#words[@]} - 1]+=" $w"
        else
            words+=("$w")
        fi
        for ((k = 0; k < ${#w}; k++)); do
            if [ -z "$q" ] && [[ "${w:k:1}" == [\"\'] ]]; then
                q=${w:k:1}
            elif [ "${w:k:1}" = "$q" ]; then
                q=''
            fi
        done
    done
    if [ "${#words[@]}" -eq 0 ] || { [ -z "$q" ] && [[ "$line" == *[[:space:]] ]]; }; then
        words+=("")
    fi
}

# _rl_trim_breaks CUR: readline replaces only the part of CUR after its last word-break
# character (':' of a tag, '=' of an option): take what comes before it off COMPREPLY.
_rl_trim_breaks() {
    local cur=$1 k
    for ((k = ${#cur} - 1; k >= 0; k--)); do
        if [[ "$COMP_WORDBREAKS" == *"${cur:k:1}"* ]]; then
            COMPREPLY=("${COMPREPLY[@]#"${cur:0:k+1}"}")
            return
        fi
    done
}

# _rl_image_complete: complete the image commands (pull, images, rmi, tag, image, save, load,
# import, login, logout), from the words of _rl_line_words.
_rl_image_complete() {
    local -a words
    local i=1 n w cur prev verb='' sub='' cmd root='' npos=0

    _rl_line_words
    n=$((${#words[@]} - 1))
    cur=${words[n]}
    prev=${words[n - 1]}
    # The global options, the verb, for `image` its command, then options and positional
    # arguments.
    while [ "$i" -lt "$n" ]; do
        w=${words[i]}
        if _rl_takes_arg "$w" "${sub:-$verb}"; then
            [ -z "$verb" ] && [ "$w" = --root ] && root=${words[i + 1]}
            i=$((i + 2))
            continue
        fi
        if [[ "$w" != -* ]]; then
            if [ -z "$verb" ]; then
                verb=$w
            elif [ "$verb" = image ] && [ -z "$sub" ]; then
                sub=$w
            else
                npos=$((npos + 1))
            fi
        fi
        i=$((i + 1))
    done
    cmd=$verb
    if [ "$verb" = image ]; then
        case "$sub" in
        ls | list) cmd=images ;;
        rm) cmd=rmi ;;
        *) cmd=$sub ;;
        esac
    fi

    if [ "$i" -gt "$n" ]; then
        _rl_complete_value "$prev" "$cmd" "$cur"
    elif [ -z "$cmd" ]; then
        if [[ "$cur" == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "--help" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "$_rl_image_verbs" -- "$cur")
        fi
    elif [[ "$cur" == --tls-verify=* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "--tls-verify=true --tls-verify=false" -- "$cur")
    elif [[ "$cur" == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(_rl_image_flags "$cmd")" -- "$cur")
    else
        case "$cmd" in
        rmi | inspect)
            mapfile -t COMPREPLY < <(compgen -W "$(_rl_images "$root")" -- "$cur")
            ;;
        tag | exists | images | history)
            [ "$npos" -eq 0 ] && mapfile -t COMPREPLY < <(compgen -W "$(_rl_images "$root")" -- "$cur")
            ;;
        save)
            mapfile -t COMPREPLY < <(compgen -W "$(_rl_images "$root")" -- "$cur")
            ;;
        import)
            # The tarball (or -), then a new name.
            [ "$npos" -eq 0 ] && mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            ;;
        *) COMPREPLY=() ;;
        esac
    fi
    _rl_trim_breaks "$cur"
}

# The container commands: `rl VERB` or `rl container VERB`, with rm as remove and ps as ls
# and list.
_rl_container_verbs="create run start stop kill restart rm remove ps ls list wait logs inspect
                     exec top port stats update cp export rename prune exists"
_rl_limit_flags="-m --memory --memory-swap --memory-reservation --cpus -c --cpu-shares --cpu-weight
                 --cpu-period --cpu-quota --cpuset-cpus --cpuset-mems --pids-limit
                 --blkio-weight"
_rl_run_flags="-i --interactive -t --tty --rm --name -e --env --env-file -w --workdir -u --user
               --group-add --entrypoint -h --hostname -v --volume --mount --tmpfs --read-only
               --read-only-tmpfs=false --init --userns --cap-add --cap-drop --privileged
               --security-opt --ulimit --stop-signal --stop-timeout -l --label --label-file
               --annotation --pull -q --quiet --network -p --publish -P --publish-all --expose
               --dns --dns-search --dns-option --add-host --sysctl --no-hosts --cidfile --replace
               --log-driver --umask --oom-score-adj --shm-size --platform --tls-verify
               --tls-verify=false --creds --authfile --cert-dir $_rl_limit_flags --cgroups"
_rl_caps="ALL CAP_AUDIT_CONTROL CAP_AUDIT_READ CAP_AUDIT_WRITE CAP_BLOCK_SUSPEND CAP_BPF
          CAP_CHECKPOINT_RESTORE CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER
          CAP_FSETID CAP_IPC_LOCK CAP_IPC_OWNER CAP_KILL CAP_LEASE CAP_LINUX_IMMUTABLE
          CAP_MAC_ADMIN CAP_MAC_OVERRIDE CAP_MKNOD CAP_NET_ADMIN CAP_NET_BIND_SERVICE
          CAP_NET_BROADCAST CAP_NET_RAW CAP_PERFMON CAP_SETFCAP CAP_SETGID CAP_SETPCAP CAP_SETUID
          CAP_SYSLOG CAP_SYS_ADMIN CAP_SYS_BOOT CAP_SYS_CHROOT CAP_SYS_MODULE CAP_SYS_NICE
          CAP_SYS_PACCT CAP_SYS_PTRACE CAP_SYS_RAWIO CAP_SYS_RESOURCE CAP_SYS_TIME
          CAP_SYS_TTY_CONFIG CAP_WAKE_ALARM"
_rl_signals="SIGTERM SIGKILL SIGINT SIGHUP SIGQUIT SIGUSR1 SIGUSR2 SIGSTOP SIGCONT SIGWINCH"
_rl_top_descriptors="args capamb capbnd capeff capinh capprm comm etime group groups hgroup
                     hgroups hpid huid huser label nice pcpu pgid pid ppid rgroup rss ruser
                     seccomp state stime time tty uid user vsz"

# _rl_ctr_flags VERB: the options of a container command (VERB as in `rl VERB`).
_rl_ctr_flags() {
    case "$1" in
    run) echo "$_rl_run_flags -d --detach" ;;
    create) echo "$_rl_run_flags" ;;
    start) echo "-a --attach -i --interactive --all" ;;
    stop) echo "-t --time -a --all -i --ignore" ;;
    restart) echo "-t --time -a --all --running" ;;
    kill) echo "-s --signal -a --all" ;;
    rm) echo "-f --force -v --volumes -a --all -i --ignore -t --time" ;;
    ps) echo "-a --all -q --quiet --no-trunc -n --last -l --latest -f --filter --format
              --noheading" ;;
    wait) echo "--condition -i --ignore" ;;
    logs) echo "-f --follow --tail --since --until -t --timestamps -n --names -l --latest" ;;
    inspect) echo "-f --format -t --type -l --latest" ;;
    exec) echo "-i --interactive -t --tty -d --detach -e --env --env-file -u --user -w --workdir
                --privileged --preserve-fds" ;;
    prune) echo "-f --force" ;;
    top) echo "--list-descriptors" ;;
    port) echo "-a --all -l --latest" ;;
    stats) echo "-a --all --no-stream --no-reset -i --interval --format -l --latest" ;;
    update) echo "$_rl_limit_flags" ;;
    cp) echo "-a --archive --archive=false" ;;
    export) echo "-o --output" ;;
    esac
    echo "--help"
}

# _rl_is_limit_flag OPTION: true for the resource limit options of run, create and update.
_rl_is_limit_flag() {
    case "$1" in
    -m | --memory | --memory-swap | --memory-reservation | --cpus | -c | --cpu-shares | \
        --cpu-weight | --cpu-period | --cpu-quota | --cpuset-cpus | --cpuset-mems | \
        --pids-limit | --blkio-weight) return 0 ;;
    esac
    return 1
}

# _rl_ctr_takes_arg OPTION VERB: true when OPTION of container command VERB is followed by
# a value. -t is --tty of run and exec but --time of stop, rm and restart; -h and -l are
# --hostname and --label of run and create.
_rl_ctr_takes_arg() {
    case "$2" in
    run | create)
        case "$1" in
        --name | -e | --env | --env-file | -w | --workdir | -u | --user | --group-add | \
            --entrypoint | -h | --hostname | -v | --volume | --mount | --tmpfs | --userns | \
            --cap-add | --cap-drop | --security-opt | --ulimit | --stop-signal | \
            --stop-timeout | -l | --label | --label-file | --annotation | --pull | --network | \
            --net | --platform | --creds | --authfile | --cert-dir | --cidfile | --log-driver | \
            --log-opt | --umask | --oom-score-adj | --shm-size | -p | --publish | --expose | \
            --dns | --dns-search | --dns-option | --dns-opt | --add-host | --sysctl | \
            --cgroups) return 0 ;;
        esac
        _rl_is_limit_flag "$1" && return 0
        ;;
    update) _rl_is_limit_flag "$1" && return 0 ;;
    stats) [[ "$1" == -i || "$1" == --interval || "$1" == --format ]] && return 0 ;;
    stop | rm | restart) [[ "$1" == -t || "$1" == --time || "$1" == --timeout ]] && return 0 ;;
    kill) [[ "$1" == -s || "$1" == --signal ]] && return 0 ;;
    ps) [[ "$1" == -n || "$1" == --last || "$1" == -f || "$1" == --filter || "$1" == --format ||
        "$1" == --sort ]] && return 0 ;;
    wait) [[ "$1" == --condition || "$1" == --interval ]] && return 0 ;;
    logs) [[ "$1" == --tail || "$1" == --since || "$1" == --until ]] && return 0 ;;
    export) [[ "$1" == -o || "$1" == --output ]] && return 0 ;;
    inspect) [[ "$1" == -f || "$1" == --format || "$1" == -t || "$1" == --type ]] && return 0 ;;
    exec)
        case "$1" in
        -e | --env | --env-file | -u | --user | -w | --workdir | --preserve-fds) return 0 ;;
        esac
        ;;
    esac
    return 1
}

# _rl_compgen WORDS CUR: COMPREPLY from WORDS; no space after a single "KEY=", "A," or "K:".
_rl_compgen() {
    mapfile -t COMPREPLY < <(compgen -W "$1" -- "$2")
    if [ "${#COMPREPLY[@]}" -eq 1 ] && [[ "${COMPREPLY[0]}" == *[=,:] ]]; then
        compopt -o nospace 2>/dev/null || true
    fi
}

# _rl_network_value CUR: fill COMPREPLY for the value of --network: the modes, the options
# of slirp:OPT=VALUE,... (one after each comma), and the path of ns:PATH.
_rl_network_value() {
    local cur=$1 mode opts last words
    case "$cur" in
    slirp:* | slirp4netns:*)
        mode=${cur%%:*}
        opts=${cur#*:}
        last=${opts##*,}
        case "$last" in
        allow_host_loopback=* | enable_ipv6=*) words="${last%%=*}=true ${last%%=*}=false" ;;
        port_handler=*) words="port_handler=rootlesskit port_handler=slirp4netns" ;;
        *=*) words='' ;; # mtu=, cidr=, dns_forward=: a number or an address
        *) words="mtu= allow_host_loopback= enable_ipv6= cidr= port_handler= dns_forward=" ;;
        esac
        _rl_compgen "$words" "$last"
        COMPREPLY=("${COMPREPLY[@]/#/$mode:${opts%"$last"}}")
        ;;
    ns:*)
        mapfile -t COMPREPLY < <(compgen -f -- "${cur#ns:}")
        COMPREPLY=("${COMPREPLY[@]/#/ns:}")
        ;;
    container:*)
        _rl_compgen "$(_rl_containers "" running | sed 's/^/container:/')" "$cur"
        ;;
    *) _rl_compgen "slirp slirp: slirp4netns slirp4netns: none host ns: container:" "$cur" ;;
    esac
}

# _rl_containers ROOT [running]: the names of the containers (only the running ones with
# "running"), quietly.
_rl_containers() {
    local -a cmd=("${_rl_prog:-rl}")
    [ -n "$1" ] && cmd+=(--root "$1")
    cmd+=(ps)
    [ "${2:-}" = running ] || cmd+=(-a)
    "${cmd[@]}" --format '{{.Names}}' 2>/dev/null
}

# _rl_ports ROOT CONTAINER: the published ports of CONTAINER ("80/tcp"), quietly.
_rl_ports() {
    local -a cmd=("${_rl_prog:-rl}")
    [ -n "$1" ] && cmd+=(--root "$1")
    "${cmd[@]}" port "$2" 2>/dev/null | sed 's/ ->.*//' | sort -u
}

# _rl_ctr_value OPTION VERB CUR: fill COMPREPLY for the value of OPTION of container command
# VERB.
_rl_ctr_value() {
    local opt=$1 verb=$2 cur=$3
    case "$verb:$opt" in
    run:-e | run:--env | create:-e | create:--env | exec:-e | exec:--env)
        mapfile -t COMPREPLY < <(compgen -e -- "$cur")
        ;;
    *:--env-file | *:--label-file | *:--cidfile | *:--authfile | export:-o | export:--output)
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        ;;
    *:-v | *:--volume)
        # The host path or the volume name, before the ':'.
        [[ "$cur" == *:* ]] || mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        ;;
    *:--mount) _rl_compgen "type=bind, type=volume, type=tmpfs," "$cur" ;;
    *:--cap-add | *:--cap-drop) _rl_compgen "$_rl_caps" "$cur" ;;
    *:--security-opt)
        _rl_compgen "seccomp=unconfined seccomp= no-new-privileges mask= unmask= unmask=ALL" "$cur"
        ;;
    *:--ulimit)
        _rl_compgen "core= cpu= data= fsize= locks= memlock= msgqueue= nice= nofile= nproc= rss=
            rtprio= rttime= sigpending= stack=" "$cur"
        ;;
    *:--stop-signal | kill:-s | kill:--signal) _rl_compgen "$_rl_signals" "$cur" ;;
    *:--pull) _rl_compgen "missing always never newer" "$cur" ;;
    *:--network | *:--net) _rl_network_value "$cur" ;;
    *:--dns) _rl_compgen "none" "$cur" ;;
    *:--dns-search) _rl_compgen "." "$cur" ;;
    *:--dns-option | *:--dns-opt)
        _rl_compgen "ndots: timeout: attempts: rotate edns0 single-request single-request-reopen
            use-vc" "$cur"
        ;;
    *:--add-host)
        # NAME:IP; the address host-gateway is the host.
        [[ "$cur" == *:* ]] && _rl_compgen "${cur%%:*}:host-gateway" "$cur"
        ;;
    *:--log-driver) _rl_compgen "k8s-file none" "$cur" ;;
    *:--userns) _rl_compgen "host" "$cur" ;;
    *:--platform | *:--cert-dir) _rl_complete_value "$opt" "$verb" "$cur" ;;
    ps:-f | ps:--filter)
        _rl_compgen "name= id= status=created status=running status=exited ancestor= label=
            exited=" "$cur"
        ;;
    ps:--format) _rl_compgen "table json" "$cur" ;;
    inspect:-f | inspect:--format) _rl_compgen "json" "$cur" ;;
    inspect:-t | inspect:--type) _rl_compgen "container image all" "$cur" ;;
    wait:--condition) _rl_compgen "stopped exited" "$cur" ;;
    *) COMPREPLY=() ;;
    esac
}

# _rl_ctr_complete: complete the container commands (run, create, start, stop, restart, kill,
# rm, ps, wait, logs, exec, top, port, cp, export, rename, inspect, container), from the words
# of _rl_line_words.
_rl_ctr_complete() {
    local -a words
    local i=1 n w cur prev verb='' sub='' what='' root='' npos=0 type=all first='' selector=''

    _rl_line_words
    n=$((${#words[@]} - 1))
    cur=${words[n]}
    prev=${words[n - 1]}
    # The global options, the verb, for `container` its command, then options and
    # positional arguments. After the image of run and create, and the container of exec,
    # the words belong to the container's command.
    while [ "$i" -lt "$n" ]; do
        w=${words[i]}
        if [ -z "$verb" ]; then
            if _rl_takes_arg "$w"; then
                [ "$w" = --root ] && root=${words[i + 1]}
                i=$((i + 2))
                continue
            fi
            [[ "$w" != -* ]] && verb=$w && what=$w
        elif [ "$verb" = container ] && [ -z "$sub" ] && [[ "$w" != -* ]]; then
            sub=$w
            case "$sub" in
            remove) what='rm' ;;
            ls | list) what='ps' ;;
            *) what=$sub ;;
            esac
        elif [[ "$w" == -* ]]; then
            [[ "$w" == --type=* ]] && type=${w#--type=}
            # rl port --all|--latest takes no container.
            [ "$what" = port ] && [[ "$w" =~ ^(-a|--all|-l|--latest)$ ]] && selector=$w
            if [[ "$w" != *=* ]] && _rl_ctr_takes_arg "$w" "$what"; then
                [[ "$w" == -t || "$w" == --type ]] && [ "$what" = inspect ] && type=${words[i + 1]}
                i=$((i + 2))
                continue
            fi
        else
            [ "$npos" -eq 0 ] && first=$w
            npos=$((npos + 1))
            case "$what" in
            run | create | exec)
                # The rest is the container's command.
                COMPREPLY=()
                return
                ;;
            esac
        fi
        i=$((i + 1))
    done

    if [ "$i" -gt "$n" ]; then
        _rl_ctr_value "$prev" "$what" "$cur"
    elif [ "$verb" = container ] && [ -z "$sub" ]; then
        if [[ "$cur" == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "--help" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "$_rl_container_verbs" -- "$cur")
        fi
    elif [[ "$cur" == --tls-verify=* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "--tls-verify=true --tls-verify=false" -- "$cur")
    elif [[ "$cur" == --*=* ]]; then
        # --opt=value: the value, as for --opt value.
        _rl_ctr_value "${cur%%=*}" "$what" "${cur#*=}"
        COMPREPLY=("${COMPREPLY[@]/#/${cur%%=*}=}")
    elif [[ "$cur" == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(_rl_ctr_flags "$what")" -- "$cur")
    else
        case "$what" in
        run | create)
            mapfile -t COMPREPLY < <(compgen -W "$(_rl_images "$root")" -- "$cur")
            ;;
        stop | kill | exec | stats | update)
            mapfile -t COMPREPLY < <(compgen -W "$(_rl_containers "$root" running)" -- "$cur")
            ;;
        port)
            # The running container, then one of its published ports ("80/tcp").
            if [ -z "$selector" ] && [ "$npos" -eq 0 ]; then
                mapfile -t COMPREPLY < <(compgen -W "$(_rl_containers "$root" running)" -- "$cur")
            elif [ -z "$selector" ] && [ "$npos" -eq 1 ]; then
                mapfile -t COMPREPLY < <(compgen -W "$(_rl_ports "$root" "$first")" -- "$cur")
            fi
            ;;
        top)
            if [ "$npos" -eq 0 ]; then
                mapfile -t COMPREPLY < <(compgen -W "$(_rl_containers "$root" running)" -- "$cur")
            else
                mapfile -t COMPREPLY < <(compgen -W "$_rl_top_descriptors" -- "$cur")
            fi
            ;;
        cp)
            # CONTAINER: (no space after it) or a host path; nothing is completed in the
            # container.
            if [[ "$cur" != *:* ]]; then
                mapfile -t COMPREPLY < <(compgen -W "$(_rl_containers "$root" | sed 's/$/:/')" \
                    -- "$cur"; compgen -f -- "$cur")
                [ "${#COMPREPLY[@]}" -eq 1 ] && [[ "${COMPREPLY[0]}" == *: ]] &&
                    compopt -o nospace 2>/dev/null
            fi
            ;;
        start | restart | rm | wait | logs | exists | export)
            mapfile -t COMPREPLY < <(compgen -W "$(_rl_containers "$root")" -- "$cur")
            ;;
        rename)
            [ "$npos" -eq 0 ] &&
                mapfile -t COMPREPLY < <(compgen -W "$(_rl_containers "$root")" -- "$cur")
            ;;
        inspect)
            local names=''
            [ "$type" = image ] || names=$(_rl_containers "$root")
            [ "$verb" = container ] || [ "$type" = container ] ||
                names+=$'\n'$(_rl_images "$root")
            mapfile -t COMPREPLY < <(compgen -W "$names" -- "$cur")
            ;;
        *) COMPREPLY=() ;;
        esac
    fi
    _rl_trim_breaks "$cur"
}

# ---------------------------------------------------------------- volume

_rl_verbs+=" volume"
_rl_volume_verbs="create exists inspect ls list prune rm remove"

# _rl_volume_flags SUB: the options of `rl volume SUB`.
_rl_volume_flags() {
    case "$1" in
    create) echo "-l --label -o --opt --driver --ignore" ;;
    ls | list) echo "-f --filter --format -n --noheading -q --quiet" ;;
    inspect) echo "-a --all -f --format" ;;
    rm | remove) echo "-a --all -f --force -t --time" ;;
    prune) echo "-f --force --filter" ;;
    esac
    echo "--help"
}

# _rl_volume_takes_arg OPTION SUB: true when OPTION of `rl volume SUB` is followed by a value.
# -f is --filter of ls and --format of inspect, but --force of rm and prune.
_rl_volume_takes_arg() {
    case "$1" in
    -l | --label | -o | --opt | --driver | --filter | --format | -t | --time) return 0 ;;
    -f) [ "$2" = ls ] || [ "$2" = list ] || [ "$2" = inspect ] ;;
    *) return 1 ;;
    esac
}

# _rl_volumes ROOT: the names of the volumes (of --root ROOT), quietly.
_rl_volumes() {
    local -a cmd=("${_rl_prog:-rl}")
    [ -n "$1" ] && cmd+=(--root "$1")
    "${cmd[@]}" volume ls -q 2>/dev/null
}

# _rl_volume_complete FIRST ROOT: complete `rl volume`, whose command is at word FIRST or later.
_rl_volume_complete() {
    local i=$1 root=$2 cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    local sub='' w

    while [ "$i" -lt "$COMP_CWORD" ]; do
        w=${COMP_WORDS[i]}
        if [ -n "$sub" ] && _rl_volume_takes_arg "$w" "$sub"; then
            i=$((i + 2))
            continue
        fi
        [[ "$w" != -* ]] && [ -z "$sub" ] && sub=$w
        i=$((i + 1))
    done
    if [ "$i" -gt "$COMP_CWORD" ]; then
        case "$prev" in
        --filter | -f)
            if [ "$prev" = -f ] && [ "$sub" = inspect ]; then
                mapfile -t COMPREPLY < <(compgen -W "json" -- "$cur")
            else
                mapfile -t COMPREPLY < <(compgen -W "name= label= driver=local dangling=true
                    dangling=false" -- "$cur")
                [ "${#COMPREPLY[@]}" -eq 1 ] && [[ "${COMPREPLY[0]}" == *= ]] && compopt -o nospace 2>/dev/null
            fi
            ;;
        --format)
            if [ "$sub" = inspect ]; then
                mapfile -t COMPREPLY < <(compgen -W "json" -- "$cur")
            else
                mapfile -t COMPREPLY < <(compgen -W "table json" -- "$cur")
            fi
            ;;
        --driver) mapfile -t COMPREPLY < <(compgen -W "local" -- "$cur") ;;
        -o | --opt)
            mapfile -t COMPREPLY < <(compgen -W "o=uid= o=gid=" -- "$cur")
            compopt -o nospace 2>/dev/null
            ;;
        esac
        return 0
    fi
    if [ -z "$sub" ]; then
        if [[ "$cur" == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "--help" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "$_rl_volume_verbs" -- "$cur")
        fi
    elif [[ "$cur" == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(_rl_volume_flags "$sub")" -- "$cur")
    else
        case "$sub" in
        inspect | rm | remove | exists)
            mapfile -t COMPREPLY < <(compgen -W "$(_rl_volumes "$root")" -- "$cur")
            ;;
        esac
    fi
    return 0
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
    pull | images | rmi | tag | image | save | load | import | login | logout)
        _rl_image_complete
        ;;
    run | create | start | stop | restart | kill | rm | ps | wait | logs | exec | top | port | stats | update | \
        cp | export | rename | container | inspect)
        _rl_ctr_complete
        ;;
    info | doctor | version)
        if [ "$prev" = --format ] || [ "$prev" = -f ]; then
            mapfile -t COMPREPLY < <(compgen -W "text json" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "--format --help" -- "$cur")
        fi
        ;;
    volume) _rl_volume_complete $((i + 1)) "$root" ;;
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

# shellcheck shell=bash
# Shared helper sourced by every sandbox stub in this directory.
#
# A stub records its argv as one JSON array line in "$SANDBOX_LOG", checks
# whether "$SANDBOX_FAIL" asks it to fail, then prints canned output.
# See ../README.md for the environment variables.

STUB_NAME=${0##*/}
SANDBOX_STUB_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)

# Control characters other than \t \n \r, escaped as \u00XX in JSON strings.
_STUB_CONTROL_CHARS=()
for _stub_code in {1..8} 11 12 {14..31}; do
    # shellcheck disable=SC2059 # the format string builds the byte on purpose
    printf -v _stub_char "\\x$(printf '%02x' "$_stub_code")"
    _STUB_CONTROL_CHARS+=("$_stub_char")
done
unset _stub_code _stub_char

# stub_json_string TEXT: sets REPLY to TEXT as a JSON string literal.
stub_json_string() {
    local LC_ALL=C text=$1 char code
    text=${text//\\/\\\\}
    text=${text//\"/\\\"}
    text=${text//$'\n'/\\n}
    text=${text//$'\r'/\\r}
    text=${text//$'\t'/\\t}
    for char in "${_STUB_CONTROL_CHARS[@]}"; do
        if [[ $text == *"$char"* ]]; then
            printf -v code '\\u%04x' "'$char"
            text=${text//"$char"/$code}
        fi
    done
    REPLY="\"$text\""
}

# stub_record ARGS...: appends [STUB_NAME, ARGS...] to $SANDBOX_LOG.
stub_record() {
    [[ -n ${SANDBOX_NESTED:-} ]] && return 0
    if [[ -z ${SANDBOX_LOG:-} ]]; then
        printf '%s: sandbox stub refuses to run: SANDBOX_LOG is not set\n' "$STUB_NAME" >&2
        exit 125
    fi
    local line arg
    stub_json_string "$STUB_NAME"
    line="[$REPLY"
    for arg in "$@"; do
        stub_json_string "$arg"
        line+=",$REPLY"
    done
    line+="]"
    # One locked append per line keeps concurrent stubs (pipelines, background jobs) from interleaving.
    if command -v flock >/dev/null 2>&1; then
        if ! { flock 9 && printf '%s\n' "$line" >&9; } 9>>"$SANDBOX_LOG"; then
            printf '%s: sandbox stub cannot write %s\n' "$STUB_NAME" "$SANDBOX_LOG" >&2
            exit 125
        fi
    elif ! printf '%s\n' "$line" >>"$SANDBOX_LOG"; then
        printf '%s: sandbox stub cannot write %s\n' "$STUB_NAME" "$SANDBOX_LOG" >&2
        exit 125
    fi
}

# stub_check_fail ARGS...: exits with $SANDBOX_FAIL_CODE (default 1) when the
# space-joined invocation "STUB_NAME ARGS..." starts with one of the patterns
# in $SANDBOX_FAIL (separated by newlines or ';', shell globs allowed, matched
# at a word boundary).
stub_check_fail() {
    [[ -n ${SANDBOX_NESTED:-} || -z ${SANDBOX_FAIL:-} ]] && return 0
    local IFS=' ' invocation pattern
    invocation="$STUB_NAME${*:+ $*}"
    while IFS= read -r pattern; do
        pattern=${pattern#"${pattern%%[![:space:]]*}"}
        pattern=${pattern%"${pattern##*[![:space:]]}"}
        [[ -z $pattern ]] && continue
        # shellcheck disable=SC2053 # the pattern is a glob on purpose
        if [[ $invocation == $pattern || $invocation == $pattern' '* ]]; then
            if [[ -n ${SANDBOX_FAIL_MESSAGE:-} ]]; then
                printf '%s\n' "$SANDBOX_FAIL_MESSAGE" >&2
            else
                printf '%s: simulated failure (SANDBOX_FAIL matched "%s")\n' "$STUB_NAME" "$pattern" >&2
            fi
            exit "${SANDBOX_FAIL_CODE:-1}"
        fi
    done <<<"${SANDBOX_FAIL//;/$'\n'}"
}

# stub_begin ARGS...: record, then maybe fail. Every stub calls this first.
stub_begin() {
    stub_record "$@"
    stub_check_fail "$@"
}

# stub_follow EMIT_FUNCTION: keeps running like `tail -f`, calling
# EMIT_FUNCTION TICK every $SANDBOX_FOLLOW_INTERVAL seconds (default 1) until
# killed or until $SANDBOX_FOLLOW_MAX_SECONDS (default 120) have passed.
stub_follow() {
    local emit=$1 interval=${SANDBOX_FOLLOW_INTERVAL:-1} max=${SANDBOX_FOLLOW_MAX_SECONDS:-120}
    local started=$SECONDS tick=0
    _stub_sleeper=
    # Waiting on a background sleep lets the traps run at once instead of after the sleep.
    trap 'kill "$_stub_sleeper" 2>/dev/null; exit 143' TERM
    trap 'kill "$_stub_sleeper" 2>/dev/null; exit 130' INT
    trap 'kill "$_stub_sleeper" 2>/dev/null; exit 129' HUP
    while ((SECONDS - started < max)); do
        sleep "$interval" &
        _stub_sleeper=$!
        wait "$_stub_sleeper"
        tick=$((tick + 1))
        # A subshell, because bash 5.2 can run a trap in the middle of parsing a
        # `$(…)` and then fails with "unexpected EOF"; the subshell has no traps.
        ("$emit" "$tick") || exit 0
    done
    exit 0
}

# stub_has ARG ARGS...: true when ARG appears among ARGS.
stub_has() {
    local wanted=$1 arg
    shift
    for arg in "$@"; do
        [[ $arg == "$wanted" ]] && return 0
    done
    return 1
}

# stub_option NAMES ARGS...: prints the value of the first option among the
# '|'-separated NAMES, accepting "--name value", "--name=value" and "-nVALUE".
stub_option() {
    local names=$1 name
    shift
    local -a candidates
    IFS='|' read -r -a candidates <<<"$names"
    while (($#)); do
        for name in "${candidates[@]}"; do
            if [[ $1 == "$name" && $# -ge 2 ]]; then
                printf '%s\n' "$2"
                return 0
            elif [[ $name == --* && $1 == "$name="* ]]; then
                printf '%s\n' "${1#"$name="}"
                return 0
            elif [[ $name == -? && $1 == "$name"?* && $1 != --* ]]; then
                printf '%s\n' "${1#"$name"}"
                return 0
            fi
        done
        shift
    done
    return 1
}

# stub_state_dir NAME: prints (and creates) a directory for a stub's state.
stub_state_dir() {
    local dir=${SANDBOX_STATE_DIR:-${SANDBOX_LOG%/*}/state}/$1
    mkdir -p -- "$dir" && printf '%s\n' "$dir"
}

# stub_time FORMAT [SECONDS_AGO]: UTC time through bash's strftime.
stub_time() {
    local TZ=UTC
    printf "%($1)T\n" "$(($(printf '%(%s)T' -1) - ${2:-0}))"
}

# stub_container_down NAME: true when NAME (or its compose service) is listed
# in $SANDBOX_CONTAINERS_DOWN.
stub_container_down() {
    local name=$1 down
    for down in ${SANDBOX_CONTAINERS_DOWN:-}; do
        [[ $name == "$down" || $name == *-"$down"-1 ]] && return 0
    done
    return 1
}

# stub_api_health: prints "ok" or "degraded" as reported by the fake API's
# control endpoint, or nothing when no fake API is reachable.
stub_api_health() {
    [[ -n ${SANDBOX_API_URL:-} ]] || return 0
    local body
    body=$(curl -s --max-time 2 "$SANDBOX_API_URL/__control/health" 2>/dev/null) || return 0
    case $body in
        *'"degraded"'*) echo degraded ;;
        *'"ok"'*) echo ok ;;
    esac
}

# stub_container_exec CONTAINER COMMAND ARGS...: what a command prints when
# run inside a container (docker exec, kubectl exec, docker run).
stub_container_exec() {
    local container=$1
    shift
    local command=${1:-}
    [[ -n $command ]] && shift
    case $command in
        psql | mysql | mysqldump | pg_dump | pg_dumpall | pg_isready | redis-cli | nslookup | npx | pnpm)
            SANDBOX_NESTED=1 "$SANDBOX_STUB_DIR/$command" "$@"
            ;;
        curl) _stub_container_curl "$@" ;;
        cat)
            if [[ ${1:-} == /proc/self/environ || ${1:-} == /proc/1/environ ]]; then
                _stub_container_env "$container" | tr '\n' '\0'
            else
                printf 'cat: %s: No such file or directory\n' "${1:-}" >&2
                return 1
            fi
            ;;
        env | printenv) _stub_container_env "$container" ;;
        ps)
            printf 'PID   USER     TIME  COMMAND\n'
            printf '    1 bun       2:14 bun run src/index.ts\n'
            printf '   27 bun       0:41 bun /app/node_modules/.bin/mcp-worker --sessions 3\n'
            printf '   28 bun       0:39 bun /app/node_modules/.bin/mcp-worker --sessions 2\n'
            printf '  112 root      0:00 ps %s\n' "$*"
            ;;
        whoami)
            case $container in
                api | *muninn*) echo bun ;;
                *gitea*) echo git ;;
                *postgres*) echo postgres ;;
                *mariadb*) echo mysql ;;
                *redis*) echo redis ;;
                *) echo root ;;
            esac
            ;;
        nginx)
            if [[ $* == "-s reload" ]]; then
                printf '%s [notice] 1#1: signal process started\n' "$(stub_time '%Y/%m/%d %H:%M:%S')" >&2
            elif [[ ${1:-} == -t ]]; then
                printf 'nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\nnginx: configuration file /etc/nginx/nginx.conf test is successful\n' >&2
            fi
            ;;
        echo) printf '%s\n' "$*" ;;
        date) stub_time '%a %b %e %H:%M:%S UTC %Y' ;;
        hostname) printf '%s\n' "${container:0:12}" ;;
        sh | bash | rm | mkdir | touch | ls | true | cp | mv | chmod | chown | tar | sleep | kill | test)
            _stub_container_silent "$container" "$command" "$@"
            ;;
        "")
            echo '"docker exec" requires at least 2 arguments.' >&2
            return 1
            ;;
        *)
            # shellcheck disable=SC2016 # $PATH is part of docker's message
            printf 'OCI runtime exec failed: exec failed: unable to start container process: exec: "%s": executable file not found in $PATH: unknown\n' "$command" >&2
            return 127
            ;;
    esac
}

# Commands that change files inside the container have no visible effect,
# except tar archives written to or read from a host bind mount (docker run -v),
# which are created or checked on the host like the real thing.
_stub_container_silent() {
    local container=$1 command=$2
    shift 2
    [[ $command == tar ]] || return 0
    local mode=${1:-} archive=${2:-} host_path
    [[ $mode == *f* ]] || return 0
    host_path=$(_stub_host_path "$archive") || return 0
    if [[ $mode == *c* ]]; then
        local empty
        empty=$(mktemp -d) || return 1
        tar czf "$host_path" -C "$empty" . && rmdir "$empty"
    elif [[ $mode == *x* && ! -f $host_path ]]; then
        printf 'tar: %s: Cannot open: No such file or directory\ntar: Error is not recoverable: exiting now\n' "$archive" >&2
        return 2
    fi
}

# _stub_host_path CONTAINER_PATH: maps a path through $_STUB_MOUNTS ("host:container" lines).
_stub_host_path() {
    local path=$1 mount host target
    while IFS= read -r mount; do
        [[ -z $mount ]] && continue
        host=${mount%%:*}
        target=${mount#*:}
        target=${target%%:*}
        if [[ $host == /* && ( $path == "$target" || $path == "$target"/* ) ]]; then
            printf '%s\n' "$host${path#"$target"}"
            return 0
        fi
    done <<<"${_STUB_MOUNTS:-}"
    return 1
}

_stub_container_env() {
    case $1 in
        api | *muninn*)
            printf '%s\n' PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
                NODE_ENV=production PORT=3000 BASE_URL=https://api.muninn.pro \
                MGMT_DB_URL=libsql://muninn-mgmt-sandbox.turso.io TURSO_ORG=muninn \
                RATE_LIMIT_FREE=60 RATE_LIMIT_PRO=300 RATE_LIMIT_TEAM=1000 RATE_LIMIT_WINDOW_MS=60000 \
                MAX_POOL_SIZE=100 SESSION_TIMEOUT_MS=600000 HOME=/home/bun
            ;;
        *)
            printf '%s\n' PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
                HOSTNAME="${1:0:12}" HOME=/root
            ;;
    esac
}

# curl inside a container: localhost is the fake API, the internet is unreachable.
_stub_container_curl() {
    local -a args=()
    local arg url_host rewritten=no
    for arg in "$@"; do
        if [[ $arg =~ ^https?://([^/:]+)(:[0-9]+)?(/.*)?$ ]]; then
            url_host=${BASH_REMATCH[1]}
            case $url_host in
                localhost | 127.0.0.1 | 0.0.0.0)
                    if [[ -n ${SANDBOX_API_URL:-} ]]; then
                        arg="$SANDBOX_API_URL${BASH_REMATCH[3]}"
                        rewritten=yes
                    fi
                    ;;
                api.stripe.com)
                    printf '{\n  "error": {\n    "message": "Invalid API Key provided: test",\n    "type": "invalid_request_error"\n  }\n}\n'
                    return 0
                    ;;
                *)
                    printf 'curl: (6) Could not resolve host: %s\n' "$url_host" >&2
                    return 6
                    ;;
            esac
        fi
        args+=("$arg")
    done
    if [[ $rewritten == yes ]]; then
        curl "${args[@]}"
    else
        printf 'curl: (7) Failed to connect to localhost port 80 after 0 ms: Connection refused\n' >&2
        return 7
    fi
}

# stub_align: lays out tab-separated stdin as columns three spaces apart, like
# `column -t -s $'\t' -o '   '` (which is not installed everywhere).
stub_align() {
    local -a lines widths
    local line rest index cell
    while IFS= read -r line; do
        lines+=("$line")
        _stub_split_tabs "$line"
        for index in "${!_stub_cells[@]}"; do
            cell=${_stub_cells[$index]}
            ((${#cell} > ${widths[$index]:-0})) && widths[index]=${#cell}
        done
    done
    for line in "${lines[@]}"; do
        _stub_split_tabs "$line"
        rest=""
        for index in "${!_stub_cells[@]}"; do
            cell=${_stub_cells[$index]}
            if ((index == ${#_stub_cells[@]} - 1)); then
                rest+=$cell
            else
                printf -v cell '%s%*s' "$cell" $((widths[index] - ${#cell} + 3)) ''
                rest+=$cell
            fi
        done
        printf '%s\n' "${rest%"${rest##*[! ]}"}"
    done
}

_stub_split_tabs() {
    local rest=$1
    _stub_cells=()
    while [[ $rest == *$'\t'* ]]; do
        _stub_cells+=("${rest%%$'\t'*}")
        rest=${rest#*$'\t'}
    done
    _stub_cells+=("$rest")
}

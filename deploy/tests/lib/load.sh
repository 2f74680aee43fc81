# shellcheck shell=bash
# Continuous load through nginx for the loopback deployment tests, counted per status code.
# Source after common.sh.
#
#   load_start URL [WORKERS] [CURL ARGS...]   start WORKERS (default 3) curl loops on URL
#   load_count                                requests answered so far (any status)
#   load_wait_more N [SECONDS]                wait until N more requests were answered
#   load_stop                                 stop the workers and wait for them
#   load_report                               "N requests: 200×N …" summary
#   load_failures                             requests not answered 2xx (000 = no answer)
#
# Each worker runs curl over and over, 25 requests per run on one kept-alive connection,
# and appends one line per request to $WORK/load/<worker>.log: the status code (000 when
# no answer came), and for failures curl's exit code and error. Several load_start calls
# may run side by side (e.g. a second URL with its own --rate).

LOAD_DIR="$WORK/load"
LOAD_PIDS=()

load_worker() {
    local log="$1" url="$2" i
    shift 2
    local -a urls=()
    for ((i = 0; i < 25; i++)); do urls+=("$url" -o /dev/null); done
    while [ ! -e "$LOAD_DIR/stop" ]; do
        # No retries of our own: every failure nginx lets through must show up.
        curl -ks --http1.1 --max-time 30 -w '%{http_code} %{exitcode} %{errormsg}\n' "$@" "${urls[@]}" \
            2>/dev/null | sed -E 's/^(2[0-9][0-9]) 0 $/\1/' >>"$log" || true
    done
}

load_start() {
    local url="$1" workers="${2:-3}" w
    shift 2 || shift $#
    mkdir -p "$LOAD_DIR"
    rm -f "$LOAD_DIR/stop"
    for ((w = 0; w < workers; w++)); do
        load_worker "$LOAD_DIR/w${#LOAD_PIDS[@]}.log" "$url" "$@" &
        LOAD_PIDS+=("$!")
        on_exit "stop_pid $! 2"
    done
}

load_count() { cat "$LOAD_DIR"/w*.log 2>/dev/null | wc -l; }

load_wait_more() {
    local n="$1" timeout="${2:-120}" target
    target=$(($(load_count) + n))
    wait_until "$timeout" "$n more requests through nginx" load_reached "$target"
}

load_reached() { [ "$(load_count)" -ge "$1" ]; }

load_stop() {
    local pid
    touch "$LOAD_DIR/stop"
    for pid in "${LOAD_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    LOAD_PIDS=()
}

load_report() {
    printf '%s requests: ' "$(load_count)"
    cat "$LOAD_DIR"/w*.log | awk '{ print $1 }' | sort | uniq -c |
        awk '{ printf "%s%s×%s", sep, $2, $1; sep = ", " } END { print "" }'
}

load_failures() { cat "$LOAD_DIR"/w*.log | grep -vc '^2[0-9][0-9]$' || true; }

# The failed requests' lines (status, curl exit code, error), for the failure message.
load_failure_lines() { cat "$LOAD_DIR"/w*.log | grep -v '^2[0-9][0-9]$' | sort | uniq -c | head -n 5; }

# Starts over: forget the counts of earlier runs.
load_reset() { rm -f "$LOAD_DIR"/w*.log; }

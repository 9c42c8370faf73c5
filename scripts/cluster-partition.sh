#!/usr/bin/env bash
# Partitions a real two-node cluster: each node a separate OS process (`foundation node`) in
# its own network namespace, joined by a veth pair, with mutual TLS. Checks on node a's
# output what it sees when the network between them drops every packet, heals, when node b
# hangs with its sockets open (SIGSTOP), restarts (a new incarnation) and dies (SIGKILL).
#
#   sudo bash scripts/cluster-partition.sh
#
# Needs root, `ip` and `tc` (iproute2) and `openssl` (for scripts/cluster-certs.sh). Without
# root or network namespaces it says loudly that it did NOT run, and exits 0, or 1 when the
# environment variable CI is set (so CI cannot pass without it).
#
# Environment:
#   FOUNDATION_BIN     the `foundation` binary to run; otherwise it is built
#                      (cargo build --release -p foundation-cli --locked, in CARGO_TARGET_DIR
#                      if set, else target/).
#   PARTITION_METHOD   how to cut the link: netem, nft, iptables, tc-drop or link-down.
#                      Default: the first that works, in that order. netem (`tc qdisc ...
#                      netem loss 100%` on both veth ends) drops packets as a lost network
#                      does; nft and iptables drop what each namespace receives on its veth;
#                      tc-drop is a `pfifo limit 0` root qdisc on both ends (every packet sent
#                      is dropped; the kernel has it whenever it has tc at all); link-down sets
#                      both veth ends down. With each, the nodes' sockets stay open.
#   CI                 if set (non-empty), not being able to run is a failure.
#
# Timeline (node a listens on 10.213.0.1:7001 and watches b's `echo`; b listens on
# 10.213.0.2:7002 with a as its seed; tick 250 ms, detection 1000 ms): b up; partition;
# heal; SIGSTOP b; a new b; SIGKILL b. The addresses exist only inside the two namespaces
# made here. Every wait has a deadline; the run (after the build) takes about 7 s and at
# most 60 s. An EXIT trap kills every node process started here and deletes the namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."

TICK_MS=250
DETECTION_MS=1000
SLACK_MS=1500         # allowed on top of the detection time
UP_MS=5000            # a reconnection or a new node: up within this
KILL_MS=1000          # a killed node's socket closes: down within this
POLL_MARGIN_MS=300    # polling goes on this long past a bound, to tell late from missing
# The membership protocol (SWIM) declares a node that stopped answering down between
# DETECTION_MS - TICK_MS and DETECTION_MS after it stopped (`unreachable`); the connection's
# own backstop closes a connection silent for twice the detection time (`timed_out`). Earlier
# than DETECTION_MS - TICK_MS (a tick of lateness allowed) is wrong.
EARLIEST_MS=$((DETECTION_MS - 2 * TICK_MS))
SETTLE_MS=500         # quiet time after a scenario's events, to catch any that come twice
NODE_SECS=55          # each node stops by itself after this, whatever happens here
RUN_LIMIT_MS=58000    # no wait goes past this (from the start of the nodes)

# --- not being able to run -----------------------------------------------------------------

not_run() {
    {
        echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
        echo "!! CLUSTER PARTITION TEST NOT RUN: $1."
        echo "!! Nodes in separate network namespaces, partitioned, healed, stopped and killed,"
        echo "!! were NOT tested."
        echo "!! To run it: as root, with iproute2 and openssl installed"
        echo "!!            (apt-get install -y iproute2 openssl):"
        echo "!!            sudo bash scripts/cluster-partition.sh"
        echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    } >&2
    if [[ -n ${CI:-} ]]; then
        echo "cluster-partition: CI is set, so not running is a failure" >&2
        exit 1
    fi
    exit 0
}

[[ $(id -u) -eq 0 ]] || not_run "it needs root (network namespaces, veth, tc), and runs as uid $(id -u)"
command -v ip >/dev/null 2>&1 || not_run "the ip command is missing (apt-get install iproute2)"
command -v openssl >/dev/null 2>&1 || not_run "the openssl command is missing (apt-get install openssl)"
ip netns list >/dev/null 2>&1 || not_run "\`ip netns\` does not work here"

# --- clock ---------------------------------------------------------------------------------

# Sets NOW_US and NOW_MS to the wall clock in microseconds and milliseconds (bash 5's
# EPOCHREALTIME: no process started; else date +%s%N).
now() {
    NOW_US=${EPOCHREALTIME:-}
    NOW_US=${NOW_US/[.,]/}
    if [[ -z $NOW_US ]]; then
        NOW_US=$(($(date +%s%N) / 1000))
    fi
    NOW_MS=$((NOW_US / 1000))
}

# --- cleanup, whatever happens -------------------------------------------------------------

ns_a="fpart-a-$$"
ns_b="fpart-b-$$"
veth_a="fpa$$"
veth_b="fpb$$"
addr_a=10.213.0.1
addr_b=10.213.0.2
node_pids=()
made_ns=()
tmp=$(mktemp -d)

cleanup() {
    local rc=$? pid ns
    trap - EXIT
    set +e
    exec 2>/dev/null # no "Killed" notices for the nodes
    for pid in "${node_pids[@]}"; do
        kill -9 "$pid" 2>/dev/null
    done
    # Anything else left in the namespaces was started here too (they are new and private).
    for ns in "${made_ns[@]}"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            kill -9 "$pid" 2>/dev/null
        done
    done
    for pid in "${node_pids[@]}"; do
        wait "$pid" 2>/dev/null
    done
    for ns in "${made_ns[@]}"; do
        ip netns del "$ns" 2>/dev/null
    done
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# --- the network ---------------------------------------------------------------------------

ip netns add "$ns_a" 2>/dev/null || not_run "\`ip netns add\` fails (no network namespaces)"
made_ns+=("$ns_a")
ip netns add "$ns_b"
made_ns+=("$ns_b")
ip link add "$veth_a" netns "$ns_a" type veth peer name "$veth_b" netns "$ns_b" 2>/dev/null ||
    not_run "a veth pair cannot be made (no veth in this kernel?)"
ip -n "$ns_a" addr add "$addr_a/24" dev "$veth_a"
ip -n "$ns_b" addr add "$addr_b/24" dev "$veth_b"
for ns in "$ns_a" "$ns_b"; do
    ip -n "$ns" link set lo up
done
ip -n "$ns_a" link set "$veth_a" up
ip -n "$ns_b" link set "$veth_b" up

# Each end: namespace and device.
ends=("$ns_a $veth_a" "$ns_b $veth_b")

# Whether METHOD can cut the link here (tried on the veth, then undone).
method_works() {
    local end ns dev
    case $1 in
        netem)
            command -v tc >/dev/null 2>&1 || return 1
            for end in "${ends[@]}"; do
                read -r ns dev <<<"$end"
                ip netns exec "$ns" tc qdisc add dev "$dev" root netem loss 0% 2>/dev/null || return 1
                ip netns exec "$ns" tc qdisc del dev "$dev" root 2>/dev/null || return 1
            done
            ;;
        nft)
            command -v nft >/dev/null 2>&1 || return 1
            ip netns exec "$ns_a" nft add table inet fpart_probe 2>/dev/null || return 1
            ip netns exec "$ns_a" nft delete table inet fpart_probe 2>/dev/null || return 1
            ;;
        iptables)
            command -v iptables >/dev/null 2>&1 || return 1
            ip netns exec "$ns_a" iptables -w -A INPUT -i "$veth_a" -j ACCEPT 2>/dev/null || return 1
            ip netns exec "$ns_a" iptables -w -D INPUT -i "$veth_a" -j ACCEPT 2>/dev/null || return 1
            ;;
        tc-drop)
            command -v tc >/dev/null 2>&1 || return 1
            ip netns exec "$ns_a" tc qdisc add dev "$veth_a" root pfifo limit 0 2>/dev/null || return 1
            ip netns exec "$ns_a" tc qdisc del dev "$veth_a" root 2>/dev/null || return 1
            ;;
        link-down) ;;
        *)
            echo "cluster-partition: unknown PARTITION_METHOD '$1'" \
                "(netem, nft, iptables, tc-drop or link-down)" >&2
            exit 1
            ;;
    esac
}

if [[ -n ${PARTITION_METHOD:-} ]]; then
    method=$PARTITION_METHOD
    method_works "$method" || {
        echo "cluster-partition: PARTITION_METHOD=$method does not work here" >&2
        exit 1
    }
else
    method=
    if ! method_works netem && command -v modprobe >/dev/null 2>&1; then
        modprobe sch_netem 2>/dev/null || true
    fi
    for m in netem nft iptables tc-drop link-down; do
        if method_works "$m"; then
            method=$m
            break
        fi
    done
    if [[ $method != netem ]]; then
        echo "cluster-partition: netem cannot be used here (no sch_netem in this kernel, or" \
            "no tc); the partition uses $method instead" >&2
    fi
fi

partition() {
    local end ns dev
    for end in "${ends[@]}"; do
        read -r ns dev <<<"$end"
        case $method in
            netem) ip netns exec "$ns" tc qdisc add dev "$dev" root netem loss 100% ;;
            nft)
                ip netns exec "$ns" nft -f - <<EOF
table inet fpart {
    chain input {
        type filter hook input priority 0; policy accept;
        iifname "$dev" drop
    }
}
EOF
                ;;
            iptables) ip netns exec "$ns" iptables -w -I INPUT -i "$dev" -j DROP ;;
            tc-drop) ip netns exec "$ns" tc qdisc add dev "$dev" root pfifo limit 0 ;;
            link-down) ip -n "$ns" link set "$dev" down ;;
        esac
    done
}

heal() {
    local end ns dev
    for end in "${ends[@]}"; do
        read -r ns dev <<<"$end"
        case $method in
            netem | tc-drop) ip netns exec "$ns" tc qdisc del dev "$dev" root ;;
            nft) ip netns exec "$ns" nft delete table inet fpart ;;
            iptables) ip netns exec "$ns" iptables -w -D INPUT -i "$dev" -j DROP ;;
            link-down) ip -n "$ns" link set "$dev" up ;;
        esac
    done
}

# --- the binary and the certificates -------------------------------------------------------

if [[ -n ${FOUNDATION_BIN:-} ]]; then
    bin=$FOUNDATION_BIN
else
    echo "== building foundation (release)"
    cargo build --release -p foundation-cli --locked
    bin=${CARGO_TARGET_DIR:-target}/release/foundation
fi
[[ -x $bin ]] || { echo "cluster-partition: $bin is not an executable" >&2; exit 1; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

bash scripts/cluster-certs.sh "$tmp/ca" a b >/dev/null
# Each node gets the CA's certificate and its own certificate and key, not the CA's key.
for name in a b; do
    mkdir -p "$tmp/tls-$name"
    cp "$tmp/ca/ca.pem" "$tmp/ca/$name.pem" "$tmp/ca/$name.key" "$tmp/tls-$name/"
done

# --- the nodes -----------------------------------------------------------------------------

log_a=$tmp/a.log
log_b=$tmp/b.log
b_runs=0

# start_node NAMESPACE LOG START_FILE ARGS...: runs `foundation node ARGS` in NAMESPACE, stdout
# to LOG (appended), stderr to LOG.err; writes to START_FILE the wall clock (microseconds)
# just before the exec, the earliest the node's ms 0 can be. Sets STARTED_PID (the node's
# own pid: ip and bash exec into it).
start_node() {
    local ns=$1 log=$2 start_file=$3
    shift 3
    # shellcheck disable=SC2016 # for the inner bash
    ip netns exec "$ns" bash -c \
        't=${EPOCHREALTIME:-}; t=${t/[.,]/}; [[ -n $t ]] || t=$(($(date +%s%N) / 1000))
         echo "$t" >"$0"; exec "$@"' \
        "$start_file" "$bin" node "$@" >>"$log" 2>>"$log.err" &
    STARTED_PID=$!
    node_pids+=("$STARTED_PID")
}

# SIGKILLs a node and reaps it (a killed process cannot linger), without bash's "Killed" notice.
kill_node() {
    { kill -9 "$1" && wait "$1"; } 2>/dev/null || true
}

common=(--tick-ms "$TICK_MS" --detection-ms "$DETECTION_MS" --duration "$NODE_SECS")

start_b() {
    b_runs=$((b_runs + 1))
    echo "--- b, run $b_runs" >>"$log_b"
    start_node "$ns_b" "$log_b" "$tmp/b.start" --name b --listen "$addr_b:7002" \
        --seed "$addr_a:7001" --tls-dir "$tmp/tls-b" "${common[@]}"
    b_pid=$STARTED_PID
}

# The number of complete lines in node a's log.
lines_a() {
    local n
    n=$(wc -l <"$log_a")
    echo $((n))
}

# wait_a FROM BOUND_MS SINCE_MS REGEX: waits until a line of node a's log after line FROM
# matches REGEX (extended), for at most BOUND_MS + POLL_MARGIN_MS from SINCE_MS (wall clock),
# polling every 50 ms. Sets LINE to the first such line and AT_MS to its time on the wall
# clock (from its `ms`); returns 1 if none came (or node a is gone).
wait_a() {
    local from=$1 bound=$2 since=$3 regex=$4 deadline found
    deadline=$((since + bound + POLL_MARGIN_MS))
    ((deadline <= run_limit)) || deadline=$run_limit
    LINE=
    AT_MS=
    while :; do
        found=$(tail -n +"$((from + 1))" "$log_a" | grep -E -m1 -- "$regex" || true)
        if [[ -n $found ]]; then
            LINE=$found
            AT_MS=$((a_epoch_ms + $(num_field "$found" ms)))
            return 0
        fi
        now
        if ((NOW_MS >= deadline)) || ! kill -0 "$a_pid" 2>/dev/null; then
            # One last look: the line may have come just now.
            found=$(tail -n +"$((from + 1))" "$log_a" | grep -E -m1 -- "$regex" || true)
            if [[ -n $found ]]; then
                LINE=$found
                AT_MS=$((a_epoch_ms + $(num_field "$found" ms)))
                return 0
            fi
            return 1
        fi
        sleep 0.05
    done
}

# count_a FROM TO REGEX: how many lines of node a's log in (FROM, TO] match REGEX.
count_a() {
    local n
    if (($2 <= $1)); then
        echo 0
        return
    fi
    n=$(sed -n "$(($1 + 1)),$2p" "$log_a" | grep -E -c -- "$3" || true)
    echo $((n))
}

num_field() {
    local re="\"$2\":([0-9]+)"
    [[ $1 =~ $re ]] && echo "${BASH_REMATCH[1]}" || echo 0
}

str_field() {
    local re="\"$2\":\"([^\"]*)\""
    if [[ $1 =~ $re ]]; then echo "${BASH_REMATCH[1]}"; fi
}

settle() {
    sleep "$(printf '0.%03d' "$SETTLE_MS")"
}

# Events on node a about node b (or about what a watches there).
UP_B='^\{"event":"up","node":"b",.*\}$'
DOWN_B='^\{"event":"down","node":"b",.*\}$'
WATCHING_B='^\{"event":"watching","node":"b",.*\}$'
# What a says after b is up: that it watches b's `echo`, or why it cannot.
WATCH_OUTCOME_B='^\{"event":"(watching|error)","node":"b",.*\}$'
LINK_EXIT='^\{"event":"link_exit",.*\}$'
MON_DOWN='^\{"event":"monitor_down",.*\}$'

# --- results -------------------------------------------------------------------------------

res_name=()
res_expect=()
res_measured=()
res_ok=()
problems=()
failed=0
broken=   # set when a scenario's end state was not reached: the later ones cannot run

# result NAME EXPECTED MEASURED OK [PROBLEM...]
result() {
    res_name+=("$1")
    res_expect+=("$2")
    res_measured+=("$3")
    res_ok+=("$4")
    shift 4
    local p
    for p in "$@"; do
        problems+=("${res_name[-1]}: $p")
    done
    [[ ${res_ok[-1]} == pass ]] || failed=1
}

# check_count FROM TO REGEX N WHAT: adds to `issues` if not exactly N lines in (FROM, TO] match.
check_count() {
    local from=$1 to=$2 regex=$3 want=$4 what=$5 got
    got=$(count_a "$from" "$to" "$regex")
    if ((got != want)); then
        issues+=("$what: $got line(s) on a, expected $want")
    fi
}

skip() {
    result "$1" "$2" "-" "SKIPPED" "not run: $broken"
}

now
run_start=$NOW_MS
run_limit=$((run_start + RUN_LIMIT_MS))

# --- scenario 1: b up, a watching it -------------------------------------------------------

: >"$log_a"
: >"$log_b"
start_node "$ns_a" "$log_a" "$tmp/a.start" --name a --listen "$addr_a:7001" --watch b \
    --tls-dir "$tmp/tls-a" "${common[@]}"
a_pid=$STARTED_PID
# Node a's clock: its lines' `ms` count from its start. Its first line (`listening`, ms 0 or
# so) is watched for without pause (bash's read: no process started; at most 5 s), so the
# moment it is seen, less its ms, is a's start on the wall clock, a millisecond or so late
# at most: the times measured from it are never shorter than the true ones. (The moment
# just before the exec, in a.start, is the earliest it can be; shown below.)
now
a_deadline=$((NOW_MS + 5000))
a_origin_us=
while :; do
    if IFS= read -r first <"$log_a" 2>/dev/null && [[ $first == '{"event":"listening",'*'}' ]]; then
        now
        a_origin_us=$((NOW_US - $(num_field "$first" ms) * 1000))
        break
    fi
    now
    ((NOW_MS < a_deadline)) && kill -0 "$a_pid" 2>/dev/null || break
done
if [[ -z $a_origin_us ]]; then
    broken="node a did not start listening within 5 s"
    a_origin_us=$NOW_US
fi
a_epoch_ms=$((a_origin_us / 1000))
a_exec_us=$(cat "$tmp/a.start" 2>/dev/null || echo "$a_origin_us")

S1="1 b up, a watching"
issues=()
if [[ -z $broken ]]; then
    from=$(lines_a)
    now
    t_b1=$NOW_MS
    start_b
    b1_pid=$b_pid
    if wait_a "$from" "$UP_MS" "$t_b1" "$UP_B"; then
        up1_ms=$((AT_MS - t_b1))
        creation1=$(num_field "$LINE" creation)
        if wait_a "$from" "$UP_MS" "$t_b1" "$WATCH_OUTCOME_B" && [[ $LINE =~ $WATCHING_B ]]; then
            watched1=$(str_field "$LINE" pid)
        else
            issues+=("a does not watch b: ${LINE:-no watching line}")
            broken="a does not watch b"
        fi
        settle
        to=$(lines_a)
        check_count "$from" "$to" "$UP_B" 1 "up b"
        check_count "$from" "$to" "$DOWN_B" 0 "down b"
        ((up1_ms <= UP_MS)) || issues+=("up after ${up1_ms} ms")
        result "$S1" "up+watching <= ${UP_MS}" "$up1_ms" \
            "$( ((${#issues[@]} == 0)) && echo pass || echo FAIL)" "${issues[@]}"
    else
        broken="b never came up on a"
        result "$S1" "up+watching <= ${UP_MS}" "none" FAIL "no up line for b"
    fi
else
    skip "$S1" "up+watching <= ${UP_MS}"
fi

# expect_loss NAME FROM SINCE MIN BOUND DOWN_REGEX EXPECTED_TEXT: the down of b and the link
# exit and monitor down of what a watches, each from MIN to BOUND ms after SINCE; then each
# exactly once in (FROM, now] after SETTLE_MS of quiet. Records the result; sets LOSS_MS (to
# the down).
expect_loss() {
    local name=$1 from=$2 since=$3 min=$4 bound=$5 down_regex=$6 expected=$7 to what regex t
    issues=()
    LOSS_MS=none
    if wait_a "$from" "$bound" "$since" "$DOWN_B"; then
        LOSS_MS=$((AT_MS - since))
        if ! [[ $LINE =~ $down_regex ]]; then
            issues+=("down with the wrong reason: $LINE")
        fi
        ((LOSS_MS <= bound)) || issues+=("down after $LOSS_MS ms (bound $bound)")
        ((LOSS_MS >= min)) || issues+=("down after $LOSS_MS ms, before the $min ms it cannot come before")
    else
        issues+=("no down line for b within $((bound + POLL_MARGIN_MS)) ms")
    fi
    for what in link_exit monitor_down; do
        [[ -n ${watched:-} ]] || continue
        regex='^\{"event":"'$what'",.*\}$'
        if wait_a "$from" "$bound" "$since" "$regex"; then
            t=$((AT_MS - since))
            [[ $(str_field "$LINE" reason) == noconnection ]] ||
                issues+=("$what with the wrong reason: $LINE")
            [[ $(str_field "$LINE" pid) == "${watched:-}" ]] ||
                issues+=("$what for $(str_field "$LINE" pid), a watches ${watched:-nothing}")
            ((t <= bound)) || issues+=("$what after $t ms (bound $bound)")
            ((t >= min)) || issues+=("$what after $t ms, before $min ms")
            LOSS_DETAIL+=" $what=${t}ms"
        else
            issues+=("no $what line within $((bound + POLL_MARGIN_MS)) ms")
        fi
    done
    # Nothing watched on b (see scenario 3): no link exit or monitor down to come.
    local relations=1
    if [[ -z ${watched:-} ]]; then
        relations=0
        LOSS_DETAIL+=" (a watches nothing on b: no link_exit or monitor_down expected)"
    fi
    settle
    to=$(lines_a)
    check_count "$from" "$to" "$DOWN_B" 1 "down b"
    check_count "$from" "$to" "$LINK_EXIT" "$relations" "link_exit"
    check_count "$from" "$to" "$MON_DOWN" "$relations" "monitor_down"
    check_count "$from" "$to" "$UP_B" 0 "up b"
    result "$name" "$expected" "$LOSS_MS" \
        "$( ((${#issues[@]} == 0)) && echo pass || echo FAIL)" "${issues[@]}"
}

# --- scenario 2: partition (packets dropped, sockets open) ---------------------------------

S2="2 partition ($method)"
E2="down unreachable|timed_out ${EARLIEST_MS}..$((DETECTION_MS + SLACK_MS))"
if [[ -z $broken ]]; then
    watched=$watched1
    from=$(lines_a)
    now
    t_cut=$NOW_MS
    partition
    LOSS_DETAIL=
    expect_loss "$S2" "$from" "$t_cut" "$EARLIEST_MS" "$((DETECTION_MS + SLACK_MS))" \
        '"reason":"(unreachable|timed_out)"' "$E2"
    partition_ms=$LOSS_MS
    partition_detail=$LOSS_DETAIL
    [[ $LOSS_MS != none ]] || broken="a did not see the partition"
else
    skip "$S2" "$E2"
fi

# --- scenario 3: heal ----------------------------------------------------------------------

S3="3 heal: same b back"
E3="up same creation <= $UP_MS"
if [[ -n ${t_cut:-} ]]; then
    # Healed whatever happened above, so that the later scenarios can run.
    from=$(lines_a)
    now
    t_heal=$NOW_MS
    heal
fi
if [[ -z $broken ]]; then
    issues=()
    if wait_a "$from" "$UP_MS" "$t_heal" "$UP_B"; then
        heal_ms=$((AT_MS - t_heal))
        creation=$(num_field "$LINE" creation)
        [[ $creation == "$creation1" ]] ||
            issues+=("b came back with creation $creation, was $creation1 (same process)")
        ((heal_ms <= UP_MS)) || issues+=("up after $heal_ms ms")
        # Not a reason to stop: the later scenarios need b connected, not watched.
        if wait_a "$from" "$UP_MS" "$t_heal" "$WATCH_OUTCOME_B" && [[ $LINE =~ $WATCHING_B ]]; then
            watched=$(str_field "$LINE" pid)
        else
            watched=
            issues+=("a does not watch b again: ${LINE:-no watching line}")
        fi
        settle
        to=$(lines_a)
        check_count "$from" "$to" "$UP_B" 1 "up b"
        check_count "$from" "$to" "$DOWN_B" 0 "down b"
        check_count "$from" "$to" "$LINK_EXIT" 0 "link_exit"
        check_count "$from" "$to" "$MON_DOWN" 0 "monitor_down"
        result "$S3" "$E3" "$heal_ms" \
            "$( ((${#issues[@]} == 0)) && echo pass || echo FAIL)" "${issues[@]}"
    else
        broken="b did not come back after the heal"
        result "$S3" "$E3" "none" FAIL "no up line for b within $((UP_MS + POLL_MARGIN_MS)) ms"
    fi
else
    skip "$S3" "$E3"
fi

# --- scenario 4: b hangs (SIGSTOP), sockets open -------------------------------------------

S4="4 SIGSTOP b"
E4="down unreachable|timed_out ${EARLIEST_MS}..$((DETECTION_MS + SLACK_MS))"
if [[ -z $broken ]]; then
    from=$(lines_a)
    now
    t_stop=$NOW_MS
    kill -STOP "$b1_pid" 2>/dev/null || true # if b is gone already, the checks say so
    LOSS_DETAIL=
    # The SIGKILL of the stopped b comes inside this scenario's window: it must add nothing.
    expect_loss "$S4" "$from" "$t_stop" "$EARLIEST_MS" "$((DETECTION_MS + SLACK_MS))" \
        '"reason":"(unreachable|timed_out)"' "$E4"
    stop_ms=$LOSS_MS
    stop_detail=$LOSS_DETAIL
    # Then the stopped b is killed: its kernel closes its sockets, which must add nothing
    # on a (that connection is already down there).
    mid=$(lines_a)
    kill_node "$b1_pid"
    settle
    to=$(lines_a)
    extra=$(count_a "$mid" "$to" "$DOWN_B|$UP_B|$LINK_EXIT|$MON_DOWN")
    if ((extra == 0)); then
        result "4b SIGKILL the stopped b" "nothing more on a" "0 lines" pass
    else
        result "4b SIGKILL the stopped b" "nothing more on a" "$extra lines" FAIL \
            "after the SIGKILL: $(sed -n "$((mid + 1)),${to}p" "$log_a" | tr '\n' ' ')"
    fi
    [[ $stop_ms != none ]] || broken="a did not see b hang"
else
    [[ -z ${b1_pid:-} ]] || kill_node "$b1_pid"
    skip "$S4" "$E4"
fi

# --- scenario 5: a new b (a new incarnation) -----------------------------------------------

S5="5 new b process"
E5="up new creation <= $UP_MS"
if [[ -z $broken ]]; then
    issues=()
    from=$(lines_a)
    now
    t_b2=$NOW_MS
    start_b
    b2_pid=$b_pid
    if wait_a "$from" "$UP_MS" "$t_b2" "$UP_B"; then
        up2_ms=$((AT_MS - t_b2))
        creation2=$(num_field "$LINE" creation)
        [[ $creation2 != "$creation1" ]] ||
            issues+=("the new b has the creation of the old one ($creation2)")
        ((up2_ms <= UP_MS)) || issues+=("up after $up2_ms ms")
        if wait_a "$from" "$UP_MS" "$t_b2" "$WATCH_OUTCOME_B" && [[ $LINE =~ $WATCHING_B ]]; then
            watched=$(str_field "$LINE" pid)
        else
            issues+=("a does not watch the new b: ${LINE:-no watching line}")
            broken="a does not watch the new b"
        fi
        settle
        to=$(lines_a)
        check_count "$from" "$to" "$UP_B" 1 "up b"
        check_count "$from" "$to" "$DOWN_B" 0 "down b"
        result "$S5" "$E5" "$up2_ms" \
            "$( ((${#issues[@]} == 0)) && echo pass || echo FAIL)" "${issues[@]}"
    else
        broken="the new b never came up on a"
        result "$S5" "$E5" "none" FAIL "no up line for the new b"
    fi
else
    skip "$S5" "$E5"
fi

# --- scenario 6: b killed (SIGKILL): its kernel closes the socket --------------------------

S6="6 SIGKILL b"
E6="down closed|io <= $KILL_MS"
if [[ -z $broken ]]; then
    from=$(lines_a)
    now
    t_kill=$NOW_MS
    kill_node "$b2_pid"
    LOSS_DETAIL=
    expect_loss "$S6" "$from" "$t_kill" 0 "$KILL_MS" '"reason":"(closed|io)"' "$E6"
    kill_ms=$LOSS_MS
    kill_detail=$LOSS_DETAIL
else
    skip "$S6" "$E6"
fi

# --- the end -------------------------------------------------------------------------------

kill -TERM "$a_pid" 2>/dev/null || true
now
wait_a 0 3000 "$NOW_MS" '^\{"event":"stopped",.*\}$' || true
now
run_ms=$((NOW_MS - run_start))

echo
echo "cluster partition: nodes a (ns $ns_a, $addr_a) and b (ns $ns_b, $addr_b), mutual TLS,"
echo "tick ${TICK_MS} ms, detection ${DETECTION_MS} ms, partition by $method; times from node a's"
echo "output (its ms field against the script's clock)"
printf '%-26s %-32s %10s  %s\n' scenario expected "measured" result
for i in "${!res_name[@]}"; do
    printf '%-26s %-32s %10s  %s\n' "${res_name[$i]}" "${res_expect[$i]}" \
        "${res_measured[$i]}$([[ ${res_measured[$i]} =~ ^[0-9]+$ ]] && echo ' ms')" "${res_ok[$i]}"
done
[[ -z ${partition_detail:-} ]] || echo "partition:${partition_detail} (down at ${partition_ms} ms)"
[[ -z ${stop_detail:-} ]] || echo "sigstop:${stop_detail} (down at ${stop_ms} ms)"
[[ -z ${kill_detail:-} ]] || echo "sigkill:${kill_detail} (down at ${kill_ms} ms)"
echo "node a's clock: started $(((a_origin_us - a_exec_us) / 1000)) ms after its exec (at most);" \
    "run time (after the build): ${run_ms} ms"

if ((failed)) || ((run_ms > 60000)); then
    ((run_ms <= 60000)) || problems+=("the run took ${run_ms} ms (limit 60000)")
    echo
    echo "FAILED:"
    for p in "${problems[@]}"; do
        echo "  - $p"
    done
    for name in a b; do
        echo "---- node $name stdout ($tmp/$name.log)"
        cat "$tmp/$name.log"
        if [[ -s $tmp/$name.log.err ]]; then
            echo "---- node $name stderr"
            cat "$tmp/$name.log.err"
        fi
    done
    exit 1
fi
echo "all scenarios passed"

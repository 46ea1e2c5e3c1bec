#!/usr/bin/env bash
# Hedgerow side by side with real peer filters (Squid, Squid + squidGuard, E2Guardian, dnsmasq,
# unbound) in one run of the shared peer harness: same machine, same 1 M-domain list, same
# local nginx origin and DNS stub, each system under test pinned to one core.
#
#   bench/peers.sh [--only http,connect,dns] [--quick] [--peers "LIST"] [--dns-peers "LIST"]
#                  [--out DIR] [--no-unpinned] [--no-nolog]
#
# Steps: peers.sh setup (list in $PEERS_WORK/lists/domains.txt) → the same list imported into a
# fresh Hedgerow data folder as category `malware` (blocked for everyone by the reference
# policy) → `hedgerow start` (decision log on, as shipped) and, beside it, the same start with the
# decision log's sink off (bench/serve-without-log.ts; the peers log nothing) → run-all.sh with
# the peers and both Hedgerows → a second, unpinned (PIN=0) proxy run of Hedgerow alone for the
# two-core figure → everything stopped. Results: $OUT/results.md (pinned) and
# $OUT/unpinned/results.md.
#
# Needs root (the harness edits /etc/hosts and starts daemons as their users) and the peers
# installed once: sudo $PEERS_DIR/install.sh.
# Env: PEERS_DIR (default ../shared/bench/peers beside the repository), PEERS_WORK (scratch,
#      default a new temp folder), RUNS/DURATION/WARMUP/DNS_RUNS (harness defaults; --quick =
#      RUNS=1 DURATION=3 WARMUP=1), BLOCKLIST/BLOCKLIST_SIZE (see the harness README),
#      HR_PROXY_PORT (13130) HR_DNS_PORT (15358) HR_HTTP_PORT (18090), +1 each for the
#      log-off instance. ORIGIN_TLS_PORT defaults to 8443 here: Hedgerow tunnels only to 443
#      and 8443 (the peers' CONNECT ports are configured from the same variable).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
: "${PEERS_DIR:=$ROOT/../shared/bench/peers}"
[ -x "$PEERS_DIR/run-all.sh" ] || { echo "peer harness not found in $PEERS_DIR (set PEERS_DIR)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "run as root (the harness edits /etc/hosts and starts the peers' daemons)" >&2; exit 2; }

ONLY="http,connect,dns" QUICK=0 UNPINNED=1 NOLOG=1 OUT="" PEER_ARGS=()
while [ $# -gt 0 ]; do
  case $1 in
    --only) ONLY=$2; shift 2 ;;
    --quick) QUICK=1; shift ;;
    --peers|--dns-peers) PEER_ARGS+=("$1" "$2"); shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --no-unpinned) UNPINNED=0; shift ;;
    --no-nolog) NOLOG=0; shift ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ "$QUICK" = 1 ]; then export RUNS=${RUNS:-1} DURATION=${DURATION:-3} WARMUP=${WARMUP:-1} DNS_RUNS=${DNS_RUNS:-1}; fi
export PEERS_WORK=${PEERS_WORK:-$(mktemp -d -t hedgerow-peers.XXXXXX)}
export ORIGIN_TLS_PORT=${ORIGIN_TLS_PORT:-8443}
# our processes are named `hedgerow` (below), so the harness does not count them as foreign load
export OWN_COMM_EXTRA=${OWN_COMM_EXTRA:+$OWN_COMM_EXTRA|}hedgerow
: "${HR_PROXY_PORT:=13130}" "${HR_DNS_PORT:=15358}" "${HR_HTTP_PORT:=18090}"
OUT=${OUT:-$PEERS_WORK/results-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
HW="$PEERS_WORK/hedgerow"
mkdir -p "$HW/bin"
log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

PIDS=()
cleanup() {
  local p i
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for i in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  "$PEERS_DIR/peers.sh" stop-all >/dev/null 2>&1 || true
  "$PEERS_DIR/peers.sh" hosts-del >/dev/null 2>&1 || true
}
trap cleanup EXIT

# 1. the peers' list (and configs); BLOCKLIST= swaps in real lists
"$PEERS_DIR/peers.sh" setup
LIST="$PEERS_WORK/lists/domains.txt"
BL=$("$PEERS_DIR/peers.sh" blocked-host)

# 2. the same list in a fresh data folder, as a category the reference policy blocks for everyone
key="$(cat "$PEERS_WORK/lists/.key")"
for variant in log nolog; do
  d="$HW/data-$variant"
  if [ "$(cat "$d/.peerbench-key" 2>/dev/null)" != "$key" ]; then
    rm -rf "$d"; mkdir -p "$d"
    log "importing $LIST into $d"
    HEDGEROW_DATA="$d" node "$ROOT/bin/hedgerow.js" lists import "$LIST" --format domains --category malware --name peerbench >&2
    echo "$key" > "$d/.peerbench-key"
  fi
done

# 3. configuration: loopback only; the DNS filter forwards to the harness's stub; every loopback
# client is a teacher (the origin is uncategorised, so it is allowed for any role)
config() { # variant proxy dns http
  cat > "$HW/$1.yaml" <<EOF
dataDir: $HW/data-$1
proxy: { host: 127.0.0.1, port: $2, allowedClients: [127.0.0.0/8] }
dns: { host: 127.0.0.1, port: $3, upstreams: [{ host: 127.0.0.1, port: ${STUB_DNS_PORT:-15353} }] }
http: { host: 127.0.0.1, port: $4 }
networks: [{ name: benchmark clients, cidr: 127.0.0.0/8, role: teacher }]
watchPolicy: false
EOF
}
config log "$HR_PROXY_PORT" "$HR_DNS_PORT" "$HR_HTTP_PORT"
config nolog $((HR_PROXY_PORT + 1)) $((HR_DNS_PORT + 1)) $((HR_HTTP_PORT + 1))

# 4. start; the process is node under the name `hedgerow` (a link to node: comm = `hedgerow`)
ln -sf "$(readlink -f "$(command -v node)")" "$HW/bin/hedgerow"
blocked_code() { curl -s -o /dev/null -m 2 -w '%{http_code}' -x "127.0.0.1:$1" "http://$BL/some/page.html" 2>/dev/null; }
start_hedgerow() { # variant proxyport -> prints pid; ready = launch -> first blocked answer (20 ms polls)
  local v=$1 port=$2 t0 pid
  t0=$(now_ms)
  if [ "$v" = log ]; then
    (cd "$ROOT" && exec "$HW/bin/hedgerow" bin/hedgerow.js start --config "$HW/$v.yaml") > "$HW/$v.out" 2>&1 &
  else
    (cd "$ROOT" && exec "$HW/bin/hedgerow" --import tsx bench/serve-without-log.ts "$HW/$v.yaml") > "$HW/$v.out" 2>&1 &
  fi
  pid=$!
  until [ "$(blocked_code "$port")" = 403 ]; do
    kill -0 "$pid" 2>/dev/null || { log "hedgerow ($v) exited:"; tail -20 "$HW/$v.out" >&2; return 1; }
    [ $(( $(now_ms) - t0 )) -lt 120000 ] || { log "hedgerow ($v) not ready after 120 s"; return 1; }
    sleep 0.02
  done
  echo "$v ready_ms=$(( $(now_ms) - t0 ))" >> "$OUT/hedgerow-start.txt"
  log "hedgerow ($v) pid=$pid ready in $(( $(now_ms) - t0 )) ms"
  echo "$pid"
}
: > "$OUT/hedgerow-start.txt"
PID_LOG=$(start_hedgerow log "$HR_PROXY_PORT"); PIDS+=("$PID_LOG")
ARGS=(--proxy "hedgerow=127.0.0.1:$HR_PROXY_PORT@$PID_LOG" --dns "hedgerow-dns=127.0.0.1:$HR_DNS_PORT@$PID_LOG")
if [ "$NOLOG" = 1 ]; then
  PID_NOLOG=$(start_hedgerow nolog $((HR_PROXY_PORT + 1))); PIDS+=("$PID_NOLOG")
  ARGS+=(--proxy "hedgerow-nolog=127.0.0.1:$((HR_PROXY_PORT + 1))@$PID_NOLOG" --dns "hedgerow-dns-nolog=127.0.0.1:$((HR_DNS_PORT + 1))@$PID_NOLOG")
fi
# the allowed page must really come through (the block was checked above)
"$PEERS_DIR/peers.sh" start origin >/dev/null
for port in $HR_PROXY_PORT $( [ "$NOLOG" = 1 ] && echo $((HR_PROXY_PORT + 1)) ); do
  code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' -x "127.0.0.1:$port" "http://${ORIGIN_HOST:-origin.peerbench.test}:${ORIGIN_PORT:-18081}/small.html" || true)
  [ "$code" = 200 ] || { log "the allowed page through hedgerow on $port answered $code, not 200"; exit 1; }
done
"$PEERS_DIR/peers.sh" stop origin

# 5. one run: peers + Hedgerow, pinned (the harness pins @PID trees to the SUT core)
{ echo "hedgerow commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo NA)$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ' (+ local changes)')"
  echo "RUNS=${RUNS:-5} DURATION=${DURATION:-6} WARMUP=${WARMUP:-2} DNS_RUNS=${DNS_RUNS:-${RUNS:-5}} ORIGIN_TLS_PORT=$ORIGIN_TLS_PORT only=$ONLY"; } > "$OUT/hedgerow-env.txt"
"$PEERS_DIR/run-all.sh" --out "$OUT" --only "$ONLY" "${PEER_ARGS[@]}" "${ARGS[@]}"
for p in "${PIDS[@]}"; do grep -E '^(VmRSS|VmHWM)' "/proc/$p/status" | tr '\n' ' ' | sed "s/^/pid $p: /" >> "$OUT/hedgerow-start.txt"; echo >> "$OUT/hedgerow-start.txt"; done

# 6. the unpinned figure: Hedgerow (log on) alone with PIN=0, proxy tests only
PROXY_ONLY=$(echo "$ONLY" | tr ',' '\n' | grep -E '^(http|connect)$' | paste -sd, - || true)
if [ "$UNPINNED" = 1 ] && [ -n "$PROXY_ONLY" ]; then
  for t in $(ls "/proc/$PID_LOG/task"); do taskset -p -c "0-$(( $(nproc --all) - 1 ))" "$t" >/dev/null 2>&1 || true; done
  PIN=0 "$PEERS_DIR/run-all.sh" --out "$OUT/unpinned" --only "$PROXY_ONLY" --peers "" --dns-peers "" \
    --proxy "hedgerow-2core=127.0.0.1:$HR_PROXY_PORT@$PID_LOG"
fi
log "results: $OUT/results.md${UNPINNED:+ and $OUT/unpinned/results.md}"

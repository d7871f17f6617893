#!/usr/bin/env bash
# `make bench-http`: wrk against `izuma-local serve` (release): the trivial /health beside the
# authenticated GET /v3/accounts/me and the management call GET /v3/applications.
#
# The machine is shared and noisy, so the endpoints are measured in ROUNDS short runs, alternating
# /health, /me and /applications within each round; each endpoint's ratio is taken per round
# (against that round's /health) and the median and range over the rounds are printed.
set -euo pipefail
BIN=${1:-target/release/izuma-local}
DURATION=${DURATION:-3s}
ROUNDS=${ROUNDS:-5}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-2}

tmp=$(mktemp -d)
"$BIN" serve --db "$tmp/bench.db" --admin-key-file "$tmp/admin.key" >"$tmp/out" 2>/dev/null &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do grep -q listening "$tmp/out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$tmp/out")
key=$(cat "$tmp/admin.key")

# One wrk run: prints "req/s p50 p99", latencies in µs.
run() {
  local path=$1 auth=$2 out
  if [[ $auth == yes ]]; then
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "Authorization: Bearer $key" "$url$path")
  else
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$url$path")
  fi
  awk 'function us(v) { if (v ~ /us$/) return v + 0; if (v ~ /ms$/) return v * 1000; return v * 1000000 }
       /Requests\/sec/ {rps=$2} /^ +50%/ {p50=us($2)} /^ +99%/ {p99=us($2)}
       END {printf "%s %s %s\n", rps, p50, p99}' <<<"$out"
}

declare -A rps p50 p99 ratio
endpoints=(/health /v3/accounts/me /v3/applications)
for round in $(seq "$ROUNDS"); do
  read -r h _50 _99 < <(run /health no)
  rps[/health]+="$h "; p50[/health]+="$_50 "; p99[/health]+="$_99 "; ratio[/health]+="1 "
  for path in /v3/accounts/me /v3/applications; do
    read -r r _50 _99 < <(run "$path" yes)
    rps[$path]+="$r "; p50[$path]+="$_50 "; p99[$path]+="$_99 "
    ratio[$path]+="$(echo "$r / $h" | bc -l) "
  done
  echo "round $round/$ROUNDS done" >&2
done

# "median min max" of a list of numbers.
stats() {
  tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{v[NR]=$1} END {
    m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2; printf "%s %s %s\n", m, v[1], v[NR] }'
}

printf '%-24s %22s %10s %10s %18s\n' endpoint "req/s (min-max)" "p50 µs" "p99 µs" "ratio (min-max)"
for path in "${endpoints[@]}"; do
  read -r rm rlo rhi < <(stats "${rps[$path]}")
  read -r l50 _ _ < <(stats "${p50[$path]}")
  read -r l99 _ _ < <(stats "${p99[$path]}")
  read -r qm qlo qhi < <(stats "${ratio[$path]}")
  printf '%-24s %8.0f (%5.0f-%5.0f) %10.0f %10.0f %6.2f (%4.2f-%4.2f)\n' \
    "GET $path" "$rm" "$rlo" "$rhi" "$l50" "$l99" "$qm" "$qlo" "$qhi"
done
echo "(medians of $ROUNDS alternating rounds of wrk -t$THREADS -c$CONNECTIONS -d$DURATION; goal: authenticated >= 0.5 of /health)"

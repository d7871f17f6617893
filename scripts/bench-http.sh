#!/usr/bin/env bash
# `make bench-http`: wrk against `izuma-local serve` (release): the trivial /health beside the
# authenticated GET /v3/accounts/me and the management call GET /v3/applications.
set -euo pipefail
BIN=${1:-target/release/izuma-local}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-2}

tmp=$(mktemp -d)
"$BIN" serve --db "$tmp/bench.db" --admin-key-file "$tmp/admin.key" >"$tmp/out" 2>/dev/null &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do grep -q listening "$tmp/out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$tmp/out")
key=$(cat "$tmp/admin.key")

# One wrk run: prints "req/s p50 p90 p99" for the endpoint.
run() {
  local path=$1 auth=$2 out
  if [[ $auth == yes ]]; then
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "Authorization: Bearer $key" "$url$path")
  else
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$url$path")
  fi
  awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +90%/ {p90=$2} /^ +99%/ {p99=$2}
       END {printf "%s %s %s %s\n", rps, p50, p90, p99}' <<<"$out"
}

read -r health_rps h50 h90 h99 < <(run /health no)
read -r me_rps m50 m90 m99 < <(run /v3/accounts/me yes)
read -r apps_rps a50 a90 a99 < <(run /v3/applications yes)

printf '%-26s %12s %10s %10s %10s %8s\n' endpoint req/s p50 p90 p99 ratio
printf '%-26s %12s %10s %10s %10s %8s\n' "GET /health" "$health_rps" "$h50" "$h90" "$h99" 1.00
printf '%-26s %12s %10s %10s %10s %8.2f\n' "GET /v3/accounts/me" "$me_rps" "$m50" "$m90" "$m99" "$(echo "$me_rps / $health_rps" | bc -l)"
printf '%-26s %12s %10s %10s %10s %8.2f\n' "GET /v3/applications" "$apps_rps" "$a50" "$a90" "$a99" "$(echo "$apps_rps / $health_rps" | bc -l)"
echo "(wrk -t$THREADS -c$CONNECTIONS -d$DURATION; goal: authenticated >= 0.5 of /health)"

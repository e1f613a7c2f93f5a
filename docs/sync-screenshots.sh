#!/usr/bin/env bash
# Retakes the sync screenshots in docs/: a central on loopback, a demo station synced to it
# from the command line (so central has verified some records and returned others), then the
# station's real window under Xvfb: the home screen's sync panel, the Sync screen, and a record
# central returned, opened by its officer. Needs: xvfb xdotool imagemagick.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
go build -tags no_emoji -o "$work/station" ./cmd/station
go build -o "$work/central" ./cmd/central
port=18443
"$work/central" init --url "https://127.0.0.1:$port" --dir "$work/central-data" >/dev/null
"$work/station" demo --records 60 --seed 11 --db "$work/st/station.db" --register "$work/register.csv" >"$work/demo.out" 2>/dev/null
pw=$(grep -o 'password [^ ]*' "$work/demo.out" | cut -d' ' -f2)
"$work/central" register load "$work/register.csv" --dir "$work/central-data" >/dev/null
"$work/central" station add DEMO-01 --name "Công an phường Kim Liên" --out "$work/p.json" --dir "$work/central-data" >/dev/null
echo "$pw" | "$work/station" provision "$work/p.json" --user demo.officer --db "$work/st/station.db" >/dev/null 2>&1
"$work/central" serve --dir "$work/central-data" --listen "127.0.0.1:$port" >/dev/null 2>&1 &
central=$!
sleep 1
echo "$pw" | "$work/station" sync --user demo.officer --db "$work/st/station.db" 2>/dev/null
# Eight more records, saved after the sync: they wait for the next pass.
echo "$pw" | "$work/station" demo --records 8 --seed 12 --db "$work/st/station.db" --user demo.officer --register "$work/register2.csv" >/dev/null 2>&1
"$work/central" register load "$work/register2.csv" --dir "$work/central-data" >/dev/null

Xvfb :97 -screen 0 1366x768x24 >/dev/null 2>&1 &
xvfb=$!
export DISPLAY=:97
sleep 1
STATION_DB="$work/st/station.db" "$work/station" --sim-seed 3 >"$work/station.log" 2>&1 &
app=$!
trap 'kill $app $xvfb $central 2>/dev/null; rm -rf "$work"' EXIT
sleep 4
wid=$(xdotool search --name "Trạm cấp" | head -1)
xdotool windowsize "$wid" 1366 768 windowmove "$wid" 0 0 windowfocus "$wid"
sleep 1
k() { xdotool key --delay 80 "$@"; }
t() { xdotool type --delay 15 "$1"; }
shot() { sleep "${2:-0.8}"; import -window root "docs/$1.png"; echo "docs/$1.png"; }

t "demo.officer"; k Return; t "$pw"; k Return
sleep 6 # the login's sync pass packs and sends the eight new records
xdotool mousemove 612 431 click 1 # "later" on the offer to resume a draft
shot 11-home-sync 2.5
k ctrl+shift+s
shot 12-sync 1.5
k alt+Left; sleep 1
# The Drafts tab, then its first row: a record central returned.
xdotool mousemove 547 136 click 1; sleep 1
xdotool mousemove 700 210 click 1 # below the column headers
shot 13-returned-record 1.5

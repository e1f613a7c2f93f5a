#!/usr/bin/env bash
# Retakes the screenshots in docs/: a real station window under Xvfb, on a new database, driven
# by the keyboard alone (xdotool). Vietnamese text goes in through the clipboard, as xdotool
# cannot type it into GLFW windows. Needs: xvfb xdotool xclip imagemagick.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
go build -tags no_emoji -o "$work/station" ./cmd/station
Xvfb :98 -screen 0 1366x768x24 >/dev/null 2>&1 &
xvfb=$!
export DISPLAY=:98
sleep 1
STATION_DB="$work/station.db" "$work/station" --sim-seed 3 >"$work/station.log" 2>&1 &
app=$!
trap 'kill $app $xvfb 2>/dev/null; rm -rf "$work"' EXIT
sleep 4
wid=$(xdotool search --name "Trạm cấp" | head -1)
xdotool windowsize "$wid" 1366 768 windowmove "$wid" 0 0 windowfocus "$wid"
sleep 1
k() { xdotool key --delay 80 "$@"; }
t() { xdotool type --delay 15 "$1"; }
p() { printf '%s' "$1" | xclip -selection clipboard; sleep 0.2; xdotool key ctrl+v; sleep 0.2; }
shot() { sleep "${2:-0.8}"; import -window root "docs/$1.png"; echo "docs/$1.png"; }

p "Công an phường Khâm Thiên"; k Tab; t "HN-DD-KT-01"; k Tab; t "lan.nt"; k Tab
p "Nguyễn Thị Lan"; k Tab; t "matkhau2026"; k Tab; t "matkhau2026"
shot 00-first-run
k Return; sleep 4
shot 00-recovery-key
k space; k Tab; k space; sleep 1
t "lan.nt"; k Return; t "matkhau2026"
shot 01-login
k Return
shot 02-home 4
k ctrl+n; sleep 1
# The QR scanner types the card's code and Enter into the focused QR field.
p "036192004321|162345678|Trần Thị Bích Ngọc|02071992|Nữ|Xóm 3, Xã Nghĩa Hưng, Nam Định|15082021"; k Return
shot 03-identify
k ctrl+Return; sleep 1
t "+84 912 345 678"; k Tab; t "ngoc.tran@gmail.com"; k Tab; k space
shot 04-contact
k ctrl+Return
shot 05-portrait-live 2
k space
shot 06-portrait-taken 5
k ctrl+Return; sleep 1
k space; sleep 2; k space
shot 07-fingerprints 2
k ctrl+Return; sleep 1
k space
shot 08-review
k ctrl+Return
shot 09-saved 1.5
k ctrl+s; sleep 1.5
k ctrl+shift+a
shot 10-admin 1.5

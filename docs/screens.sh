#!/usr/bin/env bash
# Retakes docs/screens/: every screen of the station in Vietnamese and English at 1366×768,
# and the receipt rendered to PNG. The screens are drawn by Fyne's software renderer while
# TestTranslationWalk walks them (the same walk that fails on an untranslated text), so no
# display is needed. Needs what the tests need (bash .ci/deps), poppler-utils included.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$PWD/docs/screens"
rm -rf "$out"
mkdir -p "$out"
ENROLL_SCREENS_DIR="$out" go test ./ui -run '^TestTranslationWalk$' -count=1
ls "$out" | wc -l | xargs echo "screens written to docs/screens:"

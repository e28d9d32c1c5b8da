#!/usr/bin/env bash
# Start the bundled llm-explorer the way a student's machine would: no venv, no Python on PATH,
# no network, an empty home and cache. Render the attention pane on the bundled SmolLM2 and check it.
#
#   packaging/smoke_test.sh [BUNDLE_DIR]      (default build/dist/llm-explorer)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUNDLE=$(cd "${1:-$ROOT/build/dist/llm-explorer}" && pwd)
APP="$BUNDLE/llm-explorer"
[ -x "$APP" ] || { echo "FAIL: $APP not found; run packaging/build_linux.sh first" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/llm-explorer-smoke.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/home" "$WORK/cache" "$WORK/empty-path"

# A private network namespace has no network at all; where that is not allowed, point every
# proxy at a closed port and keep the Hub offline.
NET=()
if unshare -rn true 2>/dev/null; then
    NET=(unshare -rn)
    echo "network: none (private network namespace)"
else
    echo "network: proxies pointed at a closed port (unshare not permitted here)"
fi

run_app() {
    "${NET[@]}" env -i HOME="$WORK/home" LLM_EXPLORER_CACHE="$WORK/cache" PATH="$WORK/empty-path" \
        QT_QPA_PLATFORM=offscreen HF_HUB_OFFLINE=1 \
        http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 \
        HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 \
        "$@"
}

fail() { echo "FAIL: $*" >&2; exit 1; }

if run_app /bin/sh -c 'command -v python3 || command -v python' >/dev/null 2>&1; then
    fail "a Python is on the PATH of the test environment"
fi

echo "== llm-explorer list"
run_app "$APP" list > "$WORK/list.txt" 2>&1 || { cat "$WORK/list.txt"; fail "list exited with an error"; }
for wanted in "causal-lm +smollm2 +offline +available" "encoder +minilm +offline +available" \
              "word-vectors +glove-50d +offline +available" "tokenizer +gpt-4o +offline +available" \
              "tokenizer +mistral +offline +available"; do
    grep -Eq "$wanted" "$WORK/list.txt" || { cat "$WORK/list.txt"; fail "bundled model missing: $wanted"; }
done

# run_cli NAME EXPECTED COMMAND...: one CLI command in the bundle; it must exit 0, print EXPECTED
# (an extended regular expression) on stdout and no traceback
run_cli() {
    local name=$1 expected=$2
    shift 2
    echo "== llm-explorer $*"
    run_app "$APP" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" \
        || { cat "$WORK/$name.out" "$WORK/$name.err"; fail "$name exited with an error"; }
    grep -q "Traceback" "$WORK/$name.err" && { cat "$WORK/$name.err"; fail "$name printed a traceback"; }
    grep -Eq "$expected" "$WORK/$name.out" || { cat "$WORK/$name.out" "$WORK/$name.err"; fail "$name: no /$expected/"; }
    # a successful --json call says nothing on stderr
    case " $* " in *" --json "*) [ ! -s "$WORK/$name.err" ] || { cat "$WORK/$name.err"; fail "$name --json wrote to stderr"; } ;; esac
}

# every command that loads a model, vectors or a tokenizer (the SmolLM2 ones after the screenshot,
# whose first run converts SmolLM2 into the cache)
run_cli analogy "queen" analogy --positive king woman --negative man
run_cli neighbors '"frog"|frogs|toad' neighbors --vectors glove-50d --word frog --k 5 --json
run_cli tokenize '"gpt-4o"' tokenize -t gpt-4o -t gpt2 -t gpt-4 -t mistral -t bert-base-uncased -t smollm2 \
    --text "Sarah fed the cat 🐈" --json
run_cli attention-minilm '"num_layers": 6' attention --model minilm --text "Sarah fed the cat because it" \
    --out "$WORK/minilm.npz"
run_cli similarity '"similarity"|"scores"|"matrix"' similarity --model mini-clip \
    --image "$BUNDLE/_internal/resources/icons/llm-explorer.png" --text "a red circle" --text "a blue star" --json

PANE=${SMOKE_PANE:-attention}
PRESET=${SMOKE_PRESET:-sarah}
SHOT="$WORK/$PANE.png"
echo "== llm-explorer screenshot --pane $PANE --preset $PRESET (first run converts SmolLM2 into the cache)"
start=$(date +%s)
if ! run_app "$APP" screenshot --pane "$PANE" --preset "$PRESET" --out "$SHOT" --size 1600x1000 \
        --timeout 900 > "$WORK/shot.log" 2>&1; then
    tail -30 "$WORK/shot.log"
    fail "screenshot exited with an error"
fi
echo "screenshot took $(( $(date +%s) - start )) s"
grep -q "Traceback" "$WORK/shot.log" && { tail -30 "$WORK/shot.log"; fail "a traceback was printed"; }

# PNG checks without Python: signature, IHDR width/height, and enough bytes to hold a real picture
[ -f "$SHOT" ] || fail "no PNG written"
sig=$(od -An -tx1 -N8 "$SHOT" | tr -d ' \n')
[ "$sig" = "89504e470d0a1a0a" ] || fail "not a PNG file"
read -r w3 w2 w1 w0 h3 h2 h1 h0 < <(od -An -tu1 -j16 -N8 "$SHOT")
width=$(( (w3 << 24) | (w2 << 16) | (w1 << 8) | w0 ))
height=$(( (h3 << 24) | (h2 << 16) | (h1 << 8) | h0 ))
[ "$width" -eq 1600 ] && [ "$height" -eq 1000 ] || fail "screenshot is ${width}x${height}, expected 1600x1000"
bytes=$(stat -c %s "$SHOT")
# a blank or nearly blank 1600x1000 window compresses to a few KB; a painted attention map is far larger
[ "$bytes" -gt 60000 ] || fail "screenshot is only $bytes bytes: the window looks blank"
echo "screenshot: ${width}x${height}, $bytes bytes"
if [ -n "${SMOKE_KEEP:-}" ]; then cp "$SHOT" "$SMOKE_KEEP"; echo "kept a copy in $SMOKE_KEEP"; fi

run_cli next-token '" Paris"' next-token --model smollm2 --text "The capital of France is" --top-k 3 --json
run_cli generate '"new_ids"' generate --model smollm2 --text "The capital of France is" --max-new-tokens 4 \
    --temperature 0 --json
run_cli attention-smollm2 '"num_layers": 30' attention --model smollm2 --text "Sarah fed the cat because it" \
    --out "$WORK/smollm2.npz"

echo "== cold start to the first painted window"
# drop the page cache when allowed (root on a real machine), so the first start is really cold
if (sync && echo 3 > /proc/sys/vm/drop_caches) 2>/dev/null; then cache_note="page cache dropped"; else
    cache_note="page cache not dropped (not permitted): a warm start"; fi
for attempt in 1 2; do
    t0=$(date +%s.%N)
    out=$(run_app /usr/bin/env LLM_EXPLORER_STARTUP_PROBE=1 LLM_EXPLORER_STARTUP_PROBE_T0="$t0" "$APP" 2>&1) \
        || { echo "$out" | tail -20; fail "the window did not start"; }
    paint=$(echo "$out" | sed -n 's/^first-paint \([0-9.]*\).*/\1/p' | head -1)
    [ -n "$paint" ] || { echo "$out" | tail -20; fail "no first-paint line: the window never painted"; }
    label=$([ "$attempt" = 1 ] && echo "first start ($cache_note)" || echo "second start")
    echo "first paint after ${paint} s: $label"
done
echo "smoke test passed"

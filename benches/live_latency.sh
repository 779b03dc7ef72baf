#!/usr/bin/env bash
# Measures live transcription while recording. It plays about a minute of real speech
# (eight clips with 2 s of silence between them) into a private PulseAudio virtual
# microphone and records it with Whisperrr's recorder. For each clip it prints how long
# after the end of its speech the committed text arrived, then the median and 95th
# percentile of those latencies and the word error rate of the live text. As a reference from the same run it
# also transcribes the whole playlist in one pass.
#
# Not a timed test: the figures depend on the machine and on what else runs on it. Pass
# `--source replay` to feed the transcriber directly at real-time pace without any sound
# system; other options are listed at the top of core/examples/live_latency/main.rs.
#
# Needs the Debian packages pulseaudio, pulseaudio-utils and libasound2-plugins
# (`.ci/install-deps --test`) and the test fixtures (`target/debug/fetch-fixtures`).
set -euo pipefail
cd "$(dirname "$0")/.."

nice -n 10 cargo build --workspace --examples --locked
target/debug/fetch-fixtures >/dev/null

# The benchmark runs at normal priority, so builds at nice 10 disturb it less.
exec target/debug/examples/live_latency "$@"

#!/usr/bin/env bash
# Fuzzes the decode entry point for a set time: fuzz/run.sh SECONDS (default 600).
#
# Needs a nightly toolchain, cargo-fuzz (`cargo install cargo-fuzz`) and, to write the seed
# files, ffmpeg, sox and lame. Seeds are short tones in every supported format plus WMA,
# written into fuzz/corpus/decode on the first run. The corpus grows there as the fuzzer
# finds new paths. Findings land in fuzz/artifacts/decode. Each input that runs longer
# than 10 s counts as a hang, and so does any panic, even one the decoder's guard would
# catch, because libFuzzer aborts on every panic. The target is built like a release build
# (`-O`: optimised, without overflow checks), as the app ships. The last lines printed
# give the executions, the coverage (`cov`, edges) and the corpus size.
set -euo pipefail
cd "$(dirname "$0")"

seconds="${1:-600}"
corpus=corpus/decode
mkdir -p "$corpus" artifacts/decode

if [[ -z "$(ls -A "$corpus")" ]]; then
  seeds=$(mktemp -d)
  trap 'rm -rf "$seeds"' EXIT
  sox -n -r 16000 -c 1 -b 16 "$seeds/tone.wav" synth 0.5 sine 440
  sox -n -r 44100 -c 2 -b 16 "$seeds/stereo.wav" synth 0.5 sine 440
  encode() { ffmpeg -hide_banner -loglevel error -y -i "$1" "${@:3}" "$corpus/$2"; }
  encode "$seeds/tone.wav" alaw.wav -c:a pcm_alaw
  encode "$seeds/stereo.wav" float.wav -c:a pcm_f32le
  encode "$seeds/stereo.wav" adpcm.wav -c:a adpcm_ms
  encode "$seeds/stereo.wav" tone.flac
  encode "$seeds/stereo.wav" tone.ogg -c:a libvorbis
  encode "$seeds/stereo.wav" tone.opus -c:a libopus -b:a 16k
  encode "$seeds/stereo.wav" tone.webm -c:a libopus -b:a 16k
  encode "$seeds/stereo.wav" tone.m4a -c:a aac -b:a 32k
  encode "$seeds/stereo.wav" faststart.m4a -c:a aac -b:a 32k -movflags +faststart
  encode "$seeds/stereo.wav" alac.m4a -c:a alac
  encode "$seeds/stereo.wav" tone.mka -c:a flac
  encode "$seeds/stereo.wav" tone.caf -c:a alac
  encode "$seeds/stereo.wav" tone.wma -c:a wmav2
  sox "$seeds/stereo.wav" "$corpus/tone.aiff"
  lame --quiet -b 32 "$seeds/tone.wav" "$corpus/cbr.mp3"
  lame --quiet -V 8 "$seeds/stereo.wav" "$corpus/vbr.mp3"
  cp "$seeds/tone.wav" "$corpus/"
fi

nice -n 10 cargo +nightly fuzz run -O decode "$corpus" -- \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=262144 -print_final_stats=1

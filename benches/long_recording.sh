#!/usr/bin/env bash
# Measures the peak memory of transcribing a two-hour recording against the peak of
# transcribing an 11 s clip with the same model. The short clip's peak is the model's own
# cost, whisper's work buffers included, because any file needs them. The difference is
# what the recording's length adds, which should stay under 300 MB.
#
# The recording is the fixture speech (the English clips, 1 s apart) repeated to two
# hours and encoded as a 64 kb/s MP3, as podcasts and lecture recordings come. Each run
# is a separate process, so its peak (VmHWM) is its own. Not a timed test: the times
# printed depend on the machine.
#
# Usage: benches/long_recording.sh [MODEL] [THREADS] (default tiny.en from the fixtures,
# 2 threads). Needs sox and lame, and the fixtures (`target/debug/fetch-fixtures`).
set -euo pipefail
cd "$(dirname "$0")/.."

model="${1:-target/fixtures/models/ggml-tiny.en.bin}"
threads="${2:-2}"

nice -n 10 cargo build -p whisperrr-core --example peak_memory --locked
target/debug/fetch-fixtures >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
speech=target/fixtures/speech

# One pass over the English clips at 16 kHz mono, each followed by 1 s of silence.
parts=()
for clip in jfk.wav librivox_0870.wav librivox_0880.wav librivox_0890.wav librivox_0920.wav \
    librivox_0930.wav goforward.wav meeting_stereo_11k.wav asterisk_en_long_8k.wav \
    asterisk_en_demo-instruct_8k.wav alsa_front_center_48k.wav; do
  sox "$speech/$clip" -r 16000 -c 1 -b 16 "$work/part-${#parts[@]}.wav" pad 0 1
  parts+=("$work/part-${#parts[@]}.wav")
done
sox "${parts[@]}" "$work/playlist.wav"
playlist_s=$(soxi -D "$work/playlist.wav")
repeats=$(python3 -c "import math; print(math.ceil(7200 / $playlist_s) - 1)")
sox "$work/playlist.wav" "$work/long.wav" repeat "$repeats" trim 0 7200
lame --quiet -b 64 "$work/long.wav" "$work/long.mp3"
rm "$work/long.wav"

echo "model: $model, threads: $threads"
echo "short clip (jfk.wav, 11 s):"
short=$(target/debug/examples/peak_memory "$speech/jfk.wav" "$model" "$threads")
echo "  $short"
echo "two-hour MP3 ($(du -m "$work/long.mp3" | cut -f1) MB):"
long=$(target/debug/examples/peak_memory "$work/long.mp3" "$model" "$threads")
echo "  $long"

short_mib=$(echo "$short" | sed 's/.*peak_rss_mib=\([0-9.]*\).*/\1/')
long_mib=$(echo "$long" | sed 's/.*peak_rss_mib=\([0-9.]*\).*/\1/')
python3 -c "print(f'two hours add {$long_mib - $short_mib:.1f} MiB to the short clip peak of {$short_mib:.1f} MiB (limit 300 MB = 286.1 MiB)')"

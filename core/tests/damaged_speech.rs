//! Damaged and inconsistent files made from real speech, transcribed by whole jobs with
//! tiny.en on one thread: truncated files, a corrupt stretch in the middle, header sizes
//! that disagree with the file, and durations that are wrong or missing.
//!
//! Most cases start from two clips with a pause between them (`jfk.wav`, 4 s of silence,
//! `librivox_0930.wav`), so the damage can fall in the pause and the speech after it shows
//! whether times stayed right. These tests run whisper: `-- --test-threads=1`.

mod support;

use std::path::{Path, PathBuf};

use support::transcription::{tiny_model, transcribe_file, two_clips, wer_of, Failures, JobRun};
use support::{decode, ffmpeg, path_str, run_tool, Workspace};
use whisperrr_core::job::{JobEvent, Phase};
use whisperrr_testkit::{clip, reference};

/// Where files are cut, in milliseconds: the middle of the pause between the two clips
/// (11 s to 15 s).
const CUT_AT_MS: u64 = 13_000;

/// Where damage starts, in milliseconds: early in the pause, because a damaged page of a
/// low-rate Ogg stream can take two seconds of audio with it.
const DAMAGE_AT_MS: u64 = 12_000;

/// Length of the two clips with the pause, in milliseconds.
const TWO_CLIPS_MS: u64 = 18_290;

/// Where the second clip's speech starts, in milliseconds. It ends with the file.
const SECOND_CLIP_MS: u64 = 15_000;

/// How far from the speech a segment boundary may lie: tiny.en's segment times are about
/// half a second off at worst on these clips.
const START_TOLERANCE_MS: u64 = 800;

/// A word of the second clip ("He might even have been made amiable himself").
const SECOND_CLIP_WORD: &str = "himself";

/// Word error rate allowed on undamaged speech, as for intact files.
const MAX_WER: f64 = 0.10;

/// Encodes the two-clip WAV at `source` into `name` with `tool` ("ffmpeg" or "lame").
fn encode(workspace: &Workspace, source: &Path, name: &str, tool: &str, args: &[&str]) -> PathBuf {
    let path = workspace.path(name);
    match tool {
        "lame" => {
            let mut all = vec!["--quiet"];
            all.extend_from_slice(args);
            all.extend_from_slice(&[path_str(source), path_str(&path)]);
            run_tool("lame", &all);
        }
        _ => ffmpeg(source, args, &path),
    }
    path
}

/// The encodings that damage is applied to: (file name, tool, arguments).
const ENCODINGS: [(&str, &str, &[&str]); 9] = [
    ("speech.wav", "ffmpeg", &["-c:a", "pcm_s16le"]),
    ("cbr.mp3", "lame", &["-b", "64", "--cbr"]),
    ("bare.mp3", "lame", &["-b", "64", "--cbr", "-t"]),
    ("speech.flac", "ffmpeg", &["-c:a", "flac"]),
    ("speech.ogg", "ffmpeg", &["-c:a", "libvorbis"]),
    ("voice.opus", "ffmpeg", &["-c:a", "libopus", "-b:a", "24k"]),
    ("faststart.m4a", "ffmpeg", &["-c:a", "aac", "-movflags", "+faststart"]),
    // Not written live: the Segment states its size, and the SeekHead points to the Cues
    // after the last cluster.
    ("speech.webm", "ffmpeg", &["-c:a", "libopus", "-b:a", "24k"]),
    ("speech.mkv", "ffmpeg", &["-c:a", "aac"]),
];

/// Returns the shortest prefix length of `bytes`, to a few bytes, that decodes to at least
/// `target_ms`. Decoding is cheap, so a bisection over the length finds the byte where the
/// audio reaches a time, whatever the codec's bitrate does.
fn byte_at_time(workspace: &Workspace, name: &str, bytes: &[u8], target_ms: u64) -> usize {
    let (mut low, mut high) = (0, bytes.len());
    while high - low > 16 {
        let middle = (low + high) / 2;
        let path = workspace.write(&format!("probe {name}"), &bytes[..middle]);
        match decode(&path) {
            Ok(decoded) if decoded.duration_ms() >= target_ms => high = middle,
            _ => low = middle,
        }
    }
    high
}

/// Bytes from a linear congruential generator, to overwrite part of a file with.
fn garbage(len: usize) -> Vec<u8> {
    let mut state = 0x0BAD_F00D_u32;
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 24) as u8
        })
        .collect()
}

/// Returns the start and end of the first segment that contains `word`, in milliseconds.
fn segment_with_word(run: &JobRun, word: &str) -> Option<(u64, u64)> {
    run.outcome()
        .transcript
        .segments
        .iter()
        .find(|segment| segment.text.to_lowercase().contains(word))
        .map(|segment| (segment.start_ms, segment.end_ms))
}

/// Checks the transcript of a file with a damaged stretch in the pause: the words, a
/// length within `length_tolerance_ms` of the undamaged one, and the second clip ending at
/// its speech, because silence replaces what was lost.
fn check_damaged_run(name: &str, run: &JobRun, expected: &str, length_tolerance_ms: u64, failures: &mut Failures) {
    let Ok(outcome) = &run.result else {
        failures.check(false, || format!("{name}: {}", run.result.as_ref().err().unwrap()));
        return;
    };
    let wer = wer_of(&format!("corrupt {name}"), expected, &run.text());
    failures.check(wer <= MAX_WER, || format!("{name}: WER {wer:.3}: {}", run.text()));

    let duration_ms = outcome.transcript.duration_ms;
    failures.check(duration_ms.abs_diff(TWO_CLIPS_MS) <= length_tolerance_ms, || {
        format!("{name}: {duration_ms} ms decoded, warnings {:?}", outcome.warnings)
    });
    match segment_with_word(run, SECOND_CLIP_WORD) {
        Some((_, end)) => failures.check(end.abs_diff(TWO_CLIPS_MS) <= START_TOLERANCE_MS, || {
            format!("{name}: the second clip ends at {end} ms, its speech at {TWO_CLIPS_MS} ms")
        }),
        None => failures.check(false, || format!("{name}: the second clip is missing: {}", run.text())),
    }
}

#[test]
fn truncated_files_transcribed_to_the_cut() {
    let workspace = Workspace::new();
    let (source, _) = two_clips(workspace.path("").as_path());
    let model = tiny_model();
    let expected = reference("jfk.wav");
    let mut failures = Failures::default();

    for (name, tool, args) in ENCODINGS {
        let full = std::fs::read(encode(&workspace, &source, name, tool, args)).unwrap();
        // Cut in the middle of the pause, a few bytes into a packet.
        let cut = byte_at_time(&workspace, name, &full, CUT_AT_MS) + 5;
        let path = workspace.write(&format!("cut {name}"), &full[..cut]);

        let run = transcribe_file(&model, &path);
        let Ok(outcome) = &run.result else {
            failures.check(false, || format!("{name}: {}", run.result.as_ref().err().unwrap()));
            continue;
        };
        let wer = wer_of(&format!("cut {name}"), &expected, &run.text());
        failures.check(wer <= MAX_WER, || format!("{name}: WER {wer:.3}: {}", run.text()));
        failures.check(outcome.warnings.iter().any(|warning| warning.contains("truncated")), || {
            format!("{name}: no truncation warning: {:?}", outcome.warnings)
        });
        // Readers give up a packet or an Ogg page (up to 1 s) at the cut, so the end lies
        // anywhere in the pause.
        let duration_ms = outcome.transcript.duration_ms;
        failures.check((11_000..=15_100).contains(&duration_ms), || format!("{name}: {duration_ms} ms decoded"));
    }
    failures.assert_none();
}

/// An M4A file whose index comes after the audio, cut off before the index, contains no
/// record of the codec settings or of where packets start, so it is rejected by name.
#[test]
fn m4a_cut_before_index_rejected() {
    let workspace = Workspace::new();
    let full = std::fs::read(encode(&workspace, &clip("jfk.wav"), "index at end.m4a", "ffmpeg", &["-c:a", "aac"])).unwrap();
    let path = workspace.write("cut index at end.m4a", &full[..full.len() * 6 / 10]);

    let error = decode(&path).expect_err("a file without its index is refused");

    assert_eq!(
        error.to_string(),
        format!(
            "{}: the file has no index (its 'moov' box is missing), so its audio cannot be located; \
             a recording or download that was cut off before it finished leaves a file like this",
            path.display()
        )
    );
}

#[test]
fn corrupt_stretch_skipped_with_correct_times() {
    let workspace = Workspace::new();
    let (source, expected) = two_clips(workspace.path("").as_path());
    let model = tiny_model();
    let mut failures = Failures::default();

    let clean = transcribe_file(&model, &source);
    wer_of("undamaged", &expected, &clean.text());
    let (clean_start, _) = segment_with_word(&clean, SECOND_CLIP_WORD).expect("the second clip is transcribed");
    assert!(clean_start.abs_diff(SECOND_CLIP_MS) <= START_TOLERANCE_MS, "undamaged, the second clip starts at {clean_start} ms");

    // Symphonia's Matroska reader stops at a damaged element, and decoding resumes past it.
    // In the Ogg Opus file the garbage lands on a page header, and decoding goes on at the
    // next intact page.
    for (name, tool, args) in ENCODINGS {
        let mut bytes = std::fs::read(encode(&workspace, &source, name, tool, args)).unwrap();
        // 600 bytes of garbage from the middle of the pause on: 75 ms of the 64 kb/s MP3,
        // a page or more of the lower-rate codecs.
        let at = byte_at_time(&workspace, name, &bytes, DAMAGE_AT_MS);
        let end = (at + 600).min(bytes.len());
        bytes[at..end].copy_from_slice(&garbage(end - at));
        let path = workspace.write(&format!("corrupt {name}"), &bytes);

        let run = transcribe_file(&model, &path);
        check_damaged_run(name, &run, &expected, 300, &mut failures);
    }
    failures.assert_none();
}

/// MP3 frames carry no timestamps, so only the position of the frames after a long damaged
/// stretch shows how much audio it contained. The damage takes 2.5 s of the pause in a CBR and a
/// VBR file.
#[test]
fn long_damage_in_mp3_keeps_later_times() {
    let workspace = Workspace::new();
    let (source, expected) = two_clips(workspace.path("").as_path());
    let model = tiny_model();
    let mut failures = Failures::default();

    // The lost length is the damaged bytes at the byte rate of the frames before them:
    // exact for CBR, an estimate for VBR, whose frames in the pause vary in size.
    let encodings: [(&str, &[&str], u64); 2] = [("long cbr.mp3", &["-b", "64", "--cbr"], 300), ("long vbr.mp3", &["-V", "5"], 600)];
    for (name, args, length_tolerance_ms) in encodings {
        let mut bytes = std::fs::read(encode(&workspace, &source, name, "lame", args)).unwrap();
        let at = byte_at_time(&workspace, name, &bytes, DAMAGE_AT_MS);
        let end = byte_at_time(&workspace, name, &bytes, DAMAGE_AT_MS + 2_500);
        bytes[at..end].copy_from_slice(&garbage(end - at));
        let path = workspace.write(&format!("corrupt {name}"), &bytes);

        let run = transcribe_file(&model, &path);
        check_damaged_run(name, &run, &expected, length_tolerance_ms, &mut failures);
    }
    failures.assert_none();
}

/// Offset of the `data` chunk's size field in `jfk.wav`, and the size it states.
fn jfk_data_size() -> (usize, u32) {
    let bytes = std::fs::read(clip("jfk.wav")).unwrap();
    let data = bytes.windows(4).position(|window| window == b"data").expect("a data chunk");
    let size = u32::from_le_bytes(bytes[data + 4..data + 8].try_into().unwrap());
    (data + 4, size)
}

/// Writes `jfk.wav` with its RIFF size and its data size replaced.
fn wav_with_sizes(workspace: &Workspace, name: &str, riff_size: u32, data_size: u32) -> PathBuf {
    let mut bytes = std::fs::read(clip("jfk.wav")).unwrap();
    let (size_field, _) = jfk_data_size();
    bytes[4..8].copy_from_slice(&riff_size.to_le_bytes());
    bytes[size_field..size_field + 4].copy_from_slice(&data_size.to_le_bytes());
    workspace.write(name, &bytes)
}

#[test]
fn header_sizes_clamped_to_the_file() {
    let workspace = Workspace::new();
    let model = tiny_model();
    let expected = reference("jfk.wav");
    let (size_field, data_size) = jfk_data_size();
    let header = size_field as u32 - 4;
    let mut failures = Failures::default();

    let cases = [
        ("recorder crashed before sizes were written", wav_with_sizes(&workspace, "zero.wav", 0, 0)),
        ("streamed with placeholder sizes", wav_with_sizes(&workspace, "stream.wav", u32::MAX, u32::MAX)),
        ("sizes from an earlier update", wav_with_sizes(&workspace, "stale.wav", header + data_size / 3, data_size / 3)),
        ("RIFF size smaller than its data", wav_with_sizes(&workspace, "riff.wav", 1_000, data_size)),
    ];

    for (label, path) in cases {
        let run = transcribe_file(&model, &path);
        let Ok(outcome) = &run.result else {
            failures.check(false, || format!("{label}: {}", run.result.as_ref().err().unwrap()));
            continue;
        };
        let wer = wer_of(label, &expected, &run.text());
        failures.check(wer <= MAX_WER, || format!("{label}: WER {wer:.3}: {}", run.text()));
        failures.check(outcome.transcript.duration_ms == 11_000, || {
            format!("{label}: {} ms decoded, the file holds 11 s", outcome.transcript.duration_ms)
        });
        failures.check(outcome.warnings.iter().any(|warning| warning.contains("header's sizes disagree")), || {
            format!("{label}: no warning about the header: {:?}", outcome.warnings)
        });
    }
    failures.assert_none();
}

/// Returns `mp3` with the frame count of its Xing header multiplied by `factor`.
fn scale_xing_frames(mp3: &[u8], factor: u32) -> Vec<u8> {
    let mut bytes = mp3.to_vec();
    let tag = bytes.windows(4).position(|window| window == b"Xing").expect("a Xing header");
    let flags = u32::from_be_bytes(bytes[tag + 4..tag + 8].try_into().unwrap());
    assert!(flags & 1 != 0, "the Xing header has no frame count");
    let frames = u32::from_be_bytes(bytes[tag + 8..tag + 12].try_into().unwrap());
    bytes[tag + 8..tag + 12].copy_from_slice(&(frames * factor).to_be_bytes());
    bytes
}

/// Checks that progress only rises, stays within 0 to 100 and ends at 100, that decoding
/// fills its whole share without passing it, and that the length reported is the decoded
/// one.
fn check_progress(label: &str, run: &JobRun, failures: &mut Failures) {
    let progress = run.progress();
    let percents: Vec<f32> = progress.iter().map(|(_, percent)| *percent).collect();
    failures.check(percents.windows(2).all(|pair| pair[0] <= pair[1]), || format!("{label}: progress went back: {percents:?}"));
    failures.check(percents.iter().all(|percent| (0.0..=100.0).contains(percent)), || format!("{label}: {percents:?}"));
    failures.check(percents.last() == Some(&100.0), || format!("{label}: progress ended at {:?}", percents.last()));

    let decoding: Vec<f32> =
        progress.iter().filter(|(phase, _)| *phase == Phase::Decoding).map(|(_, percent)| *percent).collect();
    let last_decoding = decoding.last().copied().unwrap_or(0.0);
    failures.check((last_decoding - 10.0).abs() < 0.01, || {
        format!("{label}: decoding progress ended at {last_decoding}, its share is 10: {decoding:?}")
    });

    let reported: Vec<u64> = run
        .events
        .iter()
        .filter_map(|event| match event {
            JobEvent::Duration { duration_ms } => Some(*duration_ms),
            _ => None,
        })
        .collect();
    let decoded_ms = run.outcome().transcript.duration_ms;
    failures.check(reported == vec![decoded_ms], || format!("{label}: lengths reported {reported:?}, decoded {decoded_ms}"));
}

#[test]
fn wrong_or_missing_duration_keeps_progress_sound() {
    let workspace = Workspace::new();
    let model = tiny_model();
    let expected = reference("jfk.wav");
    let (size_field, data_size) = jfk_data_size();
    let header = size_field as u32 - 4;
    let mut failures = Failures::default();

    let vbr = workspace.path("vbr.mp3");
    run_tool("lame", &["--quiet", "-V", "5", path_str(&clip("jfk.wav")), path_str(&vbr)]);
    let bare_vbr = workspace.path("bare vbr.mp3");
    run_tool("lame", &["--quiet", "-V", "5", "-t", path_str(&clip("jfk.wav")), path_str(&bare_vbr)]);
    let live_webm = workspace.path("browser.webm");
    ffmpeg(&clip("jfk.wav"), &["-c:a", "libopus", "-live", "1"], &live_webm);

    let cases = [
        ("MP3 whose Xing header doubles the frame count", workspace.write("long xing.mp3", &scale_xing_frames(&std::fs::read(&vbr).unwrap(), 2))),
        ("MP3 VBR without a header, duration estimated", bare_vbr),
        ("WAV whose header states a third", wav_with_sizes(&workspace, "third.wav", header + data_size / 3, data_size / 3)),
        ("live WebM without a duration", live_webm),
    ];

    for (label, path) in cases {
        let run = transcribe_file(&model, &path);
        if let Err(error) = &run.result {
            failures.check(false, || format!("{label}: {error}"));
            continue;
        }
        let wer = wer_of(label, &expected, &run.text());
        failures.check(wer <= MAX_WER, || format!("{label}: WER {wer:.3}: {}", run.text()));
        let duration_ms = run.outcome().transcript.duration_ms;
        failures.check((10_900..=11_200).contains(&duration_ms), || format!("{label}: {duration_ms} ms decoded"));
        check_progress(label, &run, &mut failures);
    }
    failures.assert_none();
}

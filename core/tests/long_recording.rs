//! A recording longer than an hour: 61 minutes of digital silence, then `jfk.wav`, then
//! another minute of silence, as FLAC. The silence is skipped without running whisper, so
//! the test stays fast, and the subtitle times past one hour must be right.
//!
//! This test runs whisper: `-- --test-threads=1`.

mod support;

use std::time::Instant;

use support::transcription::{tiny_model, wer_of};
use support::{path_str, run_tool, Workspace};
use whisperrr_core::cancel::CancelToken;
use whisperrr_core::export::Format;
use whisperrr_core::job::{run_job, JobId, JobRequest};
use whisperrr_core::transcribe::{Language, TranscribeOptions};
use whisperrr_testkit::{clip, reference};

/// Silence before the speech, in seconds: one hour and one minute.
const LEAD_S: u64 = 3_660;

/// Parses an SRT timestamp such as `01:01:00,120` into milliseconds.
fn srt_ms(time: &str) -> u64 {
    let (clock, millis) = time.split_once(',').expect("a comma before the milliseconds");
    let parts: Vec<u64> = clock.split(':').map(|part| part.parse().unwrap()).collect();
    ((parts[0] * 60 + parts[1]) * 60 + parts[2]) * 1000 + millis.parse::<u64>().unwrap()
}

#[test]
fn srt_times_past_one_hour_right() {
    let workspace = Workspace::new();
    let input = workspace.path("lecture.flac");
    let lead = LEAD_S.to_string();
    run_tool("sox", &[path_str(&clip("jfk.wav")), path_str(&input), "pad", &lead, "60"]);

    let request = JobRequest {
        input: input.clone(),
        options: TranscribeOptions { language: Language::Code("en".into()), translate: false, threads: 1 },
        formats: vec![Format::Srt],
        output_dir: None,
    };
    let started = Instant::now();
    let outcome = run_job(JobId(1), &tiny_model(), &request, &mut |_| {}, &CancelToken::new()).expect("the job succeeds");
    println!("62-minute file transcribed in {:.1} s", started.elapsed().as_secs_f32());

    assert_eq!(outcome.transcript.duration_ms, (LEAD_S + 11 + 60) * 1000);
    let text = outcome.transcript.text().replace('\n', " ");
    assert!(wer_of("jfk after an hour", &reference("jfk.wav"), &text) <= 0.10, "{text}");

    let srt = std::fs::read_to_string(workspace.path("lecture.srt")).expect("the SRT file is written");
    let timings: Vec<(u64, u64)> = srt
        .lines()
        .filter_map(|line| line.split_once(" --> "))
        .map(|(start, end)| (srt_ms(start), srt_ms(end)))
        .collect();
    println!("{srt}");

    let speech_ms = LEAD_S * 1000..(LEAD_S + 11) * 1000;
    assert!(!timings.is_empty(), "no cues in:\n{srt}");
    let (first_start, _) = timings[0];
    let (_, last_end) = timings[timings.len() - 1];
    assert!(first_start.abs_diff(speech_ms.start) <= 1_000, "first cue at {first_start} ms, speech at {} ms", speech_ms.start);
    assert!(last_end <= speech_ms.end + 1_500, "last cue ends at {last_end} ms, speech ends at {} ms", speech_ms.end);
    assert!(srt.contains("01:01:0"), "cue times are not written past one hour:\n{srt}");
}

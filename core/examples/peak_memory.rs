//! Transcribes one file as a job and prints the process's peak resident memory, for
//! `benches/long_recording.sh`.
//!
//! Usage: `peak_memory FILE MODEL THREADS`. The SRT goes to a temporary folder, and one
//! line is printed: `peak_rss_mib=… audio_s=… elapsed_s=… segments=…`.

use std::path::PathBuf;
use std::time::Instant;

use whisperrr_core::cancel::CancelToken;
use whisperrr_core::export::Format;
use whisperrr_core::job::{run_job, JobId, JobRequest};
use whisperrr_core::transcribe::{Language, Model, TranscribeOptions};

/// Returns the peak resident set size of this process in KiB (`VmHWM`).
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status is readable");
    let line = status.lines().find(|line| line.starts_with("VmHWM:")).expect("a VmHWM line");
    line.split_whitespace().nth(1).expect("a value").parse().expect("a number")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, input, model, threads] = args.as_slice() else {
        eprintln!("usage: peak_memory FILE MODEL THREADS");
        std::process::exit(2);
    };

    let model = Model::load(model.as_ref()).expect("the model loads");
    let output = tempfile::tempdir().expect("a temporary folder");
    let request = JobRequest {
        input: PathBuf::from(input),
        options: TranscribeOptions {
            language: Language::Code("en".into()),
            translate: false,
            threads: threads.parse().expect("THREADS is a number"),
        },
        formats: vec![Format::Srt],
        output_dir: Some(output.path().to_path_buf()),
    };

    let started = Instant::now();
    let outcome = run_job(JobId(1), &model, &request, &mut |_| {}, &CancelToken::new()).expect("the job succeeds");

    println!(
        "peak_rss_mib={:.1} audio_s={:.1} elapsed_s={:.1} segments={}",
        peak_rss_kib() as f64 / 1024.0,
        outcome.transcript.duration_ms as f64 / 1000.0,
        started.elapsed().as_secs_f64(),
        outcome.transcript.segments.len()
    );
}

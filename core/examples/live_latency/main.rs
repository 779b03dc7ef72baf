//! Live transcription benchmark. It plays speech into a virtual microphone and records it
//! with Whisperrr's recorder while transcribing live. It prints how long each phrase took
//! to appear as committed text (median and 95th percentile) and the word error rate of the
//! live text. As a reference from the same run, it also transcribes the whole playlist in
//! one pass and prints that word error rate and speed.
//!
//! Run it through `benches/live_latency.sh`, or directly:
//!
//! ```text
//! cargo run --example live_latency -p whisperrr-core -- [--source mic|replay] [--model PATH]
//!     [--threads N] [--gap-ms MS] [--pause-ms MS] [--full-window] [--fallback] [--no-tentative]
//!     [--clips a.wav,b.wav]
//! ```
//!
//! `--source replay` feeds the same audio to the live transcriber at real-time pace without
//! any sound system, which separates whisper's share of the latency from the audio path's.

mod figures;
mod playlist;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use figures::{percentile, phrase_latencies, seconds, Observations};
use playlist::Playlist;
use whisperrr_core::audio::{decode_for_whisper, WHISPER_SAMPLE_RATE};
use whisperrr_core::cancel::CancelToken;
use whisperrr_core::record::live::LiveTranscriber;
use whisperrr_core::record::{LiveEvent, LiveTuning, RecordEvent, RecordRequest, Recording};
use whisperrr_core::transcribe::{Language, Model, TranscribeOptions};
use whisperrr_testkit::virtual_mic::VirtualMic;
use whisperrr_testkit::word_error_rate;

const DEFAULT_CLIPS: [&str; 8] = [
    "jfk.wav",
    "librivox_0870.wav",
    "librivox_0880.wav",
    "librivox_0890.wav",
    "librivox_0920.wav",
    "librivox_0930.wav",
    "goforward.wav",
    "cards_005.wav",
];

/// How long the benchmark waits after the audio for the last commits before stopping.
const SETTLE: Duration = Duration::from_secs(3);

struct Settings {
    source: String,
    model: std::path::PathBuf,
    threads: usize,
    gap_ms: u64,
    clips: Vec<String>,
    tuning: LiveTuning,
}

fn main() {
    // `RUST_LOG=whisperrr_core::record=debug` shows every whisper pass with its duration.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let settings = parse_args();
    let playlist = Playlist::build(&settings.clips, settings.gap_ms);
    let model = Model::load(&settings.model).expect("the model loads");
    let options = TranscribeOptions {
        language: Language::Code("en".into()),
        translate: false,
        threads: settings.threads,
    };

    println!(
        "live_latency: {} clips, {:.1} s of audio, model {}, {} thread(s), source {}, {:?}",
        playlist.phrases.len(),
        playlist.duration_ms() as f64 / 1000.0,
        model.name(),
        settings.threads,
        settings.source,
        settings.tuning
    );

    let (observations, offset_ms, stop_to_saved) = match settings.source.as_str() {
        "mic" => run_with_microphone(&playlist, &model, &options, settings.tuning),
        "replay" => (run_replay(&playlist, &model, &options, settings.tuning), 0, None),
        other => panic!("unknown --source {other}; use mic or replay"),
    };

    report(&playlist, &observations, offset_ms, stop_to_saved);
    report_offline_reference(&playlist, &model, &options);
}

/// Plays the playlist into a virtual microphone and records it with [`Recording`].
fn run_with_microphone(
    playlist: &Playlist,
    model: &Model,
    options: &TranscribeOptions,
    tuning: LiveTuning,
) -> (Observations, u64, Option<Duration>) {
    let mic = VirtualMic::start().unwrap_or_else(|error| panic!("cannot start the virtual microphone: {error}"));
    // Set before any thread starts: cpal's ALSA backend reaches PulseAudio through the
    // `pulse` plugin, which reads this variable.
    std::env::set_var("PULSE_SERVER", mic.server());

    let work = tempfile::tempdir().expect("a temporary folder");
    let played = work.path().join("playlist.wav");
    playlist.write_wav(&played);

    let observations = Arc::new(Mutex::new(Observations::default()));
    let sink = observations.clone();
    let request = RecordRequest {
        device: None,
        recordings_dir: work.path().join("recordings"),
        options: options.clone(),
        formats: vec![whisperrr_core::export::Format::Txt],
        max_duration: None,
        live: tuning,
    };
    let recording = Recording::start(request, model.clone(), move |event| observe(&sink, event))
        .unwrap_or_else(|error| panic!("cannot start recording: {error}"));

    wait_until(Duration::from_secs(10), || {
        observations.lock().unwrap().arrivals.iter().any(|&(_, ms)| ms > 0)
    });
    let mut player = mic.play(&played).expect("paplay starts");
    let status = player.wait().expect("paplay runs");
    assert!(status.success(), "paplay failed: {status}");
    std::thread::sleep(SETTLE);

    let stopping = Instant::now();
    let outcome = recording
        .stop()
        .unwrap_or_else(|error| panic!("recording failed: {error}"));
    let stop_to_saved = stopping.elapsed();

    let recorded = decode_for_whisper(&outcome.wav, &mut |_| {}, &CancelToken::new()).expect("the saved WAV decodes");
    let offset_ms = playlist::find_offset_ms(&playlist.samples, &recorded.samples, 5_000);
    println!(
        "recorded {:.2} s from {} ({} Hz, {} ch, {}); playlist found at {:.2} s",
        outcome.duration_ms as f64 / 1000.0,
        outcome.format.as_ref().map(|f| f.device.name.as_str()).unwrap_or("?"),
        outcome.format.as_ref().map(|f| f.sample_rate).unwrap_or(0),
        outcome.format.as_ref().map(|f| f.channels).unwrap_or(0),
        outcome.format.as_ref().map(|f| f.sample_format.as_str()).unwrap_or("?"),
        offset_ms as f64 / 1000.0
    );
    let observations = Arc::try_unwrap(observations)
        .ok()
        .expect("the recorder has ended")
        .into_inner()
        .unwrap();
    (observations, offset_ms, Some(stop_to_saved))
}

fn observe(observations: &Mutex<Observations>, event: RecordEvent) {
    let now = Instant::now();
    let mut observations = observations.lock().unwrap();
    match event {
        RecordEvent::Level { recorded_ms, .. } => observations.arrivals.push((now, recorded_ms)),
        RecordEvent::Committed { segments, audio_end_ms } => {
            let text: Vec<&str> = segments.iter().map(|segment| segment.text.as_str()).collect();
            observations.commits.push((now, audio_end_ms, text.join(" ")));
        }
        RecordEvent::Tentative { text, .. } if !text.is_empty() => observations.tentative_passes += 1,
        RecordEvent::Backlog { pending_ms } => {
            observations.max_backlog_ms = observations.max_backlog_ms.max(pending_ms)
        }
        _ => {}
    }
}

/// Feeds the playlist to a live transcriber in 20 ms blocks at real-time pace.
fn run_replay(playlist: &Playlist, model: &Model, options: &TranscribeOptions, tuning: LiveTuning) -> Observations {
    let observations = Arc::new(Mutex::new(Observations::default()));
    let sink = observations.clone();
    let mut transcriber = LiveTranscriber::start(model.clone(), options.clone(), tuning, move |event: LiveEvent| {
        observe(&sink, event.into())
    })
    .expect("the thread starts");

    let block = WHISPER_SAMPLE_RATE as usize / 50;
    let started = Instant::now();
    for (index, samples) in playlist.samples.chunks(block).enumerate() {
        let due = started + Duration::from_millis(20 * index as u64);
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        transcriber.feed(samples);
        let fed_ms = ((index * block + samples.len()) * 1000 / WHISPER_SAMPLE_RATE as usize) as u64;
        observations.lock().unwrap().arrivals.push((Instant::now(), fed_ms));
    }
    std::thread::sleep(SETTLE);
    transcriber.finish().expect("live transcription succeeds");
    Arc::try_unwrap(observations)
        .ok()
        .expect("the transcriber has ended")
        .into_inner()
        .unwrap()
}

fn report(playlist: &Playlist, observations: &Observations, offset_ms: u64, stop_to_saved: Option<Duration>) {
    println!();
    println!("{:<22} {:>10} {:>12}", "clip", "speech end", "latency");
    let latencies = phrase_latencies(&playlist.phrases, observations, offset_ms);
    for ((name, latency), phrase) in latencies.iter().zip(&playlist.phrases) {
        let shown = latency.map(seconds).unwrap_or_else(|| "no commit".into());
        println!("{name:<22} {:>8.2} s {shown:>12}", phrase.speech_end_ms as f64 / 1000.0);
    }

    let measured: Vec<Duration> = latencies.iter().filter_map(|(_, latency)| *latency).collect();
    println!();
    if measured.is_empty() {
        println!("latency: no phrase was committed");
    } else {
        println!(
            "latency after phrase end: median {}, p95 {}, max {} ({} of {} phrases)",
            seconds(percentile(&measured, 50.0)),
            seconds(percentile(&measured, 95.0)),
            seconds(percentile(&measured, 100.0)),
            measured.len(),
            latencies.len()
        );
    }
    let live_text = observations.committed_text();
    println!(
        "live WER: {:.1} %",
        100.0 * word_error_rate(&playlist.reference_text(), &live_text)
    );
    println!(
        "tentative passes: {}, largest backlog: {:.1} s",
        observations.tentative_passes,
        observations.max_backlog_ms as f64 / 1000.0
    );
    if let Some(duration) = stop_to_saved {
        println!("stop to saved files: {}", seconds(duration));
    }
    println!("live text: {live_text}");
}

/// Transcribes the whole playlist in one pass, as a file would be, for comparison.
fn report_offline_reference(playlist: &Playlist, model: &Model, options: &TranscribeOptions) {
    let started = Instant::now();
    let transcript = model
        .transcribe(playlist.samples.clone(), options, &mut |_| {}, &CancelToken::new())
        .expect("offline transcription succeeds");
    let elapsed = started.elapsed();
    println!(
        "reference, whole playlist in one pass: WER {:.1} %, {} for {:.1} s of audio",
        100.0 * word_error_rate(&playlist.reference_text(), &transcript.text()),
        seconds(elapsed),
        playlist.duration_ms() as f64 / 1000.0
    );
}

fn wait_until(timeout: Duration, mut condition: impl FnMut() -> bool) {
    let started = Instant::now();
    while !condition() {
        assert!(started.elapsed() < timeout, "timed out after {timeout:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn parse_args() -> Settings {
    let mut settings = Settings {
        source: "mic".into(),
        model: whisperrr_testkit::model_path("tiny.en"),
        threads: 1,
        gap_ms: 2_000,
        clips: DEFAULT_CLIPS.iter().map(|name| name.to_string()).collect(),
        tuning: LiveTuning::default(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--source" => settings.source = value(),
            "--model" => settings.model = value().into(),
            "--threads" => settings.threads = value().parse().expect("--threads takes a number"),
            "--gap-ms" => settings.gap_ms = value().parse().expect("--gap-ms takes a number"),
            "--pause-ms" => settings.tuning.pause_ms = value().parse().expect("--pause-ms takes a number"),
            "--clips" => settings.clips = value().split(',').map(str::to_string).collect(),
            "--full-window" => settings.tuning.fit_audio_context = false,
            "--fallback" => settings.tuning.no_fallback = false,
            "--no-tentative" => settings.tuning.tentative = false,
            other => panic!("unknown argument {other}; see the documentation at the top of live_latency/main.rs"),
        }
    }
    settings
}

//! Recording from a PulseAudio virtual microphone through the core API, as the window uses
//! it: level events, pause and resume, and a device that disappears mid-recording.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use whisperrr_core::audio::decode_for_whisper;
use whisperrr_core::cancel::CancelToken;
use whisperrr_core::export::Format;
use whisperrr_core::record::{LiveTuning, RecordEvent, RecordRequest, Recording, StopReason};
use whisperrr_core::transcribe::{Language, Model, TranscribeOptions};
use whisperrr_testkit::virtual_mic::VirtualMic;
use whisperrr_testkit::{clip, model_path};

/// `PULSE_SERVER` is process-wide, so the tests here take turns.
static MICROPHONE: Mutex<()> = Mutex::new(());

type Events = Arc<Mutex<Vec<(Instant, RecordEvent)>>>;

struct Setup {
    mic: VirtualMic,
    folder: tempfile::TempDir,
    events: Events,
}

fn setup() -> Setup {
    let mic = VirtualMic::start().unwrap_or_else(|error| panic!("cannot start the virtual microphone: {error}"));
    // The ALSA PulseAudio plugin that cpal opens reads this when a stream opens.
    std::env::set_var("PULSE_SERVER", mic.server());
    Setup {
        mic,
        folder: tempfile::tempdir().unwrap(),
        events: Arc::default(),
    }
}

fn start(setup: &Setup) -> Recording {
    let request = RecordRequest {
        device: None,
        recordings_dir: setup.folder.path().to_path_buf(),
        options: TranscribeOptions {
            language: Language::Code("en".into()),
            translate: false,
            threads: 1,
        },
        formats: vec![Format::Txt, Format::Srt],
        max_duration: None,
        live: LiveTuning::default(),
    };
    let model = Model::load(&model_path("tiny.en")).unwrap();
    let sink = setup.events.clone();
    Recording::start(request, model, move |event| {
        sink.lock().unwrap().push((Instant::now(), event))
    })
    .unwrap()
}

fn duration_s(path: &std::path::Path) -> f64 {
    let decoded = decode_for_whisper(path, &mut |_| {}, &CancelToken::new()).unwrap();
    decoded.samples.len() as f64 / 16_000.0
}

#[test]
fn pause_skips_audio_and_meter_keeps_running() {
    let _turn = MICROPHONE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let setup = setup();
    let recording = start(&setup);
    let started = Instant::now();

    let mut player = setup.mic.play(&clip("jfk.wav")).unwrap();
    std::thread::sleep(Duration::from_secs(3));
    recording.pause();
    let paused_at = Instant::now();
    std::thread::sleep(Duration::from_millis(2_500));
    recording.resume();
    let paused_for = paused_at.elapsed().as_secs_f64();
    assert!(player.wait().unwrap().success());
    let stopped_at = Instant::now();
    let outcome = recording.stop().unwrap();
    let recorded_for = (stopped_at - started).as_secs_f64();

    assert_eq!(outcome.stop_reason, StopReason::Requested);
    let wav_s = duration_s(&outcome.wav);
    assert!(
        (wav_s - (recorded_for - paused_for)).abs() < 0.6,
        "WAV {wav_s:.2} s for {recorded_for:.2} s of recording with {paused_for:.2} s paused"
    );
    assert_eq!(outcome.written.len(), 2, "{:?}", outcome.written);

    let events = setup.events.lock().unwrap();
    let levels: Vec<(Instant, f32)> = events
        .iter()
        .filter_map(|(at, event)| match event {
            RecordEvent::Level { peak_dbfs, .. } => Some((*at, *peak_dbfs)),
            _ => None,
        })
        .collect();
    let per_second = levels.iter().filter(|(at, _)| *at < stopped_at).count() as f64 / recorded_for;
    assert!(per_second >= 10.0, "{per_second:.1} level events a second");
    let paused_window = paused_at + Duration::from_millis(200)..paused_at + Duration::from_millis(2_300);
    let loudest_paused = levels
        .iter()
        .filter(|(at, _)| paused_window.contains(at))
        .map(|(_, peak)| *peak)
        .fold(f32::MIN, f32::max);
    assert!(
        loudest_paused > -40.0,
        "the meter shows the speech while paused: peak {loudest_paused} dBFS"
    );
    assert!(events
        .iter()
        .any(|(_, event)| matches!(event, RecordEvent::Paused { .. })));
    assert!(events
        .iter()
        .any(|(_, event)| matches!(event, RecordEvent::Resumed { .. })));
}

#[test]
fn lost_device_keeps_and_transcribes_audio() {
    let _turn = MICROPHONE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let setup = setup();
    let recording = start(&setup);

    let mut player = setup.mic.play(&clip("jfk.wav")).unwrap();
    std::thread::sleep(Duration::from_secs(6));
    let Setup {
        mic,
        folder: _folder,
        events,
    } = setup;
    drop(mic);
    let _ = player.wait();

    let deadline = Instant::now() + Duration::from_secs(30);
    while !recording.is_finished() {
        assert!(
            Instant::now() < deadline,
            "the recording did not stop after the device went away"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let outcome = recording.wait().unwrap();

    assert!(outcome.stop_reason.is_failure(), "{:?}", outcome.stop_reason);
    assert!(duration_s(&outcome.wav) > 4.0, "{:.2} s kept", duration_s(&outcome.wav));
    assert!(
        outcome.transcript.text().to_lowercase().contains("fellow"),
        "{}",
        outcome.transcript.text()
    );
    let events = events.lock().unwrap();
    assert!(
        events
            .iter()
            .any(|(_, event)| matches!(event, RecordEvent::Stopped { reason, .. } if reason.is_failure())),
        "the failure is reported as it happens"
    );
}

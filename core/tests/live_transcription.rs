//! Live transcription of real speech with tiny.en on one thread, fed as a recorder feeds
//! it, without a sound system.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use whisperrr_core::audio::decode_for_whisper;
use whisperrr_core::cancel::CancelToken;
use whisperrr_core::record::live::LiveTranscriber;
use whisperrr_core::record::{LiveEvent, LiveTuning};
use whisperrr_core::transcribe::{Language, Model, TranscribeOptions};
use whisperrr_testkit::{clip, model_path, reference, word_error_rate};

const RATE: usize = 16_000;

/// 20 ms, the block a recorder typically feeds.
const BLOCK: usize = RATE / 50;

fn model() -> Model {
    Model::load(&model_path("tiny.en")).unwrap()
}

fn options() -> TranscribeOptions {
    TranscribeOptions {
        language: Language::Code("en".into()),
        translate: false,
        threads: 1,
    }
}

fn speech(name: &str) -> Vec<f32> {
    decode_for_whisper(&clip(name), &mut |_| {}, &CancelToken::new())
        .unwrap()
        .samples
}

fn silence(seconds: f32) -> Vec<f32> {
    vec![0.0; (seconds * RATE as f32) as usize]
}

type Events = Arc<Mutex<Vec<(Instant, LiveEvent)>>>;

fn start(events: &Events) -> LiveTranscriber {
    let sink = events.clone();
    LiveTranscriber::start(model(), options(), LiveTuning::default(), move |event| {
        sink.lock().unwrap().push((Instant::now(), event));
    })
    .unwrap()
}

#[test]
fn phrases_committed_in_order_without_loss() {
    let stream = [
        silence(1.0),
        speech("jfk.wav"),
        silence(2.0),
        speech("goforward.wav"),
        silence(1.0),
    ]
    .concat();
    let events: Events = Arc::default();
    let mut live = start(&events);

    // Faster than real time, so whisper falls behind and chunks queue up.
    for block in stream.chunks(BLOCK) {
        live.feed(block);
    }
    let transcript = live.finish().unwrap();

    let expected = format!("{} {}", reference("jfk.wav"), reference("goforward.wav"));
    let wer = word_error_rate(&expected, &transcript.text());
    assert!(wer <= 0.15, "WER {wer:.3}: {}", transcript.text());
    assert_eq!(transcript.duration_ms, (stream.len() * 1000 / RATE) as u64);

    let events = events.lock().unwrap();
    let commits: Vec<(u64, &Vec<_>)> = events
        .iter()
        .filter_map(|(_, event)| match event {
            LiveEvent::Committed { segments, audio_end_ms } => Some((*audio_end_ms, segments)),
            _ => None,
        })
        .collect();
    assert!(commits.len() >= 2, "one commit per phrase at least: {commits:?}");
    assert!(
        commits.windows(2).all(|pair| pair[0].0 < pair[1].0),
        "commits out of order: {commits:?}"
    );

    let jfk_end_ms = 12_000;
    for segment in &transcript.segments {
        let is_jfk = segment.text.to_lowercase().contains("country");
        let is_goforward = segment.text.to_lowercase().contains("forward");
        if is_jfk {
            assert!(segment.end_ms <= jfk_end_ms + 500, "{segment:?}");
        }
        if is_goforward {
            assert!(segment.start_ms >= jfk_end_ms, "{segment:?}");
        }
    }

    let backlogs: Vec<u64> = events
        .iter()
        .filter_map(|(_, event)| match event {
            LiveEvent::Backlog { pending_ms } => Some(*pending_ms),
            _ => None,
        })
        .collect();
    assert!(
        backlogs.iter().any(|&pending| pending > 0),
        "the queued phrases are reported: {backlogs:?}"
    );
    assert_eq!(backlogs.last(), Some(&0));
}

#[test]
fn tentative_text_shown_while_speaking() {
    let stream = [silence(0.5), speech("jfk.wav")].concat();
    let events: Events = Arc::default();
    let mut live = start(&events);

    let started = Instant::now();
    for (index, block) in stream.chunks(BLOCK).enumerate() {
        let due = started + Duration::from_millis(20 * index as u64);
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        live.feed(block);
    }
    let fed_until = Instant::now();
    let transcript = live.finish().unwrap();

    let events = events.lock().unwrap();
    let guesses: Vec<&String> = events
        .iter()
        .filter(|(at, _)| *at < fed_until)
        .filter_map(|(_, event)| match event {
            LiveEvent::Tentative { text, .. } if !text.is_empty() => Some(text),
            _ => None,
        })
        .collect();
    assert!(!guesses.is_empty(), "no tentative text while speaking");
    assert!(
        guesses.iter().any(|text| text.to_lowercase().contains("americans")),
        "tentative texts: {guesses:?}"
    );
    let wer = word_error_rate(&reference("jfk.wav"), &transcript.text());
    assert!(wer <= 0.15, "WER {wer:.3}: {}", transcript.text());
}

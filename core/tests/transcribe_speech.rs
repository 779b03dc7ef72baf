//! Transcription of real speech with a real model (tiny.en, one thread).
//!
//! These tests run whisper, so they must not run in parallel with each other or with a
//! build: the test command runs them with `--test-threads=1`.

use std::time::{Duration, Instant};

use whisperrr_core::audio::{self, DecodeProgress};
use whisperrr_core::cancel::CancelToken;
use whisperrr_core::transcribe::{Language, Model, TranscribeError, TranscribeEvent, TranscribeOptions};
use whisperrr_core::transcript::Transcript;
use whisperrr_testkit::{clip, clips, reference, word_error_rate};

fn tiny_model() -> Model {
    Model::load(&whisperrr_testkit::model_path("tiny.en")).expect("tiny.en loads")
}

fn options() -> TranscribeOptions {
    TranscribeOptions { language: Language::Code("en".into()), translate: false, threads: 1 }
}

fn decode(name: &str) -> Vec<f32> {
    audio::decode_for_whisper(&clip(name), &mut |_: DecodeProgress| {}, &CancelToken::new())
        .unwrap_or_else(|error| panic!("{name} decodes: {error}"))
        .samples
}

fn transcribe(model: &Model, samples: Vec<f32>) -> Transcript {
    model.transcribe(samples, &options(), &mut |_| {}, &CancelToken::new()).expect("transcription succeeds")
}

#[test]
fn jfk_wav_and_mp3_within_ten_percent() {
    let model = tiny_model();

    for name in ["jfk.wav", "jfk.mp3"] {
        let transcript = transcribe(&model, decode(name));
        let wer = word_error_rate(&reference(name), &transcript.text());

        println!("{name}: WER {wer:.3}: {}", transcript.text());
        assert!(wer <= 0.10, "{name}: WER {wer:.3} above 0.10: {}", transcript.text());
        assert_eq!(transcript.language.as_deref(), Some("en"));
    }
}

#[test]
fn english_clips_average_within_twenty_percent() {
    let model = tiny_model();
    let english: Vec<&str> = clips().iter().filter(|c| c.language == "en").map(|c| c.name).collect();
    assert!(english.len() >= 15, "expected the full English set, got {english:?}");

    let mut total = 0.0;
    for name in &english {
        let transcript = transcribe(&model, decode(name));
        let wer = word_error_rate(&reference(name), &transcript.text());
        println!("{name:36} WER {wer:.3}  {}", transcript.text().replace('\n', " "));
        total += wer;
    }
    let average = total / english.len() as f64;

    println!("average WER over {} English clips: {average:.3}", english.len());
    assert!(average <= 0.20, "average WER {average:.3} above 0.20");
}

#[test]
fn speech_on_each_stereo_channel_both_transcribed() {
    // Left channel: jfk.wav; right channel: silence, then a LibriVox sentence. Averaging
    // the channels must keep both speakers.
    let left = decode("jfk.wav");
    let right_speech = decode("librivox_0930.wav");
    let frames = left.len() + right_speech.len();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two speakers.wav");
    let spec = hound::WavSpec { channels: 2, sample_rate: 16_000, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut writer = hound::WavWriter::create(&path, spec).unwrap();
    for frame in 0..frames {
        let l = left.get(frame).copied().unwrap_or(0.0);
        let r = frame.checked_sub(left.len()).map(|i| right_speech[i]).unwrap_or(0.0);
        writer.write_sample((l * 32767.0) as i16).unwrap();
        writer.write_sample((r * 32767.0) as i16).unwrap();
    }
    writer.finalize().unwrap();

    let samples = audio::decode_for_whisper(&path, &mut |_| {}, &CancelToken::new()).unwrap().samples;
    let text = transcribe(&tiny_model(), samples).text().to_lowercase();

    assert!(text.contains("fellow americans"), "left channel missing: {text}");
    assert!(text.contains("amiable"), "right channel missing: {text}");
}

#[test]
fn silence_and_steady_noise_give_no_text() {
    let model = tiny_model();
    let silence = vec![0.0f32; 16_000 * 10];
    let mut state = 0x2545_f491_u32;
    let noise: Vec<f32> = (0..16_000 * 10)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state as f32 / u32::MAX as f32 - 0.5) * 0.2
        })
        .collect();

    for (label, samples) in [("silence", silence), ("noise", noise)] {
        let transcript = transcribe(&model, samples);

        assert!(transcript.is_empty(), "{label} produced text: {:?}", transcript.text());
    }
}

#[test]
fn trailing_silence_adds_no_phrases() {
    let mut samples = decode("jfk.wav");
    samples.extend(vec![0.0; 16_000 * 40]);

    let transcript = transcribe(&tiny_model(), samples);
    let last = transcript.segments.last().expect("segments");

    assert!(last.end_ms <= 12_000, "a segment was placed in the silence: {:?}", transcript.segments);
    assert!(word_error_rate(&reference("jfk.wav"), &transcript.text()) <= 0.10, "{}", transcript.text());
}

#[test]
fn sub_second_clip_transcribed() {
    // "ten" from cards_001.wav ("ten of clubs"), cut to less than a second.
    let samples = decode("cards_001.wav");
    let short: Vec<f32> = samples[..16_000 * 9 / 10].to_vec();

    let transcript = transcribe(&tiny_model(), short);

    assert!(!transcript.is_empty(), "no text for a 0.9 s clip");
    assert!(transcript.duration_ms < 1000);
    for segment in &transcript.segments {
        assert!(segment.end_ms <= transcript.duration_ms, "{segment:?} ends after the audio");
    }
}

#[test]
fn progress_rises_to_the_end_in_small_steps() {
    let samples = decode("asterisk_en_long_8k.wav");
    let mut positions = Vec::new();
    let mut segments = 0;

    let transcript = tiny_model()
        .transcribe(
            samples,
            &options(),
            &mut |event| match event {
                TranscribeEvent::Progress { processed_ms, .. } => positions.push(processed_ms),
                TranscribeEvent::Segment(_) => segments += 1,
            },
            &CancelToken::new(),
        )
        .unwrap();

    assert_eq!(segments, transcript.segments.len(), "every kept segment is reported live");
    assert!(positions.windows(2).all(|pair| pair[0] <= pair[1]), "progress went back: {positions:?}");
    assert_eq!(positions.last().copied(), Some(transcript.duration_ms));
    let largest_step = positions.windows(2).map(|pair| pair[1] - pair[0]).max().unwrap();
    assert!(largest_step <= 10_000, "progress jumped {largest_step} ms of audio: {positions:?}");
}

#[test]
fn cancel_returns_within_one_second() {
    let model = tiny_model();
    let samples = decode("asterisk_en_long_8k.wav");
    let cancel = CancelToken::new();
    let canceller = cancel.clone();
    let mut cancelled_at = None;

    let result = model.transcribe(
        samples,
        &options(),
        &mut |event| {
            if matches!(event, TranscribeEvent::Segment(_)) && cancelled_at.is_none() {
                canceller.cancel();
                cancelled_at = Some(Instant::now());
            }
        },
        &cancel,
    );

    let waited = cancelled_at.expect("a segment arrived before the end").elapsed();
    assert!(matches!(result, Err(TranscribeError::Cancelled)), "{result:?}");
    assert!(waited < Duration::from_secs(1), "took {waited:?} to stop");
}

#[test]
fn consecutive_jobs_independent() {
    let model = tiny_model();

    let first = transcribe(&model, decode("jfk.wav"));
    let second = transcribe(&model, decode("librivox_0930.wav"));

    assert!(first.text().to_lowercase().contains("americans"));
    assert!(!second.text().to_lowercase().contains("americans"), "{}", second.text());
    assert!(word_error_rate(&reference("librivox_0930.wav"), &second.text()) <= 0.2, "{}", second.text());
}

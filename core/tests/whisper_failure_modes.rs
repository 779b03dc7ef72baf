//! whisper's failure modes on real speech, with tiny.en on one thread: speech after a
//! pause that a single pass drops, and repetition that the loop detector must notice, decode
//! again, and keep when it is really spoken. Silence, noise, a long trailing pause and
//! consecutive jobs are covered in `transcribe_speech.rs`.
//!
//! These tests run whisper: `-- --test-threads=1`.

mod support;

use std::fmt;
use std::sync::{Arc, Mutex};

use support::transcription::{tiny_model, transcribe_file, wer_of};
use support::{path_str, run_tool, Workspace};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;
use whisperrr_testkit::{clip, reference};

/// Records the message of every log event on the thread where it is installed.
#[derive(Clone, Default)]
struct LogMessages(Arc<Mutex<Vec<String>>>);

impl LogMessages {
    fn contains(&self, text: &str) -> bool {
        self.0.lock().unwrap().iter().any(|message| message.contains(text))
    }
}

impl<S: tracing::Subscriber> Layer<S> for LogMessages {
    fn on_event(&self, event: &tracing::Event<'_>, _context: Context<'_, S>) {
        struct Message(String);
        impl Visit for Message {
            fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
                if field.name() == "message" {
                    self.0 = format!("{value:?}");
                }
            }
        }
        let mut message = Message(String::new());
        event.record(&mut message);
        self.0.lock().unwrap().push(message.0);
    }
}

#[test]
fn speech_after_pause_not_dropped() {
    // In one pass over this file, tiny.en writes the first sentence and stops: the second
    // clip, after 2 s of silence, is only found when voiced audio without a segment is
    // decoded again.
    let workspace = Workspace::new();
    let pause = workspace.path("pause.wav");
    run_tool("sox", &["-n", "-r", "16000", "-c", "1", "-b", "16", path_str(&pause), "trim", "0", "2"]);
    let input = workspace.path("two sentences.wav");
    run_tool("sox", &[path_str(&clip("jfk.wav")), path_str(&pause), path_str(&clip("librivox_0930.wav")), path_str(&input)]);
    let expected = format!("{} {}", reference("jfk.wav"), reference("librivox_0930.wav"));
    let messages = LogMessages::default();

    let run = tracing::subscriber::with_default(tracing_subscriber::registry().with(messages.clone()), || {
        transcribe_file(&tiny_model(), &input)
    });

    let wer = wer_of("two sentences", &expected, &run.text());
    assert!(wer <= 0.10, "WER {wer:.3}: {}", run.text());
    assert!(run.text().contains("himself"), "the second sentence is missing: {}", run.text());
    assert!(messages.contains("decoded speech that whisper skipped"), "no skipped speech was decoded again");
}

/// Returns the start, in milliseconds, of the first segment of `run` whose text contains
/// `word`.
fn start_of_word(run: &support::transcription::JobRun, word: &str) -> Option<u64> {
    let segments = &run.outcome().transcript.segments;
    segments.iter().find(|segment| segment.text.to_lowercase().contains(word)).map(|segment| segment.start_ms)
}

#[test]
fn segments_start_at_speech_after_silence() {
    // tiny.en starts the segment after a pause where the previous one ended (4.45 s early
    // here), and the first segment of a file at 0 however late the speech comes.
    let workspace = Workspace::new();
    let silence = |name: &str, seconds: &str| {
        let path = workspace.path(name);
        run_tool("sox", &["-R", "-n", "-r", "16000", "-c", "1", "-b", "16", path_str(&path), "trim", "0", seconds]);
        path
    };
    let pause = silence("pause.wav", "4");
    let lead_in = silence("lead in.wav", "7");
    let after_pause = workspace.path("after pause.wav");
    run_tool("sox", &["-R", path_str(&clip("jfk.wav")), path_str(&pause), path_str(&clip("librivox_0870.wav")), path_str(&after_pause)]);
    let late = workspace.path("late start.wav");
    run_tool("sox", &["-R", path_str(&lead_in), path_str(&clip("jfk.wav")), path_str(&late)]);
    let model = tiny_model();

    // (file, a word early in the speech, where that speech starts in milliseconds)
    let cases = [(&after_pause, "dashwood", 15_000), (&late, "americans", 7_000)];
    for (input, word, speech_ms) in cases {
        let run = transcribe_file(&model, input);
        println!("{}: {}", input.display(), run.text());

        let start = start_of_word(&run, word).unwrap_or_else(|| panic!("{word} not found: {}", run.text()));
        // 800 ms: tiny.en's segment times are about half a second off at worst.
        assert!(start.abs_diff(speech_ms) <= 800, "{}: the segment with {word} starts at {start} ms, its speech at {speech_ms} ms", input.display());
    }
}

#[test]
fn spoken_repetition_decoded_again_and_kept() {
    // "ten of clubs" six times, 0.25 s apart. whisper's output repeats as a loop would, so
    // the detector decodes it again. That gives the same words, which are kept.
    let workspace = Workspace::new();
    let gap = workspace.path("gap.wav");
    run_tool("sox", &["-n", "-r", "16000", "-c", "1", "-b", "16", path_str(&gap), "trim", "0", "0.25"]);
    let card = clip("cards_001.wav");
    let mut parts: Vec<&str> = Vec::new();
    for index in 0..6 {
        if index > 0 {
            parts.push(path_str(&gap));
        }
        parts.push(path_str(&card));
    }
    let input = workspace.path("six cards.wav");
    parts.push(path_str(&input));
    run_tool("sox", &parts);
    let messages = LogMessages::default();

    let run = tracing::subscriber::with_default(tracing_subscriber::registry().with(messages.clone()), || {
        transcribe_file(&tiny_model(), &input)
    });

    let text = run.text().to_lowercase();
    println!("{text}");
    assert!(messages.contains("repetition loop decoded again"), "the repetition was not noticed");
    let repeats = text.split_whitespace().filter(|word| word.trim_matches(|c: char| !c.is_alphanumeric()) == "of").count();
    assert_eq!(repeats, 6, "six spoken repeats, transcript: {text}");
}

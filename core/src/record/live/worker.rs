//! The whisper side of live transcription: a thread that commits finished chunks in order
//! and, when idle, transcribes the open chunk as a tentative guess.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Instant;

use super::{overlap, samples_to_ms, LiveEvent, LiveTuning};
use crate::cancel::CancelToken;
use crate::transcribe::{ChunkHints, Model, TranscribeError, TranscribeOptions};
use crate::transcript::{Segment, Transcript};

/// Characters of committed text given to whisper as the prompt of the next chunk.
const PROMPT_CHARS: usize = 200;

/// Audio of a chunk, in samples from the start of the stream.
pub(super) struct Chunk {
    pub start: u64,
    pub end: u64,
    pub samples: Vec<f32>,
    /// True when the chunk starts with audio the previous chunk also had.
    pub overlaps_previous: bool,
}

/// Work waiting for the worker.
#[derive(Default)]
pub(super) struct Queue {
    /// Finished chunks, oldest first.
    pub commits: VecDeque<Chunk>,
    /// The latest request for a tentative pass; a newer one replaces it.
    pub tentative: Option<Chunk>,
    /// The pass in progress: its cancel token, and whether it is a tentative one.
    pub running: Option<(CancelToken, bool)>,
    /// Samples in finished chunks that wait for whisper, not counting the one it is
    /// transcribing. Zero while whisper keeps up with the speaker.
    pub pending_samples: u64,
    /// No more chunks will come.
    pub finished: bool,
}

pub(super) struct Shared {
    pub queue: Mutex<Queue>,
    pub wake: Condvar,
    pub on_event: Box<dyn Fn(LiveEvent) + Send + Sync>,
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, Queue> {
        // The queue stays consistent even if a holder panicked, so a poisoned lock is used.
        self.queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Queue {
    /// Stops the pass in progress if it is a tentative one.
    pub fn cancel_tentative(&self) {
        if let Some((token, true)) = &self.running {
            token.cancel();
        }
    }
}

enum Work {
    Commit(Chunk, CancelToken),
    Tentative(Chunk, CancelToken),
}

/// Starts the worker thread. It returns every committed segment once the queue is
/// finished and empty.
pub(super) fn spawn(
    shared: Arc<Shared>,
    model: Model,
    options: TranscribeOptions,
    tuning: LiveTuning,
    cancel: CancelToken,
) -> Result<JoinHandle<Result<Vec<Segment>, TranscribeError>>, std::io::Error> {
    thread::Builder::new().name("live-transcriber".into()).spawn(move || {
        let mut worker = Worker {
            shared,
            model,
            options,
            tuning,
            cancel,
            committed: Vec::new(),
            tentative_shown: false,
        };
        worker.run()
    })
}

struct Worker {
    shared: Arc<Shared>,
    model: Model,
    options: TranscribeOptions,
    tuning: LiveTuning,
    cancel: CancelToken,
    committed: Vec<Segment>,
    tentative_shown: bool,
}

impl Worker {
    fn run(&mut self) -> Result<Vec<Segment>, TranscribeError> {
        while let Some(work) = self.next_work() {
            match work {
                Work::Commit(chunk, token) => self.commit(chunk, &token)?,
                Work::Tentative(chunk, token) => self.guess(chunk, &token)?,
            }
        }
        if self.cancel.is_cancelled() {
            return Err(TranscribeError::Cancelled);
        }
        if self.tentative_shown {
            (self.shared.on_event)(LiveEvent::Tentative {
                text: String::new(),
                start_ms: 0,
                end_ms: 0,
            });
        }
        Ok(std::mem::take(&mut self.committed))
    }

    /// Waits for the next piece of work: finished chunks first. `None` when the stream
    /// is finished and every chunk committed, or when cancelled. The pass it returns is
    /// registered as running, so that it can be cancelled.
    fn next_work(&self) -> Option<Work> {
        let mut queue = self.shared.lock();
        queue.running = None;
        loop {
            if self.cancel.is_cancelled() {
                return None;
            }
            let token = CancelToken::new();
            if let Some(chunk) = queue.commits.pop_front() {
                queue.pending_samples = queue.pending_samples.saturating_sub(chunk.end - chunk.start);
                queue.running = Some((token.clone(), false));
                return Some(Work::Commit(chunk, token));
            }
            if let Some(chunk) = queue.tentative.take() {
                queue.running = Some((token.clone(), true));
                return Some(Work::Tentative(chunk, token));
            }
            if queue.finished {
                return None;
            }
            queue = self
                .shared
                .wake
                .wait(queue)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }

    fn commit(&mut self, chunk: Chunk, token: &CancelToken) -> Result<(), TranscribeError> {
        let transcript = self.transcribe(&chunk, token, "commit")?;

        let mut segments = shift(transcript.segments, samples_to_ms(chunk.start));
        remove_repeated_segments(&mut segments);
        if chunk.overlaps_previous {
            self.remove_repeated_words(&mut segments);
        }
        self.committed.extend(segments.iter().cloned());

        let pending_ms = samples_to_ms(self.shared.lock().pending_samples);
        let on_event = &self.shared.on_event;
        on_event(LiveEvent::Committed {
            segments,
            audio_end_ms: samples_to_ms(chunk.end),
        });
        if self.tentative_shown {
            self.tentative_shown = false;
            let at = samples_to_ms(chunk.end);
            on_event(LiveEvent::Tentative {
                text: String::new(),
                start_ms: at,
                end_ms: at,
            });
        }
        on_event(LiveEvent::Backlog { pending_ms });
        Ok(())
    }

    /// Transcribes the open chunk as a guess. A pass cancelled by a newer commit is
    /// dropped without a word.
    fn guess(&mut self, chunk: Chunk, token: &CancelToken) -> Result<(), TranscribeError> {
        let result = self.transcribe(&chunk, token, "tentative");
        let transcript = match result {
            Ok(transcript) => transcript,
            Err(TranscribeError::Cancelled) if !self.cancel.is_cancelled() => return Ok(()),
            Err(error) => return Err(error),
        };
        let mut segments = transcript.segments;
        remove_repeated_segments(&mut segments);
        let text: Vec<&str> = segments.iter().map(|segment| segment.text.as_str()).collect();
        self.tentative_shown = true;
        (self.shared.on_event)(LiveEvent::Tentative {
            text: text.join(" "),
            start_ms: samples_to_ms(chunk.start),
            end_ms: samples_to_ms(chunk.end),
        });
        Ok(())
    }

    /// Runs whisper on `chunk` with the committed text as the prompt.
    fn transcribe(&self, chunk: &Chunk, cancel: &CancelToken, pass: &str) -> Result<Transcript, TranscribeError> {
        // With a fitted audio context, a prompt makes tiny.en repeat itself. On seven clips
        // the word error rate rose from 3 % to 41 % with the previous text as prompt. So
        // only full-window passes get the committed text as context.
        let previous_text = if self.tuning.fit_audio_context {
            String::new()
        } else {
            self.prompt()
        };
        let hints = ChunkHints {
            previous_text,
            fit_audio_context: self.tuning.fit_audio_context,
            no_fallback: self.tuning.no_fallback,
        };
        let started = Instant::now();
        let result = self
            .model
            .transcribe_chunk(chunk.samples.clone(), &self.options, &hints, &mut |_| {}, cancel);

        tracing::debug!(
            pass,
            start_ms = samples_to_ms(chunk.start),
            end_ms = samples_to_ms(chunk.end),
            elapsed_ms = started.elapsed().as_millis() as u64,
            text = ?result.as_ref().map(Transcript::text),
            "live transcription pass"
        );
        result
    }

    /// Returns the end of the committed text, starting at a word.
    fn prompt(&self) -> String {
        let mut pieces: Vec<&str> = Vec::new();
        let mut length = 0;
        for segment in self.committed.iter().rev() {
            if length >= PROMPT_CHARS {
                break;
            }
            length += segment.text.len() + 1;
            pieces.push(segment.text.trim());
        }
        pieces.reverse();
        let text = pieces.join(" ");
        if text.len() <= PROMPT_CHARS {
            return text;
        }
        let cut = text.len() - PROMPT_CHARS;
        let start = text[cut..].find(' ').map_or(cut, |space| cut + space + 1);
        text.get(start..).unwrap_or(&text).to_string()
    }

    /// Removes from the front of `segments` the words the committed text already ends with.
    fn remove_repeated_words(&self, segments: &mut Vec<Segment>) {
        let previous = self.prompt();
        let new_text: Vec<&str> = segments.iter().map(|segment| segment.text.as_str()).collect();
        let mut repeated = overlap::repeated_words(&previous, &new_text.join(" "));

        while repeated > 0 && !segments.is_empty() {
            let words = segments[0].text.split_whitespace().count();
            if words <= repeated {
                segments.remove(0);
                repeated -= words;
            } else {
                segments[0].text = overlap::drop_words(&segments[0].text, repeated).to_string();
                repeated = 0;
            }
        }
    }
}

/// Moves segment times from the chunk's start to the recording's start.
fn shift(segments: Vec<Segment>, offset_ms: u64) -> Vec<Segment> {
    segments
        .into_iter()
        .map(|segment| Segment {
            start_ms: segment.start_ms + offset_ms,
            end_ms: segment.end_ms + offset_ms,
            text: segment.text,
        })
        .collect()
}

/// Drops sentences and segments whose words repeat the ones just before them. whisper
/// sometimes loops on a phrase when decoding short audio without retries, while a speaker
/// rarely repeats a sentence right after it within one phrase.
fn remove_repeated_segments(segments: &mut Vec<Segment>) {
    for segment in segments.iter_mut() {
        segment.text = collapse_repeated_sentences(&collapse_looped_phrases(&segment.text));
    }

    let mut previous: Option<String> = None;
    segments.retain(|segment| {
        let words = overlap::normalized_words(&segment.text);
        let repeat = previous.as_deref() == Some(words.as_str()) && !words.is_empty();
        previous = Some(words);
        !repeat
    });
}

/// Shortest and longest phrase, in words, that [`collapse_looped_phrases`] looks for.
const LOOP_MIN_WORDS: usize = 2;
const LOOP_MAX_WORDS: usize = 8;

/// Repeats in a row from which a phrase counts as a decoding loop rather than speech.
const LOOP_MIN_REPEATS: usize = 3;

/// Returns `text` with a phrase that occurs [`LOOP_MIN_REPEATS`] or more times in a row kept once, as
/// whisper writes it when it loops ("10 of clubs 10 of clubs 10 of clubs").
fn collapse_looped_phrases(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let normalized: Vec<String> = words.iter().map(|word| overlap::normalized_words(word)).collect();
    let mut kept: Vec<&str> = Vec::with_capacity(words.len());
    let mut index = 0;

    while index < words.len() {
        let repeat = (LOOP_MIN_WORDS..=LOOP_MAX_WORDS).find_map(|length| {
            let phrase = normalized.get(index..index + length)?;
            let mut count = 1;
            while normalized.get(index + count * length..index + (count + 1) * length) == Some(phrase) {
                count += 1;
            }
            (count >= LOOP_MIN_REPEATS).then_some((length, count))
        });
        match repeat {
            Some((length, count)) => {
                kept.extend_from_slice(&words[index..index + length]);
                index += length * count;
            }
            None => {
                kept.push(words[index]);
                index += 1;
            }
        }
    }
    kept.join(" ")
}

/// `text` with each sentence that repeats the one before it removed.
fn collapse_repeated_sentences(text: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    let mut previous = String::new();
    for sentence in text.split_inclusive(['.', '?', '!']) {
        let words = overlap::normalized_words(sentence);
        if words.is_empty() || words != previous {
            kept.push(sentence);
        }
        if !words.is_empty() {
            previous = words;
        }
    }
    kept.concat().trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(start_ms: u64, text: &str) -> Segment {
        Segment {
            start_ms,
            end_ms: start_ms + 1000,
            text: text.into(),
        }
    }

    #[test]
    fn repeated_segments_kept_once() {
        let mut segments = vec![
            segment(0, "Go forward 10 meters."),
            segment(1000, "go forward 10 meters"),
            segment(2000, "Go forward 10 meters."),
            segment(3000, "Then stop."),
            segment(4000, "Go forward 10 meters."),
        ];

        remove_repeated_segments(&mut segments);

        let texts: Vec<&str> = segments.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(texts, ["Go forward 10 meters.", "Then stop.", "Go forward 10 meters."]);
    }

    #[test]
    fn repeated_sentence_inside_segment_removed() {
        let mut segments = vec![segment(0, " And so my fellow Americans. And so my fellow Americans.")];

        remove_repeated_segments(&mut segments);

        assert_eq!(segments[0].text, "And so my fellow Americans.");
        assert_eq!(collapse_repeated_sentences("Yes. No. Yes? yes!"), "Yes. No. Yes?");
        assert_eq!(
            collapse_repeated_sentences("no punctuation at all"),
            "no punctuation at all"
        );
    }

    #[test]
    fn looped_phrase_kept_once() {
        assert_eq!(
            collapse_looped_phrases("10 of close 10 of close 10 of close 10 of"),
            "10 of close 10 of"
        );
        assert_eq!(
            collapse_looped_phrases("go forward, go forward. Go forward now"),
            "go forward, now"
        );
        assert_eq!(collapse_looped_phrases("that is that is fine"), "that is that is fine");
        assert_eq!(collapse_looped_phrases("no no no"), "no no no");
    }

    #[test]
    fn segments_shifted_to_recording_time() {
        let shifted = shift(vec![segment(250, "word")], 10_000);

        assert_eq!(shifted[0].start_ms, 10_250);
        assert_eq!(shifted[0].end_ms, 11_250);
    }
}

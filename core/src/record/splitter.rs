//! Splitting a live 16 kHz stream into chunks of speech at pauses.
//!
//! Each 20 ms frame counts as voiced when it is [`ABOVE_FLOOR_DB`] above the noise floor.
//! The floor is the 10th percentile of the frame levels of the last 10 seconds, capped so
//! that a stretch of continuous speech cannot pass for the floor. A chunk ends in the
//! first pause long enough after some speech: cutting inside silence never cuts a word.
//! Long chunks accept shorter pauses, and a chunk that reaches [`MAX_CHUNK_MS`] without any
//! pause is cut at its quietest frame, with [`OVERLAP_MS`] of audio repeated at the start
//! of the next chunk so the word at the cut is heard whole in one of them.
//!
//! Before speech starts, at most [`PREROLL_MS`] of silence is kept in front of a chunk: it
//! gives whisper the onset of the first word, and the rest can be dropped.

use std::collections::VecDeque;

/// Samples per second of the input.
pub const SAMPLE_RATE: u64 = 16_000;

const FRAME_MS: u64 = 20;
const FRAME_SAMPLES: usize = (SAMPLE_RATE * FRAME_MS / 1000) as usize;

/// How far above the noise floor a frame must be to count as voiced, in dB.
const ABOVE_FLOOR_DB: f32 = 10.0;

/// Frames quieter than this are never voiced, in dBFS.
const SILENCE_DBFS: f32 = -60.0;

/// The noise floor never rises above this, in dBFS: quieter than normal speech (about
/// -30 to -10 dBFS at a microphone) and louder than a quiet room.
const FLOOR_CAP_DBFS: f32 = -45.0;

/// Frames of history the noise floor is taken from (10 s).
const FLOOR_WINDOW_FRAMES: usize = 500;

/// Share of the frames in the window, from the quietest, that sets the floor.
const FLOOR_PERCENTILE: f32 = 0.10;

/// Less voiced time than this in a chunk is a click or a cough, not speech, in ms.
pub const MIN_SPEECH_MS: u64 = 200;

/// Default pause that ends a chunk shorter than [`LONG_CHUNK_MS`], in ms.
pub const PAUSE_MS: u64 = 400;

/// Chunks at least this long end at a pause of [`LONG_PAUSE_MS`], in ms.
const LONG_CHUNK_MS: u64 = 10_000;
const LONG_PAUSE_MS: u64 = 240;

/// Chunks at least this long end at a pause of [`VERY_LONG_PAUSE_MS`], in ms.
const VERY_LONG_CHUNK_MS: u64 = 18_000;
const VERY_LONG_PAUSE_MS: u64 = 100;

/// Maximum chunk length, in ms. whisper reads 30 s at a time, and shorter chunks keep the text
/// coming.
pub const MAX_CHUNK_MS: u64 = 24_000;

/// How far back from the end of an over-long chunk to look for the quietest frame, in ms.
const FORCED_CUT_SEARCH_MS: u64 = 4_000;

/// Audio repeated at the start of the chunk after a forced cut, in ms.
pub const OVERLAP_MS: u64 = 1_000;

/// Silence kept in front of the first word of a chunk, in ms.
pub const PREROLL_MS: u64 = 1_000;

/// Boundary in the stream, in samples from the start of the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Boundary {
    /// Everything before this sample is silence that no chunk needs.
    Skip(u64),
    /// A chunk with speech spans `start..end`. The next chunk starts at `next_start`, which
    /// is `end` after a pause and [`OVERLAP_MS`] earlier after a forced cut.
    Cut {
        start: u64,
        end: u64,
        next_start: u64,
        forced: bool,
    },
}

#[derive(Clone, Copy, Debug)]
struct Frame {
    level_db: f32,
    voiced: bool,
}

/// Finds chunk boundaries in 16 kHz mono audio pushed in pieces of any size.
#[derive(Debug)]
pub struct PauseSplitter {
    /// Pause that ends a chunk shorter than [`LONG_CHUNK_MS`], in ms.
    pause_ms: u64,
    /// Samples analysed so far, a whole number of frames.
    position: u64,
    /// The start of an incomplete frame, fewer than [`FRAME_SAMPLES`] samples.
    partial: Vec<f32>,
    /// Levels of the most recent frames, oldest first, for the noise floor.
    recent_levels: VecDeque<f32>,
    /// Scratch space for sorting `recent_levels`.
    sorted: Vec<f32>,
    chunk_start: u64,
    /// Every frame of the current chunk, oldest first.
    chunk: VecDeque<Frame>,
    voiced_frames: usize,
    /// Unvoiced frames at the end of the chunk.
    silent_run: usize,
}

impl Default for PauseSplitter {
    fn default() -> Self {
        Self::new()
    }
}

impl PauseSplitter {
    /// Creates a splitter that ends chunks at pauses of [`PAUSE_MS`].
    pub fn new() -> Self {
        Self::with_pause(PAUSE_MS)
    }

    /// Creates a splitter that ends chunks shorter than 10 s at pauses of `pause_ms`.
    /// Longer chunks accept shorter pauses, at most 240 ms and then 100 ms.
    pub fn with_pause(pause_ms: u64) -> Self {
        Self {
            pause_ms: pause_ms.max(VERY_LONG_PAUSE_MS),
            position: 0,
            partial: Vec::with_capacity(FRAME_SAMPLES),
            recent_levels: VecDeque::with_capacity(FLOOR_WINDOW_FRAMES + 1),
            sorted: Vec::with_capacity(FLOOR_WINDOW_FRAMES + 1),
            chunk_start: 0,
            chunk: VecDeque::new(),
            voiced_frames: 0,
            silent_run: 0,
        }
    }

    /// Start of the chunk being collected, in samples.
    pub fn chunk_start(&self) -> u64 {
        self.chunk_start
    }

    /// Voiced time in the chunk being collected, in ms.
    pub fn chunk_voiced_ms(&self) -> u64 {
        self.voiced_frames as u64 * FRAME_MS
    }

    /// Analyses `samples` and returns the boundaries found in them, in order.
    pub fn push(&mut self, samples: &[f32]) -> Vec<Boundary> {
        let mut boundaries = Vec::new();
        let mut rest = samples;

        while !rest.is_empty() {
            let take = (FRAME_SAMPLES - self.partial.len()).min(rest.len());
            self.partial.extend_from_slice(&rest[..take]);
            rest = &rest[take..];

            if self.partial.len() == FRAME_SAMPLES {
                let level_db = frame_level_db(&self.partial);
                self.partial.clear();
                self.position += FRAME_SAMPLES as u64;
                self.add_frame(level_db, &mut boundaries);
            }
        }
        boundaries
    }

    /// Ends the stream after `total_samples` samples and returns the last boundary: a cut
    /// when the open chunk contains speech, else a skip over its silence.
    pub fn finish(&mut self, total_samples: u64) -> Boundary {
        let end = total_samples.max(self.chunk_start);
        let boundary = if self.chunk_voiced_ms() >= MIN_SPEECH_MS {
            Boundary::Cut {
                start: self.chunk_start,
                end,
                next_start: end,
                forced: false,
            }
        } else {
            Boundary::Skip(end)
        };
        self.start_chunk(end);
        boundary
    }

    fn add_frame(&mut self, level_db: f32, boundaries: &mut Vec<Boundary>) {
        let floor = self.update_floor(level_db);
        let voiced = level_db > (floor + ABOVE_FLOOR_DB).max(SILENCE_DBFS);
        self.chunk.push_back(Frame { level_db, voiced });
        if voiced {
            self.voiced_frames += 1;
            self.silent_run = 0;
        } else {
            self.silent_run += 1;
        }

        let chunk_ms = self.chunk.len() as u64 * FRAME_MS;
        let pause_ms = self.silent_run as u64 * FRAME_MS;

        if pause_ms >= self.required_pause_ms(chunk_ms) && self.voiced_frames > 0 {
            if self.chunk_voiced_ms() >= MIN_SPEECH_MS {
                let (start, end) = (self.chunk_start, self.position);
                boundaries.push(Boundary::Cut {
                    start,
                    end,
                    next_start: end,
                    forced: false,
                });
                self.start_chunk(self.position);
                return;
            }
            // Too little speech to transcribe: forget it, so the silence rule below trims it.
            self.voiced_frames = 0;
        }

        if self.voiced_frames == 0 && chunk_ms > PREROLL_MS {
            let excess = self.chunk.len() - (PREROLL_MS / FRAME_MS) as usize;
            self.chunk.drain(..excess);
            self.chunk_start += (excess * FRAME_SAMPLES) as u64;
            self.silent_run = self.chunk.len();
            merge_skip(boundaries, self.chunk_start);
        }

        if chunk_ms >= MAX_CHUNK_MS {
            boundaries.push(self.forced_cut());
        }
    }

    /// Cuts the over-long chunk at its quietest recent frame and starts the next chunk
    /// [`OVERLAP_MS`] before that.
    fn forced_cut(&mut self) -> Boundary {
        let search_frames = (FORCED_CUT_SEARCH_MS / FRAME_MS) as usize;
        let first = self.chunk.len().saturating_sub(search_frames);
        let quietest = (first..self.chunk.len())
            .min_by(|&a, &b| self.chunk[a].level_db.total_cmp(&self.chunk[b].level_db))
            .unwrap_or(self.chunk.len() - 1);

        let start = self.chunk_start;
        let end = start + (quietest * FRAME_SAMPLES) as u64;
        let overlap_frames = (OVERLAP_MS / FRAME_MS) as usize;
        let keep_from = quietest.saturating_sub(overlap_frames);
        let next_start = self.chunk_start + (keep_from * FRAME_SAMPLES) as u64;

        self.chunk.drain(..keep_from);
        self.chunk_start = next_start;
        self.voiced_frames = self.chunk.iter().filter(|frame| frame.voiced).count();
        self.silent_run = self.chunk.iter().rev().take_while(|frame| !frame.voiced).count();
        Boundary::Cut {
            start,
            end,
            next_start,
            forced: true,
        }
    }

    /// Returns the pause that ends a chunk of `chunk_ms`, in ms.
    fn required_pause_ms(&self, chunk_ms: u64) -> u64 {
        if chunk_ms >= VERY_LONG_CHUNK_MS {
            VERY_LONG_PAUSE_MS
        } else if chunk_ms >= LONG_CHUNK_MS {
            LONG_PAUSE_MS.min(self.pause_ms)
        } else {
            self.pause_ms
        }
    }

    fn start_chunk(&mut self, start: u64) {
        self.chunk_start = start;
        self.chunk.clear();
        self.voiced_frames = 0;
        self.silent_run = 0;
    }

    /// Adds `level_db` to the history and returns the noise floor.
    // TODO: digital silence before speech (a virtual device, a player not started yet)
    // keeps the floor near -inf for 10 s, so background noise of -40 dBFS counts as voice
    // and a noisy recording is not split at its pauses until that silence leaves the
    // window. Leaving frames below -90 dBFS out of the history fixes it, but changes when
    // the live tests' tentative texts appear, so it waits for those to be retuned.
    fn update_floor(&mut self, level_db: f32) -> f32 {
        if self.recent_levels.len() == FLOOR_WINDOW_FRAMES {
            self.recent_levels.pop_front();
        }
        self.recent_levels.push_back(level_db);

        self.sorted.clear();
        self.sorted.extend(self.recent_levels.iter().copied());
        let index = ((self.sorted.len() - 1) as f32 * FLOOR_PERCENTILE).round() as usize;
        let (_, floor, _) = self.sorted.select_nth_unstable_by(index, f32::total_cmp);
        floor.min(FLOOR_CAP_DBFS)
    }
}

/// Adds a skip to `boundaries`, replacing a skip just before it.
fn merge_skip(boundaries: &mut Vec<Boundary>, to: u64) {
    if let Some(Boundary::Skip(previous)) = boundaries.last_mut() {
        *previous = to;
    } else {
        boundaries.push(Boundary::Skip(to));
    }
}

/// Root-mean-square level of one frame, in dBFS.
fn frame_level_db(frame: &[f32]) -> f32 {
    let energy = frame.iter().map(|&s| s * s).sum::<f32>() / frame.len() as f32;
    10.0 * (energy + 1e-12).log10()
}

#[cfg(test)]
mod tests;

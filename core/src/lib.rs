//! Whisperrr's transcription core: everything between an audio file and a saved transcript,
//! with no GUI types, so it runs and is tested without a display.
//!
//! A file travels through these modules in order:
//! [`audio`] decodes it and resamples it to 16 kHz mono, [`transcribe`] runs whisper.cpp over
//! the samples, [`export`] formats the segments as TXT, SRT, WebVTT or JSON, and [`save`]
//! writes them beside the audio without overwriting anything. [`job`] runs those steps for
//! one file, reporting progress and honouring cancellation. [`jobs`] queues many files for
//! the window and runs them one at a time on a background thread. [`models`] finds,
//! downloads and converts the whisper models the transcriber loads.

pub mod audio;
pub mod cancel;
pub mod export;
pub mod job;
pub mod jobs;
pub mod memory;
pub mod models;
pub mod paths;
pub mod record;
pub mod save;
pub mod settings;
pub mod transcribe;
pub mod transcript;
pub mod vad;

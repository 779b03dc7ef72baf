//! The C callbacks whisper.cpp calls while `whisper_full` runs.
//!
//! whisper-rs's closure-based setters leak their boxed closure on every call, so a
//! long-running app would lose memory on each job. These plain functions take a pointer to
//! a [`CallbackState`] that lives on the worker thread's stack for the whole of
//! `whisper_full`, so nothing is leaked. They must never panic: unwinding across the C
//! boundary aborts the process.

use std::ffi::{c_int, c_void, CStr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;

use whisper_rs::whisper_rs_sys as sys;

use super::worker::{RawSegment, WorkerMessage};

/// Milliseconds per whisper segment time tick.
const TICK_MS: u64 = 10;

/// Where whisper is in the recording, and where to report it.
pub(super) struct CallbackState {
    pub sender: Sender<WorkerMessage>,
    /// Length of the samples given to whisper, in milliseconds.
    pub duration_ms: u64,
    /// The furthest position reported so far.
    pub reported_ms: u64,
    /// Every segment so far, in order. whisper never revises a segment once it is reported.
    pub segments: Vec<RawSegment>,
}

impl CallbackState {
    fn report_position(&mut self, position_ms: u64) {
        let position_ms = position_ms.min(self.duration_ms);
        if position_ms > self.reported_ms {
            self.reported_ms = position_ms;
            let _ = self.sender.send(WorkerMessage::Progress { processed_ms: position_ms });
        }
    }
}

/// Reports each new segment, and moves the window estimate to its end.
///
/// # Safety
/// `user_data` must point to a live `CallbackState` that nothing else borrows meanwhile;
/// whisper.cpp calls this on the thread running `whisper_full`, with a valid `state`.
pub(super) unsafe extern "C" fn on_new_segments(
    _context: *mut sys::whisper_context,
    state: *mut sys::whisper_state,
    new_count: c_int,
    user_data: *mut c_void,
) {
    let callback_state = unsafe { &mut *(user_data as *mut CallbackState) };
    let total = unsafe { sys::whisper_full_n_segments_from_state(state) };

    for index in (total - new_count).max(0)..total {
        let segment = unsafe { read_segment(state, index) };
        let _ = callback_state.sender.send(WorkerMessage::Segment(segment.clone()));
        callback_state.report_position(segment.end_ms);
        callback_state.segments.push(segment);
    }
}

/// Reports whisper's own progress, which it gives as a whole percentage at the start of
/// each 30-second window.
///
/// # Safety
/// As for [`on_new_segments`].
pub(super) unsafe extern "C" fn on_progress(
    _context: *mut sys::whisper_context,
    _state: *mut sys::whisper_state,
    percent: c_int,
    user_data: *mut c_void,
) {
    let callback_state = unsafe { &mut *(user_data as *mut CallbackState) };
    let position_ms = callback_state.duration_ms * percent.clamp(0, 100) as u64 / 100;
    callback_state.report_position(position_ms);
}

/// Tells whisper.cpp to stop once the job is cancelled. It checks between graph
/// computations, so a cancelled transcription stops within one encoder or decoder pass.
///
/// # Safety
/// `user_data` must point to an `AtomicBool` that outlives `whisper_full`. ggml may call
/// this from one of its worker threads, which is why it only reads an atomic.
pub(super) unsafe extern "C" fn should_abort(user_data: *mut c_void) -> bool {
    let cancelled = unsafe { &*(user_data as *const AtomicBool) };
    cancelled.load(Ordering::SeqCst)
}

/// Reads segment `index` of `state`, with times converted to milliseconds.
///
/// # Safety
/// `state` must be a valid whisper state with more than `index` segments.
unsafe fn read_segment(state: *mut sys::whisper_state, index: c_int) -> RawSegment {
    let text_ptr = unsafe { sys::whisper_full_get_segment_text_from_state(state, index) };

    // A segment can end inside a multi-byte character, so the text is decoded lossily.
    let text = if text_ptr.is_null() {
        String::new()
    } else {
        unsafe { CStr::from_ptr(text_ptr) }.to_string_lossy().into_owned()
    };
    let start_ticks = unsafe { sys::whisper_full_get_segment_t0_from_state(state, index) };
    let end_ticks = unsafe { sys::whisper_full_get_segment_t1_from_state(state, index) };

    RawSegment {
        start_ms: start_ticks.max(0) as u64 * TICK_MS,
        end_ms: end_ticks.max(0) as u64 * TICK_MS,
        text,
    }
}

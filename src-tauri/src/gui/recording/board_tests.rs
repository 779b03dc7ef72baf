use std::path::PathBuf;

use whisperrr_core::record::StopReason;
use whisperrr_core::save::SaveError;
use whisperrr_core::transcript::Transcript;

use super::*;

fn segment(start_ms: u64, text: &str) -> Segment {
    Segment { start_ms, end_ms: start_ms + 1000, text: text.into() }
}

fn format() -> CaptureFormat {
    CaptureFormat {
        device: InputDevice { name: "Virtual microphone".into(), id: "pulse".into(), is_default: true },
        sample_format: "i16".into(),
        sample_rate: 48_000,
        channels: 2,
        buffer_frames: Some(480),
    }
}

fn outcome(reason: StopReason, segments: Vec<Segment>) -> RecordingOutcome {
    RecordingOutcome {
        wav: "/rec/recording-1.wav".into(),
        written: if segments.is_empty() { Vec::new() } else { vec!["/rec/recording-1.txt".into(), "/rec/recording-1.srt".into()] },
        transcript: Transcript { segments, language: Some("en".into()), duration_ms: 11_000 },
        duration_ms: 11_000,
        stop_reason: reason,
        warnings: Vec::new(),
        format: Some(format()),
    }
}

fn summary_of(update: BoardUpdate) -> RecordingSummary {
    match update {
        BoardUpdate::Summary(summary) => summary,
        other => panic!("expected a summary, got {other:?}"),
    }
}

fn unfinished(path: &str) -> UnfinishedRecording {
    UnfinishedRecording { path: path.into(), duration_ms: 11_000, repaired: true }
}

fn scan(paths: &[&str]) -> UnfinishedScan {
    UnfinishedScan { recordings: paths.iter().map(|path| unfinished(path)).collect(), problems: Vec::new() }
}

#[test]
fn take_goes_from_start_to_saved_files() {
    let mut board = Board::new(Some("/rec".into()));

    let starting = summary_of(board.begin_recording());
    assert_eq!(starting.phase, RecordingPhase::Starting);
    assert_eq!(starting.take, 0);

    let recording = summary_of(board.apply(RecordEvent::Started { format: format(), path: "/rec/x.wav.partial".into() }));
    assert_eq!(recording.phase, RecordingPhase::Recording);
    assert_eq!(recording.take, 1);
    assert_eq!(recording.format, Some(format()));

    let guess = summary_of(board.apply(RecordEvent::Tentative { text: " And so my ".into(), start_ms: 0, end_ms: 900 }));
    assert_eq!(guess.tentative, "And so my");

    let BoardUpdate::Committed { take, index, segments, summary } =
        board.apply(RecordEvent::Committed { segments: vec![segment(0, "And so, my fellow Americans,")], audio_end_ms: 3000 })
    else {
        panic!("expected committed text");
    };
    assert_eq!((take, index), (1, 0));
    assert_eq!(segments, vec![segment(0, "And so, my fellow Americans,")]);
    assert_eq!(summary.segment_count, 1);

    let cleared = summary_of(board.apply(RecordEvent::Tentative { text: String::new(), start_ms: 3000, end_ms: 3000 }));
    assert_eq!(cleared.tentative, "");

    let finishing = summary_of(board.apply(RecordEvent::Stopped { reason: StopReason::Requested, recorded_ms: 11_000 }));
    assert_eq!(finishing.phase, RecordingPhase::Finishing);
    assert_eq!(finishing.failure, None);

    let done = summary_of(board.finish_recording(Ok(outcome(StopReason::Requested, vec![segment(0, "And so")]))));
    assert_eq!(done.phase, RecordingPhase::Idle);
    let saved = done.saved.expect("the files are listed");
    assert_eq!(saved.wav, PathBuf::from("/rec/recording-1.wav"));
    assert_eq!(saved.written.len(), 2);
    assert_eq!(saved.duration_ms, Some(11_000));
    assert!(!saved.no_speech);
    assert!(done.revision > finishing.revision);
    assert_eq!(board.segments(), [segment(0, "And so, my fellow Americans,")]);
}

#[test]
fn level_updates_elapsed_without_summary() {
    let mut board = Board::new(None);
    board.begin_recording();
    let before = board.summary().revision;

    let update = board.apply(RecordEvent::Level { rms_dbfs: -23.5, peak_dbfs: -6.0, recorded_ms: 1250 });

    assert_eq!(update, BoardUpdate::Level(Level { rms_dbfs: -23.5, peak_dbfs: -6.0, recorded_ms: Some(1250) }));
    assert_eq!(board.summary().recorded_ms, 1250);
    assert_eq!(board.summary().revision, before);
}

#[test]
fn failure_stop_keeps_message_and_files() {
    let mut board = Board::new(None);
    board.begin_recording();
    board.apply(started());

    let stopped = summary_of(board.apply(RecordEvent::Stopped { reason: StopReason::NoAudio, recorded_ms: 4000 }));
    let done = summary_of(board.finish_recording(Ok(outcome(StopReason::NoAudio, vec![segment(0, "And so")]))));

    let message = stopped.failure.expect("a failure message");
    assert!(message.contains("no audio for 2 seconds"), "{message}");
    assert_eq!(done.failure.as_deref(), Some(message.as_str()));
    assert!(done.saved.is_some());
    assert_eq!(done.error, None);
}

#[test]
fn pause_and_resume_change_phase() {
    let mut board = Board::new(None);
    board.begin_recording();
    board.apply(started());

    let paused = summary_of(board.apply(RecordEvent::Paused { recorded_ms: 2000 }));
    assert_eq!(paused.phase, RecordingPhase::Paused);
    assert_eq!(paused.recorded_ms, 2000);

    let resumed = summary_of(board.apply(RecordEvent::Resumed { recorded_ms: 2000 }));
    assert_eq!(resumed.phase, RecordingPhase::Recording);
}

fn started() -> RecordEvent {
    RecordEvent::Started { format: format(), path: "/rec/x.wav.partial".into() }
}

#[test]
fn new_take_clears_previous_text_and_files() {
    let mut board = Board::new(None);
    board.begin_recording();
    board.apply(started());
    board.apply(RecordEvent::Committed { segments: vec![segment(0, "first take")], audio_end_ms: 1000 });
    board.apply(RecordEvent::Warning { message: "the audio device overran".into() });
    board.finish_recording(Ok(outcome(StopReason::Requested, vec![segment(0, "first take")])));

    let starting = summary_of(board.begin_recording());
    assert_eq!(starting.take, 1, "the previous take stays until audio flows");
    assert!(starting.saved.is_some());
    let second = summary_of(board.apply(started()));

    assert_eq!(second.take, 2);
    assert_eq!(second.segment_count, 0);
    assert_eq!(second.saved, None);
    assert!(second.warnings.is_empty());
    assert!(board.segments().is_empty());
    let BoardUpdate::Committed { take, index, .. } =
        board.apply(RecordEvent::Committed { segments: vec![segment(0, "second take")], audio_end_ms: 1000 })
    else {
        panic!("expected committed text");
    };
    assert_eq!((take, index), (2, 0));
}

#[test]
fn blank_commits_and_repeats_send_nothing() {
    let mut board = Board::new(None);
    board.begin_recording();
    board.apply(RecordEvent::Tentative { text: "ask not".into(), start_ms: 0, end_ms: 900 });
    board.apply(RecordEvent::Backlog { pending_ms: 1200 });

    assert_eq!(board.apply(RecordEvent::Committed { segments: vec![segment(0, "  ")], audio_end_ms: 1000 }), BoardUpdate::None);
    assert_eq!(board.apply(RecordEvent::Tentative { text: "ask not ".into(), start_ms: 0, end_ms: 1000 }), BoardUpdate::None);
    assert_eq!(board.apply(RecordEvent::Backlog { pending_ms: 1200 }), BoardUpdate::None);
    assert_eq!(board.summary().backlog_ms, 1200);
    assert_eq!(board.summary().segment_count, 0);
}

#[test]
fn transcript_failure_still_lists_wav() {
    let mut board = Board::new(None);
    board.begin_recording();
    let error = RecordError::SaveTranscript {
        wav: "/rec/recording-1.wav".into(),
        source: SaveError::NotAFolder { path: "/rec".into() },
    };

    let done = summary_of(board.finish_recording(Err(error)));

    assert_eq!(done.saved.map(|saved| saved.wav), Some(PathBuf::from("/rec/recording-1.wav")));
    assert!(done.error.unwrap().contains("its transcript could not be saved"));
}

#[test]
fn start_failure_keeps_previous_take() {
    let mut board = Board::new(None);
    board.begin_recording();
    board.apply(started());
    board.apply(RecordEvent::Committed { segments: vec![segment(0, "first take")], audio_end_ms: 1000 });
    board.finish_recording(Ok(outcome(StopReason::Requested, vec![segment(0, "first take")])));
    board.begin_recording();

    let failed = summary_of(board.start_failed(Some(RecordError::NoInputDevice.to_string())));

    assert_eq!(failed.phase, RecordingPhase::Idle);
    assert!(failed.error.unwrap().starts_with("no input device found"));
    assert_eq!(failed.take, 1);
    assert!(failed.saved.is_some());
    assert_eq!(board.segments().len(), 1);
}

#[test]
fn recovered_recording_leaves_list() {
    let mut board = Board::new(None);
    board.set_unfinished(Some("/rec".into()), scan(&["/rec/a.wav.partial", "/rec/b.wav.partial"]));

    let busy = summary_of(board.begin_recovery("/rec/a.wav.partial".into()));
    assert_eq!(busy.phase, RecordingPhase::Recovering);
    assert_eq!(busy.recovering, Some(PathBuf::from("/rec/a.wav.partial")));

    let BoardUpdate::Committed { take, index, segments, summary: done } =
        board.finish_recovery(Ok(outcome(StopReason::Recovered, vec![segment(0, "ask not")])))
    else {
        panic!("expected the recovered transcript");
    };
    assert_eq!((take, index), (1, 0));
    assert_eq!(segments, vec![segment(0, "ask not")]);
    assert_eq!(done.phase, RecordingPhase::Idle);
    assert_eq!(done.recovering, None);
    assert_eq!(done.unfinished, vec![unfinished("/rec/b.wav.partial")]);
    assert!(done.saved.unwrap().recovered);
}

#[test]
fn given_up_start_shows_no_error() {
    let mut board = Board::new(None);
    board.begin_recording();

    let idle = summary_of(board.start_failed(None));

    assert_eq!(idle.phase, RecordingPhase::Idle);
    assert_eq!(idle.error, None);
}

#[test]
fn cancelled_recovery_stays_listed() {
    let mut board = Board::new(None);
    board.set_unfinished(Some("/rec".into()), scan(&["/rec/a.wav.partial"]));
    board.begin_recovery("/rec/a.wav.partial".into());

    let done = summary_of(board.finish_recovery(Err(RecordError::Cancelled)));

    assert_eq!(done.unfinished.len(), 1);
    assert_eq!(done.error, None);
    assert_eq!(done.saved, None);
}

#[test]
fn kept_recording_leaves_list() {
    let mut board = Board::new(None);
    board.set_unfinished(Some("/rec".into()), scan(&["/rec/a.wav.partial"]));

    let done = summary_of(board.kept_unfinished(&unfinished("/rec/a.wav.partial"), "/rec/a.wav".into()));

    assert!(done.unfinished.is_empty());
    let saved = done.saved.unwrap();
    assert_eq!(saved.wav, PathBuf::from("/rec/a.wav"));
    assert_eq!(saved.duration_ms, Some(11_000));
    assert_eq!(board.unfinished(Path::new("/rec/a.wav.partial")), None);
}

#[test]
fn only_listed_paths_are_unfinished() {
    let mut board = Board::new(None);
    board.set_unfinished(Some("/rec".into()), scan(&["/rec/a.wav.partial"]));

    assert!(board.unfinished(Path::new("/rec/a.wav.partial")).is_some());
    for path in ["/etc/passwd", "/rec/../rec/a.wav.partial", "/rec/a.wav", "rec/a.wav.partial"] {
        assert_eq!(board.unfinished(Path::new(path)), None, "{path}");
    }
}

#[test]
fn same_monitor_state_sends_nothing() {
    let mut board = Board::new(None);

    assert!(matches!(board.set_monitor(MonitorState::Opening), BoardUpdate::Summary(_)));
    assert_eq!(board.set_monitor(MonitorState::Opening), BoardUpdate::None);
}

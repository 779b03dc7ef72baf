//! The job manager with a real model (tiny.en, one thread) on real speech.
//!
//! These tests run whisper, so they must run one at a time: the test command runs them
//! with `--test-threads=1`.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use whisperrr_core::cancel::CancelToken;
use whisperrr_core::export::Format;
use whisperrr_core::job::{JobId, Phase};
use whisperrr_core::jobs::{JobConfig, JobManager, JobStatus, JobSummary, JobUpdate, ManagerError, ModelStatus};
use whisperrr_core::transcribe::{Language, TranscribeOptions};
use whisperrr_testkit::{clip, model_path, reference, word_error_rate};

/// Generous upper bound for anything a test waits for; a hang fails instead of blocking CI.
const WAIT_LIMIT: Duration = Duration::from_secs(300);

/// A manager, every update it sent so far, and a folder for inputs and outputs.
struct Harness {
    manager: Option<JobManager>,
    received: Receiver<JobUpdate>,
    updates: Vec<JobUpdate>,
    dir: tempfile::TempDir,
}

impl Harness {
    fn new() -> Self {
        let (sender, received) = mpsc::channel();
        let manager = JobManager::start(sender).expect("job manager starts");
        Self { manager: Some(manager), received, updates: Vec::new(), dir: tempfile::tempdir().unwrap() }
    }

    fn manager(&self) -> &JobManager {
        self.manager.as_ref().unwrap()
    }

    /// Copies fixture clip `name` into the test folder as `as_name`.
    fn add_clip(&self, name: &str, as_name: &str) -> PathBuf {
        let path = self.dir.path().join(as_name);
        fs::copy(clip(name), &path).unwrap();
        path
    }

    fn add_job(&self, input: PathBuf) -> JobId {
        self.manager().add(input, config(None))
    }

    /// Receives updates until `done` holds for one of them, and returns that one.
    fn wait_for(&mut self, what: &str, done: impl Fn(&JobUpdate) -> bool) -> JobUpdate {
        let deadline = Instant::now() + WAIT_LIMIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.received.recv_timeout(left) {
                Ok(update) => {
                    self.updates.push(update.clone());
                    if done(&update) {
                        return update;
                    }
                }
                Err(RecvTimeoutError::Timeout) => panic!("timed out waiting for {what}; updates: {:#?}", self.updates),
                Err(RecvTimeoutError::Disconnected) => panic!("manager stopped while waiting for {what}"),
            }
        }
    }

    /// Waits until job `id` reaches `status`, and returns its summary then.
    fn wait_status(&mut self, id: JobId, status: JobStatus) -> JobSummary {
        let update = self.wait_for(&format!("{id} to be {status:?}"), |update| {
            matches!(update, JobUpdate::Changed(summary) if summary.id == id && summary.status == status)
        });
        let JobUpdate::Changed(summary) = update else { unreachable!() };
        summary
    }

    /// The summaries of job `id` received so far, oldest first.
    fn summaries(&self, id: JobId) -> Vec<&JobSummary> {
        self.updates
            .iter()
            .filter_map(|update| match update {
                JobUpdate::Changed(summary) if summary.id == id => Some(summary),
                _ => None,
            })
            .collect()
    }

    /// Position in the update list of the first summary of `id` with `status`.
    fn first_index(&self, id: JobId, status: JobStatus) -> usize {
        self.updates
            .iter()
            .position(|update| matches!(update, JobUpdate::Changed(s) if s.id == id && s.status == status))
            .unwrap_or_else(|| panic!("no update with {id} {status:?}"))
    }

    fn names(&self) -> Vec<String> {
        names_in(self.dir.path())
    }
}

fn config(output_dir: Option<PathBuf>) -> JobConfig {
    JobConfig {
        model: model_path("tiny.en"),
        options: TranscribeOptions { language: Language::Code("en".into()), translate: false, threads: 1 },
        formats: vec![Format::Txt, Format::Srt],
        output_dir,
    }
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        fs::read_dir(dir).unwrap().map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// The revision of job `id` in a fresh snapshot.
fn all_revision(harness: &Harness, id: JobId) -> u64 {
    harness.manager().job(id).unwrap().summary.revision
}

fn is_model_loading(update: &JobUpdate) -> bool {
    matches!(update, JobUpdate::Model(ModelStatus::Loading { .. }))
}

#[test]
fn jobs_run_in_order_with_one_model_load() {
    let mut harness = Harness::new();
    let jfk = harness.add_clip("jfk.wav", "jfk.wav");
    let second = harness.add_clip("goforward.wav", "go forward #2 é.wav");

    let first_id = harness.add_job(jfk.clone());
    let second_id = harness.add_job(second.clone());
    let finished = harness.wait_status(first_id, JobStatus::Finished);
    harness.wait_status(second_id, JobStatus::Finished);

    // Order: the second job starts only after the first has finished.
    assert!(harness.first_index(first_id, JobStatus::Finished) < harness.first_index(second_id, JobStatus::Running));
    assert_eq!(harness.updates.iter().filter(|u| is_model_loading(u)).count(), 1, "{:#?}", harness.updates);

    // Live segments came before the job finished, and match the final transcript.
    let live: Vec<String> = harness
        .updates
        .iter()
        .take(harness.first_index(first_id, JobStatus::Finished))
        .filter_map(|update| match update {
            JobUpdate::Segment { id, segment, .. } if *id == first_id => Some(segment.text.clone()),
            _ => None,
        })
        .collect();
    let snapshot = harness.manager().job(first_id).unwrap();
    let final_text: Vec<String> = snapshot.segments.iter().map(|s| s.text.clone()).collect();
    assert!(!live.is_empty(), "no live segments");
    assert_eq!(live, final_text);
    let wer = word_error_rate(&reference("jfk.wav"), &final_text.join(" "));
    assert!(wer <= 0.10, "WER {wer:.3}: {final_text:?}");

    // Progress only rises and ends at 100; the summary has what the window shows.
    let revisions: Vec<u64> = harness.summaries(first_id).iter().map(|s| s.revision).collect();
    assert!(revisions.windows(2).all(|pair| pair[0] < pair[1]), "{revisions:?}");
    assert_eq!(all_revision(&harness, first_id), *revisions.last().unwrap());
    let percents: Vec<f32> = harness.summaries(first_id).iter().map(|s| s.percent).collect();
    assert!(percents.windows(2).all(|pair| pair[0] <= pair[1]), "{percents:?}");
    assert!(percents.iter().any(|&p| p > 0.0 && p < 100.0), "{percents:?}");
    assert_eq!(finished.percent, 100.0);
    assert_eq!(finished.phase, Some(Phase::Saving));
    assert_eq!(finished.duration_ms, Some(11_000));
    assert!(finished.elapsed_ms.is_some());
    assert_eq!(finished.eta_ms, None);
    assert_eq!(finished.language.as_deref(), Some("en"));
    assert_eq!(finished.file_name, "jfk.wav");
    assert_eq!(finished.outputs, vec![harness.dir.path().join("jfk.txt"), harness.dir.path().join("jfk.srt")]);
    assert_eq!(
        harness.names(),
        ["go forward #2 é.srt", "go forward #2 é.txt", "go forward #2 é.wav", "jfk.srt", "jfk.txt", "jfk.wav"]
    );

    // A reloaded page gets every job, in order, with its segments.
    let all = harness.manager().snapshot();
    let ids: Vec<JobId> = all.iter().map(|job| job.summary.id).collect();
    assert_eq!(ids, [first_id, second_id]);
    assert_eq!(all[0].segments, snapshot.segments);
    assert_eq!(all[1].summary.input, second);
    assert!(harness.manager().is_idle());
}

#[test]
fn cancel_running_job_writes_nothing_and_next_runs() {
    let mut harness = Harness::new();
    let long = harness.add_clip("asterisk_en_long_8k.wav", "long.wav");
    let jfk = harness.add_clip("jfk.wav", "jfk.wav");
    let long_id = harness.add_job(long);
    let jfk_id = harness.add_job(jfk);

    let moving = harness.wait_for("an estimate while transcribing", |update| {
        matches!(update, JobUpdate::Changed(s) if s.id == long_id && s.phase == Some(Phase::Transcribing) && s.eta_ms.is_some())
    });
    let JobUpdate::Changed(moving) = moving else { unreachable!() };
    assert!(moving.percent > 10.0, "{moving:?}");
    assert!(matches!(harness.manager().remove(long_id), Err(ManagerError::StillActive(_))));

    harness.manager().cancel(long_id).unwrap();
    let cancelled = harness.wait_status(long_id, JobStatus::Cancelled);
    harness.wait_status(jfk_id, JobStatus::Finished);

    assert!(cancelled.outputs.is_empty());
    assert_eq!(cancelled.error, None);
    assert_eq!(harness.names(), ["jfk.srt", "jfk.txt", "jfk.wav", "long.wav"]);
}

#[test]
fn cancel_queued_and_cancel_all() {
    let mut harness = Harness::new();
    let long = harness.add_clip("asterisk_en_long_8k.wav", "long.wav");
    let jfk = harness.add_clip("jfk.wav", "jfk.wav");
    let go = harness.add_clip("goforward.wav", "goforward.wav");
    let long_id = harness.add_job(long);
    let jfk_id = harness.add_job(jfk);
    let go_id = harness.add_job(go);

    harness.manager().cancel(go_id).unwrap();
    harness.wait_status(go_id, JobStatus::Cancelled);
    harness.wait_status(long_id, JobStatus::Running);
    harness.manager().cancel_all();
    harness.wait_status(long_id, JobStatus::Cancelled);

    let statuses: Vec<JobStatus> = harness.manager().snapshot().iter().map(|job| job.summary.status).collect();
    assert_eq!(statuses, [JobStatus::Cancelled; 3]);
    assert!(harness.summaries(go_id).iter().all(|s| s.status != JobStatus::Running));
    assert!(harness.summaries(jfk_id).iter().all(|s| s.status != JobStatus::Running));
    assert!(harness.manager().is_idle());
    assert_eq!(harness.names(), ["goforward.wav", "jfk.wav", "long.wav"]);

    let removed = harness.manager().remove_finished();
    assert_eq!(removed, [long_id, jfk_id, go_id]);
    assert!(harness.manager().snapshot().is_empty());
    harness.wait_for("the removal", |update| matches!(update, JobUpdate::Removed(ids) if ids.len() == 3));
}

#[test]
fn unwritable_folder_keeps_transcript_for_saving_elsewhere() {
    use std::os::unix::fs::PermissionsExt;

    let _guard = PermissionChecksEnforced::on_this_thread();
    let mut harness = Harness::new();
    let locked = harness.dir.path().join("locked");
    fs::create_dir(&locked).unwrap();
    let input = locked.join("jfk.wav");
    fs::copy(clip("jfk.wav"), &input).unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o555)).unwrap();

    let id = harness.add_job(input);
    let unsaved = harness.wait_status(id, JobStatus::Unsaved);

    let error = unsaved.error.as_deref().unwrap();
    assert!(error.contains("cannot write to folder"), "{error}");
    assert!(error.contains("locked"), "{error}");
    assert!(unsaved.outputs.is_empty());
    assert_eq!(unsaved.percent, 100.0);
    assert_eq!(names_in(&locked), ["jfk.wav"]);
    assert!(!harness.manager().transcript(id).unwrap().segments.is_empty());
    assert!(harness.manager().remove_finished().is_empty(), "an unsaved job must survive clearing");

    let elsewhere = harness.dir.path().join("elsewhere");
    let written = harness.manager().save_unsaved(id, &elsewhere).unwrap();
    let saved = harness.wait_status(id, JobStatus::Finished);

    assert_eq!(written, vec![elsewhere.join("jfk.txt"), elsewhere.join("jfk.srt")]);
    assert_eq!(saved.outputs, written);
    assert_eq!(saved.error, None);
    assert!(fs::read_to_string(&written[0]).unwrap().to_lowercase().contains("ask not"));
    assert!(matches!(harness.manager().save_unsaved(id, &elsewhere), Err(ManagerError::NotUnsaved(_))));
    assert_eq!(harness.manager().remove_finished(), [id]);

    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn model_that_fails_to_load_fails_job() {
    let mut harness = Harness::new();
    let jfk = harness.add_clip("jfk.wav", "jfk.wav");
    let not_a_model = harness.dir.path().join("ggml-fake.bin");
    fs::write(&not_a_model, b"these bytes are not a whisper model").unwrap();

    let id = harness.manager().add(jfk, JobConfig { model: not_a_model.clone(), ..config(None) });
    let failed = harness.wait_status(id, JobStatus::Failed);

    let error = failed.error.unwrap();
    assert!(error.contains("failed to load the model"), "{error}");
    assert!(error.contains("ggml-fake.bin"), "{error}");
    assert!(matches!(harness.manager().model_status(), ModelStatus::Failed { path, .. } if path == not_a_model));
    assert_eq!(harness.names(), ["ggml-fake.bin", "jfk.wav"]);
}

#[test]
fn broken_input_fails_with_its_name() {
    let mut harness = Harness::new();
    let broken = harness.dir.path().join("broken #1.mp3");
    fs::write(&broken, vec![0x5a; 4096]).unwrap();

    let id = harness.add_job(broken);
    let failed = harness.wait_status(id, JobStatus::Failed);

    let error = failed.error.unwrap();
    assert!(error.contains("broken #1.mp3"), "{error}");
    assert!(matches!(harness.manager().transcript(id), Err(ManagerError::NoTranscript(_))));
}

#[test]
fn preloaded_model_reused_by_first_job() {
    let mut harness = Harness::new();
    harness.manager().preload_model(model_path("tiny.en"));
    harness.wait_for("the model to load", |update| matches!(update, JobUpdate::Model(ModelStatus::Ready { .. })));

    let jfk = harness.add_clip("jfk.wav", "jfk.wav");
    let id = harness.add_job(jfk);
    harness.wait_status(id, JobStatus::Finished);

    assert_eq!(harness.updates.iter().filter(|u| is_model_loading(u)).count(), 1);
    assert!(matches!(harness.manager().model_status(), ModelStatus::Ready { .. }));
}

#[test]
fn held_queue_starts_job_after_release() {
    let mut harness = Harness::new();
    let hold = harness.manager().hold_queue().unwrap();
    let jfk = harness.add_clip("jfk.wav", "jfk.wav");

    let id = harness.add_job(jfk);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(harness.manager().job(id).unwrap().summary.status, JobStatus::Queued);
    assert!(!harness.manager().is_idle());

    drop(hold);
    harness.wait_status(id, JobStatus::Finished);
    assert_eq!(harness.names(), ["jfk.srt", "jfk.txt", "jfk.wav"]);
}

#[test]
fn hold_rejected_while_job_runs() {
    let mut harness = Harness::new();
    let long = harness.add_clip("asterisk_en_long_8k.wav", "long.wav");
    let id = harness.add_job(long.clone());
    harness.wait_status(id, JobStatus::Running);

    let error = harness.manager().hold_queue().err().expect("a running job keeps the queue from being held");

    let ManagerError::JobRunning { id: running, input } = &error else { panic!("expected the running job, got {error}") };
    assert_eq!(*running, id);
    assert_eq!(*input, long);
    harness.manager().cancel(id).unwrap();
    harness.wait_status(id, JobStatus::Cancelled);
    assert!(harness.manager().hold_queue().is_ok());
}

#[test]
fn model_shared_with_later_jobs() {
    let mut harness = Harness::new();

    let model = harness.manager().model(&model_path("tiny.en"), &CancelToken::new()).unwrap();
    assert_eq!(model.path(), model_path("tiny.en"));
    assert!(matches!(harness.manager().model_status(), ModelStatus::Ready { .. }));

    let jfk = harness.add_clip("jfk.wav", "jfk.wav");
    let id = harness.add_job(jfk);
    harness.wait_status(id, JobStatus::Finished);
    let again = harness.manager().model(&model_path("tiny.en"), &CancelToken::new()).unwrap();

    assert_eq!(again.path(), model.path());
    assert_eq!(harness.updates.iter().filter(|u| is_model_loading(u)).count(), 1, "{:#?}", harness.updates);
}

#[test]
fn model_load_failure_returned_to_waiter() {
    let harness = Harness::new();
    let not_a_model = harness.dir.path().join("ggml-fake.bin");
    fs::write(&not_a_model, b"these bytes are not a whisper model").unwrap();

    let error = harness.manager().model(&not_a_model, &CancelToken::new()).err().expect("the model fails to load");

    assert!(matches!(&error, ManagerError::ModelFailed { path, .. } if *path == not_a_model), "{error}");
    assert!(error.to_string().contains("ggml-fake.bin"), "{error}");
}

#[test]
fn model_wait_stops_when_cancelled() {
    let mut harness = Harness::new();
    let long = harness.add_clip("asterisk_en_long_8k.wav", "long.wav");
    let id = harness.add_job(long);
    harness.wait_status(id, JobStatus::Running);
    let other_model = harness.dir.path().join("ggml-other.bin");
    let cancel = CancelToken::new();

    // A different model waits behind the running job until the wait is cancelled.
    let manager = harness.manager();
    let (result, cancel_to_return) = std::thread::scope(|scope| {
        let waiter = scope.spawn(|| {
            let result = manager.model(&other_model, &cancel);
            (result, Instant::now())
        });
        std::thread::sleep(Duration::from_millis(300));
        let cancelled_at = Instant::now();
        cancel.cancel();
        let (result, returned_at) = waiter.join().unwrap();
        (result, returned_at.saturating_duration_since(cancelled_at))
    });

    assert!(matches!(result, Err(ManagerError::Cancelled)), "{:?}", result.err());
    assert!(cancel_to_return < Duration::from_secs(1), "returned {cancel_to_return:?} after the cancel");
    harness.manager().cancel(id).unwrap();
    harness.wait_status(id, JobStatus::Cancelled);
}

#[test]
fn dropping_manager_stops_running_job() {
    let mut harness = Harness::new();
    let long = harness.add_clip("asterisk_en_long_8k.wav", "long.wav");
    let id = harness.add_job(long);
    harness.wait_for("the job to transcribe", |update| {
        matches!(update, JobUpdate::Changed(s) if s.id == id && s.phase == Some(Phase::Transcribing))
    });

    drop(harness.manager.take());

    // Every update was delivered before the channel closed, ending with the cancellation.
    let rest: Vec<JobUpdate> = harness.received.try_iter().collect();
    assert!(
        matches!(rest.last(), Some(JobUpdate::Changed(s)) if s.status == JobStatus::Cancelled),
        "{rest:#?}"
    );
    assert_eq!(harness.names(), ["long.wav"]);
}

/// Makes file permissions apply to this thread, and to threads it starts, even when tests
/// run as root, by lowering the capability that lets root bypass them; raises it again on
/// drop. Linux keeps capabilities per thread, so other tests are unaffected.
struct PermissionChecksEnforced {
    lowered: bool,
}

impl PermissionChecksEnforced {
    fn on_this_thread() -> Self {
        use caps::{CapSet, Capability};

        let lowered = caps::has_cap(None, CapSet::Effective, Capability::CAP_DAC_OVERRIDE).unwrap_or(false);
        if lowered {
            caps::drop(None, CapSet::Effective, Capability::CAP_DAC_OVERRIDE).unwrap();
        }
        Self { lowered }
    }
}

impl Drop for PermissionChecksEnforced {
    fn drop(&mut self) {
        use caps::{CapSet, Capability};

        if self.lowered {
            let _ = caps::raise(None, CapSet::Effective, Capability::CAP_DAC_OVERRIDE);
        }
    }
}

//! Fifty jobs in a row in one process, on one loaded model: the resident memory after the
//! last must stay within 10 % of its size after the third, by which time the model, the
//! allocator's pools and whisper's buffers have settled.
//!
//! This test runs whisper: `-- --test-threads=1`.

mod support;

use support::transcription::{request, tiny_model};
use whisperrr_core::cancel::CancelToken;
use whisperrr_core::job::{run_job, JobId};
use whisperrr_testkit::clip;

const JOBS: u64 = 50;

/// Resident set size of this process in bytes, from /proc/self/statm.
fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm is readable");
    let pages: u64 = statm.split_whitespace().nth(1).expect("a resident field").parse().unwrap();
    // SAFETY: sysconf only reads a configuration value.
    let page_size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * page_size as u64
}

#[test]
fn fifty_jobs_keep_memory_steady() {
    let model = tiny_model();
    let input = clip("goforward.wav");
    let mut after_third = 0;
    let mut samples = Vec::new();

    for job in 1..=JOBS {
        let outcome = run_job(JobId(job), &model, &request(&input), &mut |_| {}, &CancelToken::new())
            .unwrap_or_else(|error| panic!("job {job} failed: {error}"));
        assert!(!outcome.transcript.is_empty(), "job {job} found no speech");

        let resident = resident_bytes();
        samples.push(resident / (1024 * 1024));
        if job == 3 {
            after_third = resident;
        }
    }

    let after_last = resident_bytes();
    let growth = after_last as f64 / after_third as f64 - 1.0;
    println!("resident memory after each job, MiB: {samples:?}");
    println!(
        "after job 3: {:.1} MiB, after job {JOBS}: {:.1} MiB, growth {:+.1} %",
        after_third as f64 / 1048576.0,
        after_last as f64 / 1048576.0,
        growth * 100.0
    );
    assert!(growth <= 0.10, "resident memory grew by {:.1} % from job 3 to job {JOBS}", growth * 100.0);
}

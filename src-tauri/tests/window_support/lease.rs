//! A Linux write lease, which makes another process's open(2) of a file wait. A test uses
//! it to hold a job at the moment the job opens its input, so that a state which normally
//! lasts milliseconds can be checked and captured in a screenshot.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::path::Path;

/// fcntl(2) command that picks the signal a lease break sends. The libc crate does not
/// export it, so this is its value in Linux's `<asm-generic/fcntl.h>` (x86-64 and arm64).
const F_SETSIG: libc::c_int = 10;

/// Path of the Linux setting for how long an open(2) waits for a lease before the kernel
/// breaks it, in seconds.
const LEASE_BREAK_TIME: &str = "/proc/sys/fs/lease-break-time";

/// A write lease on one file. While it is held, another process's open(2) of the file
/// blocks until the lease is dropped or the kernel breaks it after the lease break time
/// (`/proc/sys/fs/lease-break-time`, 45 s by default). Dropping it closes the file,
/// which releases the lease.
pub struct FileLease {
    _file: File,
}

impl FileLease {
    /// Takes a write lease on `path`. Fails unless this process owns the file (or has
    /// CAP_LEASE) and the file has no other open descriptor, as fcntl(2) requires for
    /// F_SETLEASE with F_WRLCK.
    pub fn take(path: &Path) -> io::Result<Self> {
        let file = OpenOptions::new().read(true).write(true).open(path)?;
        let fd = file.as_raw_fd();

        // The kernel signals the holder when another process opens the file, SIGIO by
        // default, which would end the test. SIGURG is ignored unless a handler is set.
        // SAFETY: fcntl on a descriptor this function owns, with integer arguments only.
        if unsafe { libc::fcntl(fd, F_SETSIG, libc::SIGURG) } == -1 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: as above.
        if unsafe { libc::fcntl(fd, libc::F_SETLEASE, libc::F_WRLCK as libc::c_int) } == -1 {
            return Err(io::Error::last_os_error());
        }
        Ok(Self { _file: file })
    }

    /// Returns the seconds an open(2) waits for a lease before the kernel breaks it, or
    /// `None` when `/proc/sys/fs/lease-break-time` cannot be read.
    pub fn break_time_s() -> Option<u64> {
        std::fs::read_to_string(LEASE_BREAK_TIME).ok()?.trim().parse().ok()
    }
}

//! Returning freed heap memory to the operating system.

/// Asks the allocator to give back free heap memory, so that resident memory falls after a
/// large buffer is dropped.
///
/// glibc's allocator keeps freed blocks for reuse, and a job's large buffers (decoded
/// audio, whisper's spectrogram) leave holes that it rarely returns on its own, so the
/// resident size of a long-running app would creep up from job to job. Elsewhere this does
/// nothing.
pub fn release_free_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists. It takes no pointers
    // from the caller and is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

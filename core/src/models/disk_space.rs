//! The free space check that runs before a download or a conversion writes anything.

use std::path::Path;

use super::error::ModelError;

/// Space kept free beyond what a file needs, so that a download does not fill the disk.
const RESERVE_BYTES: u64 = 64 << 20;

/// Checks that `dir`, which must exist, has room for `needed` more bytes plus a reserve.
///
/// A file system that cannot report its free space passes the check, because refusing every
/// download there would be worse than a write error later. The failure is logged.
pub(crate) fn ensure_free_space(dir: &Path, needed: u64) -> Result<(), ModelError> {
    let available = match fs4::available_space(dir) {
        Ok(available) => available,
        Err(error) => {
            tracing::warn!(dir = %dir.display(), %error, "cannot read the free space, downloading anyway");
            return Ok(());
        }
    };

    let required = needed.saturating_add(RESERVE_BYTES);
    if available < required {
        return Err(ModelError::InsufficientSpace {
            path: dir.to_path_buf(),
            needed: required,
            available,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_space_small_request_passes() {
        let dir = tempfile::tempdir().unwrap();
        ensure_free_space(dir.path(), 1).unwrap();
    }

    #[test]
    fn free_space_impossible_request_fails() {
        let dir = tempfile::tempdir().unwrap();

        let err = ensure_free_space(dir.path(), u64::MAX / 2).unwrap_err();

        assert!(matches!(err, ModelError::InsufficientSpace { .. }), "{err}");
        let message = err.to_string();
        assert!(message.contains(dir.path().to_str().unwrap()), "{message}");
        assert!(message.contains("MB needed"), "{message}");
    }
}

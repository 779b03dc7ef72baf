//! Containment of panics raised inside symphonia.
//!
//! Symphonia's readers and decoders parse untrusted bytes, and a bug in one of them can panic
//! (index out of range, arithmetic overflow). Every symphonia call that parses file data goes
//! through [`catch_panic`], so such a file fails with an error instead of ending the app.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};

/// Runs `f` and returns the panic message as `Err` if it panics.
///
/// `AssertUnwindSafe` is sound here because callers never touch the reader or decoder that
/// panicked again: they drop it and stop decoding. This catches nothing when the binary is
/// built with `panic = "abort"`, and the default panic hook still prints the message to stderr.
pub(super) fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let message = panic_message(payload.as_ref());
        tracing::error!(%message, "symphonia panicked while reading a file");
        message
    })
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "panic with a non-text payload".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catch_panic_returns_message() {
        let result: Result<(), String> = catch_panic(|| panic!("bad frame {}", 7));

        assert_eq!(result, Err("bad frame 7".to_owned()));
    }

    #[test]
    fn catch_panic_passes_value() {
        assert_eq!(catch_panic(|| 5), Ok(5));
    }
}

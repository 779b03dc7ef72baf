//! Feeds arbitrary bytes, saved as a file, to the decode entry point. Any panic is a
//! finding, even one the decoder's guard would catch, because libFuzzer aborts on every
//! panic. So are a hang (libFuzzer's `-timeout`), an allocation beyond `-rss_limit_mb`
//! and a non-finite sample. Errors are the expected result for most inputs.

#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;
use whisperrr_core::audio::decode_for_whisper;
use whisperrr_core::cancel::CancelToken;

fuzz_target!(|data: &[u8]| {
    let mut file = tempfile::Builder::new()
        .prefix("fuzz-input")
        .tempfile()
        .expect("a temporary file can be created");
    file.write_all(data).expect("the input can be written");

    if let Ok(decoded) = decode_for_whisper(file.path(), &mut |_| {}, &CancelToken::new()) {
        assert!(decoded.samples.iter().all(|sample| sample.is_finite()), "non-finite sample");
    }
});

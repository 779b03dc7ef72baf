//! The model host: where whisper.cpp's ggml files are downloaded from.

/// Environment variable that replaces [`DEFAULT_HOST_URL`], for a mirror or a local test
/// server. It names the folder that contains the `ggml-NAME.bin` files. It is read only by
/// [`host_url_from_env`].
pub const HOST_URL_ENV: &str = "WHISPERRR_MODEL_HOST_URL";

/// The Hugging Face repository that whisper.cpp's `models/download-ggml-model.sh` downloads
/// from, as `{DEFAULT_HOST_URL}/ggml-NAME.bin`.
pub const DEFAULT_HOST_URL: &str = "https://huggingface.co/ggerganov/whisper.cpp/resolve/main";

/// Returns the host base URL: `$WHISPERRR_MODEL_HOST_URL` when it is set and not empty,
/// otherwise [`DEFAULT_HOST_URL`].
pub fn host_url_from_env() -> String {
    match std::env::var(HOST_URL_ENV) {
        Ok(url) if !url.trim().is_empty() => url.trim().to_string(),
        _ => DEFAULT_HOST_URL.to_string(),
    }
}

/// Returns the URL of `file_name` on the host at `base_url`.
pub(crate) fn file_url(base_url: &str, file_name: &str) -> String {
    format!("{}/{file_name}", base_url.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_url_joins_once() {
        assert_eq!(
            file_url(DEFAULT_HOST_URL, "ggml-base.bin"),
            "https://huggingface.co/ggerganov/whisper.cpp/resolve/main/ggml-base.bin"
        );
        assert_eq!(
            file_url("http://127.0.0.1:8080/models/", "ggml-tiny.bin"),
            "http://127.0.0.1:8080/models/ggml-tiny.bin"
        );
    }
}

//! Finding a file's download URL in PyPI's simple JSON index (PEP 691).

use std::collections::HashMap;
use std::io::Read;

use serde::Deserialize;

use crate::error::FixtureError;
use crate::http::{self, BodyError};

const INDEX_URL: &str = "https://pypi.org/simple/";
const INDEX_MEDIA_TYPE: &str = "application/vnd.pypi.simple.v1+json";

/// Largest index page read, in bytes.
const MAX_PAGE_BYTES: u64 = 16 << 20;

/// The part of a project page that is used here.
#[derive(Debug, Deserialize)]
struct ProjectPage {
    files: Vec<ProjectFile>,
}

#[derive(Debug, Deserialize)]
struct ProjectFile {
    filename: String,
    url: String,
    /// Digests by algorithm name, such as `sha256`.
    #[serde(default)]
    hashes: HashMap<String, String>,
}

/// Looks up `file_name` of `project` and returns its download URL, after checking that the
/// index lists the `expected_sha256`.
pub(crate) fn file_url(
    agent: &ureq::Agent,
    project: &str,
    file_name: &'static str,
    expected_sha256: &'static str,
) -> Result<String, FixtureError> {
    let page_url = format!("{INDEX_URL}{project}/");
    let body = http::get(agent, &page_url, INDEX_MEDIA_TYPE, |body| {
        let mut text = Vec::new();
        body.take(MAX_PAGE_BYTES).read_to_end(&mut text)?;
        Ok::<_, BodyError>(text)
    })?;

    let page: ProjectPage =
        serde_json::from_slice(&body).map_err(|source| FixtureError::IndexJson {
            url: page_url.clone(),
            source,
        })?;
    pick_file(&page_url, page, file_name, expected_sha256)
}

fn pick_file(
    page_url: &str,
    page: ProjectPage,
    file_name: &'static str,
    expected_sha256: &'static str,
) -> Result<String, FixtureError> {
    let file = page
        .files
        .into_iter()
        .find(|file| file.filename == file_name)
        .ok_or_else(|| FixtureError::IndexFileMissing {
            url: page_url.to_string(),
            file_name,
        })?;

    let listed = file.hashes.get("sha256");
    if listed.map(String::as_str) != Some(expected_sha256) {
        return Err(FixtureError::IndexChecksum {
            url: page_url.to_string(),
            file_name,
            listed: listed.cloned(),
            expected: expected_sha256,
        });
    }
    Ok(resolve(page_url, &file.url))
}

/// Resolves a file URL, which PEP 691 allows to be relative to the project page.
fn resolve(page_url: &str, url: &str) -> String {
    if url.starts_with("https://") || url.starts_with("http://") {
        return url.to_string();
    }

    if let Some(path) = url.strip_prefix('/') {
        let scheme_end = page_url.find("://").map_or(0, |at| at + 3);
        let host_end = page_url[scheme_end..]
            .find('/')
            .map_or(page_url.len(), |at| scheme_end + at);
        return format!("{}/{path}", &page_url[..host_end]);
    }
    format!("{page_url}{url}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE_URL: &str = "https://pypi.org/simple/demo/";

    fn page(json: &str) -> ProjectPage {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn matching_file_is_picked() {
        let page = page(
            r#"{"meta": {"api-version": "1.1"}, "name": "demo", "files": [
                {"filename": "demo-1.0-py3-none-any.whl", "url": "https://x/w", "hashes": {"sha256": "aa"}},
                {"filename": "demo-1.0.tar.gz", "url": "https://files.example/demo-1.0.tar.gz",
                 "hashes": {"sha256": "bb"}, "yanked": false}
            ]}"#,
        );

        let url = pick_file(PAGE_URL, page, "demo-1.0.tar.gz", "bb").unwrap();

        assert_eq!(url, "https://files.example/demo-1.0.tar.gz");
    }

    #[test]
    fn missing_file_is_reported() {
        let page = page(r#"{"files": []}"#);

        let error = pick_file(PAGE_URL, page, "demo-1.0.tar.gz", "bb").unwrap_err();

        assert!(
            matches!(error, FixtureError::IndexFileMissing { .. }),
            "{error}"
        );
    }

    #[test]
    fn different_listed_hash_is_rejected() {
        let page = page(
            r#"{"files": [{"filename": "demo-1.0.tar.gz", "url": "u", "hashes": {"sha256": "cc"}}]}"#,
        );

        let error = pick_file(PAGE_URL, page, "demo-1.0.tar.gz", "bb").unwrap_err();

        assert!(
            matches!(error, FixtureError::IndexChecksum { .. }),
            "{error}"
        );
    }

    #[test]
    fn relative_urls_are_resolved() {
        assert_eq!(
            resolve(PAGE_URL, "/packages/demo-1.0.tar.gz"),
            "https://pypi.org/packages/demo-1.0.tar.gz"
        );
        assert_eq!(
            resolve(PAGE_URL, "demo-1.0.tar.gz"),
            "https://pypi.org/simple/demo/demo-1.0.tar.gz"
        );
    }
}

//! Resolution of the relative file URLs that PEP 691 allows on index pages.

/// Resolves a file URL from an index page against the page's URL.
///
/// Handles absolute URLs, `//host/path`, `/path`, and relative paths with `.` and `..`
/// segments. Returns `None` for a base without an `http(s)://host` prefix or a reference
/// with a scheme other than http(s). Fragments are dropped because they are never sent.
pub(crate) fn resolve_reference(base: &str, reference: &str) -> Option<String> {
    let reference = reference.split('#').next().unwrap_or_default();

    if let Some(scheme) = scheme_of(reference) {
        let is_http = scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https");
        return is_http.then(|| reference.to_string());
    }

    let (scheme, rest) = base.split_once("://")?;
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, base_path) = rest.split_at(authority_end);
    if authority.is_empty() {
        return None;
    }

    if let Some(network_path) = reference.strip_prefix("//") {
        return Some(format!("{scheme}://{network_path}"));
    }

    let (reference_path, query) = match reference.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (reference, None),
    };

    let merged = if reference_path.starts_with('/') {
        reference_path.to_string()
    } else if reference_path.is_empty() {
        base_path.split('?').next().unwrap_or_default().to_string()
    } else {
        let base_path = base_path.split('?').next().unwrap_or_default();
        let directory = &base_path[..base_path.rfind('/').map_or(0, |i| i + 1)];
        format!(
            "{}{reference_path}",
            if directory.is_empty() { "/" } else { directory }
        )
    };

    let mut resolved = format!("{scheme}://{authority}{}", remove_dot_segments(&merged));
    if let Some(query) = query {
        resolved.push('?');
        resolved.push_str(query);
    }
    Some(resolved)
}

/// Returns the scheme of an absolute URL such as `https://host/`, or `None` for a relative
/// reference. A scheme is a letter followed by letters, digits, `+`, `-` or `.`.
fn scheme_of(url: &str) -> Option<&str> {
    let (scheme, _) = url.split_once("://")?;
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some(scheme)
}

/// Removes `.` and `..` segments from an absolute path.
fn remove_dot_segments(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    let parts: Vec<&str> = path.split('/').skip(1).collect();
    for (i, segment) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        match *segment {
            "." => {
                if last {
                    segments.push("");
                }
            }
            ".." => {
                segments.pop();
                if last {
                    segments.push("");
                }
            }
            other => segments.push(other),
        }
    }
    format!("/{}", segments.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_absolute_and_relative_urls() {
        let base = "https://pypi.org/simple/demo-pkg/";
        let cases = [
            (
                "https://files.example/a/b.whl",
                Some("https://files.example/a/b.whl"),
            ),
            (
                "HTTP://files.example/b.whl",
                Some("HTTP://files.example/b.whl"),
            ),
            ("ftp://files.example/b.whl", None),
            ("//cdn.example/b.whl", Some("https://cdn.example/b.whl")),
            ("/packages/b.whl", Some("https://pypi.org/packages/b.whl")),
            ("b.whl", Some("https://pypi.org/simple/demo-pkg/b.whl")),
            (
                "../../packages/x/b.whl#sha256=00",
                Some("https://pypi.org/packages/x/b.whl"),
            ),
            ("../../../../b.whl", Some("https://pypi.org/b.whl")),
            (
                "./b.whl?x=1",
                Some("https://pypi.org/simple/demo-pkg/b.whl?x=1"),
            ),
        ];
        for (reference, expected) in cases {
            assert_eq!(
                resolve_reference(base, reference).as_deref(),
                expected,
                "{reference}"
            );
        }

        assert_eq!(resolve_reference("not a url", "b.whl"), None);
        assert_eq!(resolve_reference("http:///path", "b.whl"), None);
    }
}

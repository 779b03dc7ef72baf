//! Parsing of the `Content-Range` response header (RFC 9110, section 14.4).

/// A parsed `Content-Range` value in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ContentRange {
    /// `bytes FIRST-LAST/TOTAL`, with `TOTAL` `None` when the server sent `*`.
    Range {
        first: u64,
        last: u64,
        total: Option<u64>,
    },
    /// `bytes */TOTAL`, sent with status 416 to give the full size.
    Unsatisfied { total: u64 },
}

impl ContentRange {
    pub(super) fn parse(value: &str) -> Option<Self> {
        let rest = value.trim().strip_prefix("bytes")?.trim_start();
        let (range, total) = rest.split_once('/')?;
        let total = total.trim();

        if range.trim() == "*" {
            return Some(ContentRange::Unsatisfied {
                total: total.parse().ok()?,
            });
        }

        let (first, last) = range.trim().split_once('-')?;
        let first: u64 = first.parse().ok()?;
        let last: u64 = last.parse().ok()?;
        let total = match total {
            "*" => None,
            digits => Some(digits.parse().ok()?),
        };
        let valid = first <= last && total.is_none_or(|total| last < total);
        valid.then_some(ContentRange::Range { first, last, total })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_range_forms() {
        assert_eq!(
            ContentRange::parse("bytes 100-199/200"),
            Some(ContentRange::Range {
                first: 100,
                last: 199,
                total: Some(200)
            })
        );
        assert_eq!(
            ContentRange::parse("bytes 0-9/*"),
            Some(ContentRange::Range {
                first: 0,
                last: 9,
                total: None
            })
        );
        assert_eq!(
            ContentRange::parse("bytes */1234"),
            Some(ContentRange::Unsatisfied { total: 1234 })
        );
    }

    #[test]
    fn parse_rejects_invalid() {
        for value in [
            "",
            "bytes",
            "items 0-1/2",
            "bytes 5-4/10",
            "bytes 0-10/10",
            "bytes a-b/c",
            "bytes */*",
        ] {
            assert_eq!(ContentRange::parse(value), None, "{value:?}");
        }
    }
}

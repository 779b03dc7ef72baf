//! Subtitle timestamps, computed on integer milliseconds so rounding can never print
//! `00:00:60,000`.

/// Formats `ms` as SRT's `HH:MM:SS,mmm`. Hours widen past two digits (`100:00:00,000`)
/// instead of wrapping.
pub fn format_srt_time(ms: u64) -> String {
    format_time(ms, ',')
}

/// Formats `ms` as WebVTT's `HH:MM:SS.mmm`. WebVTT allows more than two hour digits, so
/// hours widen as in [`format_srt_time`].
pub fn format_vtt_time(ms: u64) -> String {
    format_time(ms, '.')
}

fn format_time(ms: u64, decimal_separator: char) -> String {
    let millis = ms % 1000;
    let total_seconds = ms / 1000;
    let seconds = total_seconds % 60;
    let minutes = (total_seconds / 60) % 60;
    let hours = total_seconds / 3600;
    format!("{hours:02}:{minutes:02}:{seconds:02}{decimal_separator}{millis:03}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_zero() {
        assert_eq!(format_srt_time(0), "00:00:00,000");
    }

    #[test]
    fn formats_each_field() {
        assert_eq!(format_srt_time(3_723_004), "01:02:03,004");
    }

    #[test]
    fn last_millisecond_of_minute() {
        assert_eq!(format_srt_time(59_999), "00:00:59,999");
        assert_eq!(format_srt_time(60_000), "00:01:00,000");
    }

    #[test]
    fn hours_roll_past_99() {
        assert_eq!(format_srt_time(99 * 3_600_000 + 59 * 60_000 + 59_999), "99:59:59,999");
        assert_eq!(format_srt_time(100 * 3_600_000), "100:00:00,000");
    }

    #[test]
    fn vtt_uses_a_full_stop() {
        assert_eq!(format_vtt_time(3_723_004), "01:02:03.004");
        assert_eq!(format_vtt_time(100 * 3_600_000), "100:00:00.000");
    }
}

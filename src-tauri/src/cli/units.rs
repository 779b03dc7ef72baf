//! Sizes, speeds and durations as the command line prints them.

use whisperrr_core::models::TransferRate;

/// Formats bytes in decimal units: `950 kB`, `12.3 MB`, `1.6 GB`.
pub fn bytes(count: u64) -> String {
    let value = count as f64;
    if value >= 1e9 {
        format!("{:.1} GB", value / 1e9)
    } else if value >= 1e6 {
        format!("{:.1} MB", value / 1e6)
    } else if value >= 1e3 {
        format!("{:.0} kB", value / 1e3)
    } else {
        format!("{count} B")
    }
}

/// Formats a size given in MB as the published figures read: `388 MB`, `2.1 GB`.
pub fn megabytes(mb: u64) -> String {
    if mb >= 1000 {
        format!("{:.1} GB", mb as f64 / 1000.0)
    } else {
        format!("{mb} MB")
    }
}

/// Formats seconds as `42s`, `3m 05s` or `1h 02m`.
pub fn duration(seconds: u64) -> String {
    match seconds {
        0..=59 => format!("{seconds}s"),
        60..=3599 => format!("{}m {:02}s", seconds / 60, seconds % 60),
        _ => format!("{}h {:02}m", seconds / 3600, seconds % 3600 / 60),
    }
}

/// Formats a download speed and the time left, such as `12.3 MB/s, 1m 20s left`.
pub fn rate(rate: &TransferRate) -> String {
    let speed = format!("{}/s", bytes(rate.bytes_per_second));
    match rate.eta_seconds {
        Some(eta) => format!("{speed}, {} left", duration(eta)),
        None => speed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_cases() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(950_000), "950 kB");
        assert_eq!(bytes(12_345_678), "12.3 MB");
        assert_eq!(bytes(1_624_555_275), "1.6 GB");
    }

    #[test]
    fn megabytes_cases() {
        assert_eq!(megabytes(388), "388 MB");
        assert_eq!(megabytes(2100), "2.1 GB");
    }

    #[test]
    fn duration_cases() {
        assert_eq!(duration(42), "42s");
        assert_eq!(duration(185), "3m 05s");
        assert_eq!(duration(3720), "1h 02m");
    }

    #[test]
    fn rate_cases() {
        let with_eta = TransferRate { bytes_per_second: 2_500_000, eta_seconds: Some(80) };
        assert_eq!(rate(&with_eta), "2.5 MB/s, 1m 20s left");
        let stalled = TransferRate { bytes_per_second: 0, eta_seconds: None };
        assert_eq!(rate(&stalled), "0 B/s");
    }
}

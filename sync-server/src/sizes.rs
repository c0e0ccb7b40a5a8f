//! Sizes as people write and read them: "15GB", "500 MiB" parsed for the operator's
//! quotas, and bytes shown back as "15.0 GB".

/// Parses "15GB", "500 MiB", "1.5 TB" or a plain byte count.
pub fn parse_size(text: &str) -> Option<i64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "tib" => 1024.0f64.powi(4),
        _ => return None,
    };
    let bytes = number * factor;
    (bytes.is_finite() && bytes >= 0.0 && bytes < i64::MAX as f64).then_some(bytes.round() as i64)
}

/// Bytes in words, in powers of 1000: "512 B", "1.5 kB", "15.0 GB".
pub fn human_bytes(bytes: i64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < units.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", units[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(parse_size("15GB"), Some(15_000_000_000));
        assert_eq!(parse_size("500 MiB"), Some(500 * 1024 * 1024));
        assert_eq!(parse_size("1.5tb"), Some(1_500_000_000_000));
        assert_eq!(parse_size("1024"), Some(1024));
        assert_eq!(parse_size("-3GB"), None);
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_size("9999999999 TB"), None);
    }

    #[test]
    fn bytes_read_back_in_words() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(15_000_000_000), "15.0 GB");
    }
}

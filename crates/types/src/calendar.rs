//! Calendar arithmetic for the times DynamoDB shows and takes (UTC, proleptic Gregorian,
//! Howard Hinnant's `days_from_civil` / `civil_from_days`): SigV4's `X-Amz-Date`, stream
//! labels, the ISO 8601 times of error messages and export manifests, the command line's
//! RFC 3339 `--time`.
//!
//! ```
//! use ferrodyn_types::calendar::{civil_from_days, days_from_civil, iso8601_millis};
//!
//! assert_eq!(days_from_civil(2026, 12, 4), 20_791);
//! assert_eq!(civil_from_days(20_791), (2026, 12, 4));
//! assert_eq!(iso8601_millis(1_764_806_400_123), "2025-12-04T00:00:00.123");
//! ```

/// Days in `month` (1-12) of `year`.
pub fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a date.
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date (year, month, day) of a count of days since 1970-01-01 (the inverse of
/// [`days_from_civil`]).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Seconds since the epoch of a date and time of day, `None` when one of them is out of
/// range (a second of 60 included).
pub fn epoch_seconds(
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
) -> Option<i64> {
    let valid = (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day)
        && (0..24).contains(&hour)
        && (0..60).contains(&minute)
        && (0..60).contains(&second);
    valid.then(|| days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// The UTC date and time of day of `secs` since the epoch:
/// `((year, month, day), (hour, minute, second))`.
pub fn civil_of_seconds(secs: i64) -> ((i64, u32, u32), (i64, i64, i64)) {
    let rem = secs.rem_euclid(86_400);
    (
        civil_from_days(secs.div_euclid(86_400)),
        (rem / 3600, rem / 60 % 60, rem % 60),
    )
}

/// `2026-12-04T10:11:12.345`: milliseconds since the epoch in ISO 8601, UTC, without a zone
/// designator (stream labels are shown so; append `Z` for an ISO 8601 UTC time).
pub fn iso8601_millis(ms: u64) -> String {
    let ((year, month, day), (hour, minute, second)) = civil_of_seconds((ms / 1000) as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{:03}",
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_and_dates_check_their_ranges() {
        for day in [-1000, 0, 11_016, 20_000, 50_000] {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, i64::from(m), i64::from(d)), day);
        }
        assert_eq!(epoch_seconds(2015, 8, 30, 12, 36, 0), Some(1_440_938_160));
        assert_eq!(epoch_seconds(2024, 2, 29, 0, 0, 0), Some(1_709_164_800));
        assert_eq!(epoch_seconds(2023, 2, 29, 0, 0, 0), None);
        assert_eq!(epoch_seconds(2023, 1, 1, 0, 0, 60), None);
        assert_eq!(
            civil_of_seconds(1_440_938_160),
            ((2015, 8, 30), (12, 36, 0))
        );
        for secs in [0i64, 951_782_400, 1_767_225_599, 4_102_444_800] {
            let ((y, mo, d), (h, mi, s)) = civil_of_seconds(secs);
            assert_eq!(
                epoch_seconds(y, i64::from(mo), i64::from(d), h, mi, s),
                Some(secs)
            );
        }
    }
}

//! Instants as text: reading every `#inst` form Clojure's reader and Datomic print or
//! read, and printing ours. Owns only the conversion between text and milliseconds since
//! the epoch; which values are instants is `value`'s business.
//!
//! Clojure's `#inst` reader takes an RFC 3339 timestamp whose parts after the year may be
//! left off from the right (`1954`, `1954-08`, `1954-08-16`, `1954-08-16T10`,
//! `…T10:30`, `…T10:30:15`, `…T10:30:15.123456789`), with an offset of `Z`, `±hh:mm`, or
//! none (UTC). Clojure and Datomic print `-00:00` for UTC. Digits past milliseconds are
//! dropped, as `java.util.Date` drops them.

use std::sync::LazyLock;

/// Clojure's `clojure.instant/parse-timestamp` pattern, group for group.
static TIMESTAMP: LazyLock<regex_lite::Regex> = LazyLock::new(|| {
    regex_lite::Regex::new(
        r"^(\d\d\d\d)(?:-(\d\d)(?:-(\d\d)(?:[T](\d\d)(?::(\d\d)(?::(\d\d)(?:[.](\d+))?)?)?)?)?)?(?:[Z]|([-+])(\d\d):(\d\d))?$",
    )
    .expect("the timestamp pattern compiles")
});

/// Milliseconds since the epoch of an `#inst` text, or `None` when it is not one (a part
/// out of its range, such as month 13 or February 30th, included).
pub fn parse_instant(text: &str) -> Option<i64> {
    let c = TIMESTAMP.captures(text)?;
    let part = |i: usize, default: i64| -> Option<i64> {
        match c.get(i) {
            Some(m) => m.as_str().parse().ok(),
            None => Some(default),
        }
    };
    let year = part(1, 0)?;
    let month = part(2, 1)?;
    let day = part(3, 1)?;
    let hour = part(4, 0)?;
    let minute = part(5, 0)?;
    let second = part(6, 0)?;
    // The first three digits of the fraction, padded: ".5" is 500 ms.
    let millis = match c.get(7) {
        Some(m) => {
            let digits: String = m.as_str().chars().chain("00".chars()).take(3).collect();
            digits.parse::<i64>().ok()?
        }
        None => 0,
    };
    let (offset_sign, offset_hours, offset_minutes) = match c.get(8) {
        Some(sign) => (
            if sign.as_str() == "-" { -1 } else { 1 },
            part(9, 0)?,
            part(10, 0)?,
        ),
        None => (1, 0, 0),
    };
    let in_range = (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day)
        && (0..=23).contains(&hour)
        && (0..=59).contains(&minute)
        // Clojure allows a leap second at the end of an hour.
        && (0..=if minute == 59 { 60 } else { 59 }).contains(&second)
        && (0..=23).contains(&offset_hours)
        && (0..=59).contains(&offset_minutes);
    if !in_range {
        return None;
    }
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second
        - offset_sign * (offset_hours * 3_600 + offset_minutes * 60);
    Some(seconds * 1_000 + millis)
}

/// RFC 3339 text, in UTC with milliseconds, of milliseconds since the epoch.
pub fn format_instant(ms: i64) -> String {
    aws_smithy_types::date_time::DateTime::from_millis(ms)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS_1954_08_16: i64 = -485_308_800_000;

    #[test]
    fn every_form_clojure_reads_is_read() {
        for (text, ms) in [
            ("1970-01-01T00:00:00Z", 0),
            ("1970-01-01T00:00:00.000Z", 0),
            ("1954-08-16", MS_1954_08_16),
            ("1954-08", MS_1954_08_16 - 15 * 86_400_000),
            ("1954", MS_1954_08_16 - 227 * 86_400_000),
            ("1954-08-16T00:00:00.000-00:00", MS_1954_08_16),
            ("1954-08-16T02:00:00+02:00", MS_1954_08_16),
            ("1954-08-15T19:30-04:30", MS_1954_08_16),
            ("1954-08-16T00", MS_1954_08_16),
            ("2000-02-29T12:00:00.5Z", 951_825_600_500),
            ("2000-02-29T12:00:00.123456789Z", 951_825_600_123),
            ("2016-12-31T23:59:60Z", 1_483_228_800_000),
        ] {
            assert_eq!(parse_instant(text), Some(ms), "{text}");
        }
    }

    #[test]
    fn what_clojure_refuses_is_refused() {
        for text in [
            "",
            "54-08-16",
            "1954-8-16",
            "1954-13-01",
            "1954-02-29",
            "1954-08-32",
            "1954-08-16 10:00",
            "1954-08-16T24:00",
            "1954-08-16T10:60",
            "1954-08-16T10:30:60",
            "1954-08-16T10:00+24:00",
            "1954-08-16T10:00+0200",
            "1954-08-16T10:00z",
            "yesterday",
        ] {
            assert_eq!(parse_instant(text), None, "{text}");
        }
    }

    #[test]
    fn what_is_printed_reads_back() {
        for ms in [0, 1, MS_1954_08_16, 951_825_600_123, 4_102_444_800_000] {
            assert_eq!(parse_instant(&format_instant(ms)), Some(ms));
        }
    }
}

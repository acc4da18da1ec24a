//! java.util.Date values (`#inst "..."`), shared by the compiler's reader
//! and the stub runtime: an instant is the milliseconds since the epoch, as
//! a Date holds them. Reading follows clojure.instant (an RFC 3339
//! timestamp of which everything after the year is optional, checked field
//! by field), printing follows Clojure's `print-method` for Date (UTC,
//! milliseconds, `-00:00`) and `Date.toString` in the UTC zone.

/// Why a `#inst` text is not an instant, in clojure.instant's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstantError {
    /// Not of the timestamp's shape at all.
    Syntax(String),
    /// A field out of its range: the check that failed, as Clojure prints it.
    Field(&'static str),
}

impl std::fmt::Display for InstantError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InstantError::Syntax(text) => write!(f, "Unrecognized date/time syntax: {text}"),
            InstantError::Field(check) => write!(f, "failed: {check}"),
        }
    }
}

/// Reads the fixed number of ASCII digits at `at`, advancing it.
fn digits(bytes: &[u8], at: &mut usize, count: usize) -> Option<i64> {
    let field = bytes.get(*at..*at + count)?;
    if !field.iter().all(u8::is_ascii_digit) {
        return None;
    }
    *at += count;
    Some(field.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
}

/// `prefix` then `count` digits at `at`, if there.
fn field(bytes: &[u8], at: &mut usize, prefix: u8, count: usize) -> Option<Option<i64>> {
    if bytes.get(*at) != Some(&prefix) {
        return Some(None);
    }
    *at += 1;
    digits(bytes, at, count).map(Some)
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

/// Days from 1970-01-01 to the proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian (year, month, day) of a day count from 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The milliseconds since the epoch `text` names: `yyyy[-MM[-dd[THH[:mm[:ss[.fff]]]]]]`
/// then `Z`, `±HH:mm` or nothing (UTC).
pub fn parse(text: &str) -> Result<i64, InstantError> {
    let syntax = || InstantError::Syntax(text.to_string());
    let bytes = text.as_bytes();
    let mut at = 0;
    let year = digits(bytes, &mut at, 4).ok_or_else(syntax)?;
    // Each field is there only after the one before it.
    let next = |after: Option<i64>, prefix, at: &mut usize| match after {
        Some(_) => field(bytes, at, prefix, 2).ok_or_else(syntax),
        None => Ok(None),
    };
    let month = next(Some(year), b'-', &mut at)?;
    let day = next(month, b'-', &mut at)?;
    let hour = next(day, b'T', &mut at)?;
    let minute = next(hour, b':', &mut at)?;
    let second = next(minute, b':', &mut at)?;
    let mut nanos = 0;
    if second.is_some() && bytes.get(at) == Some(&b'.') {
        let start = at + 1;
        let end = start
            + bytes[start..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
        if end == start {
            return Err(syntax());
        }
        // The first nine digits are the nanoseconds.
        let fraction: String = text[start..end]
            .chars()
            .chain("000000000".chars())
            .take(9)
            .collect();
        nanos = fraction.parse::<i64>().map_err(|_| syntax())?;
        at = end;
    }
    let (mut offset_sign, mut offset_hours, mut offset_minutes) = (1, 0, 0);
    match bytes.get(at) {
        None => {}
        Some(b'Z') => at += 1,
        Some(sign @ (b'+' | b'-')) => {
            offset_sign = if *sign == b'-' { -1 } else { 1 };
            at += 1;
            offset_hours = digits(bytes, &mut at, 2).ok_or_else(syntax)?;
            if bytes.get(at) != Some(&b':') {
                return Err(syntax());
            }
            at += 1;
            offset_minutes = digits(bytes, &mut at, 2).ok_or_else(syntax)?;
        }
        Some(_) => return Err(syntax()),
    }
    if at != bytes.len() {
        return Err(syntax());
    }
    let (month, day) = (month.unwrap_or(1), day.unwrap_or(1));
    let (hour, minute, second) = (hour.unwrap_or(0), minute.unwrap_or(0), second.unwrap_or(0));
    let checks = [
        ((1..=12).contains(&month), "(<= 1 months 12)"),
        (
            (1..=days_in_month(year, month)).contains(&day),
            "(<= 1 days (days-in-month months leap-year?))",
        ),
        ((0..=23).contains(&hour), "(<= 0 hours 23)"),
        ((0..=59).contains(&minute), "(<= 0 minutes 59)"),
        (
            (0..=if minute == 59 { 60 } else { 59 }).contains(&second),
            "(<= 0 seconds (if (= minutes 59) 60 59))",
        ),
        ((0..=23).contains(&offset_hours), "(<= 0 offset-hours 23)"),
        (
            (0..=59).contains(&offset_minutes),
            "(<= 0 offset-minutes 59)",
        ),
    ];
    if let Some((_, check)) = checks.iter().find(|(ok, _)| !ok) {
        return Err(InstantError::Field(check));
    }
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second
        - offset_sign * (offset_hours * 3_600 + offset_minutes * 60);
    Ok(seconds * 1_000 + nanos / 1_000_000)
}

/// The (days since the epoch, milliseconds into that day) of an instant.
fn split(ms: i64) -> (i64, i64) {
    (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000))
}

/// How Clojure prints a Date: `2020-01-01T00:00:00.000-00:00`.
pub fn text(ms: i64) -> String {
    let (days, of_day) = split(ms);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}-00:00",
        of_day / 3_600_000,
        of_day / 60_000 % 60,
        of_day / 1_000 % 60,
        of_day % 1_000
    )
}

/// `Date.toString` in the UTC zone: `Wed Jan 01 00:00:00 UTC 2020`.
pub fn date_string(ms: i64) -> String {
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (days, of_day) = split(ms);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{} {} {day:02} {:02}:{:02}:{:02} UTC {year}",
        WEEKDAYS[days.rem_euclid(7) as usize],
        MONTHS[(month - 1) as usize],
        of_day / 3_600_000,
        of_day / 60_000 % 60,
        of_day / 1_000 % 60,
    )
}

/// `Date.hashCode`: the milliseconds' two halves xored.
pub fn hash(ms: i64) -> i32 {
    (ms ^ ((ms as u64) >> 32) as i64) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_prints_and_hashes_as_clojure_on_the_jvm() {
        let cases = [
            ("2020", "2020-01-01T00:00:00.000-00:00"),
            (
                "2020-02-29T12:30:45.123456+01:30",
                "2020-02-29T11:00:45.123-00:00",
            ),
            ("1970-01-01T00:00:01Z", "1970-01-01T00:00:01.000-00:00"),
            ("2020-06-30T23:59:60Z", "2020-07-01T00:00:00.000-00:00"),
            ("0099-01-01", "0099-01-01T00:00:00.000-00:00"),
            ("1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999-00:00"),
        ];
        for (read, printed) in cases {
            assert_eq!(parse(read).map(text), Ok(printed.to_string()), "{read}");
        }
        assert_eq!(parse("1970-01-01T00:00:01Z"), Ok(1000));
        assert_eq!(hash(parse("2020-01-01").unwrap()), 1583802735);
        assert_eq!(
            date_string(parse("2020-01-01").unwrap()),
            "Wed Jan 01 00:00:00 UTC 2020"
        );
    }

    #[test]
    fn refuses_what_clojure_instant_refuses() {
        assert_eq!(
            parse("2020-13-01"),
            Err(InstantError::Field("(<= 1 months 12)"))
        );
        assert!(matches!(parse("2019-02-29"), Err(InstantError::Field(_))));
        assert!(matches!(
            parse("2020-01-01T24"),
            Err(InstantError::Field(_))
        ));
        for bad in [
            "",
            "20",
            "2020-1",
            "2020-01-01T",
            "2020-01-01 10:00",
            "2020Zx",
            "2020-01-01T10:00+01",
        ] {
            assert_eq!(
                parse(bad),
                Err(InstantError::Syntax(bad.to_string())),
                "{bad}"
            );
        }
    }
}

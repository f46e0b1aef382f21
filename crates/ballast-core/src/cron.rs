//! Cron expressions, in the two dialects AWS takes.
//!
//! - **Quartz** ([`Cron::parse`]), as maintenance windows take them:
//!   `cron(MIN HOUR DOM MONTH DOW YEAR)`, or seven fields with seconds
//!   first. The syntax is the one AWS documents for Systems Manager: `*`,
//!   `?`, lists, ranges (names too, wrapping past the end as `FRI-MON`
//!   does), steps, `L`, `W`, `LW`, `L-n` in the day of the month and `L`,
//!   `nL`, `n#k` in the day of the week, where Sunday is 1. Exactly one of
//!   the two day fields is `?`.
//! - **Unix** ([`Cron::parse_unix`]), as Auto Scaling's scheduled actions
//!   take their `Recurrence`: `MIN HOUR DOM MONTH DOW`, with `*`, lists,
//!   ranges, steps and names, Sunday 0 (or 7), and cron's own rule for the
//!   two day fields: when both are restricted (neither starts with `*`), a
//!   day matching either matches.
//!
//! An expression only says which civil times match;
//! `ssm::maintenance_window::schedule` and `autoscaling::schedule` put them
//! in a time zone and turn them into instants ([`instant`]).

use jiff::civil::{Date, DateTime, Weekday};
use jiff::tz::{AmbiguousOffset, TimeZone};

/// The years an expression may name, as Quartz (and so AWS) bounds them.
pub const FIRST_YEAR: i16 = 1970;
pub const LAST_YEAR: i16 = 2199;

/// A parsed cron expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    seconds: Vec<i8>,
    minutes: Vec<i8>,
    hours: Vec<i8>,
    days: Days,
    /// Months 1–12 that match, as a bit per month.
    months: u16,
    /// Years that match; `None` is every year.
    years: Option<Vec<i16>>,
}

/// The day fields: in Quartz, exactly one of them says something; in Unix
/// cron, both do, and a day must match both or either.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Days {
    OfMonth(Vec<MonthDay>),
    OfWeek(Vec<WeekDay>),
    Both(Vec<MonthDay>, Vec<WeekDay>),
    Either(Vec<MonthDay>, Vec<WeekDay>),
}

/// One item of the day-of-month field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MonthDay {
    /// A plain day (1–31).
    Day(i8),
    /// `L` (0) or `L-n`: the last day of the month, less `n` days.
    Last(i8),
    /// `LW`: the last weekday (Monday–Friday) of the month.
    LastWeekday,
    /// `nW`: the weekday nearest to day `n`, within the month.
    NearestWeekday(i8),
}

/// One item of the day-of-week field (1 = Sunday … 7 = Saturday).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WeekDay {
    Day(i8),
    /// `nL`: the last such day of the month.
    Last(i8),
    /// `n#k`: the k-th such day of the month.
    Nth(i8, i8),
}

/// Why an expression was refused, in words for the ValidationException.
pub type ParseError = String;

const MONTH_NAMES: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAY_NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// The bounds and names of one field.
struct FieldSpec {
    what: &'static str,
    min: i32,
    max: i32,
    names: &'static [&'static str],
}

const SECONDS: FieldSpec = FieldSpec {
    what: "seconds",
    min: 0,
    max: 59,
    names: &[],
};
const MINUTES: FieldSpec = FieldSpec {
    what: "minutes",
    min: 0,
    max: 59,
    names: &[],
};
const HOURS: FieldSpec = FieldSpec {
    what: "hours",
    min: 0,
    max: 23,
    names: &[],
};
const DAY_OF_MONTH: FieldSpec = FieldSpec {
    what: "day-of-month",
    min: 1,
    max: 31,
    names: &[],
};
const MONTH: FieldSpec = FieldSpec {
    what: "month",
    min: 1,
    max: 12,
    names: &MONTH_NAMES,
};
const DAY_OF_WEEK: FieldSpec = FieldSpec {
    what: "day-of-week",
    min: 1,
    max: 7,
    names: &DAY_NAMES,
};
/// Unix cron's day of the week: Sunday is 0, and 7 too.
const UNIX_DAY_OF_WEEK: FieldSpec = FieldSpec {
    what: "day-of-week",
    min: 0,
    max: 7,
    names: &DAY_NAMES,
};
const YEAR: FieldSpec = FieldSpec {
    what: "year",
    min: FIRST_YEAR as i32,
    max: LAST_YEAR as i32,
    names: &[],
};

impl Cron {
    /// Parses the fields between `cron(` and `)`.
    pub fn parse(body: &str) -> Result<Cron, ParseError> {
        let fields: Vec<&str> = body.split_whitespace().collect();
        let (seconds, rest) = match fields.len() {
            6 => ("0", &fields[..]),
            7 => (fields[0], &fields[1..]),
            n => {
                return Err(format!(
                    "a cron expression has 6 fields (minutes, hours, day-of-month, month, day-of-week, year), or 7 with seconds first; this one has {n}"
                ));
            }
        };
        let [minutes, hours, dom, month, dow, year] = rest else {
            return Err("a cron expression has 6 fields".to_owned());
        };
        let days = match (*dom == "?", *dow == "?") {
            (true, true) => {
                return Err("only one of day-of-month and day-of-week may be '?'".to_owned());
            }
            (false, false) => {
                return Err(
                    "one of day-of-month and day-of-week must be '?': both cannot be given"
                        .to_owned(),
                );
            }
            (false, true) => Days::OfMonth(parse_month_days(dom)?),
            (true, false) => Days::OfWeek(parse_week_days(dow)?),
        };
        let months = plain(month, &MONTH)?
            .into_iter()
            .fold(0u16, |bits, m| bits | (1 << m));
        let years = if *year == "*" {
            None
        } else {
            Some(
                plain(year, &YEAR)?
                    .into_iter()
                    .filter_map(|y| i16::try_from(y).ok())
                    .collect(),
            )
        };
        Ok(Cron {
            seconds: small(plain(seconds, &SECONDS)?),
            minutes: small(plain(minutes, &MINUTES)?),
            hours: small(plain(hours, &HOURS)?),
            days,
            months,
            years,
        })
    }

    /// Parses a Unix cron expression (`MIN HOUR DOM MONTH DOW`), as Auto
    /// Scaling's `Recurrence` holds it.
    pub fn parse_unix(text: &str) -> Result<Cron, ParseError> {
        let fields: Vec<&str> = text.split_whitespace().collect();
        let [minutes, hours, dom, month, dow] = fields[..] else {
            return Err(format!(
                "a cron expression has 5 fields (minute, hour, day-of-month, month, day-of-week); this one has {}",
                fields.len()
            ));
        };
        let month_days = || -> Result<Vec<MonthDay>, ParseError> {
            Ok(plain(dom, &DAY_OF_MONTH)?
                .into_iter()
                .map(|d| MonthDay::Day(as_i8(d)))
                .collect())
        };
        // Unix numbers Sunday 0 (and 7); the matcher numbers it 1.
        let week_days = || -> Result<Vec<WeekDay>, ParseError> {
            let mut days: Vec<i8> = plain(dow, &UNIX_DAY_OF_WEEK)?
                .into_iter()
                .map(|d| as_i8(d % 7 + 1))
                .collect();
            days.sort_unstable();
            days.dedup();
            Ok(days.into_iter().map(WeekDay::Day).collect())
        };
        // Cron's rule: a day field starting with `*` leaves the other to
        // decide (both must match); two restricted fields match either.
        let days = if dom.starts_with('*') || dow.starts_with('*') {
            Days::Both(month_days()?, week_days()?)
        } else {
            Days::Either(month_days()?, week_days()?)
        };
        let months = plain(month, &MONTH)?
            .into_iter()
            .fold(0u16, |bits, m| bits | (1 << m));
        Ok(Cron {
            seconds: vec![0],
            minutes: small(plain(minutes, &MINUTES)?),
            hours: small(plain(hours, &HOURS)?),
            days,
            months,
            years: None,
        })
    }

    /// The first civil time strictly after `after` that the expression
    /// matches, if there is one before the end of [`LAST_YEAR`].
    pub fn next_after(&self, after: DateTime) -> Option<DateTime> {
        let mut date = after.date();
        loop {
            let year = date.year();
            if year > LAST_YEAR {
                return None;
            }
            if !self.year_matches(year) {
                date = self.next_year_start(year)?;
                continue;
            }
            if self.months & (1 << date.month()) == 0 {
                date = first_of_next_month(date)?;
                continue;
            }
            if self.day_matches(date)
                && let Some(found) = self.first_time_on(date, after)
            {
                return Some(found);
            }
            date = date.tomorrow().ok()?;
        }
    }

    fn year_matches(&self, year: i16) -> bool {
        self.years
            .as_ref()
            .is_none_or(|years| years.binary_search(&year).is_ok())
    }

    /// January 1 of the next year the expression names after `year`.
    fn next_year_start(&self, year: i16) -> Option<Date> {
        let next = match &self.years {
            None => year.checked_add(1)?,
            Some(years) => *years.iter().find(|y| **y > year)?,
        };
        Date::new(next, 1, 1).ok()
    }

    /// The earliest matching time of day on `date` after `after`.
    fn first_time_on(&self, date: Date, after: DateTime) -> Option<DateTime> {
        for &h in &self.hours {
            for &m in &self.minutes {
                for &s in &self.seconds {
                    let candidate = date.at(h, m, s, 0);
                    if candidate > after {
                        return Some(candidate);
                    }
                }
            }
        }
        None
    }

    fn day_matches(&self, date: Date) -> bool {
        match &self.days {
            Days::OfMonth(items) => items.iter().any(|item| month_day_matches(*item, date)),
            Days::OfWeek(items) => items.iter().any(|item| week_day_matches(*item, date)),
            Days::Both(month, week) => {
                month.iter().any(|item| month_day_matches(*item, date))
                    && week.iter().any(|item| week_day_matches(*item, date))
            }
            Days::Either(month, week) => {
                month.iter().any(|item| month_day_matches(*item, date))
                    || week.iter().any(|item| week_day_matches(*item, date))
            }
        }
    }
}

/// The instant (milliseconds since the epoch) a civil time in `zone` stands
/// for: a time a daylight-saving change skips is the change itself; one
/// that happens twice, the first.
pub fn instant(zone: &TimeZone, local: DateTime) -> Option<i64> {
    let ambiguous = zone.to_ambiguous_timestamp(local);
    let ts = match ambiguous.offset() {
        AmbiguousOffset::Unambiguous { .. } => ambiguous.compatible().ok()?,
        AmbiguousOffset::Fold { .. } => ambiguous.earlier().ok()?,
        AmbiguousOffset::Gap { after, .. } => {
            // Read with the later offset, the time falls before the
            // change; the change is the next transition from there.
            let early = after.to_timestamp(local).ok()?;
            match zone.following(early).next() {
                Some(transition) => transition.timestamp(),
                None => ambiguous.compatible().ok()?,
            }
        }
    };
    Some(ts.as_millisecond())
}

fn small(values: Vec<i32>) -> Vec<i8> {
    values
        .into_iter()
        .filter_map(|v| i8::try_from(v).ok())
        .collect()
}

fn first_of_next_month(date: Date) -> Option<Date> {
    let (year, month) = if date.month() == 12 {
        (date.year().checked_add(1)?, 1)
    } else {
        (date.year(), date.month() + 1)
    };
    Date::new(year, month, 1).ok()
}

/// Quartz numbers days of the week from Sunday = 1.
fn quartz_weekday(date: Date) -> i8 {
    date.weekday().to_sunday_one_offset()
}

fn is_weekday(date: Date) -> bool {
    !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
}

fn month_day_matches(item: MonthDay, date: Date) -> bool {
    let last = date.days_in_month();
    match item {
        MonthDay::Day(d) => date.day() == d,
        MonthDay::Last(back) => last - back >= 1 && date.day() == last - back,
        MonthDay::LastWeekday => {
            let mut day = last;
            while day > 1 && !date.with().day(day).build().is_ok_and(is_weekday) {
                day -= 1;
            }
            date.day() == day
        }
        MonthDay::NearestWeekday(target) => {
            if target > last {
                return false;
            }
            nearest_weekday(date, target) == Some(date.day())
        }
    }
}

/// The weekday nearest to day `target` of `date`'s month, never leaving
/// the month (Quartz's `W`): a Saturday moves to Friday unless that is in
/// the previous month, a Sunday to Monday unless that is in the next.
fn nearest_weekday(date: Date, target: i8) -> Option<i8> {
    let day = date.with().day(target).build().ok()?;
    let last = date.days_in_month();
    Some(match day.weekday() {
        Weekday::Saturday if target > 1 => target - 1,
        Weekday::Saturday => target + 2,
        Weekday::Sunday if target < last => target + 1,
        Weekday::Sunday => target - 2,
        _ => target,
    })
}

fn week_day_matches(item: WeekDay, date: Date) -> bool {
    let weekday = quartz_weekday(date);
    match item {
        WeekDay::Day(d) => weekday == d,
        WeekDay::Last(d) => weekday == d && date.day() + 7 > date.days_in_month(),
        WeekDay::Nth(d, k) => weekday == d && (date.day() - 1) / 7 + 1 == k,
    }
}

/// A field of numbers (or names): every value it selects, sorted.
fn plain(text: &str, spec: &FieldSpec) -> Result<Vec<i32>, ParseError> {
    let mut values = Vec::new();
    for item in text.split(',') {
        values.extend(item_values(item, spec)?);
    }
    values.sort_unstable();
    values.dedup();
    Ok(values)
}

/// One list item: `*`, `N`, `A-B`, each with an optional `/STEP`.
fn item_values(item: &str, spec: &FieldSpec) -> Result<Vec<i32>, ParseError> {
    let bad = || format!("'{item}' is not a valid {} value", spec.what);
    if item.is_empty() {
        return Err(bad());
    }
    let (range, step) = match item.split_once('/') {
        Some((range, step)) => {
            let step: i32 = step.parse().map_err(|_| bad())?;
            if step < 1 || step > spec.max - spec.min + 1 {
                return Err(format!(
                    "the step in '{item}' is outside 1-{} for {}",
                    spec.max - spec.min + 1,
                    spec.what
                ));
            }
            (range, step)
        }
        None => (item, 1),
    };
    let (start, end) = if range == "*" {
        (spec.min, spec.max)
    } else if let Some((a, b)) = range.split_once('-') {
        (value(a, spec)?, value(b, spec)?)
    } else {
        let v = value(range, spec)?;
        // `5/15` runs from 5 to the end of the field; `5` is 5 alone.
        if item.contains('/') {
            (v, spec.max)
        } else {
            (v, v)
        }
    };
    // A range may wrap past the field's end (`FRI-MON`, `22-2`).
    let span = if end >= start {
        end - start
    } else {
        end + (spec.max - spec.min + 1) - start
    };
    let width = spec.max - spec.min + 1;
    Ok((0..=span)
        .step_by(usize::try_from(step).map_err(|_| bad())?)
        .map(|k| (start - spec.min + k) % width + spec.min)
        .collect())
}

/// A number or (for months and days of the week) a name, within bounds.
fn value(text: &str, spec: &FieldSpec) -> Result<i32, ParseError> {
    let upper = text.to_ascii_uppercase();
    if let Some(i) = spec.names.iter().position(|n| *n == upper) {
        return i32::try_from(i)
            .map(|i| i + spec.min)
            .map_err(|_| format!("'{text}' is not a valid {} value", spec.what));
    }
    let v: i32 = text
        .parse()
        .ok()
        .filter(|_| text.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| format!("'{text}' is not a valid {} value", spec.what))?;
    if v < spec.min || v > spec.max {
        return Err(format!(
            "{} values are {}-{}; {v} is outside them",
            spec.what, spec.min, spec.max
        ));
    }
    Ok(v)
}

fn as_i8(v: i32) -> i8 {
    i8::try_from(v).unwrap_or(i8::MAX)
}

fn parse_month_days(text: &str) -> Result<Vec<MonthDay>, ParseError> {
    let mut items = Vec::new();
    for item in text.split(',') {
        let upper = item.to_ascii_uppercase();
        if upper == "L" {
            items.push(MonthDay::Last(0));
        } else if upper == "LW" {
            items.push(MonthDay::LastWeekday);
        } else if let Some(back) = upper.strip_prefix("L-") {
            let back = value(back, &DAY_OF_MONTH)
                .map_err(|_| format!("'{item}' is not a valid day-of-month value"))?;
            if back > 30 {
                return Err(format!("'{item}' is not a valid day-of-month value"));
            }
            items.push(MonthDay::Last(as_i8(back)));
        } else if let Some(day) = upper.strip_suffix('W') {
            let day = value(day, &DAY_OF_MONTH)?;
            items.push(MonthDay::NearestWeekday(as_i8(day)));
        } else {
            items.extend(
                item_values(item, &DAY_OF_MONTH)?
                    .into_iter()
                    .map(|d| MonthDay::Day(as_i8(d))),
            );
        }
    }
    Ok(items)
}

fn parse_week_days(text: &str) -> Result<Vec<WeekDay>, ParseError> {
    let mut items = Vec::new();
    for item in text.split(',') {
        let upper = item.to_ascii_uppercase();
        if upper == "L" {
            // Alone, `L` in the day of the week is its last day: Saturday.
            items.push(WeekDay::Day(7));
        } else if let Some((day, nth)) = upper.split_once('#') {
            let day = value(day, &DAY_OF_WEEK)?;
            let nth: i8 = nth
                .parse()
                .ok()
                .filter(|k| (1..=5).contains(k))
                .ok_or_else(|| {
                    format!("'{item}' is not a valid day-of-week value: the week after '#' is 1-5")
                })?;
            items.push(WeekDay::Nth(as_i8(day), nth));
        } else if let Some(day) = upper.strip_suffix('L') {
            let day = value(day, &DAY_OF_WEEK)?;
            items.push(WeekDay::Last(as_i8(day)));
        } else {
            items.extend(
                item_values(item, &DAY_OF_WEEK)?
                    .into_iter()
                    .map(|d| WeekDay::Day(as_i8(d))),
            );
        }
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn next(expr: &str, after: DateTime) -> Option<DateTime> {
        Cron::parse(expr).unwrap().next_after(after)
    }

    fn at(y: i16, mo: i8, d: i8, h: i8, mi: i8) -> DateTime {
        date(y, mo, d).at(h, mi, 0, 0)
    }

    #[test]
    fn weekly_on_a_named_day() {
        // 2024-01-01 is a Monday; the next Sunday is the 7th.
        let t = at(2024, 1, 1, 0, 0);
        assert_eq!(next("0 2 ? * SUN *", t), Some(at(2024, 1, 7, 2, 0)));
        assert_eq!(next("0 2 ? * 1 *", t), Some(at(2024, 1, 7, 2, 0)));
        // Strictly after: at the match itself, the next week.
        assert_eq!(
            next("0 2 ? * SUN *", at(2024, 1, 7, 2, 0)),
            Some(at(2024, 1, 14, 2, 0))
        );
    }

    #[test]
    fn every_day_and_steps() {
        let t = at(2024, 1, 1, 10, 7);
        assert_eq!(next("0 10 * * ? *", t), Some(at(2024, 1, 2, 10, 0)));
        assert_eq!(next("0/15 * * * ? *", t), Some(at(2024, 1, 1, 10, 15)));
        assert_eq!(next("*/10 * * * ? *", t), Some(at(2024, 1, 1, 10, 10)));
        assert_eq!(next("5/20 * * * ? *", t), Some(at(2024, 1, 1, 10, 25)));
        assert_eq!(next("10-20/5 * * * ? *", t), Some(at(2024, 1, 1, 10, 10)));
    }

    #[test]
    fn ranges_and_lists_of_days() {
        // Friday 2024-01-05 18:00 → the next weekday run is Monday the 8th.
        let t = at(2024, 1, 5, 18, 0);
        assert_eq!(next("0 18 ? * MON-FRI *", t), Some(at(2024, 1, 8, 18, 0)));
        assert_eq!(next("0 18 ? * 2-6 *", t), Some(at(2024, 1, 8, 18, 0)));
        assert_eq!(next("0 18 ? * TUE,THU *", t), Some(at(2024, 1, 9, 18, 0)));
        // A wrapping range: Friday to Monday includes Saturday.
        assert_eq!(next("0 18 ? * FRI-MON *", t), Some(at(2024, 1, 6, 18, 0)));
        assert_eq!(
            next("30 22-2 * * ? *", at(2024, 1, 1, 23, 0)),
            Some(at(2024, 1, 1, 23, 30))
        );
        assert_eq!(
            next("30 22-2 * * ? *", at(2024, 1, 1, 2, 30)),
            Some(at(2024, 1, 1, 22, 30))
        );
    }

    #[test]
    fn nth_and_last_days_of_the_week() {
        // The third Tuesday of January 2024 is the 16th; of February the 20th.
        let t = at(2024, 1, 1, 0, 0);
        assert_eq!(next("30 23 ? * TUE#3 *", t), Some(at(2024, 1, 16, 23, 30)));
        assert_eq!(
            next("30 23 ? * TUE#3 *", at(2024, 1, 17, 0, 0)),
            Some(at(2024, 2, 20, 23, 30))
        );
        // The last Friday of January 2024 is the 26th.
        assert_eq!(next("15 10 ? * 6L *", t), Some(at(2024, 1, 26, 10, 15)));
        assert_eq!(next("15 10 ? * FRIL *", t), Some(at(2024, 1, 26, 10, 15)));
        // A fifth Monday: January 2024 has one (the 29th), February none.
        assert_eq!(
            next("0 0 ? * MON#5 *", at(2024, 1, 30, 0, 0)),
            Some(at(2024, 4, 29, 0, 0))
        );
    }

    #[test]
    fn last_and_nearest_weekdays_of_the_month() {
        let t = at(2024, 2, 1, 0, 0);
        // 2024 is a leap year.
        assert_eq!(next("0 2 L * ? *", t), Some(at(2024, 2, 29, 2, 0)));
        assert_eq!(next("0 2 L-1 * ? *", t), Some(at(2024, 2, 28, 2, 0)));
        // The last weekday of March 2024: Sunday the 31st → Friday the 29th.
        assert_eq!(
            next("0 2 LW * ? *", at(2024, 3, 1, 0, 0)),
            Some(at(2024, 3, 29, 2, 0))
        );
        // 15W in June 2024: the 15th is a Saturday → Friday the 14th.
        assert_eq!(
            next("0 9 15W * ? *", at(2024, 6, 1, 0, 0)),
            Some(at(2024, 6, 14, 9, 0))
        );
        // 1W in June 2024: the 1st is a Saturday → Monday the 3rd.
        assert_eq!(
            next("0 9 1W * ? *", at(2024, 6, 1, 0, 0)),
            Some(at(2024, 6, 3, 9, 0))
        );
        // The 31st skips the months without one.
        assert_eq!(
            next("0 0 31 * ? *", at(2024, 4, 1, 0, 0)),
            Some(at(2024, 5, 31, 0, 0))
        );
    }

    #[test]
    fn months_years_and_seconds() {
        let t = at(2024, 1, 1, 0, 0);
        assert_eq!(next("0 8 1 JUN,DEC ? *", t), Some(at(2024, 6, 1, 8, 0)));
        assert_eq!(next("0 8 1 6 ? 2026", t), Some(at(2026, 6, 1, 8, 0)));
        assert_eq!(next("0 8 1 6 ? 2020", t), None);
        assert_eq!(
            next("0 0 29 2 ? *", at(2024, 3, 1, 0, 0)),
            Some(at(2028, 2, 29, 0, 0))
        );
        // Never: there is no 30th of February.
        assert_eq!(next("0 0 30 2 ? *", t), None);
        // Seven fields: seconds first.
        assert_eq!(
            next("30 0 2 ? * SUN *", t),
            Some(date(2024, 1, 7).at(2, 0, 30, 0))
        );
        assert_eq!(
            next("0 30 23 ? * TUE#3 *", t),
            Some(at(2024, 1, 16, 23, 30))
        );
    }

    #[test]
    fn random_fields_never_panic() {
        use rand::rngs::StdRng;
        use rand::{Rng, SeedableRng};
        const PIECES: &[&str] = &[
            "*", "?", "L", "W", "LW", "#", "-", "/", ",", "0", "1", "5", "7", "12", "31", "59",
            "99", "2199", "1970", "SUN", "fri", "JAN", "x", "L-3", "6L", "3#2", "15W", "",
        ];
        let mut rng = StdRng::seed_from_u64(14);
        let start = at(2024, 1, 1, 0, 0);
        for _ in 0..20_000 {
            let fields = rng.random_range(5..=8);
            let expr: Vec<String> = (0..fields)
                .map(|_| {
                    (0..rng.random_range(1..=3))
                        .map(|_| PIECES[rng.random_range(0..PIECES.len())])
                        .collect()
                })
                .collect();
            if let Ok(cron) = Cron::parse(&expr.join(" ")) {
                let _ = cron.next_after(start);
            }
        }
    }

    fn next_unix(expr: &str, after: DateTime) -> Option<DateTime> {
        Cron::parse_unix(expr).unwrap().next_after(after)
    }

    #[test]
    fn unix_fields_and_sunday_as_zero_or_seven() {
        // 2026-12-07 is a Monday.
        let monday = at(2026, 12, 7, 10, 0);
        assert_eq!(
            next_unix("30 9 * * *", monday),
            Some(at(2026, 12, 8, 9, 30))
        );
        assert_eq!(
            next_unix("*/15 * * * *", monday),
            Some(at(2026, 12, 7, 10, 15))
        );
        for sunday in ["0 8 * * 0", "0 8 * * 7", "0 8 * * SUN", "0 8 * * sun"] {
            assert_eq!(
                next_unix(sunday, monday),
                Some(at(2026, 12, 13, 8, 0)),
                "{sunday}"
            );
        }
        assert_eq!(
            next_unix("0 18 * * 1-5", at(2026, 12, 11, 19, 0)),
            Some(at(2026, 12, 14, 18, 0))
        );
        assert_eq!(next_unix("0 0 1 JAN *", monday), Some(at(2027, 1, 1, 0, 0)));
        assert_eq!(
            next_unix("0 6 * * FRI-MON", monday),
            Some(at(2026, 12, 11, 6, 0))
        );
    }

    #[test]
    fn unix_day_fields_match_either_when_both_are_restricted() {
        let monday = at(2026, 12, 7, 10, 0);
        // The 15th (a Tuesday) or any Friday: the Friday comes first.
        assert_eq!(
            next_unix("0 0 15 * 5", monday),
            Some(at(2026, 12, 11, 0, 0))
        );
        assert_eq!(next_unix("0 0 9 * 5", monday), Some(at(2026, 12, 9, 0, 0)));
        // A field starting with `*` leaves the other to decide.
        assert_eq!(
            next_unix("0 0 */2 * 5", monday),
            Some(at(2026, 12, 11, 0, 0))
        );
        assert_eq!(
            next_unix("0 0 */10 * *", monday),
            Some(at(2026, 12, 11, 0, 0))
        );
    }

    #[test]
    fn unix_refusals() {
        for bad in [
            "0 9 * *",
            "0 9 * * * *",
            "60 9 * * *",
            "0 24 * * *",
            "0 9 0 * *",
            "0 9 * 13 *",
            "0 9 * * 8",
            "0 9 ? * MON",
            "0 9 * * MON#2",
            "0 9 L * *",
            "@daily",
        ] {
            assert!(Cron::parse_unix(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn refusals() {
        for bad in [
            "0 2 ? * SUN",
            "0 2 * * SUN *",
            "0 2 ? * ? *",
            "60 2 ? * SUN *",
            "0 24 ? * SUN *",
            "0 2 0 * ? *",
            "0 2 32 * ? *",
            "0 2 ? 13 SUN *",
            "0 2 ? * 8 *",
            "0 2 ? * FOO *",
            "0 2 ? * SUN#6 *",
            "0 2 ? * SUN 1969",
            "0 2 ? * SUN 2200",
            "0/0 2 ? * SUN *",
            "a 2 ? * SUN *",
            "0 2 ? * , *",
            "0 2 L-31 * ? *",
            "-1 2 ? * SUN *",
            "+1 2 ? * SUN *",
        ] {
            assert!(Cron::parse(bad).is_err(), "{bad} should be refused");
        }
    }
}

//! When a maintenance window runs: its `Schedule` expression (`cron(…)`,
//! `rate(N minutes|hours|days)` or `at(yyyy-mm-ddThh:mm:ss)`) read in its
//! `ScheduleTimezone` (UTC when it has none), moved by `ScheduleOffset`
//! days (cron only), kept inside `StartDate`…`EndDate`.
//!
//! Everything here is a pure function of the window's settings and the
//! instants it is given (milliseconds since the epoch): the API asks for
//! `NextExecutionTime` and DescribeMaintenanceWindowSchedule with the
//! clock's "now", and the runner asks when to fire with its own.
//!
//! Choices where AWS says nothing precise:
//! - A run counts only if its cron match (before the offset) or its `at`
//!   time is after the moment the schedule took effect (`since`: creation,
//!   or the update that changed the schedule). AWS documents this for
//!   offsets: a match that has passed does not run later because an
//!   offset pushes it into the future.
//! - `rate(…)` counts whole periods from `StartDate` when that is later
//!   than `since`, else from `since`; it ignores the time zone (a day is 24
//!   hours).
//! - A civil time that a daylight-saving change skips runs at the change;
//!   one that happens twice runs the first time.

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp, ToSpan};

use super::Error;
use crate::cron::Cron;

const MINUTE_MILLIS: i64 = 60_000;
const HOUR_MILLIS: i64 = 60 * MINUTE_MILLIS;
const DAY_MILLIS: i64 = 24 * HOUR_MILLIS;

/// A schedule expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expression {
    Cron(Cron),
    /// `rate(N unit)`: a run every this many milliseconds.
    Rate {
        every_millis: i64,
    },
    /// `at(…)`: once, at this civil time in the window's zone.
    At(DateTime),
}

impl Expression {
    /// Parses `cron(…)`, `rate(…)` or `at(…)`.
    pub fn parse(text: &str) -> Result<Expression, Error> {
        let refuse = |why: String| {
            Error::Validation(format!(
                "The schedule expression {text} is not valid: {why}."
            ))
        };
        let text = text.trim();
        let body = |prefix: &str| {
            text.strip_prefix(prefix)
                .and_then(|rest| rest.strip_suffix(')'))
        };
        if let Some(body) = body("cron(") {
            return Cron::parse(body).map(Expression::Cron).map_err(refuse);
        }
        if let Some(body) = body("rate(") {
            return parse_rate(body).map_err(refuse);
        }
        if let Some(body) = body("at(") {
            return body
                .trim()
                .parse::<DateTime>()
                .map(Expression::At)
                .map_err(|_| refuse("at(…) takes a time as yyyy-mm-ddThh:mm:ss".to_owned()));
        }
        Err(refuse(
            "a schedule is cron(…), rate(…) or at(yyyy-mm-ddThh:mm:ss)".to_owned(),
        ))
    }

    pub fn is_cron(&self) -> bool {
        matches!(self, Expression::Cron(_))
    }
}

fn parse_rate(body: &str) -> Result<Expression, String> {
    let usage = "rate(…) takes a positive whole number and minutes, hours or days";
    let mut words = body.split_whitespace();
    let (Some(count), Some(unit), None) = (words.next(), words.next(), words.next()) else {
        return Err(usage.to_owned());
    };
    let count: i64 = count
        .parse()
        .ok()
        .filter(|n| *n > 0 && count.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| usage.to_owned())?;
    let unit = match unit {
        "minute" | "minutes" => MINUTE_MILLIS,
        "hour" | "hours" => HOUR_MILLIS,
        "day" | "days" => DAY_MILLIS,
        _ => return Err(usage.to_owned()),
    };
    let every_millis = count
        .checked_mul(unit)
        .filter(|ms| *ms <= 3650 * DAY_MILLIS)
        .ok_or_else(|| "rate(…) is at most ten years".to_owned())?;
    Ok(Expression::Rate { every_millis })
}

/// The schedule settings of a window, as its API members hold them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduleSpec<'a> {
    pub expression: &'a str,
    pub timezone: Option<&'a str>,
    pub offset_days: Option<i32>,
    pub start_date: Option<&'a str>,
    pub end_date: Option<&'a str>,
    /// When this schedule took effect (the window's creation, or the
    /// update that last changed any of the above).
    pub since_millis: i64,
}

/// A window's schedule, checked and ready to answer when it runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    expression: Expression,
    zone: TimeZone,
    offset_days: i32,
    start_millis: Option<i64>,
    end_millis: Option<i64>,
    since_millis: i64,
}

impl Schedule {
    /// Reads and checks a window's schedule settings.
    pub fn new(spec: &ScheduleSpec<'_>) -> Result<Schedule, Error> {
        let expression = Expression::parse(spec.expression)?;
        let zone = zone(spec.timezone)?;
        let offset_days = spec.offset_days.unwrap_or(0);
        if offset_days != 0 && !expression.is_cron() {
            return Err(Error::Validation(
                "ScheduleOffset can only be used with a cron expression.".to_owned(),
            ));
        }
        if !(0..=6).contains(&offset_days) {
            return Err(Error::Validation(
                "ScheduleOffset must be between 1 and 6 days.".to_owned(),
            ));
        }
        let start_millis = spec
            .start_date
            .map(|text| parse_date("StartDate", text, &zone))
            .transpose()?;
        let end_millis = spec
            .end_date
            .map(|text| parse_date("EndDate", text, &zone))
            .transpose()?;
        if let (Some(start), Some(end)) = (start_millis, end_millis)
            && end <= start
        {
            return Err(Error::Validation(
                "The EndDate must be later than the StartDate.".to_owned(),
            ));
        }
        Ok(Schedule {
            expression,
            zone,
            offset_days,
            start_millis,
            end_millis,
            since_millis: spec.since_millis,
        })
    }

    pub fn expression(&self) -> &Expression {
        &self.expression
    }

    /// The first run strictly after `after_millis`, if the schedule has
    /// one left.
    pub fn next_after(&self, after_millis: i64) -> Option<i64> {
        self.next_with(after_millis, &mut None)
    }

    /// [`Self::next_after`], carrying where a cron scan got to so that a
    /// series of runs scans each civil time once.
    fn next_with(&self, after_millis: i64, cursor: &mut Option<DateTime>) -> Option<i64> {
        // A run is never before the start date.
        let floor = match self.start_millis {
            Some(start) => after_millis.max(start - 1),
            None => after_millis,
        };
        let run = match &self.expression {
            Expression::Cron(cron) => self.next_cron(cron, floor, cursor)?,
            Expression::Rate { every_millis } => self.next_rate(*every_millis, floor)?,
            Expression::At(when) => {
                let run = self.instant(*when)?;
                (run > self.since_millis && run > floor).then_some(run)?
            }
        };
        match self.end_millis {
            Some(end) if run > end => None,
            _ => Some(run),
        }
    }

    /// Up to `limit` runs after `after_millis`, in order.
    pub fn runs_after(&self, after_millis: i64, limit: usize) -> Vec<i64> {
        let mut runs = Vec::with_capacity(limit.min(64));
        let mut after = after_millis;
        let mut cursor = None;
        while runs.len() < limit {
            let Some(run) = self.next_with(after, &mut cursor) else {
                break;
            };
            runs.push(run);
            after = run;
        }
        runs
    }

    /// The first cron run after `floor`. `resume` is the last match a
    /// previous call for an earlier floor stopped at (runs grow with their
    /// matches, so no match before it can be due).
    fn next_cron(&self, cron: &Cron, floor: i64, resume: &mut Option<DateTime>) -> Option<i64> {
        // The match must be after `since`, and the match moved by the
        // offset after `floor`: scan civil times from a day before the
        // earliest instant either allows (the day absorbs any daylight
        // saving shift), and let the instants decide.
        let mut cursor = match *resume {
            Some(cursor) => cursor,
            None => {
                let lower = self
                    .since_millis
                    .max(floor.saturating_sub(i64::from(self.offset_days) * DAY_MILLIS));
                self.zone
                    .to_datetime(timestamp(lower)?)
                    .checked_sub(1.day())
                    .ok()?
            }
        };
        loop {
            let matched = cron.next_after(cursor)?;
            cursor = matched;
            *resume = Some(matched);
            if self.instant(matched)? <= self.since_millis {
                continue;
            }
            let moved = matched
                .checked_add(Span::new().days(self.offset_days))
                .ok()?;
            let run = self.instant(moved)?;
            if run > floor {
                return Some(run);
            }
        }
    }

    fn next_rate(&self, every: i64, floor: i64) -> Option<i64> {
        let base = match self.start_millis {
            Some(start) => start.max(self.since_millis),
            None => self.since_millis,
        };
        // The first k ≥ 1 with base + k·every > floor.
        let k = if floor < base {
            1
        } else {
            (floor - base) / every + 1
        };
        base.checked_add(k.checked_mul(every)?)
    }

    /// The instant a civil time in the window's zone stands for
    /// ([`crate::cron::instant`]).
    fn instant(&self, local: DateTime) -> Option<i64> {
        crate::cron::instant(&self.zone, local)
    }

    /// An instant as AWS shows execution times: ISO 8601 to the minute
    /// (to the second when it has seconds), in the window's zone with its
    /// offset, `Z` for UTC.
    pub fn format(&self, millis: i64) -> String {
        format_in(&self.zone, millis)
    }
}

/// An instant in a zone, as [`Schedule::format`] writes it.
pub fn format_in(zone: &TimeZone, millis: i64) -> String {
    let Some(ts) = timestamp(millis) else {
        return String::new();
    };
    let local = zone.to_datetime(ts);
    let offset = zone.to_offset(ts).seconds();
    let mut text = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        local.year(),
        local.month(),
        local.day(),
        local.hour(),
        local.minute()
    );
    if local.second() != 0 {
        text.push_str(&format!(":{:02}", local.second()));
    }
    if offset == 0 {
        text.push('Z');
    } else {
        let sign = if offset < 0 { '-' } else { '+' };
        let minutes = offset.abs() / 60;
        text.push_str(&format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60));
    }
    text
}

/// The IANA zone a window names; UTC when it names none.
pub fn zone(name: Option<&str>) -> Result<TimeZone, Error> {
    match name {
        None => Ok(TimeZone::UTC),
        Some(name) => TimeZone::get(name).map_err(|_| {
            Error::Validation(format!(
                "The ScheduleTimezone {name} is not a valid time zone. Use an IANA name such as America/Los_Angeles."
            ))
        }),
    }
}

/// `StartDate`/`EndDate`: ISO 8601 with an offset (`2021-04-07T14:29:00-08:00`,
/// `…Z`), or without one (then in the window's zone), or a date alone
/// (its midnight there).
pub fn parse_date(member: &str, text: &str, zone: &TimeZone) -> Result<i64, Error> {
    let refuse = || {
        Error::Validation(format!(
            "The {member} {text} is not a valid ISO-8601 date and time, such as 2021-04-07T14:29:00-08:00."
        ))
    };
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Ok(ts.as_millisecond());
    }
    let local: DateTime = text.parse().map_err(|_| refuse())?;
    zone.to_ambiguous_timestamp(local)
        .compatible()
        .map(|ts| ts.as_millisecond())
        .map_err(|_| refuse())
}

/// A time a request gives in UTC unless it says otherwise (the filters of
/// the schedule and execution calls).
pub fn parse_instant(member: &str, text: &str) -> Result<i64, Error> {
    parse_date(member, text, &TimeZone::UTC)
}

fn timestamp(millis: i64) -> Option<Timestamp> {
    Timestamp::from_millisecond(millis).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(text: &str) -> i64 {
        text.parse::<Timestamp>().unwrap().as_millisecond()
    }

    fn iso(millis: i64) -> String {
        format_in(&TimeZone::UTC, millis)
    }

    fn spec(expression: &str, since: &str) -> ScheduleSpec<'static> {
        ScheduleSpec {
            expression: Box::leak(expression.to_owned().into_boxed_str()),
            timezone: None,
            offset_days: None,
            start_date: None,
            end_date: None,
            since_millis: ms(since),
        }
    }

    fn runs(spec: &ScheduleSpec<'_>, after: &str, n: usize) -> Vec<String> {
        Schedule::new(spec)
            .unwrap()
            .runs_after(ms(after), n)
            .into_iter()
            .map(iso)
            .collect()
    }

    #[test]
    fn weekly_cron_in_utc() {
        let s = spec("cron(0 2 ? * SUN *)", "2024-01-01T00:00:00Z");
        assert_eq!(
            runs(&s, "2024-01-01T00:00:00Z", 3),
            [
                "2024-01-07T02:00Z",
                "2024-01-14T02:00Z",
                "2024-01-21T02:00Z"
            ]
        );
    }

    #[test]
    fn offsets_move_runs_by_days_but_only_for_matches_after_since() {
        // The third Tuesday of January 2024 is the 16th; two days later,
        // the 18th. Created on the 17th, January's match has passed: the
        // first run is February's (the 20th, plus two days).
        let mut s = spec("cron(30 23 ? * TUE#3 *)", "2024-01-01T00:00:00Z");
        s.offset_days = Some(2);
        assert_eq!(runs(&s, "2024-01-01T00:00:00Z", 1), ["2024-01-18T23:30Z"]);
        s.since_millis = ms("2024-01-17T00:00:00Z");
        assert_eq!(runs(&s, "2024-01-17T00:00:00Z", 1), ["2024-02-22T23:30Z"]);
    }

    #[test]
    fn rate_counts_from_since_or_the_later_start() {
        let s = spec("rate(2 hours)", "2024-01-01T00:10:00Z");
        assert_eq!(
            runs(&s, "2024-01-01T00:10:00Z", 2),
            ["2024-01-01T02:10Z", "2024-01-01T04:10Z"]
        );
        assert_eq!(runs(&s, "2024-01-01T04:10:00Z", 1), ["2024-01-01T06:10Z"]);
        let mut s = spec("rate(1 day)", "2024-01-01T00:00:00Z");
        s.start_date = Some("2024-03-01T12:00:00Z");
        assert_eq!(runs(&s, "2024-01-01T00:00:00Z", 1), ["2024-03-02T12:00Z"]);
        let s = spec("rate(30 minutes)", "2024-01-01T00:00:00Z");
        assert_eq!(runs(&s, "2024-01-01T00:45:00Z", 1), ["2024-01-01T01:00Z"]);
    }

    #[test]
    fn at_runs_once_when_it_is_ahead() {
        let s = spec("at(2024-07-07T13:15:30)", "2024-07-01T00:00:00Z");
        assert_eq!(
            runs(&s, "2024-07-01T00:00:00Z", 5),
            ["2024-07-07T13:15:30Z"]
        );
        assert!(runs(&s, "2024-07-07T13:15:30Z", 1).is_empty());
        // Created after its time, it never runs.
        let s = spec("at(2024-07-07T13:15:30)", "2024-07-08T00:00:00Z");
        assert!(runs(&s, "2024-07-01T00:00:00Z", 1).is_empty());
    }

    #[test]
    fn start_and_end_dates_bound_the_runs() {
        let mut s = spec("cron(0 10 * * ? *)", "2024-01-01T00:00:00Z");
        s.start_date = Some("2024-01-03T10:00:00Z");
        s.end_date = Some("2024-01-05T09:00:00Z");
        assert_eq!(
            runs(&s, "2024-01-01T00:00:00Z", 10),
            ["2024-01-03T10:00Z", "2024-01-04T10:00Z"]
        );
        // A date alone is midnight; an offset is honoured.
        s.start_date = Some("2024-01-04");
        s.end_date = Some("2024-01-06T03:00:00-08:00");
        assert_eq!(
            runs(&s, "2024-01-01T00:00:00Z", 10),
            [
                "2024-01-04T10:00Z",
                "2024-01-05T10:00Z",
                "2024-01-06T10:00Z"
            ]
        );
    }

    #[test]
    fn a_time_zone_with_daylight_saving() {
        // 09:00 every Wednesday in Los Angeles: 17:00 UTC in winter, 16:00
        // once daylight saving starts (2024-03-10).
        let mut s = spec("cron(0 09 ? * WED *)", "2024-03-01T00:00:00Z");
        s.timezone = Some("America/Los_Angeles");
        let schedule = Schedule::new(&s).unwrap();
        let got: Vec<String> = schedule
            .runs_after(ms("2024-03-01T00:00:00Z"), 2)
            .into_iter()
            .map(iso)
            .collect();
        assert_eq!(got, ["2024-03-06T17:00Z", "2024-03-13T16:00Z"]);
        // Shown in the window's zone.
        assert_eq!(
            schedule.format(ms("2024-03-13T16:00:00Z")),
            "2024-03-13T09:00-07:00"
        );
        // 02:30 does not exist on 2024-03-10 there: the run is at the
        // change (03:00 PDT, 10:00 UTC), and 01:30 on 2024-11-03 happens
        // twice: the run is the first (PDT, 08:30 UTC).
        let mut s = spec("cron(30 2 10 MAR ? 2024)", "2024-03-01T00:00:00Z");
        s.timezone = Some("America/Los_Angeles");
        assert_eq!(runs(&s, "2024-03-01T00:00:00Z", 1), ["2024-03-10T10:00Z"]);
        let mut s = spec("cron(30 1 3 NOV ? 2024)", "2024-03-01T00:00:00Z");
        s.timezone = Some("America/Los_Angeles");
        assert_eq!(runs(&s, "2024-03-01T00:00:00Z", 5), ["2024-11-03T08:30Z"]);
    }

    #[test]
    fn refusals() {
        let base = spec("cron(0 2 ? * SUN *)", "2024-01-01T00:00:00Z");
        for bad in [
            "cron(0 2 ? * SUN)",
            "rate(0 minutes)",
            "rate(5 weeks)",
            "rate(five minutes)",
            "rate(-1 days)",
            "at(2024-13-01T00:00:00)",
            "at(tomorrow)",
            "every day",
            "",
        ] {
            let s = ScheduleSpec {
                expression: bad,
                ..base
            };
            assert!(Schedule::new(&s).is_err(), "{bad} should be refused");
        }
        let s = ScheduleSpec {
            timezone: Some("Mars/Olympus_Mons"),
            ..base
        };
        assert!(Schedule::new(&s).is_err());
        let s = ScheduleSpec {
            expression: "rate(1 day)",
            offset_days: Some(2),
            ..base
        };
        assert!(Schedule::new(&s).is_err());
        let s = ScheduleSpec {
            start_date: Some("2024-02-01T00:00:00Z"),
            end_date: Some("2024-01-01T00:00:00Z"),
            ..base
        };
        assert!(Schedule::new(&s).is_err());
        let s = ScheduleSpec {
            start_date: Some("last tuesday"),
            ..base
        };
        assert!(Schedule::new(&s).is_err());
    }

    #[test]
    fn a_series_of_runs_is_each_run_after_the_last() {
        let mut s = spec("cron(*/7 * ? * MON-FRI *)", "2024-03-08T22:00:00Z");
        s.offset_days = Some(3);
        s.timezone = Some("America/New_York");
        s.end_date = Some("2024-03-13T06:00:00Z");
        let schedule = Schedule::new(&s).unwrap();
        let after = ms("2024-03-09T00:00:00Z");
        let series = schedule.runs_after(after, 5000);
        let mut one_by_one = Vec::new();
        let mut cursor = after;
        while let Some(run) = schedule.next_after(cursor) {
            one_by_one.push(run);
            cursor = run;
        }
        assert_eq!(series, one_by_one);
        assert!(series.windows(2).all(|w| w[0] < w[1]));
        assert!(series.len() > 50, "{}", series.len());
    }

    #[test]
    fn formats() {
        assert_eq!(iso(ms("2020-10-04T10:10:00Z")), "2020-10-04T10:10Z");
        let tokyo = zone(Some("Asia/Tokyo")).unwrap();
        assert_eq!(
            format_in(&tokyo, ms("2020-10-04T10:10:00Z")),
            "2020-10-04T19:10+09:00"
        );
    }
}

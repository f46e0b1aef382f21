//! Scheduled actions: a group's sizes set at a time, once (`StartTime`) or
//! on a recurrence (`Recurrence`, Unix cron in `TimeZone`, between
//! `StartTime` and `EndTime`).
//!
//! Every action carries the instant it runs next, computed when it is put
//! and after each run, so the controller only compares that instant with
//! its clock ([`Group::run_scheduled_actions`]). Times are wall-clock
//! instants: a time scale shortens durations, never moves a date.
//!
//! A one-time action is deleted once it has run, as AWS does, and so is a
//! recurring one after its last run before `EndTime`. A run while the
//! `ScheduledActions` process is suspended is skipped, not made up later.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use super::group::Group;
use super::{Error, invalid, non_negative};
use crate::cron::{self, Cron};

/// At most this many scheduled actions per group.
pub const MAX_SCHEDULED_ACTIONS: usize = 125;

/// At most this many actions in one BatchPut or BatchDelete call.
pub const MAX_BATCH: usize = 50;

/// The process whose suspension holds scheduled actions back.
pub const PROCESS: &str = "ScheduledActions";

/// A scheduled action, as stored with its group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledAction {
    pub name: String,
    pub arn: String,
    /// `StartTime` as given (wall-clock millis).
    pub start_millis: Option<i64>,
    pub end_millis: Option<i64>,
    pub recurrence: Option<String>,
    pub time_zone: Option<String>,
    pub min_size: Option<u32>,
    pub max_size: Option<u32>,
    pub desired: Option<u32>,
    /// When it runs next; `None` for a recurrence with no run left before
    /// its end (put that way; one that ran out is deleted).
    pub next_run_millis: Option<i64>,
}

/// The members of a PutScheduledUpdateGroupAction request (or one entry of
/// a batch).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScheduleSpec {
    pub name: String,
    pub start_millis: Option<i64>,
    pub end_millis: Option<i64>,
    pub recurrence: Option<String>,
    pub time_zone: Option<String>,
    pub min_size: Option<i32>,
    pub max_size: Option<i32>,
    pub desired: Option<i32>,
}

fn size(value: Option<i32>, member: &str) -> Result<Option<u32>, Error> {
    value.map(|v| non_negative(v, member)).transpose()
}

/// The zone a `TimeZone` names (an IANA name); UTC when none.
fn zone(name: Option<&str>) -> Result<TimeZone, Error> {
    match name {
        None => Ok(TimeZone::UTC),
        Some(name) => {
            TimeZone::get(name).map_err(|_| invalid(format!("Invalid time zone: {name}")))
        }
    }
}

impl ScheduleSpec {
    /// Checks the request and makes the action, whose first run is the
    /// first time after `now_millis` its schedule names. Over an existing
    /// action of the same name, what the request leaves out stays as it
    /// was (and so does the ARN).
    pub fn apply(
        self,
        existing: Option<&ScheduledAction>,
        arn: String,
        now_millis: i64,
    ) -> Result<ScheduledAction, Error> {
        // Only the times a request gives must be ahead: an update keeps
        // a start that has passed.
        if self.start_millis.is_some_and(|start| start < now_millis) {
            return Err(invalid("Given start time is in the past"));
        }
        if self.end_millis.is_some_and(|end| end < now_millis) {
            return Err(invalid("Given end time is in the past"));
        }
        let spec = match existing {
            Some(old) => self.over(old),
            None => self,
        };
        let arn = existing.map_or(arn, |old| old.arn.clone());
        spec.check_and_make(arn, now_millis)
    }

    /// The request with what it leaves out taken from `old`.
    fn over(self, old: &ScheduledAction) -> ScheduleSpec {
        let signed = |v: Option<u32>| v.and_then(|v| i32::try_from(v).ok());
        ScheduleSpec {
            name: self.name,
            start_millis: self.start_millis.or(old.start_millis),
            end_millis: self.end_millis.or(old.end_millis),
            recurrence: self.recurrence.or_else(|| old.recurrence.clone()),
            time_zone: self.time_zone.or_else(|| old.time_zone.clone()),
            min_size: self.min_size.or(signed(old.min_size)),
            max_size: self.max_size.or(signed(old.max_size)),
            desired: self.desired.or(signed(old.desired)),
        }
    }

    fn check_and_make(self, arn: String, now_millis: i64) -> Result<ScheduledAction, Error> {
        if self.min_size.is_none() && self.max_size.is_none() && self.desired.is_none() {
            return Err(invalid(
                "At least one of MinSize, MaxSize, or DesiredCapacity must be specified",
            ));
        }
        let min_size = size(self.min_size, "minSize")?;
        let max_size = size(self.max_size, "maxSize")?;
        let desired = size(self.desired, "desiredCapacity")?;
        if let (Some(min), Some(max)) = (min_size, max_size)
            && min > max
        {
            return Err(invalid(format!(
                "The minimum size ({min}) must be less than or equal to the maximum size ({max})."
            )));
        }
        if let Some(desired) = desired {
            if min_size.is_some_and(|min| desired < min) {
                return Err(invalid(
                    "Desired capacity must be greater than or equal to min size",
                ));
            }
            if max_size.is_some_and(|max| desired > max) {
                return Err(invalid(
                    "Desired capacity must be less than or equal to max size",
                ));
            }
        }
        if let (Some(start), Some(end)) = (self.start_millis, self.end_millis)
            && end < start
        {
            return Err(invalid("Start time cannot be after end time"));
        }
        if self.recurrence.is_none() && self.start_millis.is_none() {
            return Err(invalid(
                "A scheduled action needs a StartTime, a Recurrence, or both",
            ));
        }
        if let Some(recurrence) = &self.recurrence {
            Cron::parse_unix(recurrence)
                .map_err(|why| invalid(format!("Invalid recurrence: {recurrence}: {why}")))?;
        }
        zone(self.time_zone.as_deref())?;
        let mut action = ScheduledAction {
            name: self.name,
            arn,
            start_millis: self.start_millis,
            end_millis: self.end_millis,
            recurrence: self.recurrence,
            time_zone: self.time_zone,
            min_size,
            max_size,
            desired,
            next_run_millis: None,
        };
        action.next_run_millis = action.next_after(now_millis - 1);
        Ok(action)
    }
}

impl ScheduledAction {
    /// The first run strictly after `after_millis`: the start time while
    /// it is ahead (AWS runs a recurring action at its `StartTime` too,
    /// then on its recurrence), else the recurrence's next match, before
    /// the end time.
    pub fn next_after(&self, after_millis: i64) -> Option<i64> {
        if let Some(start) = self.start_millis.filter(|start| *start > after_millis) {
            return Some(start);
        }
        let recurrence = self.recurrence.as_ref()?;
        let cron = Cron::parse_unix(recurrence).ok()?;
        let zone = zone(self.time_zone.as_deref()).ok()?;
        let mut local = zone.to_datetime(Timestamp::from_millisecond(after_millis).ok()?);
        // A civil time that happens twice (clocks going back) stands for
        // its first instant, which may be before `after_millis`: look on.
        let run = loop {
            local = cron.next_after(local)?;
            let run = cron::instant(&zone, local)?;
            if run > after_millis {
                break run;
            }
        };
        // A match at the end time itself does not run.
        match self.end_millis {
            Some(end) if run >= end => None,
            _ => Some(run),
        }
    }

    /// The time DescribeScheduledActions shows as `StartTime` (and `Time`):
    /// the next run, else the start time given.
    pub fn shown_start(&self) -> Option<i64> {
        self.next_run_millis.or(self.start_millis)
    }

    /// Whether it is recurring.
    pub fn is_recurring(&self) -> bool {
        self.recurrence.is_some()
    }
}

impl Group {
    /// The scheduled action of this name.
    pub fn scheduled_action(&self, name: &str) -> Option<&ScheduledAction> {
        self.scheduled_actions.iter().find(|a| a.name == name)
    }

    /// PutScheduledUpdateGroupAction: adds the action, or replaces the one
    /// of its name ([`ScheduleSpec::apply`] made it over that one).
    pub fn put_scheduled_action(&mut self, action: ScheduledAction) -> Result<(), Error> {
        match self
            .scheduled_actions
            .iter_mut()
            .find(|a| a.name == action.name)
        {
            Some(existing) => *existing = action,
            None => {
                if self.scheduled_actions.len() >= MAX_SCHEDULED_ACTIONS {
                    return Err(Error::LimitExceeded(format!(
                        "Scheduled action limit of {MAX_SCHEDULED_ACTIONS} reached for AutoScalingGroup {}",
                        self.name
                    )));
                }
                self.scheduled_actions.push(action);
            }
        }
        Ok(())
    }

    /// DeleteScheduledAction.
    pub fn delete_scheduled_action(&mut self, name: &str) -> Result<(), Error> {
        let before = self.scheduled_actions.len();
        self.scheduled_actions.retain(|a| a.name != name);
        if self.scheduled_actions.len() == before {
            return Err(invalid("Scheduled action name not found"));
        }
        Ok(())
    }

    /// Runs every action due at `now_millis`, in the order of their times:
    /// sets the sizes it names (the desired capacity kept inside the new
    /// bounds) and the cause the next launches and terminations give.
    /// Returns whether anything ran.
    pub fn run_scheduled_actions(&mut self, now_millis: i64) -> bool {
        let mut due: Vec<(i64, String)> = self
            .scheduled_actions
            .iter()
            .filter_map(|a| {
                a.next_run_millis
                    .filter(|t| *t <= now_millis)
                    .map(|t| (t, a.name.clone()))
            })
            .collect();
        if due.is_empty() || self.deleting {
            return false;
        }
        due.sort();
        let suspended = self.is_suspended(PROCESS);
        let mut ran = false;
        for (_, name) in due {
            let Some(index) = self.scheduled_actions.iter().position(|a| a.name == name) else {
                continue;
            };
            let action = self.scheduled_actions[index].clone();
            if !suspended {
                self.apply_scheduled(&action, now_millis);
                ran = true;
            }
            // A one-time action, or a recurrence past its end, is done.
            match action
                .next_after(now_millis)
                .filter(|_| action.is_recurring())
            {
                Some(next) => self.scheduled_actions[index].next_run_millis = Some(next),
                None => {
                    self.scheduled_actions.remove(index);
                }
            }
        }
        ran
    }

    fn apply_scheduled(&mut self, action: &ScheduledAction, now_millis: i64) {
        let before = self.desired;
        if let Some(min) = action.min_size {
            self.min_size = min;
        }
        if let Some(max) = action.max_size {
            self.max_size = max;
        }
        if self.min_size > self.max_size {
            // The action names one bound past the other: it wins.
            match action.min_size {
                Some(min) => self.max_size = min,
                None => self.min_size = self.max_size,
            }
        }
        self.desired = action
            .desired
            .unwrap_or(self.desired)
            .clamp(self.min_size, self.max_size);
        let reason = self.constraints_update("a scheduled action");
        self.note_desired_change(before, &reason, now_millis);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autoscaling::group::tests::group;

    const HOUR: i64 = 3_600_000;
    /// 2026-12-07T10:00:00Z, a Monday.
    const NOW: i64 = 1_796_637_600_000;

    fn spec(name: &str) -> ScheduleSpec {
        ScheduleSpec {
            name: name.to_owned(),
            ..ScheduleSpec::default()
        }
    }

    fn put(g: &mut Group, s: ScheduleSpec, now: i64) -> Result<(), Error> {
        let existing = g.scheduled_action(&s.name).cloned();
        let action = s.apply(existing.as_ref(), format!("arn:{now}"), now)?;
        g.put_scheduled_action(action)
    }

    fn check(s: ScheduleSpec) -> Result<ScheduledAction, Error> {
        s.apply(None, String::new(), NOW)
    }

    #[test]
    fn requests_are_checked() {
        let at = |start| ScheduleSpec {
            start_millis: Some(start),
            desired: Some(2),
            ..spec("a")
        };
        assert!(check(at(NOW + HOUR)).is_ok());
        assert!(check(at(NOW - HOUR)).is_err());
        let no_sizes = ScheduleSpec {
            start_millis: Some(NOW + HOUR),
            ..spec("a")
        };
        assert!(check(no_sizes).is_err());
        let no_time = ScheduleSpec {
            desired: Some(1),
            ..spec("a")
        };
        assert!(check(no_time).is_err());
        for (recurrence, zone) in [("0 9 * *", None), ("0 9 * * *", Some("Mars/Olympus"))] {
            let bad = ScheduleSpec {
                recurrence: Some(recurrence.to_owned()),
                time_zone: zone.map(str::to_owned),
                desired: Some(1),
                ..spec("a")
            };
            assert!(check(bad).is_err(), "{recurrence} {zone:?}");
        }
        let inverted = ScheduleSpec {
            start_millis: Some(NOW + HOUR),
            min_size: Some(3),
            max_size: Some(2),
            ..spec("a")
        };
        assert!(check(inverted).is_err());
        let ends_first = ScheduleSpec {
            recurrence: Some("0 9 * * *".to_owned()),
            start_millis: Some(NOW + 2 * HOUR),
            end_millis: Some(NOW + HOUR),
            desired: Some(1),
            ..spec("a")
        };
        assert!(check(ends_first).is_err());
    }

    #[test]
    fn a_one_time_action_runs_once_and_goes() {
        let mut g = group(1, 4, Some(1));
        let s = ScheduleSpec {
            start_millis: Some(NOW + HOUR),
            min_size: Some(2),
            desired: Some(3),
            ..spec("peak")
        };
        put(&mut g, s, NOW).unwrap();
        assert!(!g.run_scheduled_actions(NOW + HOUR - 1));
        assert_eq!(g.desired, 1);
        assert!(g.run_scheduled_actions(NOW + HOUR));
        assert_eq!((g.min_size, g.max_size, g.desired), (2, 4, 3));
        assert!(g.scheduled_actions.is_empty());
        assert_eq!(
            g.capacity_cause.as_deref(),
            Some(
                "At 2026-12-07T11:00:00Z a scheduled action update of AutoScalingGroup constraints to min: 2, max: 4, desired: 3 changing the desired capacity from 1 to 3."
            )
        );
    }

    #[test]
    fn a_recurring_action_runs_on_its_cron_in_its_zone_until_its_end() {
        let mut g = group(0, 4, Some(0));
        // 09:00 in New York is 14:00 UTC in December.
        let s = ScheduleSpec {
            recurrence: Some("0 9 * * 1-5".to_owned()),
            time_zone: Some("America/New_York".to_owned()),
            end_millis: Some(NOW + 30 * HOUR),
            desired: Some(2),
            ..spec("morning")
        };
        put(&mut g, s, NOW).unwrap();
        let first = NOW + 4 * HOUR;
        assert_eq!(g.scheduled_actions[0].next_run_millis, Some(first));
        assert_eq!(g.scheduled_actions[0].shown_start(), Some(first));
        g.desired = 0;
        assert!(g.run_scheduled_actions(first + 1_000));
        assert_eq!(g.desired, 2);
        assert_eq!(
            g.scheduled_actions[0].next_run_millis,
            Some(first + 24 * HOUR)
        );
        assert!(g.run_scheduled_actions(first + 24 * HOUR));
        // The next match is past the end: the action is done.
        assert!(g.scheduled_actions.is_empty());
    }

    #[test]
    fn a_recurring_action_with_a_start_time_runs_then_too() {
        let mut g = group(0, 4, Some(0));
        let s = ScheduleSpec {
            start_millis: Some(NOW + HOUR + 7 * 60_000),
            recurrence: Some("0 * * * *".to_owned()),
            desired: Some(1),
            ..spec("hourly")
        };
        put(&mut g, s, NOW).unwrap();
        assert_eq!(
            g.scheduled_actions[0].next_run_millis,
            Some(NOW + HOUR + 7 * 60_000)
        );
        assert!(g.run_scheduled_actions(NOW + HOUR + 7 * 60_000));
        assert_eq!(g.scheduled_actions[0].next_run_millis, Some(NOW + 2 * HOUR));
    }

    #[test]
    fn the_hour_clocks_repeat_runs_once_per_match() {
        // 2026-11-01 01:20 EST (06:20 UTC), in the second 01:00 hour of
        // New York's change back from daylight saving time. Its civil
        // times stand for their first instants, an hour ago, so they are
        // not runs again: the next is 02:00 EST (07:00 UTC), and never a
        // time already past.
        let six_utc = 1_793_512_800_000;
        let action = ScheduleSpec {
            recurrence: Some("*/15 * * * *".to_owned()),
            time_zone: Some("America/New_York".to_owned()),
            desired: Some(1),
            ..spec("often")
        }
        .apply(None, String::new(), six_utc + 20 * 60_000)
        .unwrap();
        assert_eq!(action.next_run_millis, Some(six_utc + HOUR));
    }

    #[test]
    fn a_suspended_process_skips_runs_and_desired_stays_inside_the_bounds() {
        let mut g = group(1, 4, Some(3));
        let s = ScheduleSpec {
            start_millis: Some(NOW + HOUR),
            max_size: Some(2),
            ..spec("shrink")
        };
        put(&mut g, s.clone(), NOW).unwrap();
        g.suspend(&[PROCESS.to_owned()], NOW);
        assert!(!g.run_scheduled_actions(NOW + HOUR));
        assert_eq!((g.max_size, g.desired), (4, 3));
        assert!(
            g.scheduled_actions.is_empty(),
            "a skipped one-time action is gone"
        );
        g.resume(&[PROCESS.to_owned()]);
        put(
            &mut g,
            ScheduleSpec {
                start_millis: Some(NOW + 2 * HOUR),
                ..s
            },
            NOW,
        )
        .unwrap();
        assert!(g.run_scheduled_actions(NOW + 2 * HOUR));
        assert_eq!((g.min_size, g.max_size, g.desired), (1, 2, 2));
    }

    #[test]
    fn put_replaces_by_name_and_delete_needs_the_name() {
        let mut g = group(1, 4, Some(1));
        let at = |desired| ScheduleSpec {
            start_millis: Some(NOW + HOUR),
            desired: Some(desired),
            ..spec("a")
        };
        put(&mut g, at(2), NOW).unwrap();
        let arn = g.scheduled_actions[0].arn.clone();
        let update = ScheduleSpec {
            max_size: Some(5),
            ..spec("a")
        };
        put(&mut g, update, NOW + 1).unwrap();
        assert_eq!(g.scheduled_actions.len(), 1);
        let a = &g.scheduled_actions[0];
        assert_eq!(
            (a.desired, a.max_size, a.start_millis),
            (Some(2), Some(5), Some(NOW + HOUR))
        );
        assert_eq!(a.arn, arn);
        assert!(g.delete_scheduled_action("b").is_err());
        g.delete_scheduled_action("a").unwrap();
        assert!(g.scheduled_actions.is_empty());
    }
}

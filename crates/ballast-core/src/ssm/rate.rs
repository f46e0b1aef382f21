//! Rate control over a set of targets, as maintenance window tasks and
//! rate-controlled Automation executions run them: which targets start
//! now under `MaxConcurrency`, when `MaxErrors` stops the rest, and how
//! the whole ends. (Run Command's own rules, which also follow agents'
//! deliveries, are in `command`.)

use super::command::Limit;

/// Where one target's run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    NotStarted,
    Running,
    Succeeded,
    Failed,
}

/// How a rate-controlled run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Every target succeeded.
    Success,
    /// Some target failed.
    Failed,
    /// Nothing failed, but some targets never started (a cutoff).
    Incomplete,
}

/// The next move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Start these targets (indexes into the list given).
    Start(Vec<usize>),
    /// Wait for the running ones.
    Wait,
    /// It is over; the targets not started stay so.
    Done(Ending),
}

/// Decides the next move from each target's progress. Once failures
/// exceed `MaxErrors`, or once `stop_starting` (a window's cutoff),
/// nothing more starts and the running ones are waited for.
pub fn step(
    targets: &[Progress],
    max_concurrency: Limit,
    max_errors: Limit,
    stop_starting: bool,
) -> Step {
    let total = targets.len();
    let count = |wanted: Progress| targets.iter().filter(|p| **p == wanted).count();
    let failed = count(Progress::Failed);
    let running = count(Progress::Running);
    let waiting: Vec<usize> = targets
        .iter()
        .enumerate()
        .filter(|(_, p)| **p == Progress::NotStarted)
        .map(|(i, _)| i)
        .collect();
    let stopped = failed > max_errors.errors(total);
    if stopped || stop_starting || waiting.is_empty() {
        if running > 0 {
            return Step::Wait;
        }
        return Step::Done(if failed > 0 {
            Ending::Failed
        } else if !waiting.is_empty() {
            Ending::Incomplete
        } else {
            Ending::Success
        });
    }
    let slots = max_concurrency.concurrency(total).saturating_sub(running);
    if slots == 0 {
        return Step::Wait;
    }
    Step::Start(waiting.into_iter().take(slots).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use Progress::{Failed, NotStarted, Running, Succeeded};

    fn one() -> Limit {
        Limit::Count(1)
    }

    #[test]
    fn one_at_a_time_starts_the_next_when_the_last_ends() {
        let none = Limit::Count(0);
        assert_eq!(
            step(&[NotStarted; 3], one(), none, false),
            Step::Start(vec![0])
        );
        assert_eq!(
            step(&[Running, NotStarted, NotStarted], one(), none, false),
            Step::Wait
        );
        assert_eq!(
            step(&[Succeeded, NotStarted, NotStarted], one(), none, false),
            Step::Start(vec![1])
        );
        assert_eq!(
            step(&[Succeeded; 3], one(), none, false),
            Step::Done(Ending::Success)
        );
    }

    #[test]
    fn max_errors_zero_stops_at_the_first_failure() {
        let none = Limit::Count(0);
        assert_eq!(
            step(&[Failed, NotStarted, NotStarted], one(), none, false),
            Step::Done(Ending::Failed)
        );
        assert_eq!(
            step(&[Failed, NotStarted], one(), Limit::Count(1), false),
            Step::Start(vec![1])
        );
        assert_eq!(
            step(&[Failed, Running, NotStarted], Limit::Count(2), none, false),
            Step::Wait
        );
    }

    #[test]
    fn stopping_starts_nothing_new() {
        let none = Limit::Count(0);
        assert_eq!(step(&[Running, NotStarted], one(), none, true), Step::Wait);
        assert_eq!(
            step(&[Succeeded, NotStarted], one(), none, true),
            Step::Done(Ending::Incomplete)
        );
    }

    #[test]
    fn concurrency_as_a_percentage() {
        assert_eq!(
            step(&[NotStarted; 4], Limit::Percent(50), Limit::Count(0), false),
            Step::Start(vec![0, 1])
        );
    }
}

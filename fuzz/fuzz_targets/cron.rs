//! Cron expressions in both dialects AWS takes: the input, as text, is
//! parsed as a Quartz expression (maintenance windows) and as a Unix one
//! (Auto Scaling's `Recurrence`); whatever parses is asked for its next
//! few matches after a fixed time, each strictly later than the last,
//! and each put in a zone that skips and repeats an hour. Nothing may
//! panic or loop for long.
#![no_main]

use ballast_core::cron::{self, Cron};
use jiff::civil::date;
use jiff::tz::TimeZone;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let zone = TimeZone::get("America/New_York").ok();
    for parsed in [Cron::parse(text), Cron::parse_unix(text)] {
        let Ok(expression) = parsed else {
            continue;
        };
        let mut after = date(2026, 3, 8).at(0, 30, 0, 0);
        for _ in 0..4 {
            let Some(next) = expression.next_after(after) else {
                break;
            };
            assert!(next > after, "{text}: {next} is not after {after}");
            if let Some(zone) = &zone {
                let _ = cron::instant(zone, next);
            }
            after = next;
        }
    }
});

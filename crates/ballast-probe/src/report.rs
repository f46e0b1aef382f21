//! How tallies are shown: a line per second and a closing summary (a
//! table and a latency histogram), as text for people or JSON for
//! programs.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::tally::Tally;

/// The width of the histogram's longest bar.
const BAR_WIDTH: u64 = 40;

/// One second's line: what finished during second `second` of the run,
/// and how many requests were sent in it.
pub fn second_text(second: u64, sent: u64, tally: &Tally) -> String {
    let mut line = format!(
        "{second:>4}s  sent {sent:>5}  ok {:>5}  failed {:>4}",
        tally.answered,
        tally.failed_total()
    );
    if !tally.failed.is_empty() {
        let causes: Vec<String> = tally
            .failed
            .iter()
            .map(|(cause, n)| format!("{cause} {n}"))
            .collect();
        let _ = write!(line, " ({})", causes.join(", "));
    }
    let _ = write!(
        line,
        "  p50 {}  p99 {}",
        millis(tally.latency_at(0.5)),
        millis(tally.latency_at(0.99))
    );
    if !tally.answered_by.is_empty() {
        let by: Vec<String> = tally
            .answered_by
            .iter()
            .map(|(who, n)| format!("{who}:{n}"))
            .collect();
        let _ = write!(line, "  by {}", by.join(" "));
    }
    line
}

/// One second as a JSON object.
pub fn second_json(second: u64, sent: u64, tally: &Tally) -> Value {
    let mut object = counts(sent, tally);
    object.insert("second".into(), json!(second));
    object.insert("p50_ms".into(), json!(ms(tally.latency_at(0.5))));
    object.insert("p99_ms".into(), json!(ms(tally.latency_at(0.99))));
    Value::Object(object)
}

/// The closing summary as text: a table of counts and latencies, who
/// answered, and the latency histogram.
pub fn summary_text(url: &str, elapsed: Duration, sent: u64, total: &Tally) -> String {
    let mut out = format!("\nprobe of {url}: {:.1} s\n\n", elapsed.as_secs_f64());
    let share = |n: u64| {
        if sent == 0 {
            String::new()
        } else {
            format!("{:.2}%", n as f64 * 100.0 / sent as f64)
        }
    };
    let _ = writeln!(out, "  {:<22} {:>9}  {:>8}", "requests", "count", "share");
    let _ = writeln!(out, "  {:<22} {:>9}", "sent", sent);
    let _ = writeln!(
        out,
        "  {:<22} {:>9}  {:>8}",
        "ok",
        total.answered,
        share(total.answered)
    );
    let failed = total.failed_total();
    let _ = writeln!(
        out,
        "  {:<22} {:>9}  {:>8}",
        "failed",
        failed,
        share(failed)
    );
    for (cause, n) in &total.failed {
        let _ = writeln!(
            out,
            "    {:<20} {:>9}  {:>8}",
            cause.to_string(),
            n,
            share(*n)
        );
    }
    let _ = writeln!(out, "\n  {:<22} {:>9}", "latency", "");
    for (name, quantile) in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p99.9", 0.999)] {
        let _ = writeln!(
            out,
            "  {:<22} {:>9}",
            name,
            millis(total.latency_at(quantile))
        );
    }
    let _ = writeln!(out, "  {:<22} {:>9}", "max", millis(total.latency_max()));
    if !total.answered_by.is_empty() {
        let _ = writeln!(out, "\n  {:<22} {:>9}", "answered by", "");
        for (who, n) in &total.answered_by {
            let _ = writeln!(out, "  {:<22} {:>9}  {:>8}", who, n, share(*n));
        }
    }
    let buckets = total.buckets();
    let peak = buckets.iter().map(|b| b.1).max().unwrap_or(0).max(1);
    if total.done > 0 {
        let _ = writeln!(out, "\n  latency histogram");
        for (upper, n) in buckets {
            let bar = "#".repeat(usize::try_from(n * BAR_WIDTH / peak).unwrap_or(0));
            let _ = writeln!(out, "  ≤ {:>9}  {:>8}  {bar}", millis(Some(upper)), n);
        }
    }
    out
}

/// The closing summary as one JSON object: at least `sent`, `ok` and
/// `failed`.
pub fn summary_json(url: &str, elapsed: Duration, sent: u64, total: &Tally) -> Value {
    let mut object = counts(sent, total);
    object.insert("url".into(), json!(url));
    object.insert("seconds".into(), json!(elapsed.as_secs_f64()));
    let mut latency = Map::new();
    for (name, quantile) in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p99.9", 0.999)] {
        latency.insert(name.into(), json!(ms(total.latency_at(quantile))));
    }
    latency.insert("max".into(), json!(ms(total.latency_max())));
    object.insert("latency_ms".into(), Value::Object(latency));
    Value::Object(object)
}

/// `sent`, `ok`, `failed`, `failures` by cause and `answered_by`.
fn counts(sent: u64, tally: &Tally) -> Map<String, Value> {
    // Two `other` causes add up under one key.
    let mut failures = Map::new();
    for (cause, n) in &tally.failed {
        let key = cause.key();
        let sum = failures.get(&key).and_then(Value::as_u64).unwrap_or(0) + n;
        failures.insert(key, json!(sum));
    }
    let mut object = Map::new();
    object.insert("sent".into(), json!(sent));
    object.insert("ok".into(), json!(tally.answered));
    object.insert("failed".into(), json!(tally.failed_total()));
    object.insert("failures".into(), Value::Object(failures));
    object.insert("answered_by".into(), json!(tally.answered_by));
    object
}

fn ms(latency: Option<Duration>) -> Option<f64> {
    latency.map(|d| (d.as_secs_f64() * 1e6).round() / 1e3)
}

fn millis(latency: Option<Duration>) -> String {
    match latency {
        None => "-".to_owned(),
        Some(d) if d < Duration::from_millis(10) => format!("{:.2} ms", d.as_secs_f64() * 1e3),
        Some(d) if d < Duration::from_secs(10) => format!("{:.1} ms", d.as_secs_f64() * 1e3),
        Some(d) => format!("{:.1} s", d.as_secs_f64()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{Cause, Outcome};

    fn tally() -> Tally {
        let mut t = Tally::default();
        for (outcome, ms) in [
            (
                Outcome::Answered {
                    status: 200,
                    by: Some("i-1".into()),
                },
                2,
            ),
            (Outcome::Failed(Cause::Refused), 1),
            (Outcome::Failed(Cause::Status(502)), 4),
            (Outcome::Failed(Cause::Other("tls".into())), 4),
            (Outcome::Failed(Cause::Other("dns".into())), 4),
        ] {
            t.record(&outcome, Duration::from_millis(ms));
        }
        t
    }

    #[test]
    fn a_second_names_each_cause_and_who_answered() {
        let line = second_text(3, 5, &tally());
        assert!(
            line.starts_with("   3s  sent     5  ok     1  failed    4 ("),
            "{line}"
        );
        assert!(line.contains("connection refused 1"), "{line}");
        assert!(line.contains("HTTP 502 1"), "{line}");
        assert!(line.ends_with("by i-1:1"), "{line}");
    }

    #[test]
    fn the_json_summary_has_the_counts_programs_read() {
        let summary = summary_json("http://x/", Duration::from_secs(2), 5, &tally());
        assert_eq!(summary["sent"], 5);
        assert_eq!(summary["ok"], 1);
        assert_eq!(summary["failed"], 4);
        assert_eq!(summary["failures"]["refused"], 1);
        assert_eq!(summary["failures"]["502"], 1);
        assert_eq!(summary["failures"]["other"], 2);
        assert_eq!(summary["answered_by"]["i-1"], 1);
        assert!(summary["latency_ms"]["p50"].as_f64().is_some());
        let second = second_json(1, 5, &tally());
        assert_eq!(
            (second["second"].as_u64(), second["failed"].as_u64()),
            (Some(1), Some(4))
        );
    }

    #[test]
    fn the_text_summary_has_a_table_and_a_histogram() {
        let text = summary_text("http://x/", Duration::from_secs(2), 5, &tally());
        assert!(text.contains("failed"), "{text}");
        assert!(text.contains("80.00%"), "{text}");
        assert!(text.contains("latency histogram"), "{text}");
        assert!(text.contains("i-1"), "{text}");
    }
}

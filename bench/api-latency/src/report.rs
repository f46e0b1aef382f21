//! Turns the JSON lines of several runs into one markdown table comparing a
//! baseline target with a peer.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;

use crate::stats::LevelResult;

/// Per-target facts measured outside the load run.
#[derive(Debug, Default)]
pub struct ServerFacts {
    /// Milliseconds from spawn to the first accepted connection.
    pub startup_ms: BTreeMap<String, f64>,
    /// Resident set size after start, before any load, in KiB.
    pub idle_rss_kib: BTreeMap<String, f64>,
}

/// Reads every [`LevelResult`] line of `path`.
pub fn read_results(path: &Path) -> anyhow::Result<Vec<LevelResult>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).with_context(|| format!("parsing {line}")))
        .collect()
}

/// The markdown table, followed by notes on signing, CPU, connections and
/// errors.
pub fn render(results: &[LevelResult], baseline: &str, peer: &str, facts: &ServerFacts) -> String {
    let several_modes = results
        .first()
        .is_some_and(|first| results.iter().any(|r| r.sign_mode != first.sign_mode));
    let mut out = format!(
        "| target | concurrency | req/s | p50 (ms) | p99 (ms) | errors | req/s {baseline}/{peer} \
         | p50 {baseline}/{peer} | startup (ms) | idle RSS (MiB) |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    );
    for row in results {
        let counterpart = (row.target == baseline)
            .then(|| {
                results.iter().find(|r| {
                    r.target == peer
                        && r.concurrency == row.concurrency
                        && r.sign_mode == row.sign_mode
                })
            })
            .flatten();
        let name = if several_modes {
            format!("{} ({})", row.target, row.sign_mode)
        } else {
            row.target.clone()
        };
        let _ = writeln!(
            out,
            "| {name} | {} | {:.0} | {:.3} | {:.3} | {} | {} | {} | {} | {} |",
            row.concurrency,
            row.rps,
            row.p50_ms,
            row.p99_ms,
            row.errors,
            ratio(counterpart.map(|p| (row.rps, p.rps))),
            ratio(counterpart.map(|p| (row.p50_ms, p.p50_ms))),
            fact(facts.startup_ms.get(&row.target), 1.0, 0),
            fact(facts.idle_rss_kib.get(&row.target), 1024.0, 1),
        );
    }
    out.push_str(&notes(results));
    out
}

/// `a/b` as `3.20×`, or a dash when there is nothing to compare.
fn ratio(pair: Option<(f64, f64)>) -> String {
    match pair {
        Some((a, b)) if b > 0.0 => format!("{:.2}×", a / b),
        _ => "—".to_owned(),
    }
}

fn fact(value: Option<&f64>, divisor: f64, decimals: usize) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{:.decimals$}", v / divisor))
}

/// Signing cost, dropped keep-alive and errors, below the table.
fn notes(results: &[LevelResult]) -> String {
    let mut out = String::new();
    if let Some(first) = results.first() {
        let _ = writeln!(
            out,
            "\nClient-side SigV4 signing costs {:.1} µs per request; mode {}; \
             each latency is timed from before signing to the last response byte.",
            first.sign_us, first.sign_mode
        );
    }
    let cpu: Vec<String> = results
        .iter()
        .map(|r| {
            let us = |v: Option<f64>| v.map_or_else(|| "?".to_owned(), |v| format!("{v:.0}"));
            format!(
                "{} c={} {}/{}",
                r.target,
                r.concurrency,
                us(r.server_cpu_us),
                us(r.client_cpu_us)
            )
        })
        .collect();
    if !cpu.is_empty() {
        let _ = writeln!(
            out,
            "CPU per request while measuring, server/client in µs: {}.",
            cpu.join(", ")
        );
    }
    for r in results.iter().filter(|r| r.new_connections > 0) {
        let _ = writeln!(
            out,
            "{} at concurrency {}: the client opened {} new connections for {} requests \
             while measuring (the server does not keep connections alive).",
            r.target,
            r.concurrency,
            r.new_connections,
            r.ok + r.errors
        );
    }
    for r in results.iter().filter(|r| r.errors > 0) {
        let _ = writeln!(
            out,
            "Errors from {} at concurrency {}: {}; first: {}",
            r.target,
            r.concurrency,
            r.error_breakdown,
            r.first_error.as_deref().unwrap_or("?")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(target: &str, concurrency: usize, rps: f64, p50_ms: f64) -> LevelResult {
        LevelResult {
            target: target.into(),
            concurrency,
            sign_mode: "per-request".into(),
            window_s: 10.0,
            ok: (rps * 10.0) as u64,
            errors: 0,
            error_breakdown: String::new(),
            first_error: None,
            rps,
            p50_ms,
            p90_ms: p50_ms,
            p99_ms: p50_ms * 2.0,
            max_ms: p50_ms * 3.0,
            connections: concurrency as u64,
            new_connections: 0,
            server_cpu_us: Some(40.0),
            client_cpu_us: Some(30.0),
            sign_us: 12.0,
        }
    }

    #[test]
    fn compares_baseline_rows_with_the_peer() {
        let results = [
            result("ballast", 1, 4000.0, 0.2),
            result("moto", 1, 1000.0, 0.8),
        ];
        let mut facts = ServerFacts::default();
        facts.startup_ms.insert("ballast".into(), 12.4);
        facts.idle_rss_kib.insert("ballast".into(), 10240.0);
        let table = render(&results, "ballast", "moto", &facts);
        assert!(
            table
                .contains("| ballast | 1 | 4000 | 0.200 | 0.400 | 0 | 4.00× | 0.25× | 12 | 10.0 |"),
            "{table}"
        );
        assert!(
            table.contains("| moto | 1 | 1000 | 0.800 | 1.600 | 0 | — | — | — | — |"),
            "{table}"
        );
        assert!(table.contains("signing costs 12.0 µs per request"));
        assert!(
            table.contains("ballast c=1 40/30, moto c=1 40/30."),
            "{table}"
        );
    }
}

//! Turns the JSON lines of several runs into markdown tables comparing a
//! baseline target with its peers.

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

/// The markdown tables: a summary with the baseline's ratio to the
/// fastest peer for each operation and concurrency, the full figures, and
/// each target's start-up and footprint; then notes on signing, CPU,
/// connections and errors.
pub fn render(
    results: &[LevelResult],
    baseline: &str,
    peers: &[String],
    facts: &ServerFacts,
) -> String {
    let mut out = summary(results, baseline, peers);
    out.push('\n');
    out.push_str(&details(results));
    out.push('\n');
    out.push_str(&footprint(results, facts));
    out.push_str(&notes(results));
    out
}

/// One row per operation and concurrency: every target's req/s and p50,
/// and the baseline's throughput over the fastest peer's.
fn summary(results: &[LevelResult], baseline: &str, peers: &[String]) -> String {
    let targets: Vec<&str> = std::iter::once(baseline)
        .chain(peers.iter().map(String::as_str))
        .collect();
    let mut out = String::from("| operation | concurrency |");
    for target in &targets {
        let _ = write!(out, " {target} req/s (p50 ms) |");
    }
    let _ = writeln!(out, " {baseline} / fastest peer |");
    out.push_str("|---|---:|");
    out.push_str(&"---:|".repeat(targets.len() + 1));
    out.push('\n');
    let mut keys: Vec<(&str, usize)> = Vec::new();
    for row in results {
        let key = (row.operation.as_str(), row.concurrency);
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    for (operation, concurrency) in keys {
        let find = |target: &str| {
            results.iter().find(|r| {
                r.target == target && r.operation == operation && r.concurrency == concurrency
            })
        };
        let _ = write!(out, "| {operation} | {concurrency} |");
        for target in &targets {
            let cell = find(target).map_or_else(
                || "—".to_owned(),
                |r| format!("{:.0} ({:.3})", r.rps, r.p50_ms),
            );
            let _ = write!(out, " {cell} |");
        }
        let fastest = peers
            .iter()
            .filter_map(|peer| find(peer))
            .max_by(|a, b| a.rps.total_cmp(&b.rps));
        let versus = match (find(baseline), fastest) {
            (Some(ours), Some(theirs)) => {
                format!(
                    "{} ({})",
                    ratio(Some((ours.rps, theirs.rps))),
                    theirs.target
                )
            }
            _ => "—".to_owned(),
        };
        let _ = writeln!(out, " {versus} |");
    }
    out
}

/// Every level's figures.
fn details(results: &[LevelResult]) -> String {
    let several_modes = results
        .first()
        .is_some_and(|first| results.iter().any(|r| r.sign_mode != first.sign_mode));
    let mut out = String::from(
        "| target | operation | concurrency | req/s | p50 (ms) | p90 (ms) | p99 (ms) | errors \
         | CPU server/client (µs/req) |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for row in results {
        let name = if several_modes {
            format!("{} ({})", row.target, row.sign_mode)
        } else {
            row.target.clone()
        };
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {:.0} | {:.3} | {:.3} | {:.3} | {} | {}/{} |",
            row.operation,
            row.concurrency,
            row.rps,
            row.p50_ms,
            row.p90_ms,
            row.p99_ms,
            row.errors,
            fact(row.server_cpu_us.as_ref(), 1.0, 0),
            fact(row.client_cpu_us.as_ref(), 1.0, 0),
        );
    }
    out
}

/// Each target's start-up time and idle footprint.
fn footprint(results: &[LevelResult], facts: &ServerFacts) -> String {
    let mut out = String::from("| target | start-up (ms) | idle RSS (MiB) |\n|---|---:|---:|\n");
    let mut seen: Vec<&str> = Vec::new();
    for row in results {
        if seen.contains(&row.target.as_str()) {
            continue;
        }
        seen.push(&row.target);
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            row.target,
            fact(facts.startup_ms.get(&row.target), 1.0, 1),
            fact(facts.idle_rss_kib.get(&row.target), 1024.0, 1),
        );
    }
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
    for r in results.iter().filter(|r| r.new_connections > 0) {
        let _ = writeln!(
            out,
            "{} {} at concurrency {}: the client opened {} new connections for {} requests \
             while measuring (the server does not keep connections alive).",
            r.target,
            r.operation,
            r.concurrency,
            r.new_connections,
            r.ok + r.errors
        );
    }
    for r in results.iter().filter(|r| r.errors > 0) {
        let _ = writeln!(
            out,
            "Errors from {} {} at concurrency {}: {}; first: {}",
            r.target,
            r.operation,
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

    fn result(
        target: &str,
        operation: &str,
        concurrency: usize,
        rps: f64,
        p50_ms: f64,
    ) -> LevelResult {
        LevelResult {
            target: target.into(),
            operation: operation.into(),
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
    fn compares_the_baseline_with_the_fastest_peer_of_each_row() {
        let results = [
            result("ballast", "GetItem", 1, 4000.0, 0.2),
            result("moto", "GetItem", 1, 1000.0, 0.8),
            result("fakecloud", "GetItem", 1, 5000.0, 0.1),
            result("ballast", "PutItem", 8, 3000.0, 0.3),
            result("moto", "PutItem", 8, 1500.0, 0.9),
        ];
        let mut facts = ServerFacts::default();
        facts.startup_ms.insert("ballast".into(), 12.4);
        facts.idle_rss_kib.insert("ballast".into(), 10240.0);
        let peers = ["fakecloud".to_owned(), "moto".to_owned()];
        let table = render(&results, "ballast", &peers, &facts);
        assert!(
            table.contains(
                "| GetItem | 1 | 4000 (0.200) | 5000 (0.100) | 1000 (0.800) | 0.80× (fakecloud) |"
            ),
            "{table}"
        );
        assert!(
            table.contains("| PutItem | 8 | 3000 (0.300) | — | 1500 (0.900) | 2.00× (moto) |"),
            "{table}"
        );
        assert!(
            table.contains("| ballast | GetItem | 1 | 4000 | 0.200 | 0.200 | 0.400 | 0 | 40/30 |"),
            "{table}"
        );
        assert!(table.contains("| ballast | 12.4 | 10.0 |"), "{table}");
        assert!(table.contains("| fakecloud | — | — |"), "{table}");
        assert!(table.contains("signing costs 12.0 µs per request"));
    }
}

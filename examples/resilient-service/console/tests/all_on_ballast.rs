//! `resilient-service --non-interactive all` against a fresh Ballast: the
//! deploy builds the service, every instance answers through the load
//! balancer, each stage of the demo shows what the seed says it should
//! (the program checks it and fails otherwise), and the destroy leaves
//! nothing behind (a second destroy finds nothing).

// A test's helpers may fail loudly, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

use ballast_sdk_tests::Ballast;

/// The recommender the instances run: `cargo test --workspace` builds it
/// beside this test's binaries.
fn recommender() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let path = dir.join("recommender");
    assert!(
        path.exists(),
        "{} is missing: build it with `cargo build -p recommender`",
        path.display()
    );
    path
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

fn run(ballast: &Ballast, work_dir: &std::path::Path, command: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_resilient-service"))
        .args(["--endpoint-url", &ballast.endpoint, "--work-dir"])
        .arg(work_dir)
        .arg("--recommender")
        .arg(recommender())
        .args(command)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn all_deploys_checks_and_destroys() {
    if !is_root() {
        eprintln!("skipped: instances serve on port 80 of their own addresses, which needs root");
        return;
    }
    let ballast = Ballast::start_with(&["--time-scale", "0.05", "--hosts-file", "/etc/hosts"]);
    let work = tempfile::tempdir().unwrap();
    let (ok, text) = run(&ballast, work.path(), &["--non-interactive", "all"]);
    assert!(ok, "{text}");
    assert!(text.contains("All 3 instances answered"), "{text}");
    assert_eq!(text.matches("Checked: ").count(), 7, "{text}");
    assert!(
        text.contains("Set doc-example-resilient-architecture-failure-response to 'static'"),
        "{text}"
    );
    assert!(work.path().join("doc-example-resilience-key.pem").exists());
    // Everything is gone: a second destroy finds nothing to delete.
    let (ok, text) = run(&ballast, work.path(), &["destroy"]);
    assert!(ok, "{text}");
    assert!(!text.contains("Deleted"), "{text}");
}

//! `ballast up` refuses what would make two servers on one machine step on
//! each other, with a message naming the flag to change.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn up(data_dir: &std::path::Path, lb: &str, instances: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ballast"));
    command
        .args(["up", "--listen", "127.0.0.1:0", "--hosts-file", "off"])
        .args(["--instance-runtime", "process"])
        .args(["--lb-cidr", lb, "--instance-cidr", instances])
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("BALLAST_LOG")
        .env("RUST_BACKTRACE", "0");
    command
}

#[test]
fn a_second_server_may_not_take_the_same_address_blocks() {
    let temp = tempfile::tempdir().unwrap();
    let mut first = up(&temp.path().join("a"), "127.77.0.0/16", "127.78.0.0/16")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = first.stdout.take().unwrap();
    let listening = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|line| line.contains("listening on"));
    assert!(listening, "the first server starts");

    let second = up(&temp.path().join("b"), "127.77.0.0/16", "127.79.0.0/16")
        .output()
        .unwrap();
    assert!(!second.status.success());
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(
        said.contains("127.77.0.0/16") && said.contains("--lb-cidr"),
        "{said}"
    );

    // Its own blocks are fine beside the first.
    let started = Instant::now();
    let mut third = up(&temp.path().join("c"), "127.80.0.0/16", "127.81.0.0/16")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let ok = BufReader::new(third.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok)
        .any(|line| line.contains("listening on"));
    assert!(ok && started.elapsed() < Duration::from_secs(20));
    for child in [&mut first, &mut third] {
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

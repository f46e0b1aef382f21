//! `ballast up` refuses what would make two servers on one machine step on
//! each other, with a message naming the flag to change.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

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

/// Starts a server and waits until it listens. Its output is read to the
/// end on a thread of its own, so the server never writes to a closed pipe.
fn start(mut command: Command) -> Child {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (listening, wait) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("listening on") {
                let _ = listening.send(());
            }
        }
    });
    wait.recv_timeout(Duration::from_secs(20))
        .expect("the server starts listening");
    child
}

#[test]
fn a_second_server_may_not_take_the_same_address_blocks() {
    let temp = tempfile::tempdir().unwrap();
    let mut first = start(up(&temp.path().join("a"), "127.77.0.0/16", "127.78.0.0/16"));

    let mut second = up(&temp.path().join("b"), "127.77.0.0/16", "127.79.0.0/16")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Bounded: a server that wrongly starts is killed, and the test fails.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = second.try_wait().unwrap() {
            break Some(status);
        }
        if std::time::Instant::now() > deadline {
            let _ = second.kill();
            let _ = second.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let status = status.expect("the second server exits instead of serving");
    assert!(!status.success());
    let mut said = String::new();
    std::io::Read::read_to_string(&mut second.stderr.take().unwrap(), &mut said).unwrap();
    assert!(
        said.contains("127.77.0.0/16") && said.contains("--lb-cidr"),
        "{said}"
    );

    // Its own blocks are fine beside the first.
    let mut third = start(up(&temp.path().join("c"), "127.80.0.0/16", "127.81.0.0/16"));
    for child in [&mut first, &mut third] {
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

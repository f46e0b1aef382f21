//! Every operation Ballast serves (the allow-list) is called by the three
//! clients the project promises: aws-sdk-rust in `tests/sdk`, and boto3 and
//! the AWS CLI in `tests/compat` (or the example programs those suites
//! run). A new operation without those tests fails here, naming what is
//! missing.
//!
//! The check reads the tests as text: an SDK call is `.operation_name(`, a
//! boto3 call `.operation_name(` or a method passed by name, an AWS CLI
//! call the command's own word (`get-parameter-history`).

// Integration tests unwrap freely; the product code may not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use ballast_codegen::names::snake;
use ballast_codegen::{config, workspace};

/// The text of every file under `dir` whose name ends with one of `ends`.
fn texts(dir: &Path, ends: &[&str], into: &mut String) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.map(Result::unwrap) {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !matches!(
                name.as_str(),
                "target" | "__pycache__" | ".venv" | "node_modules"
            ) {
                texts(&path, ends, into);
            }
        } else if ends.iter().any(|end| name.ends_with(end)) {
            into.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
            into.push('\n');
        }
    }
}

/// Whether `word` stands in `text` on its own (not inside a longer
/// command name such as `describe-tags` in `describe-tags-x`).
fn has_word(text: &str, word: &str) -> bool {
    let part = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(part) && !after.is_some_and(part)
    })
}

#[test]
fn every_operation_is_called_by_aws_sdk_rust_boto3_and_the_aws_cli() {
    let root = workspace();
    let allow_list = std::fs::read_to_string(root.join(ballast_codegen::ALLOW_LIST)).unwrap();
    let config = config::parse(&allow_list).unwrap();
    let mut rust = String::new();
    texts(&root.join("tests/sdk"), &[".rs"], &mut rust);
    texts(&root.join("examples"), &[".rs"], &mut rust);
    let mut scripts = String::new();
    for dir in ["tests/compat", "examples"] {
        texts(
            &root.join(dir),
            &[".py", ".sh", ".yml", ".yaml"],
            &mut scripts,
        );
    }
    assert!(
        !rust.is_empty() && !scripts.is_empty(),
        "the test suites are where they were"
    );

    let mut missing = Vec::new();
    for service in &config.services {
        for operation in &service.operations {
            let method = snake(operation);
            let command = method.replace('_', "-");
            let called = format!(".{method}(");
            if !rust.contains(&called) {
                missing.push(format!("{}:{operation} (aws-sdk-rust)", service.module));
            }
            let passed = [format!(".{method},"), format!("\"{method}\"")];
            if !scripts.contains(&called) && !passed.iter().any(|p| scripts.contains(p)) {
                missing.push(format!("{}:{operation} (boto3)", service.module));
            }
            if !has_word(&scripts, &command) {
                missing.push(format!("{}:{operation} (AWS CLI)", service.module));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "operations no test calls with a client:\n  {}",
        missing.join("\n  ")
    );
}

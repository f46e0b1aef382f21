//! The checked-in crates/ballast-model matches what the generator writes
//! from the pinned botocore. Skips (saying so) only when that botocore
//! cannot be found; scripts/test runs `scripts/codegen --check` after
//! building the compatibility suite's virtualenv, which has it.

// Integration tests unwrap freely; the product code may not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ballast_codegen::{botocore, config, generate, stale, workspace};

#[test]
fn generated_code_is_up_to_date() {
    let root = workspace();
    let Ok(dir) = botocore::locate(&root) else {
        eprintln!(
            "SKIPPED: botocore not found; `scripts/codegen --check` covers this in scripts/test"
        );
        return;
    };
    let pinned = std::fs::read_to_string(root.join(ballast_codegen::ALLOW_LIST))
        .map_err(|e| e.to_string())
        .and_then(|t| config::parse(&t))
        .expect("the allow-list parses")
        .botocore;
    if botocore::version(&dir).ok().as_deref() != Some(pinned.as_str()) {
        eprintln!(
            "SKIPPED: the botocore at {} is not the pinned {pinned}; `scripts/codegen --check` covers this in scripts/test",
            dir.display()
        );
        return;
    }
    let files = generate(&root, &dir).expect("generation succeeds");
    let stale = stale(&root, &files);
    assert!(
        stale.is_empty(),
        "out of date: {stale:?}; run scripts/codegen"
    );
}

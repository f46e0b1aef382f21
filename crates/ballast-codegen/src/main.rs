//! `ballast-codegen [--check]`: regenerates crates/ballast-model from the
//! pinned botocore's service models (see the crate docs), or with `--check`
//! exits non-zero when the checked-in code differs from what it would write.

use std::process::ExitCode;

use ballast_codegen::{OUT_DIR, botocore, generate, stale, workspace};

fn main() -> ExitCode {
    let check = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--check") => true,
        Some(other) => {
            eprintln!("usage: ballast-codegen [--check]   (unknown argument {other})");
            return ExitCode::from(2);
        }
    };
    match run(check) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("ballast-codegen: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(check: bool) -> Result<bool, String> {
    let root = workspace();
    let dir = botocore::locate(&root)?;
    let files = generate(&root, &dir)?;
    let stale = stale(&root, &files);
    if check {
        for path in &stale {
            eprintln!("out of date: {}", path.display());
        }
        if !stale.is_empty() {
            eprintln!("run scripts/codegen to regenerate");
        }
        return Ok(stale.is_empty());
    }
    let out = root.join(OUT_DIR);
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    for path in &stale {
        let full = root.join(path);
        match files.iter().find(|(p, _)| p == path) {
            Some((_, code)) => {
                std::fs::write(&full, code).map_err(|e| format!("{}: {e}", full.display()))?;
                println!("wrote {}", path.display());
            }
            None => {
                std::fs::remove_file(&full).map_err(|e| format!("{}: {e}", full.display()))?;
                println!("removed {}", path.display());
            }
        }
    }
    if stale.is_empty() {
        println!("{OUT_DIR} is up to date");
    }
    Ok(true)
}

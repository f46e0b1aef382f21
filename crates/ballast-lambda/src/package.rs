//! Deployment packages unpacked for their environments: one directory per
//! zip (by its hash), made once and shared by every environment of every
//! function that uses it, as `/var/task` is on AWS.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The directory `zip` unpacks to under `root`, unpacked now if it is not
/// there yet. `sha256` is the package's `CodeSha256` (base64).
pub(crate) fn unpack(root: &Path, sha256: &str, zip: &[u8]) -> io::Result<PathBuf> {
    let dir = root.join(directory_name(sha256));
    if dir.is_dir() {
        return Ok(dir);
    }
    fs::create_dir_all(root)?;
    // Unpacked beside, then renamed: a directory that exists is whole.
    let partial = root.join(format!(
        "{}.partial-{}",
        directory_name(sha256),
        std::process::id()
    ));
    if partial.exists() {
        fs::remove_dir_all(&partial)?;
    }
    let mut archive = zip::ZipArchive::new(io::Cursor::new(zip)).map_err(io::Error::other)?;
    // `extract` refuses entries that would land outside the directory and
    // keeps Unix modes (an executable `bootstrap` stays executable).
    archive.extract(&partial).map_err(io::Error::other)?;
    match fs::rename(&partial, &dir) {
        Ok(()) => Ok(dir),
        // Another environment unpacked the same package first.
        Err(_) if dir.is_dir() => {
            let _ = fs::remove_dir_all(&partial);
            Ok(dir)
        }
        Err(error) => Err(error),
    }
}

/// A file name from a base64 hash (which may hold `/` and `+`).
fn directory_name(sha256: &str) -> String {
    sha256
        .chars()
        .map(|c| match c {
            '/' => '_',
            '+' => '-',
            '=' => 'e',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn zip_of(files: &[(&str, &str, u32)]) -> Vec<u8> {
        let mut out = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        for (name, text, mode) in files {
            let options = zip::write::SimpleFileOptions::default().unix_permissions(*mode);
            out.start_file(*name, options).expect("an entry");
            out.write_all(text.as_bytes()).expect("written");
        }
        out.finish().expect("a zip").into_inner()
    }

    #[test]
    fn a_package_unpacks_once_with_its_modes() {
        let root = tempfile::tempdir().expect("a temporary directory");
        let zip = zip_of(&[
            ("lambda_function.py", "def handler(e, c): return 1\n", 0o644),
            ("bootstrap", "#!/bin/sh\n", 0o755),
            ("pkg/mod.py", "", 0o644),
        ]);
        let dir = unpack(root.path(), "ab/c+d=", &zip).expect("unpacked");
        assert_eq!(dir.file_name().and_then(|n| n.to_str()), Some("ab_c-de"));
        assert!(dir.join("pkg/mod.py").is_file());
        let mode = fs::metadata(dir.join("bootstrap"))
            .expect("there")
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111, "executable");
        // A second call finds it.
        assert_eq!(
            unpack(root.path(), "ab/c+d=", b"not read").expect("found"),
            dir
        );
    }

    #[test]
    fn an_entry_outside_the_package_is_refused() {
        let root = tempfile::tempdir().expect("a temporary directory");
        let zip = zip_of(&[("../escape.py", "", 0o644)]);
        let _ = unpack(&root.path().join("code"), "x", &zip);
        assert!(!root.path().join("escape.py").exists());
    }
}

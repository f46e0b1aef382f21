//! Scripts' time follows `--time-scale`.
//!
//! The agent already shortens a script's `timeoutSeconds` by the scale;
//! a script that waits with `sleep 60` must shrink by the same factor, or
//! a runbook written for AWS (`sleep 60` under a 120 s timeout) is killed
//! at time-scale 0.05 before its sleep ends. So when the scale is not 1,
//! scripts run with a directory first on their `PATH` whose `sleep` is
//! Ballast's: it reads the operands as GNU `sleep` does and sleeps the
//! scaled time. The wall clock is untouched; a script that runs
//! `/usr/bin/sleep` by its path sleeps in real time.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::AgentError;

/// The longest sleep taken in one piece; `infinity` sleeps in such pieces
/// forever.
const LONGEST: Duration = Duration::from_secs(365 * 24 * 3600);

/// The time scripts run in: the scale, and the directory of the scaled
/// `sleep` when there is one.
#[derive(Debug, Clone, Default)]
pub struct ScriptTime {
    pub scale: f64,
    pub bin: Option<PathBuf>,
}

impl ScriptTime {
    /// Real time: no scaling, nothing on `PATH`.
    pub fn real() -> ScriptTime {
        ScriptTime {
            scale: 1.0,
            bin: None,
        }
    }

    /// `aws` (a timeout as the document gives it) in real time.
    pub fn scaled(&self, aws: Duration) -> Duration {
        scale_duration(aws, self.scale)
    }

    /// Puts the scaled `sleep` first on `command`'s `PATH`.
    pub fn apply(&self, command: &mut tokio::process::Command) {
        if let Some(bin) = &self.bin {
            command.env("PATH", path_with(bin, std::env::var_os("PATH").as_deref()));
        }
    }
}

/// `duration` times `scale`, saturating: a scale that is not a finite,
/// non-negative number counts as 1, and a product too long for a
/// `Duration` is [`LONGEST`].
pub fn scale_duration(duration: Duration, scale: f64) -> Duration {
    let scale = if scale.is_finite() && scale >= 0.0 {
        scale
    } else {
        1.0
    };
    Duration::try_from_secs_f64(duration.as_secs_f64() * scale).unwrap_or(LONGEST)
}

/// Where the agent keeps the scaled `sleep`, under its state directory.
pub fn bin_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("scaled-time")
}

/// Writes the scaled `sleep` (a script running `exe scaled-sleep`) into
/// `state_dir`'s bin directory and returns that directory, or `None` when
/// the scale is 1 and scripts need nothing.
pub fn install(state_dir: &Path, exe: &Path, scale: f64) -> Result<Option<PathBuf>, AgentError> {
    if (scale - 1.0).abs() < f64::EPSILON {
        return Ok(None);
    }
    let dir = bin_dir(state_dir);
    std::fs::create_dir_all(&dir).map_err(|e| AgentError::io(&dir, e))?;
    let path = dir.join("sleep");
    let exe = exe.to_string_lossy().replace('\'', r"'\''");
    let script = format!("#!/bin/sh\nexec '{exe}' scaled-sleep --time-scale {scale} -- \"$@\"\n");
    std::fs::write(&path, script).map_err(|e| AgentError::io(&path, e))?;
    make_executable(&path)?;
    Ok(Some(dir))
}

fn make_executable(path: &Path) -> Result<(), AgentError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| AgentError::io(path, e))
}

/// A `PATH` with `dir` in front of `inherited`.
pub fn path_with(dir: &Path, inherited: Option<&std::ffi::OsStr>) -> std::ffi::OsString {
    let mut path = dir.as_os_str().to_owned();
    if let Some(inherited) = inherited.filter(|p| !p.is_empty()) {
        path.push(":");
        path.push(inherited);
    }
    path
}

/// How long GNU `sleep OPERAND...` sleeps: the sum of its operands, each a
/// non-negative number with an optional unit (`s`, `m`, `h`, `d`);
/// `inf`/`infinity` is forever (`None`). The error is `sleep`'s message.
pub fn interval(operands: &[String]) -> Result<Option<Duration>, String> {
    if operands.is_empty() {
        return Err("sleep: missing operand".to_owned());
    }
    let mut total = 0.0_f64;
    for operand in operands {
        total +=
            seconds(operand).ok_or_else(|| format!("sleep: invalid time interval '{operand}'"))?;
    }
    if total.is_infinite() {
        return Ok(None);
    }
    Ok(Some(Duration::try_from_secs_f64(total).unwrap_or(LONGEST)))
}

fn seconds(operand: &str) -> Option<f64> {
    let (number, unit) = match operand.char_indices().last() {
        Some((at, 's')) => (&operand[..at], 1.0),
        Some((at, 'm')) => (&operand[..at], 60.0),
        Some((at, 'h')) => (&operand[..at], 3600.0),
        Some((at, 'd')) => (&operand[..at], 86_400.0),
        _ => (operand, 1.0),
    };
    // Rust's float syntax is GNU's `strtod` without hexadecimal; it also
    // takes "NaN", which `sleep` refuses.
    let value: f64 = number.parse().ok()?;
    (value >= 0.0 && !value.is_nan()).then_some(value * unit)
}

/// `ballast scaled-sleep`: sleeps `operands` times `scale`, as the scaled
/// `sleep` asks. Returns the exit code.
pub fn sleep(scale: f64, operands: &[String]) -> i32 {
    match interval(operands) {
        Ok(Some(interval)) => {
            std::thread::sleep(scale_duration(interval, scale));
            0
        }
        Ok(None) => loop {
            std::thread::sleep(LONGEST);
        },
        Err(message) => {
            eprintln!("{message}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(operands: &[&str]) -> Vec<String> {
        operands.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn operands_add_up_with_their_units() {
        let cases: [(&[&str], f64); 6] = [
            (&["60"], 60.0),
            (&["0.5"], 0.5),
            (&[".25s"], 0.25),
            (&["1m", "30"], 90.0),
            (&["2h"], 7200.0),
            (&["1d", "1e1"], 86_410.0),
        ];
        for (operands, expected) in cases {
            let got = interval(&strings(operands)).unwrap().unwrap();
            assert!(
                (got.as_secs_f64() - expected).abs() < 1e-9,
                "{operands:?}: {got:?}"
            );
        }
    }

    #[test]
    fn scaling_saturates_instead_of_panicking() {
        let minute = Duration::from_secs(60);
        assert_eq!(scale_duration(minute, 0.05), Duration::from_secs(3));
        assert_eq!(scale_duration(minute, f64::NAN), minute);
        assert_eq!(scale_duration(minute, -2.0), minute);
        assert_eq!(scale_duration(minute, f64::INFINITY), minute);
        assert_eq!(scale_duration(minute, 1e300), LONGEST);
    }

    #[test]
    fn infinity_is_forever() {
        assert_eq!(interval(&strings(&["infinity"])), Ok(None));
        assert_eq!(interval(&strings(&["inf", "3"])), Ok(None));
    }

    #[test]
    fn bad_operands_are_refused_as_sleep_refuses_them() {
        assert_eq!(interval(&[]), Err("sleep: missing operand".to_owned()));
        for bad in ["-1", "x", "1x", "", "s", "nan", "--help"] {
            assert_eq!(
                interval(&strings(&[bad])),
                Err(format!("sleep: invalid time interval '{bad}'")),
                "{bad}"
            );
        }
    }

    #[test]
    fn nothing_is_installed_at_scale_one() {
        let dir = tempfile::tempdir().unwrap();
        let installed = install(dir.path(), Path::new("/bin/ballast"), 1.0).unwrap();
        assert_eq!(installed, None);
        assert!(!bin_dir(dir.path()).exists());
    }

    #[test]
    fn the_scaled_sleep_runs_ballast_with_the_scale() {
        let dir = tempfile::tempdir().unwrap();
        let installed = install(dir.path(), Path::new("/opt/it's/ballast"), 0.05)
            .unwrap()
            .unwrap();
        let script = std::fs::read_to_string(installed.join("sleep")).unwrap();
        assert!(
            script.contains(r"exec '/opt/it'\''s/ballast' scaled-sleep --time-scale 0.05 -- "),
            "{script}"
        );
        let path = path_with(&installed, Some("/usr/bin:/bin".as_ref()));
        assert_eq!(
            path.to_string_lossy(),
            format!("{}:/usr/bin:/bin", installed.display())
        );
    }
}

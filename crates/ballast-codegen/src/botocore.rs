//! Finding botocore's model directory and reading a service model from it.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Where botocore lives: `$BALLAST_BOTOCORE` (the package directory, the
/// one holding `data/`), else the compatibility suite's virtualenv under
/// `target/compat-venv`, else whatever `python3` imports.
pub fn locate(workspace: &Path) -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("BALLAST_BOTOCORE") {
        return Ok(PathBuf::from(dir));
    }
    let venv = workspace.join("target/compat-venv/bin/python");
    let pythons: Vec<PathBuf> = [venv, PathBuf::from("python3")].into_iter().collect();
    let mut tried = Vec::new();
    for python in pythons {
        let output = Command::new(&python)
            .args([
                "-c",
                "import botocore, os; print(os.path.dirname(botocore.__file__))",
            ])
            .output();
        match output {
            Ok(out) if out.status.success() => {
                let dir = String::from_utf8_lossy(&out.stdout).trim().to_owned();
                return Ok(PathBuf::from(dir));
            }
            _ => tried.push(python.display().to_string()),
        }
    }
    Err(format!(
        "botocore not found (tried BALLAST_BOTOCORE and {}); install tests/compat/requirements.txt",
        tried.join(", ")
    ))
}

/// The version of the botocore at `dir`, from its `__init__.py`.
pub fn version(dir: &Path) -> Result<String, String> {
    let init = std::fs::read_to_string(dir.join("__init__.py"))
        .map_err(|e| format!("{}: {e}", dir.join("__init__.py").display()))?;
    init.lines()
        .find_map(|line| line.strip_prefix("__version__ = "))
        .map(|v| v.trim().trim_matches(|c| c == '\'' || c == '"').to_owned())
        .ok_or_else(|| format!("no __version__ in {}", dir.display()))
}

/// Reads `data/<model>/service-2.json`, gunzipping `service-2.json.gz`
/// (newer botocore ships them compressed) with the system's `gzip`.
pub fn load(dir: &Path, model: &str) -> Result<Value, String> {
    let text = read(dir, model)?;
    let mut value: Value = serde_json::from_slice(&text).map_err(|e| format!("{model}: {e}"))?;
    // Record each structure's member order where the emitter can find it.
    for (shape, keys) in member_order(&text).map_err(|e| format!("{model}: {e}"))? {
        value["shapes"][&shape]["$memberOrder"] =
            Value::Array(keys.into_iter().map(Value::String).collect());
    }
    Ok(value)
}

fn read(dir: &Path, model: &str) -> Result<Vec<u8>, String> {
    let base = dir.join("data").join(model);
    let plain = base.join("service-2.json");
    let text = if plain.exists() {
        std::fs::read(&plain).map_err(|e| format!("{}: {e}", plain.display()))?
    } else {
        let gz = base.join("service-2.json.gz");
        let out = Command::new("gzip")
            .arg("-dc")
            .arg(&gz)
            .output()
            .map_err(|e| format!("gzip -dc {}: {e}", gz.display()))?;
        if !out.status.success() {
            return Err(format!(
                "gzip -dc {}: {}",
                gz.display(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        out.stdout
    };
    Ok(text)
}

/// The order of each structure's members in the model text, which
/// `serde_json::Value` (a sorted map without `preserve_order`, a feature
/// that would leak into the whole workspace's build) forgets. Validation
/// reports members in this order, as AWS does.
pub fn member_order(
    text: &[u8],
) -> Result<std::collections::BTreeMap<String, Vec<String>>, String> {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Model {
        shapes: std::collections::BTreeMap<String, Shape>,
    }

    #[derive(Deserialize)]
    struct Shape {
        #[serde(default)]
        members: Option<Keys>,
    }

    struct Keys(Vec<String>);

    impl<'de> Deserialize<'de> for Keys {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct Visit;
            impl<'de> serde::de::Visitor<'de> for Visit {
                type Value = Keys;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("a map of members")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<Keys, A::Error> {
                    let mut keys = Vec::new();
                    while let Some((key, _)) = map.next_entry::<String, serde::de::IgnoredAny>()? {
                        keys.push(key);
                    }
                    Ok(Keys(keys))
                }
            }
            d.deserialize_map(Visit)
        }
    }

    let model: Model = serde_json::from_slice(text).map_err(|e| e.to_string())?;
    Ok(model
        .shapes
        .into_iter()
        .filter_map(|(name, shape)| shape.members.map(|Keys(keys)| (name, keys)))
        .collect())
}

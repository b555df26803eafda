//! `bazaar case replay`: replays exported case files against a local
//! component, so a seller can check a new build before uploading it.

use crate::cases::{self, Case, CaseFile};
use crate::runtime::Runtime;
use anyhow::{Context, bail};
use std::path::{Path, PathBuf};

/// Reads a case file, or a single case document.
pub fn read_cases(path: &Path) -> anyhow::Result<Vec<Case>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    let cases = if value.get("format").is_some() {
        let file: CaseFile = serde_json::from_value(value)
            .with_context(|| format!("{} is not a case file", path.display()))?;
        if file.format != cases::CASE_FORMAT {
            bail!(
                "{}: unknown format `{}`; expected {}",
                path.display(),
                file.format,
                cases::CASE_FORMAT
            );
        }
        file.cases
    } else {
        vec![
            serde_json::from_value(value)
                .with_context(|| format!("{} is not a case", path.display()))?,
        ]
    };
    Ok(cases)
}

/// Replays every case of `files` against the component `plugin`; prints one
/// line per case (or JSON) and fails if any case does not pass.
pub fn replay(
    runtime: &Runtime,
    plugin: &Path,
    files: &[PathBuf],
    json: bool,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(plugin).with_context(|| format!("reading {}", plugin.display()))?;
    let loaded = runtime
        .load(&bytes)
        .map_err(|e| anyhow::anyhow!("{}: {e}", plugin.display()))?;
    let (mut passed, mut failed) = (0usize, 0usize);
    let mut results = Vec::new();
    for file in files {
        for (i, case) in read_cases(file)?.into_iter().enumerate() {
            let label = case
                .name
                .clone()
                .or_else(|| case.id.clone())
                .unwrap_or_else(|| format!("{}#{i}", file.display()));
            let scenario = cases::scenario(&case.function, &case.input);
            let run = cases::replay(runtime, &loaded, &case);
            if run.diff.is_none() {
                passed += 1;
            } else {
                failed += 1;
            }
            if json {
                let mut v = serde_json::to_value(&run)?;
                v["case"] = label.into();
                v["scenario"] = scenario.into();
                results.push(v);
            } else {
                match &run.diff {
                    None => println!("PASS {label} ({scenario})"),
                    Some(diff) => println!(
                        "FAIL {label} ({scenario}): {}",
                        serde_json::to_string(diff)?
                    ),
                }
            }
        }
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    } else {
        println!("{passed} passed, {failed} failed");
    }
    if failed > 0 {
        bail!("{failed} case(s) failed");
    }
    Ok(())
}

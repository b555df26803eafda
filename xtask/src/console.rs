//! The web console (`console/`): its npm build, whose `dist/` the host
//! embeds, so it runs before the host is built; its unit tests (vitest);
//! and the browser its end-to-end tests drive (Debian's Chromium, installed
//! with apt-get when missing, since browser downloads are not possible
//! everywhere the tests run).

use anyhow::{Context, Result, bail};
use std::path::Path;
use std::process::Command;

/// Where the end-to-end tests expect the browser.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// `npm ci` when the installed packages are not the lockfile's, then
/// `npm run build` (client types from `openapi.json`, type check, vite)
/// into a scratch folder whose changes alone are copied into `dist/`: the
/// host's build script watches `dist/`, and rewriting identical files would
/// rebuild the host on every run.
pub fn build(root: &Path) -> Result<()> {
    let dir = root.join("console");
    let lock = dir.join("package-lock.json");
    let installed = dir.join("node_modules/.package-lock.json");
    let stale = match (modified(&lock), modified(&installed)) {
        (Some(lock), Some(installed)) => lock > installed,
        _ => true,
    };
    if stale {
        npm(&dir, &["ci", "--no-audit", "--no-fund"])?;
    }
    let next = dir.join(".dist-next");
    npm(&dir, &["run", "build", "--", "--outDir", ".dist-next"])?;
    sync(&next, &dir.join("dist"))?;
    std::fs::remove_dir_all(&next).with_context(|| format!("removing {}", next.display()))
}

/// Makes `to` hold exactly what `from` holds, writing only files that differ.
fn sync(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            sync(&entry.path(), &target)?;
        } else {
            let bytes = std::fs::read(entry.path())?;
            if std::fs::read(&target).ok().as_deref() != Some(&bytes[..]) {
                std::fs::write(&target, bytes)?;
            }
        }
    }
    for entry in std::fs::read_dir(to)? {
        let entry = entry?;
        if !from.join(entry.file_name()).exists() {
            if entry.file_type()?.is_dir() {
                std::fs::remove_dir_all(entry.path())?;
            } else {
                std::fs::remove_file(entry.path())?;
            }
        }
    }
    Ok(())
}

/// The console's unit tests.
pub fn unit_tests(root: &Path) -> Result<()> {
    npm(&root.join("console"), &["test"])
}

/// Installs Debian's Chromium when it is missing (the tests run as root).
pub fn ensure_chromium() -> Result<()> {
    if Path::new(CHROMIUM).exists() {
        return Ok(());
    }
    eprintln!("xtask: {CHROMIUM} is missing; installing Debian's chromium");
    let env = [("DEBIAN_FRONTEND", "noninteractive")];
    super::run(Command::new("apt-get").args(["update", "-qq"]).envs(env))?;
    super::run(
        Command::new("apt-get")
            .args(["install", "-y", "-qq", "chromium"])
            .envs(env),
    )?;
    if !Path::new(CHROMIUM).exists() {
        bail!("apt-get installed chromium but {CHROMIUM} is still missing");
    }
    Ok(())
}

fn npm(dir: &Path, args: &[&str]) -> Result<()> {
    super::run(Command::new("npm").args(args).current_dir(dir))
        .with_context(|| format!("npm {} in {}", args.join(" "), dir.display()))
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

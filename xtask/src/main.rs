//! Project automation behind the README's two commands:
//! `cargo xtask serve` builds the example plugins and starts the service;
//! `cargo xtask test` builds the plugins once, makes sure PostgreSQL is up,
//! checks formatting and lints, and runs every test. Both build the web
//! console first (`console.rs`): the host embeds what it builds.

mod console;
mod layers;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Parser)]
#[command(name = "xtask")]
struct Args {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Builds every example plugin (Rust and Python) into target/plugins.
    Plugins,
    /// Builds the plugins and the console, and runs the service with them loaded.
    Serve {
        /// Extra arguments for `bazaar serve`.
        #[arg(trailing_var_arg = true)]
        args: Vec<String>,
    },
    /// Builds the plugins, checks format and lints, runs every test.
    Test {
        /// Skip `cargo fmt --check` and clippy.
        #[arg(long)]
        no_lint: bool,
    },
    /// Fails when two sibling modules import each other or a layer imports one above it.
    Layers,
    /// Builds the web console into console/dist (serve and test do it first).
    Console,
}

/// Plugins that exist to be rejected or to misbehave in tests.
const FIXTURES: [&str; 6] = [
    "hostile",
    "bad_taxes",
    "bad_pricing",
    "bad_import",
    "future_version",
    "legacy_lifecycle",
];

fn main() -> Result<()> {
    let root = repo_root();
    match Args::parse().command {
        Cmd::Plugins => build_plugins(&root).map(drop),
        Cmd::Serve { args } => {
            let dir = build_plugins(&root)?;
            console::build(&root)?;
            let mut cmd = cargo(&root);
            cmd.args([
                "run",
                "--package",
                "bazaar-host",
                "--bin",
                "bazaar",
                "--",
                "serve",
                "--plugins",
            ])
            .arg(&dir)
            .args(args);
            run(&mut cmd)
        }
        Cmd::Test { no_lint } => test(&root, no_lint),
        Cmd::Layers => layers::check(&root),
        Cmd::Console => console::build(&root),
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the repository root")
        .to_path_buf()
}

fn cargo(root: &Path) -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root);
    cmd
}

fn run(cmd: &mut Command) -> Result<()> {
    eprintln!("xtask: {cmd:?}");
    let status = cmd.status().with_context(|| format!("starting {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed with {status}");
    }
    Ok(())
}

/// Builds the Rust plugins for wasm32-wasip2 and the Python one with
/// componentize-py; returns the directory holding every `.wasm`.
fn build_plugins(root: &Path) -> Result<PathBuf> {
    let out = root.join("target/plugins");
    std::fs::create_dir_all(&out)?;
    let build_dir = root.join("target/plugins-build");
    // The toolchain file names the target, but an existing toolchain install
    // may predate it; adding an installed target is a no-op.
    let _ = Command::new("rustup")
        .args(["target", "add", "wasm32-wasip2"])
        .current_dir(root)
        .status();
    run(cargo(root)
        .current_dir(root.join("plugins"))
        .env("CARGO_TARGET_DIR", &build_dir)
        .args(["build", "--release", "--target", "wasm32-wasip2"]))?;
    // Test fixtures go to a subdirectory so that `serve`, which loads the
    // top level only, starts with the real examples and no hostile plugins.
    let fixtures = out.join("fixtures");
    std::fs::create_dir_all(&fixtures)?;
    let release = build_dir.join("wasm32-wasip2/release");
    for entry in std::fs::read_dir(&release)? {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if let Some(stem) = name.strip_suffix(".wasm") {
            let dir = if FIXTURES.contains(&stem) {
                &fixtures
            } else {
                &out
            };
            std::fs::copy(&path, dir.join(name))?;
        }
    }
    let py = root.join("plugins/python/build.sh");
    if py.exists() {
        run(Command::new("bash").arg(py).arg(&out))?;
    }
    eprintln!("xtask: plugins in {}", out.display());
    Ok(out)
}

/// Starts the machine's PostgreSQL cluster if nothing answers on 5432; never
/// skips silently: if it cannot be reached, the test run fails.
fn ensure_postgres(url: &str) -> Result<()> {
    let ready = || {
        Command::new("pg_isready")
            .args(["-h", "127.0.0.1", "-p", "5432"])
            .status()
            .is_ok_and(|s| s.success())
    };
    if ready() {
        return Ok(());
    }
    eprintln!("xtask: PostgreSQL is not answering; starting it");
    let versions = std::fs::read_dir("/etc/postgresql").context(
        "PostgreSQL is not running and /etc/postgresql does not exist; install it (apt-get install postgresql) or set BAZAAR_TEST_POSTGRES_URL",
    )?;
    for v in versions {
        let v = v?.file_name();
        let _ = Command::new("pg_ctlcluster")
            .args(["--skip-systemctl-redirect"])
            .arg(&v)
            .args(["main", "start"])
            .status();
    }
    for _ in 0..30 {
        if ready() {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
    bail!("PostgreSQL at {url} did not come up")
}

fn test(root: &Path, no_lint: bool) -> Result<()> {
    layers::check(root)?;
    let plugins = build_plugins(root)?;
    // Before the host is built, which embeds it; the browser tests of the
    // `api` binary drive it in Chromium.
    console::build(root)?;
    console::unit_tests(root)?;
    console::ensure_chromium()?;
    if !no_lint {
        run(cargo(root).args(["fmt", "--all", "--check"]))?;
        run(cargo(root)
            .current_dir(root.join("plugins"))
            .args(["fmt", "--all", "--check"]))?;
        run(cargo(root).args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))?;
    }
    let pg_url = std::env::var("BAZAAR_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    ensure_postgres(&pg_url)?;
    drop_test_databases(&pg_url);
    // Every test on SQLite, then the black-box suites on PostgreSQL: the
    // in-process one (the `api` binary of bazaar-tests) and the
    // kill-and-restart one, which stays with bazaar-host because only that
    // package's tests get the real `bazaar` binary built for them.
    run(cargo(root)
        .env("BAZAAR_PLUGINS_DIR", &plugins)
        .env("BAZAAR_TEST_DATABASE", "sqlite")
        .args(["test", "--workspace", "--no-fail-fast"]))?;
    // The OpenAPI document against the running service, for every role
    // (same `--workspace` selection: nothing is rebuilt).
    let st = ensure_schemathesis(root)?;
    run(cargo(root)
        .env("BAZAAR_PLUGINS_DIR", &plugins)
        .env("BAZAAR_TEST_DATABASE", "sqlite")
        .env("BAZAAR_SCHEMATHESIS", &st)
        .args(["test", "--workspace", "--test", "api", "schemathesis::"])
        .args(["--", "--ignored"]))?;
    // The same `--workspace` selection as the SQLite pass, so Cargo unifies
    // the same features and reuses every artifact instead of rebuilding
    // wasmtime for a narrower package set.
    run(cargo(root)
        .env("BAZAAR_PLUGINS_DIR", &plugins)
        .env("BAZAAR_TEST_DATABASE", "postgres")
        .env("BAZAAR_TEST_POSTGRES_URL", &pg_url)
        .args(["test", "--workspace", "--test", "api", "--test", "crash"])
        .arg("--no-fail-fast"))?;
    drop_test_databases(&pg_url);
    Ok(())
}

/// Schemathesis, pinned, in the repository's virtualenv (which building the
/// Python plugin created); installed on first use. Answers the path of `st`.
fn ensure_schemathesis(root: &Path) -> Result<PathBuf> {
    const VERSION: &str = "4.32.5";
    let venv = root.join(".venv");
    let st = venv.join("bin/st");
    let have = Command::new(&st)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains(VERSION))
        .unwrap_or(false);
    if !have {
        if !venv.join("bin/pip").exists() {
            run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        }
        run(Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--cache-dir"])
            .arg(root.join("target/pip-cache"))
            .arg(format!("schemathesis=={VERSION}")))?;
    }
    Ok(st)
}

/// Each black-box test creates a database of its own; drop those of earlier
/// runs so they do not pile up. Best effort: a failure here fails nothing.
fn drop_test_databases(url: &str) {
    let list = Command::new("psql")
        .args([
            url,
            "-Atc",
            "SELECT datname FROM pg_database WHERE datname LIKE 'bazaar_test_%'",
        ])
        .output();
    let Ok(list) = list else { return };
    for name in String::from_utf8_lossy(&list.stdout).lines() {
        let _ = Command::new("psql")
            .args([
                url,
                "-qc",
                &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
            ])
            .status();
    }
}

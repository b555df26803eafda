//! The `bazaar` command line: run the service, check a plugin, call one
//! function of a plugin in the sandbox, replay saved cases.

mod cases;
mod plugin_pool;
mod serve_flags;

use crate::now_millis;
use crate::runtime::{CallBudget, CallContext, MemoryKv, Runtime, RuntimeConfig, World};
use crate::startup::{Application, Settings};
use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// Bazaar: a marketplace host whose sellers ship sandboxed WebAssembly plugins.
#[derive(Debug, Parser)]
#[command(name = "bazaar", version)]
pub struct Cli {
    /// How log lines are written to stderr.
    #[arg(
        long,
        global = true,
        env = "BAZAAR_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    pub log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

/// The shape of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, with the request span's fields (the
    /// request id among them).
    Json,
}

// Parsed once per process; boxing `Serve`'s flags would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Command {
    /// Runs the HTTP service.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "BAZAAR_ADDR", default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Where the service keeps its files.
        #[arg(long, env = "BAZAAR_DATA_DIR", default_value = ".bazaar")]
        data_dir: PathBuf,
        /// `sqlite://PATH` or `postgres://...` (default: DATA_DIR/bazaar.db).
        #[arg(long, env = "DATABASE_URL")]
        database_url: Option<String>,
        /// Directories of `.wasm` plugins to load at start-up.
        #[arg(long = "plugins", env = "BAZAAR_PLUGINS", value_delimiter = ',')]
        plugins: Vec<PathBuf>,
        /// AES-256 key for credentials at rest, 64 hex digits (default: a
        /// key file generated in DATA_DIR).
        #[arg(long, env = "BAZAAR_SECRET_KEY", hide_env_values = true)]
        secret_key: Option<String>,
        /// The first operator's token, used only when no operator exists
        /// yet (default: generated and printed once).
        #[arg(long, env = "BAZAAR_OPERATOR_TOKEN", hide_env_values = true)]
        operator_token: Option<String>,
        /// Let operators move the clock forward (tests and demos only).
        #[arg(long, env = "BAZAAR_SIMULATED_CLOCK")]
        simulated_clock: bool,
        /// Do not run the lifecycle worker in this process.
        #[arg(long, env = "BAZAAR_NO_WORKER")]
        no_worker: bool,
        /// Refuse usage records that ended more than this many hours ago.
        #[arg(long, env = "BAZAAR_USAGE_LATE_WINDOW_HOURS", default_value_t = 168)]
        usage_late_window_hours: u32,
        /// How long a pay-per-use instance with unpaid charges keeps serving
        /// before it is frozen.
        #[arg(long, env = "BAZAAR_ARREARS_GRACE_HOURS", default_value_t = 24)]
        arrears_grace_hours: u32,
        /// How long a frozen instance (expired or in arrears) is kept before
        /// it is released.
        #[arg(long, env = "BAZAAR_RETENTION_DAYS", default_value_t = 15)]
        retention_days: u32,
        /// How long a node trusts a token it looked up, in ms: a token
        /// revoked through another node stops working here within this.
        #[arg(long, env = "BAZAAR_TOKEN_CACHE_TTL_MS", default_value_t = crate::startup::DEFAULT_TOKEN_CACHE_TTL_MS)]
        token_cache_ttl_ms: u64,
        #[command(flatten)]
        edge: serve_flags::EdgeFlags,
        #[command(flatten)]
        plugin_pool: plugin_pool::PluginPoolArgs,
        /// Serve `GET /metrics` on this address of its own, without a token
        /// (and not on ADDR); without it operators read `/metrics` on ADDR.
        #[arg(long, env = "BAZAAR_METRICS_ADDR")]
        metrics_addr: Option<SocketAddr>,
    },
    /// Works with plugin components.
    Plugin {
        #[command(subcommand)]
        command: PluginCommand,
    },
    /// Works with case files (exported from `GET /v1/cases/export`).
    Case {
        #[command(subcommand)]
        command: CaseCommand,
    },
}

#[derive(Debug, Subcommand)]
enum CaseCommand {
    /// Replays cases against a component; exits non-zero if any fails.
    Replay {
        /// The component (`.wasm`) to replay against.
        #[arg(long)]
        plugin: PathBuf,
        /// Case files (or single case documents).
        #[arg(required = true)]
        cases: Vec<PathBuf>,
        /// Print the results as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum PluginCommand {
    /// Validates a component and prints the worlds it exports and its limits.
    Check {
        /// The component (`.wasm`).
        file: PathBuf,
    },
    /// Runs one call in the sandbox and prints output, logs, fuel and duration.
    Call {
        /// The component (`.wasm`).
        file: PathBuf,
        /// `lifecycle`, `metering`, `pricing` or `review`.
        world: String,
        /// The function, e.g. `create-instance`.
        function: String,
        /// The input: a JSON object keyed by parameter name, or `@path` to a file.
        #[arg(long, default_value = "{}")]
        input: String,
        /// Logical time of the call in ms since the epoch (default: now).
        #[arg(long)]
        now_ms: Option<i64>,
        /// Random seed (default: random, printed).
        #[arg(long)]
        seed: Option<u64>,
        /// Seller configuration, `key=value`, repeatable.
        #[arg(long = "config", value_parser = parse_kv)]
        config: Vec<(String, String)>,
        /// Fuel budget (can only lower the default).
        #[arg(long)]
        fuel: Option<u64>,
        /// Deadline in ms (can only lower the default).
        #[arg(long)]
        timeout_ms: Option<u64>,
        /// Print the whole outcome, transcript included, as JSON.
        #[arg(long)]
        json: bool,
        /// Save a successful call as a case file at this path.
        #[arg(long)]
        save_case: Option<PathBuf>,
    },
}

fn parse_kv(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("expected key=value, got `{s}`"))
}

/// Runs the command line; the exit code is non-zero on any failure.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            addr,
            data_dir,
            database_url,
            plugins,
            secret_key,
            operator_token,
            simulated_clock,
            no_worker,
            usage_late_window_hours,
            arrears_grace_hours,
            retention_days,
            token_cache_ttl_ms,
            edge,
            plugin_pool,
            metrics_addr,
        } => {
            let mut settings = Settings::new(addr, data_dir);
            settings.database_url = database_url;
            settings.preload_dirs = plugins;
            settings.secret_key = secret_key;
            settings.operator_token = operator_token;
            settings.simulated_clock = simulated_clock;
            settings.run_worker = !no_worker;
            settings.usage_late_window_ms = i64::from(usage_late_window_hours) * 3_600_000;
            settings.worker.arrears_grace_ms = i64::from(arrears_grace_hours) * 3_600_000;
            settings.worker.retention_ms = i64::from(retention_days) * 86_400_000;
            settings.token_cache_ttl = std::time::Duration::from_millis(token_cache_ttl_ms);
            settings.serve = edge.serve_config();
            settings.guards = edge.guards();
            plugin_pool.apply(&mut settings);
            settings.metrics_addr = metrics_addr;
            serve(settings).await
        }
        Command::Plugin { command } => tokio::task::spawn_blocking(move || plugin(command)).await?,
        Command::Case {
            command:
                CaseCommand::Replay {
                    plugin,
                    cases,
                    json,
                },
        } => {
            tokio::task::spawn_blocking(move || {
                let runtime = Runtime::new(RuntimeConfig {
                    max_instances: 4,
                    ..RuntimeConfig::default()
                })?;
                cases::replay(&runtime, &plugin, &cases, json)
            })
            .await?
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let addr = settings.addr;
    let app = Application::build(settings).await?;
    if let Some(token) = app.operator_token() {
        // Shown once: only its hash is stored.
        println!("operator token (shown once, keep it): {token}");
    }
    let scheme = if app.tls_cert().is_some() {
        "https"
    } else {
        "http"
    };
    if let Some(cert) = app.tls_cert() {
        tracing::info!(cert = %cert.display(), "serving HTTPS (HTTP/2 and HTTP/1.1)");
    }
    tracing::info!(
        port = app.port(),
        "bazaar listening on {scheme}://{}:{}",
        addr.ip(),
        app.port()
    );
    if let Some(metrics) = app.metrics_addr() {
        tracing::info!("metrics on http://{metrics}/metrics");
    }
    app.run_until_stopped(shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}

fn plugin(command: PluginCommand) -> anyhow::Result<()> {
    let runtime = Runtime::new(RuntimeConfig {
        max_instances: 4,
        ..RuntimeConfig::default()
    })?;
    match command {
        PluginCommand::Check { file } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let plugin = runtime
                .load(&bytes)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let report = crate::api::plugin_report(&plugin, runtime.limits());
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        PluginCommand::Call {
            file,
            world,
            function,
            input,
            now_ms,
            seed,
            config,
            fuel,
            timeout_ms,
            json,
            save_case,
        } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let plugin = runtime
                .load(&bytes)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let Some(world) = World::parse(&world) else {
                bail!("unknown world `{world}`; expected lifecycle, metering, pricing or review");
            };
            let input_text = match input.strip_prefix('@') {
                Some(path) => {
                    std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?
                }
                None => input,
            };
            let input: serde_json::Value =
                serde_json::from_str(&input_text).context("--input is not valid JSON")?;
            let now_ms = now_ms.unwrap_or_else(now_millis);
            let seed = seed.unwrap_or_else(rand::random);
            let config = config.into_iter().collect::<BTreeMap<_, _>>();
            let ctx = CallContext {
                now_ms,
                seed,
                config: config.clone(),
                kv: Arc::new(MemoryKv::new()),
            };
            let budget = CallBudget {
                fuel,
                timeout_ms,
                memory_bytes: None,
            };
            let result = runtime.call(&plugin, world, &function, &input, ctx, &budget);
            if let (Some(path), Ok(outcome)) = (&save_case, &result) {
                let case = crate::cases::Case {
                    id: None,
                    name: None,
                    plugin: plugin.sha256.clone(),
                    world: world.interface().to_string(),
                    function: function.clone(),
                    scenario: Some(crate::cases::scenario(&function, &input)),
                    input: input.clone(),
                    now_ms,
                    seed,
                    config,
                    transcript: outcome.transcript.clone(),
                    expected: outcome.output.clone(),
                };
                let file = crate::cases::CaseFile::new(vec![case]);
                std::fs::write(path, serde_json::to_string_pretty(&file)?)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            match result {
                Ok(outcome) if json => {
                    let mut v = serde_json::to_value(&outcome)?;
                    v["now-ms"] = now_ms.into();
                    v["seed"] = seed.into();
                    println!("{}", serde_json::to_string_pretty(&v)?);
                    Ok(())
                }
                Ok(outcome) => {
                    println!("output: {}", serde_json::to_string_pretty(&outcome.output)?);
                    for line in &outcome.logs {
                        println!("log [{}] {}", line.level, line.message);
                    }
                    println!("host calls: {}", outcome.transcript.len());
                    for (i, call) in outcome.transcript.iter().enumerate() {
                        println!("  [{i}] {}", serde_json::to_string(call)?);
                    }
                    println!("kv writes: {}", outcome.kv_writes.len());
                    println!("fuel used: {}", outcome.fuel_used);
                    println!("duration: {:.3} ms", outcome.duration_us as f64 / 1e3);
                    println!("now-ms: {now_ms}  seed: {seed}");
                    Ok(())
                }
                Err(failure) => {
                    if json {
                        eprintln!("{}", serde_json::to_string_pretty(&failure)?);
                    } else {
                        for line in &failure.logs {
                            eprintln!("log [{}] {}", line.level, line.message);
                        }
                        eprintln!("fuel used: {}", failure.fuel_used);
                    }
                    bail!("call failed: {}", failure.error)
                }
            }
        }
    }
}

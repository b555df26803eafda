//! `lifecycle.create-instance` through the plugin runtime versus the same
//! logic served natively as an HTTPS callback, the way a KooGallery seller
//! serves it today.
//!
//! - `runtime/create-instance`: one [`Runtime::call`] of `saas_lifecycle`'s
//!   `create-instance` per iteration (a fresh store and instance each time),
//!   a distinct order id and seed per iteration, and the call's key-value
//!   writes committed to a [`MemoryKv`] as the host does after a successful
//!   call.
//! - `https/create-instance`: the same logic written natively in Rust, served
//!   by hyper 1 (HTTP/1.1) over tokio-rustls (TLS 1.3, self-signed rcgen
//!   certificate) on 127.0.0.1, server on its own thread, called through one
//!   kept-alive hyper client connection reused for every iteration. No
//!   request signing (KooGallery requires HMAC-SHA256 on both directions;
//!   leaving it out makes the baseline faster, the ratio conservative).
//! - `https-one-thread/create-instance`: the same, with client and server on
//!   one tokio thread (no cross-thread wake-ups; usually the faster baseline).
//! - `native/create-instance`: the native logic alone, JSON in and out, no
//!   transport: the floor under both.
//! - `runtime/instantiate-only`: what instantiating `saas_lifecycle` alone
//!   costs in an engine configured like the runtime's (pooling allocator,
//!   fuel, epochs), a fresh store per iteration: where a runtime call's time
//!   goes. `runtime/instantiate-only-keep-resident`: the same with the
//!   pooling allocator keeping recycled slots' pages resident.
//!
//! Run: `cargo bench -p bazaar-host --bench create_instance`.

mod common;

use bazaar_host::runtime::{CallBudget, MemoryKv, Runtime, RuntimeConfig, World};
use bytes::Bytes;
use criterion::Criterion;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore, ServerConfig};
use tokio_rustls::{TlsAcceptor, TlsConnector};

// ---------------------------------------------------------------------------
// The native seller service: what `plugins/saas-lifecycle` does, in Rust.

/// `lifecycle.subscription`, as JSON with the WIT's kebab-case field names.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[allow(dead_code)] // parsed like a real callback would, not all used
struct Subscription {
    order_id: String,
    customer_id: String,
    customer_name: String,
    product_id: String,
    sku_code: String,
    billing_mode: BillingMode,
    attributes: Vec<Attribute>,
    quantity: Decimal,
    period_count: u32,
    trial: bool,
    expires_at: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum BillingMode {
    Monthly,
    Yearly,
    OneTime,
    PayPerUse,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Attribute {
    code: String,
    value: String,
}

/// The callback's request body: the plugin's input plus the seed the
/// runtime would have put in the call context.
#[derive(Deserialize)]
struct CreateRequest {
    subscription: Subscription,
    seed: u64,
}

/// `lifecycle.provisioned`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
struct Provisioned {
    instance_id: String,
    app: AppInfo,
}

/// `lifecycle.app-info`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
struct AppInfo {
    frontend_url: String,
    admin_url: Option<String>,
    username: String,
    password: String,
    memo: Option<String>,
}

/// `types.plugin-error`, as far as create-instance uses it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
enum PluginError {
    Refused(String),
    InvalidInput { field: String, message: String },
}

/// The answer, shaped like the runtime's JSON for a WIT `result`.
#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
enum CreateResult {
    Ok(Provisioned),
    Err(PluginError),
}

/// What the plugin keeps under `instance/<id>`.
#[derive(Clone)]
struct InstanceRecord {
    instance_id: String,
    order_id: String,
    expires_at: Option<i64>,
    sku: String,
    quantity: Decimal,
    trial: bool,
    frontend_url: String,
    username: String,
    password: String,
}

const PASSWORD_ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const PASSWORD_LEN: usize = 16;
const BASE_URL: &str = "https://app.example.com";

#[derive(Default)]
struct State {
    /// Order id → record: a repeated order answers from here.
    orders: HashMap<String, InstanceRecord>,
    /// Instance ids handed out, to redraw on a collision.
    instances: HashSet<String>,
}

/// The seller's service state.
#[derive(Default)]
struct NativeService {
    state: Mutex<State>,
}

impl NativeService {
    /// `create-instance`: the same steps as the plugin (idempotency lookup,
    /// quantity check, id and password from a ChaCha20 generator seeded for
    /// this request, record kept, `provisioned` built with its memo).
    fn create_instance(&self, sub: Subscription, seed: u64) -> CreateResult {
        let mut logs = vec![format!("create-instance for order {}", sub.order_id)];
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(record) = state.orders.get(&sub.order_id) {
            logs.push(format!(
                "order already provisioned as {}",
                record.instance_id
            ));
            return CreateResult::Ok(provisioned(record));
        }
        if sub.quantity <= Decimal::ZERO {
            return CreateResult::Err(PluginError::InvalidInput {
                field: "subscription.quantity".into(),
                message: "must be positive".into(),
            });
        }
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let mut instance_id = None;
        for _ in 0..4 {
            let mut bytes = [0u8; 8];
            rng.fill_bytes(&mut bytes);
            let mut id = String::from("inst-");
            for b in bytes {
                id.push_str(&format!("{b:02x}"));
            }
            if !state.instances.contains(&id) {
                instance_id = Some(id);
                break;
            }
        }
        let Some(instance_id) = instance_id else {
            return CreateResult::Err(PluginError::Refused(
                "could not draw an unused instance id".into(),
            ));
        };
        let record = InstanceRecord {
            frontend_url: format!("{BASE_URL}/t/{instance_id}"),
            instance_id,
            order_id: sub.order_id,
            expires_at: sub.expires_at,
            sku: sub.sku_code,
            quantity: sub.quantity,
            trial: sub.trial,
            username: "admin".into(),
            password: password(&mut rng),
        };
        state.instances.insert(record.instance_id.clone());
        state.orders.insert(record.order_id.clone(), record.clone());
        black_box((
            &logs,
            record.expires_at,
            &record.sku,
            record.quantity,
            record.trial,
        ));
        CreateResult::Ok(provisioned(&record))
    }

    /// The whole callback minus transport: JSON body in, JSON body out.
    fn handle(&self, body: &[u8]) -> Vec<u8> {
        let result = match serde_json::from_slice::<CreateRequest>(body) {
            Ok(req) => self.create_instance(req.subscription, req.seed),
            Err(e) => CreateResult::Err(PluginError::InvalidInput {
                field: String::new(),
                message: e.to_string(),
            }),
        };
        serde_json::to_vec(&result).expect("serialising a response")
    }
}

/// 16 characters of the plugin's alphabet by rejection sampling.
fn password(rng: &mut ChaCha20Rng) -> String {
    let n = PASSWORD_ALPHABET.len();
    let limit = 256 - 256 % n;
    let mut out = String::with_capacity(PASSWORD_LEN);
    while out.len() < PASSWORD_LEN {
        let mut bytes = [0u8; PASSWORD_LEN * 2];
        rng.fill_bytes(&mut bytes);
        out.extend(
            bytes
                .iter()
                .map(|&b| usize::from(b))
                .filter(|&b| b < limit)
                .map(|b| char::from(PASSWORD_ALPHABET[b % n])),
        );
        out.truncate(PASSWORD_LEN);
    }
    out
}

fn provisioned(record: &InstanceRecord) -> Provisioned {
    Provisioned {
        instance_id: record.instance_id.clone(),
        app: AppInfo {
            frontend_url: record.frontend_url.clone(),
            admin_url: None,
            username: record.username.clone(),
            password: record.password.clone(),
            memo: Some(format!(
                "Instance {} for order {}. Change the password after the first login.",
                record.instance_id, record.order_id
            )),
        },
    }
}

// ---------------------------------------------------------------------------
// HTTPS transport: hyper 1 over tokio-rustls on loopback.

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A self-signed certificate for `localhost`, and the TLS configurations of
/// both ends (the client trusts exactly that certificate).
fn tls_configs() -> (Arc<ServerConfig>, Arc<ClientConfig>) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])
        .expect("generating a self-signed certificate");
    let cert: CertificateDer<'static> = certified.cert.der().clone();
    let key =
        PrivateKeyDer::try_from(certified.signing_key.serialize_der()).expect("the generated key");
    let server = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .expect("server certificate");
    let mut roots = RootCertStore::empty();
    roots.add(cert).expect("trusting the certificate");
    let client = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    (Arc::new(server), Arc::new(client))
}

/// Accepts TLS connections on `listener` and serves `create-instance` on each.
async fn serve(listener: TcpListener, acceptor: TlsAcceptor, service: Arc<NativeService>) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            return;
        };
        tcp.set_nodelay(true).expect("TCP_NODELAY");
        let acceptor = acceptor.clone();
        let service = service.clone();
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
                let service = service.clone();
                async move {
                    let body = req.into_body().collect().await?.to_bytes();
                    let out = service.handle(&body);
                    Ok::<_, hyper::Error>(
                        Response::builder()
                            .header("content-type", "application/json")
                            .body(Full::new(Bytes::from(out)))
                            .expect("a response"),
                    )
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tls), svc)
                .await;
        });
    }
}

/// One kept-alive HTTPS connection to a native `create-instance` callback.
struct HttpsClient {
    rt: tokio::runtime::Runtime,
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    /// Keeps the server's runtime (and thread) alive when it has its own.
    _server_rt: Option<tokio::runtime::Runtime>,
}

impl HttpsClient {
    /// Starts the server (on its own thread, or on the client's thread when
    /// `one_thread`), connects and completes the TLS handshake.
    fn start(one_thread: bool) -> Self {
        let (server_tls, client_tls) = tls_configs();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("client runtime");
        let server_rt = (!one_thread).then(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("server runtime")
        });
        let server_handle = server_rt
            .as_ref()
            .map(|r| r.handle().clone())
            .unwrap_or_else(|| rt.handle().clone());
        let listener = server_handle.block_on(async {
            TcpListener::bind("127.0.0.1:0")
                .await
                .expect("binding 127.0.0.1:0")
        });
        let addr: SocketAddr = listener.local_addr().expect("local address");
        server_handle.spawn(serve(
            listener,
            TlsAcceptor::from(server_tls),
            Arc::new(NativeService::default()),
        ));
        let sender = rt.block_on(async {
            let tcp = TcpStream::connect(addr).await.expect("connecting");
            tcp.set_nodelay(true).expect("TCP_NODELAY");
            let tls = TlsConnector::from(client_tls)
                .connect(ServerName::try_from("localhost").expect("name"), tcp)
                .await
                .expect("TLS handshake");
            let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
                .await
                .expect("HTTP handshake");
            tokio::spawn(async move {
                let _ = conn.await;
            });
            sender
        });
        Self {
            rt,
            sender,
            _server_rt: server_rt,
        }
    }

    /// One `create-instance` callback on the kept-alive connection.
    fn create(&mut self, order_id: &str, seed: u64) -> Value {
        let mut input = common::create_input(order_id);
        input["seed"] = Value::from(seed);
        let body = serde_json::to_vec(&input).expect("request body");
        let req = Request::post("/create-instance")
            .header("host", "localhost")
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .expect("a request");
        let sender = &mut self.sender;
        self.rt.block_on(async move {
            sender.ready().await.expect("connection ready");
            let res = sender.send_request(req).await.expect("a response");
            assert_eq!(res.status(), 200);
            let bytes = res
                .into_body()
                .collect()
                .await
                .expect("the body")
                .to_bytes();
            serde_json::from_slice(&bytes).expect("JSON")
        })
    }
}

// ---------------------------------------------------------------------------
// The runtime side.

/// One `create-instance` through the runtime, committing its writes.
/// [`runtime_create`] through the typed `Runtime::call_create_instance`;
/// the answer as the same JSON, for the same check.
fn runtime_create_typed(
    runtime: &Runtime,
    plugin: &bazaar_host::runtime::Plugin,
    kv: &MemoryKv,
    order_id: &str,
    seed: u64,
) -> Value {
    let outcome = runtime
        .call_create_instance(
            plugin,
            &common::typed_subscription(order_id),
            common::context(kv, seed),
            &CallBudget::default(),
        )
        .expect("create-instance succeeds");
    let writes: Vec<_> = outcome
        .kv_writes
        .iter()
        .map(|w| (w.key.clone(), w.value.clone()))
        .collect();
    bazaar_host::runtime::KvStore::commit(kv, &writes).expect("committing the writes");
    outcome.output_json()
}

fn runtime_create(
    runtime: &Runtime,
    plugin: &bazaar_host::runtime::Plugin,
    kv: &MemoryKv,
    order_id: &str,
    seed: u64,
) -> Value {
    let outcome = runtime
        .call(
            plugin,
            World::Lifecycle,
            "create-instance",
            &common::create_input(order_id),
            common::context(kv, seed),
            &CallBudget::default(),
        )
        .expect("create-instance succeeds");
    let writes: Vec<_> = outcome
        .kv_writes
        .into_iter()
        .map(|w| (w.key, w.value))
        .collect();
    bazaar_host::runtime::KvStore::commit(kv, &writes).expect("committing the writes");
    outcome.output
}

/// Instantiation alone, in an engine configured like the runtime's.
mod instantiate_only {
    use wasmtime::component::{Component, InstancePre, Linker, ResourceTable};
    use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store};
    use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

    pub struct State {
        wasi: WasiCtx,
        table: ResourceTable,
    }

    impl WasiView for State {
        fn ctx(&mut self) -> WasiCtxView<'_> {
            WasiCtxView {
                ctx: &mut self.wasi,
                table: &mut self.table,
            }
        }
    }

    /// The runtime's engine settings (`host/src/runtime.rs`, default limits);
    /// with `keep_resident`, recycled slots keep 2 MiB of memory and their
    /// tables resident (reset with memset instead of `madvise`).
    pub fn engine(keep_resident: bool) -> Engine {
        let n = 128;
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(n)
            .total_core_instances(n * 32)
            .max_core_instances_per_component(64)
            .total_memories(n * 4)
            .max_memories_per_component(8)
            .total_tables(n * 16)
            .max_tables_per_component(32)
            .table_elements(200_000)
            .max_core_instance_size(4 << 20)
            .max_component_instance_size(4 << 20)
            .max_memory_size(128 << 20);
        if keep_resident {
            pool.linear_memory_keep_resident(2 << 20)
                .table_keep_resident(64 << 10);
        }
        let mut c = Config::new();
        c.wasm_component_model(true)
            .consume_fuel(true)
            .epoch_interruption(true)
            .max_wasm_stack(1 << 20)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        Engine::new(&c).expect("engine")
    }

    /// `bytes` compiled and pre-linked against WASI, the Bazaar imports
    /// defined as traps (instantiation never calls them).
    pub fn pre(engine: &Engine, bytes: &[u8]) -> InstancePre<State> {
        let component = Component::new(engine, bytes).expect("compiling");
        let mut linker = Linker::new(engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).expect("WASI");
        linker
            .define_unknown_imports_as_traps(&component)
            .expect("trap imports");
        linker
            .instantiate_pre(&component)
            .expect("pre-instantiating")
    }

    /// A fresh store with fuel and a deadline, and an instance in it.
    pub fn instantiate(engine: &Engine, pre: &InstancePre<State>) {
        let mut store = Store::new(
            engine,
            State {
                wasi: WasiCtx::builder().build(),
                table: ResourceTable::new(),
            },
        );
        store.set_fuel(2_000_000_000).expect("fuel");
        store.set_epoch_deadline(1_000_000);
        let instance = pre.instantiate(&mut store).expect("instantiating");
        std::hint::black_box(instance);
    }
}

// ---------------------------------------------------------------------------

fn assert_provisioned(output: &Value) {
    let id = output["ok"]["instance-id"].as_str().unwrap_or_default();
    assert!(
        id.len() == 21 && id.starts_with("inst-"),
        "unexpected output {output}"
    );
}

fn benches(c: &mut Criterion) {
    let runtime = common::runtime();
    let plugin = runtime
        .load(&common::plugin_bytes("saas_lifecycle"))
        .expect("loading saas_lifecycle");
    let kv = MemoryKv::new();

    // Where a runtime call's time goes, from the runtime's own accounting.
    if common::benchmarking() {
        let n = 2_000u64;
        let (mut inside_us, mut fuel, mut host_calls) = (0u64, 0u64, 0usize);
        let started = Instant::now();
        for i in 0..n {
            let out = runtime
                .call(
                    &plugin,
                    World::Lifecycle,
                    "create-instance",
                    &common::create_input(&format!("probe-{i}")),
                    common::context(&MemoryKv::new(), i),
                    &CallBudget::default(),
                )
                .expect("create-instance");
            inside_us += out.duration_us;
            fuel += out.fuel_used;
            host_calls += out.transcript.len();
        }
        let total = started.elapsed();
        println!(
            "probe: {n} runtime calls: {:.1} us/call end to end, {:.1} us/call instantiate+call \
             (CallOutcome.duration_us), {} fuel/call, {} host calls/call",
            total.as_secs_f64() * 1e6 / n as f64,
            inside_us as f64 / n as f64,
            fuel / n,
            host_calls as f64 / n as f64,
        );
    }

    let mut group = c.benchmark_group("runtime");
    let mut i = 0u64;
    group.bench_function("create-instance", |b| {
        b.iter(|| {
            i += 1;
            let out = runtime_create(&runtime, &plugin, &kv, &format!("order-{i}"), i);
            assert_provisioned(&out);
            out
        })
    });
    // The same call through the typed binding (no JSON in, typed answer out;
    // the JSON shown here only for the check).
    let mut i = 0u64;
    group.bench_function("create-instance-typed", |b| {
        b.iter(|| {
            i += 1;
            let out = runtime_create_typed(&runtime, &plugin, &kv, &format!("typed-{i}"), i);
            assert_provisioned(&out);
            out
        })
    });
    // The same call with the first bytes of memory and tables kept mapped
    // between calls (zeroed in place rather than decommitted and faulted in).
    for kib in [0usize, 64, 1024] {
        let runtime = Runtime::new(RuntimeConfig {
            keep_resident_bytes: kib << 10,
            ..RuntimeConfig::default()
        })
        .expect("runtime");
        let plugin = runtime
            .load(&common::plugin_bytes("saas_lifecycle"))
            .expect("loading saas_lifecycle");
        let kv = MemoryKv::new();
        let mut i = 0u64;
        group.bench_function(format!("create-instance-keep-resident-{kib}k"), |b| {
            b.iter(|| {
                i += 1;
                let out = runtime_create(&runtime, &plugin, &kv, &format!("order-{i}"), i);
                assert_provisioned(&out);
                out
            })
        });
    }
    for (name, keep_resident) in [
        ("instantiate-only", false),
        ("instantiate-only-keep-resident", true),
    ] {
        let engine = instantiate_only::engine(keep_resident);
        let pre = instantiate_only::pre(&engine, &common::plugin_bytes("saas_lifecycle"));
        group.bench_function(name, |b| {
            b.iter(|| instantiate_only::instantiate(&engine, &pre))
        });
    }
    group.finish();

    let native = NativeService::default();
    let mut i = 0u64;
    c.benchmark_group("native")
        .bench_function("create-instance", |b| {
            b.iter(|| {
                i += 1;
                let mut input = common::create_input(&format!("order-{i}"));
                input["seed"] = Value::from(i);
                let body = serde_json::to_vec(&input).expect("body");
                let out: Value = serde_json::from_slice(&native.handle(&body)).expect("JSON");
                assert_provisioned(&out);
                out
            })
        });

    for (name, one_thread) in [("https", false), ("https-one-thread", true)] {
        let mut client = HttpsClient::start(one_thread);
        let mut i = 0u64;
        c.benchmark_group(name)
            .bench_function("create-instance", |b| {
                b.iter(|| {
                    i += 1;
                    let out = client.create(&format!("order-{i}"), i);
                    assert_provisioned(&out);
                    out
                })
            });
    }
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5))
}

fn main() {
    let mut c = config().configure_from_args();
    benches(&mut c);
    c.final_summary();
}

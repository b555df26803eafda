//! `lifecycle.create-instance` through the plugin runtime versus the same
//! logic served natively as an HTTPS callback, the way a KooGallery seller
//! serves it today.
//!
//! - `runtime/create-instance`: one [`Runtime::call`] of `saas_lifecycle`'s
//!   `create-instance` per iteration (a fresh store and instance each time),
//!   a distinct order id and seed per iteration, and the call's key-value
//!   writes committed to a [`MemoryKv`] as the host does after a successful
//!   call. `runtime/create-instance-counted-kv`: the same against a store
//!   whose quota usage is a running total ([`common::CountedKv`]), as the
//!   host's database keeps it, instead of `MemoryKv`'s sum over its whole,
//!   ever-growing map on each call that writes.
//! - `https/create-instance`: the same logic written natively in Rust, served
//!   by hyper 1 (HTTP/1.1) over tokio-rustls (TLS 1.3, self-signed rcgen
//!   certificate) on 127.0.0.1, server on its own thread, called through one
//!   kept-alive hyper client connection reused for every iteration. No
//!   request signing.
//! - `https-one-thread/create-instance`: the same, with client and server on
//!   one tokio thread (no cross-thread wake-ups; usually the faster baseline).
//! - `https-signed/create-instance` (and `-one-thread`): the kept-alive
//!   connection, with HMAC-SHA256 signatures on both directions as
//!   KooGallery's access guide asks for: the client sends `X-Timestamp`
//!   (ms), `X-Nonce` (16 random bytes, hex) and `X-Signature` =
//!   hex(HMAC-SHA256(key, timestamp + "\n" + nonce + "\n" + body)); the
//!   server checks the timestamp is within 5 minutes, refuses a nonce seen
//!   before, verifies the signature in constant time, and signs its answer
//!   the same way (its own timestamp, the request's nonce); the client
//!   verifies that before the iteration ends.
//! - `https-new-connection/create-instance`: unsigned, but a new TCP
//!   connection and a full TLS 1.3 handshake per call (`Connection: close`),
//!   the server on its own thread.
//! - `https-new-connection-signed/create-instance` (and `-one-thread`): a new
//!   connection per call and the signatures: what a marketplace callback
//!   costs when the connection is new, as it is more often than not. No TLS
//!   session resumption: the client's resumption is disabled, the server
//!   issues no tickets, and every handshake is asserted to be a full one.
//! - `native/create-instance`: the native logic alone, JSON in and out, no
//!   transport: the floor under all of them.
//! - `runtime/instantiate-only`: what instantiating `saas_lifecycle` alone
//!   costs in an engine configured like the runtime's (pooling allocator,
//!   fuel, epochs), a fresh store per iteration: where a runtime call's time
//!   goes. `runtime/instantiate-only-keep-resident`: the same with the
//!   pooling allocator keeping recycled slots' pages resident.
//!
//! Every HTTPS server is on 127.0.0.1: no internet round trip is counted.
//!
//! Run: `cargo bench -p bazaar-host --bench create_instance`.

mod common;

use bazaar_host::runtime::{CallBudget, KvStore, MemoryKv, Runtime, RuntimeConfig, World};
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
/// both ends (TLS 1.3 only; the client trusts exactly that certificate).
/// With `fresh_handshakes`, nothing can be resumed: the client keeps no
/// sessions and the server issues no tickets (which also spares the
/// baseline the tickets' cost, keeping the ratio conservative).
fn tls_configs(fresh_handshakes: bool) -> (Arc<ServerConfig>, Arc<ClientConfig>) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])
        .expect("generating a self-signed certificate");
    let cert: CertificateDer<'static> = certified.cert.der().clone();
    let key =
        PrivateKeyDer::try_from(certified.signing_key.serialize_der()).expect("the generated key");
    let mut server = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .expect("server certificate");
    let mut roots = RootCertStore::empty();
    roots.add(cert).expect("trusting the certificate");
    let mut client = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    if fresh_handshakes {
        client.resumption = rustls::client::Resumption::disabled();
        server.send_tls13_tickets = 0;
        server.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
    }
    (Arc::new(server), Arc::new(client))
}

/// HMAC-SHA256 signing of bodies, both directions, with one shared key.
mod signing {
    use hmac::{Hmac, Mac};
    use sha2::Sha256;
    use std::collections::HashSet;
    use std::sync::Mutex;
    use std::time::{SystemTime, UNIX_EPOCH};

    pub const TIMESTAMP: &str = "x-timestamp";
    pub const NONCE: &str = "x-nonce";
    pub const SIGNATURE: &str = "x-signature";

    /// How far a request's timestamp may be from the server's clock.
    const WINDOW_MS: i64 = 5 * 60 * 1000;

    /// The key, set up once: cloning a keyed HMAC skips hashing the key
    /// again per message (the baseline as fast as it can reasonably be).
    pub struct Signer {
        keyed: Hmac<Sha256>,
        /// Nonces already accepted, so a captured request cannot be replayed
        /// inside the window (a real server would expire them with it).
        seen: Mutex<HashSet<String>>,
    }

    /// Why a signed message was refused.
    #[derive(Debug)]
    pub enum Refused {
        Missing(&'static str),
        Stale,
        Replayed,
        BadSignature,
    }

    impl std::fmt::Display for Refused {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            match self {
                Refused::Missing(header) => write!(f, "no {header} header"),
                Refused::Stale => f.write_str("timestamp outside the window"),
                Refused::Replayed => f.write_str("nonce already used"),
                Refused::BadSignature => f.write_str("bad signature"),
            }
        }
    }

    pub fn now_ms() -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
    }

    impl Signer {
        pub fn new(key: &[u8]) -> Self {
            Self {
                keyed: Hmac::new_from_slice(key).expect("HMAC takes a key of any length"),
                seen: Mutex::new(HashSet::new()),
            }
        }

        fn mac(&self, timestamp: &str, nonce: &str, body: &[u8]) -> Hmac<Sha256> {
            let mut mac = self.keyed.clone();
            mac.update(timestamp.as_bytes());
            mac.update(b"\n");
            mac.update(nonce.as_bytes());
            mac.update(b"\n");
            mac.update(body);
            mac
        }

        /// hex(HMAC(key, timestamp + "\n" + nonce + "\n" + body)).
        pub fn sign(&self, timestamp: &str, nonce: &str, body: &[u8]) -> String {
            hex::encode(self.mac(timestamp, nonce, body).finalize().into_bytes())
        }

        /// Checks `signature` over the message in constant time.
        pub fn verify(
            &self,
            timestamp: &str,
            nonce: &str,
            body: &[u8],
            signature: &str,
        ) -> Result<(), Refused> {
            let tag = hex::decode(signature).map_err(|_| Refused::BadSignature)?;
            self.mac(timestamp, nonce, body)
                .verify_slice(&tag)
                .map_err(|_| Refused::BadSignature)
        }

        /// The server's check of a request: fresh, never seen, and signed.
        /// The nonce is recorded only once the signature holds, so forged
        /// requests cannot use up a real client's nonces.
        pub fn verify_request(
            &self,
            timestamp: Option<&str>,
            nonce: Option<&str>,
            body: &[u8],
            signature: Option<&str>,
        ) -> Result<(), Refused> {
            let timestamp = timestamp.ok_or(Refused::Missing(TIMESTAMP))?;
            let nonce = nonce.ok_or(Refused::Missing(NONCE))?;
            let signature = signature.ok_or(Refused::Missing(SIGNATURE))?;
            let at: i64 = timestamp.parse().map_err(|_| Refused::Stale)?;
            if (now_ms() - at).abs() > WINDOW_MS {
                return Err(Refused::Stale);
            }
            self.verify(timestamp, nonce, body, signature)?;
            let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            if !seen.insert(nonce.to_string()) {
                return Err(Refused::Replayed);
            }
            Ok(())
        }
    }
}

/// The key both ends share (in real life, given to the seller by the
/// marketplace out of band).
const SIGNING_KEY: &[u8] = b"bench-shared-key-0123456789abcdef";

fn header<'a>(headers: &'a hyper::HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Accepts TLS connections on `listener` and serves `create-instance` on
/// each; with `signer`, requests must be signed and answers are.
async fn serve(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    service: Arc<NativeService>,
    signer: Option<Arc<signing::Signer>>,
) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            return;
        };
        tcp.set_nodelay(true).expect("TCP_NODELAY");
        let acceptor = acceptor.clone();
        let service = service.clone();
        let signer = signer.clone();
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
                let service = service.clone();
                let signer = signer.clone();
                async move {
                    let (parts, body) = req.into_parts();
                    let body = body.collect().await?.to_bytes();
                    let response = Response::builder().header("content-type", "application/json");
                    let Some(signer) = signer else {
                        let out = service.handle(&body);
                        return Ok::<_, hyper::Error>(
                            response
                                .body(Full::new(Bytes::from(out)))
                                .expect("a response"),
                        );
                    };
                    let nonce = header(&parts.headers, signing::NONCE);
                    if let Err(e) = signer.verify_request(
                        header(&parts.headers, signing::TIMESTAMP),
                        nonce,
                        &body,
                        header(&parts.headers, signing::SIGNATURE),
                    ) {
                        return Ok(response
                            .status(401)
                            .body(Full::new(Bytes::from(e.to_string())))
                            .expect("a response"));
                    }
                    let nonce = nonce.unwrap_or_default();
                    let out = service.handle(&body);
                    let timestamp = signing::now_ms().to_string();
                    let signature = signer.sign(&timestamp, nonce, &out);
                    Ok(response
                        .header(signing::TIMESTAMP, timestamp)
                        .header(signing::NONCE, nonce)
                        .header(signing::SIGNATURE, signature)
                        .body(Full::new(Bytes::from(out)))
                        .expect("a response"))
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tls), svc)
                .await;
        });
    }
}

/// How a bench's client reaches the native callback.
#[derive(Clone, Copy)]
struct Transport {
    /// Client and server tasks on one tokio thread.
    one_thread: bool,
    /// A new TCP connection and full TLS handshake per call, instead of one
    /// kept-alive connection.
    new_connection: bool,
    /// HMAC-SHA256 signatures on the request and the response.
    signed: bool,
}

/// A client of a native `create-instance` callback over HTTPS.
struct HttpsClient {
    rt: tokio::runtime::Runtime,
    transport: Transport,
    addr: SocketAddr,
    connector: TlsConnector,
    /// The kept-alive connection, when the transport keeps one.
    sender: Option<hyper::client::conn::http1::SendRequest<Full<Bytes>>>,
    signer: Option<signing::Signer>,
    /// Where request nonces come from.
    nonces: ChaCha20Rng,
    /// Keeps the server's runtime (and thread) alive when it has its own.
    _server_rt: Option<tokio::runtime::Runtime>,
}

/// Connects to `addr`: TCP, a TLS 1.3 handshake, and the HTTP/1.1 handshake
/// (the connection driven by a task of its own).
async fn connect(
    connector: &TlsConnector,
    addr: SocketAddr,
) -> hyper::client::conn::http1::SendRequest<Full<Bytes>> {
    let tcp = TcpStream::connect(addr).await.expect("connecting");
    tcp.set_nodelay(true).expect("TCP_NODELAY");
    let tls = connector
        .connect(ServerName::try_from("localhost").expect("name"), tcp)
        .await
        .expect("TLS handshake");
    let (_, session) = tls.get_ref();
    // The point of a new connection is a full handshake: fail rather than
    // measure a resumed one.
    assert_eq!(
        session.handshake_kind(),
        Some(rustls::HandshakeKind::Full),
        "a resumed TLS session"
    );
    assert_eq!(
        session.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_3)
    );
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .expect("HTTP handshake");
    tokio::spawn(async move {
        let _ = conn.await;
    });
    sender
}

impl HttpsClient {
    /// Starts the server (on its own thread, or on the client's thread), and
    /// for a kept-alive transport connects once.
    fn start(transport: Transport) -> Self {
        let (server_tls, client_tls) = tls_configs(transport.new_connection);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("client runtime");
        let server_rt = (!transport.one_thread).then(|| {
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
            transport
                .signed
                .then(|| Arc::new(signing::Signer::new(SIGNING_KEY))),
        ));
        let connector = TlsConnector::from(client_tls);
        let sender = (!transport.new_connection).then(|| rt.block_on(connect(&connector, addr)));
        Self {
            rt,
            transport,
            addr,
            connector,
            sender,
            signer: transport.signed.then(|| signing::Signer::new(SIGNING_KEY)),
            nonces: ChaCha20Rng::from_seed(rand::random()),
            _server_rt: server_rt,
        }
    }

    /// One `create-instance` callback; with signing, the answer's signature
    /// is checked before it is parsed.
    fn create(&mut self, order_id: &str, seed: u64) -> Value {
        let mut input = common::create_input(order_id);
        input["seed"] = Value::from(seed);
        let body = serde_json::to_vec(&input).expect("request body");
        let mut req = Request::post("/create-instance")
            .header("host", "localhost")
            .header("content-type", "application/json");
        if self.transport.new_connection {
            req = req.header("connection", "close");
        }
        let mut nonce = String::new();
        if let Some(signer) = &self.signer {
            let mut bytes = [0u8; 16];
            self.nonces.fill_bytes(&mut bytes);
            nonce = hex::encode(bytes);
            let timestamp = signing::now_ms().to_string();
            let signature = signer.sign(&timestamp, &nonce, &body);
            req = req
                .header(signing::TIMESTAMP, timestamp)
                .header(signing::NONCE, &nonce)
                .header(signing::SIGNATURE, signature);
        }
        let req = req.body(Full::new(Bytes::from(body))).expect("a request");
        let (connector, addr, kept) = (&self.connector, self.addr, &mut self.sender);
        let signer = self.signer.as_ref();
        self.rt.block_on(async move {
            let mut fresh;
            let sender = match kept {
                Some(sender) => sender,
                None => {
                    fresh = connect(connector, addr).await;
                    &mut fresh
                }
            };
            sender.ready().await.expect("connection ready");
            let res = sender.send_request(req).await.expect("a response");
            assert_eq!(res.status(), 200);
            let (parts, body) = res.into_parts();
            let bytes = body.collect().await.expect("the body").to_bytes();
            if let Some(signer) = signer {
                assert_eq!(header(&parts.headers, signing::NONCE), Some(nonce.as_str()));
                signer
                    .verify(
                        header(&parts.headers, signing::TIMESTAMP).expect("a timestamp"),
                        &nonce,
                        &bytes,
                        header(&parts.headers, signing::SIGNATURE).expect("a signature"),
                    )
                    .expect("a correctly signed answer");
            }
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
    let output = outcome.output_json();
    common::commit(kv, outcome.kv_writes);
    output
}

fn runtime_create(
    runtime: &Runtime,
    plugin: &bazaar_host::runtime::Plugin,
    kv: &MemoryKv,
    order_id: &str,
    seed: u64,
) -> Value {
    runtime_create_in(
        runtime,
        plugin,
        &(Arc::new(kv.clone()) as _),
        order_id,
        seed,
    )
}

/// [`runtime_create`] against any store.
fn runtime_create_in(
    runtime: &Runtime,
    plugin: &bazaar_host::runtime::Plugin,
    kv: &Arc<dyn KvStore>,
    order_id: &str,
    seed: u64,
) -> Value {
    let outcome = runtime
        .call(
            plugin,
            World::Lifecycle,
            "create-instance",
            &common::create_input(order_id),
            common::context_in(kv.clone(), seed),
            &CallBudget::default(),
        )
        .expect("create-instance succeeds");
    common::commit(kv.as_ref(), outcome.kv_writes);
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
    // The same call against a store that keeps its quota usage as running
    // totals, as the host's database does: `MemoryKv` sums its whole map on
    // every call that writes, and the map grows by every iteration.
    let counted: Arc<dyn KvStore> = Arc::new(common::CountedKv::default());
    let mut i = 0u64;
    group.bench_function("create-instance-counted-kv", |b| {
        b.iter(|| {
            i += 1;
            let out = runtime_create_in(&runtime, &plugin, &counted, &format!("order-{i}"), i);
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

    let transports = [
        ("https", false, false, false),
        ("https-one-thread", true, false, false),
        ("https-signed", false, false, true),
        ("https-signed-one-thread", true, false, true),
        ("https-new-connection", false, true, false),
        ("https-new-connection-signed", false, true, true),
        ("https-new-connection-signed-one-thread", true, true, true),
    ];
    for (name, one_thread, new_connection, signed) in transports {
        let mut client = HttpsClient::start(Transport {
            one_thread,
            new_connection,
            signed,
        });
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

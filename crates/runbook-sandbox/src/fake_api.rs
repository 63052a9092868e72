//! The fake Muninn Cloud HTTP server: one thread per connection, `Connection: close`.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::api_service::ApiService;
use crate::error::SandboxError;
use crate::health::Health;
use crate::http_request::{RequestError, read_request};
use crate::http_response::HttpResponse;
use crate::recorded_request::RecordedRequest;

/// Version the fake service reports in `/health`, `/metrics` and MCP `initialize`.
pub const VERSION: &str = "0.1.0";

/// How long a connection may stay silent before the server gives up on it.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// How the fake API starts.
#[derive(Debug, Clone, Default)]
pub struct FakeApiConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Health at start; change it later with [`FakeApi::set_health`] or `POST /__control/health`.
    pub health: Health,
    /// When set, authenticated endpoints accept only `Authorization: Bearer <this>`;
    /// otherwise any non-empty bearer token is accepted.
    pub bearer_token: Option<String>,
    /// Appends one JSON object per answered request to this file.
    pub log_path: Option<PathBuf>,
    /// Value of `tenants.db_url`, i.e. what `SELECT db_url FROM tenants` returns.
    /// Defaults to the fake API's own base URL so that a following
    /// `curl -X POST "$DB_URL/dump"` reaches the sandbox again.
    pub tenant_db_url: Option<String>,
}

/// A running fake API; stops accepting connections when dropped.
pub struct FakeApi {
    address: SocketAddr,
    shared: Arc<Shared>,
    accept_thread: Option<JoinHandle<()>>,
}

struct Shared {
    service: ApiService,
    stopping: AtomicBool,
    request_log: Option<Mutex<File>>,
}

impl FakeApi {
    /// Starts the server.
    ///
    /// # Panics
    /// When the port cannot be bound or the log file cannot be opened; this is a
    /// test double and a test cannot proceed without it. Use [`FakeApi::try_start`]
    /// to handle those errors.
    pub fn start(config: FakeApiConfig) -> FakeApi {
        match Self::try_start(config) {
            Ok(api) => api,
            Err(error) => panic!("cannot start the fake Muninn Cloud API: {error}"),
        }
    }

    pub fn try_start(config: FakeApiConfig) -> Result<FakeApi, SandboxError> {
        let requested = SocketAddr::from((Ipv4Addr::LOCALHOST, config.port));
        let listener = TcpListener::bind(requested).map_err(|source| SandboxError::Bind {
            address: requested.to_string(),
            source,
        })?;
        let address = listener.local_addr().map_err(|source| SandboxError::Bind {
            address: requested.to_string(),
            source,
        })?;
        let request_log = match &config.log_path {
            Some(path) => Some(Mutex::new(
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|source| SandboxError::OpenRequestLog {
                        path: path.clone(),
                        source,
                    })?,
            )),
            None => None,
        };
        let base_url = format!("http://{address}");
        let tenant_db_url = config
            .tenant_db_url
            .clone()
            .unwrap_or_else(|| base_url.clone());
        let shared = Arc::new(Shared {
            service: ApiService::new(base_url, config.bearer_token, &tenant_db_url, config.health),
            stopping: AtomicBool::new(false),
            request_log,
        });
        let accept_shared = Arc::clone(&shared);
        let accept_thread = thread::Builder::new()
            .name(format!("fake-api-accept-{}", address.port()))
            .spawn(move || accept_loop(&listener, &accept_shared))
            .map_err(|source| SandboxError::SpawnAcceptThread { source })?;
        Ok(FakeApi {
            address,
            shared,
            accept_thread: Some(accept_thread),
        })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    pub fn health(&self) -> Health {
        self.shared.service.lock().health
    }

    pub fn set_health(&self, health: Health) {
        self.shared.service.lock().health = health;
    }

    /// Every answered request in arrival order, excluding `/__control/` traffic.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.service.lock().requests.clone()
    }
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // Wake the blocking accept() so the loop sees the flag.
        let _ = TcpStream::connect_timeout(&self.address, Duration::from_secs(1));
        if let Some(thread) = self.accept_thread.take() {
            let _ = thread.join();
        }
    }
}

impl std::fmt::Debug for FakeApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeApi")
            .field("address", &self.address)
            .finish()
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else {
            // Transient accept errors (e.g. EMFILE) must not end the server.
            thread::sleep(Duration::from_millis(10));
            continue;
        };
        let connection_shared = Arc::clone(shared);
        // If no thread can be spawned the connection is dropped and the client sees a reset.
        let _ = thread::Builder::new()
            .name("fake-api-connection".into())
            .spawn(move || serve_connection(stream, &connection_shared));
    }
}

fn serve_connection(stream: TcpStream, shared: &Shared) {
    let started = Instant::now();
    let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut writer = stream;
    let request = match read_request(&mut reader, &mut writer) {
        Ok(request) => request,
        Err(RequestError::ConnectionClosed | RequestError::Io(_)) => return,
        Err(error @ RequestError::Malformed(_)) => {
            reject(
                &mut writer,
                &mut reader,
                400,
                "Bad Request",
                &error.to_string(),
            );
            return;
        }
        Err(error @ RequestError::TooLarge(_)) => {
            reject(
                &mut writer,
                &mut reader,
                413,
                "Content Too Large",
                &error.to_string(),
            );
            return;
        }
    };
    let (route, response) = shared.service.respond(&request);
    let include_body = request.method != "HEAD";
    // Record before answering: once the client has its response, `requests()` must show it.
    if !route.is_some_and(|route| route.is_control()) {
        let recorded = RecordedRequest {
            has_auth: request.header("authorization").is_some(),
            method: request.method,
            path: request.path,
            query: request.query,
            headers: request.headers,
            body: request.body,
            status: response.status,
        };
        if let Some(log) = &shared.request_log {
            append_log_line(log, &recorded);
        }
        shared
            .service
            .lock()
            .record(recorded, started.elapsed().as_secs_f64());
    }
    let _ = response.write_to(&mut writer, include_body);
    finish(&mut writer, &mut reader);
}

fn reject<R: Read>(
    writer: &mut TcpStream,
    reader: &mut R,
    status: u16,
    error: &str,
    message: &str,
) {
    let response = HttpResponse::json(status, &json!({"error": error, "message": message}));
    let _ = response.write_to(writer, true);
    finish(writer, reader);
}

/// Half-closes and drains what the client still sends, so the kernel does not
/// answer unread bytes with a reset that would hide our response from curl.
fn finish<R: Read>(writer: &mut TcpStream, reader: &mut R) {
    let _ = writer.flush();
    let _ = writer.shutdown(Shutdown::Write);
    let _ = writer.set_read_timeout(Some(Duration::from_millis(200)));
    let mut sink = [0_u8; 8192];
    let mut drained = 0_usize;
    while drained < 1 << 20 {
        match reader.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(read) => drained += read,
        }
    }
}

fn append_log_line(log: &Mutex<File>, request: &RecordedRequest) {
    let line = json!({
        "ts": crate::clock::now_rfc3339(),
        "method": request.method,
        "path": request.path,
        "query": request.query,
        "has_auth": request.has_auth,
        "status": request.status,
        "body": request.body_text(),
    });
    let mut file = log.lock().unwrap_or_else(PoisonError::into_inner);
    // One write per line keeps lines whole; a failing disk cannot be reported to the client anyway.
    let _ = file.write_all(format!("{line}\n").as_bytes());
}

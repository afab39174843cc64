//! The running emulator: one listener, both platforms, stopped by `stop` or drop.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::auth::Platform;
use crate::http::{error, Reply};
use crate::state::AppState;
use crate::{brightlink, netsapiens, Config, FaultKind};

/// A running emulator serving NetSapiens (`/ns-api/…`) and Brightlink (`/brightlink/…`) on one port.
#[derive(Debug)]
pub struct Emulator {
    addr: SocketAddr,
    state: Arc<AppState>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn router(state: Arc<AppState>) -> Router {
    netsapiens::routes(state.config.netsapiens.v2)
        .merge(brightlink::routes())
        .fallback(fallback)
        .layer(middleware::from_fn_with_state(state.clone(), crate::trap::trap))
        .layer(middleware::from_fn(log))
        .with_state(state)
}

async fn fallback(State(st): State<Arc<AppState>>, uri: Uri) -> Reply {
    let path = uri.path();
    if st.config.netsapiens.v2 && path.starts_with("/ns-api/v2/") {
        error(Platform::NetSapiens, StatusCode::NOT_FOUND, "Not Found")
    } else if path.starts_with("/brightlink/v1/") {
        error(Platform::Brightlink, StatusCode::NOT_FOUND, "Not Found")
    } else {
        Reply::html_not_found()
    }
}

async fn log(req: Request, next: Next) -> Response {
    let (method, path, t) = (req.method().clone(), req.uri().path().to_string(), Instant::now());
    let res = next.run(req).await;
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    tracing::debug!(%method, %path, status = res.status().as_u16(), ms, "request");
    res
}

impl Emulator {
    /// Starts serving on `listen` (port 0 = any free port) on the current tokio runtime.
    pub async fn start(config: Config, listen: SocketAddr) -> io::Result<Emulator> {
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(AppState::new(config));
        let (tx, rx) = oneshot::channel::<()>();
        let app = router(state.clone());
        tokio::spawn(async move {
            let stop = async {
                let _ = rx.await;
            };
            if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(stop).await {
                tracing::error!("emulator on {addr}: {e}");
            }
        });
        tracing::info!("emulator listening on {addr}");
        Ok(Emulator { addr, state, shutdown: Some(tx), thread: None })
    }

    /// Starts on its own thread and tokio runtime, bound to 127.0.0.1:0; for synchronous tests and programs.
    /// Stops on drop.
    pub fn spawn(config: Config) -> io::Result<Emulator> {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let state = Arc::new(AppState::new(config));
        let (tx, rx) = oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<io::Result<()>>();
        let app = router(state.clone());
        // The runtime is built and dropped on its own thread, so `spawn` also works from inside another runtime.
        let thread = std::thread::Builder::new().name("meter-emulator".into()).spawn(move || {
            let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
                Ok(rt) => rt,
                Err(e) => return drop(ready_tx.send(Err(e))),
            };
            rt.block_on(async move {
                let listener = match TcpListener::from_std(listener) {
                    Ok(l) => l,
                    Err(e) => return drop(ready_tx.send(Err(e))),
                };
                tokio::spawn(async move {
                    if let Err(e) = axum::serve(listener, app).await {
                        tracing::error!("emulator on {addr}: {e}");
                    }
                });
                let _ = ready_tx.send(Ok(()));
                let _ = rx.await;
            });
            // Dropping the runtime cancels the server and every connection, even one held by a Slow fault.
            rt.shutdown_timeout(Duration::from_secs(1));
        })?;
        let ready = ready_rx.recv().unwrap_or_else(|_| Err(io::Error::other("the emulator thread ended early")));
        let emulator = Emulator { addr, state, shutdown: Some(tx), thread: Some(thread) };
        ready.map(|()| emulator)
    }

    /// The address the emulator listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn base(&self) -> String {
        let ip = match self.addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        format!("http://{}", SocketAddr::new(ip, self.addr.port()))
    }

    /// The NetSapiens base URL, `http://127.0.0.1:PORT` (the client appends `/ns-api/…`).
    pub fn netsapiens_url(&self) -> String {
        self.base()
    }

    /// The Brightlink base URL, `http://127.0.0.1:PORT/brightlink/`.
    pub fn brightlink_url(&self) -> String {
        format!("{}/brightlink/", self.base())
    }

    /// Call-record page requests served so far (NetSapiens v2 `cdrs`, v1 `cdr2 read`, Brightlink `cdr/search`).
    pub fn page_requests(&self) -> u64 {
        self.state.faults.requests()
    }

    /// The faults that have fired, in order.
    pub fn faults_fired(&self) -> Vec<FaultKind> {
        self.state.faults.fired()
    }

    /// Stops serving (as dropping does).
    pub fn stop(self) {}
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

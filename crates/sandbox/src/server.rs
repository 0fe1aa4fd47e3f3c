//! Starting and stopping the sandbox. Connections are served by hand (hyper http1) so a handler
//! can have its connection dropped with no answer (the `drop_after_commit` fault).

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, bail};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tower::ServiceExt;

use super::faults::DropConnection;
use super::state::{Shared, Stats};
use super::{Faults, SandboxConfig, router};

/// A running sandbox. Dropping it leaves the server running until the runtime ends; call
/// [`SandboxHandle::shutdown`] to stop it.
pub struct SandboxHandle {
    /// `http://127.0.0.1:PORT`; API paths are `base_url + "/nxsys/…"`.
    pub base_url: String,
    pub addr: SocketAddr,
    /// `NXSYS.` + 32 upper-case alphanumerics.
    pub client_id: String,
    /// 48 lower-case hex (a local simulator's fake secret).
    pub client_secret: String,
    /// A ready refresh token for unattended use (rotates on use, like any other).
    pub refresh_token: String,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl fmt::Debug for SandboxHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxHandle")
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl SandboxHandle {
    /// The same counters as `GET /_sandbox/stats`.
    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }

    /// Records and counters back to the seeded state (tokens and faults are kept).
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// Add `n` timesheets of `tax_year` straight into the sandbox (not through HTTP, so no
    /// request is counted), for one UK worker with Agency Ref `SEED-WORKER` (weekly, PAYEE;
    /// created on first use, reused afterwards); returns the worker's `SR-` id. Each timesheet
    /// has one line on `PR-1` (PR100) and its own payslip, and counts in [`Stats::timesheets`]
    /// and [`Stats::payslips`] like any other. Timesheet i is rate 12.50 × (1 + i / 52) units in
    /// tax period 1 + i mod 52, so none is a duplicate of another. A reset removes them.
    pub fn seed_timesheets(&self, n: usize, tax_year: i32) -> String {
        self.shared.seed_timesheets(n, tax_year)
    }

    /// Change the fault probabilities from now on.
    pub fn set_faults(&self, faults: Faults) {
        self.shared.set_faults(faults);
    }

    /// Expire every access token issued so far (as if its lifetime had passed), the same as
    /// `POST /_sandbox/tokens/expire`; returns how many were still live. Refresh tokens keep
    /// working, so a client gets a 401 and can refresh.
    pub fn expire_tokens(&self) -> usize {
        self.shared.tokens().expire_access()
    }

    /// A fresh access token (for tests that do not exercise OAuth).
    pub fn access_token(&self) -> String {
        self.shared
            .tokens()
            .issue_access(self.shared.config.token_ttl)
    }

    /// A fresh refresh token (each one rotates independently).
    pub fn new_refresh_token(&self) -> String {
        self.shared.tokens().issue_refresh()
    }

    /// Stop accepting, drop open connections, and wait for the server task.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Start a sandbox on `config.addr` (loopback only; port 0 picks a free port).
pub async fn start(config: SandboxConfig) -> anyhow::Result<SandboxHandle> {
    if !config.addr.ip().is_loopback() {
        bail!(
            "the sandbox listens on loopback only; {} is not a loopback address (use 127.0.0.1)",
            config.addr
        );
    }
    let listener = TcpListener::bind(config.addr)
        .await
        .with_context(|| format!("cannot listen on {}", config.addr))?;
    let addr = listener
        .local_addr()
        .context("cannot read the listening address")?;
    let base_url = format!("http://{addr}");
    let shared = {
        let base_url = base_url.clone();
        tokio::task::spawn_blocking(move || Arc::new(Shared::new(config, base_url)))
            .await
            .context("seeding the sandbox failed")?
    };
    let (client_id, client_secret, refresh_token) = {
        let mut tokens = shared.tokens();
        let refresh = tokens.issue_refresh();
        (
            tokens.client.id.clone(),
            tokens.client.secret.clone(),
            refresh,
        )
    };
    let app = router::build(shared.clone());
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(accept_loop(listener, app, stopped));
    Ok(SandboxHandle {
        base_url,
        addr,
        client_id,
        client_secret,
        refresh_token,
        shared,
        stop,
        task,
    })
}

async fn accept_loop(listener: TcpListener, app: Router, mut stopped: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(serve_connection(stream, app.clone(), stopped.clone()));
                }
                Err(error) => {
                    tracing::warn!("sandbox: accept failed: {error}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
            _ = stopped.changed() => break,
        }
    }
}

async fn serve_connection(stream: TcpStream, app: Router, mut stopped: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let drop_signal = Arc::new(Notify::new());
    let signal = drop_signal.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request
            .extensions_mut()
            .insert(DropConnection(signal.clone()));
        app.clone().oneshot(request)
    });
    let connection =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        result = connection => {
            if let Err(error) = result {
                tracing::debug!("sandbox: connection ended: {error}");
            }
        }
        // Dropping the connection future closes the socket without an answer.
        _ = drop_signal.notified() => {}
        _ = stopped.changed() => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn expire_tokens_ends_issued_access_tokens_only() {
        let sb = start(SandboxConfig::default()).await.unwrap();
        let old = sb.access_token();
        assert!(sb.shared.tokens().access_valid(&old));
        assert_eq!(sb.expire_tokens(), 1);
        assert!(!sb.shared.tokens().access_valid(&old));
        let fresh = sb.access_token();
        assert!(sb.shared.tokens().access_valid(&fresh));
        sb.shutdown().await;
    }

    #[tokio::test]
    async fn seed_timesheets_adds_records_without_requests() {
        let sb = start(SandboxConfig::default()).await.unwrap();
        assert_eq!(sb.seed_timesheets(3, 2025), "SR-1");
        assert_eq!(sb.seed_timesheets(2, 2026), "SR-1");
        let stats = sb.stats();
        assert_eq!(
            (
                stats.timesheets,
                stats.payslips,
                stats.candidates,
                stats.requests
            ),
            (5, 5, 1, 0)
        );
        sb.reset();
        assert_eq!(sb.stats().timesheets, 0);
        sb.shutdown().await;
    }
}

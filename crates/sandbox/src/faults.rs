//! Fault injection on API routes (never OAuth or `/_sandbox`): `status500` and `status429` are
//! answered before anything is applied; `poison=TEXT` answers 500 to every write whose raw body
//! contains TEXT, before anything is applied; `drop_after_commit` lets a write (POST/PUT)
//! succeed and then closes the connection with no HTTP answer at all.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use tokio::sync::Notify;

use super::errors::ApiError;
use super::state::{Counters, Shared};

/// Put into every request by the connection loop; notifying it makes the connection task drop
/// the connection (closing the socket) instead of writing the answer.
#[derive(Clone, Debug)]
pub struct DropConnection(pub Arc<Notify>);

fn roll(p: f64) -> bool {
    p > 0.0 && rand::thread_rng().r#gen::<f64>() < p
}

fn internal_error() -> Response {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_error",
        "Internal server error (injected by the sandbox)",
    )
    .into_response()
}

/// Largest body the poison check reads (well above any real request).
const POISON_BODY_LIMIT: usize = 16 * 1024 * 1024;

/// Whether `needle` occurs in `haystack`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Middleware: maybe answer 500 or 429 instead of handling the request; always 500 for a
/// poisoned write.
pub async fn inject(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let faults = shared.faults();
    if roll(faults.status500) {
        Counters::bump(&shared.counters.faults_injected);
        return internal_error();
    }
    let is_write = matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::PATCH
    );
    let request = if is_write && !faults.poison.is_empty() {
        let (parts, body) = request.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, POISON_BODY_LIMIT).await else {
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid_request",
                "The request body is too large",
            )
            .into_response();
        };
        if faults
            .poison
            .iter()
            .any(|text| contains(&bytes, text.as_bytes()))
        {
            Counters::bump(&shared.counters.faults_injected);
            return internal_error();
        }
        Request::from_parts(parts, Body::from(bytes))
    } else {
        request
    };
    if roll(faults.status429) {
        Counters::bump(&shared.counters.faults_injected);
        return ApiError::too_many_requests(1).into_response();
    }
    next.run(request).await
}

/// Middleware: maybe apply a write and then lose the answer.
pub async fn drop_after_commit(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let is_write = matches!(*request.method(), Method::POST | Method::PUT);
    let signal = request.extensions().get::<DropConnection>().cloned();
    let drop = is_write && roll(shared.faults().drop_after_commit);
    let response = next.run(request).await;
    match signal {
        Some(DropConnection(notify)) if drop && response.status().is_success() => {
            Counters::bump(&shared.counters.faults_injected);
            Counters::bump(&shared.counters.dropped_after_commit);
            notify.notify_one();
            // The connection task drops this future together with the connection.
            std::future::pending::<Response>().await
        }
        _ => response,
    }
}

#[cfg(test)]
mod tests {
    use super::contains;

    #[test]
    fn poison_matches_substrings_only() {
        assert!(contains(br#"{"agencyRef":"AR-0042"}"#, b"AR-0042"));
        assert!(!contains(br#"{"agencyRef":"AR-0043"}"#, b"AR-0042"));
        assert!(!contains(b"abc", b""));
        assert!(!contains(b"ab", b"abc"));
    }
}

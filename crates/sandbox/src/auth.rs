//! Access-token check for API routes: `Authorization: Nxsys-oauthtoken <token>` (documented),
//! also `Bearer <token>` and `Bearer Nxsys-oauthtoken <token>` (both appear in the guides).
//! With the `bearer-only` quirk only `Bearer <token>` is accepted.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::errors::ApiError;
use super::state::{Counters, Shared};

/// The token in an `Authorization` value, if the scheme is one the sandbox accepts.
fn token_of(value: &str, bearer_only: bool) -> Option<&str> {
    let value = value.trim();
    if let Some(rest) = value.strip_prefix("Bearer ") {
        let rest = rest.trim();
        if bearer_only {
            return Some(rest);
        }
        return Some(
            rest.strip_prefix("Nxsys-oauthtoken ")
                .unwrap_or(rest)
                .trim(),
        );
    }
    if bearer_only {
        return None;
    }
    value.strip_prefix("Nxsys-oauthtoken ").map(str::trim)
}

/// Middleware: 401 `missing_credentials` / `invalid_credentials` unless the token is live.
pub async fn require(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let refuse = |code: &'static str, message: &str| {
        Counters::bump(&shared.counters.unauthorized);
        ApiError::new(StatusCode::UNAUTHORIZED, code, message).into_response()
    };
    let Some(value) = request.headers().get(header::AUTHORIZATION) else {
        return refuse(
            "missing_credentials",
            "No Authorization header; send Authorization: Nxsys-oauthtoken <accessToken>",
        );
    };
    let Some(token) = value
        .to_str()
        .ok()
        .and_then(|v| token_of(v, shared.quirks.bearer_only))
    else {
        let expected = if shared.quirks.bearer_only {
            "Bearer <accessToken>"
        } else {
            "Nxsys-oauthtoken <accessToken>"
        };
        return refuse(
            "invalid_credentials",
            &format!("Unsupported Authorization scheme; send Authorization: {expected}"),
        );
    };
    if !shared.tokens().access_valid(token) {
        return refuse(
            "invalid_credentials",
            "The access token is invalid or expired; refresh it with the refresh token",
        );
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::token_of;

    #[test]
    fn schemes() {
        assert_eq!(token_of("Nxsys-oauthtoken abc", false), Some("abc"));
        assert_eq!(token_of("Bearer abc", false), Some("abc"));
        assert_eq!(token_of("Bearer Nxsys-oauthtoken abc", false), Some("abc"));
        assert_eq!(token_of("Nxsys-oauthtoken abc", true), None);
        assert_eq!(token_of("Bearer abc", true), Some("abc"));
        assert_eq!(token_of("Basic abc", false), None);
    }
}

//! One error type for every way a call to the Nxsys API can end badly, and the tolerant reader of
//! error bodies (the documented `{error:{code,message,details}}` envelope or NestJS's default
//! `{statusCode, message, error}`).

use serde_json::Value;

/// What went wrong with a call to the API. Messages never contain secrets, request bodies or
/// query strings (which may hold personal data): only the method, the path and what the server said.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The server refused the request (a 4xx other than 401/429). Never retried: the data or the
    /// request must change first.
    #[error("{method} {path} was refused with HTTP {status}{}: {message}{}",
        code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default(),
        field.as_deref().map(|f| format!(" [field `{f}`]")).unwrap_or_default())]
    Rejected {
        method: String,
        path: String,
        status: u16,
        code: Option<String>,
        message: String,
        field: Option<String>,
    },
    /// A write was sent and no usable answer came back (5xx, timeout, connection lost after
    /// sending). The server may or may not have applied it: look it up by its natural key before
    /// sending it again.
    #[error(
        "{method} {path}: the request was sent but no answer came back ({reason}); it may or may not have been applied — check the server before sending it again"
    )]
    Ambiguous {
        method: String,
        path: String,
        status: Option<u16>,
        reason: String,
    },
    /// The credentials were refused (401 after one refresh, or the token endpoint said
    /// `invalid_grant` / `invalid_client`).
    #[error(
        "Nxsys refused the sign-in: {message}. Run `nxsys-etl auth login` to sign in again, or check NXSYS_CLIENT_ID, NXSYS_CLIENT_SECRET and NXSYS_REFRESH_TOKEN"
    )]
    Unauthorized { message: String },
    /// The server could not be reached, or kept failing until the retries ran out.
    #[error(
        "{method} {path}: the Nxsys API did not answer after {attempts} attempt(s) ({reason}); check the network and the base URL, then run again"
    )]
    Unreachable {
        method: String,
        path: String,
        attempts: u32,
        reason: String,
    },
    /// The answer was larger than [`MAX_ANSWER_BYTES`](super::client::MAX_ANSWER_BYTES): not an
    /// answer of the Nxsys API. Never retried.
    #[error(
        "{method} {path}: the answer is larger than {limit_mib} MiB, the most nxsys-etl reads from one answer, and was refused; no Nxsys answer is that large — check that the base URL points at the Nxsys API (not another server or a proxy), then run again"
    )]
    TooLarge {
        method: String,
        path: String,
        limit_mib: usize,
    },
    /// The answer could not be read as the expected JSON.
    #[error("{context}: the answer could not be read: {message}")]
    Decode { context: String, message: String },
    /// The client was set up wrongly (e.g. a plain `http://` base URL that is not loopback).
    #[error("{0}")]
    Config(String),
}

/// How the token endpoint's `invalid_grant` is said (see [`ApiError::is_invalid_grant`]).
pub(crate) const INVALID_GRANT: &str =
    "the refresh token or code is invalid, expired or already used (invalid_grant)";

impl ApiError {
    /// True when a write may or may not have been applied.
    pub fn is_ambiguous(&self) -> bool {
        matches!(self, ApiError::Ambiguous { .. })
    }

    /// The HTTP status the server answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Rejected { status, .. } => Some(*status),
            ApiError::Ambiguous { status, .. } => *status,
            ApiError::Unauthorized { .. } => Some(401),
            _ => None,
        }
    }

    /// True when the token endpoint said the refresh token is invalid, expired or already used
    /// (`invalid_grant`): another process sharing the token store may have rotated it.
    pub fn is_invalid_grant(&self) -> bool {
        matches!(self, ApiError::Unauthorized { message } if message.ends_with(INVALID_GRANT))
    }

    /// True for a 404: the resource does not exist.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// The server's error code (`invalid_parameter`, `Bad Request`, …) when it gave one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ApiError::Rejected { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// The field the server blamed, when it named one.
    pub fn field(&self) -> Option<&str> {
        match self {
            ApiError::Rejected { field, .. } => field.as_deref(),
            _ => None,
        }
    }
}

/// What an error body says, whichever shape it came in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorBody {
    pub code: Option<String>,
    pub message: Option<String>,
    pub field: Option<String>,
}

impl ErrorBody {
    /// Read an error body. Unknown shapes give an empty `ErrorBody`; plain text is kept as the
    /// message (shortened).
    pub fn parse(body: &[u8]) -> ErrorBody {
        let Ok(value) = serde_json::from_slice::<Value>(body) else {
            let text = String::from_utf8_lossy(body).trim().to_string();
            return ErrorBody {
                message: (!text.is_empty()).then(|| shorten(&text)),
                ..ErrorBody::default()
            };
        };
        // Documented envelope: {"error": {"code", "message", "details": {"field"}}}
        if let Some(err) = value.get("error").filter(|e| e.is_object()) {
            let details = err.get("details");
            return ErrorBody {
                code: text_of(err.get("code")),
                message: message_of(err.get("message")),
                field: text_of(details.and_then(|d| d.get("field")))
                    .or_else(|| text_of(err.get("field"))),
            };
        }
        // NestJS default: {"statusCode": 400, "message": "…" | ["…"], "error": "Bad Request"}
        ErrorBody {
            code: text_of(value.get("error")).or_else(|| text_of(value.get("code"))),
            message: message_of(value.get("message")),
            field: text_of(value.get("field")),
        }
    }
}

fn text_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn message_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().filter_map(|v| text_of(Some(v))).collect();
            (!parts.is_empty()).then(|| shorten(&parts.join("; ")))
        }
        other => text_of(Some(other)).map(|s| shorten(&s)),
    }
}

fn shorten(text: &str) -> String {
    const MAX: usize = 500;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_envelope() {
        let body = br#"{"error":{"code":"invalid_parameter","message":"The provided ID format is invalid","details":{"field":"id","expected_format":"XX-999999999"}}}"#;
        let e = ErrorBody::parse(body);
        assert_eq!(e.code.as_deref(), Some("invalid_parameter"));
        assert_eq!(
            e.message.as_deref(),
            Some("The provided ID format is invalid")
        );
        assert_eq!(e.field.as_deref(), Some("id"));
    }

    #[test]
    fn nest_default_with_message_list() {
        let body = br#"{"statusCode":400,"message":["email must be an email","DOB must be a date"],"error":"Bad Request"}"#;
        let e = ErrorBody::parse(body);
        assert_eq!(e.code.as_deref(), Some("Bad Request"));
        assert_eq!(
            e.message.as_deref(),
            Some("email must be an email; DOB must be a date")
        );
        assert_eq!(e.field, None);
    }

    #[test]
    fn nest_default_with_message_string() {
        let e =
            ErrorBody::parse(br#"{"statusCode":404,"message":"Not found","error":"Not Found"}"#);
        assert_eq!(e.message.as_deref(), Some("Not found"));
        assert_eq!(e.code.as_deref(), Some("Not Found"));
    }

    #[test]
    fn plain_text_and_empty_bodies() {
        assert_eq!(
            ErrorBody::parse(b"Bad Gateway").message.as_deref(),
            Some("Bad Gateway")
        );
        assert_eq!(ErrorBody::parse(b""), ErrorBody::default());
        assert_eq!(ErrorBody::parse(b"[1,2]"), ErrorBody::default());
    }

    #[test]
    fn rejected_message_names_status_code_and_field() {
        let e = ApiError::Rejected {
            method: "POST".into(),
            path: "/nxsys/payment-rate".into(),
            status: 409,
            code: Some("conflict".into()),
            message: "code exists".into(),
            field: Some("code".into()),
        };
        let text = e.to_string();
        assert!(text.contains("HTTP 409 (conflict)"), "{text}");
        assert!(text.contains("[field `code`]"), "{text}");
        assert_eq!(e.status(), Some(409));
        assert!(!e.is_ambiguous());
    }
}

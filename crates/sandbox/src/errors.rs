//! The documented error envelope `{error:{code,message,details}}` and, with the `nest-errors`
//! quirk, NestJS's default `{statusCode, message:[…], error}` instead.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::state::Shared;
use std::sync::Arc;

/// An API error as the sandbox answers it (boxed: it travels in many `Result`s).
#[derive(Debug, Clone)]
pub struct ApiError(Box<ErrorBody>);

/// The parts of an [`ApiError`].
#[derive(Debug, Clone)]
pub struct ErrorBody {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Map<String, Value>,
    /// Seconds for a `Retry-After` header (429 only).
    pub retry_after: Option<u64>,
    /// A business rule (not a validation error): `validation-500` leaves its status alone.
    pub rule: bool,
}

impl std::ops::Deref for ApiError {
    type Target = ErrorBody;

    fn deref(&self) -> &ErrorBody {
        &self.0
    }
}

impl std::ops::DerefMut for ApiError {
    fn deref_mut(&mut self) -> &mut ErrorBody {
        &mut self.0
    }
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError(Box::new(ErrorBody {
            status,
            code,
            message: message.into(),
            details: Map::new(),
            retry_after: None,
            rule: false,
        }))
    }

    /// Add `details.field`.
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.details
            .insert("field".into(), Value::String(field.into()));
        self
    }

    /// Mark as a business rule rather than a validation error (kept by `validation-500`).
    pub fn rule(mut self) -> Self {
        self.rule = true;
        self
    }

    /// Add any other detail.
    pub fn detail(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.details.insert(key.into(), value.into());
        self
    }

    /// 400 `invalid_request`: malformed body, missing field, wrong JSON type.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    /// 400 `invalid_parameter`: a bad query parameter, id or reference.
    pub fn invalid_parameter(field: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_parameter", message).field(field)
    }

    /// 422 `invalid_parameter`: well-formed but semantically invalid (format, enum value, date).
    pub fn unprocessable(field: &str, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_parameter",
            message,
        )
        .field(field)
    }

    /// 404 `resource_not_found`.
    pub fn not_found(what: &str, id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "resource_not_found",
            format!("{what} {id} was not found"),
        )
        .field("id")
    }

    /// 429 with `Retry-After`.
    pub fn too_many_requests(retry_after: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_exceeded",
            format!("Too many requests; retry after {retry_after} s"),
        );
        e.retry_after = Some(retry_after.max(1));
        e
    }

    /// The documented envelope.
    pub fn envelope(&self) -> Value {
        json!({"error": {"code": self.code, "message": self.message, "details": self.details}})
    }

    /// NestJS's default error body.
    pub fn nest_body(&self) -> Value {
        json!({
            "statusCode": self.status.as_u16(),
            "message": [self.message],
            "error": self.status.canonical_reason().unwrap_or("Error"),
        })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.envelope())).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response.extensions_mut().insert(self);
        response
    }
}

/// Middleware: with the `nest-errors` quirk, rewrite every error body into NestJS's shape.
pub async fn shape(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if !shared.quirks.nest_errors {
        return response;
    }
    let Some(error) = response.extensions().get::<ApiError>().cloned() else {
        return response;
    };
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = Json(error.nest_body()).into_response().into_body();
    Response::from_parts(parts, body)
}

/// Middleware on API routes: with the `validation-500` quirk, a validation error (400 or 422,
/// not a business rule) is answered 500 with the same envelope.
pub async fn validation_500(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    if !shared.quirks.validation_500
        || !matches!(
            response.status(),
            StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY
        )
    {
        return response;
    }
    match response.extensions().get::<ApiError>().cloned() {
        Some(mut error) if !error.rule => {
            error.status = StatusCode::INTERNAL_SERVER_ERROR;
            error.into_response()
        }
        _ => response,
    }
}

/// Fallback for unknown paths.
pub async fn unknown_path(request: Request) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "resource_not_found",
        format!("No endpoint {} {}", request.method(), request.uri().path()),
    )
}

/// Fallback for a known path with a method it does not serve.
pub async fn method_not_allowed(request: Request) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "invalid_request",
        format!(
            "{} is not allowed on {}",
            request.method(),
            request.uri().path()
        ),
    )
}

//! The Nxsys API client: typed, tolerant models, one shared adaptive rate limiter, retries that
//! never repeat a write blindly, pagination as a stream, and access tokens from an
//! [`AccessTokens`] (which `auth` implements: the API knows nothing of where credentials live).
//!
//! Retry rules: 429 is retried for every request (honouring `Retry-After`; the first one sets
//! the shared limiter to the rate the server was seen to accept, see `limiter.rs`); a connection that failed before the request was sent is
//! retried; reads are also retried on 5xx and timeouts with exponential backoff and full
//! jitter. A write that was sent and got no usable answer is [`ApiError::Ambiguous`]: the caller
//! looks the record up by its natural key before sending it again. A [`ApiError::Decode`] on a
//! write's 2xx answer means the write *was* applied but its answer could not be read.

pub(crate) mod client;
mod endpoints;
mod error;
pub(crate) mod limiter;
pub mod models;
pub(crate) mod paging;
pub(crate) mod retry;
mod send;
mod token;
pub mod traits;

pub use client::{
    AuthScheme, BodyError, Client, ClientConfig, ClientStats, MAX_ANSWER_BYTES, check_base_url,
    read_body,
};
pub use error::{ApiError, ErrorBody};
pub use models::*;
pub use token::{AccessToken, AccessTokens, TokenEndpoint, TokenFuture, TokenResponse, token_url};
pub use traits::ServerTraits;

#[cfg(test)]
mod tests;

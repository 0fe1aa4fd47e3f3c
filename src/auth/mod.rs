//! Sign-in: the OAuth authorization-code flow with a loopback redirect ([`login`]), where
//! credentials come from ([`Account::credentials`]), the token store ([`TokenStore`]), and the
//! [`Tokens`] that keep a client's access token fresh and persist rotated refresh tokens.

mod credentials;
pub mod login;
mod store;
mod token;

use std::sync::Arc;

use crate::api::{ApiError, Client, ClientConfig};

pub use credentials::{Account, Credentials, CredentialsError, env_var};
pub use store::{StoreError, StoredLogin, TokenStore, fingerprint, store_key};
pub use token::Tokens;

/// A client signed in with `creds`: it gets its first access token now and keeps it fresh,
/// saving rotated refresh tokens to `store` when there is one.
pub async fn connect(
    config: ClientConfig,
    creds: Credentials,
    store: Option<TokenStore>,
) -> Result<Client, ApiError> {
    Client::connect(config, Arc::new(Tokens::new(creds, store))).await
}

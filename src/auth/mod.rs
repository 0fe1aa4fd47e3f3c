//! Sign-in: the OAuth authorization-code flow with a loopback redirect ([`login`]), the token
//! store ([`TokenStore`]) and the token manager that keeps a client's access token fresh
//! ([`Tokens`]).

pub mod login;
mod store;
mod token;

pub use store::{StoreError, StoredLogin, TokenStore, fingerprint, store_key};
pub use token::{TokenResponse, Tokens, token_url};

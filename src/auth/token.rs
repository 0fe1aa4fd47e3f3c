//! [`Tokens`]: the [`AccessTokens`] of a signed-in client. The access token is refreshed with
//! the refresh grant before it expires and once after a 401, one refresh at a time; a refresh
//! token the server rotates is persisted to the token store.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};

use super::credentials::Credentials;
use super::store::{LOCK_WAIT, StoredLogin, TokenStore};
use crate::api::{AccessToken, AccessTokens, ApiError, TokenEndpoint, TokenFuture};

/// Keeps a client's access token valid.
pub struct Tokens {
    client_id: String,
    client_secret: SecretString,
    store: Option<TokenStore>,
    state: tokio::sync::Mutex<State>,
    refreshes: AtomicU64,
}

struct State {
    access: Option<SecretString>,
    refresh: SecretString,
    expires_at: Option<Instant>,
    /// How long the current access token was issued for (`expiresIn`), when the server said.
    lifetime: Option<Duration>,
    /// Refresh this long before `expires_at`.
    margin: Duration,
    generation: u64,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// How long before expiry to refresh: a third of the lifetime, at most a minute.
fn margin_for(expires_in: Duration) -> Duration {
    (expires_in / 3).min(Duration::from_secs(60))
}

impl Tokens {
    /// Tokens for `creds`, saving rotated refresh tokens to `store`; nothing is fetched until
    /// the first [`AccessTokens::current`].
    pub fn new(creds: Credentials, store: Option<TokenStore>) -> Self {
        Tokens {
            client_id: creds.client_id,
            client_secret: creds.client_secret,
            store,
            state: tokio::sync::Mutex::new(State {
                access: None,
                refresh: creds.refresh_token,
                expires_at: None,
                lifetime: None,
                margin: Duration::ZERO,
                generation: 0,
            }),
            refreshes: AtomicU64::new(0),
        }
    }

    /// How long the current access token was issued for (`expiresIn` of the last token
    /// answer), when there is one and the server said.
    pub async fn lifetime(&self) -> Option<Duration> {
        self.state.lock().await.lifetime
    }

    async fn refresh_locked(
        &self,
        st: &mut State,
        endpoint: TokenEndpoint<'_>,
    ) -> Result<(), ApiError> {
        // The store's lock is held from the refresh to the save, so a process sharing the store
        // never refreshes with a token another has just rotated but not yet saved.
        let lock = match &self.store {
            Some(store) => lock_store(store).await,
            None => None,
        };
        let answer = match self.request(st, endpoint).await {
            Err(e) if e.is_invalid_grant() => {
                // Another process sharing the store may have rotated the token: take its
                // successor from the store and try once more before giving up.
                let Some(successor) = self.stored_successor(st, lock.as_ref()) else {
                    return Err(e);
                };
                tracing::info!(
                    "the refresh token was rotated by another run; using the one it saved"
                );
                st.refresh = successor;
                self.request(st, endpoint).await?
            }
            other => other?,
        };
        self.refreshes.fetch_add(1, Ordering::Relaxed);
        let lifetime = answer.expires_in.map(Duration::from_secs);
        st.access = Some(answer.access_token);
        st.expires_at = lifetime.map(|l| Instant::now() + l);
        st.lifetime = lifetime;
        st.margin = lifetime.map(margin_for).unwrap_or_default();
        st.generation += 1;
        let rotated = answer
            .refresh_token
            .filter(|new| new.expose_secret() != st.refresh.expose_secret());
        if let Some(new) = rotated {
            st.refresh = new;
        }
        tracing::debug!(expires_in = ?answer.expires_in, "access token refreshed");
        if let Some(store) = &self.store {
            let expires_at = lifetime
                .and_then(|l| chrono::Duration::from_std(l).ok())
                .map(|l| chrono::Utc::now() + l);
            let change = |entry: Option<StoredLogin>| {
                let mut entry = entry.unwrap_or_else(|| StoredLogin {
                    base_url: endpoint.base_url().to_string(),
                    client_id: self.client_id.clone(),
                    client_secret: self.client_secret.clone(),
                    refresh_token: st.refresh.clone(),
                    expires_at: None,
                    updated_at: chrono::Utc::now(),
                    origin: None,
                });
                entry.refresh_token = st.refresh.clone();
                entry.expires_at = expires_at;
                entry.updated_at = chrono::Utc::now();
                entry
            };
            let result = match &lock {
                Some(lock) => store.update_locked(lock, change),
                None => store.update(change),
            };
            if let Err(e) = result {
                tracing::error!(
                    "the new refresh token could not be saved ({e}); the next run may have to sign in again with `nxsys-etl auth login`"
                );
            }
        }
        Ok(())
    }

    async fn request(
        &self,
        st: &State,
        endpoint: TokenEndpoint<'_>,
    ) -> Result<crate::api::TokenResponse, ApiError> {
        let form = [
            ("grantType", "refresh_token"),
            ("refreshToken", st.refresh.expose_secret()),
            ("clientId", self.client_id.as_str()),
            ("clientSecret", self.client_secret.expose_secret()),
        ];
        endpoint.request(&form).await
    }

    /// The refresh token the store now holds for this client, when it is not the one just
    /// refused (another process rotated it and saved the successor).
    fn stored_successor(
        &self,
        st: &State,
        lock: Option<&super::store::StoreLock>,
    ) -> Option<SecretString> {
        let store = self.store.as_ref()?;
        let entry = match lock {
            Some(lock) => store.load_locked(lock),
            None => store.load(),
        };
        let entry = match entry {
            Ok(entry) => entry?,
            Err(e) => {
                tracing::warn!("the token store could not be read again ({e})");
                return None;
            }
        };
        let ours = entry.client_id == self.client_id
            && (store.origin().is_none() || entry.origin.as_deref() == store.origin());
        (ours && entry.refresh_token.expose_secret() != st.refresh.expose_secret())
            .then_some(entry.refresh_token)
    }
}

/// The token store's lock, waited for without blocking the runtime. `None` (and the refresh
/// goes ahead unlocked, the `invalid_grant` retry covering a race) when the lock cannot be
/// taken: a read-only folder, or another process holding it longer than [`LOCK_WAIT`].
async fn lock_store(store: &TokenStore) -> Option<super::store::StoreLock> {
    let started = Instant::now();
    loop {
        match store.try_lock() {
            Ok(Some(lock)) => return Some(lock),
            Ok(None) if started.elapsed() < LOCK_WAIT => {
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            Ok(None) => {
                tracing::warn!(lock = %store.lock_path().display(), "the token store is still locked by another process after {} s; going ahead without the lock", LOCK_WAIT.as_secs());
                return None;
            }
            Err(e) => {
                tracing::warn!("{e}; going ahead without the token store's lock");
                return None;
            }
        }
    }
}

impl AccessTokens for Tokens {
    fn current<'a>(&'a self, endpoint: TokenEndpoint<'a>) -> TokenFuture<'a, AccessToken> {
        Box::pin(async move {
            let mut st = self.state.lock().await;
            let stale = match (&st.access, st.expires_at) {
                (None, _) => true,
                (Some(_), Some(at)) => Instant::now() + st.margin >= at,
                (Some(_), None) => false,
            };
            if stale {
                self.refresh_locked(&mut st, endpoint).await?;
            }
            match &st.access {
                Some(secret) => Ok(AccessToken {
                    secret: secret.clone(),
                    generation: st.generation,
                }),
                None => Err(ApiError::Unauthorized {
                    message: "no access token was issued".into(),
                }),
            }
        })
    }

    fn invalidate<'a>(
        &'a self,
        endpoint: TokenEndpoint<'a>,
        generation: u64,
    ) -> TokenFuture<'a, ()> {
        Box::pin(async move {
            let mut st = self.state.lock().await;
            if st.generation == generation {
                self.refresh_locked(&mut st, endpoint).await?;
            }
            Ok(())
        })
    }

    fn refreshes(&self) -> u64 {
        self.refreshes.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margin_is_a_third_capped_at_a_minute() {
        assert_eq!(
            margin_for(Duration::from_secs(3600)),
            Duration::from_secs(60)
        );
        assert_eq!(margin_for(Duration::from_secs(3)), Duration::from_secs(1));
    }
}

//! Sign-in: whether the configured redirect URI is accepted, and whether only the registered
//! one is (the grant-token-url helper, asked without a token).

use secrecy::ExposeSecret;
use url::Url;

use crate::api::ApiError;

use super::probe::{Answer, Probe};
use super::{Check, DoctorOptions, UNREGISTERED_REDIRECT};

pub(super) async fn redirect_checks(
    probe: &Probe<'_>,
    base: &Url,
    opts: &DoctorOptions,
) -> Result<(Vec<Check>, Option<bool>), ApiError> {
    let helper = |redirect: &str| -> Result<Url, ApiError> {
        let mut url = base.clone();
        url.path_segments_mut()
            .map_err(|_| ApiError::Config(format!("the base URL {base} cannot hold API paths")))?
            .pop_if_empty()
            .extend(["nxsys", "oauth", "grant-token-url"]);
        url.query_pairs_mut()
            .append_pair("clientId", &opts.client_id)
            .append_pair("clientSecret", opts.client_secret.expose_secret())
            .append_pair("redirectUri", redirect);
        Ok(url)
    };
    let refusal = |a: &Answer| crate::auth::login::is_redirect_refusal(a.status, &a.body);
    let configured = probe
        .get_unauthenticated(&helper(opts.redirect_uri.as_str())?)
        .await?;
    let mut checks = Vec::new();
    if configured.ok() {
        checks.push(Check::new(
            "redirect URI",
            format!("{} is accepted for this client", opts.redirect_uri),
            "`auth login` uses it",
        ));
    } else if refusal(&configured) {
        checks.push(
            Check::new(
                "redirect URI",
                crate::auth::login::refused_message(&opts.redirect_uri),
                "`auth login` would fail until redirect_uri names the registered one",
            )
            .failed(),
        );
    } else {
        checks.push(
            Check::new(
                "redirect URI",
                format!(
                    "could not run: the grant-token-url helper answered {}",
                    configured.error_words()
                ),
                "`auth login` builds the portal URL itself",
            )
            .not_run(),
        );
        return Ok((checks, None));
    }
    let other = probe
        .get_unauthenticated(&helper(UNREGISTERED_REDIRECT)?)
        .await?;
    let (check, exact) = if other.ok() {
        (
            Check::new(
                "exact redirect",
                "any loopback redirect URI is accepted",
                "nothing to do",
            ),
            Some(false),
        )
    } else if refusal(&other) {
        (
            Check::new(
                "exact redirect",
                "only the registered redirect URI is accepted (an unregistered loopback one was refused)",
                "`auth login` listens on the configured redirect_uri exactly, never a random port",
            ),
            Some(true),
        )
    } else {
        (
            Check::new(
                "exact redirect",
                format!(
                    "could not run: an unregistered redirect URI was answered {}",
                    other.error_words()
                ),
                "`auth login` listens on the configured redirect_uri exactly",
            )
            .not_run(),
            None,
        )
    };
    checks.push(check);
    Ok((checks, exact))
}

//! Sign-in: OAuth authorization-code flow with a loopback redirect, the token store, refresh.

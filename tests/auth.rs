//! Sign-in: the token store's file permissions, and (against the sandbox) login, refresh and
//! rotation.

use std::os::unix::fs::PermissionsExt;

use nxsys_etl::auth::{StoreError, StoredLogin, TokenStore};
use secrecy::ExposeSecret;

fn login(token: &str) -> StoredLogin {
    StoredLogin {
        base_url: "https://api.nxsys.tech".into(),
        client_id: "NXSYS.ONZEYLYLO38TL9XEBE3JQUPGTYUQMZ7S".into(),
        client_secret: "8ffcf26dfe63a2576d7e1994e8307ed1cac09f845b62fb79".into(),
        refresh_token: token.into(),
        expires_at: None,
        updated_at: chrono::Utc::now(),
        origin: None,
    }
}

#[test]
fn store_is_created_with_mode_0600_in_a_private_folder() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/config/tokens.json");
    let store = TokenStore::new(&path, "profile:acme");
    store.save(&login("refresh-1")).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "file mode {mode:o}");
    let dir_mode = std::fs::metadata(path.parent().unwrap())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(dir_mode, 0o700, "folder mode {dir_mode:o}");
    let back = store.load().unwrap().expect("entry saved");
    assert_eq!(back.refresh_token.expose_secret(), "refresh-1");
    // No temporary file is left behind.
    let leftovers = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .count();
    assert_eq!(leftovers, 0);
}

#[test]
fn world_readable_store_is_refused_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let store = TokenStore::new(&path, "k");
    store.save(&login("refresh-1")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = store.load().unwrap_err();
    assert!(
        matches!(err, StoreError::Permissions { mode: 0o644, .. }),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains(&format!("chmod 600 {}", path.display())),
        "{text}"
    );
    assert!(!text.contains("refresh-1"));
    // Writing reads first, so it is refused too.
    assert!(store.save(&login("refresh-2")).is_err());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(store.load().unwrap().is_some());
}

#[test]
fn entries_are_independent_and_removable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let a = TokenStore::new(&path, "profile:a");
    let b = TokenStore::new(&path, "profile:b");
    a.save(&login("ra")).unwrap();
    b.save(&login("rb")).unwrap();
    assert!(a.remove().unwrap());
    assert!(!a.remove().unwrap());
    assert!(a.load().unwrap().is_none());
    assert_eq!(
        b.load().unwrap().unwrap().refresh_token.expose_secret(),
        "rb"
    );
}

#[test]
fn damaged_store_says_how_to_recover() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    std::fs::write(&path, "{not json").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let err = TokenStore::new(&path, "k").load().unwrap_err().to_string();
    assert!(
        err.contains("auth login") && err.contains("damaged"),
        "{err}"
    );
}

#[test]
fn stored_login_debug_hides_secrets() {
    let text = format!("{:?}", login("refresh-secret-xyz"));
    assert!(!text.contains("refresh-secret-xyz"));
    assert!(!text.contains("8ffcf26dfe63a2576d7e1994e8307ed1cac09f845b62fb79"));
}

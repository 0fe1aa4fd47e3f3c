//! Writing what `doctor --save` found into the profile of the configuration file, as its
//! `[profiles.NAME.server]` table, leaving everything else (comments, order, other profiles)
//! as the user wrote it.

use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item};

use crate::api::ServerTraits;

/// Why the configuration file could not be updated.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("could not read the configuration file {path}: {source}", path = path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("could not write the configuration file {path}: {source}", path = path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the configuration file {path} {message}", path = path.display())]
    Invalid { path: PathBuf, message: String },
}

/// Set `[profiles.<profile>.server]` of the configuration file at `path` to `traits`
/// (replacing an earlier one). The file is rewritten atomically with its permissions kept.
pub fn save_server_traits(
    path: &Path,
    profile: &str,
    traits: &ServerTraits,
) -> Result<(), SaveError> {
    let text = std::fs::read_to_string(path).map_err(|source| SaveError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let updated =
        with_server_table(&text, profile, traits).map_err(|message| SaveError::Invalid {
            path: path.to_path_buf(),
            message,
        })?;
    let permissions = std::fs::metadata(path).ok().map(|m| m.permissions());
    let write_err = |source| SaveError::Write {
        path: path.to_path_buf(),
        source,
    };
    crate::writing::write_atomically(path, ".nxsys-config-", |temp: &Path| {
        std::fs::write(temp, updated.as_bytes())?;
        if let Some(permissions) = permissions {
            std::fs::set_permissions(temp, permissions)?;
        }
        Ok::<(), std::io::Error>(())
    })
    .map_err(write_err)
}

/// `text` with `[profiles.<profile>.server]` set to `traits`.
fn with_server_table(text: &str, profile: &str, traits: &ServerTraits) -> Result<String, String> {
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| format!("is not valid TOML: {}", e.message()))?;
    let serialised = toml::to_string(traits).map_err(|e| format!("could not be updated: {e}"))?;
    let fresh: DocumentMut = serialised
        .parse()
        .map_err(|e: toml_edit::TomlError| format!("could not be updated: {}", e.message()))?;
    let mut table = fresh.as_table().clone();
    table.set_implicit(false);
    let no_profile = || format!("has no [profiles.{profile}] table");
    let entry = doc
        .get_mut("profiles")
        .and_then(Item::as_table_like_mut)
        .and_then(|profiles| profiles.get_mut(profile))
        .ok_or_else(no_profile)?;
    if let Some(t) = entry.as_table_mut() {
        t.insert("server", Item::Table(table));
    } else if let Some(inline) = entry.as_inline_table_mut() {
        inline.insert(
            "server",
            toml_edit::Value::InlineTable(table.into_inline_table()),
        );
    } else {
        return Err(no_profile());
    }
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::traits::Filters;
    use crate::settings::ConfigFile;

    const FILE: &str = "# my employers\ndefault_profile = \"acme\"\n\n[profiles.acme]\n\
                        # production\nbase_url = \"https://api.nxsys.tech\"\nrate = 5 # slow\n\n\
                        [profiles.beta]\nrate = 2\n";

    fn traits() -> ServerTraits {
        let mut t = ServerTraits {
            line_echo: Some(false),
            payslip_worker_id: Some(true),
            ..ServerTraits::default()
        };
        t.filters.insert("candidates".into(), Filters::Ignored);
        t
    }

    #[test]
    fn the_server_table_is_added_and_comments_are_kept() {
        let out = with_server_table(FILE, "acme", &traits()).unwrap();
        for kept in [
            "# my employers",
            "# production",
            "rate = 5 # slow",
            "[profiles.beta]",
        ] {
            assert!(out.contains(kept), "{kept} lost:\n{out}");
        }
        assert!(out.contains("[profiles.acme.server]"), "{out}");
        let read = ConfigFile::parse(&out).expect("still a valid configuration");
        let (_, acme) = read.profile(Some("acme")).unwrap().unwrap();
        assert_eq!(acme.server, Some(traits()));
        assert_eq!(acme.rate, Some(5));
        let (_, beta) = read.profile(Some("beta")).unwrap().unwrap();
        assert_eq!(beta.server, None);
        // Saving again replaces the table.
        let again = with_server_table(&out, "acme", &ServerTraits::default()).unwrap();
        let read = ConfigFile::parse(&again).unwrap();
        let (_, acme) = read.profile(Some("acme")).unwrap().unwrap();
        assert_eq!(acme.server, Some(ServerTraits::default()));
        assert_eq!(
            again.matches("[profiles.acme.server]").count(),
            1,
            "{again}"
        );
    }

    #[test]
    fn an_unknown_profile_is_refused() {
        let e = with_server_table(FILE, "gamma", &traits()).unwrap_err();
        assert!(e.contains("[profiles.gamma]"), "{e}");
    }
}

//! What the journal keeps of bank details: never the value, only a masked form for reports
//! and a keyed hash (HMAC-SHA256 with a per-install secret) that tells whether two values are
//! the same without saying what they are.
//!
//! The secret is 32 random bytes in a file of its own (mode 0600) beside the token store, not
//! beside the journal: a copy of the journal alone (a backup, a file sent with a bug report)
//! cannot be searched for a known account number, as an unkeyed hash of an 8-digit number
//! could.
//!
//! Free text the journal keeps (validation findings, the server's messages) may quote a bank
//! value; what looks like one there (an IBAN, a sort code, a run of six or more digits) is
//! masked before it is stored.

use std::borrow::Cow;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use hmac::{Hmac, Mac};
use regex::Regex;
use serde_json::{Map, Value};
use sha2::Sha256;

use super::JournalError;
use crate::model::{Change, ChangeClass, RecordDetail};

/// Name of the secret's file (beside the token store).
pub const KEY_FILE: &str = "journal.key";

/// The per-install secret that keys the hashes of bank values.
#[derive(Clone)]
pub struct Key([u8; 32]);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key([redacted])")
    }
}

impl Key {
    /// A key for this process only: hashes it makes compare within the process, not with
    /// those of other runs. For a journal opened without a key file (tests, tools).
    pub fn ephemeral() -> Key {
        Key(rand::random())
    }

    /// The key in `path`, created (32 random bytes, hex, mode 0600, its folder 0700) when
    /// there is none. Two processes creating it at once agree on one: each writes its own
    /// temporary file and links it into place, and the one that finds it there reads it.
    pub fn load_or_create(path: &Path) -> Result<Key, JournalError> {
        let fail = |source: std::io::Error| JournalError::Key {
            path: path.to_path_buf(),
            what: source.to_string(),
        };
        match read_key(path) {
            Ok(key) => return Ok(key),
            Err(KeyRead::Missing) => {}
            Err(KeyRead::Bad(what)) => {
                return Err(JournalError::Key {
                    path: path.to_path_buf(),
                    what,
                });
            }
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        super::private_dir(dir).map_err(fail)?;
        let key = Key(rand::random());
        let temp = dir.join(format!(".{KEY_FILE}.{}.tmp", std::process::id()));
        let written = (|| {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let mut file = options.open(&temp)?;
            file.write_all(format!("{}\n", hex::encode(key.0)).as_bytes())?;
            file.sync_all()?;
            std::fs::hard_link(&temp, path)
        })();
        let _ = std::fs::remove_file(&temp);
        match written {
            Ok(()) => Ok(key),
            // Another process made it first: use that one.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                read_key(path).map_err(|e| JournalError::Key {
                    path: path.to_path_buf(),
                    what: match e {
                        KeyRead::Missing => "it vanished while being created".into(),
                        KeyRead::Bad(what) => what,
                    },
                })
            }
            Err(e) => Err(fail(e)),
        }
    }

    /// HMAC-SHA256 (hex) of a bank value, normalised (spaces and dashes dropped, upper case)
    /// so that `60-16-13` and `601613` hash alike.
    pub fn hash(&self, value: &str) -> String {
        let normal: String = value
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .flat_map(char::to_uppercase)
            .collect();
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(normal.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

enum KeyRead {
    Missing,
    Bad(String),
}

fn read_key(path: &Path) -> Result<Key, KeyRead> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(KeyRead::Missing),
        Err(e) => return Err(KeyRead::Bad(e.to_string())),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(KeyRead::Bad(format!(
                    "other users can read it (mode {mode:o}); fix it with `chmod 600 {}`",
                    path.display()
                )));
            }
        }
    }
    let bytes = hex::decode(text.trim()).ok();
    match bytes.and_then(|b| <[u8; 32]>::try_from(b).ok()) {
        Some(bytes) => Ok(Key(bytes)),
        None => Err(KeyRead::Bad(
            "it is not 64 hex digits; if it is damaged, delete it (the hashes of bank details \
             in earlier runs then no longer compare with new ones)"
                .into(),
        )),
    }
}

/// Where the key lives beside a token store file.
pub fn key_file_beside(token_store: &Path) -> PathBuf {
    token_store
        .parent()
        .unwrap_or(Path::new("."))
        .join(KEY_FILE)
}

/// Whether a change is to bank details (the plan's class, or a field of `bankSetting`, which
/// also covers changes the plan held as conflicts before classifying them).
pub fn is_bank(change: &Change) -> bool {
    change.class == ChangeClass::Bank
        || change.field == "bankSetting"
        || change.field.starts_with("bankSetting.")
}

/// `12345678` → `******78`: the last two characters.
pub fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let keep = chars.len().min(2);
    let hidden = chars.len() - keep;
    "*".repeat(hidden) + &chars[hidden..].iter().collect::<String>()
}

/// A bank value as the journal stores it: every leaf replaced by `{"masked", "hmac"}`; `null`
/// stays `null` (there was none).
pub fn protect_value(key: &Key, value: &Value) -> Value {
    match value {
        Value::Null => Value::Null,
        protected if is_protected(protected) => protected.clone(),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), protect_value(key, v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| protect_value(key, v)).collect()),
        leaf => {
            let text = match leaf {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let mut out = Map::new();
            out.insert("masked".into(), Value::String(mask(&text)));
            out.insert("hmac".into(), Value::String(key.hash(&text)));
            Value::Object(out)
        }
    }
}

/// Whether `value` is a stored bank value (`{"masked", "hmac"}`).
pub fn is_protected(value: &Value) -> bool {
    value
        .as_object()
        .is_some_and(|m| m.len() == 2 && m.contains_key("masked") && m.contains_key("hmac"))
}

/// A stored value as a report shows it: a protected bank value as its masked form and the
/// start of its hash (`******19 #3f2a9c1e`, so two values that mask alike can be told
/// apart), anything else as text.
pub fn shown(value: &Value) -> String {
    match value {
        Value::Null => "(empty)".into(),
        Value::String(s) => s.clone(),
        v if is_protected(v) => {
            let masked = v["masked"].as_str().unwrap_or("");
            let hash = v["hmac"].as_str().unwrap_or("");
            format!("{masked} #{}", hash.get(..8).unwrap_or(hash))
        }
        Value::Object(map) if map.values().any(is_protected) => {
            let parts: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k}: {}", shown(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        other => other.to_string(),
    }
}

/// Changes as the journal stores them: bank values protected, others as they are.
pub fn protect_changes(key: &Key, changes: &[Change]) -> Vec<Change> {
    changes
        .iter()
        .map(|c| {
            if is_bank(c) {
                Change {
                    before: protect_value(key, &c.before),
                    after: protect_value(key, &c.after),
                    ..c.clone()
                }
            } else {
                c.clone()
            }
        })
        .collect()
}

impl super::Journal {
    /// Changes as the journal stores them ([`protect_changes`]); the key is read (or made) only
    /// when there is a bank change to hash.
    pub(super) fn protected<'c>(
        &self,
        changes: &'c [Change],
    ) -> Result<Cow<'c, [Change]>, JournalError> {
        if changes.iter().any(is_bank) {
            Ok(Cow::Owned(protect_changes(self.key()?, changes)))
        } else {
            Ok(Cow::Borrowed(changes))
        }
    }
}

static IBAN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]){10,30}\b").expect("IBAN pattern")
});
static SORT_CODE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b\d{2}[-\s]\d{2}[-\s]\d{2}\b").expect("sort code pattern"));
static DIGITS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b\d{6,}\b").expect("digits"));

/// `found` with its IBAN masked: the longest part of it, cut at a space, whose check digits are
/// right (the pattern may run on into the words that follow). Unchanged when none is.
fn iban_masked(found: &str) -> String {
    let mut end = found.len();
    loop {
        if crate::rules::bank::iban_checksum_ok(&found[..end]) {
            return format!("{}{}", mask(&found[..end]), &found[end..]);
        }
        match found[..end].rfind(char::is_whitespace) {
            Some(i) => end = i,
            None => return found.to_string(),
        }
    }
}

/// Free text with what looks like a bank value masked: IBANs, sort codes, runs of six or more
/// digits (account numbers). NI numbers are left (they are kept until the run is pruned).
pub fn scrub_text(text: &str) -> Cow<'_, str> {
    if !text.bytes().any(|b| b.is_ascii_digit()) {
        return Cow::Borrowed(text);
    }
    // Only what passes the IBAN check digits: "PR100 is a default pay code" has an IBAN's
    // shape too.
    let text = IBAN.replace_all(text, |c: &regex::Captures<'_>| iban_masked(&c[0]));
    let text = SORT_CODE.replace_all(&text, |c: &regex::Captures<'_>| mask(&c[0]));
    Cow::Owned(
        DIGITS
            .replace_all(&text, |c: &regex::Captures<'_>| mask(&c[0]))
            .into_owned(),
    )
}

static BANK_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(sort code|account number|account name|iban|bic|swift|building society)\b")
        .expect("bank words")
});

/// A validation finding or warning as the journal stores it. One about a bank detail (its
/// words name one: the rules' messages do, e.g. "sort code read as '794' …; repaired and sent
/// as 000794") keeps none of the values it quotes, whatever their shape (as `--mask-pii` hides
/// them, `'*94'`, `****94`); any other is [`scrub_text`]ed.
pub fn scrub_note(note: &str) -> Cow<'_, str> {
    if BANK_WORDS.is_match(note) {
        Cow::Owned(scrub_text(&crate::schema::build::mask_values(note)).into_owned())
    } else {
        scrub_text(note)
    }
}

/// A record's report detail as the journal stores it: findings and warnings scrubbed
/// ([`scrub_note`]).
pub fn protect_detail(detail: &RecordDetail) -> Cow<'_, RecordDetail> {
    let changes = |notes: &[String]| notes.iter().any(|n| scrub_note(n) != n.as_str());
    if !changes(&detail.findings) && !changes(&detail.warnings) {
        return Cow::Borrowed(detail);
    }
    let scrub = |notes: &[String]| -> Vec<String> {
        notes.iter().map(|n| scrub_note(n).into_owned()).collect()
    };
    Cow::Owned(RecordDetail {
        findings: scrub(&detail.findings),
        warnings: scrub(&detail.warnings),
        ..detail.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bank_values_are_masked_and_hashed_with_the_key() {
        let key = Key([7; 32]);
        let other = Key([8; 32]);
        let stored = protect_value(&key, &json!("31926819"));
        assert_eq!(stored["masked"], "******19");
        assert_eq!(stored["hmac"].as_str().unwrap().len(), 64);
        assert!(!stored.to_string().contains("31926819"));
        assert_eq!(key.hash("60-16-13"), key.hash("601613"));
        assert_ne!(key.hash("601613"), other.hash("601613"));
        // Already protected: kept as it is.
        assert_eq!(protect_value(&key, &stored), stored);
        let whole = protect_value(
            &key,
            &json!({"accountNumber": "31926819", "sortCode": null}),
        );
        assert!(!whole.to_string().contains("31926819"), "{whole}");
        assert!(shown(&stored).starts_with("******19 #"));
    }

    #[test]
    fn words_shaped_like_an_iban_are_not_masked() {
        let note = "PR100 is a default pay code, which Nxsys does not let anyone alter";
        assert_eq!(
            scrub_text(&format!("{note} (HTTP 400)")),
            format!("{note} (HTTP 400)")
        );
        let iban = "IE73AIBK93115219799724";
        assert!(!scrub_text(&format!("refused {iban} 1")).contains(iban));
    }

    #[test]
    fn free_text_loses_what_looks_like_bank_details() {
        let text = "row 5, column L (Account Number): '1234567' is not an account number; \
                    IBAN GB29NWBK60161331926819 does not contain sort code 60-16-13; NI AB000001C";
        let s = scrub_text(text);
        for clear in ["1234567", "GB29NWBK6016", "60-16-13", "61331926819"] {
            assert!(!s.contains(clear), "{clear}: {s}");
        }
        assert!(s.contains("AB000001C"), "{s}");
        assert!(matches!(scrub_text("no digits here"), Cow::Borrowed(_)));
        let repaired = scrub_note(
            "row 4, column H (Sort Code): sort code read as '794' (Excel stored it as a number); \
             repaired and sent as 000794 [sort_code.repaired]",
        );
        assert!(
            !repaired.contains("794'") && !repaired.contains("000794"),
            "{repaired}"
        );
        assert!(repaired.contains("[sort_code.repaired]"), "{repaired}");
        let other = "row 5, column J (Tax Period): '53' is not a tax period";
        assert_eq!(scrub_note(other), other);
    }

    #[test]
    fn the_key_file_is_private_and_made_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config").join(KEY_FILE);
        let first = Key::load_or_create(&path).unwrap();
        let again = Key::load_or_create(&path).unwrap();
        assert_eq!(first.hash("x"), again.hash("x"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let refused = Key::load_or_create(&path).unwrap_err().to_string();
            assert!(refused.contains("chmod 600"), "{refused}");
        }
    }
}

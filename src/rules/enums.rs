//! Enum values and their friendly aliases, read from `templates/enums.toml` (embedded at build
//! time; a user copy given with `--enums` overrides it) so a wrong guess about the API's value
//! lists is corrected without a rebuild.
//!
//! File format: one TOML table per kind; each key is the API value, each value an array of
//! aliases (or one alias as a plain string). Values keep their file order.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use toml::Spanned;

/// The enum file compiled into the binary.
const EMBEDDED: &str = include_str!("../../templates/enums.toml");

/// Name shown in messages about the embedded file.
const EMBEDDED_NAME: &str = "templates/enums.toml (built in)";

/// Every enum the tool knows: kind → canonical API values with their aliases.
#[derive(Debug, Clone, Default)]
pub struct Enums {
    kinds: BTreeMap<String, Kind>,
}

/// One kind's values in file order, with a lookup from folded spelling to value index.
#[derive(Debug, Clone, Default)]
struct Kind {
    values: Vec<(String, Vec<String>)>,
    index: HashMap<String, usize>,
    /// Line of the `[kind]` header, for messages.
    line: usize,
}

/// Why an enum file could not be used. Every message names the file, and the line when known.
#[derive(Debug, thiserror::Error)]
pub enum EnumsError {
    #[error("cannot read enum file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}, line {line}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

impl Enums {
    /// The built-in values from `templates/enums.toml`.
    pub fn embedded() -> Enums {
        static PARSED: OnceLock<Enums> = OnceLock::new();
        PARSED
            .get_or_init(|| {
                // Part of the program, not user input; a unit test proves it parses.
                Enums::parse(EMBEDDED, Path::new(EMBEDDED_NAME))
                    .unwrap_or_else(|e| panic!("built-in enum file is invalid: {e}"))
            })
            .clone()
    }

    /// Read a user's enum file.
    pub fn load(path: &Path) -> Result<Enums, EnumsError> {
        let text = std::fs::read_to_string(path).map_err(|source| EnumsError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Enums::parse(&text, path)
    }

    /// The built-in values with the kinds of a user file (`--enums FILE`) replacing theirs. A
    /// kind the tool does not know (a typo such as `[titel]`) is an error, not ignored.
    pub fn embedded_with_user(path: Option<&Path>) -> Result<Enums, EnumsError> {
        let mut enums = Enums::embedded();
        if let Some(path) = path {
            let user = Enums::load(path)?;
            if let Some((name, kind)) = user.kinds.iter().find(|(k, _)| !enums.has_kind(k)) {
                return Err(EnumsError::Invalid {
                    path: path.to_path_buf(),
                    line: kind.line,
                    message: format!(
                        "[{name}] is not a kind this tool uses; the kinds are: {}",
                        enums.kinds().collect::<Vec<_>>().join(", ")
                    ),
                });
            }
            enums.merge_user(user);
        }
        Ok(enums)
    }

    /// Parse enum-file text; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Enums, EnumsError> {
        type RawKind = BTreeMap<Spanned<String>, Spanned<toml::Value>>;
        let raw: BTreeMap<Spanned<String>, Spanned<RawKind>> =
            toml::from_str(text).map_err(|e| EnumsError::Invalid {
                path: path.to_path_buf(),
                line: e.span().map_or(1, |s| line_of(text, s.start)),
                message: format!(
                    "{} (each [kind] table holds lines like MR = [\"Mr\", \"Mister\"])",
                    e.message().trim_end()
                ),
            })?;
        let invalid = |at: usize, message: String| EnumsError::Invalid {
            path: path.to_path_buf(),
            line: line_of(text, at),
            message,
        };

        let mut kinds = BTreeMap::new();
        for (kind_name, entries) in raw {
            let mut entries: Vec<_> = entries.into_inner().into_iter().collect();
            // Keys arrive sorted by name; the file order is the order of their positions.
            entries.sort_by_key(|(value, _)| value.span().start);
            let mut kind = Kind {
                line: line_of(text, kind_name.span().start),
                ..Kind::default()
            };
            for (value, aliases) in entries {
                let at = value.span().start;
                let value = value.into_inner();
                let aliases = alias_list(aliases.get_ref()).ok_or_else(|| {
                    invalid(
                        at,
                        format!(
                            "[{}] {value}: aliases must be a list of text, e.g. {value} = [\"alias\"]",
                            kind_name.get_ref()
                        ),
                    )
                })?;
                let position = kind.values.len();
                for spelling in std::iter::once(&value).chain(&aliases) {
                    let folded = fold(spelling);
                    if folded.is_empty() {
                        return Err(invalid(
                            at,
                            format!(
                                "[{}] {value}: '{spelling}' has no letters or digits to match",
                                kind_name.get_ref()
                            ),
                        ));
                    }
                    match kind.index.get(&folded) {
                        Some(&other) if other != position => {
                            return Err(invalid(
                                at,
                                format!(
                                    "[{}] '{spelling}' would mean both {} and {value}; keep it under one of them",
                                    kind_name.get_ref(),
                                    kind.values[other].0
                                ),
                            ));
                        }
                        _ => {
                            kind.index.insert(folded, position);
                        }
                    }
                }
                kind.values.push((value, aliases));
            }
            if kind.values.is_empty() {
                return Err(EnumsError::Invalid {
                    path: path.to_path_buf(),
                    line: kind.line,
                    message: format!(
                        "[{}] has no values: add lines like VALUE = [\"alias\"], or delete the \
                         table to keep the built-in values",
                        kind_name.get_ref()
                    ),
                });
            }
            kinds.insert(kind_name.into_inner(), kind);
        }
        Ok(Enums { kinds })
    }

    /// Replace each kind present in `user` with the user's version; other kinds are kept.
    pub fn merge_user(&mut self, user: Enums) {
        self.kinds.extend(user.kinds);
    }

    /// The canonical API value for `raw` (a value or an alias), if any.
    pub fn resolve(&self, kind: &str, raw: &str) -> Option<&str> {
        let kind = self.kinds.get(kind)?;
        let index = match fold_ascii(raw, &mut [0; 64]) {
            Some(folded) => *kind.index.get(folded)?,
            None => *kind.index.get(&fold(raw))?,
        };
        kind.values.get(index).map(|(value, _)| value.as_str())
    }

    /// The canonical values of `kind`, in file order (for messages and drop-down lists).
    pub fn values(&self, kind: &str) -> Vec<&str> {
        self.kinds
            .get(kind)
            .map(|k| k.values.iter().map(|(v, _)| v.as_str()).collect())
            .unwrap_or_default()
    }

    /// The aliases of one value of `kind`, in file order (for template instructions).
    pub fn aliases(&self, kind: &str, value: &str) -> Vec<&str> {
        self.kinds
            .get(kind)
            .and_then(|k| k.values.iter().find(|(v, _)| v == value))
            .map(|(_, aliases)| aliases.iter().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// Whether the file defines `kind`.
    pub fn has_kind(&self, kind: &str) -> bool {
        self.kinds.contains_key(kind)
    }

    /// The kind names, sorted.
    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.kinds.keys().map(String::as_str)
    }
}

/// Aliases given as an array of strings, or one string.
fn alias_list(value: &toml::Value) -> Option<Vec<String>> {
    match value {
        toml::Value::String(s) => Some(vec![s.clone()]),
        toml::Value::Array(items) => items
            .iter()
            .map(|item| item.as_str().map(str::to_string))
            .collect(),
        _ => None,
    }
}

/// 1-based line number of byte offset `at` in `text`.
fn line_of(text: &str, at: usize) -> usize {
    let end = at.min(text.len());
    text.as_bytes()
        .get(..end)
        .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count())
        + 1
}

/// [`fold`] into `buf` without allocating, for ASCII text that fits; `None` otherwise.
fn fold_ascii<'b>(s: &str, buf: &'b mut [u8; 64]) -> Option<&'b str> {
    let mut len = 0;
    for b in s.bytes() {
        if !b.is_ascii() {
            return None;
        }
        if b.is_ascii_alphanumeric() {
            *buf.get_mut(len)? = b.to_ascii_lowercase();
            len += 1;
        }
    }
    std::str::from_utf8(buf.get(..len)?).ok()
}

/// Case, space and punctuation do not matter when matching values: "2-Weekly" = "2 weekly".
fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_fold_agrees_with_fold() {
        for text in [
            "2-Weekly",
            " Mr. ",
            "S",
            "",
            "BACS/faster",
            "Zoë",
            &"x".repeat(80),
        ] {
            let mut buf = [0; 64];
            match fold_ascii(text, &mut buf) {
                Some(folded) => assert_eq!(folded, fold(text), "{text}"),
                None => assert!(!text.is_ascii() || fold(text).len() > 64, "{text}"),
            }
        }
    }

    fn parse(text: &str) -> Result<Enums, EnumsError> {
        Enums::parse(text, Path::new("my-enums.toml"))
    }

    #[test]
    fn embedded_file_parses_and_has_every_schema_kind() {
        let enums = Enums::embedded();
        for kind in [
            "title",
            "gender",
            "marital_status",
            "pay_frequency",
            "pay_method",
            "registration_status",
            "right_to_work_status",
            "document_type",
            "payment_model",
            "cis_status",
            "pension_calculation_type",
            "rate_type",
            "rate_units",
            "rate_status",
            "vat_letter",
        ] {
            assert!(enums.has_kind(kind), "missing kind {kind}");
            assert!(!enums.values(kind).is_empty(), "empty kind {kind}");
        }
    }

    #[test]
    fn values_known_from_the_reference_are_present() {
        let enums = Enums::embedded();
        for (kind, value) in [
            ("title", "NONE"),
            ("gender", "MALE"),
            ("marital_status", "SINGLE"),
            ("registration_status", "ONGOING"),
            ("pay_frequency", "WEEKLY"),
            ("pay_method", "BACS"),
            ("right_to_work_status", "APPEAL"),
            ("document_type", "BIOMETRIC_RESIDENCE_PERMIT"),
            ("payment_model", "CIS"),
            ("payment_model", "PAYEE"),
            ("pension_calculation_type", "NET_PAY_ARRANGEMENT"),
            ("rate_type", "RATE"),
            ("rate_type", "FIXED"),
            ("rate_units", "DAILY"),
            ("rate_status", "ACTIVE"),
            ("vat_letter", "S"),
        ] {
            assert_eq!(enums.resolve(kind, value), Some(value), "{kind} {value}");
        }
    }

    #[test]
    fn aliases_resolve_ignoring_case_space_and_punctuation() {
        let enums = Enums::embedded();
        assert_eq!(enums.resolve("title", "Mr."), Some("MR"));
        assert_eq!(enums.resolve("title", " mrs "), Some("MRS"));
        assert_eq!(
            enums.resolve("pay_frequency", "2-Weekly"),
            Some("FORTNIGHTLY")
        );
        assert_eq!(
            enums.resolve("pay_frequency", "2 weekly"),
            Some("FORTNIGHTLY")
        );
        assert_eq!(
            enums.resolve("pay_frequency", "Bi-weekly"),
            Some("FORTNIGHTLY")
        );
        assert_eq!(
            enums.resolve("pay_frequency", "four_weekly"),
            Some("FOUR_WEEKLY")
        );
        assert_eq!(enums.resolve("payment_model", "PAYE"), Some("PAYEE"));
        assert_eq!(
            enums.resolve("payment_model", "paye hybrid"),
            Some("PAYE_HYBRID")
        );
        assert_eq!(enums.resolve("vat_letter", "Standard"), Some("S"));
        assert_eq!(enums.resolve("title", "Sir"), None);
        assert_eq!(enums.resolve("no_such_kind", "MR"), None);
    }

    #[test]
    fn values_keep_file_order() {
        let enums = Enums::embedded();
        assert_eq!(
            enums.values("pay_frequency"),
            ["WEEKLY", "FORTNIGHTLY", "FOUR_WEEKLY", "MONTHLY"]
        );
        let enums = parse("[k]\nZED = []\nALPHA = \"a\"\nMID = [\"m\"]\n").unwrap();
        assert_eq!(enums.values("k"), ["ZED", "ALPHA", "MID"]);
        assert_eq!(enums.aliases("k", "ALPHA"), ["a"]);
    }

    #[test]
    fn user_file_replaces_only_its_kinds() {
        let mut enums = Enums::embedded();
        enums.merge_user(parse("[title]\nMISTER = [\"Mr\"]\n").unwrap());
        assert_eq!(enums.values("title"), ["MISTER"]);
        assert_eq!(enums.resolve("title", "Mr"), Some("MISTER"));
        assert_eq!(enums.resolve("gender", "F"), Some("FEMALE"));
    }

    #[test]
    fn load_reads_a_file_and_names_it_when_missing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("enums.toml");
        std::fs::write(&path, "[gender]\nX = [\"Unknown\"]\n").unwrap();
        let enums = Enums::embedded_with_user(Some(&path)).unwrap();
        assert_eq!(enums.resolve("gender", "unknown"), Some("X"));
        let missing = dir.path().join("nope.toml");
        let err = Enums::load(&missing).unwrap_err().to_string();
        assert!(err.contains("nope.toml"), "{err}");
    }

    #[test]
    fn user_file_with_unknown_or_empty_kind_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("enums.toml");
        std::fs::write(&path, "[gender]\nX = []\n\n[titel]\nMR = []\n").unwrap();
        let err = Enums::embedded_with_user(Some(&path)).unwrap_err();
        assert!(matches!(err, EnumsError::Invalid { line: 4, .. }), "{err}");
        assert!(err.to_string().contains("[titel]"), "{err}");
        let err = parse("[a]\nX = []\n[title]\n").unwrap_err();
        assert!(matches!(err, EnumsError::Invalid { line: 3, .. }), "{err}");
    }

    #[test]
    fn broken_toml_names_file_and_line() {
        let err = parse("[title]\nMR = [\"Mr\"]\nMRS = [\"Mrs\"\n").unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("my-enums.toml, line "), "{msg}");
        assert!(
            matches!(err, EnumsError::Invalid { line: 3 | 4, .. }),
            "{msg}"
        );
    }

    #[test]
    fn alias_of_wrong_type_names_the_line() {
        let err = parse("[title]\nMR = [\"Mr\"]\nMRS = 3\n").unwrap_err();
        assert!(matches!(err, EnumsError::Invalid { line: 3, .. }), "{err}");
        assert!(err.to_string().contains("MRS"), "{err}");
        let err = parse("[title]\nMR = [\"Mr\", 4]\n").unwrap_err();
        assert!(matches!(err, EnumsError::Invalid { line: 2, .. }), "{err}");
    }

    #[test]
    fn alias_meaning_two_values_is_rejected() {
        let err = parse("[t]\nA = [\"x\"]\nB = [\"X.\"]\n").unwrap_err();
        assert!(matches!(err, EnumsError::Invalid { line: 3, .. }), "{err}");
        assert!(err.to_string().contains("both A and B"), "{err}");
    }

    #[test]
    fn kind_that_is_not_a_table_is_rejected_with_line() {
        let err = parse("title = \"MR\"\n").unwrap_err();
        assert!(matches!(err, EnumsError::Invalid { line: 1, .. }), "{err}");
    }
}

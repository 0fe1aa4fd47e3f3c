//! Countries as ISO 3166-1 alpha-2 codes. English names, common other names ("UK", "Great
//! Britain", "Éire") and the nationalities most seen on UK and Irish payrolls are converted.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::{Checked, Finding, Input, RuleResult};

mod data;

use data::{ALIASES, COUNTRIES};

/// Whether `code` is an assigned alpha-2 code (upper case).
pub fn is_country_code(code: &str) -> bool {
    COUNTRIES.iter().any(|&(c, _)| c == code)
}

/// The alpha-2 code for a code, name or alias, ignoring case, accents and punctuation.
pub fn country_code(text: &str) -> Option<&'static str> {
    static INDEX: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    let index = INDEX.get_or_init(|| {
        let mut index = HashMap::new();
        let codes = COUNTRIES.iter().map(|&(code, _)| (code, code));
        let names = COUNTRIES.iter().map(|&(code, name)| (name, code));
        // Codes win over names, names over aliases.
        for (spelling, code) in codes.chain(names).chain(ALIASES.iter().copied()) {
            index.entry(fold(spelling)).or_insert(code);
        }
        index
    });
    index.get(&fold(text)).copied()
}

/// Check a country cell; the value is the alpha-2 code, e.g. `GB`.
pub fn country(input: &Input<'_>) -> RuleResult<String> {
    let raw = input.text;
    let code = country_code(raw).ok_or_else(|| {
        Finding::error(
            "country.unknown",
            format!(
                "'{raw}' is not a country this tool knows: use the two-letter ISO code, e.g. GB \
                 for the United Kingdom or IE for Ireland"
            ),
        )
    })?;
    Ok(Checked::clean(code.to_string()))
}

/// Lower case, accents removed, only letters and digits kept: "Côte d'Ivoire" = "cote divoire".
fn fold(s: &str) -> String {
    s.chars()
        .map(strip_accent)
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The base letter of the accented Latin letters found in country names.
fn strip_accent(c: char) -> char {
    match c {
        'À'..='Å' | 'à'..='å' => 'a',
        'Ç' | 'ç' => 'c',
        'È'..='Ë' | 'è'..='ë' => 'e',
        'Ì'..='Ï' | 'ì'..='ï' => 'i',
        'Ñ' | 'ñ' => 'n',
        'Ò'..='Ö' | 'ò'..='ö' | 'Ø' | 'ø' => 'o',
        'Ù'..='Ü' | 'ù'..='ü' => 'u',
        'Ý' | 'ý' | 'ÿ' => 'y',
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> Result<String, &'static str> {
        country(&Input::text(text))
            .map(|c| c.value)
            .map_err(|f| f.code)
    }

    #[test]
    fn codes_names_and_aliases() {
        for (text, want) in [
            ("GB", "GB"),
            ("gb", "GB"),
            ("United Kingdom", "GB"),
            ("UK", "GB"),
            ("U.K.", "GB"),
            ("Great Britain", "GB"),
            ("England", "GB"),
            ("British", "GB"),
            ("Ireland", "IE"),
            ("Éire", "IE"),
            ("Eire", "IE"),
            ("Republic of Ireland", "IE"),
            ("IE", "IE"),
            ("Côte d'Ivoire", "CI"),
            ("cote divoire", "CI"),
            ("Türkiye", "TR"),
            ("Turkey", "TR"),
            ("AF", "AF"),
            ("USA", "US"),
            ("Polish", "PL"),
        ] {
            assert_eq!(code(text), Ok(want.to_string()), "{text}");
        }
    }

    #[test]
    fn unknown_countries() {
        for text in ["XX", "Atlantis", "U", "EU", "---"] {
            assert_eq!(code(text), Err("country.unknown"), "{text}");
        }
    }

    #[test]
    fn table_is_consistent() {
        assert_eq!(COUNTRIES.len(), 249);
        for (i, &(code, name)) in COUNTRIES.iter().enumerate() {
            assert!(
                code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()),
                "{code}"
            );
            // Sorted, so no duplicates; each name leads back to its code.
            if let Some(&(prev, _)) = i.checked_sub(1).and_then(|j| COUNTRIES.get(j)) {
                assert!(prev < code, "{prev} before {code}");
            }
            assert_eq!(country_code(name), Some(code), "{name}");
        }
        for &(alias, target) in ALIASES {
            assert!(is_country_code(target), "{alias} -> {target}");
            assert_eq!(country_code(alias), Some(target), "{alias} shadowed");
        }
    }
}

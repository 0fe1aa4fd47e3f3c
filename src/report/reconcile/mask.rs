//! `--mask-pii`: NI numbers, PPS numbers and bank details masked in reports.

use std::sync::LazyLock;

use regex::Regex;

static NI: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b([A-Z]{2})\s?\d{2}\s?\d{2}\s?\d{2}\s?([A-D])\b").expect("NI pattern")
});
static PPS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b\d{7}[A-W][A-IW]?\b").expect("PPS pattern"));
static DIGITS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b\d{6,}\b").expect("digits"));
static IBAN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b[A-Z]{2}\d{2}[A-Z0-9]{10,30}\b").expect("IBAN pattern"));

/// `QQ123456C` → `QQ******C`.
pub fn mask_ni(ni: &str) -> String {
    NI.replace_all(ni, "$1******$2").into_owned()
}

/// Keep the last two characters: `12345678` → `******78`.
pub fn mask_account(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let keep = chars.len().min(2);
    let hidden = chars.len() - keep;
    "*".repeat(hidden) + &chars[hidden..].iter().collect::<String>()
}

/// Mask anything in free text (messages from the server, keys) that looks like an NI number,
/// PPS number, IBAN or a long run of digits (account numbers, sort codes).
pub fn mask_text(text: &str) -> String {
    let text = NI.replace_all(text, "$1******$2");
    let text = IBAN.replace_all(&text, |c: &regex::Captures<'_>| mask_account(&c[0]));
    let text = PPS.replace_all(&text, |c: &regex::Captures<'_>| mask_account(&c[0]));
    DIGITS
        .replace_all(&text, |c: &regex::Captures<'_>| mask_account(&c[0]))
        .into_owned()
}

/// Whether a JSON path holds personal identifiers that `--mask-pii` hides.
pub fn is_sensitive_field(path: &str) -> bool {
    crate::schema::columns::is_sensitive_path(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_masked_everywhere() {
        assert_eq!(mask_ni("QQ123456C"), "QQ******C");
        assert_eq!(mask_account("12345678"), "******78");
        let m = mask_text(
            "NI QQ 12 34 56 C for acct 12345678, IBAN GB29NWBK60161331926819, PPS 1234567TA",
        );
        assert!(!m.contains("123456"), "{m}");
        assert!(!m.contains("NWBK6016"), "{m}");
        assert!(!m.contains("1234567T"), "{m}");
        assert!(m.contains("QQ******C"), "{m}");
        assert!(is_sensitive_field("bankSetting.sortCode"));
        assert!(is_sensitive_field("generalSetting.NINumber"));
        assert!(!is_sensitive_field("generalSetting.surname"));
    }
}

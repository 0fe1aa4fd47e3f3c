//! The simple rules: free text, yes/no and API ids.

use std::borrow::Cow;

use super::ident::is_scientific;
use super::{Checked, Finding, Input, RuleResult};

/// Check free text: trimmed, at most `max_len` characters, no control characters. Line breaks
/// (Alt+Enter in Excel) become `", "` with a warning, since API fields are single lines.
pub fn text(input: &Input<'_>, max_len: usize) -> RuleResult<String> {
    text_ref(input, max_len).map(|c| c.map(Cow::into_owned))
}

/// [`text`], borrowing the cell when the text is kept as it is (the usual case).
pub fn text_ref<'a>(input: &Input<'a>, max_len: usize) -> RuleResult<Cow<'a, str>> {
    let raw = super::trim(input.text);
    // Plain text — printable ASCII or tab, short enough, not a number in scientific notation —
    // passes as it is: the general path below would find nothing to say about it.
    if raw.len() <= max_len
        && raw
            .bytes()
            .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
        && !may_be_scientific(raw)
    {
        return Ok(Checked::clean(Cow::Borrowed(raw)));
    }
    text_slow(raw, max_len).map(|c| c.map(Cow::Owned))
}

/// Whether [`is_scientific`] could say yes: the text has an `e` and starts with a digit.
fn may_be_scientific(text: &str) -> bool {
    text.as_bytes().first().is_some_and(u8::is_ascii_digit)
        && text.bytes().any(|b| b == b'e' || b == b'E')
}

fn text_slow(raw: &str, max_len: usize) -> RuleResult<String> {
    let mut warnings = Vec::new();
    let value = if raw.contains(['\n', '\r']) {
        warnings.push(Finding::warning(
            "text.line_break",
            "the cell has line breaks; they were replaced by ', ' (keep each value on one line)",
        ));
        raw.split(['\n', '\r'])
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        raw.to_string()
    };
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(Finding::error(
            "text.control",
            "the cell contains invisible control characters: re-type the text",
        ));
    }
    let value = match invisible(&value) {
        Some((cleaned, finding)) => {
            warnings.push(finding);
            cleaned
        }
        None => value,
    };
    if is_scientific(&value) {
        warnings.push(Finding::warning(
            "text.scientific",
            format!(
                "'{value}' looks like a number Excel shortened to scientific notation, which \
                 loses digits: if it is a reference, format the column as Text and re-type it"
            ),
        ));
    }
    let len = value.chars().count();
    if len > max_len {
        return Err(Finding::error(
            "text.too_long",
            format!("the text is {len} characters long; at most {max_len} are allowed: shorten it"),
        ));
    }
    Ok(Checked { value, warnings })
}

/// Invisible format characters in text (Unicode category Cf, see
/// [`crate::writing::is_invisible_format`]): the text without them, except the zero-width
/// joiners U+200C and U+200D, which some scripts and emoji need, and a warning naming each kind.
/// A right-to-left override (U+202E) makes `Smith` + U+202E + `txt.exe` display as something
/// else entirely; none of them belongs in a name or an address.
fn invisible(value: &str) -> Option<(String, Finding)> {
    use crate::writing::is_invisible_format;
    if value.is_ascii() || !value.chars().any(is_invisible_format) {
        return None;
    }
    let joiner = |c: char| c == '\u{200C}' || c == '\u{200D}';
    let mut kinds: Vec<String> = Vec::new();
    for c in value.chars().filter(|&c| is_invisible_format(c)) {
        let name = format!("U+{:04X}", u32::from(c));
        if !kinds.contains(&name) {
            kinds.push(name);
        }
    }
    let cleaned: String = value
        .chars()
        .filter(|&c| !is_invisible_format(c) || joiner(c))
        .collect();
    let cleaned = cleaned.trim().to_string();
    let message = if cleaned == value {
        format!(
            "the cell holds invisible joining characters ({}), kept as some scripts need them; \
             if the text was pasted from elsewhere, re-type it",
            kinds.join(", ")
        )
    } else {
        format!(
            "the cell holds invisible formatting characters ({}: text-direction or zero-width \
             marks) that can make it display differently from what it holds; they were removed \
             and '{cleaned}' is sent — re-type the cell to be sure it says what you mean",
            kinds.join(", ")
        )
    };
    let finding = Finding::warning("text.invisible", message);
    Some(if cleaned == value {
        (cleaned, finding)
    } else {
        (cleaned.clone(), finding.sending(cleaned))
    })
}

/// Check a yes/no cell: Yes/No, Y/N, True/False, T/F, 1/0, On/Off (any case).
pub fn boolean(input: &Input<'_>) -> RuleResult<bool> {
    let raw = input.text.trim();
    match raw.to_lowercase().as_str() {
        "yes" | "y" | "true" | "t" | "1" | "on" => Ok(Checked::clean(true)),
        "no" | "n" | "false" | "f" | "0" | "off" => Ok(Checked::clean(false)),
        _ => Err(Finding::error(
            "bool.format",
            format!("'{raw}' is not yes or no: write Yes or No"),
        )),
    }
}

/// Check an API id such as `SR-123` (`prefix` includes the dash). The value is upper case.
pub fn api_id(input: &Input<'_>, prefix: &str) -> RuleResult<String> {
    api_id_ref(input, prefix).map(|c| c.map(Cow::into_owned))
}

/// [`api_id`], borrowing the cell when the id is already in capitals.
pub fn api_id_ref<'a>(input: &Input<'a>, prefix: &str) -> RuleResult<Cow<'a, str>> {
    let raw = input.text.trim();
    let id = if raw.bytes().any(|b| !b.is_ascii() || b.is_ascii_lowercase()) {
        Cow::Owned(raw.to_uppercase())
    } else {
        Cow::Borrowed(raw)
    };
    // `id` is in capitals: its prefix matches when it is the prefix in capitals.
    let ok = id.get(..prefix.len()).is_some_and(|p| {
        p.bytes()
            .zip(prefix.bytes())
            .all(|(a, b)| a == b.to_ascii_uppercase())
            && prefix.is_ascii()
    }) && id
        .get(prefix.len()..)
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if !ok {
        return Err(Finding::error(
            "api_id.format",
            format!("'{raw}' is not an id of the form {prefix}123: copy the id from Nxsys"),
        ));
    }
    Ok(Checked::clean(id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The borrowed fast path says what the general path says, for any text.
        #[test]
        fn plain_text_fast_path_agrees_with_the_general_path(
            text in "[ -~\t]{0,12}|[0-9]{1,3}[eE][+-]?[0-9]{0,3}|.{0,8}",
            max_len in 0usize..15,
        ) {
            let fast = text_ref(&Input::text(&text), max_len)
                .map(|c| (c.value.into_owned(), c.warnings));
            let general = text_slow(text.trim(), max_len).map(|c| (c.value, c.warnings));
            prop_assert_eq!(fast, general, "{:?}", text);
        }

        #[test]
        fn quick_trim_is_trim(text in "\\s{0,2}.{0,6}\\s{0,2}|[!-~]{0,4}|.{0,4}") {
            prop_assert_eq!(crate::rules::trim(&text), text.trim());
        }

        #[test]
        fn api_ids_borrowed_or_not_agree_with_upper_casing(text in "(?i:sr|pr|vc)-?[0-9a-z]{0,4}|.{0,6}") {
            for prefix in ["SR-", "PR-", "VC-"] {
                let id = api_id(&Input::text(&text), prefix).map(|c| c.value).map_err(|f| f.code);
                let upper = text.trim().to_uppercase();
                let ok = upper
                    .strip_prefix(prefix)
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
                prop_assert_eq!(id, if ok { Ok(upper) } else { Err("api_id.format") });
            }
        }
    }

    #[test]
    fn text_rules() {
        let t = |s, n| text(&Input::text(s), n).map_err(|f| f.code);
        assert_eq!(t("  Flat 2 ", 10).unwrap().value, "Flat 2");
        assert_eq!(t("Café ☕", 6).unwrap().value, "Café ☕");
        assert_eq!(t("abcdefg", 6).unwrap_err(), "text.too_long");
        assert_eq!(t("a\u{7}b", 6).unwrap_err(), "text.control");
        let multi = t("1 High St\r\nFlat 2\n", 40).unwrap();
        assert_eq!(multi.value, "1 High St, Flat 2");
        assert_eq!(multi.warnings[0].code, "text.line_break");
        let sci = t("1.23457E+15", 20).unwrap();
        assert_eq!(sci.warnings[0].code, "text.scientific");
    }

    /// Issue 17: U+202E and other bidi controls were accepted in names without a word.
    #[test]
    fn invisible_format_characters_are_reported_and_removed() {
        let t = |s| text(&Input::text(s), 100).expect("passes");
        for (typed, sent) in [
            ("Smith\u{202E}gnp.exe", "Smithgnp.exe"),
            ("\u{FEFF}Ann", "Ann"),
            ("Jo\u{200B}nes", "Jones"),
            ("\u{2066}Lee\u{2069}", "Lee"),
            ("O\u{200F}Brien", "OBrien"),
        ] {
            let checked = t(typed);
            assert_eq!(checked.value, sent, "{typed:?}");
            let warning = &checked.warnings[0];
            assert_eq!(warning.code, "text.invisible");
            assert_eq!(warning.sent.as_deref(), Some(sent));
            assert!(warning.message.contains("U+"), "{}", warning.message);
        }
        assert!(t("Smith\u{202E}x").warnings[0].message.contains("U+202E"));
        // Joiners spell some scripts' names: kept, still reported.
        let joined = t("\u{0645}\u{200C}\u{0627}");
        assert_eq!(joined.value, "\u{0645}\u{200C}\u{0627}");
        assert_eq!(joined.warnings[0].code, "text.invisible");
        assert!(t("Siobhán Ó Briain").warnings.is_empty());
    }

    #[test]
    fn booleans() {
        for yes in ["Yes", "y", "TRUE", "t", "1", "on"] {
            assert!(boolean(&Input::text(yes)).unwrap().value, "{yes}");
        }
        for no in ["No", "N", "false", "F", "0", "OFF"] {
            assert!(!boolean(&Input::text(no)).unwrap().value, "{no}");
        }
        assert_eq!(
            boolean(&Input::text("maybe")).unwrap_err().code,
            "bool.format"
        );
        assert_eq!(boolean(&Input::text("2")).unwrap_err().code, "bool.format");
    }

    #[test]
    fn api_ids() {
        let id = |s| {
            api_id(&Input::text(s), "SR-")
                .map(|c| c.value)
                .map_err(|f| f.code)
        };
        assert_eq!(id("SR-123"), Ok("SR-123".into()));
        assert_eq!(id("sr-7"), Ok("SR-7".into()));
        assert_eq!(id("SR-"), Err("api_id.format"));
        assert_eq!(id("PR-12"), Err("api_id.format"));
        assert_eq!(id("SR-12a"), Err("api_id.format"));
        assert_eq!(id("SR 12"), Err("api_id.format"));
    }
}

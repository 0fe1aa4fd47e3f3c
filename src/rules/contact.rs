//! Contact details: e-mail addresses and UK/Irish phone numbers (kept as text).

use super::ident::{all_digits, reject_scientific};
use super::{Checked, Finding, Input, RuleResult};

/// Check an e-mail address (the practical subset of RFC 5321 that payroll systems accept: no
/// quoted local parts, no IP-literal domains). The value is trimmed, with the domain in lower
/// case and any `mailto:` removed.
pub fn email(input: &Input<'_>) -> RuleResult<String> {
    let raw = input.text;
    let text = raw.trim();
    let text = text
        .strip_prefix("mailto:")
        .or_else(|| text.strip_prefix("MAILTO:"))
        .unwrap_or(text);
    let bad = |why: &str| {
        Finding::error(
            "email.format",
            format!("'{raw}' is not an e-mail address ({why}): expected e.g. name@example.co.uk"),
        )
    };
    if text.contains(char::is_whitespace) {
        return Err(bad("it contains a space"));
    }
    if text.contains([';', ',']) {
        return Err(bad("give one address per cell"));
    }
    let Some((local, domain)) = text.rsplit_once('@') else {
        return Err(bad("no @"));
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
    if !local_ok {
        return Err(bad("the part before @ is not valid"));
    }
    let domain = domain.to_lowercase();
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    let tld_ok = labels
        .last()
        .is_some_and(|t| t.chars().count() >= 2 && t.chars().all(char::is_alphabetic));
    if labels.len() < 2 || domain.len() > 253 || !labels.iter().all(label_ok) || !tld_ok {
        return Err(bad(
            "the part after @ is not a domain such as example.co.uk",
        ));
    }
    Ok(Checked::clean(format!("{local}@{domain}")))
}

/// Check a phone number: UK (`07700 900123`, `+44 7700 900123`), Irish (`087 123 4567`,
/// `+353 87 123 4567`) or any other number in international form (`+` and 8–15 digits). The
/// value keeps the number as text with spaces, dashes, dots, brackets and a `(0)` removed, e.g.
/// `07700900123` or `+447700900123`. A UK mobile that lost its leading 0 is repaired (see
/// [`mobile_repair`]) unless the input is strict.
pub fn phone(input: &Input<'_>) -> RuleResult<String> {
    let raw = input.text;
    reject_scientific("phone number", input)?;
    let without_trunk = raw.replace("(0)", "");
    let plus = without_trunk.trim_start().starts_with('+');
    let digits: String = without_trunk
        .chars()
        .filter(|c| !c.is_whitespace() && !"-.()/+".contains(*c))
        .collect();
    let stray_plus = without_trunk.matches('+').count() > usize::from(plus);
    if !all_digits(&digits) || stray_plus {
        return Err(Finding::error(
            "phone.format",
            format!(
                "'{raw}' is not a phone number: use digits only, e.g. 07700 900123 or +44 7700 \
                 900123 (one number per cell)"
            ),
        ));
    }
    let len = digits.len();
    let national_ok = |n: &str, lens: std::ops::RangeInclusive<usize>| {
        !n.starts_with('0') && lens.contains(&n.len())
    };
    let ok = if plus {
        if let Some(national) = digits.strip_prefix("44") {
            national_ok(national, 9..=10)
        } else if let Some(national) = digits.strip_prefix("353") {
            national_ok(national, 7..=9)
        } else {
            (8..=15).contains(&len)
        }
    } else if digits.starts_with("00") {
        (10..=17).contains(&len)
    } else if digits.starts_with('0') {
        // UK: 0 + 9 or 10 digits; Ireland: 0 + 6 to 9 digits.
        (7..=11).contains(&len)
    } else if let Some(warning) = mobile_repair(input, &digits) {
        return Ok(Checked {
            value: format!("0{digits}"),
            warnings: vec![warning],
        });
    } else if input.number.is_some() {
        return Err(Finding::error(
            "phone.lost_zero",
            format!(
                "phone number '{raw}' looks like Excel dropped the leading 0 or +: format the \
                 column as Text and re-type it (e.g. 07700 900123 or +44 7700 900123)"
            ),
        ));
    } else {
        return Err(Finding::error(
            "phone.format",
            format!(
                "phone number '{raw}' has no leading 0 or +: start it with 0, or with + and the \
                 country code, e.g. 07700 900123 or +44 7700 900123"
            ),
        ));
    };
    if !ok {
        return Err(Finding::error(
            "phone.length",
            format!(
                "phone number '{raw}' has {len} digits, which is not a valid length: check it \
                 (UK numbers are 0 and 10 digits, e.g. 07700 900123, or +44 and the number \
                 without its 0, e.g. +44 7700 900123)"
            ),
        ));
    }
    let value = if plus { format!("+{digits}") } else { digits };
    Ok(Checked::clean(value))
}

/// A UK mobile that lost its leading 0: exactly 10 plain digits starting with 7, stored as a
/// number or written as the bare digits Excel leaves when it saves a CSV file again. `07` and 9
/// digits is the only number it can have been (mobiles are the only UK numbers starting 07, and
/// a lost `+` or `00` would leave a country code in front), so it is repaired, with a warning
/// naming the value read and the value used; never when the input is strict.
fn mobile_repair(input: &Input<'_>, digits: &str) -> Option<Finding> {
    let raw = input.text;
    let certain = !input.strict && all_digits(raw) && raw.len() == 10 && digits.starts_with('7');
    if !certain {
        return None;
    }
    let how = if input.number.is_some() {
        "it was stored as a number, which drops the leading 0"
    } else {
        "it lost its leading 0, as when a CSV file is saved again by Excel"
    };
    Some(Finding::warning(
        "phone.repaired",
        format!(
            "phone number read as '{raw}' ({how}); a UK mobile, repaired and sent as 0{digits}. \
             Format the column as Text next time (--strict makes this an error)"
        ),
    )
    .sending(format!("0{digits}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn mail(text: &str) -> Result<String, &'static str> {
        email(&Input::text(text))
            .map(|c| c.value)
            .map_err(|f| f.code)
    }

    fn tel(text: &str) -> Result<String, &'static str> {
        phone(&Input::text(text))
            .map(|c| c.value)
            .map_err(|f| f.code)
    }

    #[test]
    fn valid_emails() {
        for (text, want) in [
            ("sample@domain.com", "sample@domain.com"),
            (
                "Jane.Doe+payroll@Example.CO.UK",
                "Jane.Doe+payroll@example.co.uk",
            ),
            ("mailto:a@b.ie", "a@b.ie"),
            ("o'brien@example.ie", "o'brien@example.ie"),
            ("x@sub-domain.example.org", "x@sub-domain.example.org"),
        ] {
            assert_eq!(mail(text), Ok(want.to_string()), "{text}");
        }
    }

    #[test]
    fn invalid_emails() {
        for text in [
            "plainaddress",
            "@example.com",
            "a@b",
            "a@b.c",
            "a b@example.com",
            "a@example..com",
            ".a@example.com",
            "a..b@example.com",
            "a@-example.com",
            "a@example.com; b@example.com",
            "a@example.c0m",
            "a@exa_mple.com",
        ] {
            assert_eq!(mail(text), Err("email.format"), "{text}");
        }
    }

    #[test]
    fn valid_phones() {
        for (text, want) in [
            ("07123456789", "07123456789"),
            ("07700 900123", "07700900123"),
            ("020 7946 0018", "02079460018"),
            ("(020) 7946-0018", "02079460018"),
            ("+44 7700 900123", "+447700900123"),
            ("+44 (0)7700 900123", "+447700900123"),
            ("0044 7700 900123", "00447700900123"),
            ("087 123 4567", "0871234567"),
            ("01 234 5678", "012345678"),
            ("+353 87 123 4567", "+353871234567"),
            ("+48 512 345 678", "+48512345678"),
        ] {
            assert_eq!(tel(text), Ok(want.to_string()), "{text}");
        }
    }

    #[test]
    fn invalid_phones() {
        assert_eq!(tel("7700 900123"), Err("phone.format"));
        assert_eq!(tel("07700 900123 ext 4"), Err("phone.format"));
        assert_eq!(tel("07700+900123"), Err("phone.format"));
        assert_eq!(tel("0770090"), Ok("0770090".into())); // shortest Irish form
        assert_eq!(tel("077009001234"), Err("phone.length"));
        assert_eq!(tel("+44 07700 900123"), Err("phone.length"));
        assert_eq!(tel("+44 7700 9001"), Err("phone.length"));
        assert_eq!(tel("7.7009E+09"), Err("identifier.scientific"));
    }

    fn number(text: &str) -> Input<'_> {
        Input {
            text,
            number: text.parse().ok(),
            ..Input::default()
        }
    }

    #[test]
    fn number_cell_without_leading_zero_is_reported_when_strict() {
        let input = Input {
            strict: true,
            ..number("7700900123")
        };
        assert_eq!(phone(&input).unwrap_err().code, "phone.lost_zero");
        let text = Input {
            strict: true,
            ..Input::text("7700900123")
        };
        assert_eq!(phone(&text).unwrap_err().code, "phone.format");
    }

    #[test]
    fn uk_mobile_that_lost_its_zero_is_repaired_naming_read_and_used() {
        for input in [number("7376009680"), Input::text("7376009680")] {
            let checked = phone(&input).expect("repaired");
            assert_eq!(checked.value, "07376009680");
            let codes: Vec<_> = checked.warnings.iter().map(|w| w.code).collect();
            assert_eq!(codes, ["phone.repaired"]);
            let message = &checked.warnings[0].message;
            assert!(message.contains("'7376009680'"), "{message}");
            assert!(message.contains("07376009680"), "{message}");
            assert_eq!(checked.warnings[0].sent.as_deref(), Some("07376009680"));
            assert!(checked.warnings[0].is_repair());
        }
    }

    #[test]
    fn only_the_certain_mobile_repair_is_made() {
        // Not 07 + 9 digits once repaired, or not what Excel leaves: errors as before.
        assert_eq!(
            phone(&number("2079460018")).unwrap_err().code,
            "phone.lost_zero"
        );
        assert_eq!(
            phone(&number("871234567")).unwrap_err().code,
            "phone.lost_zero"
        );
        assert_eq!(
            phone(&number("770090012")).unwrap_err().code,
            "phone.lost_zero"
        );
        assert_eq!(
            phone(&number("77009001234")).unwrap_err().code,
            "phone.lost_zero"
        );
        assert_eq!(tel("7700 900123"), Err("phone.format"));
        assert_eq!(tel("770090012.3"), Err("phone.format"));
        assert_eq!(tel("7.37601E+09"), Err("identifier.scientific"));
        assert_eq!(
            phone(&number("7.37601E+09")).unwrap_err().code,
            "identifier.scientific"
        );
    }

    proptest! {
        #[test]
        fn uk_mobile_with_any_spacing_normalises_the_same(
            rest in "[0-9]{9}", gaps in proptest::collection::vec("[ -]?", 9),
        ) {
            let number = format!("07{rest}");
            let spaced: String = number
                .chars()
                .zip(gaps.iter().chain(std::iter::repeat(&String::new())))
                .flat_map(|(c, g)| std::iter::once(c).chain(g.chars()))
                .collect();
            prop_assert_eq!(tel(&spaced), Ok(number.clone()));
            prop_assert_eq!(tel(&number), Ok(number.clone()));
        }
    }
}

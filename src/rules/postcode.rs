//! UK postcodes (BS 7666 / Royal Mail format): an outward code of 2–4 characters (A9, A99, AA9,
//! AA99, A9A, AA9A), a space, and an inward code of a digit and two letters, e.g. `SW1A 1AA`.

use super::ident::compact;
use super::{Checked, Finding, Input, RuleResult};

/// Letters never used in the first position.
const NOT_FIRST: &[u8] = b"QVX";
/// Letters never used in the second position.
const NOT_SECOND: &[u8] = b"IJZ";
/// Letters allowed in the third position of A9A outward codes.
const THIRD_A9A: &[u8] = b"ABCDEFGHJKPSTUW";
/// Letters allowed in the fourth position of AA9A outward codes.
const FOURTH_AA9A: &[u8] = b"ABEHMNPRVWXY";
/// Letters never used in the inward code.
const NOT_INWARD: &[u8] = b"CIKMOV";

/// Check a UK postcode; the value is upper case with one space before the inward code.
pub fn uk_postcode(input: &Input<'_>) -> RuleResult<String> {
    let raw = input.text;
    let code = compact(raw, &[]).to_uppercase();
    let bad = |hint: &str| {
        Finding::error(
            "postcode.format",
            format!("'{raw}' is not a UK postcode{hint}: expected e.g. SW1A 1AA or M1 1AE"),
        )
    };
    let split = code
        .len()
        .checked_sub(3)
        .and_then(|at| code.split_at_checked(at));
    let Some((outward, inward)) =
        split.filter(|_| code.is_ascii() && (5..=7).contains(&code.len()))
    else {
        return Err(bad(""));
    };
    if code == "GIR0AA" {
        return Ok(Checked::clean("GIR 0AA".to_string()));
    }
    let inward_bytes = inward.as_bytes();
    if inward_bytes.first() == Some(&b'O') {
        return Err(bad(" (the letter O is used where a zero belongs)"));
    }
    let inward_ok = inward_bytes.first().is_some_and(u8::is_ascii_digit)
        && inward_bytes
            .iter()
            .skip(1)
            .all(|b| b.is_ascii_uppercase() && !NOT_INWARD.contains(b));
    if !inward_ok || !outward_ok(outward.as_bytes()) {
        return Err(bad(""));
    }
    Ok(Checked::clean(format!("{outward} {inward}")))
}

/// Whether `o` is a valid outward code.
fn outward_ok(o: &[u8]) -> bool {
    let letter = |b: &u8| b.is_ascii_uppercase();
    let digit = |b: &u8| b.is_ascii_digit();
    let Some(first) = o.first() else {
        return false;
    };
    if !letter(first) || NOT_FIRST.contains(first) {
        return false;
    }
    match o {
        // A9, A99, A9A
        [_, d] => digit(d),
        [_, d, e] if digit(d) => digit(e) || THIRD_A9A.contains(e),
        // AA9, AA99, AA9A
        [_, l, d] => letter(l) && !NOT_SECOND.contains(l) && digit(d),
        [_, l, d, e] => {
            letter(l)
                && !NOT_SECOND.contains(l)
                && digit(d)
                && (digit(e) || FOURTH_AA9A.contains(e))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(text: &str) -> Result<String, &'static str> {
        uk_postcode(&Input::text(text))
            .map(|c| c.value)
            .map_err(|f| f.code)
    }

    /// One example of each format, from the Royal Mail / GOV.UK format descriptions.
    #[test]
    fn every_published_format() {
        for (text, want) in [
            ("M1 1AE", "M1 1AE"),     // A9 9AA
            ("B33 8TH", "B33 8TH"),   // A99 9AA
            ("CR2 6XH", "CR2 6XH"),   // AA9 9AA
            ("DN55 1PT", "DN55 1PT"), // AA99 9AA
            ("W1A 0AX", "W1A 0AX"),   // A9A 9AA
            ("EC1A 1BB", "EC1A 1BB"), // AA9A 9AA
            ("SW1A 1AA", "SW1A 1AA"),
            ("sw1a1aa", "SW1A 1AA"),
            ("  SW1A   1AA ", "SW1A 1AA"),
            ("GIR 0AA", "GIR 0AA"),
        ] {
            assert_eq!(check(text), Ok(want.to_string()), "{text}");
        }
    }

    #[test]
    fn invalid_postcodes() {
        for text in [
            "SW1A 1A",  // inward too short
            "SW1A1AAA", // too long
            "QA1 1AA",  // Q never first
            "AZ1 1AA",  // Z never second
            "A1I 1AA",  // I not allowed third in A9A
            "AB1C 1AA", // C not allowed fourth in AA9A
            "SW1A 1CA", // C never in inward code
            "1SW 1AA",
            "D02 X285", // an Eircode
            "SW1A 1ÄA",
            "",
        ] {
            assert_eq!(check(text), Err("postcode.format"), "{text}");
        }
    }

    #[test]
    fn letter_o_for_zero_gets_a_hint() {
        let err = uk_postcode(&Input::text("W1A OAX")).unwrap_err();
        assert!(err.message.contains("letter O"), "{}", err.message);
    }

    proptest! {
        #[test]
        fn normalised_postcode_validates_to_itself(
            area in "[A-PR-UWYZ][A-HK-Y]?", district in "[0-9]{1,2}", inward in "[0-9][ABD-HJLNP-UW-Z]{2}",
            spaces in " {0,3}",
        ) {
            let text = format!("{area}{district}{spaces}{inward}").to_lowercase();
            let normal = check(&text).unwrap();
            prop_assert_eq!(check(&normal), Ok(normal.clone()));
            prop_assert_eq!(normal, format!("{area}{district} {inward}"));
        }
    }
}

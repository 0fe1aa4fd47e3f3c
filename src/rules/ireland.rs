//! Irish identifiers: PPS number (7 digits, a check letter and an optional second letter) and
//! Eircode (routing key and unique identifier, e.g. `D02 X285`).
//!
//! PPS check letter (Revenue's published algorithm, as implemented by python-stdnum): weight the
//! seven digits 8, 7, 6, 5, 4, 3, 2; in the 2013 format the second letter A, B or H adds 9 × its
//! value (A = 1, B = 2, H = 8); the remainder mod 23 indexes `WABCDEFGHIJKLMNOPQRSTUV`. The
//! pre-2013 second letters W (married women's numbers), T and X are not weighted.

use super::ident::{compact, reject_scientific};
use super::{Checked, Finding, Input, RuleResult};

/// Check letters by remainder mod 23.
const CHECK_LETTERS: &[u8; 23] = b"WABCDEFGHIJKLMNOPQRSTUV";
/// Second letters that take part in the check (2013 format).
const WEIGHTED_SECOND: &[u8] = b"ABH";
/// Pre-2013 second letters, not weighted.
const OLD_SECOND: &[u8] = b"WTX";
/// Characters used in Eircodes (no B G I J L M O Q S U Z, to avoid look-alikes).
const EIRCODE_CHARS: &[u8] = b"0123456789ACDEFHKNPRTVWXY";

/// The check letter for seven digits and an optional second letter.
fn pps_check_letter(digits: &[u8], second: Option<u8>) -> Option<u8> {
    let weighted: usize = digits
        .iter()
        .zip((2..=8).rev())
        .map(|(d, w)| usize::from(d - b'0') * w)
        .sum();
    let extra = match second {
        Some(s) if WEIGHTED_SECOND.contains(&s) => {
            9 * CHECK_LETTERS.iter().position(|&c| c == s)?
        }
        _ => 0,
    };
    CHECK_LETTERS.get((weighted + extra) % 23).copied()
}

/// Check a PPS number; the value is upper case without spaces, e.g. `1234567FA`.
pub fn pps_number(input: &Input<'_>) -> RuleResult<String> {
    let raw = input.text;
    reject_scientific("PPS number", input)?;
    let pps = compact(raw, &['-']).to_uppercase();
    let bytes = pps.as_bytes();
    let digits = bytes.get(..7).filter(|d| d.iter().all(u8::is_ascii_digit));
    let (Some(digits), Some(&check), second) = (digits, bytes.get(7), bytes.get(8).copied()) else {
        let hint = if input.number.is_some() {
            " (Excel stored it as a number: the check letter is missing)"
        } else {
            ""
        };
        return Err(Finding::error(
            "pps_number.format",
            format!(
                "'{raw}' is not a PPS number{hint}: expected 7 digits and 1 or 2 letters, e.g. 1234567FA"
            ),
        ));
    };
    let second_ok = second.is_none_or(|s| WEIGHTED_SECOND.contains(&s) || OLD_SECOND.contains(&s));
    if bytes.len() > 9 || !check.is_ascii_uppercase() || !second_ok {
        return Err(Finding::error(
            "pps_number.format",
            format!(
                "'{raw}' is not a PPS number: expected 7 digits, a check letter and optionally A, \
                 B, H, W, T or X, e.g. 1234567FA"
            ),
        ));
    }
    if pps_check_letter(digits, second) != Some(check) {
        return Err(Finding::error(
            "pps_number.check",
            format!(
                "PPS number '{raw}' fails its check letter, so a digit or letter is wrong: check \
                 it against the worker's Revenue documents"
            ),
        ));
    }
    let warnings = if second == Some(b'H') {
        vec![Finding::warning(
            "pps_number.non_individual",
            format!(
                "PPS number '{raw}' ends in H, which Revenue issues to companies and other \
                 non-individuals, not to workers: check it"
            ),
        )]
    } else {
        Vec::new()
    };
    Ok(Checked {
        value: pps,
        warnings,
    })
}

/// Check an Eircode; the value is upper case with a space after the routing key, e.g. `D02 X285`.
pub fn eircode(input: &Input<'_>) -> RuleResult<String> {
    let raw = input.text;
    let code = compact(raw, &[]).to_uppercase();
    let bytes = code.as_bytes();
    let routing_ok = match bytes.get(..3) {
        Some([b'D', b'6', b'W']) => true,
        Some([l, d1, d2]) => {
            EIRCODE_CHARS.contains(l)
                && l.is_ascii_uppercase()
                && d1.is_ascii_digit()
                && d2.is_ascii_digit()
        }
        _ => false,
    };
    let unique_ok = bytes.len() == 7 && bytes.iter().skip(3).all(|b| EIRCODE_CHARS.contains(b));
    if !routing_ok || !unique_ok {
        return Err(Finding::error(
            "eircode.format",
            format!(
                "'{raw}' is not an Eircode: expected a routing key (a letter and two digits, or \
                 D6W) and four letters or digits, e.g. D02 X285"
            ),
        ));
    }
    let (routing, unique) = code.split_at_checked(3).unwrap_or_default();
    Ok(Checked::clean(format!("{routing} {unique}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pps(text: &str) -> Result<String, &'static str> {
        pps_number(&Input::text(text))
            .map(|c| c.value)
            .map_err(|f| f.code)
    }

    fn eir(text: &str) -> Result<String, &'static str> {
        eircode(&Input::text(text))
            .map(|c| c.value)
            .map_err(|f| f.code)
    }

    /// Worked by hand: 1234567 → 1×8 + 2×7 + 3×6 + 4×5 + 5×4 + 6×3 + 7×2 = 112;
    /// 112 mod 23 = 20 → T. With second letter A: 112 + 9×1 = 121; 121 mod 23 = 6 → F.
    /// With W (pre-2013 married women's numbers) the W is not weighted: T again.
    #[test]
    fn hand_computed_vectors() {
        assert_eq!(pps("1234567T"), Ok("1234567T".into()));
        assert_eq!(pps("1234567TW"), Ok("1234567TW".into()));
        assert_eq!(pps("1234567FA"), Ok("1234567FA".into()));
        assert_eq!(pps("1234567TA"), Err("pps_number.check"));
        assert_eq!(pps("1234567FW"), Err("pps_number.check"));
    }

    /// Vectors published with python-stdnum's `stdnum.ie.pps` (6433435: 48 + 28 + 18 + 15 + 16
    /// + 9 + 10 = 144; 144 mod 23 = 6 → F; +9×A = 153 → 15 → O; +9×H(8) = 216 → 9 → I).
    #[test]
    fn published_vectors() {
        assert_eq!(pps("6433435F"), Ok("6433435F".into()));
        assert_eq!(pps("6433435FT"), Ok("6433435FT".into()));
        assert_eq!(pps("6433435FW"), Ok("6433435FW".into()));
        assert_eq!(pps("6433435OA"), Ok("6433435OA".into()));
        assert_eq!(pps("6433435IH"), Ok("6433435IH".into()));
        assert_eq!(pps("6433435E"), Err("pps_number.check"));
        assert_eq!(pps("6433435VH"), Err("pps_number.check"));
    }

    #[test]
    fn pps_shapes() {
        assert_eq!(pps(" 1234567 fa "), Ok("1234567FA".into()));
        assert_eq!(pps("1234567-T"), Ok("1234567T".into()));
        assert_eq!(pps("1234567"), Err("pps_number.format"));
        assert_eq!(pps("123456T"), Err("pps_number.format"));
        assert_eq!(pps("1234567TZ"), Err("pps_number.format"));
        assert_eq!(pps("1234567TAA"), Err("pps_number.format"));
        assert_eq!(pps("1234567ÉA"), Err("pps_number.format"));
        assert_eq!(pps("1.23457E+06"), Err("identifier.scientific"));
        let h = pps_number(&Input::text("6433435IH")).unwrap();
        assert_eq!(h.warnings[0].code, "pps_number.non_individual");
    }

    #[test]
    fn eircodes() {
        assert_eq!(eir("D02 X285"), Ok("D02 X285".into()));
        assert_eq!(eir("a65f4e2"), Ok("A65 F4E2".into()));
        assert_eq!(eir("D6W 1234"), Ok("D6W 1234".into()));
        assert_eq!(eir("D02 Y006"), Ok("D02 Y006".into()));
        assert_eq!(eir("D02 X28"), Err("eircode.format"));
        assert_eq!(eir("D02 X2855"), Err("eircode.format"));
        assert_eq!(eir("B02 X285"), Err("eircode.format")); // B is not used
        assert_eq!(eir("D02 O285"), Err("eircode.format")); // nor O
        assert_eq!(eir("SW1A 1AA"), Err("eircode.format"));
        assert_eq!(eir("D6X 1234"), Err("eircode.format"));
    }

    proptest! {
        #[test]
        fn computed_check_letter_always_validates(digits in "[0-9]{7}", second in "[ABHWTX]?", gap in " ?") {
            let second_byte = second.bytes().next();
            let check = pps_check_letter(digits.as_bytes(), second_byte).unwrap() as char;
            let text = format!("{digits}{gap}{check}{second}");
            let normal = pps(&text.to_lowercase()).unwrap();
            prop_assert_eq!(&normal, &format!("{digits}{check}{second}"));
            prop_assert_eq!(pps(&normal), Ok(normal.clone()));
        }

        #[test]
        fn eircode_normalises_to_itself(
            key in "[ACDEFHKNPRTVWXY][0-9]{2}", id in "[0-9ACDEFHKNPRTVWXY]{4}", gap in " {0,2}",
        ) {
            let normal = eir(&format!("{key}{gap}{id}")).unwrap();
            prop_assert_eq!(&normal, &format!("{key} {id}"));
            prop_assert_eq!(eir(&normal), Ok(normal.clone()));
        }
    }
}

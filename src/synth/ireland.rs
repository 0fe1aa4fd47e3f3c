//! Irish identifiers made valid by construction: IBAN check digits and PPS check letters.

/// An IBAN for `country` (two letters) and `bban` (upper-case letters and digits), with its
/// mod-97 check digits.
pub fn iban(country: &str, bban: &str) -> String {
    let rearranged = format!("{bban}{country}00");
    let mut rem: u32 = 0;
    for c in rearranged.chars() {
        let digits = if c.is_ascii_digit() {
            c.to_string()
        } else {
            (c as u32 - 'A' as u32 + 10).to_string()
        };
        for d in digits.chars() {
            rem = (rem * 10 + d.to_digit(10).unwrap_or(0)) % 97;
        }
    }
    format!("{country}{:02}{bban}", 98 - rem)
}

/// An old-format PPS number of `digits` (7 digits, zero-padded, plus its check letter: weights
/// 8..2, mod 23, 0 → W).
pub fn pps_number(digits: u32) -> String {
    let s = format!("{digits:07}");
    let sum: u32 = s
        .chars()
        .zip((2..=8).rev())
        .map(|(c, w)| c.to_digit(10).unwrap_or(0) * w)
        .sum();
    let r = sum % 23;
    let check = if r == 0 {
        'W'
    } else {
        (b'A' + r as u8 - 1) as char
    };
    format!("{s}{check}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iban_check_digits_match_a_published_example() {
        // The ECBS example Irish IBAN.
        assert_eq!(iban("IE", "AIBK93115212345678"), "IE29AIBK93115212345678");
    }

    #[test]
    fn pps_check_letters_follow_the_mod_23_rule() {
        // 1234567: 1*8+2*7+3*6+4*5+5*4+6*3+7*2 = 112; 112 % 23 = 20 → T.
        assert_eq!(pps_number(1_234_567), "1234567T");
        // 0000000 sums to 0 → W.
        assert_eq!(pps_number(0), "0000000W");
    }

    #[test]
    fn generated_identifiers_pass_the_validation_rules() {
        use crate::rules::{Input, bank, ireland};
        for digits in [1_000_000, 4_567_890, 9_999_999] {
            let pps = pps_number(digits);
            assert!(ireland::pps_number(&Input::text(&pps)).is_ok(), "{pps}");
        }
        for account in ["00000000", "12345678", "99999999"] {
            let iban = iban("IE", &format!("AIBK931152{account}"));
            assert!(bank::iban(&Input::text(&iban)).is_ok(), "{iban}");
        }
    }
}

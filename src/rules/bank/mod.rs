//! Bank details: UK sort code and account number, IBAN (ISO 13616, mod 97) and BIC (ISO 9362).

use super::country::is_country_code;
use super::ident::{all_digits, compact, reject_scientific};
use super::{Checked, Finding, Input, RuleResult};

mod iban_lengths;

/// Check a sort code (6 digits; dashes and spaces allowed). The value is the 6 digits, e.g.
/// `123456`, as in the API's create example. A sort code that lost its leading zeros is
/// repaired (see [`repair`]) unless the input is strict.
pub fn sort_code(input: &Input<'_>) -> RuleResult<String> {
    let raw = input.text;
    reject_scientific("sort code", input)?;
    let digits = compact(raw, &['-']);
    if !all_digits(&digits) {
        return Err(Finding::error(
            "sort_code.format",
            format!("'{raw}' is not a sort code: expected 6 digits, e.g. 12-34-56"),
        ));
    }
    let mut contradiction = String::new();
    if digits.len() < 6 {
        let padded = format!("{digits:0>6}");
        let carried = iban_part(input, IbanPart::SortCode);
        match repair(input, "sort code", "sort_code.repaired", &padded, carried) {
            Ok(warning) => {
                return Ok(Checked {
                    value: padded,
                    warnings: vec![warning],
                });
            }
            Err(why) => contradiction = why,
        }
    }
    if input.number.is_some() && digits.len() < 6 {
        return Err(Finding::error(
            "sort_code.lost_zero",
            format!(
                "sort code '{raw}' looks like Excel dropped a leading zero (or turned it into a \
                 date){contradiction}: format the column as Text and re-type it (expected 6 \
                 digits, e.g. 012345)"
            ),
        ));
    }
    if digits.len() != 6 {
        return Err(Finding::error(
            "sort_code.length",
            format!(
                "sort code '{raw}' has {} digits{contradiction}; a sort code has 6, e.g. 12-34-56",
                digits.len()
            ),
        ));
    }
    Ok(Checked::clean(digits))
}

/// Check a UK account number: 8 digits. 6 or 7 digits are left-padded with zeros (the banks'
/// own convention) with a warning; 9 or more are rejected. One that lost its leading zeros is
/// repaired (see [`repair`]) unless the input is strict.
pub fn account_number(input: &Input<'_>) -> RuleResult<String> {
    let raw = input.text;
    reject_scientific("account number", input)?;
    let digits = compact(raw, &['-']);
    if !all_digits(&digits) {
        return Err(Finding::error(
            "account_number.format",
            format!("'{raw}' is not an account number: expected 8 digits, e.g. 12345678"),
        ));
    }
    let mut contradiction = String::new();
    if digits.len() < 8 {
        let padded = format!("{digits:0>8}");
        let carried = iban_part(input, IbanPart::AccountNumber);
        match repair(
            input,
            "account number",
            "account_number.repaired",
            &padded,
            carried,
        ) {
            Ok(warning) => {
                return Ok(Checked {
                    value: padded,
                    warnings: vec![warning],
                });
            }
            Err(why) => contradiction = why,
        }
    }
    match digits.len() {
        8 => Ok(Checked::clean(digits)),
        6 | 7 => {
            let padded = format!("{digits:0>8}");
            let why = if input.number.is_some() {
                "Excel stored it as a number and dropped its leading zeros"
            } else {
                "UK account numbers have 8 digits"
            };
            Ok(Checked {
                warnings: vec![Finding::warning(
                    "account_number.padded",
                    format!(
                        "account number '{raw}' has {} digits ({why}){contradiction}; padded to \
                         {padded}: check it against the worker's bank details, and format the \
                         column as Text",
                        digits.len()
                    ),
                )
                .sending(padded.clone())],
                value: padded,
            })
        }
        n if n < 6 => Err(Finding::error(
            "account_number.length",
            format!(
                "account number '{raw}' has only {n} digits{contradiction}; UK account numbers \
                 have 8: check it with the worker"
            ),
        )),
        n => Err(Finding::error(
            "account_number.length",
            format!(
                "account number '{raw}' has {n} digits; UK account numbers have 8 (for a building \
                 society roll number use the Building Society Number column)"
            ),
        )),
    }
}

/// Which bank detail of a GB IBAN.
#[derive(Clone, Copy)]
enum IbanPart {
    SortCode,
    AccountNumber,
}

/// The sort code (characters 9–14) or account number (15–22) that the row's IBAN carries, when
/// the row has a GB IBAN; `None` otherwise.
fn iban_part(input: &Input<'_>, part: IbanPart) -> Option<String> {
    let iban = compact(input.iban?, &['-']).to_uppercase();
    if iban.len() != 22 || !iban.starts_with("GB") {
        return None;
    }
    let range = match part {
        IbanPart::SortCode => 8..14,
        IbanPart::AccountNumber => 14..22,
    };
    iban.get(range).map(str::to_string)
}

/// Whether a sort code or account number with too few digits may be repaired to `padded` (its
/// only valid length, zeros put back in front), and the warning naming the value read and the
/// value used. Certain when the cell holds plain digits and either it was stored as a number
/// (a number cannot keep leading zeros) and the row's GB IBAN, if any, carries `padded`, or the
/// row's GB IBAN carries `padded` (text alone proves nothing about lost zeros). `Err` holds what
/// to add to the error when the IBAN contradicts the repair (empty otherwise); never repaired
/// when the input is strict.
fn repair(
    input: &Input<'_>,
    what: &str,
    code: &'static str,
    padded: &str,
    carried: Option<String>,
) -> Result<Finding, String> {
    let raw = input.text;
    if let Some(carried) = carried.as_deref().filter(|c| *c != padded) {
        return Err(format!(
            " and the worker's IBAN carries {what} {carried}, not {padded}, so it cannot be \
             repaired"
        ));
    }
    if input.strict || !all_digits(raw) {
        return Err(String::new());
    }
    let why = match (input.number.is_some(), carried.is_some()) {
        (true, true) => {
            "it was stored as a number, which drops leading zeros, and the worker's IBAN carries \
             the same"
        }
        (true, false) => "it was stored as a number, which drops leading zeros",
        (false, true) => {
            "it lost its leading zeros (as when a CSV file is saved again by Excel), and the \
             worker's IBAN carries the same"
        }
        (false, false) => return Err(String::new()),
    };
    Ok(Finding::warning(
        code,
        format!(
            "{what} read as '{raw}' ({why}); repaired and sent as {padded}. Format the column as \
             Text next time (--strict makes this an error)"
        ),
    )
    .sending(padded))
}

/// Check an IBAN: country, length for that country (SWIFT IBAN registry) and the mod-97 check
/// digits. The value is the electronic form, upper case without spaces.
pub fn iban(input: &Input<'_>) -> RuleResult<String> {
    let raw = input.text;
    let iban = compact(raw, &['-']).to_uppercase();
    let bytes = iban.as_bytes();
    let well_formed = bytes.len() >= 5
        && bytes.iter().take(2).all(u8::is_ascii_uppercase)
        && bytes.iter().skip(2).take(2).all(u8::is_ascii_digit)
        && bytes.iter().all(u8::is_ascii_alphanumeric);
    if !well_formed {
        return Err(Finding::error(
            "iban.format",
            format!(
                "'{raw}' is not an IBAN: expected a country code, two check digits and the \
                 account, e.g. GB29 NWBK 6016 1331 9268 19"
            ),
        ));
    }
    let country = iban.get(..2).unwrap_or_default();
    let mut warnings = Vec::new();
    match iban_lengths::length(country) {
        Some(len) if len != bytes.len() => {
            return Err(Finding::error(
                "iban.length",
                format!(
                    "IBAN '{raw}' has {} characters; {country} IBANs have {len}: check it against \
                     the worker's bank details",
                    bytes.len()
                ),
            ));
        }
        Some(_) => {}
        None if !is_country_code(country) => {
            return Err(Finding::error(
                "iban.country",
                format!("IBAN '{raw}' starts with '{country}', which is not a country code"),
            ));
        }
        None if !(15..=34).contains(&bytes.len()) => {
            return Err(Finding::error(
                "iban.length",
                format!(
                    "IBAN '{raw}' has {} characters; IBANs have 15 to 34",
                    bytes.len()
                ),
            ));
        }
        None => warnings.push(Finding::warning(
            "iban.country_unlisted",
            format!(
                "IBAN '{raw}': {country} is not in this tool's IBAN registry, so only its check \
                 digits were verified"
            ),
        )),
    }
    if mod97(&iban) != Some(1) {
        return Err(Finding::error(
            "iban.checksum",
            format!(
                "IBAN '{raw}' fails its check digits, so a character is wrong or swapped: copy it \
                 again from the worker's bank details"
            ),
        ));
    }
    Ok(Checked {
        value: iban,
        warnings,
    })
}

/// The IBAN's value mod 97 after moving the first four characters to the end and turning
/// letters into numbers (A = 10 … Z = 35); `None` for a character that is not alphanumeric.
fn mod97(iban: &str) -> Option<u32> {
    let (head, tail) = iban.split_at_checked(4)?;
    tail.chars().chain(head.chars()).try_fold(0u32, |acc, c| {
        let n = c.to_digit(36)?;
        Some(if n < 10 {
            (acc * 10 + n) % 97
        } else {
            (acc * 100 + n) % 97
        })
    })
}

/// Whether `text` (spaces ignored, any case) has an IBAN's check digits right (mod 97 = 1).
pub fn iban_checksum_ok(text: &str) -> bool {
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    compact.len() >= 15 && mod97(&compact) == Some(1)
}

/// Whether a GB IBAN carries this sort code and account number (IBAN characters 9–14 and
/// 15–22). Separators and case are ignored; a non-GB or malformed IBAN never matches.
pub fn iban_matches_uk(iban: &str, sort_code: &str, account_number: &str) -> bool {
    let iban = compact(iban, &['-']).to_uppercase();
    let sort = compact(sort_code, &['-']);
    let account = compact(account_number, &['-']);
    iban.len() == 22
        && iban.starts_with("GB")
        && iban.get(8..14) == Some(sort.as_str())
        && iban.get(14..22) == Some(account.as_str())
}

/// The row-level check: a GB IBAN given together with a sort code and account number must
/// carry them. `None` when they agree or when the IBAN is not a GB one.
pub fn uk_bank_consistency(iban: &str, sort_code: &str, account_number: &str) -> Option<Finding> {
    let compacted = compact(iban, &['-']).to_uppercase();
    if !compacted.starts_with("GB") || iban_matches_uk(iban, sort_code, account_number) {
        return None;
    }
    Some(Finding::error(
        "iban.mismatch",
        format!(
            "IBAN '{iban}' does not contain sort code {sort_code} and account number \
             {account_number}: one of the three is wrong; check them against the worker's bank \
             details"
        ),
    ))
}

/// Check a BIC (SWIFT code): 4-letter bank code, country code, 2-character location and an
/// optional 3-character branch, e.g. `NWBKGB2L`. The value is upper case without spaces.
pub fn bic(input: &Input<'_>) -> RuleResult<String> {
    let raw = input.text;
    let bic = compact(raw, &[]).to_uppercase();
    let bytes = bic.as_bytes();
    let well_formed = matches!(bytes.len(), 8 | 11)
        && bytes.iter().take(6).all(u8::is_ascii_uppercase)
        && bytes.iter().all(u8::is_ascii_alphanumeric);
    if !well_formed {
        return Err(Finding::error(
            "bic.format",
            format!(
                "'{raw}' is not a BIC/SWIFT code: expected 8 or 11 characters, e.g. NWBKGB2L or \
                 AIBKIE2D"
            ),
        ));
    }
    let country = bic.get(4..6).unwrap_or_default();
    if !is_country_code(country) {
        return Err(Finding::error(
            "bic.country",
            format!(
                "BIC '{raw}' has '{country}' as its country (characters 5-6), which is not a \
                 country code: check it with the worker's bank"
            ),
        ));
    }
    Ok(Checked::clean(bic))
}

#[cfg(test)]
mod tests;

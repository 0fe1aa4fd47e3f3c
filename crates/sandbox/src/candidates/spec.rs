//! Field tables for candidate bodies (§6.1, §7), and the enum values the sandbox accepts.
//!
//! The enum lists are the values the reference shows plus the guesses shared with
//! `templates/enums.toml`; documented in `docs/sandbox.md`.

use crate::validate::{Field, Kind, Spec, opt, req};

pub const TITLE: &[&str] = &["NONE", "MR", "MRS", "MISS", "MS", "DR", "MX", "PROF"];
pub const GENDER: &[&str] = &["MALE", "FEMALE", "OTHER"];
pub const MARITAL: &[&str] = &[
    "SINGLE",
    "MARRIED",
    "CIVIL_PARTNERSHIP",
    "SEPARATED",
    "DIVORCED",
    "WIDOWED",
];
pub const PAY_FREQUENCY: &[&str] = &["WEEKLY", "FORTNIGHTLY", "FOUR_WEEKLY", "MONTHLY"];
pub const PAY_METHOD: &[&str] = &["BACS", "CHEQUE", "CASH"];
pub const REGISTRATION: &[&str] = &["ONGOING", "PENDING", "LEFT"];
pub const RIGHT_TO_WORK: &[&str] = &[
    "APPEAL",
    "NOT_CHECKED",
    "VERIFIED",
    "EXPIRED",
    "NOT_VERIFIED",
];
pub const DOCUMENT_TYPE: &[&str] = &[
    "BIOMETRIC_RESIDENCE_PERMIT",
    "PASSPORT",
    "SHARE_CODE",
    "BIRTH_CERTIFICATE",
    "NATIONAL_ID_CARD",
    "VISA",
];
pub const PAYMENT_MODEL: &[&str] = &[
    "PAYEE",
    "PAYE_HYBRID",
    "UMBRELLA",
    "UMBRELLA_HYBRID",
    "CIS",
    "NON_CIS",
];
pub const CIS_STATUS: &[&str] = &["GROSS", "NET", "UNMATCHED"];
pub const PENSION_CALCULATION: &[&str] = &["NET_PAY_ARRANGEMENT", "RELIEF_AT_SOURCE"];

/// NI number shape: two letters, six digits, suffix A–D (shape only: the reference's own
/// example `QQ123456C` uses a prefix HMRC never issues, so prefixes are not checked).
pub fn ni_number(s: &str) -> bool {
    match s.as_bytes() {
        [p1, p2, digits @ .., suffix] => {
            digits.len() == 6
                && p1.is_ascii_uppercase()
                && p2.is_ascii_uppercase()
                && digits.iter().all(u8::is_ascii_digit)
                && (b'A'..=b'D').contains(suffix)
        }
        _ => false,
    }
}

/// PPS number: seven digits and one or two letters (e.g. `1234567T`, `1234567FA`).
pub fn pps_number(s: &str) -> bool {
    let b = s.as_bytes();
    (8..=9).contains(&b.len())
        && b.iter().take(7).all(u8::is_ascii_digit)
        && b.iter().skip(7).all(u8::is_ascii_uppercase)
}

/// ISO-3166 alpha-2 shape.
pub fn country(s: &str) -> bool {
    s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase())
}

/// `123456` or `12-34-56`.
pub fn sort_code(s: &str) -> bool {
    match s.as_bytes() {
        b @ [_, _, _, _, _, _] => b.iter().all(u8::is_ascii_digit),
        [a, b, b'-', c, d, b'-', e, f] => [a, b, c, d, e, f].iter().all(|x| x.is_ascii_digit()),
        _ => false,
    }
}

/// UK account number: 8 digits.
pub fn account_number(s: &str) -> bool {
    s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Something with one `@` and a dot in the domain.
pub fn email(s: &str) -> bool {
    s.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domain.contains('.') && !domain.contains('@')
    })
}

const EMAIL: Kind = Kind::Format(email, "an email address such as name@example.com");
const COUNTRY: Kind = Kind::Format(country, "an ISO 3166 two-letter country code such as GB");

pub static PENSION: Spec = Spec {
    fields: &[
        opt("scheme", Kind::Str),
        opt("reference", Kind::Str),
        opt("outsideUKWorker", Kind::Bool),
        opt("lastAssessmentOn", Kind::DateOrDateTime),
        opt("dateOnClassifiedOn", Kind::DateOrDateTime),
        opt("ejhDate", Kind::DateOrDateTime),
        opt("postponementEndDate", Kind::DateOrDateTime),
        opt("memberId", Kind::Str),
        opt("membershipStartDate", Kind::DateOrDateTime),
        opt("optInDate", Kind::DateOrDateTime),
        opt("optOutDate", Kind::DateOrDateTime),
        opt("optState", Kind::Str),
        opt("isSalarySacrifice", Kind::Bool),
        opt("pensionCalculationType", Kind::Enum(PENSION_CALCULATION)),
    ],
    open: false,
};

/// Fields both regions share in `generalSetting`.
macro_rules! general_common {
    () => {
        [
            req("agencyRef", Kind::Str),
            opt("title", Kind::Enum(TITLE)),
            opt("gender", Kind::Enum(GENDER)),
            req("forename", Kind::Str),
            req("surname", Kind::Str),
            opt("DOB", Kind::Date),
            opt("maritalStatus", Kind::Enum(MARITAL)),
            opt("nationality", Kind::Str),
            opt("address", Kind::StrArray),
            opt("city", Kind::Str),
            opt("county", Kind::Str),
            opt("country", COUNTRY),
            opt("mobile", Kind::Str),
            opt("email", EMAIL),
            opt("registrationStatus", Kind::Enum(REGISTRATION)),
            opt("dateOfJoining", Kind::Date),
            opt("payFrequency", Kind::Enum(PAY_FREQUENCY)),
            opt("payMethod", Kind::Enum(PAY_METHOD)),
            opt("jobDescription", Kind::Str),
            opt("annualSalary", Kind::Num),
            opt("rateHour", Kind::Num),
            opt("hours", Kind::Num),
            opt("emergencyName", Kind::Str),
            opt("emergencyAddress", Kind::StrArray),
            opt("emergencyCity", Kind::Str),
            opt("emergencyCounty", Kind::Str),
            opt("emergencyCountry", COUNTRY),
            opt("emergencyMobile", Kind::Str),
            opt("emergencyEmail", EMAIL),
            opt("rightToWorkStatus", Kind::Enum(RIGHT_TO_WORK)),
            opt("documentType", Kind::Enum(DOCUMENT_TYPE)),
            opt("documentExpiryDate", Kind::Date),
            opt("document", Kind::Any),
            opt("department", Kind::Str),
            opt("pensionSetting", Kind::Object(&PENSION)),
        ]
    };
}

const UK_GENERAL_FIELDS: &[Field] = &{
    let common = general_common!();
    let extra = [
        opt(
            "NINumber",
            Kind::Format(
                ni_number,
                "two letters, six digits and A, B, C or D, e.g. QQ123456C",
            ),
        ),
        opt("postCode", Kind::Str),
        opt("emergencyPostCode", Kind::Str),
        opt("primaryAgencyId", Kind::Str),
        opt("secondaryAgencyId", Kind::Str),
    ];
    concat(common, extra)
};

const IE_GENERAL_FIELDS: &[Field] = &{
    let common = general_common!();
    let extra = [
        opt(
            "PPSNumber",
            Kind::Format(
                pps_number,
                "seven digits and one or two letters, e.g. 1234567T",
            ),
        ),
        opt("eircode", Kind::Str),
        opt("emergencyEircode", Kind::Str),
        opt("shareCodeVerified", Kind::Bool),
        opt("postCode", Kind::Str),
    ];
    concat(common, extra)
};

const COMMON_LEN: usize = 35;

/// Join two field arrays at compile time.
const fn concat(a: [Field; COMMON_LEN], b: [Field; 5]) -> [Field; COMMON_LEN + 5] {
    let mut out = [a[0]; COMMON_LEN + 5];
    let mut i = 0;
    while i < COMMON_LEN {
        out[i] = a[i];
        i += 1;
    }
    let mut j = 0;
    while j < 5 {
        out[COMMON_LEN + j] = b[j];
        j += 1;
    }
    out
}

pub static UK_GENERAL: Spec = Spec {
    fields: UK_GENERAL_FIELDS,
    open: false,
};
pub static IE_GENERAL: Spec = Spec {
    fields: IE_GENERAL_FIELDS,
    open: false,
};

pub static UK_BANK: Spec = Spec {
    fields: &[
        opt("bankName", Kind::Str),
        opt("accountName", Kind::Str),
        opt("accountNumber", Kind::Format(account_number, "8 digits")),
        opt(
            "sortCode",
            Kind::Format(sort_code, "6 digits, e.g. 123456 or 12-34-56"),
        ),
        opt("buildingSocietyNumber", Kind::Str),
        opt("IBANReference", Kind::Str),
        opt("SWIFTNo", Kind::Str),
        opt("author", Kind::Str),
    ],
    open: false,
};

pub static IE_BANK: Spec = Spec {
    fields: &[
        opt("bankName", Kind::Str),
        opt("accountName", Kind::Str),
        opt("accountNumber", Kind::Str),
        opt("sortCode", Kind::Str),
        opt("buildingSocietyNumber", Kind::Str),
        opt("IBANReference", Kind::Str),
        opt("SWIFTNo", Kind::Str),
        opt("author", Kind::Str),
        opt("isInternalAccount", Kind::Bool),
        opt("country", COUNTRY),
    ],
    open: false,
};

/// Only `paymentModel` and `cisStatus` are known; other settings are accepted as plain values.
pub static PAYROLL: Spec = Spec {
    fields: &[
        opt("paymentModel", Kind::Enum(PAYMENT_MODEL)),
        opt("cisStatus", Kind::Enum(CIS_STATUS)),
    ],
    open: true,
};

pub static UK_BODY: Spec = Spec {
    fields: &[
        req("generalSetting", Kind::Object(&UK_GENERAL)),
        opt("bankSetting", Kind::Object(&UK_BANK)),
        opt("payrollSetting", Kind::Object(&PAYROLL)),
    ],
    open: false,
};

pub static IE_BODY: Spec = Spec {
    fields: &[
        req("generalSetting", Kind::Object(&IE_GENERAL)),
        opt("bankSetting", Kind::Object(&IE_BANK)),
        opt("payrollSetting", Kind::Object(&PAYROLL)),
    ],
    open: false,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert!(ni_number("QQ123456C"));
        assert!(!ni_number("QQ 12 34 56 C"));
        assert!(!ni_number("QQ123456E"));
        assert!(!ni_number("qq123456c"));
        assert!(pps_number("1234567T") && pps_number("1234567FA"));
        assert!(!pps_number("123456T"));
        assert!(sort_code("123456") && sort_code("12-34-56"));
        assert!(!sort_code("1234-56") && !sort_code("12345"));
        assert!(account_number("12345678") && !account_number("1234567"));
        assert!(email("a@b.co") && !email("a@b") && !email("@b.co"));
        assert!(country("GB") && !country("gb"));
    }

    #[test]
    fn tables_have_no_repeated_fields() {
        for spec in [&UK_GENERAL, &IE_GENERAL] {
            let mut names: Vec<_> = spec.fields.iter().map(|f| f.name).collect();
            names.sort_unstable();
            let n = names.len();
            names.dedup();
            assert_eq!(names.len(), n);
        }
    }
}

//! The column table of each entity: header, aliases, JSON path in the API payload, rule,
//! whether it is required, and what the templates show. Order is the template's column order.
//!
//! JSON paths follow `nxsys-api.md` §6–§10. A path segment may carry an array index
//! (`generalSetting.address[1]`). Timesheet paths name the fields of the create body
//! (`rates[].units` for line fields); they are accepted as headers like any other path.

use rust_decimal::Decimal;

use crate::model::Entity;
use crate::rules::Rule;

/// How a column's value is used beyond "put it at the JSON path".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    None,
    /// A VAT code: a letter (`S`) or an API id (`VC-…`).
    Vat,
    /// A tax year, `2025` or `2025/26`.
    TaxYear,
    /// A pay code, upper-cased.
    PayCode,
}

/// One column of an entity's sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The canonical header, as in the templates.
    pub header: &'static str,
    /// Other headers that mean the same (matched like the header).
    pub aliases: &'static [&'static str],
    /// Where the value goes in the API payload (also accepted as a header).
    pub path: &'static str,
    pub rule: Rule,
    pub required: bool,
    /// Identifier kept as text (templates format the column as Text so Excel keeps zeros).
    pub text_format: bool,
    /// The template's example value.
    pub example: &'static str,
    /// How to fill it in (template instructions).
    pub help: &'static str,
    pub special: Special,
}

const fn col(header: &'static str, path: &'static str, rule: Rule) -> Column {
    Column {
        header,
        aliases: &[],
        path,
        rule,
        required: false,
        text_format: false,
        example: "",
        help: "",
        special: Special::None,
    }
}

/// Whether a JSON path holds a personal identifier that `--mask-pii` hides: NI and PPS
/// numbers and bank details.
pub fn is_sensitive_path(path: &str) -> bool {
    let p = path.to_ascii_lowercase();
    p.contains("ninumber")
        || p.contains("ppsnumber")
        || p.starts_with("banksetting")
        || p.contains("iban")
}

impl Column {
    /// The column holds a personal identifier `--mask-pii` hides (see [`is_sensitive_path`]).
    pub fn is_sensitive(&self) -> bool {
        is_sensitive_path(self.path)
    }

    const fn req(mut self) -> Self {
        self.required = true;
        self
    }
    const fn alias(mut self, aliases: &'static [&'static str]) -> Self {
        self.aliases = aliases;
        self
    }
    const fn text(mut self) -> Self {
        self.text_format = true;
        self
    }
    const fn ex(mut self, example: &'static str) -> Self {
        self.example = example;
        self
    }
    const fn help(mut self, help: &'static str) -> Self {
        self.help = help;
        self
    }
    const fn special(mut self, special: Special) -> Self {
        self.special = special;
        self
    }

    /// The enum kind of an enum column (for drop-down lists).
    pub fn enum_kind(&self) -> Option<&'static str> {
        match self.rule {
            Rule::Enum(kind) => Some(kind),
            _ if self.special == Special::Vat => Some("vat_letter"),
            _ => None,
        }
    }
}

const fn text(max_len: usize) -> Rule {
    Rule::Text { max_len }
}
const NAME: Rule = text(100);
const NON_NEGATIVE: Rule = Rule::Decimal {
    min: Some(Decimal::ZERO),
    max: None,
};
const HOURS_A_WEEK: Rule = Rule::Decimal {
    min: Some(Decimal::ZERO),
    max: Some(Decimal::from_parts(168, 0, 0, false, 0)),
};

/// The columns of `entity`, in template order.
pub fn columns(entity: Entity) -> &'static [Column] {
    match entity {
        Entity::Candidates => &CANDIDATES_UK,
        Entity::CandidatesIe => &CANDIDATES_IE,
        Entity::PaymentRates => &PAYMENT_RATES,
        Entity::Timesheets => &TIMESHEETS,
    }
}

macro_rules! candidate_columns {
    (id: [$($id:expr),* $(,)?], address_end: [$($addr:expr),* $(,)?],
     emergency_end: [$($em:expr),* $(,)?], bank: [$($bank:expr),* $(,)?]) => {
        [
            col("Agency Ref", "generalSetting.agencyRef", text(50)).req().text()
                .alias(&["Agency Reference", "Worker Ref", "Employee Ref", "Payroll Number", "Reference"])
                .ex("AG-0001").help("Your own reference for the worker; unique in the batch"),
            col("Title", "generalSetting.title", Rule::Enum("title")).ex("MR"),
            col("Gender", "generalSetting.gender", Rule::Enum("gender")).ex("MALE"),
            col("Forename", "generalSetting.forename", NAME).req()
                .alias(&["First Name", "Given Name", "Forenames"]).ex("Michael"),
            col("Surname", "generalSetting.surname", NAME).req()
                .alias(&["Last Name", "Family Name"]).ex("Smith"),
            col("Date of Birth", "generalSetting.DOB", Rule::Date).req()
                .alias(&["DOB", "Birth Date"]).ex("1990-05-15")
                .help("A date: 15/05/1990, 1990-05-15 or 15-May-1990"),
            col("Marital Status", "generalSetting.maritalStatus", Rule::Enum("marital_status"))
                .ex("SINGLE"),
            $($id,)*
            col("Nationality", "generalSetting.nationality", text(60)).ex("British"),
            col("Address Line 1", "generalSetting.address[0]", text(100)).req()
                .alias(&["Address 1", "Address"]).ex("1 High Street"),
            col("Address Line 2", "generalSetting.address[1]", text(100)).alias(&["Address 2"]),
            col("Address Line 3", "generalSetting.address[2]", text(100)).alias(&["Address 3"]),
            col("City", "generalSetting.city", text(60)).req().alias(&["Town", "Town/City"])
                .ex("London"),
            col("County", "generalSetting.county", text(60)).ex("Greater London"),
            $($addr,)*
            col("Country", "generalSetting.country", Rule::Country).alias(&["Country Code"])
                .ex("GB").help("ISO code (GB, IE) or the country's name"),
            col("Mobile", "generalSetting.mobile", Rule::Phone).text()
                .alias(&["Mobile Number", "Phone", "Telephone"]).ex("07700 900123"),
            col("Email", "generalSetting.email", Rule::Email).req()
                .alias(&["Email Address"]).ex("michael.smith@example.com"),
            col("Registration Status", "generalSetting.registrationStatus",
                Rule::Enum("registration_status")).ex("ONGOING"),
            col("Date of Joining", "generalSetting.dateOfJoining", Rule::Date)
                .alias(&["Joining Date", "Start Date"]).ex("2025-04-07"),
            col("Pay Frequency", "generalSetting.payFrequency", Rule::Enum("pay_frequency")).req()
                .ex("WEEKLY"),
            col("Pay Method", "generalSetting.payMethod", Rule::Enum("pay_method")).ex("BACS"),
            col("Job Description", "generalSetting.jobDescription", text(200))
                .alias(&["Job Title", "Role"]).ex("Electrician"),
            col("Annual Salary", "generalSetting.annualSalary", Rule::Money).ex("35000"),
            col("Hourly Rate", "generalSetting.rateHour", Rule::Money).ex("15.50"),
            col("Hours", "generalSetting.hours", HOURS_A_WEEK).alias(&["Hours Per Week"]).ex("40"),
            col("Emergency Contact Name", "generalSetting.emergencyName", NAME)
                .alias(&["Emergency Name"]),
            col("Emergency Address Line 1", "generalSetting.emergencyAddress[0]", text(100)),
            col("Emergency Address Line 2", "generalSetting.emergencyAddress[1]", text(100)),
            col("Emergency City", "generalSetting.emergencyCity", text(60)),
            col("Emergency County", "generalSetting.emergencyCounty", text(60)),
            col("Emergency Country", "generalSetting.emergencyCountry", Rule::Country),
            $($em,)*
            col("Emergency Mobile", "generalSetting.emergencyMobile", Rule::Phone).text()
                .alias(&["Emergency Phone"]),
            col("Emergency Email", "generalSetting.emergencyEmail", Rule::Email),
            col("Right to Work Status", "generalSetting.rightToWorkStatus",
                Rule::Enum("right_to_work_status")),
            col("Document Type", "generalSetting.documentType", Rule::Enum("document_type")),
            col("Document Expiry Date", "generalSetting.documentExpiryDate", Rule::Date),
            col("Department", "generalSetting.department", text(100)),
            col("Pension Scheme", "generalSetting.pensionSetting.scheme", text(60)).ex("NEST"),
            col("Pension Reference", "generalSetting.pensionSetting.reference", text(60)).text(),
            col("Pension Member ID", "generalSetting.pensionSetting.memberId", text(60)).text(),
            col("Pension Opt In Date", "generalSetting.pensionSetting.optInDate", Rule::Date),
            col("Pension Opt Out Date", "generalSetting.pensionSetting.optOutDate", Rule::Date),
            col("Salary Sacrifice", "generalSetting.pensionSetting.isSalarySacrifice", Rule::Bool)
                .help("Yes or No"),
            col("Pension Calculation Type", "generalSetting.pensionSetting.pensionCalculationType",
                Rule::Enum("pension_calculation_type")),
            col("Bank Name", "bankSetting.bankName", text(100)).ex("HSBC"),
            col("Account Name", "bankSetting.accountName", text(100)).ex("M Smith"),
            $($bank,)*
            col("Payment Model", "payrollSetting.paymentModel", Rule::Enum("payment_model")).req()
                .ex("PAYEE"),
            col("CIS Status", "payrollSetting.cisStatus", Rule::Enum("cis_status")),
        ]
    };
}

static CANDIDATES_UK: [Column; 55] = candidate_columns!(
    id: [col("NI Number", "generalSetting.NINumber", Rule::NiNumber).req().text()
        .alias(&["National Insurance Number", "NI No", "NI"]).ex("QQ123456C")
        .help("2 letters, 6 digits and a letter A–D, e.g. QQ 12 34 56 C")],
    address_end: [col("Postcode", "generalSetting.postCode", Rule::UkPostcode).req()
        .alias(&["Postal Code"]).ex("SW1A 1AA")],
    emergency_end: [col("Emergency Postcode", "generalSetting.emergencyPostCode", Rule::UkPostcode)],
    bank: [
        col("Account Number", "bankSetting.accountNumber", Rule::AccountNumber).text()
            .alias(&["Bank Account Number", "Account No"]).ex("31926819")
            .help("8 digits; format the column as Text so Excel keeps leading zeros"),
        col("Sort Code", "bankSetting.sortCode", Rule::SortCode).text().ex("60-16-13")
            .help("6 digits, dashes allowed; format as Text"),
        col("Building Society Number", "bankSetting.buildingSocietyNumber", text(30)).text()
            .alias(&["Building Society Roll Number", "Roll Number"]),
        col("IBAN", "bankSetting.IBANReference", Rule::Iban).text(),
        col("SWIFT", "bankSetting.SWIFTNo", Rule::Bic).text().alias(&["BIC", "SWIFT/BIC"]),
    ]
);

static CANDIDATES_IE: [Column; 52] = candidate_columns!(
    id: [col("PPS Number", "generalSetting.PPSNumber", Rule::PpsNumber).req().text()
        .alias(&["PPSN", "PPS No", "PPS"]).ex("1234567TW")
        .help("7 digits and 1 or 2 letters, e.g. 1234567TW")],
    address_end: [col("Eircode", "generalSetting.eircode", Rule::Eircode).req().ex("D02 X285")],
    emergency_end: [col("Emergency Eircode", "generalSetting.emergencyEircode", Rule::Eircode)],
    bank: [
        col("IBAN", "bankSetting.IBANReference", Rule::Iban).req().text()
            .ex("IE29AIBK93115212345678"),
        col("SWIFT", "bankSetting.SWIFTNo", Rule::Bic).text().alias(&["BIC", "SWIFT/BIC"])
            .ex("AIBKIE2D"),
    ]
);

static PAYMENT_RATES: [Column; 14] = [
    col("Code", "code", text(20))
        .req()
        .text()
        .special(Special::PayCode)
        .alias(&["Pay Code", "Rate Code"])
        .ex("PR200")
        .help("Unique pay code; upper-cased"),
    col("Description", "description", text(200))
        .req()
        .ex("Standard hourly rate"),
    col("Type", "type", Rule::Enum("rate_type"))
        .req()
        .alias(&["Rate Type"])
        .ex("RATE"),
    col("Units", "units", Rule::Enum("rate_units"))
        .req()
        .alias(&["Unit"])
        .ex("HOURLY"),
    col("Hours Per Unit", "hoursPerUnit", NON_NEGATIVE)
        .ex("1")
        .help("1 for hourly, e.g. 8 for daily, 40 weekly"),
    col("Status", "status", Rule::Enum("rate_status")).ex("ACTIVE"),
    col("Display On Payslip", "displayOnPayslip", Rule::Bool).ex("Yes"),
    col("Before CIS", "includeInCisCalculation", Rule::Bool).ex("Yes"),
    col("Before NI", "includeNICalculation", Rule::Bool).ex("Yes"),
    col("Before Tax", "includeTaxCalculation", Rule::Bool).ex("Yes"),
    col("Before Pension", "includePensionCalculation", Rule::Bool).ex("Yes"),
    col("Accrue Holiday Pay", "includeAccrueHolidayPay", Rule::Bool).ex("Yes"),
    col("Raise Invoice", "raiseInvoice", Rule::Bool).ex("Yes"),
    col("Default VAT Code", "defaultVATCode", text(20))
        .special(Special::Vat)
        .alias(&["VAT Code"])
        .ex("S")
        .help("A VAT letter (S, Z, E…) or a VAT id VC-…"),
];

static TIMESHEETS: [Column; 13] = [
    col("Agency Ref", "agencyRef", text(50))
        .text()
        .alias(&[
            "Agency Reference",
            "Worker Ref",
            "Employee Ref",
            "Payroll Number",
        ])
        .ex("AG-0001")
        .help("The worker's Agency Ref; or give Worker ID instead"),
    col("Worker ID", "subcontractorRef", Rule::ApiId("SR-"))
        .text()
        .alias(&["Candidate ID", "Subcontractor Ref"])
        .help("Nxsys id SR-…, instead of Agency Ref"),
    col("Assignment Ref", "assignmentRef", text(50))
        .text()
        .alias(&["Assignment"]),
    col("Start Date", "startDate", Rule::Date)
        .alias(&["Period Start", "Week Start"])
        .ex("2025-04-07"),
    col("End Date", "endDate", Rule::Date)
        .alias(&["Period End", "Week Ending", "Week End"])
        .ex("2025-04-13"),
    col(
        "Tax Year",
        "taxYear",
        Rule::Integer {
            min: Some(2000),
            max: Some(2100),
        },
    )
    .req()
    .special(Special::TaxYear)
    .ex("2025")
    .help("The year the tax year starts: 2025 or 2025/26"),
    col(
        "Tax Period",
        "taxPeriodConfig",
        Rule::Integer {
            min: Some(1),
            max: Some(56),
        },
    )
    .req()
    .alias(&["Period", "Week", "Week No", "Tax Week"])
    .ex("1")
    .help("Week 1–53 (weekly) or month 1–12"),
    col(
        "Month",
        "monthConfig",
        Rule::Integer {
            min: Some(1),
            max: Some(12),
        },
    )
    .alias(&["Tax Month"]),
    col("Pay Code", "rates[].code", text(20))
        .text()
        .special(Special::PayCode)
        .alias(&["Code", "Rate Code"])
        .ex("PR200")
        .help("A pay code; or give Rate ID instead"),
    col("Rate ID", "rates[].rateId", Rule::ApiId("PR-"))
        .text()
        .help("Nxsys id PR-…"),
    col("Rate", "rates[].rate", Rule::Money)
        .req()
        .alias(&["Pay Rate", "Rate Per Unit"])
        .ex("15.50"),
    col(
        "Units",
        "rates[].units",
        Rule::Decimal {
            min: None,
            max: None,
        },
    )
    .req()
    .alias(&["Hours", "Quantity", "Qty", "Days"])
    .ex("37.5"),
    col("VAT Code", "rates[].vatID", text(20))
        .special(Special::Vat)
        .alias(&["VAT"])
        .ex("S")
        .help("A VAT letter (S, Z, E…) or a VAT id VC-…"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn headers_and_paths_are_unique_per_entity() {
        for entity in Entity::ALL {
            let mut seen = HashSet::new();
            for c in columns(entity) {
                let names: HashSet<String> = std::iter::once(&c.header)
                    .chain(c.aliases)
                    .chain([&c.path])
                    .map(|n| super::super::headers::fold(n))
                    .collect();
                for name in names {
                    assert!(seen.insert(name.clone()), "{entity:?}: '{name}' used twice");
                }
            }
        }
    }

    #[test]
    fn required_columns_have_examples() {
        for entity in Entity::ALL {
            for c in columns(entity).iter().filter(|c| c.required) {
                assert!(
                    !c.example.is_empty(),
                    "{entity:?}: {} has no example",
                    c.header
                );
            }
        }
    }
}

//! Word lists, headers and pay-code templates the generators draw from (this module's and
//! `examples/gen_samples.rs`). Everything is fictional: NI numbers use the specimen prefix `AB`,
//! mobiles Ofcom's drama range, emails `example.com` / `example.ie`.

/// Headers of the generated UK candidates sheet (canonical template headers).
pub const CANDIDATE_HEADERS: [&str; 20] = [
    "Agency Ref",
    "Title",
    "Gender",
    "Forename",
    "Surname",
    "Date of Birth",
    "NI Number",
    "Address Line 1",
    "City",
    "County",
    "Postcode",
    "Country",
    "Mobile",
    "Email",
    "Pay Frequency",
    "Job Description",
    "Bank Name",
    "Account Number",
    "Sort Code",
    "Payment Model",
];

/// Headers of an Irish candidates sheet (PPS number, Eircode and IBAN in place of the UK
/// identifiers), as `samples/candidates-ie.csv` has them.
pub const IE_CANDIDATE_HEADERS: [&str; 17] = [
    "Agency Ref",
    "Title",
    "Gender",
    "Forename",
    "Surname",
    "Date of Birth",
    "PPS Number",
    "Address Line 1",
    "City",
    "County",
    "Eircode",
    "Country",
    "Email",
    "Pay Frequency",
    "Bank Name",
    "IBAN",
    "Payment Model",
];

/// Headers of the generated payment-rates sheet.
pub const RATE_HEADERS: [&str; 12] = [
    "Code",
    "Description",
    "Type",
    "Units",
    "Hours Per Unit",
    "Status",
    "Display On Payslip",
    "Before NI",
    "Before Tax",
    "Before Pension",
    "Raise Invoice",
    "Default VAT Code",
];

/// Headers of the generated timesheets sheet (one row per line).
pub const TIMESHEET_HEADERS: [&str; 9] = [
    "Agency Ref",
    "Start Date",
    "End Date",
    "Tax Year",
    "Tax Period",
    "Pay Code",
    "Rate",
    "Units",
    "VAT Code",
];

/// A kind of pay code: description, type, units, hours per unit, rate, and the range of units
/// a line of a weekly timesheet carries (`min..=max`, halves allowed when `halves`).
pub struct RateKind {
    pub description: &'static str,
    pub kind: &'static str,
    pub units: &'static str,
    pub hours_per_unit: &'static str,
    pub rate: &'static str,
    pub line_units: (u64, u64),
    pub halves: bool,
}

const fn kind(
    description: &'static str,
    kind: &'static str,
    units: &'static str,
    hours_per_unit: &'static str,
    rate: &'static str,
    line_units: (u64, u64),
    halves: bool,
) -> RateKind {
    RateKind {
        description,
        kind,
        units,
        hours_per_unit,
        rate,
        line_units,
        halves,
    }
}

/// Pay-code kinds, cycled through as codes are made. Hourly lines stay at or under 40 hours, so
/// the at most four lines of a weekly timesheet never exceed 168 hours.
pub const RATE_KINDS: [RateKind; 10] = [
    kind(
        "Standard hours",
        "Rate",
        "Hourly",
        "1",
        "15.50",
        (20, 40),
        true,
    ),
    kind("Overtime", "Rate", "Hourly", "1", "23.25", (1, 12), true),
    kind(
        "Night shift",
        "Rate",
        "Hourly",
        "1",
        "18.00",
        (4, 24),
        false,
    ),
    kind(
        "Weekend hours",
        "Rate",
        "Hourly",
        "1",
        "19.50",
        (4, 16),
        true,
    ),
    kind("Day rate", "Rate", "Daily", "8", "145.00", (1, 5), false),
    kind(
        "Holiday pay",
        "Rate",
        "Hourly",
        "1",
        "15.50",
        (4, 16),
        false,
    ),
    kind(
        "Travel allowance",
        "Fixed",
        "Weekly",
        "0",
        "25.00",
        (1, 1),
        false,
    ),
    kind("On-call", "Rate", "Daily", "1", "30.00", (1, 7), false),
    kind(
        "Completion bonus",
        "Fixed",
        "Monthly",
        "0",
        "250.00",
        (1, 1),
        false,
    ),
    kind(
        "Materials",
        "Cost of Materials",
        "Weekly",
        "0",
        "40.00",
        (1, 1),
        false,
    ),
];

/// Forenames of female workers.
pub const FEMALE_NAMES: &[&str] = &[
    "Amelia", "Isla", "Ava", "Mia", "Ivy", "Freya", "Lily", "Florence", "Grace", "Sophia", "Priya",
    "Mei",
];
/// Forenames of male workers.
pub const MALE_NAMES: &[&str] = &[
    "Oliver", "George", "Harry", "Noah", "Jack", "Leo", "Arthur", "Muhammad", "Oscar", "Charlie",
    "Tomasz", "Chidi", "Kwame",
];
/// Surnames of UK workers.
pub const SURNAMES: &[&str] = &[
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Wright", "Walker", "Thompson", "Robinson", "Khan", "Evans", "Hughes", "Nowak", "Okafor",
    "Chen", "Mensah", "Edwards", "Green",
];
/// Street names of UK addresses.
pub const STREETS: &[&str] = &[
    "High Street",
    "Station Road",
    "Church Lane",
    "Victoria Road",
    "Park Avenue",
    "Mill Lane",
    "Queen Street",
    "The Crescent",
];
/// (city, county, postcode outward code)
pub const TOWNS: &[(&str, &str, &str)] = &[
    ("London", "Greater London", "SE1"),
    ("Leeds", "West Yorkshire", "LS6"),
    ("Manchester", "Greater Manchester", "M14"),
    ("Birmingham", "West Midlands", "B15"),
    ("Bristol", "Avon", "BS7"),
    ("Glasgow", "Lanarkshire", "G12"),
    ("Cardiff", "South Glamorgan", "CF24"),
    ("Norwich", "Norfolk", "NR2"),
];
/// Letters a postcode's inward code may end with.
pub const INWARD_LETTERS: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";
/// Job descriptions.
pub const JOBS: &[&str] = &[
    "Electrician",
    "Plumber",
    "Site Labourer",
    "Carpenter",
    "Warehouse Operative",
    "HGV Driver",
    "Care Assistant",
    "IT Contractor",
];
/// Forenames of Irish workers.
pub const IRISH_FORENAMES: &[&str] = &[
    "Aoife", "Ciarán", "Siobhán", "Seán", "Niamh", "Oisín", "Róisín", "Darragh", "Saoirse",
    "Cillian",
];
/// Surnames of Irish workers.
pub const IRISH_SURNAMES: &[&str] = &[
    "Murphy",
    "Kelly",
    "O'Sullivan",
    "Walsh",
    "Byrne",
    "Ryan",
    "O'Brien",
    "Doyle",
    "McCarthy",
    "Gallagher",
];
/// Characters the unique identifier of an Eircode (its last four) is made of.
pub const EIRCODE_CHARS: &[u8] = b"0123456789ACDEFHKNPRTVWXY";

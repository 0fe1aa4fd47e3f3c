//! Generates `samples/`: a realistic, entirely fictional monthly batch (50 UK and 10 Irish
//! workers, 10 pay codes, 4 weekly periods of timesheets) as CSV files and as one workbook with
//! a sheet per entity, plus `samples/with-errors/` with planted mistakes listed in
//! `samples/with-errors/EXPECTED.md`.
//!
//! Deterministic (a fixed-seed xorshift), so the committed files only change when this does:
//!
//! ```text
//! cargo run --example gen_samples [-- OUT_DIR]   # default: samples
//! ```
//!
//! NI numbers follow the widely used specimen pattern `AB 12 34 nn X` (see [`NI_PREFIX`]);
//! mobiles are Ofcom's drama range 07700 900xxx;
//! emails are at example.com / example.ie; bank details are made up but pass the checks.
//!
//! Word lists, headers, pay-code kinds and the Irish identifiers come from
//! [`nxsys_etl::synth`], the benchmark generator; the random draws stay on this file's own
//! xorshift (synth's generator is another sequence, and would change every committed sample).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use nxsys_etl::synth::data::{
    EIRCODE_CHARS, FEMALE_NAMES, INWARD_LETTERS, IRISH_FORENAMES, IRISH_SURNAMES, JOBS, MALE_NAMES,
    RATE_KINDS, STREETS, SURNAMES, TOWNS,
};
use nxsys_etl::synth::ireland::{iban, pps_number};
use nxsys_etl::synth::{
    CANDIDATE_HEADERS, Cell, IE_CANDIDATE_HEADERS, RATE_HEADERS, TIMESHEET_HEADERS, rate_row, week,
};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet};

type Table = (Vec<&'static str>, Vec<Vec<String>>);

/// HMRC's own specimen prefix `QQ` is rejected by the NI rule (Q is never issued), so the
/// samples use the common form-filling specimen `AB 12 34 …` with a sequential tail: clearly
/// made up, yet valid in format. Switch to `QQ` if the rule comes to accept it.
const NI_PREFIX: &str = "AB";

/// Xorshift64: the sequence every committed sample was drawn from.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

struct Batch {
    uk: Table,
    ie: Table,
    rates: Table,
    timesheets: Table,
}

fn generate() -> Batch {
    let mut rng = Rng(0x5EED_2025_0406);
    let mut uk_rows = Vec::new();
    for i in 0..50u32 {
        let female = rng.below(2) == 0;
        let (city, county, outward) = TOWNS[rng.below(TOWNS.len() as u64) as usize];
        let forename = rng.pick(if female { FEMALE_NAMES } else { MALE_NAMES });
        let surname = rng.pick(SURNAMES);
        let inward = format!(
            "{}{}{}",
            rng.below(10),
            INWARD_LETTERS[rng.below(20) as usize] as char,
            INWARD_LETTERS[rng.below(20) as usize] as char
        );
        uk_rows.push(vec![
            format!("AG-{}", 1001 + i),
            (if female { "Ms" } else { "Mr" }).to_string(),
            (if female { "Female" } else { "Male" }).to_string(),
            forename.to_string(),
            surname.to_string(),
            format!(
                "{:02}/{:02}/{}",
                1 + rng.below(28),
                1 + rng.below(12),
                1965 + rng.below(38)
            ),
            format!(
                "{NI_PREFIX} 12 34 {:02} {}",
                i + 1,
                ["A", "B", "C", "D"][rng.below(4) as usize]
            ),
            format!("{} {}", 1 + rng.below(150), rng.pick(STREETS)),
            city.to_string(),
            county.to_string(),
            format!("{outward} {inward}"),
            "GB".to_string(),
            format!("07700 900{:03}", 100 + i),
            format!("{}.{}{}@example.com", forename, surname, i + 1).to_lowercase(),
            "Weekly".to_string(),
            rng.pick(JOBS).to_string(),
            "Example Bank".to_string(),
            format!("{:08}", 10_000_000 + rng.below(89_999_999)),
            format!(
                "{:02}-{:02}-{:02}",
                10 + rng.below(89),
                rng.below(100),
                rng.below(100)
            ),
            "PAYE".to_string(),
        ]);
    }
    let mut ie_rows = Vec::new();
    for i in 0..10u32 {
        let forename = IRISH_FORENAMES[i as usize];
        let surname = IRISH_SURNAMES[(i as usize * 3) % IRISH_SURNAMES.len()];
        let female = matches!(
            forename,
            "Aoife" | "Siobhán" | "Niamh" | "Róisín" | "Saoirse"
        );
        let routing = format!("D{:02}", 1 + rng.below(18));
        let unique: String = (0..4)
            .map(|_| EIRCODE_CHARS[rng.below(EIRCODE_CHARS.len() as u64) as usize] as char)
            .collect();
        ie_rows.push(vec![
            format!("IE-{}", 2001 + i),
            (if female { "Ms" } else { "Mr" }).to_string(),
            (if female { "Female" } else { "Male" }).to_string(),
            forename.to_string(),
            surname.to_string(),
            format!(
                "{}-{:02}-{:02}",
                1970 + rng.below(33),
                1 + rng.below(12),
                1 + rng.below(28)
            ),
            pps_number(1_000_000 + rng.below(8_999_999) as u32),
            format!(
                "{} {}",
                1 + rng.below(90),
                ["Main Street", "Church Road", "Strand Road"][i as usize % 3]
            ),
            "Dublin".to_string(),
            "Co. Dublin".to_string(),
            format!("{routing} {unique}"),
            "IE".to_string(),
            format!("{}.{}@example.ie", i + 1, surname.replace('\'', "")).to_lowercase(),
            "Weekly".to_string(),
            "Example Bank Ireland".to_string(),
            iban("IE", &format!("AIBK931152{:08}", rng.below(100_000_000))),
            "PAYE".to_string(),
        ]);
    }
    let rate_rows: Vec<Vec<String>> = RATE_KINDS
        .iter()
        .zip(200..)
        .map(|(kind, code)| {
            let description = match code {
                201 => "Overtime (time and a half)",
                _ => kind.description,
            };
            rate_row(format!("PR{code}"), description.to_string(), kind)
                .iter()
                .map(Cell::to_csv)
                .collect()
        })
        .collect();
    let mut ts_rows = Vec::new();
    let workers: Vec<String> = uk_rows
        .iter()
        .chain(&ie_rows)
        .map(|r| r[0].clone())
        .collect();
    for period in 0..4 {
        // Tax year 2025/26 starts on Sunday 6 April 2025; week 1 is 6–12 April.
        let (year, tax_period, start, end) = week(period);
        for worker in &workers {
            // A line on pay code PR200 + `kind`, at that kind's rate.
            let mut line = |kind: usize, units: String| {
                ts_rows.push(vec![
                    worker.clone(),
                    start.to_string(),
                    end.to_string(),
                    year.to_string(),
                    tax_period.to_string(),
                    format!("PR{}", 200 + kind),
                    RATE_KINDS[kind].rate.to_string(),
                    units,
                    "S".to_string(),
                ]);
            };
            line(
                0,
                format!("{}.{}", 30 + rng.below(11), [0, 5][rng.below(2) as usize]),
            );
            if rng.below(5) == 0 {
                line(1, format!("{}", 2 + rng.below(7)));
            }
            if rng.below(10) == 0 {
                line(2, format!("{}", 8 + rng.below(9)));
            }
            if rng.below(12) == 0 {
                line(6, "1".to_string());
            }
        }
    }
    Batch {
        uk: (CANDIDATE_HEADERS.to_vec(), uk_rows),
        ie: (IE_CANDIDATE_HEADERS.to_vec(), ie_rows),
        rates: (RATE_HEADERS.to_vec(), rate_rows),
        timesheets: (TIMESHEET_HEADERS.to_vec(), ts_rows),
    }
}

fn write_csv(path: &Path, table: &Table) -> Result<(), Box<dyn std::error::Error>> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record(&table.0)?;
    for row in &table.1 {
        w.write_record(row)?;
    }
    w.flush()?;
    Ok(())
}

/// A sheet as a clerk's workbook holds it: identifiers as text, amounts and periods as
/// numbers, dates as real dates.
fn write_sheet(
    ws: &mut Worksheet,
    name: &str,
    table: &Table,
) -> Result<(), Box<dyn std::error::Error>> {
    ws.set_name(name)?;
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    for (c, h) in table.0.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
        ws.set_column_width(c as u16, 16)?;
    }
    for (r, row) in table.1.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, value) in row.iter().enumerate() {
            let header = table.0[c];
            let c = c as u16;
            let is_number = match name {
                "Timesheets" => matches!(header, "Tax Year" | "Tax Period" | "Rate" | "Units"),
                _ => header == "Hours Per Unit",
            };
            if header.ends_with("Date") || header == "Date of Birth" {
                let iso = if value.contains('/') {
                    let p: Vec<&str> = value.split('/').collect();
                    format!("{}-{}-{}", p[2], p[1], p[0])
                } else {
                    value.clone()
                };
                let d = chrono::NaiveDate::parse_from_str(&iso, "%Y-%m-%d")?;
                let dt = ExcelDateTime::from_ymd(
                    u16::try_from(chrono::Datelike::year(&d))?,
                    chrono::Datelike::month(&d) as u8,
                    chrono::Datelike::day(&d) as u8,
                )?;
                ws.write_datetime_with_format(r, c, &dt, &date)?;
            } else if is_number {
                ws.write_number(r, c, value.parse::<f64>()?)?;
            } else {
                ws.write_string(r, c, value)?;
            }
        }
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

/// A planted mistake: where it is and the finding code it must produce.
struct Planted {
    file: &'static str,
    row: u32,
    column: &'static str,
    code: &'static str,
    what: &'static str,
}

fn set(table: &mut Table, row: u32, header: &str, value: &str) -> &'static str {
    let c = table
        .0
        .iter()
        .position(|h| *h == header)
        .unwrap_or_default();
    table.1[row as usize - 2][c] = value.to_string();
    table.0[c]
}

fn letter(table: &Table, header: &str) -> &'static str {
    const L: [&str; 26] = [
        "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P", "Q", "R",
        "S", "T", "U", "V", "W", "X", "Y", "Z",
    ];
    L[table
        .0
        .iter()
        .position(|h| *h == header)
        .unwrap_or_default()]
}

fn with_errors(clean: &Batch) -> (Batch, Vec<Planted>) {
    let mut b = Batch {
        uk: (clean.uk.0.clone(), clean.uk.1[..12].to_vec()),
        ie: (clean.ie.0.clone(), clean.ie.1[..5].to_vec()),
        rates: clean.rates.clone(),
        timesheets: (clean.timesheets.0.clone(), Vec::new()),
    };
    let mut planted = Vec::new();
    let mut plant = |table: &mut Table, file, row, header: &str, value: &str, code, what| {
        set(table, row, header, value);
        planted.push(Planted {
            file,
            row,
            column: letter(table, header),
            code,
            what,
        });
    };
    let f = "candidates.csv";
    plant(
        &mut b.uk,
        f,
        2,
        "NI Number",
        "BG 12 34 56 A",
        "ni_number.prefix",
        "NI number with a prefix HMRC never issues (BG)",
    );
    plant(
        &mut b.uk,
        f,
        3,
        "NI Number",
        "AB1234567",
        "ni_number.format",
        "NI number with a digit for its final letter",
    );
    plant(
        &mut b.uk,
        f,
        4,
        "Sort Code",
        "12345",
        "sort_code.length",
        "sort code that lost its leading zero (5 digits)",
    );
    plant(
        &mut b.uk,
        f,
        5,
        "Account Number",
        "1234567",
        "account_number.padded",
        "7-digit account number (padded, warning)",
    );
    plant(
        &mut b.uk,
        f,
        6,
        "Account Number",
        "1.23457E+07",
        "identifier.scientific",
        "account number Excel turned into 1.23457E+07",
    );
    plant(
        &mut b.uk,
        f,
        7,
        "Email",
        "oliver.smith@",
        "email.format",
        "email without a domain",
    );
    plant(
        &mut b.uk,
        f,
        8,
        "Postcode",
        "SW1A 1A",
        "postcode.format",
        "postcode missing a letter",
    );
    plant(
        &mut b.uk,
        f,
        9,
        "Date of Birth",
        "31/02/1990",
        "date.invalid",
        "31 February",
    );
    plant(
        &mut b.uk,
        f,
        10,
        "Forename",
        "",
        "required.missing",
        "empty Forename",
    );
    plant(
        &mut b.uk,
        f,
        11,
        "Pay Frequency",
        "Every other Tuesday",
        "enum.unknown",
        "pay frequency that is not a known value",
    );
    // Row 12 repeats row 2's Agency Ref and row 3's NI number.
    let dup_ref = b.uk.1[0][0].clone();
    plant(
        &mut b.uk,
        f,
        12,
        "Agency Ref",
        &dup_ref,
        "duplicate.agency_ref",
        "Agency Ref already used in row 2",
    );
    let dup_ni = b.uk.1[5][6].clone();
    plant(
        &mut b.uk,
        f,
        13,
        "NI Number",
        &dup_ni,
        "duplicate.ni_number",
        "NI number already used in row 7",
    );
    let f = "candidates-ie.csv";
    let bad_pps = {
        let good = b.ie.1[0][6].clone();
        let last = good.chars().last().unwrap_or('A');
        let wrong = if last == 'A' { 'B' } else { 'A' };
        format!("{}{wrong}", &good[..7])
    };
    plant(
        &mut b.ie,
        f,
        2,
        "PPS Number",
        &bad_pps,
        "pps_number.check",
        "PPS number with the wrong check letter",
    );
    plant(
        &mut b.ie,
        f,
        3,
        "Eircode",
        "D02 X28",
        "eircode.format",
        "Eircode one character short",
    );
    let bad_iban = {
        let good = b.ie.1[2][15].clone();
        let last = good.chars().last().unwrap_or('0');
        let wrong = if last == '9' { '8' } else { '9' };
        format!("{}{wrong}", &good[..good.len() - 1])
    };
    plant(
        &mut b.ie,
        f,
        4,
        "IBAN",
        &bad_iban,
        "iban.checksum",
        "IBAN with one digit mistyped",
    );
    let f = "payment-rates.csv";
    let mut again = b.rates.1[0].clone();
    again[1] = "Standard hours (again)".into();
    b.rates.1.push(again);
    let row = b.rates.1.len() as u32 + 1;
    plant(
        &mut b.rates,
        f,
        row,
        "Code",
        "pr200",
        "duplicate.pay_code",
        "pay code PR200 again, in lower case",
    );
    plant(
        &mut b.rates,
        f,
        4,
        "Units",
        "Fortnightly",
        "enum.unknown",
        "units that a pay code cannot have",
    );
    plant(
        &mut b.rates,
        f,
        5,
        "Before NI",
        "Maybe",
        "bool.format",
        "Yes/No column saying Maybe",
    );
    plant(
        &mut b.rates,
        f,
        6,
        "Default VAT Code",
        "Q",
        "enum.unknown",
        "VAT letter that does not exist",
    );
    // Timesheets: one clean line per worker of row 2.., then planted lines.
    let f = "timesheets.csv";
    let base = |worker: &str, units: &str, code: &str| -> Vec<String> {
        vec![
            worker.to_string(),
            "2025-04-06".into(),
            "2025-04-12".into(),
            "2025".into(),
            "1".into(),
            code.into(),
            "15.50".into(),
            units.into(),
            "S".into(),
        ]
    };
    let uk_refs: Vec<String> = b.uk.1.iter().map(|r| r[0].clone()).collect();
    for (i, r) in uk_refs.iter().enumerate().skip(1).take(8) {
        b.timesheets
            .1
            .push(base(r, &format!("{}", 30 + i), "PR200"));
    }
    // rows 2..=9 are clean; planted rows follow.
    let planted_rows: [(&str, &str, &str, &str, &'static str, &'static str); 8] = [
        (
            "AG-1003",
            "-5",
            "PR201",
            "Units",
            "units.negative",
            "negative hours",
        ),
        (
            "AG-9999",
            "37.5",
            "PR200",
            "Agency Ref",
            "reference.not_in_batch",
            "worker not in the batch (warning)",
        ),
        (
            "AG-1004",
            "10",
            "PR999",
            "Pay Code",
            "reference.not_in_batch",
            "pay code not in the batch (warning)",
        ),
        (
            "AG-1005",
            "37.5",
            "PR200",
            "Rate",
            "money.format",
            "rate typed with a letter O",
        ),
        (
            "AG-1006",
            "200",
            "PR201",
            "Units",
            "units.impossible",
            "170+ hours on one week's hourly codes",
        ),
        (
            "AG-1007",
            "37.5",
            "PR200",
            "Tax Period",
            "integer.range",
            "tax period 0",
        ),
        (
            "AG-1008",
            "37.5",
            "",
            "",
            "timesheet.pay_code_missing",
            "line with no pay code",
        ),
        (
            "AG-1009",
            "37.5",
            "PR200",
            "Tax Year",
            "tax_year.format",
            "tax year 2025/27",
        ),
    ];
    for (worker, units, code, header, code_id, what) in planted_rows {
        let mut row = base(worker, units, code);
        match code_id {
            "money.format" => row[6] = "15.5O".into(),
            "integer.range" => row[4] = "0".into(),
            "tax_year.format" => row[3] = "2025/27".into(),
            _ => {}
        }
        b.timesheets.1.push(row);
        let r = b.timesheets.1.len() as u32 + 1;
        planted.push(Planted {
            file: f,
            row: r,
            column: if header.is_empty() {
                ""
            } else {
                letter(&b.timesheets, header)
            },
            code: code_id,
            what,
        });
    }
    (b, planted)
}

fn expected_md(planted: &[Planted]) -> String {
    let mut s = String::from(
        "# Planted mistakes\n\n\
         Generated by `cargo run --example gen_samples`; `tests/it/validate.rs` checks that\n\
         `nxsys-etl validate samples/with-errors/*.csv` reports every one of them at this cell.\n\n\
         | File | Row | Column | Code | Mistake |\n|---|---|---|---|---|\n",
    );
    for p in planted {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            p.file, p.row, p.column, p.code, p.what
        );
    }
    s
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "samples".into()));
    let errors_dir = out.join("with-errors");
    let workbook_dir = out.join("workbook");
    for dir in [&out, &errors_dir, &workbook_dir] {
        std::fs::create_dir_all(dir)?;
    }
    let batch = generate();
    write_csv(&out.join("candidates.csv"), &batch.uk)?;
    write_csv(&out.join("candidates-ie.csv"), &batch.ie)?;
    write_csv(&out.join("payment-rates.csv"), &batch.rates)?;
    write_csv(&out.join("timesheets.csv"), &batch.timesheets)?;
    let mut book = Workbook::new();
    // A fixed creation date keeps the regenerated workbook byte-for-byte the same.
    book.set_properties(
        &DocProperties::new()
            .set_title("nxsys-etl sample monthly batch")
            .set_creation_datetime(&ExcelDateTime::from_ymd(2025, 4, 6)?),
    );
    write_sheet(book.add_worksheet(), "Candidates", &batch.uk)?;
    write_sheet(book.add_worksheet(), "Candidates IE", &batch.ie)?;
    write_sheet(book.add_worksheet(), "Payment Rates", &batch.rates)?;
    write_sheet(book.add_worksheet(), "Timesheets", &batch.timesheets)?;
    book.save(workbook_dir.join("monthly-batch.xlsx"))?;

    let (bad, planted) = with_errors(&batch);
    write_csv(&errors_dir.join("candidates.csv"), &bad.uk)?;
    write_csv(&errors_dir.join("candidates-ie.csv"), &bad.ie)?;
    write_csv(&errors_dir.join("payment-rates.csv"), &bad.rates)?;
    write_csv(&errors_dir.join("timesheets.csv"), &bad.timesheets)?;
    std::fs::write(errors_dir.join("EXPECTED.md"), expected_md(&planted))?;
    println!(
        "wrote {} ({} timesheet lines) and {} planted mistakes",
        out.display(),
        batch.timesheets.1.len(),
        planted.len()
    );
    Ok(())
}

//! The About sheet: where the payslips came from, when, with which filters, and how many.

use rust_xlsxwriter::{ExcelDateTime, Worksheet};

use super::styles::Styles;
use super::write_cell::write_text;
use super::{About, WorkbookReport};
use crate::export::WriteError;
use crate::export::columns::{Column, Kind};

pub fn write(
    sheet: &mut Worksheet,
    about: &About,
    report: &WorkbookReport,
    columns: &[Column],
    styles: &Styles,
) -> Result<(), WriteError> {
    sheet.set_column_width(0, 24)?;
    sheet.set_column_width(1, 60)?;
    write_text(sheet, 0, 0, "About this export", Some(&styles.title))?;

    let mut row = 2;
    let mut line = |sheet: &mut Worksheet, name: &str, value: &str| -> Result<u32, WriteError> {
        write_text(sheet, row, 0, name, Some(&styles.header))?;
        write_text(sheet, row, 1, value, None)?;
        row += 1;
        Ok(row - 1)
    };
    line(
        sheet,
        "Exported by",
        &format!("nxsys-etl {}", env!("CARGO_PKG_VERSION")),
    )?;
    line(sheet, "API base URL", &about.base_url)?;
    let at = line(sheet, "Exported at (UTC)", "")?;
    let stamp = about.exported_at.naive_utc();
    let excel = ExcelDateTime::parse_from_str(&stamp.format("%Y-%m-%dT%H:%M:%S").to_string());
    match excel {
        Ok(excel) => {
            sheet.write_datetime_with_format(at, 1, &excel, &styles.datetime)?;
        }
        Err(_) => {
            write_text(sheet, at, 1, &about.exported_at.to_rfc3339(), None)?;
        }
    }
    let count = line(sheet, "Payslips", "")?;
    sheet.write_number(count, 1, report.payslips as f64)?;
    if about.filters.is_empty() {
        line(sheet, "Filters", "none: every payslip the API returned")?;
    }
    for (name, value) in &about.filters {
        line(sheet, &format!("Filter: {name}"), value)?;
    }
    let unknown: Vec<&str> = columns
        .iter()
        .filter(|c| c.kind == Kind::AsItCame)
        .map(|c| c.key.as_str())
        .collect();
    if !unknown.is_empty() {
        line(
            sheet,
            "Fields new to this tool",
            &format!(
                "{} (exported after the known columns, headed with their API names)",
                unknown.join(", ")
            ),
        )?;
    }
    if report.cut_texts > 0 {
        line(
            sheet,
            "Warning",
            &format!(
                "{} text value(s) were longer than Excel's 32,767-character cell limit and were cut; \
                 export to CSV for the full text",
                report.cut_texts
            ),
        )?;
    }
    if report.summary.unreadable > 0 {
        line(
            sheet,
            "Warning",
            &format!(
                "{} money value(s) could not be read as amounts; they are kept as text on the \
                 Payslips sheet and left out of the totals (see Summary)",
                report.summary.unreadable
            ),
        )?;
    }
    Ok(())
}

//! The export workbook: a Payslips sheet streamed row by row (rust_xlsxwriter's constant-memory
//! mode, so memory stays flat however many payslips there are), a Summary sheet with totals per
//! tax period and per worker and a chart of net pay by period, and an About sheet.

mod about;
mod styles;
mod summary_sheet;
mod write_cell;

use std::io::Write;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{Formula, Workbook, Worksheet};
use serde_json::{Map, Value};

use super::WriteError;
use super::cell::typed;
use super::columns::{Column, Kind};
use super::summary::Summary;
use styles::Styles;
pub use styles::{DATE_FORMAT, DATETIME_FORMAT, MONEY_FORMAT};
use write_cell::{write_cell, write_text};

/// Sheet names, in workbook order.
pub const PAYSLIPS_SHEET: &str = "Payslips";
pub const SUMMARY_SHEET: &str = "Summary";
pub const ABOUT_SHEET: &str = "About";

/// Rows in an Excel sheet.
const EXCEL_MAX_ROWS: u32 = 1_048_576;

/// What the About sheet says about the export.
#[derive(Debug, Clone)]
pub struct About {
    /// Filters used, as `(name, value)` in the words of the command line.
    pub filters: Vec<(String, String)>,
    /// The API the payslips came from.
    pub base_url: String,
    pub exported_at: DateTime<Utc>,
}

/// What was written.
#[derive(Debug, Clone, Default)]
pub struct WorkbookReport {
    pub payslips: usize,
    pub summary: Summary,
    /// Texts longer than Excel's 32,767-character cell limit, cut to it.
    pub cut_texts: u64,
}

/// Write a whole workbook to `out`. `payslips` is read once, front to back; `on_row` is called
/// after each payslip row (for a progress bar).
pub fn write_workbook<W, I>(
    out: W,
    columns: &[Column],
    payslips: I,
    about: &About,
    mut on_row: impl FnMut(),
) -> Result<WorkbookReport, WriteError>
where
    W: Write + Send,
    I: IntoIterator<Item = std::io::Result<Map<String, Value>>>,
{
    let styles = Styles::new();
    let mut workbook = Workbook::new();
    let mut report = WorkbookReport::default();

    let sheet = workbook.add_worksheet_with_constant_memory()?;
    sheet.set_name(PAYSLIPS_SHEET)?;
    // Printed: landscape, the header row on every page.
    sheet.set_landscape();
    sheet.set_repeat_rows(0, 0)?;
    write_payslips_sheet(sheet, columns, payslips, &styles, &mut report, &mut on_row)?;

    let sheet = workbook.add_worksheet_with_constant_memory()?;
    sheet.set_name(SUMMARY_SHEET)?;
    // Printed one page wide, the chart beside the tables included.
    sheet.set_landscape();
    sheet.set_print_fit_to_pages(1, 0);
    summary_sheet::write(sheet, &report.summary, &styles)?;

    let sheet = workbook.add_worksheet();
    sheet.set_name(ABOUT_SHEET)?;
    about::write(sheet, about, &report, columns, &styles)?;

    workbook.save_to_writer(out)?;
    Ok(report)
}

fn write_payslips_sheet<I>(
    sheet: &mut Worksheet,
    columns: &[Column],
    payslips: I,
    styles: &Styles,
    report: &mut WorkbookReport,
    on_row: &mut impl FnMut(),
) -> Result<(), WriteError>
where
    I: IntoIterator<Item = std::io::Result<Map<String, Value>>>,
{
    let last_col = u16::try_from(columns.len().saturating_sub(1))
        .map_err(|_| WriteError::TooManyColumns(columns.len()))?;
    for (col, column) in (0u16..).zip(columns) {
        sheet.set_column_width(col, column.width)?;
        write_text(sheet, 0, col, &column.label, Some(&styles.header))?;
    }
    sheet.set_freeze_panes(1, 0)?;

    // Exact totals of the money columns, for the totals row's cached results.
    let mut totals: Vec<Option<Decimal>> = columns
        .iter()
        .map(|c| (c.kind == Kind::Money).then_some(Decimal::ZERO))
        .collect();
    let mut row: u32 = 0;
    for payslip in payslips {
        let payslip = payslip?;
        row += 1;
        if row >= EXCEL_MAX_ROWS - 1 {
            return Err(WriteError::TooManyRows(EXCEL_MAX_ROWS - 2));
        }
        for ((col, column), total) in (0u16..).zip(columns).zip(totals.iter_mut()) {
            let cell = typed(column.kind, payslip.get(&column.key));
            if let (Some(total), super::cell::Cell::Money(amount)) = (total.as_mut(), &cell) {
                *total += *amount;
            }
            if write_cell(sheet, row, col, &cell, styles)? {
                report.cut_texts += 1;
            }
        }
        report.summary.add(&payslip);
        report.payslips += 1;
        on_row();
    }

    sheet.autofilter(0, 0, row, last_col)?;
    if row == 0 {
        write_text(
            sheet,
            1,
            0,
            "No payslips matched the filters (see the About sheet).",
            Some(&styles.note),
        )?;
        return Ok(());
    }
    write_totals_row(sheet, &totals, row, styles)
}

/// A totals row under the data: SUBTOTAL(9, …) so it follows the filter; the cached result is
/// the exact total of every row, which is what a reader without recalculation shows.
fn write_totals_row(
    sheet: &mut Worksheet,
    totals: &[Option<Decimal>],
    last_data_row: u32,
    styles: &Styles,
) -> Result<(), WriteError> {
    let total_row = last_data_row + 1;
    for (col, total) in (0u16..).zip(totals) {
        match total {
            Some(total) => {
                let letter = rust_xlsxwriter::utility::column_number_to_name(col);
                let formula = Formula::new(format!(
                    "=SUBTOTAL(9,{letter}2:{letter}{})",
                    last_data_row + 1
                ))
                .set_result(total.to_f64().unwrap_or_default().to_string());
                sheet.write_formula_with_format(total_row, col, formula, &styles.total_money)?;
            }
            None if col == 0 => {
                write_text(sheet, total_row, 0, "Total", Some(&styles.total_label))?;
            }
            None => {
                sheet.write_blank(total_row, col, &styles.total_label)?;
            }
        }
    }
    Ok(())
}

//! The Summary sheet: totals by tax period (with a chart of net pay by period), then by worker.
//! Written row by row from the running [`Summary`], so it works in constant-memory mode.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{Chart, ChartType, Worksheet};

use super::SUMMARY_SHEET;
use super::styles::{MONEY_FORMAT, Styles};
use super::write_cell::write_text;
use crate::export::WriteError;
use crate::export::summary::{DEDUCTION_FIELDS, EMPLOYER_COST_FIELDS, PeriodKey, Summary, Totals};

const PERIOD_HEADERS: [&str; 8] = [
    "Period",
    "Tax year",
    "Tax period",
    "Payslips",
    "Gross",
    "Deductions",
    "Net pay",
    "Employer costs",
];
const WORKER_HEADERS: [&str; 7] = [
    "Worker ID",
    "Worker name",
    "Payslips",
    "Gross",
    "Deductions",
    "Net pay",
    "Employer costs",
];
const WIDTHS: [u16; 8] = [16, 24, 11, 11, 14, 14, 14, 15];
/// Column of the chart, right of the tables.
const CHART_COL: u16 = 9;

pub fn write(sheet: &mut Worksheet, summary: &Summary, styles: &Styles) -> Result<(), WriteError> {
    for (col, width) in (0u16..).zip(WIDTHS) {
        sheet.set_column_width(col, width)?;
    }
    write_text(sheet, 0, 0, "Summary", Some(&styles.title))?;
    let definitions = format!(
        "Deductions = {}. Employer costs = {}. Totals are exact sums of the payslips exported.",
        DEDUCTION_FIELDS.join(" + "),
        EMPLOYER_COST_FIELDS.join(" + "),
    );
    write_text(sheet, 1, 0, &definitions, Some(&styles.note))?;
    if summary.unreadable > 0 {
        write_text(sheet, 2, 0, &unreadable_note(summary), Some(&styles.note))?;
    }

    let mut row = 4;
    write_text(sheet, row, 0, "By tax period", Some(&styles.title))?;
    row += 1;
    write_headers(sheet, row, &PERIOD_HEADERS, styles)?;
    let first_period_row = row + 1;
    for (key, totals) in &summary.by_period {
        row += 1;
        write_text(sheet, row, 0, &period_label(key), None)?;
        if let Some(year) = key.0 {
            sheet.write_number(row, 1, year as f64)?;
        }
        if let Some(period) = key.1 {
            sheet.write_number(row, 2, period as f64)?;
        }
        write_totals(sheet, row, 3, totals, styles, false)?;
    }
    let last_period_row = row;
    row += 1;
    write_text(sheet, row, 0, "Total", Some(&styles.total_label))?;
    sheet.write_blank(row, 1, &styles.total_label)?;
    sheet.write_blank(row, 2, &styles.total_label)?;
    write_totals(sheet, row, 3, &summary.all, styles, true)?;
    if !summary.by_period.is_empty() {
        insert_net_pay_chart(sheet, first_period_row, last_period_row)?;
    }

    row += 2;
    write_text(sheet, row, 0, "By worker", Some(&styles.title))?;
    row += 1;
    write_headers(sheet, row, &WORKER_HEADERS, styles)?;
    for (id, worker) in &summary.by_worker {
        row += 1;
        let id = if id.0.is_empty() {
            "(no worker id)"
        } else {
            &id.0
        };
        write_text(sheet, row, 0, id, None)?;
        write_text(sheet, row, 1, &worker.name, None)?;
        write_totals(sheet, row, 2, &worker.totals, styles, false)?;
    }
    row += 1;
    write_text(sheet, row, 0, "Total", Some(&styles.total_label))?;
    sheet.write_blank(row, 1, &styles.total_label)?;
    write_totals(sheet, row, 2, &summary.all, styles, true)?;
    Ok(())
}

fn write_headers(
    sheet: &mut Worksheet,
    row: u32,
    headers: &[&str],
    styles: &Styles,
) -> Result<(), WriteError> {
    for (col, header) in (0u16..).zip(headers) {
        write_text(sheet, row, col, header, Some(&styles.header))?;
    }
    Ok(())
}

/// Payslips, gross, deductions, net, employer costs from column `col` on.
fn write_totals(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    totals: &Totals,
    styles: &Styles,
    is_total: bool,
) -> Result<(), WriteError> {
    let (count_format, money_format) = if is_total {
        (&styles.total_integer, &styles.total_money)
    } else {
        (&styles.text, &styles.money)
    };
    sheet.write_number_with_format(row, col, totals.payslips as f64, count_format)?;
    let amounts = [
        totals.gross,
        totals.deductions,
        totals.net,
        totals.employer_costs,
    ];
    for (offset, amount) in (1u16..).zip(amounts) {
        sheet.write_number_with_format(row, col + offset, money(amount), money_format)?;
    }
    Ok(())
}

/// Decimal → f64 only at the moment of writing the cell (display); rust_decimal's conversion
/// always succeeds for finite decimals.
fn money(amount: Decimal) -> f64 {
    amount.to_f64().unwrap_or_default()
}

fn insert_net_pay_chart(sheet: &mut Worksheet, first: u32, last: u32) -> Result<(), WriteError> {
    let mut chart = Chart::new(ChartType::Column);
    chart
        .add_series()
        .set_name("Net pay")
        .set_categories((SUMMARY_SHEET, first, 0, last, 0))
        .set_values((SUMMARY_SHEET, first, 6, last, 6));
    chart.title().set_name("Net pay by tax period");
    // From zero: an axis starting at the smallest total makes small differences look large.
    chart.y_axis().set_num_format(MONEY_FORMAT).set_min(0);
    chart.legend().set_hidden();
    chart.set_width(640).set_height(320);
    sheet.insert_chart(4, CHART_COL, &chart)?;
    Ok(())
}

/// "2025/26 P3": tax year 2025 is 2025/26.
pub fn period_label(key: &PeriodKey) -> String {
    let year = match key.0 {
        Some(year) => format!("{year}/{:02}", (year + 1).rem_euclid(100)),
        None => "no tax year".to_owned(),
    };
    match key.1 {
        Some(period) => format!("{year} P{period}"),
        None => format!("{year}, no period"),
    }
}

fn unreadable_note(summary: &Summary) -> String {
    let examples: Vec<String> = summary
        .unreadable_examples
        .iter()
        .map(|(id, field, value)| format!("{id} {field} = {value}"))
        .collect();
    format!(
        "Warning: {} money value(s) could not be read as amounts and are NOT in these totals \
         (e.g. {}). Check those payslips in Nxsys.",
        summary.unreadable,
        examples.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::period_label;

    #[test]
    fn period_labels_name_the_tax_year_like_hmrc() {
        assert_eq!(period_label(&(Some(2025), Some(3))), "2025/26 P3");
        assert_eq!(period_label(&(Some(2099), Some(12))), "2099/00 P12");
        assert_eq!(period_label(&(None, Some(1))), "no tax year P1");
        assert_eq!(period_label(&(Some(2024), None)), "2024/25, no period");
    }
}

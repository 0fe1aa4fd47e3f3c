//! The Changes sheet: every field an update changed or would change, old and new, its class,
//! what accepted it, and a Change ID with an empty Approve column — the sheet a person fills in
//! and gives back with `import --approvals` (read by [`crate::report::approvals`]).

use rust_xlsxwriter::{Color, Format, Worksheet, XlsxError};
use serde::Serialize;
use serde_json::Value;

use super::mask::{is_sensitive_field, mask_account};
use crate::journal::RecordRow;
use crate::journal::protect::is_protected;
use crate::model::{ChangeClass, Outcome};
use crate::plan::approval::{change_id, is_fraud_pattern};

/// The sheet's name, as the approvals reader looks for it.
pub const SHEET: &str = "Changes";
/// Headers the approvals reader needs, whatever else the sheet holds.
pub const CHANGE_ID: &str = "Change ID";
pub const APPROVE: &str = "Approve";

/// The Changes sheet's warning on each change of such a worker (the Summary sheet says why).
pub const FRAUD_FLAG: &str = "identity + bank change: check with the worker";

/// What the report says of a worker whose identity and bank details change together, and what
/// to do about it.
pub const FRAUD_WARNING: &str =
    "identity and bank details change together: the pattern of payroll mandate fraud";
pub const FRAUD_ADVICE: &str = "confirm with the worker through contact details you already held";

/// One changed field of one record.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeRow {
    pub seq: u32,
    pub entity: String,
    pub source: String,
    pub key: String,
    pub name: String,
    pub field: String,
    pub class: ChangeClass,
    pub old: String,
    pub new: String,
    /// The record's outcome: updated, would update, held…
    pub outcome: Outcome,
    /// What let the change through (`--accept bank`, `approvals.xlsx row 4`), empty if nothing
    /// had to.
    pub accepted: String,
    /// The record changes identity and bank details together.
    pub fraud_pattern: bool,
    /// Names this change in an approval file.
    pub change_id: String,
}

/// The change rows of one record (none unless the plan decided an update).
pub fn rows_of(
    record: &RecordRow,
    outcome: Outcome,
    source: &str,
    key: &str,
    name: &str,
    mask: bool,
) -> Vec<ChangeRow> {
    let fraud_pattern = is_fraud_pattern(&record.changed);
    record
        .changed
        .iter()
        .map(|change| {
            let show = |v: &Value| {
                let text = value_text(v);
                // A bank value the journal keeps is masked already.
                if mask && is_sensitive_field(&change.field) && !is_protected(v) {
                    mask_account(&text)
                } else {
                    text
                }
            };
            ChangeRow {
                seq: record.seq,
                entity: record.entity.name().to_string(),
                source: source.to_string(),
                key: key.to_string(),
                name: name.to_string(),
                field: change.field.clone(),
                class: change.class,
                old: show(&change.before),
                new: show(&change.after),
                outcome,
                accepted: change.accepted.clone().unwrap_or_default(),
                fraud_pattern,
                // Worked out from the clear values when the plan reviewed the change; the
                // journal keeps bank values masked (and a pruned run none), so a digest of what
                // it holds would not match the approval.
                change_id: change
                    .id
                    .clone()
                    .unwrap_or_else(|| change_id(record.entity, &record.natural_key, change)),
            }
        })
        .collect()
}

/// A value as the sheet shows it (`(empty)` for none; a bank value as the journal keeps it,
/// masked with the start of its keyed hash).
pub fn value_text(v: &Value) -> String {
    crate::journal::protect::shown(v)
}

const TITLES: [&str; 12] = [
    "Source",
    "Key",
    "Name",
    "Field",
    "Class",
    "Old",
    "New",
    "Outcome",
    "Accepted by",
    "Warning",
    CHANGE_ID,
    APPROVE,
];

/// Start the Changes sheet: its name, widths, header and print set-up.
pub fn header(sheet: &mut Worksheet, header: &Format) -> Result<(), XlsxError> {
    sheet.set_name(SHEET)?;
    for (col, width) in [28, 12, 20, 30, 9, 28, 28, 21, 20, 40, 22, 9]
        .into_iter()
        .enumerate()
    {
        sheet.set_column_width(col as u16, width)?;
    }
    for (col, title) in TITLES.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *title, header)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    // Printed for sign-off: landscape, one page wide, the header on every page.
    sheet.set_landscape();
    sheet.set_paper_size(9);
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(0, 0)?;
    Ok(())
}

/// The Approve column's cells: green and left unlocked for the person who approves.
pub fn approve_format() -> Format {
    Format::new()
        .set_background_color(Color::RGB(0xE2EFDA))
        .set_unlocked()
}

/// One changed field, at `row`.
pub fn write_row(
    sheet: &mut Worksheet,
    row: u32,
    c: &ChangeRow,
    approve: &Format,
    held: &Format,
) -> Result<(), XlsxError> {
    let texts = [
        c.source.as_str(),
        &c.key,
        &c.name,
        &c.field,
        c.class.as_str(),
        &c.old,
        &c.new,
    ];
    for (col, text) in texts.iter().enumerate() {
        sheet.write_string(row, col as u16, *text)?;
    }
    if c.outcome == Outcome::Held {
        sheet.write_string_with_format(row, 7, c.outcome.label(), held)?;
    } else {
        sheet.write_string(row, 7, c.outcome.label())?;
    }
    sheet.write_string(row, 8, &c.accepted)?;
    if c.fraud_pattern {
        sheet.write_string_with_format(row, 9, FRAUD_FLAG, held)?;
    }
    sheet.write_string(row, 10, &c.change_id)?;
    sheet.write_blank(row, 11, approve)?;
    Ok(())
}

/// The filter over every row written.
pub fn finish(sheet: &mut Worksheet, last_row: u32) -> Result<(), XlsxError> {
    if last_row > 0 {
        sheet.autofilter(0, 0, last_row, TITLES.len() as u16 - 1)?;
    }
    Ok(())
}

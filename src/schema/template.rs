//! Blank templates to fill in, generated from the column tables: an xlsx per entity (header row
//! bold and frozen, required headers shaded, one example row, drop-down lists for enum columns,
//! Text format on identifier columns so Excel keeps leading zeros, an Instructions sheet) and
//! the same headers as CSV.
//!
//! The example row is recognised and skipped (with a warning) if it is left in when the file
//! is read back, so it can never be imported as a real worker.

use std::path::{Path, PathBuf};

use rust_xlsxwriter::{
    Color, DataValidation, DocProperties, ExcelDateTime, Format, Formula, Workbook, XlsxError,
};

use super::columns::{Column, columns};
use crate::model::Entity;
use crate::rules::Enums;

/// Rows of the data sheet that get drop-down lists and Text format.
const DATA_ROWS: u32 = 5000;

/// A template that could not be written.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot write {}: {message}", file.display())]
    Write { file: PathBuf, message: String },
}

/// The sheet name of an entity's template (also what entity detection recognises).
pub fn sheet_name(entity: Entity) -> &'static str {
    match entity {
        Entity::Candidates => "Candidates",
        Entity::CandidatesIe => "Candidates IE",
        Entity::PaymentRates => "Payment Rates",
        Entity::Timesheets => "Timesheets",
    }
}

/// The row of example values, in column order.
pub fn example_row(entity: Entity) -> Vec<&'static str> {
    columns(entity).iter().map(|c| c.example).collect()
}

/// The cells (in the entity's column order; `""` for absent columns) are the template's
/// example row, left in by mistake.
pub fn is_example(entity: Entity, cells: &[&str]) -> bool {
    let cols = columns(entity);
    cells.len() == cols.len()
        && cols
            .iter()
            .zip(cells)
            .all(|(c, cell)| c.example.is_empty() || *cell == c.example)
}

/// Write `entity`'s template as CSV (header and example row).
pub fn write_csv(entity: Entity, out: &Path) -> Result<(), TemplateError> {
    let fail = |e: csv::Error| TemplateError::Write {
        file: out.to_path_buf(),
        message: e.to_string(),
    };
    let mut w = csv::Writer::from_path(out).map_err(fail)?;
    w.write_record(columns(entity).iter().map(|c| c.header))
        .map_err(fail)?;
    w.write_record(example_row(entity)).map_err(fail)?;
    w.flush().map_err(|e| fail(e.into()))
}

/// Write `entity`'s template as a workbook.
pub fn write_xlsx(entity: Entity, enums: &Enums, out: &Path) -> Result<(), TemplateError> {
    build_xlsx(entity, enums, out).map_err(|e| TemplateError::Write {
        file: out.to_path_buf(),
        message: e.to_string(),
    })
}

fn build_xlsx(entity: Entity, enums: &Enums, out: &Path) -> Result<(), XlsxError> {
    let cols = columns(entity);
    let mut book = Workbook::new();
    // A fixed creation date keeps regenerated templates byte-for-byte the same.
    book.set_properties(
        &DocProperties::new()
            .set_title(format!("nxsys-etl template: {}", entity.title()))
            .set_creation_datetime(&ExcelDateTime::from_ymd(2025, 4, 6)?),
    );
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xDDEBF7))
        .set_border_bottom(rust_xlsxwriter::FormatBorder::Thin);
    let required = header.clone().set_background_color(Color::RGB(0xFCE4D6));
    let example = Format::new().set_italic().set_font_color(Color::Gray);
    let example_text = example.clone().set_num_format("@");
    let text = Format::new().set_num_format("@");

    // Long value lists go to a hidden sheet (Excel limits inline lists to 255 characters).
    let mut lists: Vec<(&'static str, Vec<&str>)> = Vec::new();
    {
        let data = book.add_worksheet();
        data.set_name(sheet_name(entity))?;
        data.set_freeze_panes(1, 0)?;
        for (c, column) in cols.iter().enumerate() {
            let c16 = c as u16;
            let fmt = if column.required { &required } else { &header };
            data.write_string_with_format(0, c16, column.header, fmt)?;
            let width = column.header.len().max(column.example.len()) + 4;
            data.set_column_width(c16, width.clamp(10, 40) as f64)?;
            if column.text_format {
                data.set_column_format(c16, &text)?;
            }
            let fmt = if column.text_format {
                &example_text
            } else {
                &example
            };
            data.write_string_with_format(1, c16, column.example, fmt)?;
            if let Some(kind) = column.enum_kind() {
                let values = enums.values(kind);
                if values.is_empty() {
                    continue;
                }
                let inline: usize = values.iter().map(|v| v.len() + 1).sum();
                let validation = if inline < 250 {
                    DataValidation::new().allow_list_strings(&values)?
                } else {
                    let n = lists.len() as u16;
                    let col = rust_xlsxwriter::utility::column_number_to_name(n);
                    let formula = format!("=Lists!${col}$2:${col}${}", values.len() + 1);
                    lists.push((kind, values));
                    DataValidation::new().allow_list_formula(Formula::new(formula))
                };
                // Aliases are accepted too, so the list suggests rather than forbids.
                let validation = validation
                    .set_error_style(rust_xlsxwriter::DataValidationErrorStyle::Information)
                    .set_input_title(column.header)?
                    .set_input_message(format!("Pick from the list ({kind})."))?;
                data.add_data_validation(1, c16, DATA_ROWS, c16, &validation)?;
            }
        }
    }
    {
        let help = book.add_worksheet();
        help.set_name("Instructions")?;
        let bold = Format::new().set_bold();
        let wrap = Format::new()
            .set_text_wrap()
            .set_align(rust_xlsxwriter::FormatAlign::Top);
        let top_aligned = Format::new().set_align(rust_xlsxwriter::FormatAlign::Top);
        let lines = [
            format!("{} template for nxsys-etl", entity.title()),
            "One row per record. Keep the header row as it is; the order of columns does not matter.".into(),
            "Shaded orange headers are required. Delete the grey example row (it is skipped if left in).".into(),
            "Identifier columns are formatted as Text so Excel keeps leading zeros: keep them as Text.".into(),
            format!("Check the file with: nxsys-etl validate FILE   (entity: {})", entity.name()),
        ];
        // Each sentence spans A:F, so it neither wraps into a narrow column A nor runs over
        // cells of its own row.
        for (r, line) in lines.iter().enumerate() {
            let f = if r == 0 { &bold } else { &wrap };
            help.merge_range(r as u32, 0, r as u32, 5, line, f)?;
            if let Some(height) = crate::writing::wrapped_row_height([(line.as_str(), 200.0)]) {
                help.set_row_height(r as u32, height)?;
            }
        }
        let top = lines.len() as u32 + 1;
        let titles = [
            "Column",
            "Required",
            "How to fill it in",
            "Example",
            "Allowed values",
            "API field",
        ];
        for (c, t) in titles.iter().enumerate() {
            help.write_string_with_format(top, c as u16, *t, &bold)?;
        }
        for (i, column) in cols.iter().enumerate() {
            let r = top + 1 + i as u32;
            help.write_string_with_format(r, 0, column.header, &top_aligned)?;
            help.write_string_with_format(
                r,
                1,
                if column.required { "Yes" } else { "" },
                &top_aligned,
            )?;
            help.write_string_with_format(r, 2, describe(column), &wrap)?;
            help.write_string_with_format(r, 3, column.example, &wrap)?;
            let allowed = column
                .enum_kind()
                .map(|k| enums.values(k).join(", "))
                .unwrap_or_default();
            help.write_string_with_format(r, 4, &allowed, &wrap)?;
            help.write_string_with_format(r, 5, column.path, &wrap)?;
            if let Some(height) = crate::writing::wrapped_row_height([
                (describe(column).as_str(), 60.0),
                (column.example, 22.0),
                (allowed.as_str(), 50.0),
                (column.path, 45.0),
            ]) {
                help.set_row_height(r, height)?;
            }
        }
        for (c, w) in [26, 10, 60, 22, 50, 45].iter().enumerate() {
            help.set_column_width(c as u16, *w)?;
        }
        // Printed: landscape, one page wide, the column titles on every page.
        help.set_landscape();
        help.set_print_fit_to_pages(1, 0);
        help.set_repeat_rows(top, top)?;
    }
    if !lists.is_empty() {
        let sheet = book.add_worksheet();
        sheet.set_name("Lists")?;
        for (c, (kind, values)) in lists.iter().enumerate() {
            sheet.write_string(0, c as u16, *kind)?;
            for (r, v) in values.iter().enumerate() {
                sheet.write_string(r as u32 + 1, c as u16, *v)?;
            }
        }
        sheet.set_hidden(true);
    }
    book.save(out)
}

/// The "how to fill it in" text of a column.
fn describe(column: &Column) -> String {
    if !column.help.is_empty() {
        return column.help.to_string();
    }
    use crate::rules::Rule;
    match &column.rule {
        Rule::Date => "A date: 15/05/1990, 1990-05-15 or 15-May-1990".into(),
        Rule::Money => "An amount, e.g. 1250.00 (£ and thousands commas are fine)".into(),
        Rule::Decimal { .. } => "A number, e.g. 37.5".into(),
        Rule::Integer { .. } => "A whole number".into(),
        Rule::Bool => "Yes or No".into(),
        Rule::Email => "An email address".into(),
        Rule::Phone => "A phone number; format the column as Text".into(),
        Rule::Country => "ISO code (GB, IE) or the country's name".into(),
        Rule::UkPostcode => "A UK postcode, e.g. SW1A 1AA".into(),
        Rule::Eircode => "An Eircode, e.g. D02 X285".into(),
        Rule::Iban => "An IBAN, spaces allowed".into(),
        Rule::Bic => "A SWIFT/BIC code, 8 or 11 characters".into(),
        Rule::Enum(_) => "One of the allowed values (common spellings are accepted)".into(),
        Rule::ApiId(prefix) => format!("A Nxsys id, {prefix}…"),
        Rule::Text { max_len } => format!("Text, at most {max_len} characters"),
        _ => String::new(),
    }
}

/// The file name of an entity's template: `candidates.xlsx`, `payment-rates.csv`…
pub fn file_name(entity: Entity, extension: &str) -> String {
    format!("{}.{extension}", entity.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_row_is_recognised() {
        for entity in Entity::ALL {
            let row = example_row(entity);
            assert!(is_example(entity, &row), "{entity}");
            let mut changed = row.clone();
            if let Some(first) = changed.iter_mut().find(|c| !c.is_empty()) {
                *first = "something else";
            }
            assert!(!is_example(entity, &changed), "{entity}");
        }
    }
}

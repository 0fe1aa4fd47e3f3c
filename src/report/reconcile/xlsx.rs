//! The reconciliation workbook: Summary (with a chart), a sheet per entity, Control totals.
//! Every text cell is written as a string, never as a formula.

use std::error::Error;
use std::path::Path;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{
    Chart, ChartType, Color, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError,
};

use super::changes;
use super::model::{ControlTally, ControlTotal, ReportRow, RunReport};
use crate::model::Outcome;
use crate::writing::wrapped_row_height;

struct Styles {
    header: Format,
    bad: Format,
    warn: Format,
    money: Format,
    money_bad: Format,
    money_bold: Format,
    number_bad: Format,
    bold: Format,
    /// Labels beside a value that may run over several lines.
    label: Format,
    /// Text that may hold line breaks: wrapped, top-aligned.
    wrap: Format,
}

impl Styles {
    fn new() -> Styles {
        let red = Color::RGB(0xFFC7CE);
        Styles {
            header: Format::new()
                .set_bold()
                .set_background_color(Color::RGB(0xDDEBF7))
                .set_border_bottom(FormatBorder::Thin),
            bad: Format::new().set_background_color(red),
            warn: Format::new().set_background_color(Color::RGB(0xFFEB9C)),
            money: Format::new().set_num_format("#,##0.00##"),
            money_bad: Format::new()
                .set_num_format("#,##0.00##")
                .set_background_color(red),
            money_bold: Format::new().set_num_format("#,##0.00##").set_bold(),
            number_bad: Format::new().set_background_color(red),
            bold: Format::new().set_bold(),
            label: Format::new().set_bold().set_align(FormatAlign::Top),
            wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
        }
    }
}

/// Sheet title of an entity.
pub fn sheet_title(entity: &str) -> String {
    match entity {
        "candidates" => "Candidates".into(),
        "candidates-ie" => "Candidates IE".into(),
        "payment-rates" => "Payment rates".into(),
        "timesheets" => "Timesheets".into(),
        other => other.chars().take(31).collect(),
    }
}

/// Write the workbook. The Summary comes from the report's tally; every other sheet is written
/// in constant memory (rows go to a temporary file as they come) from one pass over the records.
pub fn write(path: &Path, report: &RunReport, exit_status: &str) -> Result<(), Box<dyn Error>> {
    let styles = Styles::new();
    let mut workbook = Workbook::new();
    // The sheets' rows wait in temporary files beside the report (a folder known to be
    // writable), not in the system's temporary folder.
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    workbook.set_tempdir(dir)?;
    summary_sheet(workbook.add_worksheet(), report, exit_status, &styles)?;
    let entities = report.entities();
    for entity in &entities {
        entity_header(
            workbook.add_worksheet_with_constant_memory()?,
            entity,
            &styles,
        )?;
    }
    let changes_at = (report.tally.changes > 0).then(|| entities.len() + 1);
    if changes_at.is_some() {
        changes::header(
            workbook.add_worksheet_with_constant_memory()?,
            &styles.header,
        )?;
    }
    let control_at = entities.len() + 1 + usize::from(changes_at.is_some());
    control_header(workbook.add_worksheet_with_constant_memory()?, &styles)?;

    let approve = changes::approve_format();
    // The next row of each sheet after the Summary.
    let mut next = vec![1u32; control_at + 1];
    report.each(|entry| -> Result<(), Box<dyn Error>> {
        if let Some(i) = entities.iter().position(|e| *e == entry.row.entity) {
            let sheet = workbook.worksheet_from_index(i + 1)?;
            entity_row(sheet, next[i + 1], &entry.row, &styles)?;
            next[i + 1] += 1;
        }
        if let Some(at) = changes_at {
            for change in &entry.changes {
                let sheet = workbook.worksheet_from_index(at)?;
                changes::write_row(sheet, next[at], change, &approve, &styles.warn)?;
                next[at] += 1;
            }
        }
        if let Some(control) = &entry.control {
            let sheet = workbook.worksheet_from_index(control_at)?;
            control_row(sheet, next[control_at], control, &styles)?;
            next[control_at] += 1;
        }
        Ok(())
    })?;
    for (i, rows) in next.iter().enumerate().take(entities.len() + 1).skip(1) {
        entity_finish(workbook.worksheet_from_index(i)?, rows - 1)?;
    }
    if let Some(at) = changes_at {
        changes::finish(workbook.worksheet_from_index(at)?, next[at] - 1)?;
    }
    control_finish(
        workbook.worksheet_from_index(control_at)?,
        &report.tally.control,
        &styles,
    )?;
    workbook.save(path)?;
    Ok(())
}

fn header(sheet: &mut Worksheet, titles: &[&str], styles: &Styles) -> Result<(), XlsxError> {
    for (col, title) in titles.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *title, &styles.header)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

fn dry_run_text(report: &RunReport) -> String {
    match (report.dry_run, report.offline) {
        (true, true) => format!("yes — {}", super::OFFLINE_NOTE),
        (true, false) => "yes".into(),
        _ => "no".into(),
    }
}

fn summary_sheet(
    sheet: &mut Worksheet,
    report: &RunReport,
    exit_status: &str,
    styles: &Styles,
) -> Result<(), XlsxError> {
    sheet.set_name("Summary")?;
    let run = &report.run;
    let files: Vec<String> = run.files.iter().map(|f| f.display().to_string()).collect();
    let mut facts: Vec<(&str, String)> = vec![
        ("Run", run.id.clone()),
        ("Status", run.status.as_str().to_string()),
        ("Exit status", exit_status.to_string()),
        ("Started (UTC)", run.started.clone()),
        ("Finished (UTC)", run.finished.clone().unwrap_or_default()),
        ("Files", files.join("\n")),
        ("Batch fingerprint (sha256)", run.fingerprint.clone()),
        ("API", run.base_url.clone()),
        ("Dry run", dry_run_text(report)),
        (
            "Identifiers masked",
            if report.mask_pii { "yes" } else { "no" }.into(),
        ),
    ];
    if report.tally.server_duplicates > 0 {
        facts.push((
            "DUPLICATES ON THE SERVER",
            format!(
                "{} records are held twice by Nxsys (another import sent the same at the same \
                 time); their messages name the extra records — remove them before payroll runs",
                report.tally.server_duplicates
            ),
        ));
    }
    let flagged = report.fraud_patterns();
    if flagged > 0 {
        let workers = if flagged == 1 { "record" } else { "records" };
        facts.push((
            "Warning",
            // Two lines, so the row is made tall enough for both.
            format!(
                "{flagged} {workers}: {}.\nBefore accepting, {} (Changes sheet).",
                super::changes::FRAUD_WARNING,
                super::changes::FRAUD_ADVICE
            ),
        ));
    }
    // Values span B:F so long ones (paths, the fingerprint) stay readable; one line per file.
    let value_format = Format::new()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_align(FormatAlign::Left);
    for (row, (label, value)) in facts.iter().enumerate() {
        let row = row as u32;
        sheet.write_string_with_format(row, 0, *label, &styles.label)?;
        sheet.merge_range(row, 1, row, 5, value, &value_format)?;
        let lines = value.lines().count().max(1);
        if lines > 1 {
            sheet.set_row_height(row, 15.0 * lines as f64)?;
        }
    }
    // Counts per entity and outcome.
    let top = facts.len() as u32 + 1;
    let outcomes: Vec<Outcome> = Outcome::ALL
        .into_iter()
        .filter(|o| report.counts(None).get(*o) > 0)
        .collect();
    sheet.write_string_with_format(top, 0, "Entity", &styles.header)?;
    for (i, o) in outcomes.iter().enumerate() {
        sheet.write_string_with_format(top, i as u16 + 1, o.label(), &styles.header)?;
    }
    let total_col = outcomes.len() as u16 + 1;
    sheet.write_string_with_format(top, total_col, "total", &styles.header)?;
    let entities = report.entities();
    for (r, entity) in entities.iter().enumerate() {
        let row = top + 1 + r as u32;
        let counts = report.counts(Some(entity));
        sheet.write_string(row, 0, sheet_title(entity))?;
        for (i, o) in outcomes.iter().enumerate() {
            sheet.write_number(row, i as u16 + 1, counts.get(*o) as f64)?;
        }
        sheet.write_number(row, total_col, counts.0.values().sum::<usize>() as f64)?;
    }
    let total_row = top + 1 + entities.len() as u32;
    let all = report.counts(None);
    sheet.write_string_with_format(total_row, 0, "All", &styles.bold)?;
    for (i, o) in outcomes.iter().enumerate() {
        sheet.write_number_with_format(
            total_row,
            i as u16 + 1,
            all.get(*o) as f64,
            &styles.bold,
        )?;
    }
    sheet.write_number_with_format(total_row, total_col, report.tally.rows as f64, &styles.bold)?;

    let chart_row = money_totals(sheet, total_row + 2, &report.tally.control, styles)?;
    if !outcomes.is_empty() {
        let mut chart = Chart::new(ChartType::Column);
        chart.title().set_name("Records by outcome");
        chart
            .add_series()
            .set_name("records")
            .set_categories(("Summary", top, 1, top, outcomes.len() as u16))
            .set_values(("Summary", total_row, 1, total_row, outcomes.len() as u16));
        chart.legend().set_hidden();
        chart.y_axis().set_min(0);
        sheet.insert_chart(chart_row + 1, 0, &chart)?;
    }
    sheet.set_column_width(0, 26)?;
    // One column per outcome (and the total): each as wide as its longest label, so headers
    // such as "unchanged" and "invalid" never run into each other.
    for col in 1..=total_col.max(5) {
        let label = outcomes
            .get(usize::from(col) - 1)
            .map_or("total", |o| o.label());
        let width = (label.chars().count() + 3).max(14);
        sheet.set_column_width(col, width as f64)?;
    }
    sheet.set_landscape();
    sheet.set_print_fit_to_pages(1, 0);
    Ok(())
}

/// The control totals in money on the Summary sheet: what the timesheets asked for, what the
/// API acknowledged and what it holds on reading back. Returns the row after the block.
fn money_totals(
    sheet: &mut Worksheet,
    top: u32,
    control: &ControlTally,
    styles: &Styles,
) -> Result<u32, XlsxError> {
    if control.timesheets == 0 {
        return Ok(top);
    }
    let titles = ["Timesheet totals", "Lines", "Units", "Net"];
    for (col, title) in titles.iter().enumerate() {
        sheet.write_string_with_format(top, col as u16, *title, &styles.header)?;
    }
    let labels = ["Input", "Acknowledged by the API", "Read back from the API"];
    for (k, (label, t)) in labels.iter().zip(&control.sums).enumerate() {
        let row = top + 1 + k as u32;
        sheet.write_string_with_format(row, 0, *label, &styles.bold)?;
        // Tied by the net only: no lines or units were read back to add up.
        if !(k == 2 && control.net_only) {
            sheet.write_number(row, 1, f64::from(t.lines))?;
            sheet.write_number(row, 2, money(t.units))?;
        }
        sheet.write_number_with_format(row, 3, money(t.net), &styles.money_bold)?;
    }
    let row = top + 1 + labels.len() as u32;
    sheet.write_string_with_format(row, 0, "Balanced timesheets", &styles.bold)?;
    sheet.write_string(
        row,
        1,
        format!("{} of {}", control.balanced, control.timesheets),
    )?;
    Ok(row + 1)
}

/// Widths of the wrapped Message and Changes columns of an entity sheet, in characters.
const MESSAGE_WIDTH: f64 = 60.0;
const CHANGES_WIDTH: f64 = 50.0;

const ENTITY_TITLES: [&str; 10] = [
    "Source",
    "Key",
    "Name",
    "NI / PPS",
    "Outcome",
    "API id",
    "HTTP status",
    "Message",
    "Changes",
    "Attempts",
];

fn entity_header(sheet: &mut Worksheet, entity: &str, styles: &Styles) -> Result<(), XlsxError> {
    sheet.set_name(sheet_title(entity))?;
    // Never narrower than the (bold) header, so no header is cut. Widths are set before the
    // rows: the sheet is written in constant memory.
    for (col, (width, title)) in [
        36,
        16,
        24,
        14,
        13,
        11,
        8,
        MESSAGE_WIDTH as usize,
        CHANGES_WIDTH as usize,
        8,
    ]
    .into_iter()
    .zip(ENTITY_TITLES)
    .enumerate()
    {
        let width = width.max(title.chars().count() + 3);
        sheet.set_column_width(col as u16, width as f64)?;
    }
    header(sheet, &ENTITY_TITLES, styles)
}

fn entity_row(
    sheet: &mut Worksheet,
    row: u32,
    r: &ReportRow,
    styles: &Styles,
) -> Result<(), XlsxError> {
    let style = match r.outcome {
        Outcome::Rejected | Outcome::ServerError | Outcome::Invalid | Outcome::Pending => {
            Some(&styles.bad)
        }
        Outcome::Blocked | Outcome::Held => Some(&styles.warn),
        _ => None,
    };
    // The height first: a row is written out once the next one starts.
    if let Some(height) = wrapped_row_height([
        (r.message.as_str(), MESSAGE_WIDTH),
        (r.changes.as_str(), CHANGES_WIDTH),
    ]) {
        sheet.set_row_height(row, height)?;
    }
    let texts = [&r.source, &r.key, &r.name, &r.identifier];
    for (col, text) in texts.iter().enumerate() {
        sheet.write_string(row, col as u16, *text)?;
    }
    match style {
        Some(s) => sheet.write_string_with_format(row, 4, r.outcome.label(), s)?,
        None => sheet.write_string(row, 4, r.outcome.label())?,
    };
    sheet.write_string(row, 5, &r.api_id)?;
    if let Some(status) = r.http_status {
        sheet.write_number(row, 6, f64::from(status))?;
    }
    // Messages hold line breaks (one finding a line): wrapped, so they never run over the
    // next cells.
    sheet.write_string_with_format(row, 7, &r.message, &styles.wrap)?;
    sheet.write_string_with_format(row, 8, &r.changes, &styles.wrap)?;
    sheet.write_number(row, 9, f64::from(r.attempts))?;
    Ok(())
}

fn entity_finish(sheet: &mut Worksheet, last_row: u32) -> Result<(), XlsxError> {
    if last_row > 0 {
        sheet.autofilter(0, 0, last_row, ENTITY_TITLES.len() as u16 - 1)?;
    }
    sheet.set_landscape();
    sheet.set_repeat_rows(0, 0)?;
    Ok(())
}

fn money(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(f64::NAN)
}

const CONTROL_TITLES: [&str; 15] = [
    "Worker",
    "Worker id",
    "Tax year",
    "Period",
    "Outcome",
    "Lines (input)",
    "Units (input)",
    "Net (input)",
    "Lines (acknowledged)",
    "Units (acknowledged)",
    "Net (acknowledged)",
    "Lines (read back)",
    "Units (read back)",
    "Net (read back)",
    "Balanced",
];

fn control_header(sheet: &mut Worksheet, styles: &Styles) -> Result<(), XlsxError> {
    sheet.set_name("Control totals")?;
    header(sheet, &CONTROL_TITLES, styles)
}

fn control_row(
    sheet: &mut Worksheet,
    row: u32,
    c: &ControlTotal,
    styles: &Styles,
) -> Result<(), XlsxError> {
    sheet.write_string(row, 0, &c.worker)?;
    sheet.write_string(row, 1, &c.worker_id)?;
    if let Some(y) = c.tax_year {
        sheet.write_number(row, 2, f64::from(y))?;
    }
    if let Some(p) = c.tax_period {
        sheet.write_number(row, 3, f64::from(p))?;
    }
    sheet.write_string(row, 4, c.outcome.label())?;
    for (k, totals) in [Some(c.input), c.acknowledged, c.read_back]
        .iter()
        .enumerate()
    {
        let col = 5 + 3 * k as u16;
        let Some(t) = totals else { continue };
        let differs = *t != c.input;
        let (num, mon) = if differs {
            (Some(&styles.number_bad), &styles.money_bad)
        } else {
            (None, &styles.money)
        };
        match num {
            Some(f) => {
                sheet.write_number_with_format(row, col, f64::from(t.lines), f)?;
                sheet.write_number_with_format(row, col + 1, money(t.units), f)?;
            }
            None => {
                sheet.write_number(row, col, f64::from(t.lines))?;
                sheet.write_number(row, col + 1, money(t.units))?;
            }
        }
        sheet.write_number_with_format(row, col + 2, money(t.net), mon)?;
    }
    if c.read_back.is_none()
        && let Some(net) = c.read_back_net
    {
        let format = if net == c.input.net {
            &styles.money
        } else {
            &styles.money_bad
        };
        sheet.write_number_with_format(row, 13, money(net), format)?;
    }
    if c.balanced {
        sheet.write_string(row, 14, c.balanced_text())?;
    } else {
        sheet.write_string_with_format(row, 14, "NO", &styles.bad)?;
    }
    Ok(())
}

/// The total row, the net-only note, the filter and the widths, once every row is written.
fn control_finish(
    sheet: &mut Worksheet,
    control: &ControlTally,
    styles: &Styles,
) -> Result<(), XlsxError> {
    let total_row = control.timesheets as u32 + 1;
    sheet.write_string_with_format(total_row, 0, "Total", &styles.bold)?;
    for (k, t) in control.sums.iter().enumerate() {
        let col = 5 + 3 * k as u16;
        if !(k == 2 && control.net_only) {
            sheet.write_number_with_format(total_row, col, f64::from(t.lines), &styles.bold)?;
            sheet.write_number_with_format(total_row, col + 1, money(t.units), &styles.bold)?;
        }
        sheet.write_number_with_format(total_row, col + 2, money(t.net), &styles.money_bold)?;
    }
    sheet.write_string_with_format(
        total_row,
        14,
        format!("{} of {}", control.balanced, control.timesheets),
        &styles.bold,
    )?;
    if control.net_only {
        sheet.write_string(total_row + 2, 0, super::model::NET_ONLY_NOTE)?;
    }
    if control.timesheets > 0 {
        sheet.autofilter(
            0,
            0,
            control.timesheets as u32,
            CONTROL_TITLES.len() as u16 - 1,
        )?;
    }
    // Every column as wide as its header (bold) or its widest value, whichever is wider: no
    // cut header, no `###` for a grand total.
    let widest_net = control
        .sums
        .iter()
        // Digits, two decimals, a thousands comma per three digits, a sign, and a margin.
        .map(|t| {
            let digits = t.net.abs().trunc().to_string().len();
            digits + 3 + digits / 3 + 1 + 2
        })
        .max()
        .unwrap_or(0);
    for (col, title) in CONTROL_TITLES.iter().enumerate() {
        let mut width = title.chars().count() + 4;
        if col == 0 {
            width = width.max(control.widest_worker + 2);
        }
        if (5..14).contains(&col) {
            width = width.max(widest_net);
        }
        sheet.set_column_width(col as u16, width as f64)?;
    }
    sheet.set_landscape();
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(0, 0)?;
    Ok(())
}

//! Cell formats shared by the sheets of an export workbook.

use rust_xlsxwriter::{Color, Format, FormatBorder};

/// UK currency with pence; negative amounts in red with a minus sign.
pub const MONEY_FORMAT: &str = "£#,##0.00;[Red]-£#,##0.00";
/// Dates as UK payroll staff read them.
pub const DATE_FORMAT: &str = "dd/mm/yyyy";
/// Timestamps (UTC).
pub const DATETIME_FORMAT: &str = "dd/mm/yyyy hh:mm:ss";

/// The formats of one workbook.
pub struct Styles {
    pub header: Format,
    pub title: Format,
    pub note: Format,
    pub money: Format,
    pub date: Format,
    pub datetime: Format,
    pub text: Format,
    pub total_label: Format,
    pub total_money: Format,
    pub total_integer: Format,
}

impl Styles {
    pub fn new() -> Self {
        let header = Format::new()
            .set_bold()
            .set_text_wrap()
            .set_background_color(Color::RGB(0xDDEBF7))
            .set_border_bottom(FormatBorder::Thin);
        let total = Format::new()
            .set_bold()
            .set_border_top(FormatBorder::Double);
        Styles {
            header,
            title: Format::new().set_bold().set_font_size(14),
            note: Format::new()
                .set_italic()
                .set_font_color(Color::RGB(0x595959)),
            money: Format::new().set_num_format(MONEY_FORMAT),
            date: Format::new().set_num_format(DATE_FORMAT),
            datetime: Format::new().set_num_format(DATETIME_FORMAT),
            text: Format::new(),
            total_label: total.clone(),
            total_money: total.clone().set_num_format(MONEY_FORMAT),
            total_integer: total.set_num_format("0"),
        }
    }
}

impl Default for Styles {
    fn default() -> Self {
        Self::new()
    }
}

//! Typed models of the Nxsys API's requests and answers. Answers are read tolerantly: unknown
//! fields are kept in each model's `extra` map, money and quantities accept numbers or decimal
//! strings, references accept `"SR-1"` or `{"id": "SR-1"}`.

mod candidate;
pub mod lenient;
mod payment_rate;
mod payslip;
mod timesheet;
mod vat;

pub use candidate::{
    BankSetting, Candidate, CandidateBody, CandidateFilter, GeneralSetting, PayrollSetting,
    PensionSetting,
};
pub use payment_rate::{PaymentRate, PaymentRateBody, PaymentRateFilter};
pub use payslip::{Payslip, PayslipFilter};
pub use timesheet::{
    Timesheet, TimesheetCreate, TimesheetEdit, TimesheetFilter, TimesheetLine, TimesheetRateLine,
};
pub use vat::VatCode;

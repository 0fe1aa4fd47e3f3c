//! Export: payslips fetched page by page under the shared limiter, written to a formatted
//! workbook or to CSV, whole or split per worker or per tax period.
//!
//! The fetch streams payslips into a spool file on disk while it learns the columns (every
//! field any payslip carries) and the groups to split by; the writers then stream the spool into
//! the output, so memory stays flat however many payslips there are.

pub mod cell;
pub mod collect;
pub mod columns;
pub mod csv;
pub mod destination;
mod error;
pub mod filter;
pub mod payslip_source;
pub mod payslips;
pub mod request;
pub mod resolve;
pub mod run;
pub mod split;
pub mod spool;
pub mod summary;
pub mod workers_file;
pub mod xlsx;

use thiserror::Error;

pub use error::ExportError;
pub use payslips::export;
pub use request::{ExportRequest, ExportSummary};
pub use split::SplitBy;

/// Why writing an export file failed.
#[derive(Debug, Error)]
pub enum WriteError {
    #[error("could not write the workbook: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("could not write the CSV: {0}")]
    Csv(#[from] ::csv::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(
        "more than {0} payslips do not fit one Excel sheet; export to CSV, narrow the filters \
         or use --split-by"
    )]
    TooManyRows(u32),
    #[error("{0} columns do not fit one Excel sheet")]
    TooManyColumns(usize),
}

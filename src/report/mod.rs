//! Reports: the reconciliation workbook (and CSV/JSON), validation reports and fix files.

//! Reports: validation findings and fix files (`findings`, `fixfile`) and the reconciliation
//! report of an import run (`reconcile`), and approval files read back from its Changes sheet
//! (`approvals`).

pub mod approvals;
pub mod findings;
pub mod fixfile;
pub mod reconcile;

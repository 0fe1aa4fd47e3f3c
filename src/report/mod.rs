//! Reports: validation findings and fix files (`findings`, `fixfile`) and the reconciliation
//! report of an import run (`reconcile`).

pub mod findings;
pub mod fixfile;
pub mod reconcile;

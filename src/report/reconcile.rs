//! The reconciliation report of an import run: summary, a sheet per entity, control totals; also CSV and JSON.

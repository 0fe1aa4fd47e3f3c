//! The list of findings of a validation, as xlsx or CSV.

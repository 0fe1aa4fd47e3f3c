//! Schema stage: per entity, the ordered table of columns (header, aliases, JSON path, rule);
//! header matching, mapping files, entity detection, and mapping rows to API payloads.
//!
//! Entry points: [`load_batch`] (all records in memory, for `import`) and [`validate_files`]
//! (records streamed to a callback, for `validate`, so memory does not grow with the rows).

pub mod build;
pub mod columns;
mod conventions;
pub mod detect;
mod group;
pub mod headers;
mod load;
pub mod mapping;

pub mod template;
pub mod timesheet;

pub use load::{
    Batch, Counts, ReadOptions, SourceSummary, ValidationSummary, load_batch, validate_files,
};
pub use mapping::{Mapping, MappingError};

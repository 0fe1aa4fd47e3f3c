//! Schema stage: per entity, the ordered table of columns (header, aliases, JSON path, rule);
//! header matching, mapping files, entity detection, and mapping rows to API payloads.

pub mod record;

pub use record::{Body, CellFinding, Entity, Provenance, Record};

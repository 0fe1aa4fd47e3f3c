//! What the schema stage hands to the plan stage: records with their provenance and findings.
//! `schema` produces them; `rules` (batch rules), `plan`, `submit` and `report` read them.

use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{CellFinding, PackedTimesheet, Totals};

/// The kinds of record the tool imports, in dependency order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Entity {
    Candidates,
    CandidatesIe,
    PaymentRates,
    Timesheets,
}

impl Entity {
    pub const ALL: [Entity; 4] = [
        Entity::Candidates,
        Entity::CandidatesIe,
        Entity::PaymentRates,
        Entity::Timesheets,
    ];

    /// The name users see (sheet names, CLI values, report sheets).
    pub fn name(self) -> &'static str {
        match self {
            Entity::Candidates => "candidates",
            Entity::CandidatesIe => "candidates-ie",
            Entity::PaymentRates => "payment-rates",
            Entity::Timesheets => "timesheets",
        }
    }

    /// The entity a CLI value or mapping file names (`candidates-ie`, `payment-rates`…).
    pub fn from_name(name: &str) -> Option<Entity> {
        Entity::ALL.into_iter().find(|e| e.name() == name.trim())
    }

    /// A title for people: "Candidates (UK)", "Payment rates".
    pub fn title(self) -> &'static str {
        match self {
            Entity::Candidates => "Candidates (UK)",
            Entity::CandidatesIe => "Candidates (Ireland)",
            Entity::PaymentRates => "Payment rates",
            Entity::Timesheets => "Timesheets",
        }
    }
}

impl std::fmt::Display for Entity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a row came from, as the user sees it. The file and sheet are shared by every row of
/// the sheet (a clone is a reference count, not a copy); they serialize as plain strings.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Provenance {
    #[serde(with = "shared::path")]
    pub file: Arc<Path>,
    /// Sheet name for workbooks; `None` for CSV.
    #[serde(with = "shared::opt_str")]
    pub sheet: Option<Arc<str>>,
    /// 1-based row number as shown by Excel (the header is usually row 1).
    pub row: u32,
}

/// Serde for the shared file and sheet of [`Provenance`]: the same JSON as `PathBuf` and
/// `Option<String>` (serde's `rc` feature would do it too, at the cost of rebuilding every crate
/// that uses serde).
pub(crate) mod shared {
    pub mod path {
        use std::path::{Path, PathBuf};
        use std::sync::Arc;

        use serde::{Deserialize, Deserializer, Serialize, Serializer};

        pub fn serialize<S: Serializer>(path: &Arc<Path>, s: S) -> Result<S::Ok, S::Error> {
            Path::serialize(path, s)
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<Path>, D::Error> {
            PathBuf::deserialize(d).map(Arc::from)
        }
    }

    pub mod opt_str {
        use std::sync::Arc;

        use serde::{Deserialize, Deserializer, Serialize, Serializer};

        pub fn serialize<S: Serializer>(text: &Option<Arc<str>>, s: S) -> Result<S::Ok, S::Error> {
            text.as_deref().serialize(s)
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Arc<str>>, D::Error> {
            Option::<String>::deserialize(d).map(|o| o.map(Arc::from))
        }
    }
}

/// A worker as a timesheet line names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum WorkerRef {
    /// The agency's own reference (resolved to `SR-…` by the plan stage).
    AgencyRef(String),
    /// An API id, `SR-…`.
    Id(String),
}

/// A pay code as a timesheet line names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum PayRef {
    /// Pay code, e.g. `PR100` (resolved to `PR-…`).
    Code(String),
    /// An API id, `PR-…`.
    Id(String),
}

/// A VAT code as a spreadsheet names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum VatRef {
    /// HMRC-style letter, e.g. `S` (resolved to `VC-…` from `/vat-code`).
    Letter(String),
    /// An API id, `VC-…`.
    Id(String),
}

/// One timesheet line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineDraft {
    pub provenance: Provenance,
    pub pay: PayRef,
    pub rate: Decimal,
    pub units: Decimal,
    pub vat: Option<VatRef>,
}

/// Timesheet lines with the same worker and period, before keys are resolved to API ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimesheetDraft {
    pub worker: WorkerRef,
    pub assignment_ref: Option<String>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub tax_year: i32,
    pub tax_period: u32,
    pub month: Option<u32>,
    pub lines: Vec<LineDraft>,
}

impl TimesheetDraft {
    /// Lines, units and net value of the timesheet as the sheet gives it: its input totals.
    pub fn totals(&self) -> Totals {
        Totals::of_lines(self.lines.iter().map(|l| (l.rate, l.units)))
    }

    /// Σ rate × units, exact.
    pub fn net(&self) -> Decimal {
        self.totals().net
    }
}

/// What is sent, once keys are resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Body {
    /// A `CreateCandidateDTO` / `CreateIrelandCandidateDTO` built from the column JSON paths.
    Candidate(JsonBody),
    /// A `PaymentRateCreateDto`; `defaultVATCode` may still hold a letter (see [`VatRef`]) that
    /// the plan stage resolves.
    PaymentRate(JsonBody),
    /// Read with [`Record::timesheet`], which puts each line back at its row.
    Timesheet(PackedTimesheet),
}

/// A JSON body kept as compact text for the length of a run and read where it is used. As a
/// `serde_json::Value` a worker's body (a map per nested object) takes about 4 KiB; as text
/// under 1 KiB, which is what keeps an import of 20,000 workers small.
#[derive(Clone, PartialEq, Eq)]
pub struct JsonBody(Box<str>);

impl JsonBody {
    pub fn new(value: &serde_json::Value) -> JsonBody {
        JsonBody(value.to_string().into_boxed_str())
    }

    /// The body as a JSON value.
    pub fn value(&self) -> serde_json::Value {
        // The text is serde_json's own rendering of a value, which it always reads back.
        serde_json::from_str(&self.0).unwrap_or(serde_json::Value::Null)
    }
}

impl From<serde_json::Value> for JsonBody {
    fn from(value: serde_json::Value) -> JsonBody {
        JsonBody::new(&value)
    }
}

impl std::fmt::Debug for JsonBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.value().fmt(f)
    }
}

impl Serialize for JsonBody {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value().serialize(serializer)
    }
}

/// One record to import: a candidate, a payment rate or a whole timesheet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    pub entity: Entity,
    /// Every source row that makes up the record (several for a timesheet).
    pub provenance: Vec<Provenance>,
    /// Natural key: Agency Ref for candidates, pay code for payment rates,
    /// `worker|tax year|period` for timesheets.
    pub key: String,
    pub body: Body,
    /// Findings on the record's cells and rows; any error blocks the record.
    pub findings: Vec<CellFinding>,
}

impl Record {
    pub fn is_valid(&self) -> bool {
        !self.findings.iter().any(CellFinding::is_error)
    }

    /// A timesheet record of `draft`: its provenance is its lines' rows, line for line.
    pub fn of_timesheet(key: String, draft: TimesheetDraft, findings: Vec<CellFinding>) -> Record {
        Record {
            entity: Entity::Timesheets,
            provenance: draft.lines.iter().map(|l| l.provenance.clone()).collect(),
            key,
            body: Body::Timesheet(PackedTimesheet::pack(draft)),
            findings,
        }
    }

    /// A timesheet record of a draft packed already: `provenance` is its lines' rows, line for
    /// line (as [`PackedTimesheet::unpack`] takes them).
    pub fn of_packed(
        key: String,
        packed: PackedTimesheet,
        provenance: Vec<Provenance>,
        findings: Vec<CellFinding>,
    ) -> Record {
        Record {
            entity: Entity::Timesheets,
            provenance,
            key,
            body: Body::Timesheet(packed),
            findings,
        }
    }

    /// A timesheet record: its lines at the rows they came from (`None` for other records).
    pub fn timesheet(&self) -> Option<TimesheetDraft> {
        match &self.body {
            Body::Timesheet(packed) => packed.unpack(&self.provenance),
            _ => None,
        }
    }
}

//! The first pass of an export: each fetched payslip is checked against the filter, spooled to
//! disk, and noted for the columns and (with `--split-by`) its group.

use std::io;

use serde_json::{Map, Value};

use super::columns::{Column, ColumnSet};
use super::filter::LocalFilter;
use super::split::{Group, Groups, SplitBy};
use super::spool::{Spool, SpoolReader};

/// Collects fetched payslips.
pub struct Collector {
    spool: Spool,
    columns: ColumnSet,
    groups: Option<Groups>,
    outside_filter: u64,
    unproven_worker: u64,
    before_since: u64,
}

/// Everything the writers need, after the fetch.
pub struct Collected {
    pub reader: SpoolReader,
    pub columns: Vec<Column>,
    /// The files of a split export, in order; `None` for one file.
    pub groups: Option<Vec<Group>>,
    /// Payslips kept.
    pub count: usize,
    /// Payslips the API returned although a filter it was sent excludes them.
    pub outside_filter: u64,
    /// Payslips of a per-worker export left out because they name no worker by id, so they
    /// cannot be proven to be one of the requested workers'.
    pub unproven_worker: u64,
    /// Payslips left out by `--since`.
    pub before_since: u64,
}

impl Collector {
    /// A collector with an empty spool; `split_by` also groups payslips for split files.
    pub fn new(split_by: Option<SplitBy>) -> io::Result<Self> {
        Ok(Collector {
            spool: Spool::new()?,
            columns: ColumnSet::new(),
            groups: split_by.map(Groups::new),
            outside_filter: 0,
            unproven_worker: 0,
            before_since: 0,
        })
    }

    /// Keep the payslip if it passes `filter` (the filter of the query that fetched it, so a
    /// payslip a server returns to two queries is kept once); `Ok(false)` when it does not.
    pub fn add(&mut self, payslip: &Map<String, Value>, filter: &LocalFilter) -> io::Result<bool> {
        if filter.outside_server_filters(payslip) {
            self.outside_filter += 1;
            return Ok(false);
        }
        if filter.worker_unproven(payslip) {
            self.unproven_worker += 1;
            return Ok(false);
        }
        if filter.created_before_since(payslip) {
            self.before_since += 1;
            return Ok(false);
        }
        let offset = self.spool.push(payslip)?;
        self.columns.observe(payslip);
        if let Some(groups) = &mut self.groups {
            groups.add(payslip, offset);
        }
        Ok(true)
    }

    /// Payslips kept so far.
    pub fn count(&self) -> usize {
        self.spool.len()
    }

    /// End the first pass: the spool turns into a reader, the columns and groups are fixed.
    pub fn finish(self) -> io::Result<Collected> {
        Ok(Collected {
            count: self.spool.len(),
            reader: self.spool.into_reader()?,
            columns: self.columns.columns(),
            groups: self.groups.map(Groups::into_files),
            outside_filter: self.outside_filter,
            unproven_worker: self.unproven_worker,
            before_since: self.before_since,
        })
    }
}

//! The stand-in [`Remote`] of a `--dry-run` without credentials.

use serde_json::Value;

use super::{CandidateKey, ListedCandidate, Remote, RemoteError, ServerRecord};
use crate::plan::timesheet::{ServerTimesheet, TimesheetList, TimesheetPlan};

/// A stand-in for a `--dry-run` without credentials: the server looks empty and has no VAT
/// codes; every write is refused (a dry run never writes).
#[derive(Debug, Clone, Copy, Default)]
pub struct Offline;

fn offline<T>() -> Result<T, RemoteError> {
    Err(RemoteError::Abort {
        message: "offline: no writes in a dry run".into(),
    })
}

impl Remote for Offline {
    async fn vat_codes(&self) -> Result<Vec<(String, String)>, RemoteError> {
        Ok(Vec::new())
    }
    async fn find_candidates(&self, _: &CandidateKey) -> Result<Vec<ServerRecord>, RemoteError> {
        Ok(Vec::new())
    }
    async fn find_candidate_id(&self, _: bool, _: &str) -> Result<Option<String>, RemoteError> {
        Ok(None)
    }
    async fn list_candidates(
        &self,
        _: bool,
        _: usize,
    ) -> Result<Option<Vec<ListedCandidate>>, RemoteError> {
        Ok(Some(Vec::new()))
    }
    async fn create_candidate(&self, _: bool, _: &Value) -> Result<Option<String>, RemoteError> {
        offline()
    }
    async fn update_candidate(&self, _: bool, _: &str, _: &Value) -> Result<(), RemoteError> {
        offline()
    }
    async fn get_candidate(&self, _: bool, _: &str) -> Result<ServerRecord, RemoteError> {
        offline()
    }
    async fn list_payment_rates(&self, _: usize) -> Result<Option<Vec<ServerRecord>>, RemoteError> {
        Ok(Some(Vec::new()))
    }
    async fn find_payment_rate(&self, _: &str) -> Result<Option<ServerRecord>, RemoteError> {
        Ok(None)
    }
    async fn create_payment_rate(&self, _: &Value) -> Result<ServerRecord, RemoteError> {
        offline()
    }
    async fn update_payment_rate(&self, _: &str, _: &Value) -> Result<ServerRecord, RemoteError> {
        offline()
    }
    async fn get_payment_rate(&self, _: &str) -> Result<ServerRecord, RemoteError> {
        offline()
    }
    async fn find_timesheets(
        &self,
        _: &str,
        _: i32,
        _: u32,
    ) -> Result<Vec<ServerTimesheet>, RemoteError> {
        Ok(Vec::new())
    }
    async fn list_timesheets(
        &self,
        _: i32,
        _: usize,
    ) -> Result<Option<TimesheetList>, RemoteError> {
        Ok(Some(TimesheetList::default()))
    }
    async fn get_timesheet(&self, _: &str) -> Result<ServerTimesheet, RemoteError> {
        offline()
    }
    async fn create_timesheet(&self, _: &TimesheetPlan) -> Result<ServerTimesheet, RemoteError> {
        offline()
    }
    async fn update_timesheet(
        &self,
        _: &str,
        _: &TimesheetPlan,
    ) -> Result<ServerTimesheet, RemoteError> {
        offline()
    }
}

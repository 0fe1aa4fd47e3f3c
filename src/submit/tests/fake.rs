//! An in-memory API with deterministic faults.

use std::sync::Mutex;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::plan::timesheet::{Line, PackedListed, ServerTimesheet, TimesheetList};
use crate::submit::remote::{CandidateKey, ListedCandidate, Remote, RemoteError, ServerRecord};

#[derive(Default)]
struct State {
    candidates: Vec<ServerRecord>,
    rates: Vec<ServerRecord>,
    timesheets: Vec<ServerTimesheet>,
    next_id: u64,
    writes: u64,
    dropped: u64,
    /// Codes the next look-up does not see (created by someone else just after it).
    unseen_once: Vec<String>,
}

#[derive(Default)]
pub struct Fake {
    state: Mutex<State>,
    drop_every: u64,
    fail_every: u64,
    crash_after: Option<u64>,
    reject_surname: Option<String>,
    /// Writes whose body contains this text are answered 500, every time (a poisoned record).
    poison: Option<String>,
    /// An Agency Ref another machine creates at the same moment as this run does.
    twin: Option<String>,
}

#[derive(Debug)]
pub struct Snapshot {
    pub candidates: usize,
    pub rates: usize,
    pub timesheets: usize,
    pub duplicate_candidates: usize,
    pub duplicate_timesheets: usize,
    pub writes: u64,
    pub dropped: u64,
}

fn lost() -> RemoteError {
    RemoteError::Ambiguous {
        message: "connection closed before the answer".into(),
    }
}

fn parse_lines(body: &Value) -> Vec<Line> {
    let dec = |v: &Value| {
        v.as_str()
            .and_then(|s| s.parse::<Decimal>().ok())
            .unwrap_or_default()
    };
    body["rates"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| Line {
            rate_id: l["rateId"].as_str().unwrap_or_default().into(),
            rate: dec(&l["rate"]),
            units: dec(&l["units"]),
            vat_id: l["vatID"].as_str().map(str::to_string),
        })
        .collect()
}

impl Fake {
    pub fn new() -> Fake {
        Fake::default()
    }
    pub fn drop_after_commit_every(mut self, n: u64) -> Fake {
        self.drop_every = n;
        self
    }
    pub fn fail_before_every(mut self, n: u64) -> Fake {
        self.fail_every = n;
        self
    }
    pub fn crash_after_writes(mut self, n: u64) -> Fake {
        self.crash_after = Some(n);
        self
    }
    /// Another machine creates the worker with this Agency Ref at the same moment.
    pub fn twin_created_elsewhere(mut self, agency: &str) -> Fake {
        self.twin = Some(agency.into());
        self
    }
    /// Every write whose body contains `text` is answered 500 (nothing applied).
    pub fn poison(mut self, text: &str) -> Fake {
        self.poison = Some(text.into());
        self
    }
    /// The server is mended: nothing is poisoned any more.
    pub fn cure(&mut self) {
        self.poison = None;
    }
    pub fn reject_surname(mut self, s: &str) -> Fake {
        self.reject_surname = Some(s.into());
        self
    }
    /// A worker already on the server (e.g. created twice by two machines).
    pub fn with_worker(self, agency: &str, surname: &str) -> Fake {
        {
            let mut s = self.state.lock().unwrap();
            let id = next(&mut s, "SR");
            s.candidates.push(ServerRecord {
                id,
                json: serde_json::json!({"generalSetting": {"agencyRef": agency, "surname": surname}}),
            });
        }
        self
    }
    /// A payment rate another process creates between this run's look-up and its create.
    pub fn rate_created_elsewhere(self, code: &str) -> Fake {
        {
            let mut s = self.state.lock().unwrap();
            let id = next(&mut s, "PR");
            s.rates.push(ServerRecord {
                id,
                json: serde_json::json!({"code": code, "description": "made elsewhere"}),
            });
            s.unseen_once.push(code.to_string());
        }
        self
    }
    pub fn without_crash(self) -> Fake {
        Fake {
            crash_after: None,
            ..self
        }
    }

    pub fn snapshot(&self) -> Snapshot {
        let s = self.state.lock().unwrap();
        let mut refs: Vec<&str> = s
            .candidates
            .iter()
            .filter_map(|c| c.json["generalSetting"]["agencyRef"].as_str())
            .collect();
        refs.sort();
        let unique_refs = {
            let mut r = refs.clone();
            r.dedup();
            r.len()
        };
        let mut slots: Vec<(String, i32, u32)> = s
            .timesheets
            .iter()
            .map(|t| {
                (
                    t.worker_id.clone().unwrap_or_default(),
                    t.tax_year.unwrap_or(0),
                    t.tax_period.unwrap_or(0),
                )
            })
            .collect();
        slots.sort();
        let total = slots.len();
        slots.dedup();
        Snapshot {
            candidates: s.candidates.len(),
            rates: s.rates.len(),
            timesheets: total,
            duplicate_candidates: refs.len() - unique_refs,
            duplicate_timesheets: total - slots.len(),
            writes: s.writes,
            dropped: s.dropped,
        }
    }

    pub fn surname_of(&self, agency: &str) -> Option<String> {
        let s = self.state.lock().unwrap();
        s.candidates
            .iter()
            .find(|c| c.json["generalSetting"]["agencyRef"] == agency)
            .and_then(|c| {
                c.json["generalSetting"]["surname"]
                    .as_str()
                    .map(str::to_string)
            })
    }

    /// Count a write of a request with this body (which a poison may match); decide its fate:
    /// `Err` before applying, or whether to lose the answer.
    fn write_body<T>(
        &self,
        body: &Value,
        apply: impl FnOnce(&mut State) -> Result<T, RemoteError>,
    ) -> Result<T, RemoteError> {
        let mut s = self.state.lock().unwrap();
        s.writes += 1;
        let n = s.writes;
        if let Some(poison) = &self.poison
            && (poison == "*" || body.to_string().contains(poison.as_str()))
        {
            return Err(RemoteError::ServerError {
                status: 500,
                message: "HTTP 500: Internal server error".into(),
            });
        }
        if self.fail_every > 0 && n.is_multiple_of(self.fail_every) {
            return Err(lost()); // a 500 before anything was applied looks the same to a client
        }
        let answer = apply(&mut s)?;
        if self.crash_after.is_some_and(|c| n >= c) {
            return Err(RemoteError::Abort {
                message: "process killed".into(),
            });
        }
        if self.drop_every > 0 && n.is_multiple_of(self.drop_every) {
            s.dropped += 1;
            return Err(lost());
        }
        Ok(answer)
    }
}

fn next(s: &mut State, prefix: &str) -> String {
    s.next_id += 1;
    format!("{prefix}-{}", s.next_id)
}

impl Remote for Fake {
    async fn vat_codes(&self) -> Result<Vec<(String, String)>, RemoteError> {
        Ok(vec![
            ("VC-1".into(), "S".into()),
            ("VC-2".into(), "Z".into()),
        ])
    }

    async fn find_candidates(&self, key: &CandidateKey) -> Result<Vec<ServerRecord>, RemoteError> {
        let s = self.state.lock().unwrap();
        Ok(s.candidates
            .iter()
            .filter(|c| {
                c.json["generalSetting"]["agencyRef"] == key.agency_ref.as_str()
                    || key
                        .identifier
                        .as_deref()
                        .is_some_and(|i| c.json["generalSetting"]["NINumber"] == i)
            })
            .cloned()
            .collect())
    }

    async fn find_candidate_id(
        &self,
        _ireland: bool,
        agency: &str,
    ) -> Result<Option<String>, RemoteError> {
        let s = self.state.lock().unwrap();
        Ok(s.candidates
            .iter()
            .find(|c| c.json["generalSetting"]["agencyRef"] == agency)
            .map(|c| c.id.clone()))
    }

    async fn list_candidates(
        &self,
        ireland: bool,
        limit: usize,
    ) -> Result<Option<Vec<ListedCandidate>>, RemoteError> {
        let s = self.state.lock().unwrap();
        let mut list = s.candidates.clone();
        for c in &mut list {
            // The list shape: agencyRef at the top.
            c.json["agencyRef"] = c.json["generalSetting"]["agencyRef"].clone();
            c.json["NINumber"] = c.json["generalSetting"]["NINumber"].clone();
        }
        let list = list
            .into_iter()
            .map(|c| ListedCandidate::of(c.id, &c.json, ireland))
            .collect::<Vec<_>>();
        Ok((list.len() <= limit).then_some(list))
    }

    async fn create_candidate(
        &self,
        _ireland: bool,
        body: &Value,
    ) -> Result<Option<String>, RemoteError> {
        if let Some(bad) = &self.reject_surname
            && body["generalSetting"]["surname"] == bad.as_str()
        {
            return Err(RemoteError::Rejected {
                status: 400,
                message: format!("generalSetting.surname: surname '{bad}' refused"),
            });
        }
        let twin = self
            .twin
            .as_deref()
            .is_some_and(|t| body["generalSetting"]["agencyRef"] == t);
        self.write_body(body, |s| {
            let id = next(s, "SR");
            let mut json = body.clone();
            json["id"] = json!(id);
            s.candidates.push(ServerRecord { id, json });
            if twin {
                let id = next(s, "SR");
                let mut json = body.clone();
                json["id"] = json!(id);
                s.candidates.push(ServerRecord { id, json });
            }
            Ok(None)
        })
    }

    async fn update_candidate(&self, _: bool, id: &str, body: &Value) -> Result<(), RemoteError> {
        self.write_body(body, |s| {
            let c = s
                .candidates
                .iter_mut()
                .find(|c| c.id == id)
                .ok_or(RemoteError::Rejected {
                    status: 404,
                    message: "not found".into(),
                })?;
            let mut json = body.clone();
            json["id"] = json!(id);
            c.json = json;
            Ok(())
        })
    }

    async fn get_candidate(&self, _: bool, id: &str) -> Result<ServerRecord, RemoteError> {
        let s = self.state.lock().unwrap();
        s.candidates
            .iter()
            .find(|c| c.id == id)
            .cloned()
            .ok_or(RemoteError::Rejected {
                status: 404,
                message: "not found".into(),
            })
    }

    async fn list_payment_rates(
        &self,
        limit: usize,
    ) -> Result<Option<Vec<ServerRecord>>, RemoteError> {
        let mut s = self.state.lock().unwrap();
        // Rates another process creates just after this read are not in it.
        let unseen = std::mem::take(&mut s.unseen_once);
        let list: Vec<ServerRecord> = s
            .rates
            .iter()
            .filter(|r| !unseen.iter().any(|u| r.json["code"] == u.as_str()))
            .cloned()
            .collect();
        Ok((list.len() <= limit).then_some(list))
    }

    async fn find_payment_rate(&self, code: &str) -> Result<Option<ServerRecord>, RemoteError> {
        let mut s = self.state.lock().unwrap();
        if let Some(i) = s.unseen_once.iter().position(|c| c == code) {
            s.unseen_once.remove(i);
            return Ok(None);
        }
        Ok(s.rates.iter().find(|r| r.json["code"] == code).cloned())
    }

    async fn create_payment_rate(&self, body: &Value) -> Result<ServerRecord, RemoteError> {
        self.write_body(body, |s| {
            if s.rates.iter().any(|r| r.json["code"] == body["code"]) {
                return Err(RemoteError::Rejected {
                    status: 409,
                    message: "code already exists".into(),
                });
            }
            let id = next(s, "PR");
            let record = ServerRecord {
                id,
                json: body.clone(),
            };
            s.rates.push(record.clone());
            Ok(record)
        })
    }

    async fn update_payment_rate(
        &self,
        id: &str,
        body: &Value,
    ) -> Result<ServerRecord, RemoteError> {
        self.write_body(body, |s| {
            let r = s
                .rates
                .iter_mut()
                .find(|r| r.id == id)
                .ok_or(RemoteError::Rejected {
                    status: 404,
                    message: "not found".into(),
                })?;
            for (k, v) in body.as_object().into_iter().flatten() {
                r.json[k] = v.clone();
            }
            Ok(r.clone())
        })
    }

    async fn get_payment_rate(&self, id: &str) -> Result<ServerRecord, RemoteError> {
        let s = self.state.lock().unwrap();
        s.rates
            .iter()
            .find(|r| r.id == id)
            .cloned()
            .ok_or(RemoteError::Rejected {
                status: 404,
                message: "not found".into(),
            })
    }

    async fn find_timesheets(
        &self,
        worker: &str,
        year: i32,
        period: u32,
    ) -> Result<Vec<ServerTimesheet>, RemoteError> {
        let s = self.state.lock().unwrap();
        Ok(s.timesheets
            .iter()
            .filter(|t| {
                t.worker_id.as_deref() == Some(worker)
                    && t.tax_year == Some(year)
                    && t.tax_period == Some(period)
            })
            .cloned()
            .collect())
    }

    async fn list_timesheets(
        &self,
        year: i32,
        limit: usize,
    ) -> Result<Option<TimesheetList>, RemoteError> {
        let s = self.state.lock().unwrap();
        let list: Vec<PackedListed> = s
            .timesheets
            .iter()
            .filter(|t| t.tax_year == Some(year))
            .cloned()
            .map(PackedListed::from)
            .collect();
        Ok((list.len() <= limit).then(|| TimesheetList::new(list)))
    }

    async fn get_timesheet(&self, id: &str) -> Result<ServerTimesheet, RemoteError> {
        let s = self.state.lock().unwrap();
        s.timesheets
            .iter()
            .find(|t| t.id == id)
            .cloned()
            .ok_or(RemoteError::Rejected {
                status: 404,
                message: "not found".into(),
            })
    }

    async fn create_timesheet(
        &self,
        plan: &crate::plan::timesheet::TimesheetPlan,
    ) -> Result<ServerTimesheet, RemoteError> {
        let body = plan.create_body();
        self.write_body(&body, |s| {
            let t = ServerTimesheet {
                id: next(s, "TS"),
                worker_id: body["subcontractorRef"].as_str().map(str::to_string),
                start_date: None,
                end_date: None,
                tax_year: body["taxYear"].as_i64().map(|y| y as i32),
                tax_period: body["taxPeriodConfig"].as_u64().map(|p| p as u32),
                lines: Some(parse_lines(&body)),
                net: None,
            };
            s.timesheets.push(t.clone());
            Ok(t)
        })
    }

    async fn update_timesheet(
        &self,
        id: &str,
        plan: &crate::plan::timesheet::TimesheetPlan,
    ) -> Result<ServerTimesheet, RemoteError> {
        let body = plan.edit_body();
        self.write_body(&body, |s| {
            let t = s
                .timesheets
                .iter_mut()
                .find(|t| t.id == id)
                .ok_or(RemoteError::Rejected {
                    status: 404,
                    message: "not found".into(),
                })?;
            t.lines = Some(parse_lines(&body));
            Ok(t.clone())
        })
    }
}

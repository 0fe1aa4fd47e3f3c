//! The exactly-once write loop ([`Engine::write_once`]) and what a write can end as
//! ([`Written`]): answered, found after a lost answer, adopted after a 409, refused, or failed
//! by a server that keeps answering 5xx while it answers the searches.

use std::future::Future;
use std::sync::atomic::Ordering;
use std::time::Instant;

use super::SubmitError;
use super::engine::{Engine, read};
use super::remote::{Remote, RemoteError};
use crate::journal::RecordState;
use crate::model::{Entity, Record};

/// Sends of one write before the run gives up (and stays resumable): each lost answer is
/// followed by a search, so only an API that keeps losing answers gets here.
const MAX_SENDS: u32 = 8;

/// Records in a row the server fails with 5xx before the run stops as "the server looks
/// down" (exit 3, resumable) instead of failing record after record.
const SERVER_ERRORS_IN_A_ROW: u32 = 5;

/// Sends of a write answered 5xx, at least, before its record is failed (and the budget must
/// have passed too). Time alone is not enough: a throttled run can take ten seconds over three
/// sends, and a server failing 5 % of requests at random fails three in a row now and then.
const MIN_SERVER_ERROR_SENDS: u32 = 5;

/// The result of a write that went through the exactly-once loop.
pub enum Written<T> {
    /// The server answered the write.
    Sent(T),
    /// An answer was lost and the record was then found on the server.
    Found(T),
    /// The server refused a create as a conflict (409) and the search found the record: it
    /// was already there.
    Adopted(T),
    /// The server refused the data.
    Rejected { status: u16, message: String },
    /// The server kept answering 5xx (with searches showing the record absent) for the whole
    /// [`SubmitOptions::server_error_budget`]: the record is failed, the run goes on.
    ServerError { status: u16, message: String },
}

impl<R: Remote> Engine<'_, R> {
    /// Send a write exactly once. `ambiguous` says an earlier attempt (maybe by a killed
    /// process) may have landed: search first. After each lost answer, search; found → done,
    /// not found → send again. A refusal after a lost answer is checked by one more search
    /// (the lost write may be why the server refuses, e.g. "code already exists").
    pub async fn write_once<T, S, SF, F, FF>(
        &self,
        seq: u32,
        entity: Entity,
        mut ambiguous: bool,
        mut send: S,
        mut search: F,
    ) -> Result<Written<T>, SubmitError>
    where
        S: FnMut() -> SF,
        SF: Future<Output = Result<T, RemoteError>>,
        F: FnMut() -> FF,
        FF: Future<Output = Result<Option<T>, RemoteError>>,
    {
        let mut sends = 0;
        // The first 5xx answer and the last one, while the server keeps failing this write.
        let mut server_error: Option<(Instant, u32, u16, String)> = None;
        loop {
            if ambiguous && let Some(found) = read(search()).await? {
                return Ok(Written::Found(found));
            }
            // The search worked, so the server answers; it fails on this record.
            if let Some((since, n, status, message)) = &server_error {
                let budget = self.options.server_error_budget;
                if *n >= MIN_SERVER_ERROR_SENDS && since.elapsed() >= budget {
                    return Ok(Written::ServerError {
                        status: *status,
                        message: message.clone(),
                    });
                }
                // A lone 5xx is sent again soon (250 ms), a repeated one ever later (1 s, 4 s,
                // then half the budget apart): a short outage passes in between, and a record the
                // server always fails costs about five sends.
                let soon = std::time::Duration::from_millis(250) * 4u32.saturating_pow(*n - 1);
                let wait = soon.min(budget / 2);
                tracing::info!(seq, %message, ?wait, "server error; sending again after a wait");
                tokio::time::sleep(wait).await;
            }
            if sends >= MAX_SENDS + server_error.as_ref().map_or(0, |s| s.1) {
                return Err(SubmitError::Aborted(format!(
                    "the API lost the answer to the same write {sends} times; stopped so \
                     nothing is sent twice. Run the same import again later to resume"
                )));
            }
            self.journal.mark_sent(self.run, seq)?;
            self.wrote
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(entity);
            sends += 1;
            match send().await {
                Ok(answer) => {
                    self.server_errors_in_row.store(0, Ordering::Relaxed);
                    return Ok(Written::Sent(answer));
                }
                Err(RemoteError::Ambiguous { message }) => {
                    tracing::info!(seq, %message, "answer lost; searching before sending again");
                    ambiguous = true;
                }
                Err(RemoteError::ServerError { status, message }) => {
                    ambiguous = true;
                    let (since, n) = server_error
                        .as_ref()
                        .map_or((Instant::now(), 0), |s| (s.0, s.1));
                    server_error = Some((since, n + 1, status, message));
                }
                Err(RemoteError::Rejected { status, message }) => {
                    // 409: the server already holds it (another process, another machine, or
                    // our own lost write): adopt it when the search finds it.
                    if status == 409
                        && let Some(found) = read(search()).await?
                    {
                        return Ok(Written::Adopted(found));
                    }
                    if ambiguous && let Some(found) = read(search()).await? {
                        return Ok(Written::Found(found));
                    }
                    return Ok(Written::Rejected { status, message });
                }
                Err(RemoteError::Abort { message }) => return Err(SubmitError::Aborted(message)),
            }
        }
    }

    /// The server kept failing on this record: journal it as a server error (the timesheets
    /// that need it are not sent) and go on — unless several records in a row ended so, when
    /// the server looks down and the run stops (resumable).
    pub fn server_failed(
        &self,
        seq: u32,
        record: &Record,
        api_id: Option<String>,
        status: u16,
        message: &str,
    ) -> Result<(), SubmitError> {
        let why = format!(
            "the server failed on it again and again for {} s ({message}) while it answered \
             other requests. It is not on Nxsys: run the same import again to send it again, and \
             if it keeps failing, ask Nxsys support about this record",
            self.options.server_error_budget.as_secs()
        );
        // What the records that need it say: short, the record's own row says the rest.
        self.remember_failure(
            record,
            &format!("the server failed on it again and again, HTTP {status}; import again"),
        );
        self.finish(
            seq,
            RecordState::ServerError,
            api_id,
            Some(status),
            Some(why),
        )?;
        let in_row = self.server_errors_in_row.fetch_add(1, Ordering::Relaxed) + 1;
        if in_row >= SERVER_ERRORS_IN_A_ROW {
            return Err(SubmitError::Aborted(format!(
                "the server failed on {in_row} records in a row (last: HTTP {status}: {message}); \
                 it looks down, so the run stopped. Nothing was sent twice; run the same import \
                 again later to resume"
            )));
        }
        Ok(())
    }
}

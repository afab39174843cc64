//! Starting a sync from the web: the one way the API (`POST /api/v1/syncs`) and the customer's
//! page (`POST /customers/{id}/sync`) start the jobs that pull phone numbers and call records.

use super::App;
use billing::metered::sync::Outcome;
use billing::metered::{JobDoc, SyncRequest};
use billing::BillingError;

/// How a sync began.
pub enum Begun {
    /// The first job started (the others follow it): the request is answered while it runs.
    Started(Box<JobDoc>),
    /// Every job ended before the first one was reported (those that ran, skipped ones left out).
    Ended(Vec<JobDoc>),
}

/// Starts the sync `req` in the background with the server's key (the sources' settings are
/// opened with it, refused without it as the command line refuses); answers as soon as its first
/// job has started.
pub async fn begin(app: &App, req: SyncRequest) -> Result<Begun, BillingError> {
    let (started, mut first) = tokio::sync::mpsc::unbounded_channel();
    let key = app.key.clone();
    let billing = app.billing.clone();
    let mut work = tokio::spawn(async move {
        billing::run!(billing, |s| {
            let clients = billing::metered::settings::clients(s, key.as_ref(), None)?;
            let bar = |job: &store::Job| -> Box<dyn billing::Progress> {
                let _ = started.send(JobDoc::of(job));
                Box::new(billing::Quiet)
            };
            billing::metered::sync(s, &clients, &req, &crate::clock::now, &bar)
        })
        .await
    });
    tokio::select! {
        Some(job) = first.recv() => Ok(Begun::Started(Box::new(job))),
        ended = &mut work => {
            let outcomes = ended.map_err(|e| BillingError::Sync(e.to_string()))??;
            let jobs = outcomes.iter().filter_map(|o| match o {
                Outcome::Done(j) | Outcome::Failed(j) => Some(JobDoc::of(j)),
                Outcome::Skipped { .. } => None,
            }).collect();
            Ok(Begun::Ended(jobs))
        }
    }
}

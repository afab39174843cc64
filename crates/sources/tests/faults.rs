//! One test per fault kind: the fault fires during the pull, which still ends with exactly the dataset.

mod common;

use std::time::{Duration, Instant};

use common::*;
use emulator::FaultKind;

/// What a faulted pull did, for the checks specific to a fault.
struct Run {
    gen: Gen,
    retries: u64,
    tokens: u64,
    elapsed: Duration,
}

/// Pulls every generation with `kind` firing on the second page request and `timeout` per request.
async fn survive(kind: FaultKind, delay_ms: u64, timeout: Duration, check: fn(&Run)) {
    each_gen(move |gen| async move {
        let emu = start(gen, vec![fault(kind, 2, delay_ms)]).await;
        let mut s = settings(gen, &emu);
        s.timeout = timeout;
        let client = sources::Client::new(s).expect("valid settings");
        let t = Instant::now();
        let got = pull(&client).await.unwrap_or_else(|e| panic!("{gen:?} {kind:?}: {e}"));
        let elapsed = t.elapsed();
        assert_eq!(emu.faults_fired(), [kind], "{gen:?}");
        assert_eq!(got.repeated, 0, "{gen:?}");
        assert_dataset(gen, got.records);
        check(&Run { gen, retries: got.retries, tokens: client.tokens_obtained(), elapsed });
    })
    .await;
}

const QUICK: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_waits_for_retry_after() {
    survive(FaultKind::RateLimit, 1000, QUICK, |r| {
        assert_eq!(r.retries, 1, "{:?}", r.gen);
        assert!(r.elapsed >= Duration::from_secs(1), "{:?}: Retry-After not honoured ({:?})", r.gen, r.elapsed);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_error_is_retried() {
    survive(FaultKind::ServerError, 0, QUICK, |r| assert_eq!(r.retries, 1, "{:?}", r.gen)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_answer_past_the_timeout_is_retried() {
    // The slow answer would take a minute; a request may take 3 s. The margins are wide so that
    // a loaded machine, where an ordinary answer can take a second, does not decide the outcome.
    survive(FaultKind::Slow, 60_000, Duration::from_secs(3), |r| {
        assert_eq!(r.retries, 1, "{:?}", r.gen);
        assert!(r.elapsed < Duration::from_secs(60), "{:?}: waited for the slow answer ({:?})", r.gen, r.elapsed);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_answer_within_the_timeout_is_waited_for() {
    survive(FaultKind::Slow, 300, QUICK, |r| {
        assert_eq!(r.retries, 0, "{:?}", r.gen);
        assert!(r.elapsed >= Duration::from_millis(300), "{:?}", r.gen);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_connection_is_retried() {
    survive(FaultKind::DropConnection, 0, QUICK, |r| assert_eq!(r.retries, 1, "{:?}", r.gen)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_json_is_retried() {
    survive(FaultKind::TruncatedJson, 0, QUICK, |r| assert_eq!(r.retries, 1, "{:?}", r.gen)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_token_is_renewed_once() {
    survive(FaultKind::ExpiredToken, 0, QUICK, |r| {
        assert_eq!(r.retries, 1, "{:?}", r.gen);
        // A revoked token is replaced (NetSapiens by refresh); an API key is sent again as it is.
        let tokens = if r.gen == Gen::NsKey { 0 } else { 2 };
        assert_eq!(r.tokens, tokens, "{:?}", r.gen);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_page_is_asked_again() {
    survive(FaultKind::RepeatPage, 0, QUICK, |r| assert_eq!(r.retries, 1, "{:?}", r.gen)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_that_keeps_repeating_is_counted_not_kept() {
    each_gen(|gen| async move {
        // The second page request and all five re-requests serve the first page again.
        let emu = start(gen, (0..6).map(|_| fault(FaultKind::RepeatPage, 2, 0)).collect()).await;
        let client = common::client(gen, &emu);
        let got = pull(&client).await.expect("pull");
        assert_eq!(emu.faults_fired().len(), 6, "{gen:?}");
        assert_eq!((got.retries, got.repeated), (5, 1000), "{gen:?}");
        let ids: std::collections::HashSet<&str> = got.records.iter().map(|r| r.call_id.as_str()).collect();
        assert_eq!(ids.len(), got.records.len(), "{gen:?}: a repeated record was kept");
        // The page that never came is a gap the platform's count shows.
        let count = client.count(DOMAIN, &window()).await.expect("count");
        assert!(count > got.records.len() as u64, "{gen:?}");
    })
    .await;
}

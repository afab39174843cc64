//! Tokens that expire during a pull, and a pull resumed from a stored cursor.

mod common;

use std::collections::HashSet;

use common::*;
use emulator::FaultKind;
use sources::Cursor;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_expiring_mid_pull_is_renewed() {
    each_gen(|gen| async move {
        if gen == Gen::NsKey {
            return; // API keys do not expire.
        }
        // 1-second tokens; two slow pages make the pull last well past one token's life.
        let mut c = config(gen, vec![fault(FaultKind::Slow, 2, 700), fault(FaultKind::Slow, 4, 700)]);
        c.netsapiens.token_ttl_secs = 1;
        c.brightlink.token_ttl_secs = 1;
        let emu = start_with(c).await;
        let client = client(gen, &emu);
        let got = pull(&client).await.expect("pull");
        assert!(client.tokens_obtained() >= 2, "{gen:?}: {} tokens", client.tokens_obtained());
        assert_eq!(emu.faults_fired(), [FaultKind::Slow, FaultKind::Slow]);
        assert_dataset(gen, got.records);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_callers_share_one_token() {
    each_gen(|gen| async move {
        let emu = start(gen, vec![]).await;
        let client = client(gen, &emu);
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let client = client.clone();
            set.spawn(async move { client.domain(DOMAIN).await });
        }
        while let Some(done) = set.join_next().await {
            assert!(done.expect("task ran").expect("domain read").is_some());
        }
        let want = if gen == Gen::NsKey { 0 } else { 1 };
        assert_eq!(client.tokens_obtained(), want, "{gen:?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resumed_pull_completes_the_dataset() {
    each_gen(|gen| async move {
        let emu = start(gen, vec![]).await;
        let client = client(gen, &emu);
        let first = pull_pages(&client, Cursor::default(), 3).await.expect("pull pages");
        assert_eq!(first.pages, 3);
        // The cursor goes through storage as JSON.
        let stored = serde_json::to_string(&first.last_next.expect("more pages after 3")).expect("to string");
        let from: Cursor = serde_json::from_str(&stored).expect("from str");
        drop(client);
        let client = common::client(gen, &emu);
        let rest = pull_pages(&client, from, u64::MAX).await.expect("pull pages");
        let first_ids: HashSet<&str> = first.records.iter().map(|r| r.call_id.as_str()).collect();
        assert!(rest.records.iter().all(|r| !first_ids.contains(r.call_id.as_str())), "{gen:?}: overlap");
        let mut all = first.records;
        all.extend(rest.records);
        assert_dataset(gen, all);
        assert!(emu.page_requests() > 3);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pager_reports_the_cursor_it_resumes_from() {
    let emu = start(Gen::NsV2, vec![]).await;
    let client = client(Gen::NsV2, &emu);
    let mut pager = client.pager(DOMAIN, window(), Cursor::default());
    let page = pager.next_page().await.expect("next page").expect("a page");
    assert_eq!(page.next.as_ref(), Some(pager.cursor()));
    assert_eq!(pager.cursor(), &Cursor { segment: 0, offset: 1000 });
    while pager.next_page().await.expect("next page").is_some() {}
    assert!(pager.next_page().await.expect("next page").is_none());
}

//! Clean pulls against the emulator: every generation reassembles exactly the dataset.

mod common;

use common::*;
use emulator::dataset;
use sources::{ApiVersion, Cursor, DomainInfo, PhoneNumber, Window};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clean_pull_is_exactly_the_dataset_and_count_agrees() {
    each_gen(|gen| async move {
        let emu = start(gen, vec![]).await;
        let client = client(gen, &emu);
        let got = pull(&client).await.expect("pull");
        assert_eq!(got.skipped, hidden(gen), "{gen:?}: hidden legs skipped");
        assert_eq!((got.repeated, got.retries), (0, 0), "{gen:?}");
        assert!(got.pages >= 3, "{gen:?}: {} pages", got.pages);
        let count = client.count(DOMAIN, &window()).await.expect("count");
        assert_eq!(count, platform_count(gen, window()), "{gen:?}: count");
        assert_dataset(gen, got.records);
        assert!(emu.faults_fired().is_empty());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_work_and_the_version_is_resolved() {
    each_gen(|gen| async move {
        let emu = start(gen, vec![]).await;
        let client = client(gen, &emu);
        client.authenticate().await.expect("authenticate");
        let want = match gen {
            Gen::NsV2 | Gen::NsKey => ApiVersion::V2,
            Gen::NsV1 | Gen::Brightlink => ApiVersion::V1,
        };
        assert_eq!(client.api_version().await.expect("api version"), want, "{gen:?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn domain_and_phone_numbers_match_the_dataset() {
    each_gen(|gen| async move {
        let emu = start(gen, vec![]).await;
        let client = client(gen, &emu);
        let info = client.domain(DOMAIN).await.expect("domain");
        let want = DomainInfo { domain: DOMAIN.into(), time_zone: Some("US/Central".into()) };
        assert_eq!(info, Some(want), "{gen:?}");
        let spec = &config(gen, vec![]).domains[0];
        let want: Vec<PhoneNumber> = dataset::numbers(SEED, spec)
            .into_iter()
            .map(|n| PhoneNumber { number: n.number, enabled: n.enabled })
            .collect();
        assert!(want.iter().any(|n| !n.enabled), "the dataset should hold a disabled number");
        assert_eq!(client.phone_numbers(DOMAIN).await.expect("phone numbers"), want, "{gen:?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pinned_versions_are_used_as_pinned() {
    // v1 pinned on a host that also has v2: the v1 listing (missed calls included).
    let emu = start(Gen::NsV2, vec![]).await;
    let mut s = settings(Gen::NsV2, &emu);
    s.api_version = ApiVersion::V1;
    let client = sources::Client::new(s).expect("valid settings");
    assert_eq!(client.api_version().await.expect("api version"), ApiVersion::V1);
    assert_dataset(Gen::NsV1, pull(&client).await.expect("pull").records);

    // v2 pinned on a host without v2: tokens come from the v1 route, the data routes are missing.
    let emu = start(Gen::NsV1, vec![]).await;
    let mut s = settings(Gen::NsV1, &emu);
    s.api_version = ApiVersion::V2;
    let client = sources::Client::new(s).expect("valid settings");
    client.authenticate().await.expect("a token from the v1 route");
    let e = pull(&client).await.expect_err("no v2 listing");
    assert!(matches!(e, sources::SourceError::Http { status: 404, .. }), "{e}");
    assert!(!e.to_string().contains("does not exist"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_holds_its_start_and_not_its_end() {
    each_gen(|gen| async move {
        let emu = start(gen, vec![]).await;
        let client = client(gen, &emu);
        // A window from a record's start to another's: the platform's end is inclusive, meter's
        // windows are not.
        let day = window();
        let starts: Vec<_> = expected_in(gen, day).iter().map(|r| r.start).collect();
        let (first, last) = (starts[starts.len() / 4], starts[starts.len() / 2]);
        let w = Window { start: first, end: last };
        let got = pull_window(&client, w, Cursor::default(), u64::MAX).await.expect("pull");
        assert!(got.records.iter().all(|r| r.start >= w.start && r.start < w.end), "{gen:?}: a record outside");
        assert!(got.records.iter().any(|r| r.start == w.start), "{gen:?}: the start is in");
        assert_eq!(got.skipped, hidden_in(gen, w), "{gen:?}: hidden legs of the window");
        assert_dataset_in(gen, w, got.records);
        let count = client.count(DOMAIN, &w).await.expect("count");
        assert_eq!(count, platform_count(gen, w), "{gen:?}: the count of the window");
    })
    .await;
}

//! What fails, and how: refused credentials, unknown domains, a source that is down, persistent
//! server errors, bad settings; and no secret in any Debug output or error message.

mod common;

use std::time::{Duration, Instant};

use common::*;
use emulator::FaultKind;
use secrecy::SecretString;
use sources::{Client, Cursor, Platform, Settings, SourceError};

/// Neither the error's Display nor its Debug shows a secret (the given wrong one included).
fn assert_no_secret(e: &SourceError, extra: &str) {
    for shown in [e.to_string(), format!("{e:?}")] {
        for secret in SECRETS.iter().chain([&extra]).filter(|s| !s.is_empty()) {
            assert!(!shown.contains(secret), "`{shown}` shows a secret");
        }
    }
    assert!(e.to_string().starts_with(&e.platform().to_string()), "{e} does not name the platform");
}

fn secret(s: &str) -> Option<SecretString> {
    Some(s.into())
}

async fn refused(gen: Gen, change: fn(&mut Settings), wrong: &str) {
    let emu = start(gen, vec![]).await;
    let mut s = settings(gen, &emu);
    change(&mut s);
    let client = Client::new(s).expect("valid settings");
    let e = client.authenticate().await.expect_err("should fail");
    assert!(matches!(e, SourceError::Auth { .. }), "{gen:?}: {e}");
    assert_no_secret(&e, wrong);
    let e = pull(&client).await.expect_err("should fail");
    assert!(matches!(e, SourceError::Auth { .. }), "{gen:?}: {e}");
    assert_eq!(emu.page_requests(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_is_auth() {
    each_gen(|gen| async move {
        match gen {
            Gen::NsKey => refused(gen, |s| s.api_key = secret("nsd-wrong-key-0000"), "nsd-wrong-key-0000").await,
            _ => refused(gen, |s| s.password = secret("hunter2-wrong"), "hunter2-wrong").await,
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_client_secret_is_auth() {
    each_gen(|gen| async move {
        if gen != Gen::NsKey {
            refused(gen, |s| s.client_secret = secret("not-the-secret"), "not-the-secret").await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_domain_is_none() {
    each_gen(|gen| async move {
        let emu = start(gen, vec![]).await;
        let client = client(gen, &emu);
        assert_eq!(client.domain("nobody.example.net").await.expect("domain"), None, "{gen:?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ns_v2_records_of_an_unknown_domain_name_it() {
    let emu = start(Gen::NsV2, vec![]).await;
    let client = client(Gen::NsV2, &emu);
    let mut pager = client.pager("nobody.example.net", window(), Cursor::default());
    let e = pager.next_page().await.expect_err("should fail");
    assert!(matches!(e, SourceError::UnknownDomain { .. }), "{e}");
    assert!(e.to_string().contains("`nobody.example.net` does not exist"), "{e}");
    let e = client.count("nobody.example.net", &window()).await.expect_err("should fail");
    assert!(e.to_string().contains("nobody.example.net"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_count_of_an_unknown_domain_names_it_at_once() {
    each_gen(|gen| async move {
        let emu = start(gen, vec![]).await;
        let e = client(gen, &emu).count("nobody.example.net", &window()).await.expect_err("an unknown domain");
        assert!(e.to_string().contains("`nobody.example.net` does not exist"), "{gen:?}: {e}");
        assert!(!e.to_string().contains("attempts"), "{gen:?}: asked once: {e}");
        assert!(matches!(e, SourceError::UnknownDomain { .. }), "{gen:?}: {e}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_down_is_unreachable_quickly() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("local addr").port();
    let emu = start(Gen::NsV2, vec![]).await;
    for gen in ALL {
        let mut s = settings(gen, &emu);
        s.url = match gen {
            Gen::Brightlink => format!("http://127.0.0.1:{port}/brightlink/"),
            _ => format!("http://127.0.0.1:{port}"),
        };
        let client = Client::new(s).expect("valid settings");
        let t = Instant::now();
        let e = client.authenticate().await.expect_err("should fail");
        assert!(matches!(&e, SourceError::Unreachable { reason, .. } if reason.contains("6 attempts")), "{gen:?}: {e}");
        assert!(t.elapsed() < Duration::from_secs(3), "{gen:?}: took {:?}", t.elapsed());
        assert_no_secret(&e, "");
        let e = pull(&client).await.expect_err("should fail");
        assert!(matches!(e, SourceError::Unreachable { .. }), "{gen:?}: {e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persistent_server_errors_exhaust_the_retries() {
    each_gen(|gen| async move {
        let emu = start(gen, (0..10).map(|_| fault(FaultKind::ServerError, 1, 0)).collect()).await;
        let e = pull(&client(gen, &emu)).await.expect_err("should fail");
        assert!(matches!(e, SourceError::Http { status: 500, .. }), "{gen:?}: {e}");
        assert_eq!(emu.faults_fired().len(), 6, "{gen:?}: one try and 5 retries");
        assert!(e.to_string().contains("6 attempts"), "{e}");
        assert_no_secret(&e, "");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_credentials_are_config_errors() {
    let e = Client::new(Settings::new(Platform::Netsapiens, "https://pbx.example.net")).expect_err("should fail");
    assert!(matches!(e, SourceError::Config { .. }), "{e}");
    assert!(e.to_string().contains("client_id, client_secret, username, password"), "{e}");
    let mut s = Settings::new(Platform::Brightlink, "https://cpaas-aws.brightlink.com/brightlink/");
    s.client_id = Some("key".into());
    let e = Client::new(s).expect_err("should fail");
    assert!(e.to_string().contains("missing: client_secret, username, password"), "{e}");
    let mut s = Settings::new(Platform::Netsapiens, "pbx.example.net");
    s.api_key = secret("nsd-x");
    assert!(matches!(Client::new(s), Err(SourceError::Config { .. })));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_debug_shows_no_secret() {
    let emu = start(Gen::NsV2, vec![]).await;
    for gen in ALL {
        let mut s = settings(gen, &emu);
        s.api_key = secret(emulator::DEMO_NS_API_KEY);
        let shown = format!("{s:?} {:?}", Client::new(s.clone()).expect("valid settings"));
        for secret in SECRETS {
            assert!(!shown.contains(secret), "{gen:?}: `{shown}` shows a secret");
        }
    }
}

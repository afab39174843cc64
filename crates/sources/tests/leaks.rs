//! No credential leaves: a redirect to another origin is refused before anything is sent there,
//! and a platform that echoes requests in its errors never gets a secret or a token shown.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use emulator::{Routes, Trap, TrapReply};
use sources::{ApiVersion, Client, SourceError};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

/// A listener on another port (another origin) that counts the connections reaching it.
struct Elsewhere {
    origin: String,
    connections: Arc<AtomicUsize>,
}

async fn elsewhere() -> Elsewhere {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let origin = format!("http://{}", listener.local_addr().expect("its address"));
    let connections = Arc::new(AtomicUsize::new(0));
    let seen = connections.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = tokio::time::timeout(Duration::from_millis(200), socket.read(&mut buf)).await;
        }
    });
    Elsewhere { origin, connections }
}

fn trapped(gen: Gen, on: Routes, reply: TrapReply) -> emulator::Config {
    let mut c = config(gen, vec![]);
    c.trap = Some(Trap { on, reply });
    c
}

/// The client of `gen`; with an API key, v2 is pinned so that its first request carries the key.
fn client_of(gen: Gen, emu: &emulator::Emulator) -> Client {
    let mut s = settings(gen, emu);
    if gen == Gen::NsKey {
        s.api_version = ApiVersion::V2;
    }
    Client::new(s).expect("valid settings")
}

/// Token requests (API key: data requests) redirected with `status` to another origin.
async fn redirected(gen: Gen, status: u16) {
    let thief = elsewhere().await;
    let location = format!("{}/collect?client_secret=stolen", thief.origin);
    let on = if gen == Gen::NsKey { Routes::Data } else { Routes::Tokens };
    let emu = start_with(trapped(gen, on, TrapReply::Redirect { status, location })).await;
    let client = client_of(gen, &emu);
    let e = client.authenticate().await.expect_err("a redirect elsewhere fails");
    assert_eq!(thief.connections.load(Ordering::SeqCst), 0, "{gen:?} {status}: a request reached another origin");
    assert!(matches!(e, SourceError::Redirected { .. }), "{gen:?} {status}: {e}");
    let shown = e.to_string();
    assert!(shown.contains(&thief.origin), "{gen:?} {status}: the error names the origin: {shown}");
    assert!(!shown.contains("collect") && !shown.contains("stolen"), "{gen:?}: no path or query: {shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_request_follows_a_redirect_to_another_origin() {
    for status in [307, 308] {
        each_gen(move |gen| redirected(gen, status)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_bearer_request_follows_a_redirect_to_another_origin() {
    each_gen(|gen| async move {
        let thief = elsewhere().await;
        let location = format!("{}/collect", thief.origin);
        let emu = start_with(trapped(gen, Routes::Data, TrapReply::Redirect { status: 307, location })).await;
        let e = client_of(gen, &emu).domain(DOMAIN).await.expect_err("a redirect elsewhere fails");
        assert_eq!(thief.connections.load(Ordering::SeqCst), 0, "{gen:?}: a request reached another origin");
        assert!(matches!(e, SourceError::Redirected { .. }), "{gen:?}: {e}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_within_the_origin_is_followed() {
    each_gen(|gen| async move {
        // Every request of the client's first kind moves to a path of the same host that does not
        // exist: followed, it answers 404.
        let on = if gen == Gen::NsKey { Routes::Data } else { Routes::Tokens };
        let reply = TrapReply::Redirect { status: 307, location: "/moved".into() };
        let emu = start_with(trapped(gen, on, reply)).await;
        let client = client_of(gen, &emu);
        // An API key check takes a 404 as accepted: ask for the numbers instead.
        let asked = match gen {
            Gen::NsKey => client.phone_numbers(DOMAIN).await.map(drop),
            _ => client.authenticate().await,
        };
        let e = asked.expect_err("nothing is at the new path");
        assert!(matches!(e, SourceError::Http { status: 404, .. }), "{gen:?}: {e}");
    })
    .await;
}

/// Whether `text` holds a run of 32 lowercase hex digits: an emulator token.
fn holds_a_token(text: &str) -> bool {
    text.as_bytes().windows(32).any(|w| w.iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b)))
}

fn assert_nothing_shown(gen: Gen, what: &str, e: &SourceError) {
    for shown in [e.to_string(), format!("{e:?}")] {
        for secret in SECRETS {
            assert!(!shown.contains(secret), "{gen:?} {what}: `{shown}` shows a secret");
        }
        assert!(!holds_a_token(&shown), "{gen:?} {what}: `{shown}` shows a token");
        assert!(!shown.contains("Basic ") || shown.contains("Basic [redacted]"), "{gen:?} {what}: `{shown}`");
    }
    let shown = e.to_string();
    assert!(shown.chars().count() < 400, "{gen:?} {what}: a long message: `{shown}`");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_echoed_by_a_token_route_are_never_shown() {
    for status in [400, 403, 500] {
        each_gen(move |gen| async move {
            if gen == Gen::NsKey {
                return;
            }
            let emu = start_with(trapped(gen, Routes::Tokens, TrapReply::Echo { status })).await;
            let e = client_of(gen, &emu).authenticate().await.expect_err("an echo is an error");
            assert_nothing_shown(gen, &format!("token {status}"), &e);
            assert!(e.to_string().contains("cannot process POST"), "{gen:?}: the platform's words stay: {e}");
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_and_keys_echoed_by_a_data_route_are_never_shown() {
    for status in [400, 403, 500] {
        each_gen(move |gen| async move {
            let emu = start_with(trapped(gen, Routes::Data, TrapReply::Echo { status })).await;
            let client = client_of(gen, &emu);
            let what = format!("data {status}");
            assert_nothing_shown(gen, &what, &client.domain(DOMAIN).await.expect_err("an echo is an error"));
            assert_nothing_shown(gen, &what, &pull(&client).await.expect_err("an echo is an error"));
        })
        .await;
    }
}

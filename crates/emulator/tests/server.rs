//! Starting and stopping: on the caller's runtime, on its own thread, URLs, and the demo configuration.

mod common;

use std::net::{SocketAddr, TcpStream};

use common::*;
use emulator::{Config, Emulator};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_serves_on_the_current_runtime_until_stopped() {
    let listen: SocketAddr = "127.0.0.1:0".parse().expect("addr");
    let e = Emulator::start(Config::demo(1), listen).await.expect("start");
    let addr = e.addr();
    assert_ne!(addr.port(), 0);
    assert_eq!(e.netsapiens_url(), format!("http://127.0.0.1:{}", addr.port()));
    assert_eq!(e.brightlink_url(), format!("http://127.0.0.1:{}/brightlink/", addr.port()));
    let version =
        tokio::task::spawn_blocking(move || request(addr, "GET", "/ns-api/v2/version", &[], b"")).await.expect("join");
    assert_eq!(version.json()["apiversion"].as_str().map(|v| v.starts_with("44.")), Some(true));
    e.stop();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(TcpStream::connect(addr).is_err(), "nothing listens after stop");
}

#[test]
fn spawn_stops_on_drop_and_the_demo_serves_its_domains_on_both_platforms() {
    let e = Emulator::spawn(Config::demo(42)).expect("spawn");
    let addr = e.addr();
    assert!(addr.ip().is_loopback());
    let (ns, bl) = (ns_token(addr), bl_token(addr));
    for d in Config::demo(42).domains {
        assert_eq!(
            ns_get(addr, &ns, &format!("/ns-api/v2/domains/{}", d.name)).json()["time-zone"],
            d.time_zone.as_str()
        );
        let body = serde_json::json!({"searchItems": [{"searchField": "DOMAIN", "searchText": d.name}]});
        assert_eq!(bl_post(addr, &bl, "domain/search", &body).json()["domainTotalCount"], 1);
    }
    assert_eq!(request(addr, "GET", "/nothing/here", &[], b"").status, 404);
    drop(e);
    assert!(TcpStream::connect(addr).is_err(), "nothing listens after drop");
}

#[tokio::test]
async fn spawn_works_from_inside_a_runtime_too() {
    let e = Emulator::spawn(Config::demo(1)).expect("spawn");
    let addr = e.addr();
    let r =
        tokio::task::spawn_blocking(move || request(addr, "GET", "/ns-api/v2/version", &[], b"")).await.expect("join");
    assert_eq!(r.status, 200);
    drop(e);
}

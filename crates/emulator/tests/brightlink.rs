//! Brightlink over real sockets: Basic-auth token grant, expiry, searches, paging that reassembles the dataset.

mod common;

use std::thread::sleep;
use std::time::Duration;

use common::*;
use emulator::dataset;
use emulator::{Config, DomainSpec, Emulator, DEMO_BL_API_KEY, DEMO_BL_API_SECRET, DEMO_BL_PASSWORD, DEMO_BL_USERNAME};
use serde_json::json;

const DOMAIN: &str = "bl-test.example.com";
const FROM: &str = "2024-06-03T08:00:00Z";
const TO: &str = "2024-06-04T20:00:00Z";

fn config() -> Config {
    let mut c = Config::demo(99);
    c.domains =
        vec![DomainSpec::new(DOMAIN, 1800, 9, "US/Eastern"), DomainSpec::new("other.example.com", 10, 3, "UTC")];
    c
}

#[test]
fn token_needs_basic_key_and_secret_and_the_user() {
    let e = Emulator::spawn(config()).expect("emulator");
    let ok = bl_token_request(e.addr(), DEMO_BL_API_KEY, DEMO_BL_API_SECRET, DEMO_BL_USERNAME, DEMO_BL_PASSWORD);
    assert_eq!(ok.status, 200);
    let j = ok.json();
    assert_eq!((j["token_type"].as_str(), j["expires_in"].as_u64()), (Some("bearer"), Some(300)));
    for (k, s, u, p) in [
        ("x", DEMO_BL_API_SECRET, DEMO_BL_USERNAME, DEMO_BL_PASSWORD),
        (DEMO_BL_API_KEY, "x", DEMO_BL_USERNAME, DEMO_BL_PASSWORD),
        (DEMO_BL_API_KEY, DEMO_BL_API_SECRET, "x", DEMO_BL_PASSWORD),
        (DEMO_BL_API_KEY, DEMO_BL_API_SECRET, DEMO_BL_USERNAME, "x"),
    ] {
        let r = bl_token_request(e.addr(), k, s, u, p);
        assert_eq!((r.status, r.json()["error"].as_str()), (401, Some("invalid_grant")));
    }
    // A NetSapiens token is no Brightlink token.
    let ns = ns_token(e.addr());
    assert_eq!(bl_cdrs(e.addr(), &ns, DOMAIN, FROM, TO, 0, 10).status, 401);
}

#[test]
fn expired_tokens_are_401_unauthorized() {
    let mut c = config();
    c.brightlink.token_ttl_secs = 1;
    let e = Emulator::spawn(c).expect("emulator");
    let tok = bl_token(e.addr());
    assert_eq!(bl_cdrs(e.addr(), &tok, DOMAIN, FROM, TO, 0, 10).status, 200);
    sleep(Duration::from_millis(1100));
    let r = bl_cdrs(e.addr(), &tok, DOMAIN, FROM, TO, 0, 10);
    assert_eq!((r.status, r.json()["error"].as_str()), (401, Some("unauthorized")));
    assert!(r.json()["message"].is_string());
}

#[test]
fn numbers_domains_and_unknown_domains() {
    let e = Emulator::spawn(config()).expect("emulator");
    let tok = bl_token(e.addr());
    let body = json!({"searchItems": [{"searchField": "DOMAIN", "searchText": DOMAIN}], "searchColumn": {},
        "paginationData": {"pageNo": 0, "resultCount": 100}});
    let n = bl_post(e.addr(), &tok, "did/numbers", &body).json();
    assert_eq!(n["numberTotalCount"], 9);
    let expected = dataset::numbers(99, &config().domains[0]);
    for (row, x) in n["numbers"].as_array().expect("numbers").iter().zip(&expected) {
        assert!(row["didNumber"].is_u64(), "didNumber is a JSON integer");
        assert_eq!(row["didNumber"].to_string(), x.number);
    }
    let d = bl_post(
        e.addr(),
        &tok,
        "domain/search",
        &json!({"searchItems": [{"searchField": "DOMAIN", "searchText": DOMAIN}]}),
    );
    assert_eq!(d.json()["domains"][0]["timeZone"], "US/Eastern");
    let none = bl_post(
        e.addr(),
        &tok,
        "domain/search",
        &json!({"searchItems": [{"searchField": "DOMAIN", "searchText": "nope"}]}),
    );
    assert_eq!(none.json(), json!({"domainTotalCount": 0, "domains": []}));
    let c = bl_cdrs(e.addr(), &tok, "nope", FROM, TO, 0, 10).json();
    assert_eq!(c["cdrTotalCount"], 0);
    let missing = bl_post(
        e.addr(),
        &tok,
        "cdr/search",
        &json!({"searchItems": [{"searchField": "DOMAIN", "searchText": DOMAIN}]}),
    );
    assert_eq!(missing.status, 400);
}

#[test]
fn pages_reassemble_the_visible_dataset_and_the_total_counts_it() {
    let e = Emulator::spawn(config()).expect("emulator");
    let tok = bl_token(e.addr());
    let mut rows = Vec::new();
    let mut totals = Vec::new();
    for page in 0.. {
        let r = bl_cdrs(e.addr(), &tok, DOMAIN, FROM, TO, page, 1000).json();
        totals.push(r["cdrTotalCount"].as_u64().expect("total"));
        let cdrs = r["cdrs"].as_array().expect("cdrs").clone();
        assert!(cdrs.iter().all(|c| !c["answerTime"].is_null() || c["billsec"] == 0));
        let n = cdrs.len();
        rows.extend(cdrs);
        if n < 1000 {
            break;
        }
    }
    // The platform's window holds its end.
    let through = at(TO) + chrono::Duration::seconds(1);
    let expected: Vec<_> = dataset::calls(99, &config().domains[0], at(FROM), through).filter(|c| !c.hidden).collect();
    assert!(expected.len() > 2000, "{}", expected.len());
    assert!(totals.iter().all(|t| *t == expected.len() as u64));
    let served: Vec<_> = rows.iter().map(bl_call).collect();
    let want: Vec<_> = expected
        .iter()
        .map(|c| (c.id.clone(), c.from.clone(), c.to.clone(), c.start, c.answer, c.end, c.talk_seconds()))
        .collect();
    assert_eq!(served, want);
    assert!(rows.iter().any(|r| r["answerTime"].is_null()));
    assert!(["inbound", "outbound", "internal"].iter().all(|d| rows.iter().any(|r| r["direction"] == *d)));
}

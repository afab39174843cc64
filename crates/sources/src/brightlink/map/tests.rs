//! One test per mapped field, from sample answers in `tests/samples/`.

use chrono::{TimeZone, Utc};

use super::*;

const CDRS: &[u8] = include_bytes!("../../../tests/samples/bl_cdrs.json");

fn records() -> Vec<Record> {
    let (rows, _) = cdr_rows(CDRS).expect("cdr rows");
    rows.into_iter()
        .map(|r| match r {
            Row::Kept(r) => r,
            Row::Hidden { id, .. } => panic!("Brightlink has no hidden legs, got {id}"),
        })
        .collect()
}

#[test]
fn bl_call_id_is_the_source_call_id() {
    let ids: Vec<String> = records().into_iter().map(|r| r.call_id).collect();
    assert_eq!(ids, ["bl-4f7a0001", "bl-4f7a0002", "4242"]);
}

#[test]
fn bl_direction_as_given() {
    let d: Vec<Direction> = records().iter().map(|r| r.direction).collect();
    assert_eq!(d, [Direction::Outbound, Direction::Inbound, Direction::Internal]);
}

#[test]
fn bl_from_is_from_number_string_or_integer() {
    let r = records();
    assert_eq!((r[0].from.as_str(), r[2].from.as_str()), ("12125550100", "1001"));
}

#[test]
fn bl_to_is_to_number() {
    assert_eq!(records()[0].to, "19135552914");
}

#[test]
fn bl_start_is_start_time() {
    assert_eq!(records()[0].start, Utc.with_ymd_and_hms(2026, 11, 3, 14, 5, 7).single().expect("valid date"));
}

#[test]
fn bl_talk_seconds_is_billsec() {
    let r = records();
    assert_eq!((r[0].talk_seconds, r[2].talk_seconds), (153, 7));
}

#[test]
fn bl_null_answer_time_is_zero_talk() {
    let body = String::from_utf8_lossy(CDRS).replacen("\"billsec\": 0", "\"billsec\": 30", 1);
    let (rows, _) = cdr_rows(body.as_bytes()).expect("cdr rows");
    assert!(matches!(&rows[1], Row::Kept(r) if r.talk_seconds == 0));
}

#[test]
fn bl_total_count_is_cdr_total_count() {
    assert_eq!(cdr_rows(CDRS).expect("cdr rows").1, 2345);
    assert_eq!(cdr_total(CDRS).expect("cdr total"), 2345);
}

#[test]
fn bl_unknown_direction_names_field_and_row() {
    let body = String::from_utf8_lossy(CDRS).replacen("\"internal\"", "\"sideways\"", 1);
    let e = cdr_rows(body.as_bytes()).expect_err("should fail");
    assert_eq!(e, "field `direction` of row 3: `sideways` is not inbound, outbound or internal");
}

#[test]
fn bl_truncated_page_is_malformed() {
    assert!(cdr_rows(&CDRS[..CDRS.len() / 2]).is_err());
}

#[test]
fn bl_did_number_integer() {
    let n = numbers(include_bytes!("../../../tests/samples/bl_numbers.json")).expect("numbers");
    assert_eq!(n.iter().map(|n| n.number.as_str()).collect::<Vec<_>>(), ["12125551234", "13125550142"]);
}

#[test]
fn bl_number_status_active_is_enabled() {
    let n = numbers(include_bytes!("../../../tests/samples/bl_numbers.json")).expect("numbers");
    assert_eq!(n.iter().map(|n| n.enabled).collect::<Vec<_>>(), [true, false]);
}

#[test]
fn bl_domain_name_and_time_zone() {
    let d = domain(include_bytes!("../../../tests/samples/bl_domains.json"), "Acme").expect("domain");
    assert_eq!(d, Some(DomainInfo { domain: "acme".into(), time_zone: Some("Europe/London".into()) }));
}

#[test]
fn bl_no_domain_entry_is_none() {
    assert_eq!(domain(include_bytes!("../../../tests/samples/bl_domains_none.json"), "acme").expect("domain"), None);
    assert_eq!(domain(include_bytes!("../../../tests/samples/bl_domains.json"), "other").expect("domain"), None);
}

#[test]
fn bl_cdr_search_asks_domain_window_and_page() {
    let w = Window {
        start: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).single().expect("valid date"),
        end: Utc.with_ymd_and_hms(2026, 11, 2, 0, 0, 0).single().expect("valid date"),
    };
    let v: serde_json::Value = serde_json::from_str(&cdr_search("acme", &w, 3, 1000)).expect("from str");
    assert_eq!(v["searchItems"][1]["searchText"], "2026-11-01T00:00:00Z");
    assert_eq!(v["searchItems"][2]["searchField"], "END");
    assert_eq!(v["paginationData"]["pageNo"], 3);
    assert_eq!((v["sortBy"].as_str(), v["accending"].as_bool()), (Some("startTime"), Some(true)));
}

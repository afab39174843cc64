//! One test per mapped field, from sample answers in `tests/samples/`.

use chrono::{TimeZone, Utc};

use super::*;

const V2_CDRS: &[u8] = include_bytes!("../../../tests/samples/ns_v2_cdrs.json");
const V1_CDRS: &[u8] = include_bytes!("../../../tests/samples/ns_v1_cdrs.json");

fn kept(rows: &[Row]) -> Vec<&Record> {
    rows.iter()
        .filter_map(|r| match r {
            Row::Kept(r) => Some(r),
            Row::Hidden { .. } => None,
        })
        .collect()
}

fn v2() -> Vec<Row> {
    v2_rows(V2_CDRS, Direction::Outbound).expect("v2 rows")
}

fn v1() -> Vec<Row> {
    v1_rows(V1_CDRS).expect("v1 rows")
}

#[test]
fn v2_id_is_the_source_call_id() {
    let rows = v2();
    let ids: Vec<&str> = kept(&rows).iter().map(|r| r.call_id.as_str()).collect();
    assert_eq!(ids, ["1700000000a1b2", "1700000000a1b3", "1700000000"]);
}

#[test]
fn v2_direction_is_the_type_asked() {
    for direction in [Direction::Outbound, Direction::Inbound, Direction::Internal] {
        let rows = v2_rows(V2_CDRS, direction).expect("v2 rows");
        assert!(kept(&rows).iter().all(|r| r.direction == direction));
    }
}

#[test]
fn v2_start_is_call_start_datetime() {
    let rows = v2();
    assert_eq!(kept(&rows)[0].start, Utc.with_ymd_and_hms(2026, 11, 3, 14, 5, 7).single().expect("valid date"));
}

#[test]
fn v2_talk_seconds_is_disconnect_minus_answer() {
    let rows = v2();
    assert_eq!(kept(&rows)[0].talk_seconds, 153);
    assert_eq!(kept(&rows)[2].talk_seconds, 1);
}

#[test]
fn v2_unanswered_leg_has_zero_talk() {
    let rows = v2();
    assert_eq!(kept(&rows)[1].talk_seconds, 0);
}

#[test]
fn v2_from_is_orig_from_user() {
    let rows = v2();
    assert_eq!(kept(&rows)[0].from, "12125550100");
}

#[test]
fn v2_integer_caller_becomes_digits() {
    let rows = v2();
    assert_eq!(kept(&rows)[2].from, "12125550102");
}

#[test]
fn v2_to_is_orig_request_user_string_or_integer() {
    let rows = v2();
    assert_eq!(kept(&rows)[0].to, "19135552914");
    assert_eq!(kept(&rows)[2].to, "18005551234");
}

#[test]
fn v2_hidden_leg_is_skipped() {
    let rows = v2();
    assert_eq!(rows.len(), 4);
    assert!(matches!(&rows[3], Row::Hidden { id, .. } if id == "1700000000a1b5"));
}

#[test]
fn v2_bad_time_names_field_and_row() {
    let body = String::from_utf8_lossy(V2_CDRS).replacen("2026-11-03T14:09:00+00:00", "abc", 1);
    let e = v2_rows(body.as_bytes(), Direction::Inbound).expect_err("should fail");
    assert_eq!(e, "field `call-start-datetime` of row 2: `abc` is not an RFC 3339 time");
}

#[test]
fn v2_missing_field_is_malformed() {
    let e = v2_rows(br#"[{"id": "1", "call-start-datetime": "2026-11-03T14:09:00+00:00"}]"#, Direction::Inbound);
    assert!(e.expect_err("should fail").contains("missing field `call-orig-from-user`"));
}

#[test]
fn v2_truncated_page_is_malformed() {
    let e = v2_rows(&V2_CDRS[..V2_CDRS.len() / 2], Direction::Inbound).expect_err("should fail");
    assert!(e.starts_with("the call records are not a list of records: EOF"), "{e}");
}

#[test]
fn v2_empty_page_is_no_rows() {
    assert!(v2_rows(b"[]", Direction::Inbound).expect("v2 rows").is_empty());
}

#[test]
fn v1_id_is_cdr_id() {
    let rows = v1();
    assert_eq!(kept(&rows)[0].call_id, "8f1e2d3c4b5a");
}

#[test]
fn v1_type_gives_direction() {
    let rows = v1();
    let d: Vec<Direction> = kept(&rows).iter().map(|r| r.direction).collect();
    assert_eq!(d, [Direction::Outbound, Direction::Inbound, Direction::Inbound, Direction::Internal]);
}

#[test]
fn v1_missed_type_is_unanswered_inbound() {
    let rows = v1();
    let missed = kept(&rows)[2];
    assert_eq!((missed.direction, missed.talk_seconds), (Direction::Inbound, 0));
}

#[test]
fn v1_start_is_epoch_time_start() {
    let rows = v1();
    assert_eq!(kept(&rows)[0].start, Utc.with_ymd_and_hms(2026, 11, 3, 14, 5, 7).single().expect("valid date"));
}

#[test]
fn v1_talk_seconds_is_release_minus_answer() {
    let rows = v1();
    assert_eq!(kept(&rows)[0].talk_seconds, 153);
}

#[test]
fn a_release_before_the_answer_is_negative_talk() {
    let v1 =
        String::from_utf8_lossy(V1_CDRS).replace(r#""time_release": "1793714865""#, r#""time_release": "1793714710""#);
    assert_eq!(kept(&v1_rows(v1.as_bytes()).expect("v1 rows"))[0].talk_seconds, -2);
    let v2 = String::from_utf8_lossy(V2_CDRS).replacen("2026-11-03T14:07:45+00:00", "2026-11-03T14:05:00+00:00", 1);
    let rows = v2_rows(v2.as_bytes(), Direction::Outbound).expect("v2 rows");
    assert_eq!(kept(&rows)[0].talk_seconds, -12);
}

#[test]
fn v1_zero_or_empty_answer_is_unanswered() {
    let rows = v1();
    assert_eq!(kept(&rows)[1].talk_seconds, 0);
    assert_eq!(kept(&rows)[3].talk_seconds, 0);
}

#[test]
fn v1_from_is_user_part_of_orig_from_uri() {
    let rows = v1();
    assert_eq!(kept(&rows)[0].from, "12125550100");
    assert_eq!(user_part("\"Acme\" <sip:1001@acme.pbx;transport=udp>"), "1001");
    assert_eq!(user_part("tel:+12125550100"), "+12125550100");
}

#[test]
fn v1_to_is_orig_req_user() {
    let rows = v1();
    assert_eq!(kept(&rows)[0].to, "19135552914");
    assert_eq!(kept(&rows)[3].to, "1002");
}

#[test]
fn v1_hidden_leg_is_skipped() {
    let rows = v1();
    assert_eq!(rows.len(), 5);
    assert!(matches!(&rows[4], Row::Hidden { id, .. } if id == "8f1e2d3c4b5e"));
}

#[test]
fn v1_empty_window_is_no_rows() {
    for body in [&b"{}"[..], b"[]", b"", b" \n"] {
        assert!(v1_rows(body).expect("v1 rows").is_empty());
    }
}

#[test]
fn v1_unknown_type_is_malformed() {
    let body = String::from_utf8_lossy(V1_CDRS).replacen("\"type\": \"3\"", "\"type\": \"7\"", 1);
    let e = v1_rows(body.as_bytes()).expect_err("should fail");
    assert!(e.starts_with("field `type` of row 4: `7` is not a call type"), "{e}");
}

#[test]
fn v1_bad_epoch_names_field_and_row() {
    let body = String::from_utf8_lossy(V1_CDRS).replacen("\"1793714707\"", "\"yesterday\"", 1);
    let e = v1_rows(body.as_bytes()).expect_err("should fail");
    assert_eq!(e, "field `time_start` of row 1: `yesterday` is not a time in Unix seconds");
}

#[test]
fn v2_domain_name_and_time_zone() {
    let d = v2_domain(include_bytes!("../../../tests/samples/ns_v2_domain.json")).expect("v2 domain");
    assert_eq!(d, DomainInfo { domain: "acme".into(), time_zone: Some("US/Central".into()) });
}

#[test]
fn v1_domain_name_and_time_zone() {
    let d = v1_domain(include_bytes!("../../../tests/samples/ns_v1_domain.json"), "ACME").expect("v1 domain");
    assert_eq!(d, Some(DomainInfo { domain: "acme".into(), time_zone: Some("US/Central".into()) }));
}

#[test]
fn v1_unknown_domain_is_an_empty_list() {
    assert_eq!(v1_domain(b"[]", "acme").expect("v1 domain"), None);
    assert_eq!(v1_domain(b"{}", "acme").expect("v1 domain"), None);
}

#[test]
fn v2_phonenumber_is_digits_string_or_integer() {
    let n = v2_numbers(include_bytes!("../../../tests/samples/ns_v2_phonenumbers.json")).expect("v2 numbers");
    let numbers: Vec<&str> = n.iter().map(|n| n.number.as_str()).collect();
    assert_eq!(numbers, ["18005551234", "12125550100"]);
}

#[test]
fn v2_phonenumber_enabled_is_yes() {
    let n = v2_numbers(include_bytes!("../../../tests/samples/ns_v2_phonenumbers.json")).expect("v2 numbers");
    assert_eq!(n.iter().map(|n| n.enabled).collect::<Vec<_>>(), [true, false]);
}

#[test]
fn v1_phonenumber_is_the_user_of_matchrule() {
    let n = v1_numbers(include_bytes!("../../../tests/samples/ns_v1_phonenumbers.json")).expect("v1 numbers");
    let numbers: Vec<&str> = n.iter().map(|n| n.number.as_str()).collect();
    assert_eq!(numbers, ["18005551234", "12125550100"]);
}

#[test]
fn v1_phonenumber_enable_is_yes() {
    let n = v1_numbers(include_bytes!("../../../tests/samples/ns_v1_phonenumbers.json")).expect("v1 numbers");
    assert_eq!(n.iter().map(|n| n.enabled).collect::<Vec<_>>(), [true, false]);
    assert!(v1_numbers(b"{}").expect("v1 numbers").is_empty());
}

#[test]
fn v2_count_total_is_an_integer() {
    assert_eq!(count(include_bytes!("../../../tests/samples/ns_v2_count.json")).expect("count"), 1234);
}

#[test]
fn v1_count_total_is_a_string() {
    assert_eq!(v1_count(include_bytes!("../../../tests/samples/ns_v1_count.json")).expect("count"), Some(1234));
}

#[test]
fn v1_count_of_nothing_is_none() {
    assert_eq!(v1_count(b"{}").expect("count"), None);
    assert_eq!(v1_count(b" ").expect("count"), None);
    assert!(v1_count(br#"{"total": "x"}"#).is_err());
}

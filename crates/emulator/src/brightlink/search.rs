//! Brightlink searches: numbers, domains and call records, each a `POST` with `searchItems` and `paginationData`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::auth::Platform::Brightlink as BL;
use crate::dataset::{CallKind, Domain, Filter, Leg, Window};
use crate::faults::serve_page;
use crate::http::{error, rfc3339, through, Reply};
use crate::state::AppState;

const MAX_RESULTS: u64 = 1000;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Search {
    #[serde(default)]
    search_items: Vec<Item>,
    pagination_data: Option<Pagination>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    search_field: String,
    search_text: Value,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Pagination {
    #[serde(default)]
    page_no: u64,
    result_count: Option<u64>,
}

impl Search {
    fn item(&self, field: &str) -> Option<String> {
        self.search_items.iter().rev().find(|i| i.search_field == field).map(|i| match &i.search_text {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    }

    /// `(offset, count)` of the page asked for; `back` pages earlier (at least page 0).
    fn page(&self, back: u64) -> Result<(u64, u64), Reply> {
        let (no, count) = self.pagination_data.as_ref().map_or((0, None), |p| (p.page_no, p.result_count));
        let count = match count {
            Some(0) => return Err(bad("paginationData.resultCount must be at least 1")),
            Some(n) => n.min(MAX_RESULTS),
            None => 100,
        };
        Ok((no.saturating_sub(back).saturating_mul(count), count))
    }
}

fn bad(message: &str) -> Reply {
    error(BL, StatusCode::BAD_REQUEST, message)
}

/// The parsed search body, or the reply to answer.
fn parse(headers: &HeaderMap, body: &[u8]) -> Result<Search, Reply> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.starts_with("application/json") {
        return Err(error(BL, StatusCode::UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json"));
    }
    serde_json::from_slice(body).map_err(|e| bad(&format!("Malformed search body: {e}")))
}

/// The domains a search asks for: the one named by DOMAIN (an empty name is none), or all.
fn selected<'a>(st: &'a AppState, s: &Search) -> Vec<&'a Arc<Domain>> {
    st.selected(s.item("DOMAIN").as_deref())
}

/// The search of a numbers or domains request and its page `(offset, count)`, or the reply to
/// answer (401, then a bad body, then a bad page).
fn paged_search(st: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<(Search, u64, u64), Reply> {
    let s = st.authorize(BL, headers).and_then(|_| parse(headers, body))?;
    let (offset, count) = s.page(0)?;
    Ok((s, offset, count))
}

pub(crate) async fn numbers(State(st): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Reply {
    let (s, offset, count) = match paged_search(&st, &headers, &body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let all: Vec<(&Arc<Domain>, u32)> =
        selected(&st, &s).into_iter().flat_map(|d| (0..d.numbers).map(move |j| (d, j))).collect();
    let numbers: Vec<Value> = all
        .iter()
        .skip(offset as usize)
        .take(count as usize)
        .map(|(d, j)| {
            let did = d.did(*j);
            json!({
                "didNumber": did.parse::<u64>().unwrap_or_default(),
                "domain": d.name,
                "status": if d.did_enabled(*j) { "active" } else { "inactive" },
            })
        })
        .collect();
    Reply::json(StatusCode::OK, &json!({"numberTotalCount": all.len(), "numbers": numbers}))
}

pub(crate) async fn domains(State(st): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Reply {
    let (s, offset, count) = match paged_search(&st, &headers, &body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let all = selected(&st, &s);
    let domains: Vec<Value> = all
        .iter()
        .skip(offset as usize)
        .take(count as usize)
        .map(|d| json!({"domain": d.name, "name": d.description(), "timeZone": d.time_zone}))
        .collect();
    Reply::json(StatusCode::OK, &json!({"domainTotalCount": all.len(), "domains": domains}))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Cdr<'a> {
    call_id: &'a str,
    direction: &'static str,
    from_number: &'a str,
    to_number: &'a str,
    start_time: String,
    answer_time: Option<String>,
    end_time: String,
    billsec: i64,
    domain: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CdrPage<'a> {
    cdr_total_count: u64,
    cdrs: Vec<Cdr<'a>>,
}

fn cdr<'a>(leg: &'a Leg, domain: &'a str) -> Cdr<'a> {
    let c = &leg.call;
    Cdr {
        call_id: &c.id,
        direction: match c.kind {
            CallKind::Outbound => "outbound",
            CallKind::Inbound | CallKind::Missed => "inbound",
            CallKind::OnNet => "internal",
        },
        from_number: &c.from,
        to_number: &c.to,
        start_time: rfc3339(c.start, "Z"),
        answer_time: c.answer.map(|a| rfc3339(a, "Z")),
        end_time: rfc3339(c.end, "Z"),
        billsec: c.talk_seconds(),
        domain,
    }
}

fn cdr_page(st: &AppState, s: &Search, repeat: bool) -> Reply {
    let time = |field: &str| {
        let v = s.item(field).ok_or_else(|| bad(&format!("searchItems must hold {field}")))?;
        DateTime::parse_from_rfc3339(&v)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| bad(&format!("{field} must be an RFC 3339 date-time, not {v:?}")))
    };
    // END is included, as the platforms' window ends are.
    let (from, to) = match (time("START"), time("END")) {
        (Ok(f), Ok(t)) => (f, through(t)),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let (offset, count) = match s.page(u64::from(repeat)) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(dom) = s.item("DOMAIN").and_then(|d| st.domain(&d)) else {
        return Reply::json(StatusCode::OK, &json!({"cdrTotalCount": 0, "cdrs": []}));
    };
    let w = Window::new(dom.clone(), from, to, Filter { kind: None, visible_only: true });
    let total = w.count();
    let legs: Vec<Leg> = w.legs(offset).take(count as usize).collect();
    let page = CdrPage { cdr_total_count: total, cdrs: legs.iter().map(|l| cdr(l, &dom.name)).collect() };
    Reply::json_sized(StatusCode::OK, &page, legs.len() * 300)
}

pub(crate) async fn cdrs(State(st): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    let token = match st.authorize(BL, &headers) {
        Ok(t) => t,
        Err(r) => return r.into_response(),
    };
    serve_page(&st, BL, &token, |repeat| match parse(&headers, &body) {
        Ok(s) => cdr_page(&st, &s, repeat),
        Err(r) => r,
    })
    .await
}

//! NetSapiens v1: `POST /ns-api/?object=O&action=A&format=json` with form-encoded parameters.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{json, Value};

use super::render;
use crate::auth::Platform::NetSapiens as NS;
use crate::dataset::{Domain, Filter, Leg, Window};
use crate::faults::serve_page;
use crate::http::{error, paging, through, Params, Reply, JSON};
use crate::state::AppState;

fn empty_object() -> Reply {
    Reply::raw(StatusCode::OK, JSON, b"{}".to_vec())
}

pub(crate) async fn api(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let mut p = Params::parse(q.as_deref().unwrap_or(""));
    p.extend(&String::from_utf8_lossy(&body));
    let token = match st.authorize(NS, &headers) {
        Ok(t) => t,
        Err(r) => return r.into_response(),
    };
    if p.get("format") != Some("json") {
        // Without format=json the platform answers XML; a minimal document is enough to fail a JSON parser.
        let xml = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<xml></xml>\n".to_vec();
        return Reply::raw(StatusCode::OK, "text/xml; charset=utf-8", xml).into_response();
    }
    match (p.get("object"), p.get("action")) {
        (Some("domain"), Some("read")) => domain_read(&st, &p).into_response(),
        (Some("phonenumber"), Some("read")) => phonenumber_read(&st, &p).into_response(),
        (Some("cdr2"), Some("read")) => serve_page(&st, NS, &token, |repeat| cdr_read(&st, &p, repeat)).await,
        (Some("cdr2"), Some("count")) => cdr_count(&st, &p).into_response(),
        (o, a) => {
            let m = format!("Unsupported object/action {}/{}", o.unwrap_or(""), a.unwrap_or(""));
            error(NS, StatusCode::BAD_REQUEST, &m).into_response()
        }
    }
}

/// The domains asked for: one by name, or all when the name is absent or empty.
fn selected<'a>(st: &'a AppState, name: Option<&str>) -> Vec<&'a Arc<Domain>> {
    st.selected(name.filter(|n| !n.is_empty()))
}

fn domain_read(st: &AppState, p: &Params) -> Reply {
    let rows: Vec<Value> = selected(st, p.get("domain"))
        .into_iter()
        .map(|d| {
            json!({
                "domain": d.name,
                "description": d.description(),
                "time_zone": d.time_zone,
                "territory": "meter-demo",
                "dial_policy": "US and Canada",
                "policies": "",
            })
        })
        .collect();
    Reply::json(StatusCode::OK, &rows)
}

fn phonenumber_read(st: &AppState, p: &Params) -> Reply {
    if p.get("dialplan") != Some("DID Table") {
        return empty_object();
    }
    let mut rows = Vec::new();
    for d in selected(st, p.get("dest_domain")) {
        for j in 0..d.numbers {
            let user = d.did_user(j);
            rows.push(json!({
                "matchrule": format!("sip:{}@*", d.did(j)),
                "enable": if d.did_enabled(j) { "yes" } else { "no" },
                "to_user": user.as_deref().unwrap_or("[*]"),
                "to_host": d.name,
                "responder": if user.is_some() { "sip:start@to-user" } else { "AvailableDID" },
                "dialplan": "DID Table",
                "domain": d.name,
            }));
        }
    }
    if rows.is_empty() {
        return empty_object();
    }
    Reply::json(StatusCode::OK, &rows)
}

/// `start_date`/`end_date` as `YYYY-MM-DD hh:mm:ss`, read in UTC, the end included.
fn window(p: &Params) -> Result<(DateTime<Utc>, DateTime<Utc>), String> {
    let time = |name: &str| {
        let v = p.get(name).filter(|v| !v.is_empty()).ok_or_else(|| format!("{name} is required"))?;
        NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S")
            .map(|t| t.and_utc())
            .map_err(|_| format!("{name} must be YYYY-MM-DD hh:mm:ss, not {v:?}"))
    };
    Ok((time("start_date")?, through(time("end_date")?)))
}

fn cdr_read(st: &AppState, p: &Params, repeat: bool) -> Reply {
    let (from, to) = match window(p) {
        Ok(w) => w,
        Err(m) => return error(NS, StatusCode::BAD_REQUEST, &m),
    };
    let (start, limit) = match paging(p) {
        Ok(paged) => paged,
        Err(m) => return error(NS, StatusCode::BAD_REQUEST, &m),
    };
    let Some(dom) = p.get("domain").and_then(|d| st.domain(d)) else {
        return empty_object();
    };
    let start = if repeat { start.saturating_sub(limit) } else { start };
    let legs: Vec<Leg> = Window::new(dom.clone(), from, to, Filter::ALL).legs(start).take(limit as usize).collect();
    render::v1_page(&legs, &dom.name)
}

fn cdr_count(st: &AppState, p: &Params) -> Reply {
    let (from, to) = match window(p) {
        Ok(w) => w,
        Err(m) => return error(NS, StatusCode::BAD_REQUEST, &m),
    };
    // An unknown domain is `{}`, as v1 answers everything it has nothing for; the count holds
    // hidden legs (v1 has no filter for them), unlike v2's.
    let Some(dom) = p.get("domain").and_then(|d| st.domain(d)) else {
        return empty_object();
    };
    let w = Window::new(dom.clone(), from, to, Filter::ALL);
    let (total, seconds) = (w.count(), w.talk_seconds());
    Reply::json(StatusCode::OK, &json!({"total": total.to_string(), "minutes": seconds.div_ceil(60).to_string()}))
}

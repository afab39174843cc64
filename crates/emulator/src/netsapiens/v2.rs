//! NetSapiens v2 routes: version, domain, phone numbers, call records and their count.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::render;
use crate::auth::Platform::NetSapiens as NS;
use crate::dataset::{CallKind, Domain, Filter, Leg, Window};
use crate::faults::serve_page;
use crate::http::{error, paging, through, Params, Reply};
use crate::state::AppState;

pub(crate) async fn version(State(st): State<Arc<AppState>>) -> Reply {
    Reply::json(StatusCode::OK, &json!({"apiversion": super::api_version(st.config.netsapiens.v2)}))
}

fn bad_request(message: &str) -> Reply {
    error(NS, StatusCode::BAD_REQUEST, message)
}

/// The domain of a data route, or the 401/404 to answer.
fn domain<'a>(st: &'a AppState, headers: &HeaderMap, name: &str) -> Result<&'a Arc<Domain>, Reply> {
    st.authorize(NS, headers)?;
    st.domain(name).ok_or_else(|| not_found(name))
}

fn not_found(name: &str) -> Reply {
    error(NS, StatusCode::NOT_FOUND, &format!("Domain {name} does not exist"))
}

pub(crate) async fn domain_read(State(st): State<Arc<AppState>>, Path(d): Path<String>, headers: HeaderMap) -> Reply {
    match domain(&st, &headers, &d) {
        Ok(dom) => Reply::json(
            StatusCode::OK,
            &json!({
                "domain": dom.name,
                "description": dom.description(),
                "time-zone": dom.time_zone,
                "reseller": "meter-demo",
                "domain-type": "Standard",
                "dial-policy": "US and Canada",
                "count-for-limit-users": dom.numbers,
            }),
        ),
        Err(r) => r,
    }
}

pub(crate) async fn phonenumbers(
    State(st): State<Arc<AppState>>,
    Path(d): Path<String>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Reply {
    let dom = match domain(&st, &headers, &d) {
        Ok(dom) => dom,
        Err(r) => return r,
    };
    let p = Params::parse(q.as_deref().unwrap_or(""));
    let (start, limit) = match paging(&p) {
        Ok(paged) => paged,
        Err(m) => return bad_request(&m),
    };
    let end = start.saturating_add(limit).min(u64::from(dom.numbers));
    let rows: Vec<Value> = (start.min(end)..end)
        .map(|j| {
            let j = j as u32;
            let user = dom.did_user(j);
            json!({
                "phonenumber": dom.did(j),
                "domain": dom.name,
                "enabled": if dom.did_enabled(j) { "yes" } else { "no" },
                "dial-rule-application": if user.is_some() { "to-user" } else { "available-number" },
                "dial-rule-translation-destination-user": user.as_deref().unwrap_or("[*]"),
                "dial-rule-translation-destination-host": dom.name,
                "dial-rule-description": if j == 0 { "Main line" } else { "" },
            })
        })
        .collect();
    Reply::json(StatusCode::OK, &rows)
}

pub(crate) async fn phonenumbers_count(
    State(st): State<Arc<AppState>>,
    Path(d): Path<String>,
    headers: HeaderMap,
) -> Reply {
    match domain(&st, &headers, &d) {
        Ok(dom) => Reply::json(StatusCode::OK, &json!({"total": dom.numbers})),
        Err(r) => r,
    }
}

/// The window `[from, to]` (its end included) and type of a `cdrs` or `cdrs/count` query.
type Query = (DateTime<Utc>, DateTime<Utc>, Option<CallKind>);

fn window(p: &Params) -> Result<Query, String> {
    let time = |name: &str| {
        let v = p.get(name).filter(|v| !v.is_empty()).ok_or_else(|| format!("{name} is required"))?;
        DateTime::parse_from_rfc3339(v)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| format!("{name} must be an RFC 3339 date-time, not {v:?}"))
    };
    let kind = match p.get("type") {
        None | Some("") => None,
        Some("Outbound") => Some(CallKind::Outbound),
        Some("Inbound") => Some(CallKind::Inbound),
        Some("On-net") => Some(CallKind::OnNet),
        Some("Missed") => Some(CallKind::Missed),
        Some(t) => return Err(format!("type must be one of Outbound, Inbound, On-net, Missed, not {t:?}")),
    };
    Ok((time("datetime-start")?, through(time("datetime-end")?), kind))
}

fn page(dom: &Arc<Domain>, p: &Params, repeat: bool) -> Reply {
    let (from, to, kind) = match window(p) {
        Ok(w) => w,
        Err(m) => return bad_request(&m),
    };
    let (start, limit) = match paging(p) {
        Ok(paged) => paged,
        Err(m) => return bad_request(&m),
    };
    let start = if repeat { start.saturating_sub(limit) } else { start };
    let filter = Filter { kind, visible_only: false };
    let legs: Vec<Leg> = Window::new(dom.clone(), from, to, filter).legs(start).take(limit as usize).collect();
    render::v2_page(&legs, &dom.name)
}

pub(crate) async fn cdrs(
    State(st): State<Arc<AppState>>,
    Path(d): Path<String>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let token = match st.authorize(NS, &headers) {
        Ok(t) => t,
        Err(r) => return r.into_response(),
    };
    let p = Params::parse(q.as_deref().unwrap_or(""));
    serve_page(&st, NS, &token, |repeat| match st.domain(&d) {
        Some(dom) => page(dom, &p, repeat),
        None => not_found(&d),
    })
    .await
}

pub(crate) async fn cdrs_count(
    State(st): State<Arc<AppState>>,
    Path(d): Path<String>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Reply {
    let dom = match domain(&st, &headers, &d) {
        Ok(dom) => dom,
        Err(r) => return r,
    };
    let (from, to, kind) = match window(&Params::parse(q.as_deref().unwrap_or(""))) {
        Ok(w) => w,
        Err(m) => return bad_request(&m),
    };
    let w = Window::new(dom.clone(), from, to, Filter { kind, visible_only: true });
    let seconds = w.talk_seconds();
    Reply::json(StatusCode::OK, &json!({"total": w.count(), "minutes": seconds.div_ceil(60), "seconds": seconds}))
}

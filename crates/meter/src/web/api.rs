//! The JSON API, `/api/v1`: the command line's operations over HTTP, answering the command line's
//! JSON documents. Its OpenAPI document, made from these handlers and billing's documents, is
//! served at `/api/v1/openapi.json`.

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::extract::{Json, Path, Query};
use super::App;
use crate::cli::DocumentFormat;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use billing::allowance::AllowanceDoc;
use billing::calls::{CallFilter, Cursor};
use billing::customers::{CustomerDetail, CustomerRow};
use billing::doc::{CallDoc, CallStatus, InvoiceDoc, InvoiceRow};
use billing::invoice::InvoiceRequest;
use billing::life::{By, ListFilter};
use billing::metered::guard::Guard;
use billing::metered::{JobDoc, SyncRequest};
use billing::runs::AnyJob;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    info(title = "meter", description = "Metered billing for hosted-PBX resellers: the JSON API."),
    paths(
        customers,
        customer,
        allowance,
        calls,
        preview,
        create,
        invoices,
        invoice,
        document,
        delete_invoice,
        finalize,
        void,
        add_line,
        remove_line,
        start_sync,
        jobs,
        job
    ),
    components(schemas(ErrorBody, CustomersDoc, CallsDoc, InvoicesDoc, JobsDoc, Deleted, StartedSyncs, DocumentFormat)),
    modifiers(&Guarded),
    security(("token" = []))
)]
pub struct ApiDoc;

/// What every route but the document itself answers besides its own: the token scheme, and the
/// errors of a bad request, a missing or wrong token, and a role that may not.
struct Guarded;

impl utoipa::Modify for Guarded {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        use utoipa::openapi::{ContentBuilder, RefOr, ResponseBuilder};
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme("token", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
        let error = |what: &str| {
            let content =
                ContentBuilder::new().schema(Some(utoipa::openapi::Ref::from_schema_name("ErrorBody"))).build();
            RefOr::T(ResponseBuilder::new().description(what).content("application/json", content).build())
        };
        let common = [
            ("400", "A parameter or body that is not what the route takes"),
            ("401", "No valid API token"),
            ("403", "The token's role may not do this"),
            ("404", "Something the request names (a customer, an invoice, a job) does not exist"),
            ("503", "The database cannot be reached"),
        ];
        for item in doc.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.post, &mut item.delete, &mut item.put, &mut item.patch];
            for op in operations.into_iter().flatten() {
                for (status, what) in common {
                    op.responses.responses.entry(status.to_owned()).or_insert_with(|| error(what));
                }
            }
        }
    }
}

/// The routes that need a token (see `auth::api_guard`).
pub fn routes() -> Router<App> {
    Router::new()
        .route("/customers", get(customers))
        .route("/customers/{id}", get(customer))
        .route("/customers/{id}/allowance", get(allowance))
        .route("/calls", get(calls))
        .route("/invoices/preview", post(preview))
        .route("/invoices", get(invoices).post(create))
        .route("/invoices/{id}", get(invoice).delete(delete_invoice))
        .route("/invoices/{id}/document", get(document))
        .route("/invoices/{id}/finalize", post(finalize))
        .route("/invoices/{id}/void", post(void))
        .route("/invoices/{id}/lines", post(add_line))
        .route("/invoices/{id}/lines/{n}", axum::routing::delete(remove_line))
        .route("/syncs", post(start_sync))
        .route("/jobs", get(jobs))
        .route("/jobs/{id}", get(job))
}

pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such API route")
}

type Answer<T> = Result<Json<T>, ApiError>;

fn date(name: &str, value: &str) -> Result<NaiveDate, ApiError> {
    billing::time::parse_date(value).map_err(|e| ApiError::bad_request(format!("{name}: {e}")))
}

/// `from` and `to` given together, or neither.
fn days(from: Option<&str>, to: Option<&str>) -> Result<Option<(NaiveDate, NaiveDate)>, ApiError> {
    match (from, to) {
        (Some(f), Some(t)) => Ok(Some((date("from", f)?, date("to", t)?))),
        (None, None) => Ok(None),
        _ => Err(ApiError::bad_request("from and to are given together")),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomersDoc {
    customers: Vec<CustomerRow>,
}

/// Every customer, by id (`meter customers list --format json`).
#[utoipa::path(get, path = "/api/v1/customers", responses((status = 200, body = CustomersDoc)))]
async fn customers(State(app): State<App>) -> Answer<CustomersDoc> {
    let customers = billing::run!(app.billing, |s| billing::customers::list_customers(s)).await?;
    Ok(Json(CustomersDoc { customers }))
}

/// One customer with its numbers, last syncs and open invoices (`meter customers show`).
#[utoipa::path(get, path = "/api/v1/customers/{id}", params(("id" = String, Path)),
    responses((status = 200, body = CustomerDetail), (status = 404, body = ErrorBody)))]
async fn customer(State(app): State<App>, Path(id): Path<String>) -> Answer<CustomerDetail> {
    Ok(Json(billing::run!(app.billing, |s| billing::customers::show_customer(s, &id)).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AllowanceParams {
    /// A day of the billing period (YYYY-MM-DD; default: today in the customer's zone).
    date: Option<String>,
}

/// What is left of a customer's allowances in a billing period (`meter customers allowance`).
#[utoipa::path(get, path = "/api/v1/customers/{id}/allowance", params(("id" = String, Path), AllowanceParams),
    responses((status = 200, body = AllowanceDoc), (status = 404, body = ErrorBody)))]
async fn allowance(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(p): Query<AllowanceParams>,
) -> Answer<AllowanceDoc> {
    let day = p.date.as_deref().map(|d| date("date", d)).transpose()?;
    let now = crate::clock::now();
    Ok(Json(billing::run!(app.billing, |s| billing::allowance::remaining(s, &id, day, now)).await?))
}

/// The Call Details filters, and a page of them.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallParams {
    customer: Option<String>,
    /// First day (YYYY-MM-DD, in the customer's zone), with `to`.
    from: Option<String>,
    /// Last day, with `from`.
    to: Option<String>,
    /// An invoice's id or number.
    invoice: Option<String>,
    /// unanswered, unrated, unbilled or billed.
    status: Option<String>,
    call_type: Option<String>,
    /// Text held by the caller's or the callee's number.
    number: Option<String>,
    source: Option<String>,
    /// Calls per page, 1 to 1000 (100 by default).
    limit: Option<usize>,
    /// The `next` of the previous page.
    after: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CallsDoc {
    calls: Vec<CallDoc>,
    /// The cursor of the next page (`after`), null on the last page. A page of rare calls may
    /// hold fewer than `limit`, even none, and still have a next page: each page examines a
    /// bounded number of calls.
    next: Option<String>,
}

fn call_status(s: &str) -> Result<CallStatus, ApiError> {
    Ok(match s {
        "unanswered" => CallStatus::Unanswered,
        "unrated" => CallStatus::Unrated,
        "unbilled" => CallStatus::Unbilled,
        "billed" => CallStatus::Billed,
        _ => return Err(ApiError::bad_request(format!("status `{s}`: one of unanswered, unrated, unbilled, billed"))),
    })
}

/// Calls with the Call Details filters, in the order `meter calls list` gives them, a page at a
/// time.
#[utoipa::path(get, path = "/api/v1/calls", params(CallParams),
    responses((status = 200, body = CallsDoc), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn calls(State(app): State<App>, Query(p): Query<CallParams>) -> Answer<CallsDoc> {
    let limit = p.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request("limit: from 1 to 1000"));
    }
    let filter = CallFilter {
        customer: p.customer,
        days: days(p.from.as_deref(), p.to.as_deref())?,
        invoice: p.invoice,
        status: p.status.as_deref().map(call_status).transpose()?,
        call_type: p.call_type,
        number: p.number,
        source: p.source,
    };
    let after = p.after.as_deref().map(Cursor::parse).transpose()?;
    let kept = app.billing.kept().clone();
    let page = billing::run!(app.billing, |s| billing::calls::page(s, &filter, after.as_ref(), limit, &kept)).await?;
    Ok(Json(CallsDoc { calls: page.calls, next: page.next.map(|c| c.to_string()) }))
}

/// What to invoice: a customer and whole days in its zone, optionally some call types.
#[derive(Debug, Deserialize, ToSchema)]
pub struct InvoiceBody {
    customer: String,
    /// First day, YYYY-MM-DD.
    from: String,
    /// Last day, YYYY-MM-DD.
    to: String,
    /// Only these call types (absent or null: all).
    call_types: Option<Vec<String>>,
}

impl InvoiceBody {
    fn request(self) -> Result<InvoiceRequest, ApiError> {
        Ok(InvoiceRequest {
            from: date("from", &self.from)?,
            to: date("to", &self.to)?,
            customer: self.customer,
            call_types: self.call_types,
        })
    }
}

/// The invoice a range would make, with the customer's source checks and what would hold it
/// (`meter invoice preview --format json`). Nothing is saved.
#[utoipa::path(post, path = "/api/v1/invoices/preview", request_body = InvoiceBody,
    responses((status = 200, body = InvoiceDoc), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn preview(State(app): State<App>, Json(body): Json<InvoiceBody>) -> Result<Response, ApiError> {
    let req = body.request()?;
    let now = crate::clock::now();
    let key = app.key.clone();
    let review = billing::run!(app.billing, |s| billing::metered::review::review(s, &req, key.as_ref(), now)).await?;
    let doc = crate::sources_cmd::preview_json(&review)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    Ok(Json(doc).into_response())
}

/// Creates the draft invoice of a range (`meter invoice create --format json`); refused while a
/// sync of the customer runs or its records check fails.
#[utoipa::path(post, path = "/api/v1/invoices", request_body = InvoiceBody,
    responses((status = 201, body = InvoiceDoc), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create(
    State(app): State<App>,
    caller: Caller,
    Json(body): Json<InvoiceBody>,
) -> Result<(StatusCode, Json<InvoiceDoc>), ApiError> {
    let req = body.request()?;
    let now = crate::clock::now();
    let key = app.key.clone();
    let who = caller.actor();
    let doc =
        billing::run!(app.billing, |s| billing::invoice::create(s, &req, now, &who, Guard::On(key.as_ref()))).await?;
    Ok((StatusCode::CREATED, Json(doc)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvoiceParams {
    customer: Option<String>,
    /// draft, final or void.
    status: Option<String>,
    /// Invoices whose range overlaps from..to (YYYY-MM-DD, together).
    from: Option<String>,
    to: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvoicesDoc {
    invoices: Vec<InvoiceRow>,
}

/// Invoices, newest first (`meter invoice list --format json`).
#[utoipa::path(get, path = "/api/v1/invoices", params(InvoiceParams),
    responses((status = 200, body = InvoicesDoc), (status = 400, body = ErrorBody)))]
async fn invoices(State(app): State<App>, Query(p): Query<InvoiceParams>) -> Answer<InvoicesDoc> {
    let status = match p.status.as_deref() {
        None => None,
        Some(s) => Some(
            store::InvoiceStatus::ALL
                .into_iter()
                .find(|x| x.as_str() == s)
                .ok_or_else(|| ApiError::bad_request(format!("status `{s}`: one of draft, final, void")))?,
        ),
    };
    let filter = ListFilter { customer: p.customer, status, days: days(p.from.as_deref(), p.to.as_deref())? };
    let invoices = billing::run!(app.billing, |s| billing::life::list(s, &filter)).await?;
    Ok(Json(InvoicesDoc { invoices }))
}

/// An invoice with its lines and history (`meter invoice show --format json`).
#[utoipa::path(get, path = "/api/v1/invoices/{id}", params(("id" = String, Path, description = "D-42, or a number")),
    responses((status = 200, body = InvoiceDoc), (status = 404, body = ErrorBody)))]
async fn invoice(State(app): State<App>, Path(id): Path<String>) -> Answer<InvoiceDoc> {
    Ok(Json(billing::run!(app.billing, |s| billing::invoice::show(s, &id)).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DocumentParams {
    /// pdf, html, or csv (the call detail).
    format: DocumentFormat,
    /// Add the call detail after the invoice (always in CSV).
    #[serde(default)]
    with_calls: bool,
    /// a4 or letter; the `paper` setting when not given.
    paper: Option<String>,
}

/// The invoice's document, as `meter invoice render` writes it.
#[utoipa::path(get, path = "/api/v1/invoices/{id}/document", params(("id" = String, Path), DocumentParams),
    responses((status = 200, description = "The document",
        content((Vec<u8> = "application/pdf"), (String = "text/html"), (String = "text/csv"))),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The call detail of a void invoice: voiding released its calls", body = ErrorBody)))]
async fn document(State(app): State<App>, Path(id): Path<String>, Query(p): Query<DocumentParams>) -> Response {
    let paper = match crate::document::paper(p.paper.as_deref()) {
        Ok(paper) => paper,
        Err(why) => return ApiError::bad_request(why).into_response(),
    };
    let format = p.format;
    let rendered = billing::run!(app.billing, |s| crate::document::rendered(s, &id, format, p.with_calls, paper)).await;
    match rendered {
        Ok(r) => super::download(format, r),
        Err(e) => ApiError::from_rendering(e).into_response(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Deleted {
    deleted: String,
    /// Calls released to be billed again.
    released: u64,
}

/// Deletes a draft invoice; its calls are released to be billed again.
#[utoipa::path(delete, path = "/api/v1/invoices/{id}", params(("id" = String, Path)),
    responses((status = 200, body = Deleted), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn delete_invoice(State(app): State<App>, Path(id): Path<String>) -> Answer<Deleted> {
    let asked = id.clone();
    let released = billing::run!(app.billing, |s| billing::invoice::delete(s, &asked)).await?;
    Ok(Json(Deleted { deleted: id, released }))
}

/// Finalizes a draft: its number, issued and due dates.
#[utoipa::path(post, path = "/api/v1/invoices/{id}/finalize", params(("id" = String, Path)),
    responses((status = 200, body = InvoiceDoc), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn finalize(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Answer<InvoiceDoc> {
    let (who, at) = (caller.actor(), crate::clock::now());
    Ok(Json(billing::run!(app.billing, |s| billing::life::finalize(s, &id, By { who: &who, at })).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct VoidBody {
    reason: String,
}

/// Voids a final invoice: it keeps its number and document; its calls are released.
#[utoipa::path(post, path = "/api/v1/invoices/{id}/void", params(("id" = String, Path)), request_body = VoidBody,
    responses((status = 200, body = InvoiceDoc), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn void(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<VoidBody>,
) -> Answer<InvoiceDoc> {
    let (who, at) = (caller.actor(), crate::clock::now());
    let (doc, _) =
        billing::run!(app.billing, |s| billing::life::void(s, &id, &body.reason, By { who: &who, at })).await?;
    Ok(Json(doc))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LineBody {
    description: String,
    /// At most 2 decimals, not zero; negative for a credit.
    amount: String,
}

/// Adds a manual line (a credit when negative) to a draft.
#[utoipa::path(post, path = "/api/v1/invoices/{id}/lines", params(("id" = String, Path)), request_body = LineBody,
    responses((status = 200, body = InvoiceDoc), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn add_line(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<LineBody>,
) -> Answer<InvoiceDoc> {
    let (who, at) = (caller.actor(), crate::clock::now());
    let line = (body.description, body.amount);
    Ok(Json(
        billing::run!(app.billing, |s| billing::life::add_line(s, &id, &line.0, &line.1, By { who: &who, at })).await?,
    ))
}

/// Removes the N-th line (from 1) of a draft, a manual one.
#[utoipa::path(delete, path = "/api/v1/invoices/{id}/lines/{n}", params(("id" = String, Path), ("n" = usize, Path)),
    responses((status = 200, body = InvoiceDoc), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn remove_line(
    State(app): State<App>,
    caller: Caller,
    Path((id, n)): Path<(String, usize)>,
) -> Answer<InvoiceDoc> {
    let (who, at) = (caller.actor(), crate::clock::now());
    Ok(Json(billing::run!(app.billing, |s| billing::life::remove_line(s, &id, n, By { who: &who, at })).await?))
}

/// What to sync: one customer (or every customer with a domain), one source (or all), days.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SyncBody {
    customer: Option<String>,
    source: Option<String>,
    from: String,
    to: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StartedSyncs {
    /// The jobs started so far: the first at once; the others follow it (see /jobs).
    jobs: Vec<JobDoc>,
}

/// Starts pulling phone numbers and call records as jobs; answers as soon as the first job has
/// started (202), or with every job when all ended at once (200). Follow them at /jobs/{id}.
#[utoipa::path(post, path = "/api/v1/syncs", request_body = SyncBody,
    responses((status = 202, body = StartedSyncs), (status = 200, body = StartedSyncs), (status = 409, body = ErrorBody)))]
async fn start_sync(
    State(app): State<App>,
    Json(body): Json<SyncBody>,
) -> Result<(StatusCode, Json<StartedSyncs>), ApiError> {
    let req = SyncRequest {
        from: date("from", &body.from)?,
        to: date("to", &body.to)?,
        customer: body.customer,
        source: body.source,
    };
    match super::syncs::begin(&app, req).await? {
        super::syncs::Begun::Started(job) => Ok((StatusCode::ACCEPTED, Json(StartedSyncs { jobs: vec![*job] }))),
        super::syncs::Begun::Ended(jobs) => Ok((StatusCode::OK, Json(StartedSyncs { jobs }))),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobParams {
    customer: Option<String>,
    /// At most this many, newest first (50 by default).
    limit: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobsDoc {
    jobs: Vec<AnyJob>,
}

/// Jobs of every kind, newest first (`meter jobs list --format json`).
#[utoipa::path(get, path = "/api/v1/jobs", params(JobParams), responses((status = 200, body = JobsDoc)))]
async fn jobs(State(app): State<App>, Query(p): Query<JobParams>) -> Answer<JobsDoc> {
    let limit = p.limit.unwrap_or(50).clamp(1, 1000);
    let jobs = billing::run!(app.billing, |s| billing::runs::list(s, p.customer.as_deref(), Some(limit))).await?;
    Ok(Json(JobsDoc { jobs }))
}

/// One job with its progress (`meter jobs show --format json`).
#[utoipa::path(get, path = "/api/v1/jobs/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = AnyJob), (status = 404, body = ErrorBody)))]
async fn job(State(app): State<App>, Path(id): Path<i64>) -> Answer<AnyJob> {
    Ok(Json(billing::run!(app.billing, |s| billing::runs::show(s, id)).await?))
}

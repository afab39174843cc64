//! Settings (admins only): the seller's details saved together (`meter settings set`, all or
//! none), the metered sources and their credentials (`meter sources set`; secrets are
//! write-only), and the users and API tokens (see [`access`]).

mod access;

use super::super::auth::Staff;
use super::super::App;
use super::figures::{failure, sentence};
use super::{csrf, notice, page, problem};
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use billing::access::{Permission, TokenInfo, UserInfo};
use billing::metered::settings::{Shown as SourceShown, SourceConfig};
use billing::settings::{NewValue, SettingDoc};
use billing::BillingError;
use maud::{html, Markup};
use secrecy::SecretString;
use serde::Deserialize;
use std::collections::HashMap;

/// The largest logo upload read (the setting takes at most 1 MiB; a larger one is refused by
/// billing, with its size).
const MAX_UPLOAD: usize = 4 * 1024 * 1024;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/settings", get(settings))
        .route("/settings/details", post(save_details).layer(DefaultBodyLimit::max(MAX_UPLOAD)))
        .route("/settings/sources", post(save_source))
        .merge(access::routes())
}

/// Everything here needs an admin: anyone else gets a 403 page.
fn refused(staff: &Staff) -> Option<Response> {
    (!staff.may(Permission::Admin)).then(|| {
        let message = format!("Only an admin may see or change the settings; you are a {}.", staff.user.role.as_str());
        problem(staff, StatusCode::FORBIDDEN, "Not allowed", &message)
    })
}

/// What a change did, as the redirect after it says (`?done=`).
#[derive(Debug, Default, Deserialize)]
struct Done {
    #[serde(default)]
    done: String,
    #[serde(default)]
    who: String,
}

impl Done {
    fn message(&self) -> Option<String> {
        let who = &self.who;
        Some(match self.done.as_str() {
            "details" => "The seller's details are saved.".into(),
            "source" => format!("The settings of source {who} are saved."),
            "user_added" => format!("User {who} added."),
            "role" => format!("The role of {who} is changed; their sessions ended."),
            "disabled" => format!("{who} is disabled and signed out."),
            "enabled" => format!("{who} may sign in again."),
            "password" => format!("The password of {who} is changed; their sessions ended."),
            "revoked" => format!("Token {who} is revoked: it lets nothing in from now on."),
            _ => return None,
        })
    }
}

/// What a page shows besides the stored state: a notice, what was typed in a refused form, a
/// token just made.
#[derive(Default)]
pub(super) struct Extra {
    status: Option<StatusCode>,
    notice: Option<(&'static str, String)>,
    /// The details form as typed, when it was refused.
    details: Option<HashMap<String, String>>,
    /// The source form as typed (secrets left out), when it was refused.
    source: Option<SourceForm>,
    token: Option<(TokenInfo, String)>,
}

impl Extra {
    pub(super) fn bad(status: StatusCode, message: String) -> Extra {
        Extra { status: Some(status), notice: Some(("bad", message)), ..Extra::default() }
    }
}

/// What the page reads.
struct Stored {
    settings: Vec<SettingDoc>,
    sources: Vec<SourceShown>,
    users: Vec<UserInfo>,
    tokens: Vec<TokenInfo>,
}

async fn settings(State(app): State<App>, staff: Staff, Query(done): Query<Done>) -> Response {
    if let Some(r) = refused(&staff) {
        return r;
    }
    let notice = done.message().map(|m| ("ok", m));
    render(&app, &staff, Extra { notice, ..Extra::default() }).await
}

/// The page, with `extra`.
pub(super) async fn render(app: &App, staff: &Staff, extra: Extra) -> Response {
    let key = app.key.clone();
    let read = billing::run!(app.billing, |s| Ok::<_, BillingError>(Stored {
        settings: billing::settings::list(s)?,
        sources: billing::metered::settings::list(s, key.as_ref())?,
        users: billing::access::list_users(s)?,
        tokens: billing::access::list_tokens(s)?,
    }))
    .await;
    let stored = match read {
        Ok(s) => s,
        Err(e) => {
            let (s, m) = failure(e);
            return problem(staff, s, "Settings", &m);
        }
    };
    let body = html! {
        @if let Some((kind, m)) = &extra.notice { (notice(kind, m)) }
        @if let Some((t, secret)) = &extra.token { (access::new_token(t, secret)) }
        nav aria-label="On this page" {
            p { a href="#details" { "Seller's details" } " · " a href="#sources" { "Sources" } " · " a href="#users" { "Users" } " · " a href="#tokens" { "API tokens" } }
        }
        (details(staff, &stored.settings, extra.details.as_ref()))
        (sources(staff, app.key.is_some(), &stored.sources, extra.source.as_ref()))
        (access::users(staff, &stored.users))
        (access::tokens(staff, &stored.tokens))
    };
    (extra.status.unwrap_or(StatusCode::OK), page(staff, "Settings", "/settings", body)).into_response()
}

/// The seller's details' fields: (setting, label, what kind of input).
const DETAILS: [(&str, &str, &str); 7] = [
    ("company_name", "Company name", "text"),
    ("company_address", "Address", "area"),
    ("tax_id", "Tax id", "text"),
    ("invoice_prefix", "Invoice number prefix", "text"),
    ("payment_terms", "Payment terms (days)", "number"),
    ("footer", "Invoice footer", "area"),
    ("paper", "Paper", "paper"),
];

fn label_of(name: &str) -> &str {
    if name == "logo_file" {
        return "Logo";
    }
    DETAILS.iter().find(|(n, ..)| *n == name).map_or(name, |(_, label, _)| label)
}

fn details(staff: &Staff, settings: &[SettingDoc], typed: Option<&HashMap<String, String>>) -> Markup {
    let stored = |name: &str| settings.iter().find(|s| s.name == name);
    // A field shows what was typed, else the stored value; a default shows as the placeholder.
    let value = |name: &str| match typed {
        Some(t) => t.get(name).cloned().unwrap_or_default(),
        None => stored(name).filter(|s| s.set).and_then(|s| s.value.clone()).unwrap_or_default(),
    };
    let default = |name: &str| stored(name).filter(|s| !s.set).and_then(|s| s.value.clone()).unwrap_or_default();
    let logo = stored("logo_file").filter(|s| s.set);
    let action = format!("/settings/details?_csrf={}", staff.user.csrf);
    html! {
        h2 #details { "Seller's details" }
        form.card.fields method="post" action=(action) enctype="multipart/form-data" {
            p.muted { "Shown on every invoice document. An empty field removes the setting: its default (shown greyed) applies." }
            @for (name, label, kind) in DETAILS {
                @let id = format!("s-{name}");
                label for=(id) { (label) }
                @match kind {
                    "area" => { textarea #(id) name=(name) rows="3" { (value(name)) } }
                    "number" => { input #(id) type="number" name=(name) min="0" max="36500" value=(value(name)) placeholder=(default(name)); }
                    "paper" => {
                        select #(id) name=(name) {
                            option value="" selected[value(name).is_empty()] { "Default (" (default(name)) ")" }
                            @for p in ["a4", "letter"] { option value=(p) selected[value(name) == p] { (p) } }
                        }
                    }
                    _ => { input #(id) type="text" name=(name) value=(value(name)) placeholder=(default(name)); }
                }
            }
            label for="s-logo" { "Logo (PNG, JPEG or SVG, at most 1 MiB)" }
            input #s-logo type="file" name="logo_file" accept="image/png,image/jpeg,image/svg+xml" aria-describedby="s-logo-now";
            p.muted #s-logo-now {
                @match logo {
                    Some(l) => {
                        "Now: " (l.value.clone().unwrap_or_default()) ", "
                        (l.media_type.clone().unwrap_or_default()) ", " (l.bytes.unwrap_or(0)) " bytes. Choose a file to replace it."
                    }
                    None => "No logo now.",
                }
            }
            @if logo.is_some() {
                label.check { input type="checkbox" name="remove_logo" value="yes"; " Remove the logo" }
            }
            div.actions { button type="submit" { "Save details" } }
        }
    }
}

/// Saves every field of the details form at once, as `settings set` would one by one: all or
/// none, the first bad one named.
async fn save_details(
    State(app): State<App>,
    staff: Staff,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    if let Some(r) = refused(&staff) {
        return r;
    }
    let (fields, logo) = match read_form(multipart).await {
        Ok(f) => f,
        Err(why) => return render(&app, &staff, Extra::bad(StatusCode::BAD_REQUEST, why)).await,
    };
    let mut values: Vec<(&str, NewValue)> = Vec::new();
    for (name, ..) in DETAILS {
        if let Some(v) = fields.get(name) {
            values.push((name, NewValue::Text(v.trim().replace("\r\n", "\n"))));
        }
    }
    match logo {
        Some((file, bytes)) => values.push(("logo_file", NewValue::Logo { file, bytes })),
        None if fields.get("remove_logo").is_some_and(|v| v == "yes") => {
            values.push(("logo_file", NewValue::Text(String::new())))
        }
        None => {}
    }
    let now = crate::clock::now();
    let saved = billing::run!(app.billing, |s| billing::settings::set_many(s, &values, now)).await;
    match saved {
        Ok(_) => Redirect::to("/settings?done=details#details").into_response(),
        Err(e) => {
            let message = match &e {
                BillingError::BadSetting { name, reason } => format!("{} ({name}): {reason}.", label_of(name)),
                _ => failure(e).1,
            };
            let status = StatusCode::BAD_REQUEST;
            let extra = Extra { details: Some(fields), ..Extra::bad(status, format!("Not saved: {message}")) };
            render(&app, &staff, extra).await
        }
    }
}

/// The text fields of a multipart form, and its `logo_file` upload if a file was chosen.
async fn read_form(
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(HashMap<String, String>, Option<(String, Vec<u8>)>), String> {
    let mut multipart = multipart.map_err(|e| format!("The form is not an upload ({}).", e.body_text()))?;
    let broke = |e: axum::extract::multipart::MultipartError| format!("The upload broke off ({e}).");
    let (mut fields, mut logo) = (HashMap::new(), None);
    while let Some(field) = multipart.next_field().await.map_err(broke)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "logo_file" {
            let file = field.file_name().unwrap_or_default().to_owned();
            let bytes = field.bytes().await.map_err(broke)?;
            if !(file.is_empty() && bytes.is_empty()) {
                logo = Some((file, bytes.to_vec()));
            }
        } else {
            fields.insert(name, field.text().await.map_err(broke)?);
        }
    }
    Ok((fields, logo))
}

/// A source's form: the settings `meter sources set` takes, secrets included (empty: keep).
#[derive(Debug, Default, Clone, Deserialize)]
struct SourceForm {
    #[serde(default)]
    source: String,
    /// For a new source only: `netsapiens` or `brightlink`.
    #[serde(default)]
    platform: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    api_version: String,
    #[serde(default)]
    timeout: String,
    #[serde(default)]
    client_secret: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    api_key: String,
    #[serde(default)]
    allow_insecure: Option<String>,
}

impl SourceForm {
    /// The form without its secrets, to show again.
    fn without_secrets(&self) -> SourceForm {
        SourceForm { client_secret: String::new(), password: String::new(), api_key: String::new(), ..self.clone() }
    }

    /// The source's name, its platform if new, and its settings; or what is wrong.
    fn parse(&self) -> Result<(String, Option<store::Platform>, SourceConfig), String> {
        let given = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        let secret = |v: &str| (!v.is_empty()).then(|| SecretString::from(v.to_owned()));
        let name = given(&self.source).ok_or("Name: give the source's name.")?;
        let platform = match self.platform.trim() {
            "" => None,
            "netsapiens" => Some(store::Platform::Netsapiens),
            "brightlink" => Some(store::Platform::Brightlink),
            other => return Err(format!("Platform: `{other}` is neither netsapiens nor brightlink.")),
        };
        let api_version = match given(&self.api_version) {
            Some(v) => Some(v.parse::<sources::ApiVersion>().map_err(|e| format!("API version: {e}."))?),
            None => None,
        };
        let timeout_secs = match given(&self.timeout) {
            Some(t) => Some(
                t.parse::<u64>()
                    .ok()
                    .filter(|t| *t > 0)
                    .ok_or(format!("Timeout: `{t}` is not a whole number of seconds."))?,
            ),
            None => None,
        };
        let cfg = SourceConfig {
            url: given(&self.url).ok_or("URL: give the platform's URL.")?,
            client_id: given(&self.client_id),
            username: given(&self.username),
            api_version,
            timeout_secs,
            client_secret: secret(&self.client_secret),
            password: secret(&self.password),
            api_key: secret(&self.api_key),
            allow_cleartext: self.allow_insecure.is_some(),
        };
        Ok((name, platform, cfg))
    }
}

fn sources(staff: &Staff, has_key: bool, shown: &[SourceShown], typed: Option<&SourceForm>) -> Markup {
    html! {
        h2 #sources { "Sources" }
        @if !has_key {
            (notice("warn", "This server has no secret key (METER_SECRET_KEY or METER_SECRET_KEY_FILE): the sources' secrets cannot be opened or saved here. Start the server with the key the settings were saved with (see docs/operations.md)."))
        }
        @if shown.is_empty() { p.muted { "No metered source is configured: calls come from imported files." } }
        @for s in shown {
            @let st = &s.settings;
            div.card {
                h3 { (st.source) " " span.muted { "(" (s.platform) ")" } }
                dl.facts {
                    dt { "URL" } dd { (st.url) }
                    dt { (if s.platform == "brightlink" { "API key" } else { "Client id" }) } dd { (st.client_id.clone().unwrap_or_else(|| "not set".into())) }
                    dt { "Username" } dd { (st.username.clone().unwrap_or_else(|| "not set".into())) }
                    @if s.platform == "netsapiens" { dt { "API version" } dd { (st.api_version) } }
                    dt { "Timeout" } dd { (st.timeout_secs) " s" }
                    dt { (secret_label(s.platform)) } dd { (secret_state(&st.client_secret, &st.client_secret_changed_at)) }
                    dt { "Password" } dd { (secret_state(&st.password, &st.password_changed_at)) }
                    @if s.platform == "netsapiens" { dt { "API key (v2)" } dd { (secret_state(&st.api_key, &st.api_key_changed_at)) } }
                    dt { "Secrets sealed" } dd { (match s.key_is_current {
                        Some(true) => "with this server's key",
                        Some(false) => "with another key: give every secret again",
                        None => "this server has no key to open them",
                    }) }
                    dt { "Saved" } dd { (st.updated_at) }
                }
                @if has_key {
                    @let form = typed.filter(|t| t.source == st.source).cloned().unwrap_or_else(|| SourceForm {
                        source: st.source.clone(),
                        url: st.url.clone(),
                        client_id: st.client_id.clone().unwrap_or_default(),
                        username: st.username.clone().unwrap_or_default(),
                        api_version: st.api_version.clone(),
                        timeout: st.timeout_secs.to_string(),
                        ..SourceForm::default()
                    });
                    details open[typed.is_some_and(|t| t.source == st.source)] {
                        summary { "Edit " (st.source) }
                        (source_form(staff, &form, Some(s.platform)))
                    }
                }
            }
        }
        @if has_key {
            @let fresh = typed.filter(|t| !shown.iter().any(|s| s.settings.source == t.source)).cloned();
            details.card open[fresh.is_some()] {
                summary { "Add a source" }
                (source_form(staff, &fresh.unwrap_or_default(), None))
            }
        }
    }
}

fn secret_label(platform: &str) -> &'static str {
    if platform == "brightlink" {
        "API secret"
    } else {
        "Client secret"
    }
}

/// A secret as shown: only whether it is set, and since when.
fn secret_state(value: &Option<String>, changed: &Option<String>) -> String {
    match (value, changed) {
        (Some(_), Some(at)) => format!("set (given {at})"),
        (Some(_), None) => "set".into(),
        (None, _) => "not set".into(),
    }
}

/// The form of a source: `platform` its platform if it is configured, `None` for a new one.
fn source_form(staff: &Staff, f: &SourceForm, platform: Option<&str>) -> Markup {
    let id = |field: &str| format!("src-{}-{field}", if platform.is_some() { f.source.as_str() } else { "new" });
    let netsapiens = platform != Some("brightlink");
    html! {
        form.fields method="post" action="/settings/sources" {
            (csrf(staff))
            @if platform.is_some() {
                input type="hidden" name="source" value=(f.source);
            } @else {
                label for=(id("source")) { "Name (netsapiens, brightlink, or your own for another instance)" }
                input #(id("source")) type="text" name="source" value=(f.source) required;
                label for=(id("platform")) { "Platform" }
                select #(id("platform")) name="platform" {
                    @for p in ["netsapiens", "brightlink"] { option value=(p) selected[f.platform == p] { (p) } }
                }
            }
            label for=(id("url")) { "URL" }
            input #(id("url")) type="url" name="url" value=(f.url) required;
            label for=(id("client_id")) { "Client id (Brightlink: API key)" }
            input #(id("client_id")) type="text" name="client_id" value=(f.client_id);
            label for=(id("username")) { "Username" }
            input #(id("username")) type="text" name="username" value=(f.username) autocomplete="off";
            @if netsapiens {
                label for=(id("api_version")) { "API version (NetSapiens)" }
                select #(id("api_version")) name="api_version" {
                    @for v in ["auto", "v1", "v2"] { option value=(v) selected[f.api_version == v] { (v) } }
                }
            }
            label for=(id("timeout")) { "Timeout (seconds)" }
            input #(id("timeout")) type="number" name="timeout" min="1" value=(f.timeout) placeholder="30";
            p.muted { "Secrets are never shown: leave a field empty to keep the saved one." }
            label for=(id("client_secret")) { "Client secret (Brightlink: API secret)" }
            input #(id("client_secret")) type="password" name="client_secret" autocomplete="new-password";
            label for=(id("password")) { "Password" }
            input #(id("password")) type="password" name="password" autocomplete="new-password";
            @if netsapiens {
                label for=(id("api_key")) { "API key (NetSapiens v2, instead of the password)" }
                input #(id("api_key")) type="password" name="api_key" autocomplete="new-password";
            }
            label.check { input type="checkbox" name="allow_insecure" value="yes" checked[f.allow_insecure.is_some()]; " Allow a plain http URL to another host" }
            div.actions { button type="submit" { "Save source" } }
        }
    }
}

/// Saves a source's settings as `meter sources set` does; secrets left empty keep the saved ones.
async fn save_source(State(app): State<App>, staff: Staff, Form(f): Form<SourceForm>) -> Response {
    if let Some(r) = refused(&staff) {
        return r;
    }
    let refuse = |status, message: String| Extra {
        source: Some(f.without_secrets()),
        ..Extra::bad(status, format!("Source not saved: {message}"))
    };
    let (name, platform, cfg) = match f.parse() {
        Ok(p) => p,
        Err(why) => return render(&app, &staff, refuse(StatusCode::BAD_REQUEST, why)).await,
    };
    let Some(key) = app.key.clone() else {
        let why = "this server has no secret key to seal the secrets with.".to_owned();
        return render(&app, &staff, refuse(StatusCode::SERVICE_UNAVAILABLE, why)).await;
    };
    let now = crate::clock::now();
    let (n, c) = (name.clone(), cfg);
    let saved = billing::run!(app.billing, |s| {
        let (_, cleartext) = billing::metered::settings::check(s, &n, platform, &c)?;
        billing::metered::settings::save(s, &key, (&n, platform), &c, now).map(|_| cleartext)
    })
    .await;
    match saved {
        Ok(None) => {
            let who = url::form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>();
            Redirect::to(&format!("/settings?done=source&who={who}#sources")).into_response()
        }
        Ok(Some(warning)) => {
            let message = format!("The settings of source {name} are saved. Warning: {warning}");
            render(&app, &staff, Extra { notice: Some(("warn", sentence(&message))), ..Extra::default() }).await
        }
        Err(e) => {
            let (status, message) = failure(e);
            render(&app, &staff, refuse(status, message)).await
        }
    }
}

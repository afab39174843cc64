//! The API's errors: a stable `code`, a `message` for people, and the HTTP status they map to.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use billing::BillingError;
use serde::Serialize;
use utoipa::ToSchema;

/// An error answered as `{"error": {"code", "message"}}`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDoc,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDoc {
    /// Stable, for programs: e.g. `unknown_customer`, `nothing_to_bill`, `unauthorized`.
    pub code: String,
    /// For people.
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into() }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// A document that could not be rendered: billing's error as it maps, or the renderer's.
    pub fn from_rendering(e: anyhow::Error) -> ApiError {
        match e.downcast::<BillingError>() {
            Ok(e) => ApiError::from(e),
            Err(e) => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "render_failed", format!("{e:#}")),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(code = self.code, message = %self.message, "request failed");
        }
        let body = ErrorBody { error: ErrorDoc { code: self.code.into(), message: self.message } };
        (self.status, Json(body)).into_response()
    }
}

impl From<BillingError> for ApiError {
    fn from(e: BillingError) -> ApiError {
        use BillingError as E;
        use StatusCode as S;
        let (status, code) = match &e {
            E::UnknownCustomer(_) => (S::NOT_FOUND, "unknown_customer"),
            E::UnknownDeck(_) => (S::NOT_FOUND, "unknown_deck"),
            E::UnknownInvoice(_) => (S::NOT_FOUND, "unknown_invoice"),
            E::UnknownJob(_) => (S::NOT_FOUND, "unknown_job"),
            E::UnknownSource { .. } => (S::NOT_FOUND, "unknown_source"),
            E::UnknownSetting(_) => (S::NOT_FOUND, "unknown_setting"),
            E::NotDraft(..) | E::WrongState { .. } => (S::CONFLICT, "wrong_state"),
            E::NoLine { .. } => (S::NOT_FOUND, "no_line"),
            E::NotManual { .. } => (S::CONFLICT, "not_manual"),
            E::NothingToBill(_) => (S::UNPROCESSABLE_ENTITY, "nothing_to_bill"),
            E::Incomplete(_) => (S::CONFLICT, "incomplete_calls"),
            E::NotEnded { .. } => (S::CONFLICT, "period_not_ended"),
            E::BadAmount { .. } => (S::BAD_REQUEST, "bad_amount"),
            E::BadText { .. } => (S::BAD_REQUEST, "bad_text"),
            E::BadSetting { .. } => (S::BAD_REQUEST, "bad_setting"),
            E::ReversedRange { .. } => (S::BAD_REQUEST, "reversed_range"),
            E::DeckAndCustomer => (S::BAD_REQUEST, "deck_and_customer"),
            E::BadCursor(_) => (S::BAD_REQUEST, "bad_request"),
            E::NoCallDetail { .. } => (S::CONFLICT, "wrong_state"),
            E::File(_) | E::Read { .. } | E::Mapping(_) => (S::UNPROCESSABLE_ENTITY, "bad_file"),
            E::NoSettings { .. } | E::SourceNotConfigured { .. } | E::NoSourceConfigured | E::NoDomain { .. } => {
                (S::CONFLICT, "source_not_configured")
            }
            E::NewSource(_) | E::PlatformChange { .. } | E::BadSourceName { .. } | E::Cleartext(_) => {
                (S::BAD_REQUEST, "bad_source")
            }
            E::BadZone { .. } | E::Deck(_) | E::Overflow { .. } => (S::UNPROCESSABLE_ENTITY, "bad_data"),
            E::Source(_) | E::Sync(_) => (S::BAD_GATEWAY, "source_failed"),
            E::KeyMissing | E::Sealed { .. } | E::Secret(_) => (S::SERVICE_UNAVAILABLE, "secret_key"),
            E::BadEmail { .. } | E::BadPassword { .. } | E::UnknownRole(_) | E::BadTokenName { .. } => {
                (S::BAD_REQUEST, "bad_request")
            }
            E::UserExists(_) => (S::CONFLICT, "user_exists"),
            E::UnknownUser(_) => (S::NOT_FOUND, "unknown_user"),
            E::UnknownToken(_) => (S::NOT_FOUND, "unknown_token"),
            E::SignInFailed => (S::UNAUTHORIZED, "sign_in_failed"),
            E::SignInLimited { .. } => (S::TOO_MANY_REQUESTS, "sign_in_limited"),
            E::Store(_) | E::Encode { .. } | E::Crypto(_) => (S::INTERNAL_SERVER_ERROR, "internal"),
        };
        ApiError::new(status, code, e.to_string())
    }
}

impl From<store::PoolError> for ApiError {
    fn from(e: store::PoolError) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "database_unavailable", e.to_string())
    }
}

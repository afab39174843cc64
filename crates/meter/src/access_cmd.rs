//! The commands of who may use the web app and the JSON API: `users add|list|set-password|set`
//! and `tokens create|list|revoke`.

use crate::cli::{Format, TokensCommand, UsersCommand};
use crate::escape::printable;
use crate::failure::Usage;
use crate::output;
use crate::stdout::{note, outln};
use anyhow::{Context, Result};
use billing::access::{self, TokenInfo, UserInfo};
use std::io::IsTerminal;
use store::Store;

/// Where a password is read from when it is not asked for on a terminal.
const PASSWORD_VAR: &str = "METER_USER_PASSWORD";

pub fn users<S: Store>(store: &mut S, cmd: UsersCommand) -> Result<()> {
    let now = crate::clock::now();
    match cmd {
        UsersCommand::Add { email, role, format } => {
            // A bad email is refused before the password is asked for.
            let email = access::normalize_email(&email)?;
            let password = password(&email)?;
            let user = access::add_user(store, &email, role.into(), &password, now)?;
            match format {
                Format::Json => output::json(&user)?,
                Format::Text => outln!("added user {} ({})", printable(&user.email), user.role)?,
            }
        }
        UsersCommand::List { format } => {
            let list = access::list_users(store)?;
            match format {
                Format::Json => output::json(&serde_json::json!({ "users": list }))?,
                Format::Text if list.is_empty() => outln!("no users (meter users add EMAIL --role admin)")?,
                Format::Text => users_table(&list)?,
            }
        }
        UsersCommand::SetPassword { email } => {
            let email = access::normalize_email(&email)?;
            let password = password(&email)?;
            let user = access::set_password(store, &email, &password)?;
            outln!("changed the password of {}; the user's sessions ended", printable(&user.email))?;
        }
        UsersCommand::Set { email, role, disable, enable, format } => {
            let disabled = if disable { Some(true) } else { enable.then_some(false) };
            let user = access::set_user(store, &email, role.map(Into::into), disabled)?;
            match format {
                Format::Json => output::json(&user)?,
                Format::Text => {
                    let state = if user.disabled { ", disabled: the user's sessions ended" } else { "" };
                    outln!("user {}: {}{state}", printable(&user.email), user.role)?;
                }
            }
        }
    }
    Ok(())
}

pub fn tokens<S: Store>(store: &mut S, cmd: TokensCommand) -> Result<()> {
    let now = crate::clock::now();
    match cmd {
        TokensCommand::Create { role, name } => {
            let by = crate::actor::actor();
            let (token, secret) = access::create_token(store, role.into(), name.as_deref(), &by, now)?;
            // The token alone on stdout, for `> token.txt` or a variable; what it is on stderr.
            outln!("{secret}")?;
            note!("created API token {} ({}{}); it is shown only this once", token.id, token.role, name_part(&token));
        }
        TokensCommand::List { format } => {
            let list = access::list_tokens(store)?;
            match format {
                Format::Json => output::json(&serde_json::json!({ "tokens": list }))?,
                Format::Text if list.is_empty() => outln!("no API tokens (meter tokens create --role ROLE)")?,
                Format::Text => tokens_table(&list)?,
            }
        }
        TokensCommand::Revoke { id, format } => {
            let token = access::revoke_token(store, id, now)?;
            match format {
                Format::Json => output::json(&token)?,
                Format::Text => outln!(
                    "revoked API token {} ({}{}) at {}",
                    token.id,
                    token.role,
                    name_part(&token),
                    token.revoked_at.as_deref().unwrap_or("-")
                )?,
            }
        }
    }
    Ok(())
}

/// `, "NAME"` when the token has a name.
fn name_part(token: &TokenInfo) -> String {
    token.name.as_deref().map_or_else(String::new, |n| format!(", \"{}\"", printable(n)))
}

/// The password for `email`: `METER_USER_PASSWORD`, else typed twice on a terminal.
fn password(email: &str) -> Result<String> {
    if let Some(value) = std::env::var_os(PASSWORD_VAR) {
        return value.into_string().map_err(|_| Usage(format!("{PASSWORD_VAR} is not UTF-8")).into());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Usage(format!(
            "no password given: set {PASSWORD_VAR}, or run the command on a terminal to be asked for it"
        ))
        .into());
    }
    let first = rpassword::prompt_password(format!("password for {email} (at least 8 characters): "))
        .context("reading the password")?;
    let again = rpassword::prompt_password("the same password again: ").context("reading the password")?;
    if first != again {
        return Err(Usage("the two passwords typed differ: nothing was changed".into()).into());
    }
    Ok(first)
}

fn users_table(list: &[UserInfo]) -> Result<()> {
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|u| {
            let state = if u.disabled { "disabled" } else { "" };
            vec![
                u.id.to_string(),
                printable(&u.email).into_owned(),
                u.role.to_string(),
                u.created_at.clone(),
                state.into(),
            ]
        })
        .collect();
    output::table(&["Id", "Email", "Role", "Added", ""], &rows)
}

fn tokens_table(list: &[TokenInfo]) -> Result<()> {
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|t| {
            vec![
                t.id.to_string(),
                printable(t.name.as_deref().unwrap_or("-")).into_owned(),
                t.role.to_string(),
                t.created_at.clone(),
                printable(&t.created_by).into_owned(),
                t.revoked_at.as_ref().map_or_else(String::new, |at| format!("revoked {at}")),
            ]
        })
        .collect();
    output::table(&["Id", "Name", "Role", "Created", "By", ""], &rows)
}

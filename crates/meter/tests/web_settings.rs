//! The Settings page of `meter serve` (admins only): the seller's details saved together as
//! `meter settings list` then lists them, a bad value refused with its field named and nothing
//! saved; a source saved as `meter sources set` saves it, its secrets never on a page; users
//! added and changed as `meter users` does; a token shown once, working, then revoked. A billing
//! or viewer user gets 403 everywhere here. Real HTTP against the real binary, on both backends.

mod common;

use common::server::{field, Server};
use common::web::{text, Serving, Shown};
use common::*;
use serde_json::Value;

on_both_backends! {
    the_sellers_details_are_saved_together_as_settings_list_shows_them,
    a_source_is_saved_and_its_secrets_never_shown,
    users_and_tokens_are_managed_and_a_token_is_shown_once,
    only_an_admin_reaches_the_settings,
}

/// The smallest PNG header the logo check reads.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

/// `settings list --format json` as name → (value, set).
fn settings(env: &Env) -> Vec<(String, Value, bool)> {
    let listed = env.meter(&["settings", "list", "--format", "json"]).json();
    let all = listed.as_array().or(listed["settings"].as_array()).expect("settings").clone();
    all.iter()
        .map(|s| (s["name"].as_str().unwrap_or_default().to_owned(), s["value"].clone(), s["set"] == true))
        .collect()
}

fn value_of(list: &[(String, Value, bool)], name: &str) -> (Value, bool) {
    let (_, v, set) = list.iter().find(|(n, ..)| n == name).expect("the setting");
    (v.clone(), *set)
}

fn the_sellers_details_are_saved_together_as_settings_list_shows_them(backend: Backend) {
    let env = Env::seeded_on(backend);
    let server = Serving::new(Server::start(&env, &["--no-scheduler"], &[]));
    let admin = server.sign_in(&env, "admin@example.com", "admin");
    let page = admin.get("/settings");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("placeholder=\"INV-\""), "defaults show as placeholders: {}", page.body);

    let form: [(&str, Option<&str>, &[u8]); 8] = [
        ("company_name", None, b"Acme Telecom LLC"),
        ("company_address", None, b"1 Main Street\r\nSpringfield"),
        ("tax_id", None, b"US-123"),
        ("invoice_prefix", None, b"ACME-"),
        ("payment_terms", None, b"15"),
        ("footer", None, b""),
        ("paper", None, b"letter"),
        ("logo_file", Some("logo.png"), PNG),
    ];
    let forged = admin.multipart("/settings/details", &form, false);
    assert!(forged.status == 403 && forged.has("Form refused"), "{}", forged.body);
    let saved = admin.multipart("/settings/details", &form, true);
    assert_eq!(saved.status, 303, "{}", saved.body);
    let list = settings(&env);
    let want = [
        ("company_name", "Acme Telecom LLC"),
        ("company_address", "1 Main Street\nSpringfield"),
        ("tax_id", "US-123"),
        ("invoice_prefix", "ACME-"),
        ("payment_terms", "15"),
        ("paper", "letter"),
        ("logo_file", "logo.png"),
    ];
    for (name, value) in want {
        assert_eq!(value_of(&list, name), (Value::from(value), true), "{name}");
    }
    assert!(!value_of(&list, "footer").1, "an empty field sets nothing");
    let listed = env.meter(&["settings", "list", "--format", "json"]).json();
    let all = listed.as_array().or(listed["settings"].as_array()).expect("settings").clone();
    let logo = all.iter().find(|s| s["name"] == "logo_file").expect("the logo");
    assert_eq!((&logo["media_type"], &logo["bytes"]), (&Value::from("image/png"), &Value::from(PNG.len())));

    // The page shows what is stored.
    let page = admin.get(saved.location.as_deref().expect("back to the settings"));
    assert!(page.has("The seller's details are saved."), "{}", page.body);
    for (name, value) in [("company_name", "Acme Telecom LLC"), ("tax_id", "US-123"), ("invoice_prefix", "ACME-")] {
        assert_eq!(field(&page.body, name).as_deref(), Some(value), "{name}");
    }
    assert!(page.has(&format!("logo.png, image/png, {} bytes", PNG.len())), "{}", text(&page.body));

    // A bad prefix refuses the whole form, naming the field; nothing changes.
    let bad: [(&str, Option<&str>, &[u8]); 2] =
        [("company_name", None, b"Other Name"), ("invoice_prefix", None, b"D-")];
    let refused = admin.multipart("/settings/details", &bad, true);
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.has("Not saved: Invoice number prefix (invoice_prefix):"), "{}", text(&refused.body));
    assert_eq!(field(&refused.body, "company_name").as_deref(), Some("Other Name"), "what was typed stays");
    assert_eq!(settings(&env), list, "nothing saved");
    // A logo that is no image, the same.
    let bad: [(&str, Option<&str>, &[u8]); 2] =
        [("tax_id", None, b"X"), ("logo_file", Some("logo.gif"), b"GIF89a....")];
    let refused = admin.multipart("/settings/details", &bad, true);
    assert!(refused.status == 400 && refused.has("Logo (logo_file): not a PNG, JPEG or SVG image"), "{}", refused.body);
    assert_eq!(settings(&env), list, "nothing saved");

    // The logo removed, the terms back to their default.
    let reset: [(&str, Option<&str>, &[u8]); 2] = [("payment_terms", None, b""), ("remove_logo", None, b"yes")];
    assert_eq!(admin.multipart("/settings/details", &reset, true).status, 303);
    let after = settings(&env);
    assert_eq!(value_of(&after, "payment_terms"), (Value::from("30"), false));
    assert!(!value_of(&after, "logo_file").1);
    assert_eq!(value_of(&after, "company_name"), (Value::from("Acme Telecom LLC"), true), "fields not sent stay");
}

/// `sources list --format json`: the source named `name`.
fn source(env: &Env, name: &str) -> Value {
    let listed = env.meter(&["sources", "list", "--format", "json"]).json();
    let all = listed["sources"].as_array().expect("sources").clone();
    all.into_iter().find(|s| s["source"] == name).unwrap_or(Value::Null)
}

fn a_source_is_saved_and_its_secrets_never_shown(backend: Backend) {
    let env = Env::seeded_on(backend);
    let secrets = [("METER_SOURCE_CLIENT_SECRET", "client-secret-one"), ("METER_SOURCE_PASSWORD", "password-two")];
    let args =
        ["sources", "set", "netsapiens", "--url", "https://pbx.example.net", "--client-id", "cid", "--username", "u"];
    env.meter_with_env(&args, &secrets).assert_ok();
    let before = source(&env, "netsapiens");
    let server = Serving::new(Server::start(&env, &["--no-scheduler"], &[]));
    let admin = server.sign_in(&env, "admin@example.com", "admin");

    let page = admin.get("/settings");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.has("https://pbx.example.net") && text(&page.body).contains("Password set"), "{}", text(&page.body));
    assert!(text(&page.body).contains("Secrets sealed with this server's key"), "{}", text(&page.body));

    // Saved with the secrets left empty: they are kept.
    let form = [
        ("source", "netsapiens"),
        ("url", "https://pbx2.example.net"),
        ("client_id", "cid2"),
        ("username", "u2"),
        ("api_version", "v2"),
        ("timeout", "20"),
        ("client_secret", ""),
        ("password", ""),
        ("api_key", ""),
    ];
    assert_eq!(admin.post("/settings/sources", &form, false).status, 403);
    let saved = admin.post("/settings/sources", &form, true);
    assert_eq!(saved.status, 303, "{}", saved.body);
    let after = source(&env, "netsapiens");
    for (k, v) in
        [("url", "https://pbx2.example.net"), ("client_id", "cid2"), ("username", "u2"), ("api_version", "v2")]
    {
        assert_eq!(after[k], v, "{after:#}");
    }
    assert_eq!(after["timeout_secs"], 20);
    assert_eq!((&after["client_secret"], &after["password"]), (&Value::from("set"), &Value::from("set")));
    assert_eq!(after["password_changed_at"], before["password_changed_at"], "the password is kept");
    let page = admin.get(saved.location.as_deref().expect("back"));
    assert!(page.has("The settings of source netsapiens are saved."), "{}", page.body);

    // A new password is taken, and shown nowhere.
    let mut form = form.to_vec();
    form[7] = ("password", "password-three");
    assert_eq!(admin.post("/settings/sources", &form, true).status, 303);
    assert_ne!(source(&env, "netsapiens")["password_changed_at"], before["password_changed_at"]);
    // A new source of another platform.
    let new = [
        ("source", "brightlink"),
        ("platform", "brightlink"),
        ("url", "https://bl.example.com/brightlink/"),
        ("client_id", "bl-key"),
        ("username", "bl-user"),
        ("client_secret", "bl-secret-four"),
        ("password", "bl-password-five"),
    ];
    let added = admin.post("/settings/sources", &new, true);
    assert_eq!(added.status, 303, "{}", added.body);
    assert_eq!(source(&env, "brightlink")["client_secret"], "set");
    // Plain http to another host is refused, as `sources set` refuses it.
    let mut plain = form.clone();
    plain[1] = ("url", "http://pbx.example.net");
    let refused = admin.post("/settings/sources", &plain, true);
    assert!(refused.status == 400 && refused.has("Source not saved"), "{}", refused.body);

    for page in [admin.get("/settings"), refused] {
        for secret in ["client-secret-one", "password-two", "password-three", "bl-secret-four", "bl-password-five"] {
            assert!(!page.body.contains(secret), "`{secret}` on the page");
        }
    }
}

/// `users list --format json`: the user with this email.
fn user(env: &Env, email: &str) -> Value {
    let listed = env.meter(&["users", "list", "--format", "json"]).json();
    let all = listed.as_array().or(listed["users"].as_array()).expect("users").clone();
    all.into_iter().find(|u| u["email"] == email).unwrap_or(Value::Null)
}

fn users_and_tokens_are_managed_and_a_token_is_shown_once(backend: Backend) {
    let env = Env::seeded_on(backend);
    let server = Serving::new(Server::start(&env, &["--no-scheduler"], &[]));
    let admin = server.sign_in(&env, "admin@example.com", "admin");
    let (email, password) = ("new@example.com", "a brand new password");

    // Added: it can sign in.
    let added = admin.post("/settings/users", &[("email", email), ("role", "billing"), ("password", password)], true);
    assert_eq!(added.status, 303, "{}", added.body);
    assert_eq!(user(&env, email)["role"], "billing");
    assert_eq!(server.try_sign_in(email, password).status, 303);
    let short =
        admin.post("/settings/users", &[("email", "x@example.com"), ("role", "viewer"), ("password", "short")], true);
    assert!(short.status == 400 && short.has("Not changed:"), "{}", short.body);
    let twice = admin.post("/settings/users", &[("email", email), ("role", "viewer"), ("password", password)], true);
    assert_eq!(twice.status, 409, "{}", twice.body);

    // Its role, state and password changed.
    assert_eq!(admin.post("/settings/users/role", &[("email", email), ("role", "viewer")], true).status, 303);
    assert_eq!(user(&env, email)["role"], "viewer");
    assert_eq!(admin.post("/settings/users/state", &[("email", email), ("state", "disable")], true).status, 303);
    assert_eq!(user(&env, email)["disabled"], true);
    assert_ne!(server.try_sign_in(email, password).status, 303, "a disabled user cannot sign in");
    assert_eq!(admin.post("/settings/users/state", &[("email", email), ("state", "enable")], true).status, 303);
    let other = "another long password";
    assert_eq!(admin.post("/settings/users/password", &[("email", email), ("password", other)], true).status, 303);
    assert_eq!(server.try_sign_in(email, other).status, 303);
    let page = admin.get("/settings");
    let row = page.rows().into_iter().find(|r| r[0] == email).expect("the user's row");
    assert_eq!((&row[1], &row[2]), (&"viewer".to_owned(), &"active".to_owned()), "{row:?}");

    // A token: shown once, working, then revoked.
    let made = admin.post("/settings/tokens", &[("name", "web robot"), ("role", "billing")], true);
    assert_eq!(made.status, 200, "{}", made.body);
    assert!(made.has("Copy it now: it is not shown again."), "{}", made.body);
    let token = field(&made.body, "new-token").or_else(|| {
        let at = made.body.find("value=\"mtr_")? + "value=\"".len();
        Some(made.body[at..].split('"').next()?.to_owned())
    });
    let token = token.filter(|t| t.starts_with("mtr_")).expect("the token on the page");
    let (status, _) = server.with_token(Some(&token)).status(reqwest::Method::GET, "/api/v1/customers");
    assert_eq!(status, 200);
    let listed = env.meter(&["tokens", "list", "--format", "json"]).json();
    let all = listed.as_array().or(listed["tokens"].as_array()).expect("tokens").clone();
    let id = all.iter().find(|t| t["name"] == "web robot").expect("the token")["id"].to_string();
    assert_eq!(all.iter().find(|t| t["name"] == "web robot").expect("the token")["created_by"], "admin@example.com");
    let page = admin.get("/settings");
    assert!(!page.body.contains(&token), "the token is not shown again");
    let revoked = admin.post(&format!("/settings/tokens/{id}/revoke"), &[], true);
    assert_eq!(revoked.status, 303, "{}", revoked.body);
    let (status, _) = server.with_token(Some(&token)).status(reqwest::Method::GET, "/api/v1/customers");
    assert_eq!(status, 401);
    let page = admin.get(revoked.location.as_deref().expect("back"));
    assert!(page.has(&format!("Token {id} is revoked")), "{}", page.body);
}

fn only_an_admin_reaches_the_settings(backend: Backend) {
    let env = Env::seeded_on(backend);
    let server = Serving::new(Server::start(&env, &["--no-scheduler"], &[]));
    for (email, role) in [("bill@example.com", "billing"), ("view@example.com", "viewer")] {
        let staff = server.sign_in(&env, email, role);
        let page = staff.get("/settings");
        assert_eq!(page.status, 403, "{role}: {}", page.body);
        assert!(!staff.get("/rates").body.contains("href=\"/settings\""), "{role} has no Settings link");
        let posts: [(&str, &[(&str, &str)]); 7] = [
            ("/settings/sources", &[("source", "netsapiens"), ("url", "https://pbx.example.net")]),
            (
                "/settings/users",
                &[("email", "x@example.com"), ("role", "admin"), ("password", "a long enough password")],
            ),
            ("/settings/users/role", &[("email", email), ("role", "admin")]),
            ("/settings/users/state", &[("email", email), ("state", "disable")]),
            ("/settings/users/password", &[("email", email), ("password", "a long enough password 2")]),
            ("/settings/tokens", &[("role", "admin")]),
            ("/settings/tokens/1/revoke", &[]),
        ];
        for (path, form) in posts {
            assert_eq!(staff.post(path, form, true).status, 403, "{role} POST {path}");
        }
        let details = staff.multipart("/settings/details", &[("company_name", None, b"Hacked")], true);
        assert_eq!(details.status, 403, "{role}: {}", details.body);
        assert_eq!(user(&env, email)["role"], role, "unchanged");
    }
    assert!(!value_of(&settings(&env), "company_name").1, "nothing saved");
    assert!(user(&env, "x@example.com").is_null());
}

//! Users and API tokens on the command line: `users add|list|set|set-password` and `tokens
//! create|list|revoke`, with what each refuses; a token printed by `tokens create` resolves
//! through billing (as the JSON API will resolve it) until `tokens revoke`.

mod common;

use common::*;

on_both_backends! {
    users_are_added_with_a_password_from_the_environment_and_listed,
    what_users_add_refuses,
    a_created_token_is_printed_alone_listed_without_its_secret_and_revoked,
}

const NOW: &str = "2026-03-01T09:00:00Z";

/// `meter ARGS` at [`NOW`], with the user password `password` when given.
fn meter(env: &Env, args: &[&str], password: Option<&str>) -> Run {
    let mut vars = vec![("METER_TEST_NOW", NOW), ("METER_ACTOR", "ops")];
    if let Some(p) = password {
        vars.push(("METER_USER_PASSWORD", p));
    }
    env.meter_with_env(args, &vars)
}

fn users_are_added_with_a_password_from_the_environment_and_listed(backend: Backend) {
    let env = Env::on(backend);
    let run = meter(&env, &["users", "add", "Ann@Example.com", "--role", "admin"], Some("correct horse"));
    run.assert_ok();
    assert_eq!(run.stdout, "added user ann@example.com (admin)\n");
    let bob =
        meter(&env, &["users", "add", "bob@example.com", "--role", "viewer", "--format", "json"], Some("pässwörd"));
    bob.assert_ok();
    assert_eq!(bob.json()["role"], "viewer");

    let list = meter(&env, &["users", "list", "--format", "json"], None);
    list.assert_ok();
    let users = list.json()["users"].as_array().expect("users").clone();
    let shown: Vec<_> =
        users.iter().map(|u| (u["email"].as_str(), u["role"].as_str(), u["disabled"].as_bool())).collect();
    assert_eq!(
        shown,
        [(Some("ann@example.com"), Some("admin"), Some(false)), (Some("bob@example.com"), Some("viewer"), Some(false))]
    );
    assert_eq!(users[0]["created_at"], "2026-03-01T09:00:00Z");
    assert!(!list.stdout.contains("argon2"), "{}", list.dump());

    let set = meter(&env, &["users", "set", "bob@example.com", "--role", "billing", "--disable"], None);
    set.assert_ok();
    let text = meter(&env, &["users", "list"], None);
    text.assert_ok();
    let bob_line = text.stdout.lines().find(|l| l.contains("bob@example.com")).expect("bob listed");
    assert!(bob_line.contains("billing") && bob_line.ends_with("disabled"), "{}", text.dump());
    meter(&env, &["users", "set-password", "bob@example.com"], Some("another one")).assert_ok();
    meter(&env, &["db", "check"], None).assert_ok();
}

fn what_users_add_refuses(backend: Backend) {
    let env = Env::on(backend);
    meter(&env, &["users", "add", "ann@example.com", "--role", "admin"], Some("correct horse")).assert_ok();

    let again = meter(&env, &["users", "add", "ANN@example.com", "--role", "viewer"], Some("correct horse"));
    again.assert_code(1).assert_stderr_has("a user with email ann@example.com exists already");
    let role = meter(&env, &["users", "add", "bob@example.com", "--role", "root"], Some("correct horse"));
    role.assert_usage_error().assert_stderr_has("'root'");
    let short = meter(&env, &["users", "add", "bob@example.com", "--role", "viewer"], Some("1234567"));
    short.assert_usage_error().assert_stderr_has("it needs at least 8");
    let empty = meter(&env, &["users", "add", "bob@example.com", "--role", "viewer"], Some(""));
    empty.assert_usage_error().assert_stderr_has("the password is empty");
    let email = meter(&env, &["users", "add", "bob", "--role", "viewer"], Some("correct horse"));
    email.assert_usage_error().assert_stderr_has("email `bob`: has no @");
    // No password in the environment, and no terminal to ask on (stdin is not one).
    let none = meter(&env, &["users", "add", "bob@example.com", "--role", "viewer"], None);
    none.assert_usage_error().assert_stderr_has("METER_USER_PASSWORD");
    let unknown = meter(&env, &["users", "set", "carol@example.com", "--enable"], None);
    unknown.assert_code(1).assert_stderr_has("unknown user carol@example.com");

    let list = meter(&env, &["users", "list", "--format", "json"], None);
    assert_eq!(list.json()["users"].as_array().map(Vec::len), Some(1), "{}", list.dump());
}

/// The role of the token whose secret this is, as billing resolves it at `now`.
fn resolve(env: &Env, secret: &str, now: &str) -> Option<String> {
    let now = billing::time::parse_timestamp(now).expect("a time");
    let found = match env.backend {
        Backend::Sqlite => {
            let mut s = store::SqliteStore::open_url(env.db_url()).expect("open");
            billing::access::token(&mut s, secret, now)
        }
        Backend::Postgres => {
            let mut s = store::PgStore::open_url(env.db_url()).expect("open");
            billing::access::token(&mut s, secret, now)
        }
    };
    found.expect("a look-up").map(|t| t.role.to_string())
}

fn a_created_token_is_printed_alone_listed_without_its_secret_and_revoked(backend: Backend) {
    let env = Env::on(backend);
    let run = meter(&env, &["tokens", "create", "--role", "billing", "--name", "invoicing robot"], None);
    run.assert_ok().assert_stderr_has("created API token 1 (billing, \"invoicing robot\")");
    let secret = run.stdout.strip_suffix('\n').expect("one line");
    assert!(
        secret.starts_with("mtr_") && secret.len() == 47 && !secret.contains(char::is_whitespace),
        "{}",
        run.dump()
    );
    let viewer = meter(&env, &["tokens", "create", "--role", "viewer"], None);
    viewer.assert_ok();
    assert_ne!(viewer.stdout, run.stdout);

    assert_eq!(resolve(&env, secret, NOW).as_deref(), Some("billing"));
    let list = meter(&env, &["tokens", "list", "--format", "json"], None);
    list.assert_ok();
    let tokens = list.json()["tokens"].as_array().expect("tokens").clone();
    assert_eq!(tokens.len(), 2);
    assert_eq!(tokens[0]["name"], "invoicing robot");
    assert_eq!((tokens[0]["role"].as_str(), tokens[0]["created_by"].as_str()), (Some("billing"), Some("ops")));
    assert_eq!(tokens[1]["name"], serde_json::Value::Null);
    assert!(!list.stdout.contains(&secret[4..]), "a secret listed\n{}", list.dump());

    let revoke = meter(&env, &["tokens", "revoke", "1"], None);
    revoke.assert_ok();
    assert_eq!(revoke.stdout, "revoked API token 1 (billing, \"invoicing robot\") at 2026-03-01T09:00:00Z\n");
    assert_eq!(resolve(&env, secret, "2026-03-01T09:00:01Z"), None, "a revoked token lets nothing in");
    assert_eq!(resolve(&env, viewer.stdout.trim(), NOW).as_deref(), Some("viewer"));
    let text = meter(&env, &["tokens", "list"], None);
    let line = text.stdout.lines().find(|l| l.starts_with("1 ")).expect("token 1 listed");
    assert!(line.ends_with("revoked 2026-03-01T09:00:00Z"), "{}", text.dump());

    meter(&env, &["tokens", "revoke", "9"], None).assert_code(1).assert_stderr_has("unknown API token 9");
    meter(&env, &["tokens", "create", "--role", "owner"], None).assert_usage_error();
    meter(&env, &["tokens", "create", "--role", "admin", "--name", ""], None)
        .assert_usage_error()
        .assert_stderr_has("--name: the token's name is empty");
    meter(&env, &["db", "check"], None).assert_ok();
}

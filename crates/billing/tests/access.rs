//! Who may use the web app and the API, through billing's use cases on both backends: users
//! added and listed, signing in with its rate limit, sessions that end when idle, at their
//! lifetime's end, on sign-out or when the user is disabled, and API tokens until revoked.

mod common;

use billing::access::{self, Role, FAILURE_WINDOW, SESSION_IDLE, SESSION_LIFETIME, TOUCH_EVERY};
use billing::BillingError;
use common::*;

on_both_backends! { stores:
    users_are_added_once_per_email_and_listed,
    the_sixth_attempt_within_the_window_is_refused_even_with_the_right_password,
    unknown_and_disabled_users_are_refused_as_a_wrong_password_is,
    a_session_ends_when_idle_at_its_lifetime_or_on_sign_out,
    a_password_change_or_disabling_ends_the_users_sessions,
    a_token_lets_in_with_its_role_until_revoked,
}

const PASSWORD: &str = "correct horse battery";
const MINUTE: i64 = 60 * 1_000_000;

fn add<S: OpenStore>(w: &mut World<S>, email: &str, role: Role) -> access::UserInfo {
    access::add_user(&mut w.store, email, role, PASSWORD, NOW).expect("the user is added")
}

fn users_are_added_once_per_email_and_listed<S: OpenStore>(backend: Backend) {
    let mut w = World::<S>::on(backend);
    let ann = add(&mut w, " Ann@Example.com", Role::Admin);
    assert_eq!((ann.email.as_str(), ann.role, ann.disabled), ("ann@example.com", Role::Admin, false));
    assert_eq!(ann.created_at, "2026-02-01T12:00:00Z");
    add(&mut w, "bob@example.com", Role::Viewer);

    let again = access::add_user(&mut w.store, "ANN@example.COM", Role::Viewer, PASSWORD, NOW);
    assert!(matches!(&again, Err(BillingError::UserExists(e)) if e == "ann@example.com"), "{again:?}");
    let short = access::add_user(&mut w.store, "carol@example.com", Role::Viewer, "1234567", NOW);
    assert!(matches!(short, Err(BillingError::BadPassword { .. })), "{short:?}");
    let bad = access::add_user(&mut w.store, "carol", Role::Viewer, PASSWORD, NOW);
    assert!(matches!(bad, Err(BillingError::BadEmail { .. })), "{bad:?}");

    let list = access::list_users(&mut w.store).expect("users");
    let shown: Vec<_> = list.iter().map(|u| (u.email.as_str(), u.role)).collect();
    assert_eq!(shown, [("ann@example.com", Role::Admin), ("bob@example.com", Role::Viewer)]);
    let json = serde_json::to_value(&list[0]).expect("json");
    assert_eq!(json["role"], "admin");
    assert!(json.get("password_hash").is_none(), "{json}");
}

fn the_sixth_attempt_within_the_window_is_refused_even_with_the_right_password<S: OpenStore>(backend: Backend) {
    let mut w = World::<S>::on(backend);
    add(&mut w, "ann@example.com", Role::Billing);
    // Five wrong passwords, a minute apart.
    for i in 0..5 {
        let wrong = access::sign_in(&mut w.store, "ann@example.com", "wrong password", NOW + i * MINUTE);
        assert!(matches!(wrong, Err(BillingError::SignInFailed)), "attempt {}: {wrong:?}", i + 1);
    }
    // The sixth, right, is refused until the first failure is 15 minutes old.
    let sixth = access::sign_in(&mut w.store, "ANN@example.com", PASSWORD, NOW + 5 * MINUTE);
    match sixth {
        Err(BillingError::SignInLimited { email, retry_at }) => {
            assert_eq!((email.as_str(), retry_at), ("ann@example.com", NOW + FAILURE_WINDOW));
        }
        other => panic!("the sixth attempt was not refused: {other:?}"),
    }
    let message = access::sign_in(&mut w.store, "ann@example.com", PASSWORD, NOW + FAILURE_WINDOW - 1)
        .expect_err("still limited")
        .to_string();
    assert_eq!(message, "too many failed sign-ins as ann@example.com: try again after 2026-02-01T12:15:00Z");
    // Another email is not limited by ann's failures.
    add(&mut w, "bob@example.com", Role::Viewer);
    access::sign_in(&mut w.store, "bob@example.com", PASSWORD, NOW + 6 * MINUTE).expect("bob signs in");

    // Once the first failure is out of the window, four remain: the right password is let in,
    // and a success forgets the failures.
    let session = access::sign_in(&mut w.store, "ann@example.com", PASSWORD, NOW + FAILURE_WINDOW).expect("signed in");
    assert_eq!((session.user.email.as_str(), session.user.role), ("ann@example.com", Role::Billing));
    for i in 0..4 {
        let wrong = access::sign_in(&mut w.store, "ann@example.com", "wrong", NOW + FAILURE_WINDOW + i * MINUTE);
        assert!(matches!(wrong, Err(BillingError::SignInFailed)), "{wrong:?}");
    }
    access::sign_in(&mut w.store, "ann@example.com", PASSWORD, NOW + FAILURE_WINDOW + 5 * MINUTE)
        .expect("four failures since the last success: not limited");
}

fn unknown_and_disabled_users_are_refused_as_a_wrong_password_is<S: OpenStore>(backend: Backend) {
    let mut w = World::<S>::on(backend);
    add(&mut w, "ann@example.com", Role::Admin);
    access::set_user(&mut w.store, "ann@example.com", None, Some(true)).expect("disabled");
    for (email, password) in [("ann@example.com", PASSWORD), ("nobody@example.com", PASSWORD), ("not an email", "x")] {
        let refused = access::sign_in(&mut w.store, email, password, NOW);
        assert!(matches!(refused, Err(BillingError::SignInFailed)), "{email}: {refused:?}");
    }
    // Unknown emails are limited too: a caller learns nothing from when the limit starts.
    for i in 1..5 {
        let refused = access::sign_in(&mut w.store, "nobody@example.com", PASSWORD, NOW + i);
        assert!(matches!(refused, Err(BillingError::SignInFailed)), "{refused:?}");
    }
    let limited = access::sign_in(&mut w.store, "nobody@example.com", PASSWORD, NOW + 5);
    assert!(matches!(limited, Err(BillingError::SignInLimited { .. })), "{limited:?}");

    access::set_user(&mut w.store, "ann@example.com", Some(Role::Viewer), Some(false)).expect("enabled");
    let session = access::sign_in(&mut w.store, "ann@example.com", PASSWORD, NOW + 10).expect("signed in");
    assert_eq!(session.user.role, Role::Viewer);
}

fn a_session_ends_when_idle_at_its_lifetime_or_on_sign_out<S: OpenStore>(backend: Backend) {
    let mut w = World::<S>::on(backend);
    let ann = add(&mut w, "ann@example.com", Role::Admin);
    let s = access::sign_in(&mut w.store, "ann@example.com", PASSWORD, NOW).expect("signed in");
    assert_eq!(s.secret.len(), 43);
    assert_eq!(s.user.expires_at, NOW + SESSION_IDLE);
    let found = access::session(&mut w.store, &s.secret, NOW + MINUTE).expect("read").expect("live");
    assert_eq!((found.id, found.email.as_str(), found.role), (ann.id, "ann@example.com", Role::Admin));
    assert!(found.csrf_matches(&s.user.csrf) && !found.csrf_matches("forged") && !found.csrf_matches(""));
    assert_eq!(found.expires_at, NOW + MINUTE + SESSION_IDLE, "a use moves the end on");
    // Within a minute of the last recorded use, the end stays where it is.
    let soon = access::session(&mut w.store, &s.secret, NOW + MINUTE + TOUCH_EVERY - 1).expect("read").expect("live");
    assert_eq!(soon.expires_at, NOW + MINUTE + SESSION_IDLE);

    // Idle for 12 hours: ended.
    let idle_end = NOW + MINUTE + SESSION_IDLE;
    assert!(access::session(&mut w.store, &s.secret, idle_end - 1).expect("read").is_some());
    let s2 = access::sign_in(&mut w.store, "ann@example.com", PASSWORD, NOW).expect("signed in");
    assert_eq!(access::session(&mut w.store, &s2.secret, NOW + SESSION_IDLE).expect("read"), None, "idle");

    // Used every 11 hours, a session still ends 7 days after its sign-in.
    let s3 = access::sign_in(&mut w.store, "ann@example.com", PASSWORD, NOW).expect("signed in");
    let mut t = NOW;
    while t + 11 * 60 * MINUTE < NOW + SESSION_LIFETIME {
        t += 11 * 60 * MINUTE;
        let live = access::session(&mut w.store, &s3.secret, t).expect("read").expect("live");
        assert!(live.expires_at <= NOW + SESSION_LIFETIME);
    }
    assert_eq!(access::session(&mut w.store, &s3.secret, NOW + SESSION_LIFETIME).expect("read"), None, "lifetime");

    // Signed out: ended; a secret of no session, or text that is none, finds nothing.
    assert!(access::sign_out(&mut w.store, &s.secret).expect("signed out"));
    assert!(!access::sign_out(&mut w.store, &s.secret).expect("signed out already"));
    assert_eq!(access::session(&mut w.store, &s.secret, NOW + 2 * MINUTE).expect("read"), None);
    for other in ["", "abc", &s.user.csrf] {
        assert_eq!(access::session(&mut w.store, other, NOW).expect("read"), None, "{other:?}");
    }
}

fn a_password_change_or_disabling_ends_the_users_sessions<S: OpenStore>(backend: Backend) {
    let mut w = World::<S>::on(backend);
    add(&mut w, "ann@example.com", Role::Admin);
    add(&mut w, "bob@example.com", Role::Viewer);
    let ann = access::sign_in(&mut w.store, "ann@example.com", PASSWORD, NOW).expect("signed in");
    let bob = access::sign_in(&mut w.store, "bob@example.com", PASSWORD, NOW).expect("signed in");
    access::set_password(&mut w.store, "ann@example.com", "a new passphrase").expect("changed");
    assert_eq!(access::session(&mut w.store, &ann.secret, NOW + 1).expect("read"), None);
    assert!(access::session(&mut w.store, &bob.secret, NOW + 1).expect("read").is_some(), "bob's is his own");
    let wrong = access::sign_in(&mut w.store, "ann@example.com", PASSWORD, NOW + 2);
    assert!(matches!(wrong, Err(BillingError::SignInFailed)), "the old password: {wrong:?}");
    access::sign_in(&mut w.store, "ann@example.com", "a new passphrase", NOW + 3).expect("the new one");

    access::set_user(&mut w.store, "bob@example.com", None, Some(true)).expect("disabled");
    assert_eq!(access::session(&mut w.store, &bob.secret, NOW + 4).expect("read"), None);
    let unknown = access::set_password(&mut w.store, "carol@example.com", "a new passphrase");
    assert!(matches!(unknown, Err(BillingError::UnknownUser(_))), "{unknown:?}");
}

fn a_token_lets_in_with_its_role_until_revoked<S: OpenStore>(backend: Backend) {
    let mut w = World::<S>::on(backend);
    let (info, secret) =
        access::create_token(&mut w.store, Role::Billing, Some(" invoicing robot "), "ops", NOW).expect("token");
    assert!(secret.starts_with("mtr_") && secret.len() == 47, "{secret}");
    assert_eq!(
        (info.name.as_deref(), info.role, info.created_by.as_str()),
        (Some("invoicing robot"), Role::Billing, "ops")
    );
    let (viewer, viewer_secret) = access::create_token(&mut w.store, Role::Viewer, None, "ops", NOW).expect("token");
    assert_ne!(viewer_secret, secret);

    let user = access::token(&mut w.store, &secret, NOW + 1).expect("read").expect("valid");
    assert_eq!((user.id, user.role, user.name.as_deref()), (info.id, Role::Billing, Some("invoicing robot")));
    let mut altered = secret.clone();
    altered.replace_range(10..11, if &secret[10..11] == "A" { "B" } else { "A" });
    for bad in ["", "mtr_", &secret[4..], &altered, &format!("{secret}x"), &viewer_secret.replace("mtr_", "mtx_")] {
        assert_eq!(access::token(&mut w.store, bad, NOW).expect("read"), None, "{bad:?}");
    }

    let revoked = access::revoke_token(&mut w.store, info.id, NOW + MINUTE).expect("revoked");
    assert_eq!(revoked.revoked_at.as_deref(), Some("2026-02-01T12:01:00Z"));
    assert_eq!(access::token(&mut w.store, &secret, NOW + MINUTE).expect("read"), None, "revoked");
    let again = access::revoke_token(&mut w.store, info.id, NOW + 2 * MINUTE).expect("revoked already");
    assert_eq!(again.revoked_at, revoked.revoked_at, "the first revocation stands");
    assert!(access::token(&mut w.store, &viewer_secret, NOW + MINUTE).expect("read").is_some(), "the other one");
    let unknown = access::revoke_token(&mut w.store, 9_999, NOW);
    assert!(matches!(unknown, Err(BillingError::UnknownToken(9_999))), "{unknown:?}");

    let list = access::list_tokens(&mut w.store).expect("tokens");
    assert_eq!(list, [revoked, viewer]);
    let json = serde_json::to_string(&list).expect("json");
    assert!(!json.contains(&secret[4..]) && !json.contains("hash"), "{json}");
    let bad = access::create_token(&mut w.store, Role::Admin, Some(""), "ops", NOW);
    assert!(matches!(bad, Err(BillingError::BadTokenName { .. })), "{bad:?}");
}

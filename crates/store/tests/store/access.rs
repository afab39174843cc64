//! Who may use the web app and the API, through the store (migration 0014): users (one per email
//! whatever its case), sessions found by their hash, API tokens revoked and never reused, failed
//! sign-ins counted and forgotten, and attempts for one email one after another.

use super::*;
use store::{ApiToken, StoredSession, User};

fn user(email: &str, role: &str) -> User {
    User {
        id: 0,
        email: email.into(),
        role: role.into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        created_at: 1_000_000,
        disabled: false,
    }
}

fn add_user<S: Store>(store: &mut S, u: &User) -> Option<i64> {
    let mut tx = store.write_usage().expect("tx");
    let id = tx.add_user(u).expect("add user");
    tx.commit().expect("commit");
    id
}

fn token(name: Option<&str>, role: &str, hash: u8) -> ApiToken {
    ApiToken {
        id: 0,
        name: name.map(str::to_owned),
        role: role.into(),
        secret_hash: vec![hash; 32],
        created_at: 2_000_000,
        created_by: "ops".into(),
        revoked_at: None,
    }
}

pub(super) fn users_are_one_per_email_whatever_its_case<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let ann = add_user(&mut db.store, &user("ann@example.com", "admin")).expect("ann added");
    let bob = add_user(&mut db.store, &user("bob@example.com", "viewer")).expect("bob added");
    assert_ne!(ann, bob);
    assert_eq!(add_user(&mut db.store, &user("ANN@Example.com", "viewer")), None, "the same email in capitals");

    let mut tx = db.store.read().expect("tx");
    let users = tx.users().expect("users");
    assert_eq!(
        users.iter().map(|u| (u.email.as_str(), u.role.as_str())).collect::<Vec<_>>(),
        [("ann@example.com", "admin"), ("bob@example.com", "viewer")]
    );
    assert_eq!(users[0], User { id: ann, ..user("ann@example.com", "admin") });
    let found = tx.user_by_email("Ann@EXAMPLE.com").expect("look-up").expect("ann");
    assert_eq!(found.id, ann);
    assert_eq!(tx.user_by_email("nobody@example.com").expect("look-up"), None);
    drop(tx);

    let mut tx = db.store.write_usage().expect("tx");
    let changed = User { role: "billing".into(), password_hash: "$argon2id$new".into(), disabled: true, ..found };
    assert!(tx.save_user(&changed).expect("save"));
    assert!(!tx.save_user(&User { id: 9_999, ..changed.clone() }).expect("save"), "no such user");
    tx.commit().expect("commit");
    assert_eq!(db.store.read().expect("tx").user_by_email("ann@example.com").expect("look-up"), Some(changed));

    // The database keeps the roles there are.
    let mut tx = db.store.write_usage().expect("tx");
    assert!(tx.add_user(&user("eve@example.com", "root")).is_err(), "a role that does not exist");
}

pub(super) fn sessions_are_found_by_their_hash_and_end<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let ann = add_user(&mut db.store, &user("ann@example.com", "admin")).expect("ann");
    let bob = add_user(&mut db.store, &user("bob@example.com", "viewer")).expect("bob");
    let session = |id: u8, user_id: i64, expires_at: i64| StoredSession {
        id: vec![id; 32],
        user_id,
        csrf: format!("csrf-{id}"),
        created_at: 10,
        expires_at,
        last_seen_at: 10,
    };
    let mut tx = db.store.write_usage().expect("tx");
    for s in [session(1, ann, 100), session(2, ann, 200), session(3, bob, 300)] {
        tx.add_session(&s).expect("session");
    }
    tx.commit().expect("commit");
    let mut tx = db.store.write_usage().expect("tx");
    assert!(tx.add_session(&session(1, bob, 100)).is_err(), "the same id twice");
    drop(tx);

    let mut tx = db.store.write_usage().expect("tx");
    let (found, owner) = tx.session(&[2; 32]).expect("read").expect("session 2");
    assert_eq!((found, owner.email.as_str()), (session(2, ann, 200), "ann@example.com"));
    assert_eq!(tx.session(&[9; 32]).expect("read"), None);
    tx.touch_session(&[2; 32], 150, 250).expect("touch");
    assert_eq!(
        tx.session(&[2; 32]).expect("read").expect("session 2").0,
        StoredSession { last_seen_at: 150, expires_at: 250, ..session(2, ann, 200) }
    );
    // Session 1 expires at 100; the others later.
    assert_eq!(tx.remove_expired_sessions(100).expect("expired"), 1);
    assert_eq!(tx.session(&[1; 32]).expect("read"), None);
    assert!(tx.remove_session(&[3; 32]).expect("sign out"));
    assert!(!tx.remove_session(&[3; 32]).expect("sign out again"));
    assert_eq!(tx.remove_user_sessions(ann).expect("ann's sessions"), 1);
    assert_eq!(tx.session(&[2; 32]).expect("read"), None);
    tx.commit().expect("commit");
}

pub(super) fn failed_sign_ins_are_counted_per_email_and_forgotten<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let mut tx = db.store.write_usage().expect("tx");
    tx.lock_sign_in("ann@example.com").expect("lock");
    for at in [30, 10, 20] {
        tx.add_sign_in_failure("ann@example.com", at).expect("failure");
    }
    tx.add_sign_in_failure("bob@example.com", 15).expect("failure");
    tx.commit().expect("commit");

    let mut tx = db.store.write_usage().expect("tx");
    assert_eq!(tx.sign_in_failures("ann@example.com", 0).expect("failures"), [10, 20, 30]);
    assert_eq!(tx.sign_in_failures("ann@example.com", 10).expect("after 10"), [20, 30], "after, not at");
    assert_eq!(tx.sign_in_failures("carol@example.com", 0).expect("none"), Vec::<i64>::new());
    tx.remove_sign_in_failures(None, 15).expect("before 15");
    assert_eq!(tx.sign_in_failures("ann@example.com", 0).expect("failures"), [20, 30]);
    assert_eq!(tx.sign_in_failures("bob@example.com", 0).expect("bob's"), Vec::<i64>::new());
    tx.add_sign_in_failure("bob@example.com", 40).expect("failure");
    tx.remove_sign_in_failures(Some("ann@example.com"), 100).expect("ann's");
    assert_eq!(tx.sign_in_failures("ann@example.com", 0).expect("failures"), Vec::<i64>::new());
    assert_eq!(tx.sign_in_failures("bob@example.com", 0).expect("bob's"), [40]);
    tx.commit().expect("commit");
}

/// While one transaction holds an email's sign-in lock, another attempt for that email waits
/// until it ends, and sees what it recorded (PostgreSQL; SQLite's writers take turns anyway).
pub(super) fn sign_ins_as_one_email_come_one_after_another<S: OpenStore + 'static>(backend: Backend) {
    let mut db = db::<S>(backend);
    let mut tx = db.store.write_usage().expect("tx");
    tx.lock_sign_in("ann@example.com").expect("lock");
    let url = db.url.clone();
    let other = std::thread::spawn(move || {
        let mut store = S::open_url(&url).expect("open");
        let mut tx = store.write_usage().expect("tx");
        tx.lock_sign_in("ann@example.com").expect("lock");
        let seen = tx.sign_in_failures("ann@example.com", 0).expect("failures");
        tx.add_sign_in_failure("ann@example.com", 2).expect("failure");
        tx.commit().expect("commit");
        seen
    });
    // Give the other attempt time to reach the lock; it must wait there (or at its start).
    std::thread::sleep(std::time::Duration::from_millis(300));
    tx.add_sign_in_failure("ann@example.com", 1).expect("failure");
    tx.commit().expect("commit");
    assert_eq!(other.join().expect("the other attempt"), [1]);
    assert_eq!(db.store.read().expect("tx").sign_in_failures("ann@example.com", 0).expect("failures"), [1, 2]);
}

pub(super) fn tokens_are_found_by_hash_revoked_once_and_kept<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let mut tx = db.store.write_usage().expect("tx");
    let first = tx.add_token(&token(Some("invoicing"), "billing", 1)).expect("token");
    let second = tx.add_token(&token(None, "viewer", 2)).expect("token");
    tx.commit().expect("commit");
    assert!(second > first);

    let mut tx = db.store.write_usage().expect("tx");
    assert!(tx.add_token(&token(None, "viewer", 2)).is_err(), "a secret hash is one token's");
    drop(tx);
    let mut tx = db.store.write_usage().expect("tx");
    assert!(tx.add_token(&token(None, "owner", 3)).is_err(), "a role that does not exist");
    drop(tx);

    let found = Some(ApiToken { id: first, ..token(Some("invoicing"), "billing", 1) });
    // Looked up on its own, as the API does for every request, twice (PostgreSQL keeps the
    // statement of a token found), and an unknown hash twice.
    for _ in 0..2 {
        assert_eq!(db.store.find_token(&[1; 32]).expect("look-up"), found);
        assert_eq!(db.store.find_token(&[7; 32]).expect("look-up"), None);
    }
    let mut tx = db.store.write_usage().expect("tx");
    assert_eq!(tx.token_by_hash(&[1; 32]).expect("look-up"), found);
    assert_eq!(tx.token_by_hash(&[7; 32]).expect("look-up"), None);
    assert!(tx.revoke_token(first, 3_000_000).expect("revoke"));
    assert!(!tx.revoke_token(first, 4_000_000).expect("revoke again"), "revoked once");
    assert!(!tx.revoke_token(9_999, 4_000_000).expect("revoke"), "no such token");
    tx.commit().expect("commit");
    let revoked = db.store.find_token(&[1; 32]).expect("look-up").expect("still found");
    assert_eq!(revoked.revoked_at, Some(3_000_000), "the kept look-up reads the revocation");

    let mut tx = db.store.read().expect("tx");
    let revoked = tx.token(first).expect("read").expect("first");
    assert_eq!(revoked.revoked_at, Some(3_000_000), "the first revocation's time");
    let list = tx.tokens().expect("tokens");
    assert_eq!(
        list.iter().map(|t| (t.id, t.revoked_at)).collect::<Vec<_>>(),
        [(first, Some(3_000_000)), (second, None)]
    );
    assert_eq!(tx.token(9_999).expect("read"), None);
}

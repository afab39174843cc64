//! Users, their sessions, API tokens and failed sign-ins.

use super::{at, PgTx};
use crate::rows::{session_of, token_of, user_of, SELECT_SESSION, TOKEN_COLUMNS, USER_COLUMNS};
use crate::{ApiToken, Result, StoredSession, User};
use rating::Micros;

/// The first key of the advisory locks on sign-ins ("mete" in ASCII); the second is the email's
/// hash. Locks of two keys never meet those of one (`LOCK_WRITES`, `LOCK_MIGRATIONS`).
const LOCK_SIGN_IN: i32 = 0x6d_65_74_65;

impl crate::Access for PgTx<'_> {
    fn users(&mut self) -> Result<Vec<User>> {
        let st = self.prepared(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY email"))?;
        self.tx.query(&st, &[])?.iter().map(|r| user_of(r, 0)).collect()
    }

    fn user_by_email(&mut self, email: &str) -> Result<Option<User>> {
        let st = self.prepared(&format!("SELECT {USER_COLUMNS} FROM users WHERE lower(email) = lower($1)"))?;
        self.tx.query_opt(&st, &[&email])?.as_ref().map(|r| user_of(r, 0)).transpose()
    }

    fn add_user(&mut self, u: &User) -> Result<Option<i64>> {
        let st = self.prepared(
            "INSERT INTO users (email, role, password_hash, created_at, disabled) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT DO NOTHING RETURNING id",
        )?;
        let row = self.tx.query_opt(&st, &[&u.email, &u.role, &u.password_hash, &at(u.created_at)?, &u.disabled])?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    fn save_user(&mut self, u: &User) -> Result<bool> {
        let st = self.prepared("UPDATE users SET role = $2, password_hash = $3, disabled = $4 WHERE id = $1")?;
        Ok(self.tx.execute(&st, &[&u.id, &u.role, &u.password_hash, &u.disabled])? == 1)
    }

    fn add_session(&mut self, s: &StoredSession) -> Result<()> {
        let st = self.prepared(
            "INSERT INTO sessions (id, user_id, csrf, created_at, expires_at, last_seen_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )?;
        let times = (at(s.created_at)?, at(s.expires_at)?, at(s.last_seen_at)?);
        self.tx.execute(&st, &[&s.id, &s.user_id, &s.csrf, &times.0, &times.1, &times.2])?;
        Ok(())
    }

    fn session(&mut self, id: &[u8]) -> Result<Option<(StoredSession, User)>> {
        let st = self.prepared(&format!("{SELECT_SESSION} WHERE s.id = $1"))?;
        self.tx.query_opt(&st, &[&id])?.as_ref().map(session_of).transpose()
    }

    fn touch_session(&mut self, id: &[u8], last_seen_at: Micros, expires_at: Micros) -> Result<()> {
        let st = self.prepared("UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE id = $1")?;
        self.tx.execute(&st, &[&id, &at(last_seen_at)?, &at(expires_at)?])?;
        Ok(())
    }

    fn remove_session(&mut self, id: &[u8]) -> Result<bool> {
        let st = self.prepared("DELETE FROM sessions WHERE id = $1")?;
        Ok(self.tx.execute(&st, &[&id])? == 1)
    }

    fn remove_user_sessions(&mut self, user_id: i64) -> Result<u64> {
        let st = self.prepared("DELETE FROM sessions WHERE user_id = $1")?;
        Ok(self.tx.execute(&st, &[&user_id])?)
    }

    fn remove_expired_sessions(&mut self, now: Micros) -> Result<u64> {
        let st = self.prepared("DELETE FROM sessions WHERE expires_at <= $1")?;
        Ok(self.tx.execute(&st, &[&at(now)?])?)
    }

    fn lock_sign_in(&mut self, email: &str) -> Result<()> {
        let st = self.prepared("SELECT pg_advisory_xact_lock($1, hashtext($2))")?;
        self.tx.execute(&st, &[&LOCK_SIGN_IN, &email])?;
        Ok(())
    }

    fn sign_in_failures(&mut self, email: &str, since: Micros) -> Result<Vec<Micros>> {
        let st = self.prepared("SELECT at FROM sign_in_failures WHERE email = $1 AND at > $2 ORDER BY at")?;
        let rows = self.tx.query(&st, &[&email, &at(since)?])?;
        rows.iter().map(|r| Ok(r.try_get::<_, chrono::DateTime<chrono::Utc>>(0)?.timestamp_micros())).collect()
    }

    fn add_sign_in_failure(&mut self, email: &str, when: Micros) -> Result<()> {
        let st = self.prepared("INSERT INTO sign_in_failures (email, at) VALUES ($1, $2)")?;
        self.tx.execute(&st, &[&email, &at(when)?])?;
        Ok(())
    }

    fn remove_sign_in_failures(&mut self, email: Option<&str>, before: Micros) -> Result<()> {
        let st = self.prepared("DELETE FROM sign_in_failures WHERE ($1::text IS NULL OR email = $1) AND at <= $2")?;
        self.tx.execute(&st, &[&email, &at(before)?])?;
        Ok(())
    }

    fn add_token(&mut self, t: &ApiToken) -> Result<i64> {
        let st = self.prepared(
            "INSERT INTO api_tokens (name, role, secret_hash, created_at, created_by, revoked_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )?;
        let revoked = t.revoked_at.map(at).transpose()?;
        let row =
            self.tx.query_one(&st, &[&t.name, &t.role, &t.secret_hash, &at(t.created_at)?, &t.created_by, &revoked])?;
        Ok(row.try_get(0)?)
    }

    fn tokens(&mut self) -> Result<Vec<ApiToken>> {
        let st = self.prepared(&format!("SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY id"))?;
        self.tx.query(&st, &[])?.iter().map(token_of).collect()
    }

    fn token(&mut self, id: i64) -> Result<Option<ApiToken>> {
        let st = self.prepared(&format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = $1"))?;
        self.tx.query_opt(&st, &[&id])?.as_ref().map(token_of).transpose()
    }

    fn token_by_hash(&mut self, secret_hash: &[u8]) -> Result<Option<ApiToken>> {
        let st = self.prepared(&format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE secret_hash = $1"))?;
        self.tx.query_opt(&st, &[&secret_hash])?.as_ref().map(token_of).transpose()
    }

    fn revoke_token(&mut self, id: i64, when: Micros) -> Result<bool> {
        let st = self.prepared("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")?;
        Ok(self.tx.execute(&st, &[&id, &at(when)?])? == 1)
    }
}

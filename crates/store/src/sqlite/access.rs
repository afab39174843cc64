//! Users, their sessions, API tokens and failed sign-ins.

use super::SqliteTx;
use crate::rows::{session_of, token_of, user_of, SELECT_SESSION, TOKEN_COLUMNS, USER_COLUMNS};
use crate::{ApiToken, Result, StoredSession, User};
use rating::Micros;
use rusqlite::{params, OptionalExtension};

impl crate::Access for SqliteTx<'_> {
    fn users(&mut self) -> Result<Vec<User>> {
        let mut st = self.tx.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY email"))?;
        let list = st.query_and_then([], |r| user_of(r, 0))?.collect::<Result<_>>()?;
        Ok(list)
    }

    fn user_by_email(&mut self, email: &str) -> Result<Option<User>> {
        let mut st =
            self.tx.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE lower(email) = lower(?1)"))?;
        let found = st.query_and_then([email], |r| user_of(r, 0))?.next().transpose()?;
        Ok(found)
    }

    fn add_user(&mut self, u: &User) -> Result<Option<i64>> {
        let id = self
            .tx
            .query_row(
                "INSERT INTO users (email, role, password_hash, created_at, disabled) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT DO NOTHING RETURNING id",
                params![u.email, u.role, u.password_hash, u.created_at, u.disabled],
                |r| r.get(0),
            )
            .optional()?;
        Ok(id)
    }

    fn save_user(&mut self, u: &User) -> Result<bool> {
        let n = self.tx.execute(
            "UPDATE users SET role = ?2, password_hash = ?3, disabled = ?4 WHERE id = ?1",
            params![u.id, u.role, u.password_hash, u.disabled],
        )?;
        Ok(n == 1)
    }

    fn add_session(&mut self, s: &StoredSession) -> Result<()> {
        self.tx.execute(
            "INSERT INTO sessions (id, user_id, csrf, created_at, expires_at, last_seen_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![s.id, s.user_id, s.csrf, s.created_at, s.expires_at, s.last_seen_at],
        )?;
        Ok(())
    }

    fn session(&mut self, id: &[u8]) -> Result<Option<(StoredSession, User)>> {
        let mut st = self.tx.prepare_cached(&format!("{SELECT_SESSION} WHERE s.id = ?1"))?;
        let found = st.query_and_then([id], |r| session_of(r))?.next().transpose()?;
        Ok(found)
    }

    fn touch_session(&mut self, id: &[u8], last_seen_at: Micros, expires_at: Micros) -> Result<()> {
        self.tx.execute(
            "UPDATE sessions SET last_seen_at = ?2, expires_at = ?3 WHERE id = ?1",
            params![id, last_seen_at, expires_at],
        )?;
        Ok(())
    }

    fn remove_session(&mut self, id: &[u8]) -> Result<bool> {
        Ok(self.tx.execute("DELETE FROM sessions WHERE id = ?1", [id])? == 1)
    }

    fn remove_user_sessions(&mut self, user_id: i64) -> Result<u64> {
        let n = self.tx.execute("DELETE FROM sessions WHERE user_id = ?1", [user_id])?;
        Ok(n as u64)
    }

    fn remove_expired_sessions(&mut self, now: Micros) -> Result<u64> {
        let n = self.tx.execute("DELETE FROM sessions WHERE expires_at <= ?1", [now])?;
        Ok(n as u64)
    }

    /// SQLite has one writer at a time: a write transaction is alone already.
    fn lock_sign_in(&mut self, _email: &str) -> Result<()> {
        Ok(())
    }

    fn sign_in_failures(&mut self, email: &str, since: Micros) -> Result<Vec<Micros>> {
        let mut st =
            self.tx.prepare_cached("SELECT at FROM sign_in_failures WHERE email = ?1 AND at > ?2 ORDER BY at")?;
        let times = st.query_map(params![email, since], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        Ok(times)
    }

    fn add_sign_in_failure(&mut self, email: &str, at: Micros) -> Result<()> {
        self.tx.execute("INSERT INTO sign_in_failures (email, at) VALUES (?1, ?2)", params![email, at])?;
        Ok(())
    }

    fn remove_sign_in_failures(&mut self, email: Option<&str>, before: Micros) -> Result<()> {
        self.tx.execute(
            "DELETE FROM sign_in_failures WHERE (?1 IS NULL OR email = ?1) AND at <= ?2",
            params![email, before],
        )?;
        Ok(())
    }

    fn add_token(&mut self, t: &ApiToken) -> Result<i64> {
        self.tx.execute(
            "INSERT INTO api_tokens (name, role, secret_hash, created_at, created_by, revoked_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![t.name, t.role, t.secret_hash, t.created_at, t.created_by, t.revoked_at],
        )?;
        Ok(self.tx.last_insert_rowid())
    }

    fn tokens(&mut self) -> Result<Vec<ApiToken>> {
        let mut st = self.tx.prepare_cached(&format!("SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY id"))?;
        let list = st.query_and_then([], |r| token_of(r))?.collect::<Result<_>>()?;
        Ok(list)
    }

    fn token(&mut self, id: i64) -> Result<Option<ApiToken>> {
        let mut st = self.tx.prepare_cached(&format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = ?1"))?;
        let found = st.query_and_then([id], |r| token_of(r))?.next().transpose()?;
        Ok(found)
    }

    fn token_by_hash(&mut self, secret_hash: &[u8]) -> Result<Option<ApiToken>> {
        let mut st =
            self.tx.prepare_cached(&format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE secret_hash = ?1"))?;
        let found = st.query_and_then([secret_hash], |r| token_of(r))?.next().transpose()?;
        Ok(found)
    }

    fn revoke_token(&mut self, id: i64, at: Micros) -> Result<bool> {
        let n = self
            .tx
            .execute("UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL", params![id, at])?;
        Ok(n == 1)
    }
}

//! The installation's settings.

use super::SqliteTx;
use crate::rows::{setting_of, SELECT_SETTINGS};
use crate::{Result, Setting};
use rusqlite::params;

impl crate::Settings for SqliteTx<'_> {
    fn settings(&mut self) -> Result<Vec<Setting>> {
        let mut st = self.tx.prepare_cached(SELECT_SETTINGS)?;
        let list = st.query_and_then([], |r| setting_of(r))?.collect::<Result<_>>()?;
        Ok(list)
    }

    fn setting(&mut self, name: &str) -> Result<Option<Setting>> {
        let mut st = self.tx.prepare_cached("SELECT name, value, data, updated_at FROM settings WHERE name = ?1")?;
        let found = st.query_and_then([name], |r| setting_of(r))?.next().transpose()?;
        Ok(found)
    }

    fn save_setting(&mut self, s: &Setting) -> Result<()> {
        self.tx.execute(
            "INSERT INTO settings (name, value, data, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value, data = excluded.data,
             updated_at = excluded.updated_at",
            params![s.name, s.value, s.data, s.updated_at],
        )?;
        Ok(())
    }

    fn remove_setting(&mut self, name: &str) -> Result<()> {
        self.tx.execute("DELETE FROM settings WHERE name = ?1", [name])?;
        Ok(())
    }
}

//! The installation's settings.

use super::{at, PgTx};
use crate::rows::{setting_of, SELECT_SETTINGS};
use crate::{Result, Setting};

impl crate::Settings for PgTx<'_> {
    fn settings(&mut self) -> Result<Vec<Setting>> {
        let st = self.prepared(SELECT_SETTINGS)?;
        self.tx.query(&st, &[])?.iter().map(setting_of).collect()
    }

    fn setting(&mut self, name: &str) -> Result<Option<Setting>> {
        let st = self.prepared("SELECT name, value, data, updated_at FROM settings WHERE name = $1")?;
        self.tx.query_opt(&st, &[&name])?.as_ref().map(setting_of).transpose()
    }

    fn save_setting(&mut self, s: &Setting) -> Result<()> {
        let st = self.prepared(
            "INSERT INTO settings (name, value, data, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value, data = excluded.data,
             updated_at = excluded.updated_at",
        )?;
        self.tx.execute(&st, &[&s.name, &s.value, &s.data, &at(s.updated_at)?])?;
        Ok(())
    }

    fn remove_setting(&mut self, name: &str) -> Result<()> {
        let st = self.prepared("DELETE FROM settings WHERE name = $1")?;
        self.tx.execute(&st, &[&name])?;
        Ok(())
    }
}

//! Station settings: read with the registry's defaults, changed by whom the
//! registry allows, each change one event.

use rusqlite::params;
use serde_json::json;

use crate::domain::clerk::Clerk;
use crate::domain::settings::{self, SettingDef, SettingKind, setting_def};
use crate::engine::Engine;
use crate::error::Result;
use crate::ops::fonts::check_font_setting;

impl Engine {
    /// A setting, or its default from the registry (`domain::settings`).
    pub fn setting_or_default(&self, key: &str) -> Result<String> {
        let def = setting_def(key)?;
        if let Some(v) = self.setting(key)? {
            return Ok(v);
        }
        Ok(def.default_for(self.station()?))
    }

    /// The deadline board's at-risk threshold in working days.
    pub fn at_risk_days(&self) -> Result<i64> {
        Ok(settings::at_risk_days(
            self.setting("deadline.at_risk_days")?.as_deref(),
        ))
    }

    /// The bodies this station is a window of (setting `station.acts_for`).
    pub fn acts_for(&self) -> Result<Vec<String>> {
        Ok(settings::acts_for(
            self.setting("station.acts_for")?.as_deref(),
        ))
    }

    /// Every setting of the registry with its value in force, for forms.
    pub fn settings_in_force(&self) -> Result<Vec<(&'static SettingDef, String)>> {
        settings::SETTINGS
            .iter()
            .map(|d| Ok((d, self.setting_or_default(d.key)?)))
            .collect()
    }

    /// The keys `clerk` may change, for a settings form.
    pub fn settings_changeable_by(&self, clerk: &Clerk) -> Vec<&'static str> {
        settings::SETTINGS
            .iter()
            .filter(|d| d.may_change(clerk))
            .map(|d| d.key)
            .collect()
    }

    /// Changes a setting: the registry says who may and checks the value.
    pub fn set_setting(&self, actor: &Clerk, key: &str, value: &str) -> Result<()> {
        let def = setting_def(key.trim())?;
        actor.require(def.who, "change_settings")?;
        let value = def.check(value)?;
        if def.kind == SettingKind::FontList {
            check_font_setting(&value)?;
        }
        let key = def.key;
        self.write(|w| {
            w.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )?;
            if key.starts_with("fonts.") {
                *self.fonts.borrow_mut() = None;
            }
            w.event(
                "settings.changed",
                &json!({"key": key, "value": value, "actor": actor.staff_no}),
            )?;
            Ok(())
        })
    }
}

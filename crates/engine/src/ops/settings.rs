//! Station settings: read with the registry's defaults, changed by whom the
//! registry allows, each change one event.

use rusqlite::params;
use serde_json::json;

use crate::domain::clerk::Clerk;
use crate::domain::settings::{self, SettingDef, SettingKind, setting_def};
use crate::engine::Engine;
use crate::error::Result;
use crate::ops::fonts::check_font_setting;

/// A pinned CA must be a readable PEM with a certificate, or HTTPS to the
/// county would fail later with a less clear error.
fn check_certificate_file(label: &str, path: &str) -> Result<()> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        crate::error::Error::invalid(
            "sync.county_ca_file",
            format!("cannot read {path}: {e}"),
            format!("{label}：无法读取文件“{path}”"),
        )
    })?;
    if !text.contains("-----BEGIN CERTIFICATE-----") {
        return Err(crate::error::Error::invalid(
            "sync.county_ca_file",
            format!("{path} holds no PEM certificate"),
            format!("{label}：文件“{path}”中没有 PEM 格式的证书"),
        ));
    }
    Ok(())
}

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

    /// An integer setting in force: stored, else the registry's default,
    /// within the registry's range.
    pub fn integer_setting(&self, key: &str) -> Result<i64> {
        Ok(settings::integer_in_force(
            key,
            self.setting(key)?.as_deref(),
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
        if def.kind == SettingKind::CertificateFile && !value.is_empty() {
            check_certificate_file(def.label_zh, &value)?;
        }
        if def.kind == SettingKind::Folder && !value.is_empty() {
            crate::ops::backup::check_folder(def.label_zh, &value)?;
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

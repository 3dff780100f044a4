//! Clerk accounts, argon2 passwords and the counter session (several clerks
//! share one PC).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rusqlite::{OptionalExtension, Row, params};
use serde_json::json;

use crate::domain::clerk::{Clerk, Role, check_password};
use crate::engine::Engine;
use crate::error::{Error, Result};

fn clerk_from_row(r: &Row<'_>) -> rusqlite::Result<Clerk> {
    let role: String = r.get(3)?;
    Ok(Clerk {
        id: r.get(0)?,
        staff_no: r.get(1)?,
        name: r.get(2)?,
        role: Role::parse(&role).unwrap_or(Role::Clerk),
    })
}

const CLERK_COLS: &str = "id, staff_no, name, role";

fn hash_password(password: &str) -> Result<String> {
    // uuid v4 draws 122 bits from the OS RNG: enough salt, without another dependency.
    let salt = SaltString::encode_b64(uuid::Uuid::new_v4().as_bytes())
        .map_err(|e| Error::invalid("password", format!("salt: {e}"), "密码无法处理"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::invalid("password", format!("cannot hash: {e}"), "密码无法处理"))
}

impl Engine {
    /// Adds a clerk. The very first account of a station must be an admin and
    /// needs no actor; after that only an admin may add accounts.
    pub fn add_clerk(
        &self,
        actor: Option<&Clerk>,
        staff_no: &str,
        name: &str,
        role: Role,
        password: &str,
    ) -> Result<Clerk> {
        let count: i64 = self
            .conn
            .query_row("SELECT count(*) FROM clerks", [], |r| r.get(0))?;
        match actor {
            Some(a) => a.require(Role::Admin, "manage_clerks")?,
            None if count == 0 && role == Role::Admin => {}
            None => {
                return Err(Error::rule(
                    "bootstrap_admin",
                    "only the first account may be created without an admin, and it must be an admin",
                    "只有首个账号可直接创建，且必须是管理员；其他账号须由管理员添加",
                ));
            }
        }
        let staff_no = staff_no.trim();
        if staff_no.is_empty()
            || staff_no.len() > 16
            || !staff_no.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return Err(Error::invalid(
                "staff_no",
                format!("bad staff number {staff_no:?}"),
                "工号须为1至16位字母或数字",
            ));
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 32 {
            return Err(Error::invalid(
                "name",
                "bad name",
                "姓名不能为空且不超过32字",
            ));
        }
        check_password(password)?;
        let exists: bool = self.conn.query_row(
            "SELECT EXISTS(SELECT 1 FROM clerks WHERE staff_no = ?1)",
            [staff_no],
            |r| r.get(0),
        )?;
        if exists {
            return Err(Error::invalid(
                "staff_no",
                format!("staff number {staff_no} exists"),
                format!("工号 {staff_no} 已存在"),
            ));
        }
        let hash = hash_password(password)?;
        self.write(|w| {
            w.execute(
                "INSERT INTO clerks (staff_no, name, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![staff_no, name, role.as_str(), hash, w.now],
            )?;
            let id = w.last_insert_rowid();
            w.event(
                "clerk.added",
                &json!({"staff_no": staff_no, "name": name, "role": role.as_str(),
                        "actor": actor.map(|a| a.staff_no.as_str())}),
            )?;
            Ok(Clerk {
                id,
                staff_no: staff_no.to_owned(),
                name: name.to_owned(),
                role,
            })
        })
    }

    pub fn clerks(&self) -> Result<Vec<Clerk>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {CLERK_COLS} FROM clerks WHERE active = 1 ORDER BY staff_no"
        ))?;
        let rows = stmt
            .query_map([], clerk_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    pub(crate) fn clerk_by_id(&self, id: i64) -> Result<Clerk> {
        self.conn
            .query_row(
                &format!("SELECT {CLERK_COLS} FROM clerks WHERE id = ?1"),
                [id],
                clerk_from_row,
            )
            .optional()?
            .ok_or_else(|| Error::NotFound {
                what: "clerk",
                key: id.to_string(),
            })
    }

    pub fn clerk_by_staff_no(&self, staff_no: &str) -> Result<Clerk> {
        self.conn
            .query_row(
                &format!("SELECT {CLERK_COLS} FROM clerks WHERE staff_no = ?1 AND active = 1"),
                [staff_no.trim()],
                clerk_from_row,
            )
            .optional()?
            .ok_or_else(|| Error::NotFound {
                what: "clerk",
                key: staff_no.into(),
            })
    }

    /// Checks a staff number and password. Unknown staff and a wrong password
    /// give the same error, so neither can be probed.
    pub fn authenticate(&self, staff_no: &str, password: &str) -> Result<Clerk> {
        let row: Option<(Clerk, String)> = self
            .conn
            .query_row(
                &format!(
                    "SELECT {CLERK_COLS}, password_hash FROM clerks WHERE staff_no = ?1 AND active = 1"
                ),
                [staff_no.trim()],
                |r| Ok((clerk_from_row(r)?, r.get(4)?)),
            )
            .optional()?;
        let fail = || Error::AuthFailed(staff_no.trim().to_owned());
        let (clerk, hash) = row.ok_or_else(fail)?;
        let parsed = PasswordHash::new(&hash).map_err(|_| fail())?;
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .map_err(|_| fail())?;
        Ok(clerk)
    }

    /// Logs a clerk in at this counter (replacing whoever was logged in).
    pub fn login(&self, staff_no: &str, password: &str) -> Result<Clerk> {
        let clerk = self.authenticate(staff_no, password)?;
        self.write(|w| {
            w.execute(
                "INSERT INTO counter_session (id, clerk_id, since) VALUES (1, ?1, ?2)
                 ON CONFLICT(id) DO UPDATE SET clerk_id = excluded.clerk_id, since = excluded.since",
                params![clerk.id, w.now],
            )?;
            w.event("clerk.login", &json!({"staff_no": clerk.staff_no}))?;
            Ok(())
        })?;
        Ok(clerk)
    }

    pub fn logout(&self) -> Result<()> {
        let current = self.current_clerk()?;
        self.write(|w| {
            w.execute("DELETE FROM counter_session WHERE id = 1", [])?;
            w.event("clerk.logout", &json!({"staff_no": current.staff_no}))?;
            Ok(())
        })
    }

    /// The clerk logged in at this counter.
    pub fn current_clerk(&self) -> Result<Clerk> {
        let id: Option<i64> = self
            .conn
            .query_row(
                "SELECT clerk_id FROM counter_session WHERE id = 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        match id {
            Some(id) => self.clerk_by_id(id),
            None => Err(Error::NotLoggedIn),
        }
    }

    pub fn change_password(&self, staff_no: &str, old: &str, new: &str) -> Result<()> {
        let clerk = self.authenticate(staff_no, old)?;
        check_password(new)?;
        let hash = hash_password(new)?;
        self.write(|w| {
            w.execute(
                "UPDATE clerks SET password_hash = ?1 WHERE id = ?2",
                params![hash, clerk.id],
            )?;
            w.event(
                "clerk.password_changed",
                &json!({"staff_no": clerk.staff_no}),
            )?;
            Ok(())
        })
    }
}

//! Clerk accounts, argon2 passwords, lockout and the counter session (several
//! clerks share one PC). Administrators manage accounts; every change is an
//! event that syncs.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, FixedOffset};
use rusqlite::{OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::domain::clerk::{
    Clerk, LockoutPolicy, Purpose, Role, after_failure, check_name, check_password, check_staff_no,
    idle_expired, is_locked,
};
use crate::engine::Engine;
use crate::error::{Error, Result};

fn clerk_from_row(r: &Row<'_>) -> rusqlite::Result<Clerk> {
    let role: String = r.get(3)?;
    Ok(Clerk {
        id: r.get(0)?,
        staff_no: r.get(1)?,
        name: r.get(2)?,
        role: Role::parse(&role).unwrap_or(Role::Clerk),
        window_no: r.get(4)?,
    })
}

const CLERK_COLS: &str = "id, staff_no, name, role, window_no";

/// An account as the administrator's list shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    #[serde(flatten)]
    pub clerk: Clerk,
    pub role_zh: &'static str,
    pub active: bool,
    pub disabled_reason: Option<String>,
    pub must_change_password: bool,
    pub last_login_at: Option<String>,
    /// Until when the staff number is locked out of logging in, if it is.
    pub locked_until: Option<String>,
    pub created_at: String,
}

/// A new account from the administrator's form.
#[derive(Debug, Clone, Deserialize)]
pub struct NewAccount {
    pub staff_no: String,
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub window_no: String,
    /// The initial password the administrator hands over.
    pub password: String,
    /// The clerk must choose their own password at the first log-in.
    #[serde(default = "yes")]
    pub must_change_password: bool,
}

fn yes() -> bool {
    true
}

/// What an administrator changes of an account (absent: unchanged).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AccountChange {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub window_no: Option<String>,
}

/// Who is at this counter, for the window: logged in, locked, or owing a
/// new password.
#[derive(Debug, Clone, Serialize)]
pub struct Session {
    pub clerk: Clerk,
    pub role_zh: &'static str,
    pub locked: bool,
    pub must_change_password: bool,
    /// The idle lock in force (minutes, 0 = off): the window locks itself too.
    pub idle_lock_minutes: i64,
    /// What the role may do beyond a clerk's ([`Role::capabilities`]).
    pub may: Vec<&'static str>,
}

fn hash_password(password: &str) -> Result<String> {
    // uuid v4 draws 122 bits from the OS RNG: enough salt, without another dependency.
    let salt = SaltString::encode_b64(uuid::Uuid::new_v4().as_bytes())
        .map_err(|e| Error::invalid("password", format!("salt: {e}"), "密码无法处理"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::invalid("password", format!("cannot hash: {e}"), "密码无法处理"))
}

/// A hash no password matches, verified for unknown or disabled staff numbers
/// so that their answer takes as long as a wrong password's.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        hash_password(&uuid::Uuid::new_v4().to_string()).unwrap_or_else(|_| {
            // Hashing a random string cannot fail with default parameters;
            // should it, a fixed valid PHC string keeps the timing.
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlc2ln".into()
        })
    })
}

fn verify(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A staff number as typed, bounded, for the failure record.
fn typed_staff_no(staff_no: &str) -> String {
    staff_no.trim().chars().take(32).collect()
}

fn parse_time(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s).ok()
}

fn check_window_no(window_no: &str) -> Result<&str> {
    let w = window_no.trim();
    if w.chars().count() > 16 || w.chars().any(char::is_control) {
        return Err(Error::invalid(
            "window_no",
            "bad window number",
            "窗口号不超过16个字符",
        ));
    }
    Ok(w)
}

fn check_reason(reason: &str) -> Result<&str> {
    let r = reason.trim();
    if r.is_empty() || r.chars().count() > 200 {
        return Err(Error::invalid(
            "reason",
            "reason missing or too long",
            "请填写原因（不超过200字）",
        ));
    }
    Ok(r)
}

impl Engine {
    /// Adds a clerk with an initial password they keep. The very first account
    /// of a station must be an admin and needs no actor; after that only an
    /// admin may add accounts.
    pub fn add_clerk(
        &self,
        actor: Option<&Clerk>,
        staff_no: &str,
        name: &str,
        role: Role,
        password: &str,
    ) -> Result<Clerk> {
        self.add_account(
            actor,
            &NewAccount {
                staff_no: staff_no.into(),
                name: name.into(),
                role,
                window_no: String::new(),
                password: password.into(),
                must_change_password: false,
            },
        )
    }

    /// Adds an account (the administrator's form, or the first administrator
    /// at set-up, who sets their own password).
    pub fn add_account(&self, actor: Option<&Clerk>, new: &NewAccount) -> Result<Clerk> {
        let count: i64 = self
            .conn
            .query_row("SELECT count(*) FROM clerks", [], |r| r.get(0))?;
        match actor {
            Some(a) => a.require(Role::Admin, "manage_clerks")?,
            None if count == 0 && new.role == Role::Admin => {}
            None => {
                return Err(Error::rule(
                    "bootstrap_admin",
                    "only the first account may be created without an admin, and it must be an admin",
                    "只有首个账号可直接创建，且必须是管理员；其他账号须由管理员添加",
                ));
            }
        }
        let staff_no = check_staff_no(&new.staff_no)?;
        let name = check_name(&new.name)?;
        let window_no = check_window_no(&new.window_no)?;
        check_password(staff_no, &new.password)?;
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
        let hash = hash_password(&new.password)?;
        // The first administrator chose their own password: nothing to change.
        let must_change = actor.is_some() && new.must_change_password;
        self.write(|w| {
            w.execute(
                "INSERT INTO clerks (staff_no, name, role, password_hash, created_at, window_no, must_change_password)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![staff_no, name, new.role.as_str(), hash, w.now, window_no, must_change],
            )?;
            let id = w.last_insert_rowid();
            w.event(
                "clerk.added",
                &json!({"staff_no": staff_no, "name": name, "role": new.role.as_str(),
                        "window_no": window_no, "must_change_password": must_change,
                        "actor": actor.map(|a| a.staff_no.as_str())}),
            )?;
            Ok(Clerk {
                id,
                staff_no: staff_no.to_owned(),
                name: name.to_owned(),
                role: new.role,
                window_no: window_no.to_owned(),
            })
        })
    }

    /// Active clerks (for pickers that need names, e.g. a leader list).
    pub fn clerks(&self) -> Result<Vec<Clerk>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {CLERK_COLS} FROM clerks WHERE active = 1 ORDER BY staff_no"
        ))?;
        let rows = stmt
            .query_map([], clerk_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Every account, disabled ones too, for the administrator.
    pub fn accounts(&self, actor: &Clerk) -> Result<Vec<Account>> {
        actor.require(Role::Admin, "manage_clerks")?;
        let now = self.clock.now();
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {CLERK_COLS}, active, disabled_reason, must_change_password, last_login_at, created_at,
                    (SELECT locked_until FROM auth_failures f WHERE f.staff_no = clerks.staff_no AND f.purpose = 'login')
             FROM clerks ORDER BY active DESC, staff_no"
        ))?;
        let rows = stmt
            .query_map([], |r| {
                let clerk = clerk_from_row(r)?;
                let locked: Option<String> = r.get(10)?;
                Ok(Account {
                    role_zh: clerk.role.label_zh(),
                    clerk,
                    active: r.get(5)?,
                    disabled_reason: r.get(6)?,
                    must_change_password: r.get(7)?,
                    last_login_at: r.get(8)?,
                    created_at: r.get(9)?,
                    locked_until: locked.filter(|t| is_locked(parse_time(t), now)),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// An active clerk by row id; a disabled account is not found.
    pub(crate) fn clerk_by_id(&self, id: i64) -> Result<Clerk> {
        self.conn
            .query_row(
                &format!("SELECT {CLERK_COLS} FROM clerks WHERE id = ?1 AND active = 1"),
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

    fn lockout_policy(&self) -> Result<LockoutPolicy> {
        Ok(LockoutPolicy {
            max_failures: self.integer_setting("security.lockout_failures")?,
            lock_minutes: self.integer_setting("security.lockout_minutes")?,
        })
    }

    /// The idle lock in force, in minutes (0: off).
    pub fn idle_lock_minutes(&self) -> Result<i64> {
        self.integer_setting("security.idle_lock_minutes")
    }

    /// Checks a staff number and password for `purpose`. Unknown, disabled
    /// and wrong all give the same error after the same work (an argon2
    /// verification); consecutive failures lock the number for a while, and
    /// every failure is an event.
    pub fn authenticate(&self, staff_no: &str, password: &str, purpose: Purpose) -> Result<Clerk> {
        let typed = typed_staff_no(staff_no);
        let now = self.clock.now();
        let record: Option<(i64, Option<String>)> = self
            .conn
            .query_row(
                "SELECT failures, locked_until FROM auth_failures WHERE staff_no = ?1 AND purpose = ?2",
                params![typed, purpose.as_str()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (failures, locked_until) = record.unwrap_or((0, None));
        let locked_until = locked_until.as_deref().and_then(parse_time);
        if is_locked(locked_until, now) {
            return Err(Error::Locked {
                purpose: purpose.as_str(),
                until: locked_until
                    .map(|t| t.format("%H:%M").to_string())
                    .unwrap_or_default(),
            });
        }
        let row: Option<(Clerk, String)> = self
            .conn
            .query_row(
                &format!(
                    "SELECT {CLERK_COLS}, password_hash FROM clerks WHERE staff_no = ?1 AND active = 1"
                ),
                [&typed],
                |r| Ok((clerk_from_row(r)?, r.get(5)?)),
            )
            .optional()?;
        let ok = match &row {
            Some((_, hash)) => verify(hash, password),
            None => {
                verify(decoy_hash(), password);
                false
            }
        };
        if let (true, Some((clerk, _))) = (ok, row) {
            if failures > 0 {
                self.write(|w| {
                    w.execute(
                        "DELETE FROM auth_failures WHERE staff_no = ?1 AND purpose = ?2",
                        params![typed, purpose.as_str()],
                    )?;
                    Ok(())
                })?;
            }
            return Ok(clerk);
        }
        // A lock that has run out starts a fresh count.
        let before = if locked_until.is_some() { 0 } else { failures };
        let (failures, until) = after_failure(self.lockout_policy()?, before, now);
        let until_text = until.map(|t| t.to_rfc3339());
        self.write(|w| {
            w.execute(
                "INSERT INTO auth_failures (staff_no, purpose, failures, last_at, locked_until)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(staff_no, purpose) DO UPDATE SET failures = excluded.failures,
                    last_at = excluded.last_at, locked_until = excluded.locked_until",
                params![typed, purpose.as_str(), failures, w.now, until_text],
            )?;
            w.event(
                "clerk.auth_failed",
                &json!({"staff_no": typed, "purpose": purpose.as_str(), "failures": failures}),
            )?;
            if let Some(t) = &until_text {
                w.event(
                    "clerk.locked_out",
                    &json!({"staff_no": typed, "purpose": purpose.as_str(), "until": t}),
                )?;
            }
            Ok(())
        })?;
        match until {
            Some(t) => Err(Error::Locked {
                purpose: purpose.as_str(),
                until: t.format("%H:%M").to_string(),
            }),
            None => Err(Error::AuthFailed(typed)),
        }
    }

    /// Logs a clerk in at this counter (replacing whoever was logged in, or
    /// unlocking the counter for its own clerk).
    /// The window reads [`Engine::session`] after it: the clerk may owe a new password.
    pub fn login(&self, staff_no: &str, password: &str) -> Result<Clerk> {
        let clerk = self.authenticate(staff_no, password, Purpose::Login)?;
        self.write(|w| {
            w.execute(
                "INSERT INTO counter_session (id, clerk_id, since, last_active, locked) VALUES (1, ?1, ?2, ?2, 0)
                 ON CONFLICT(id) DO UPDATE SET clerk_id = excluded.clerk_id, since = excluded.since,
                    last_active = excluded.last_active, locked = 0",
                params![clerk.id, w.now],
            )?;
            w.execute(
                "UPDATE clerks SET last_login_at = ?1 WHERE id = ?2",
                params![w.now, clerk.id],
            )?;
            w.event("clerk.login", &json!({"staff_no": clerk.staff_no}))?;
            Ok(())
        })?;
        Ok(clerk)
    }

    pub fn logout(&self) -> Result<()> {
        let id: Option<i64> = self
            .conn
            .query_row(
                "SELECT clerk_id FROM counter_session WHERE id = 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let Some(id) = id else {
            return Err(Error::NotLoggedIn);
        };
        let staff_no: Option<String> = self
            .conn
            .query_row("SELECT staff_no FROM clerks WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?;
        self.write(|w| {
            w.execute("DELETE FROM counter_session WHERE id = 1", [])?;
            w.event("clerk.logout", &json!({"staff_no": staff_no}))?;
            Ok(())
        })
    }

    /// Locks the counter (the clerk steps away, or the window's idle timer):
    /// the session stays, the clerk's password opens it again.
    pub fn lock_counter(&self) -> Result<()> {
        self.conn
            .execute("UPDATE counter_session SET locked = 1 WHERE id = 1", [])?;
        Ok(())
    }

    /// The counter's session as it stands, whatever its state (`None`: nobody).
    pub fn session(&self) -> Result<Option<Session>> {
        // One query on every command: an account disabled since logging in
        // finds no row, so nobody is logged in.
        let row: Option<(Clerk, bool, Option<String>, bool)> = self
            .conn
            .prepare_cached(
                "SELECT k.id, k.staff_no, k.name, k.role, k.window_no, k.must_change_password,
                        s.last_active, s.locked
                 FROM counter_session s JOIN clerks k ON k.id = s.clerk_id AND k.active = 1
                 WHERE s.id = 1",
            )?
            .query_row([], |r| {
                Ok((clerk_from_row(r)?, r.get(5)?, r.get(6)?, r.get(7)?))
            })
            .optional()?;
        let Some((clerk, must_change, last_active, locked)) = row else {
            return Ok(None);
        };
        let idle = self.idle_lock_minutes()?;
        let now = self.clock.now();
        let idle_out = last_active
            .as_deref()
            .and_then(parse_time)
            .is_some_and(|t| idle_expired(t, now, idle));
        Ok(Some(Session {
            role_zh: clerk.role.label_zh(),
            may: clerk.role.capabilities(),
            clerk,
            locked: locked || idle_out,
            must_change_password: must_change,
            idle_lock_minutes: idle,
        }))
    }

    /// The clerk logged in at this counter, able to work: not locked, not
    /// owing a new password. Each call counts as activity for the idle lock.
    pub fn current_clerk(&self) -> Result<Clerk> {
        let Some(s) = self.session()? else {
            return Err(Error::NotLoggedIn);
        };
        if s.locked {
            return Err(Error::SessionLocked {
                staff_no: s.clerk.staff_no,
            });
        }
        if s.must_change_password {
            return Err(Error::PasswordChangeRequired(s.clerk.staff_no));
        }
        // Activity is stamped at most every 30 s: one small write, not one per call.
        let now = self.clock.now();
        let cutoff = (now - chrono::Duration::seconds(30)).to_rfc3339();
        self.conn.execute(
            "UPDATE counter_session SET last_active = ?1 WHERE id = 1 AND (last_active IS NULL OR last_active < ?2)",
            params![self.clock.stamp(), cutoff],
        )?;
        Ok(s.clerk)
    }

    /// A clerk changes their own password (also the forced change after a reset).
    pub fn change_password(&self, staff_no: &str, old: &str, new: &str) -> Result<()> {
        let clerk = self.authenticate(staff_no, old, Purpose::Login)?;
        check_password(&clerk.staff_no, new)?;
        if old == new {
            return Err(Error::invalid(
                "password",
                "new password equals the old one",
                "新密码不能与原密码相同",
            ));
        }
        let hash = hash_password(new)?;
        self.write(|w| {
            w.execute(
                "UPDATE clerks SET password_hash = ?1, must_change_password = 0 WHERE id = ?2",
                params![hash, clerk.id],
            )?;
            w.event(
                "clerk.password_changed",
                &json!({"staff_no": clerk.staff_no}),
            )?;
            Ok(())
        })
    }

    /// An account by staff number, active or not, for the administrator.
    fn account_row(&self, staff_no: &str) -> Result<(Clerk, bool)> {
        self.conn
            .query_row(
                &format!("SELECT {CLERK_COLS}, active FROM clerks WHERE staff_no = ?1"),
                [staff_no.trim()],
                |r| Ok((clerk_from_row(r)?, r.get(5)?)),
            )
            .optional()?
            .ok_or_else(|| Error::NotFound {
                what: "clerk",
                key: staff_no.trim().into(),
            })
    }

    fn active_admins_other_than(&self, id: i64) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM clerks WHERE role = 'admin' AND active = 1 AND id != ?1",
            [id],
            |r| r.get(0),
        )?)
    }

    fn refuse_last_admin(&self, target: &Clerk) -> Result<()> {
        if target.role == Role::Admin && self.active_admins_other_than(target.id)? == 0 {
            return Err(Error::rule(
                "last_admin",
                "the station must keep one active administrator",
                "本站至少要保留一名在用的管理员",
            ));
        }
        Ok(())
    }

    /// Changes an account's name, role or window.
    pub fn update_account(
        &self,
        actor: &Clerk,
        staff_no: &str,
        change: &AccountChange,
    ) -> Result<Account> {
        actor.require(Role::Admin, "manage_clerks")?;
        let (target, _) = self.account_row(staff_no)?;
        let name = change.name.as_deref().map(check_name).transpose()?;
        let window_no = change
            .window_no
            .as_deref()
            .map(check_window_no)
            .transpose()?;
        if change.role.is_some_and(|r| r != Role::Admin) {
            self.refuse_last_admin(&target)?;
        }
        self.write(|w| {
            w.execute(
                "UPDATE clerks SET name = coalesce(?1, name), role = coalesce(?2, role),
                    window_no = coalesce(?3, window_no) WHERE id = ?4",
                params![name, change.role.map(Role::as_str), window_no, target.id],
            )?;
            w.event(
                "clerk.updated",
                &json!({"staff_no": target.staff_no, "name": name,
                        "role": change.role.map(Role::as_str), "window_no": window_no,
                        "actor": actor.staff_no}),
            )?;
            Ok(())
        })?;
        self.account(actor, &target.staff_no)
    }

    fn account(&self, actor: &Clerk, staff_no: &str) -> Result<Account> {
        self.accounts(actor)?
            .into_iter()
            .find(|a| a.clerk.staff_no == staff_no)
            .ok_or_else(|| Error::NotFound {
                what: "clerk",
                key: staff_no.into(),
            })
    }

    /// Disables an account with a reason: it can no longer log in or approve;
    /// its history stays. Logged in at this counter, it is logged out.
    pub fn disable_clerk(&self, actor: &Clerk, staff_no: &str, reason: &str) -> Result<Account> {
        actor.require(Role::Admin, "manage_clerks")?;
        let reason = check_reason(reason)?;
        let (target, active) = self.account_row(staff_no)?;
        if !active {
            return self.account(actor, &target.staff_no);
        }
        if target.id == actor.id {
            return Err(Error::rule(
                "disable_self",
                "an administrator may not disable their own account",
                "不能停用自己正在使用的账号",
            ));
        }
        self.refuse_last_admin(&target)?;
        self.write(|w| {
            w.execute(
                "UPDATE clerks SET active = 0, disabled_reason = ?1 WHERE id = ?2",
                params![reason, target.id],
            )?;
            w.execute(
                "DELETE FROM counter_session WHERE clerk_id = ?1",
                [target.id],
            )?;
            w.event(
                "clerk.disabled",
                &json!({"staff_no": target.staff_no, "reason": reason, "actor": actor.staff_no}),
            )?;
            Ok(())
        })?;
        self.account(actor, &target.staff_no)
    }

    /// Re-enables a disabled account, with a reason.
    pub fn enable_clerk(&self, actor: &Clerk, staff_no: &str, reason: &str) -> Result<Account> {
        actor.require(Role::Admin, "manage_clerks")?;
        let reason = check_reason(reason)?;
        let (target, active) = self.account_row(staff_no)?;
        if !active {
            self.write(|w| {
                w.execute(
                    "UPDATE clerks SET active = 1, disabled_reason = NULL WHERE id = ?1",
                    [target.id],
                )?;
                w.event(
                    "clerk.enabled",
                    &json!({"staff_no": target.staff_no, "reason": reason, "actor": actor.staff_no}),
                )?;
                Ok(())
            })?;
        }
        self.account(actor, &target.staff_no)
    }

    /// Sets a temporary password the clerk must change at the next log-in,
    /// and lifts a log-in lockout.
    pub fn reset_password(
        &self,
        actor: &Clerk,
        staff_no: &str,
        temporary: &str,
    ) -> Result<Account> {
        actor.require(Role::Admin, "manage_clerks")?;
        let (target, _) = self.account_row(staff_no)?;
        check_password(&target.staff_no, temporary)?;
        let hash = hash_password(temporary)?;
        self.write(|w| {
            w.execute(
                "UPDATE clerks SET password_hash = ?1, must_change_password = 1 WHERE id = ?2",
                params![hash, target.id],
            )?;
            w.execute(
                "DELETE FROM auth_failures WHERE staff_no = ?1 AND purpose = 'login'",
                [&target.staff_no],
            )?;
            w.event(
                "clerk.password_reset",
                &json!({"staff_no": target.staff_no, "actor": actor.staff_no}),
            )?;
            Ok(())
        })?;
        self.account(actor, &target.staff_no)
    }

    /// Lifts every lockout of a staff number (log-in and approval).
    pub fn lift_lockout(&self, actor: &Clerk, staff_no: &str) -> Result<()> {
        actor.require(Role::Admin, "manage_clerks")?;
        let typed = typed_staff_no(staff_no);
        self.write(|w| {
            let n = w.execute("DELETE FROM auth_failures WHERE staff_no = ?1", [&typed])?;
            if n > 0 {
                w.event(
                    "clerk.lockout_lifted",
                    &json!({"staff_no": typed, "actor": actor.staff_no}),
                )?;
            }
            Ok(())
        })
    }
}

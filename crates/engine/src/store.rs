//! The SQLite file: pragmas, versioned migrations, and the single write path
//! (one IMMEDIATE transaction that changes state and appends its event).

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Params, Transaction, TransactionBehavior, params};
use serde_json::Value;

use crate::at_rest::{self, DataKey};
use crate::domain::template::{BUNDLED_TEMPLATES, TemplateSet};
use crate::error::{Error, Result};
use yichuang_wire::{EventFields, GENESIS_HASH, chain_hash};

/// One schema step: SQL, then an optional data step in the same transaction.
pub struct Migration {
    pub name: &'static str,
    pub sql: &'static str,
    pub backfill: Option<fn(&Transaction<'_>) -> Result<()>>,
}

/// Ordered migrations; `PRAGMA user_version` records how many were applied.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        name: "core",
        sql: include_str!("migrations/0001_core.sql"),
        backfill: None,
    },
    Migration {
        name: "search",
        sql: include_str!("migrations/0002_search.sql"),
        backfill: Some(backfill_name_index),
    },
    Migration {
        name: "legal_text_in_templates",
        sql: include_str!("migrations/0003_legal_text_in_templates.sql"),
        backfill: Some(backfill_legal_text_templates),
    },
    Migration {
        name: "competent_body",
        sql: include_str!("migrations/0004_competent_body.sql"),
        backfill: None,
    },
    Migration {
        name: "agent_guardian",
        sql: include_str!("migrations/0005_agent_guardian.sql"),
        backfill: None,
    },
    Migration {
        name: "notice_series",
        sql: include_str!("migrations/0006_notice_series.sql"),
        backfill: None,
    },
    Migration {
        name: "forward_and_lapse",
        sql: include_str!("migrations/0007_forward_and_lapse.sql"),
        // The 收件回执 is a new notice kind: an active set without it is
        // replaced by the bundled one, as in 0003.
        backfill: Some(backfill_legal_text_templates),
    },
    Migration {
        name: "release_check",
        sql: include_str!("migrations/0008_release_check.sql"),
        backfill: None,
    },
    Migration {
        name: "accounts_security",
        sql: include_str!("migrations/0009_accounts_security.sql"),
        backfill: None,
    },
    Migration {
        name: "notice_index",
        sql: include_str!("migrations/0010_notice_index.sql"),
        backfill: None,
    },
    Migration {
        name: "backup_restore",
        sql: include_str!("migrations/0011_backup_restore.sql"),
        backfill: None,
    },
    Migration {
        name: "font_file_hashes",
        sql: include_str!("migrations/0012_font_file_hashes.sql"),
        backfill: None,
    },
    Migration {
        name: "applicant_rating",
        sql: include_str!("migrations/0013_applicant_rating.sql"),
        backfill: None,
    },
    Migration {
        name: "supervision",
        sql: include_str!("migrations/0014_supervision.sql"),
        backfill: None,
    },
    Migration {
        name: "font_listing",
        sql: include_str!("migrations/0015_font_listing.sql"),
        backfill: None,
    },
];

/// Remedy sentences moved from code into the templates, and a notice kind
/// was added: a station whose active template set lacks either gets the
/// bundled set stored and activated. No event: like the rest of
/// a migration, this is the program's change, not a counter action.
fn backfill_legal_text_templates(tx: &Transaction<'_>) -> Result<()> {
    let active: Option<String> = tx
        .query_row("SELECT content FROM templates WHERE active = 1", [], |r| {
            r.get(0)
        })
        .optional()?;
    let Some(active) = active else {
        return Ok(());
    };
    if !TemplateSet::parse(&active)?.is_outdated() {
        return Ok(());
    }
    let bundled = TemplateSet::parse(BUNDLED_TEMPLATES)?;
    tx.execute(
        "INSERT INTO templates (version, sha256, content, imported_at, active)
         VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), 0)
         ON CONFLICT(version) DO NOTHING",
        params![
            bundled.version,
            yichuang_wire::sha256_hex(BUNDLED_TEMPLATES.as_bytes()),
            BUNDLED_TEMPLATES
        ],
    )?;
    tx.execute("UPDATE templates SET active = 0 WHERE active = 1", [])?;
    tx.execute(
        "UPDATE templates SET active = 1 WHERE version = ?1",
        [&bundled.version],
    )?;
    Ok(())
}

/// Indexes the names of cases registered before the search index existed.
fn backfill_name_index(tx: &Transaction<'_>) -> Result<()> {
    let mut stmt = tx.prepare("SELECT id, applicant_name FROM cases")?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for (id, name) in rows {
        tx.execute(
            "INSERT INTO case_name_fts (rowid, tokens) VALUES (?1, ?2)",
            params![id, name_tokens(&name)],
        )?;
    }
    Ok(())
}

pub const EVENT_SCHEMA_VERSION: u32 = 1;

pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// Opens (creating if needed) a plain station database with the pragmas the
/// design requires, without migrating it.
pub fn open_raw(path: &Path) -> Result<Connection> {
    open_raw_keyed(path, None)
}

/// As [`open_raw`]; an encrypted database gets its `key` before any other
/// statement. Without the key, or with another one, this fails
/// (`Error::AtRest`), before anything else is read.
pub fn open_raw_keyed(path: &Path, key: Option<&DataKey>) -> Result<Connection> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.display().to_string(),
            source,
        })?;
    }
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    at_rest::apply_key(&conn, path, key)?;
    // WAL + FULL: a committed case survives power loss; readers never block the writer.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

pub fn schema_version(conn: &Connection) -> Result<i64> {
    Ok(conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
}

/// Applies pending migrations up to `target`, each in its own transaction.
pub fn migrate_to(conn: &mut Connection, target: i64) -> Result<()> {
    let current = schema_version(conn)?;
    if current > latest_version() {
        return Err(Error::SchemaTooNew {
            found: current,
            supported: latest_version(),
        });
    }
    for (i, m) in MIGRATIONS.iter().enumerate() {
        let version = i as i64 + 1;
        if version <= current || version > target {
            continue;
        }
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(m.sql)?;
        if let Some(backfill) = m.backfill {
            backfill(&tx)?;
        }
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
    }
    Ok(())
}

pub fn migrate(conn: &mut Connection) -> Result<()> {
    migrate_to(conn, latest_version())
}

/// A write in progress. Dropping it without [`Write::commit`] rolls back, so an
/// error anywhere leaves the database exactly as it was.
///
/// The transaction is private to this module: code outside changes the
/// database only through these methods, inside `Engine::write` (or
/// `Engine::init`, which creates the log), so every change shares one
/// transaction with its event.
pub struct Write<'c> {
    tx: Transaction<'c>,
    pub log_id: String,
    pub now: String,
}

impl<'c> Write<'c> {
    pub fn begin(conn: &'c Connection, log_id: &str, now: String) -> Result<Write<'c>> {
        Ok(Write {
            tx: Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?,
            log_id: log_id.to_owned(),
            now,
        })
    }

    /// Runs one statement in this write's transaction.
    pub fn execute<P: Params>(&self, sql: &str, params: P) -> Result<usize> {
        Ok(self.tx.execute(sql, params)?)
    }

    /// Reads one row inside this write's transaction (e.g. a guard that must
    /// see the rows this write already changed).
    pub fn query_row<T, P: Params>(
        &self,
        sql: &str,
        params: P,
        f: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        self.tx.query_row(sql, params, f)
    }

    /// A prepared (cached) statement inside this write's transaction.
    pub fn prepare(&self, sql: &str) -> Result<rusqlite::CachedStatement<'_>> {
        Ok(self.tx.prepare_cached(sql)?)
    }

    pub fn last_insert_rowid(&self) -> i64 {
        self.tx.last_insert_rowid()
    }

    /// Appends one event to the hash chain; returns its seq.
    ///
    /// This is the only code that inserts into `events`; triggers refuse
    /// UPDATE and DELETE, so the log can only grow.
    pub fn event(&self, kind: &str, payload: &Value) -> Result<i64> {
        // A restored station waits for the county's head (see 0011).
        let pending: bool =
            self.tx
                .query_row("SELECT EXISTS (SELECT 1 FROM restore_check)", [], |r| {
                    r.get(0)
                })?;
        if pending {
            return Err(Error::backup(
                "restore_pending",
                format!("restored station: no event ({kind}) before the county head check"),
                "本站由备份恢复，须先与县级服务器核对日志后才能办理业务（核对前不写入任何记录，以免日志分叉）",
            ));
        }
        let (last_seq, prev_hash): (i64, String) = self
            .tx
            .query_row(
                "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .unwrap_or((0, GENESIS_HASH.to_owned()));
        let seq = last_seq + 1;
        let event_id = uuid::Uuid::now_v7().to_string();
        let payload = serde_json::to_string(payload)?;
        let hash = chain_hash(
            &prev_hash,
            &EventFields {
                log_id: &self.log_id,
                seq: seq as u64,
                event_id: &event_id,
                kind,
                schema_version: EVENT_SCHEMA_VERSION,
                device_time: &self.now,
                payload: &payload,
            },
        );
        self.tx.execute(
            "INSERT INTO events (seq, log_id, event_id, kind, schema_version, device_time, payload, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![seq, self.log_id, event_id, kind, EVENT_SCHEMA_VERSION, self.now, payload, prev_hash, hash],
        )?;
        Ok(seq)
    }

    /// Next value of a gap-free counter; the increment commits or rolls back
    /// with the row that uses it.
    pub fn next_counter(&self, scope: &str) -> Result<i64> {
        Ok(self.tx.query_row(
            "INSERT INTO counters (scope, value) VALUES (?1, 1)
             ON CONFLICT(scope) DO UPDATE SET value = value + 1 RETURNING value",
            [scope],
            |r| r.get(0),
        )?)
    }

    pub fn commit(self) -> Result<()> {
        self.tx.commit()?;
        Ok(())
    }
}

/// Splits text into one FTS token per character, so that a phrase query
/// matches any substring (Chinese names have no spaces to split on).
pub fn name_tokens(name: &str) -> String {
    let mut out = String::with_capacity(name.len() * 2);
    for c in name.chars().filter(|c| c.is_alphanumeric()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// The FTS5 phrase query for a name fragment; `None` if nothing searchable.
pub fn name_query(fragment: &str) -> Option<String> {
    let tokens = name_tokens(fragment);
    (!tokens.is_empty()).then(|| format!("\"{tokens}\""))
}

/// Maps a column value the engine wrote but cannot read back (an unknown
/// enum name, broken JSON) to rusqlite's conversion error, keeping the cause.
pub(crate) fn bad_column<E>(col: usize, e: E) -> rusqlite::Error
where
    E: std::error::Error + Send + Sync + 'static,
{
    rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, Box::new(e))
}

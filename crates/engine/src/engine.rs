//! The station engine: one SQLite database, the active catalog and calendar.
//! Domain modules add their operations to [`Engine`] in their own files.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;

use crate::at_rest::DataKey;
use crate::clock::Clock;
use crate::domain::calendar::{BUNDLED_YEARS, Calendar};
use crate::domain::catalog::{BUNDLED_CATALOG, Catalog};
use crate::domain::clerk::{Clerk, Role};
use crate::domain::station::{StationInfo, validate_station};
use crate::domain::template::{BUNDLED_TEMPLATES, TemplateSet};
use crate::error::{Error, Result};
use crate::store::{self, Write};

/// Environment variable naming the station database file.
pub const DB_ENV: &str = "YICHUANG_DB";

pub struct Engine {
    pub(crate) conn: Connection,
    pub(crate) clock: Clock,
    // Replaced whole when the county publishes a year, so readers never see a mix.
    calendar: RefCell<Arc<Calendar>>,
    pub(crate) station: Option<StationInfo>,
    catalogs: RefCell<HashMap<String, Arc<Catalog>>>,
    templates: RefCell<HashMap<String, Arc<TemplateSet>>>,
    pub(crate) fonts: RefCell<Option<Arc<yichuang_pdf::FontSet>>>,
    path: PathBuf,
    /// The data key of an encrypted database, to key the copies made of it
    /// (backups); SQLCipher holds it in memory anyway while the file is open.
    pub(crate) key: Option<DataKey>,
}

/// The per-OS default location of the station database.
pub fn default_db_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("cn", "yichuang", "yichuang")
        .map(|d| d.data_dir().join("station.sqlite3"))
}

impl Engine {
    /// Opens (and migrates) the plain station database at `path`.
    pub fn open(path: &Path) -> Result<Engine> {
        Engine::open_keyed(path, None)
    }

    /// Opens (and migrates, or creates) the encrypted station database at
    /// `path` with its data key ([`crate::at_rest`]); without the right key
    /// this fails before anything is read. By custody: [`Engine::open_station`].
    pub fn open_with_key(path: &Path, key: &DataKey) -> Result<Engine> {
        Engine::open_keyed(path, Some(key))
    }

    fn open_keyed(path: &Path, key: Option<&DataKey>) -> Result<Engine> {
        let mut conn = store::open_raw_keyed(path, key)?;
        store::migrate(&mut conn)?;
        let mut engine = Engine {
            conn,
            clock: Clock::system(),
            calendar: RefCell::new(Arc::new(Calendar::default())),
            station: None,
            catalogs: RefCell::new(HashMap::new()),
            templates: RefCell::new(HashMap::new()),
            fonts: RefCell::new(None),
            path: path.to_owned(),
            key: key.map(DataKey::duplicate),
        };
        engine.reload()?;
        Ok(engine)
    }

    pub fn with_clock(mut self, clock: Clock) -> Engine {
        self.clock = clock;
        self
    }

    pub fn set_clock(&mut self, clock: Clock) {
        self.clock = clock;
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn calendar(&self) -> Arc<Calendar> {
        self.calendar.borrow().clone()
    }

    /// Raw read access for reports and benchmarks; writes go through [`Engine::write`].
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn reload(&mut self) -> Result<()> {
        self.reload_calendar()?;
        self.station = self
            .conn
            .query_row(
                "SELECT code, name, county, log_id, created_at FROM station WHERE id = 1",
                [],
                |r| {
                    Ok(StationInfo {
                        code: r.get(0)?,
                        name: r.get(1)?,
                        county: r.get(2)?,
                        log_id: r.get(3)?,
                        created_at: r.get(4)?,
                    })
                },
            )
            .optional()?;
        Ok(())
    }

    /// Re-reads the holiday calendar; call after another connection (the
    /// background sync) applied a county release to this database.
    pub fn reload_calendar(&self) -> Result<()> {
        let mut cal = Calendar::default();
        let mut stmt = self
            .conn
            .prepare("SELECT content FROM calendar_years ORDER BY year")?;
        for text in stmt.query_map([], |r| r.get::<_, String>(0))? {
            cal.add_year_json(&text?)?;
        }
        *self.calendar.borrow_mut() = Arc::new(cal);
        Ok(())
    }

    pub fn station(&self) -> Result<&StationInfo> {
        self.station.as_ref().ok_or(Error::NotInitialised)
    }

    /// Creates the station: identity, a fresh event log, the bundled calendar
    /// and catalog. One transaction; refuses to run twice.
    pub fn init(&mut self, code: &str, name: &str, county: &str) -> Result<StationInfo> {
        if self.station.is_some() {
            return Err(Error::AlreadyInitialised);
        }
        let (code, name, county) = validate_station(code, name, county)?;
        let log_id = uuid::Uuid::new_v4().to_string();
        let now = self.clock.stamp();
        let w = Write::begin(&self.conn, &log_id, now.clone())?;
        w.execute(
            "INSERT INTO station (id, code, name, county, log_id, created_at) VALUES (1, ?1, ?2, ?3, ?4, ?5)",
            params![code, name, county, log_id, now],
        )?;
        w.execute(
            "INSERT INTO sync_state (id, acked_seq, acked_hash) VALUES (1, 0, ?1)",
            [yichuang_wire::GENESIS_HASH],
        )?;
        w.event(
            "station.initialised",
            &json!({"station_code": code, "station_name": name, "county": county}),
        )?;
        for (year, text) in BUNDLED_YEARS {
            store_calendar_year(&w, year, text, "bundled")?;
        }
        let catalog = Catalog::parse_new(BUNDLED_CATALOG, "assets/catalog/catalog.json")?;
        store_catalog(&w, &catalog, BUNDLED_CATALOG)?;
        let templates = TemplateSet::parse(BUNDLED_TEMPLATES)?;
        store_templates(&w, &templates.version, BUNDLED_TEMPLATES)?;
        w.commit()?;
        self.reload()?;
        self.station().cloned()
    }

    /// Runs `f` in one IMMEDIATE transaction with the station's log; commits
    /// only if `f` succeeds.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&Write<'_>) -> Result<T>) -> Result<T> {
        let log_id = self.station()?.log_id.clone();
        let w = Write::begin(&self.conn, &log_id, self.clock.stamp())?;
        let out = f(&w)?;
        w.commit()?;
        Ok(out)
    }

    // ---- settings -------------------------------------------------------

    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    // ---- catalog --------------------------------------------------------

    /// The active catalog.
    pub fn catalog(&self) -> Result<Arc<Catalog>> {
        let version: String = self
            .conn
            .query_row("SELECT version FROM catalogs WHERE active = 1", [], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or(Error::NotInitialised)?;
        self.catalog_version(&version)
    }

    /// A catalog by version (cases keep the version they were registered under).
    pub fn catalog_version(&self, version: &str) -> Result<Arc<Catalog>> {
        if let Some(c) = self.catalogs.borrow().get(version) {
            return Ok(c.clone());
        }
        let text: String = self
            .conn
            .query_row(
                "SELECT content FROM catalogs WHERE version = ?1",
                [version],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| Error::NotFound {
                what: "catalog",
                key: version.into(),
            })?;
        let cat = Arc::new(Catalog::parse(&text, version)?);
        self.catalogs
            .borrow_mut()
            .insert(version.to_owned(), cat.clone());
        Ok(cat)
    }

    /// Validates and activates a catalog document. Any error leaves the
    /// previously active catalog in place.
    pub fn import_catalog(&self, actor: &Clerk, text: &str, file: &str) -> Result<String> {
        actor.require(Role::Admin, "import_catalog")?;
        let catalog = Catalog::parse_new(text, file)?;
        self.write(|w| {
            store_catalog(w, &catalog, text)?;
            w.event(
                "catalog.activated",
                &json!({"version": catalog.version, "actor": actor.staff_no,
                        "sha256": yichuang_wire::sha256_hex(text.as_bytes())}),
            )?;
            Ok(catalog.version.clone())
        })
    }

    pub fn catalog_versions(&self) -> Result<Vec<(String, String, bool)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT version, imported_at, active FROM catalogs ORDER BY imported_at")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    // ---- notice templates -----------------------------------------------

    /// The active template version.
    pub fn active_template_version(&self) -> Result<String> {
        self.conn
            .query_row("SELECT version FROM templates WHERE active = 1", [], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or(Error::NotInitialised)
    }

    /// A template set by version (records keep the version they were printed with).
    pub fn templates(&self, version: &str) -> Result<Arc<TemplateSet>> {
        if let Some(t) = self.templates.borrow().get(version) {
            return Ok(t.clone());
        }
        let text: String = self
            .conn
            .query_row(
                "SELECT content FROM templates WHERE version = ?1",
                [version],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| Error::NotFound {
                what: "templates",
                key: version.into(),
            })?;
        let set = Arc::new(TemplateSet::parse(&text)?);
        self.templates
            .borrow_mut()
            .insert(version.to_owned(), set.clone());
        Ok(set)
    }

    /// Validates and activates a template file (e.g. published by the county).
    pub fn import_templates(&self, actor: &Clerk, text: &str) -> Result<String> {
        actor.require(Role::Admin, "import_catalog")?;
        let set = TemplateSet::parse(text)?;
        set.require_every_kind()?;
        self.write(|w| {
            store_templates(w, &set.version, text)?;
            w.event(
                "templates.activated",
                &json!({"version": set.version, "actor": actor.staff_no,
                        "sha256": yichuang_wire::sha256_hex(text.as_bytes())}),
            )?;
            Ok(set.version.clone())
        })
    }

    // ---- calendar -------------------------------------------------------

    /// Stores (or replaces) one year of holiday data from a file
    /// (administrators: the calendar drives every statutory deadline).
    /// County releases arrive through sync instead.
    pub fn import_calendar_year(&mut self, actor: &Clerk, text: &str, source: &str) -> Result<i32> {
        actor.require(Role::Admin, "import_calendar")?;
        let (year, _) = crate::domain::calendar::parse_year(text)?;
        self.write(|w| {
            store_calendar_year(w, year, text, source)?;
            w.event(
                "calendar.year_imported",
                &json!({"year": year, "source": source, "actor": actor.staff_no,
                        "sha256": yichuang_wire::sha256_hex(text.as_bytes())}),
            )?;
            Ok(())
        })?;
        self.reload()?;
        Ok(year)
    }
}

pub(crate) fn store_calendar_year(
    w: &Write<'_>,
    year: i32,
    text: &str,
    source: &str,
) -> Result<()> {
    w.execute(
        "INSERT INTO calendar_years (year, content, sha256, source, imported_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(year) DO UPDATE SET content = excluded.content, sha256 = excluded.sha256,
             source = excluded.source, imported_at = excluded.imported_at",
        params![year, text, yichuang_wire::sha256_hex(text.as_bytes()), source, w.now],
    )?;
    Ok(())
}

pub(crate) fn store_templates(w: &Write<'_>, version: &str, text: &str) -> Result<()> {
    let sha = yichuang_wire::sha256_hex(text.as_bytes());
    let existing: Option<String> = w
        .query_row(
            "SELECT sha256 FROM templates WHERE version = ?1",
            [version],
            |r| r.get(0),
        )
        .optional()?;
    match existing {
        Some(s) if s != sha => {
            return Err(Error::invalid(
                "templates",
                format!("template version {version} exists with other content"),
                "同一版本号的文书模板已导入过不同内容，请使用新的版本号",
            ));
        }
        Some(_) => {}
        None => {
            w.execute(
                "INSERT INTO templates (version, sha256, content, imported_at, active) VALUES (?1, ?2, ?3, ?4, 0)",
                params![version, sha, text, w.now],
            )?;
        }
    }
    w.execute("UPDATE templates SET active = 0 WHERE active = 1", [])?;
    w.execute(
        "UPDATE templates SET active = 1 WHERE version = ?1",
        [version],
    )?;
    Ok(())
}

pub(crate) fn store_catalog(w: &Write<'_>, catalog: &Catalog, text: &str) -> Result<()> {
    let sha = yichuang_wire::sha256_hex(text.as_bytes());
    let existing: Option<String> = w
        .query_row(
            "SELECT sha256 FROM catalogs WHERE version = ?1",
            [&catalog.version],
            |r| r.get(0),
        )
        .optional()?;
    match existing {
        Some(s) if s != sha => {
            return Err(Error::Catalog {
                file: catalog.version.clone(),
                item: "-".into(),
                field: "version".into(),
                reason: "同一版本号已导入过不同内容，请使用新的版本号".into(),
            });
        }
        Some(_) => {}
        None => {
            w.execute(
                "INSERT INTO catalogs (version, published, sha256, content, imported_at, active)
                 VALUES (?1, ?2, ?3, ?4, ?5, 0)",
                params![catalog.version, catalog.published, sha, text, w.now],
            )?;
        }
    }
    w.execute("UPDATE catalogs SET active = 0 WHERE active = 1", [])?;
    w.execute(
        "UPDATE catalogs SET active = 1 WHERE version = ?1",
        [&catalog.version],
    )?;
    Ok(())
}

//! A new station sets itself up (the first-run wizard), and what the window
//! shows of the station's reference data: the catalog and the calendar's
//! years with their status.

use chrono::Datelike;
use serde::{Deserialize, Serialize};

use crate::domain::catalog::ServiceItem;
use crate::domain::clerk::{Clerk, Role, check_name, check_password, check_staff_no};
use crate::domain::settings::setting_def;
use crate::domain::station::validate_station;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::ops::accounts::{NewAccount, Session};

/// What the set-up wizard asks of a new station.
#[derive(Debug, Clone, Deserialize)]
pub struct StationSetup {
    pub station_code: String,
    pub station_name: String,
    pub county: String,
    /// 出文机关; empty: the registry's default from the county.
    #[serde(default)]
    pub office_name: String,
    #[serde(default)]
    pub office_address: String,
    pub admin_staff_no: String,
    pub admin_name: String,
    pub admin_password: String,
}

/// One year of the working-day calendar as the window lists it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CalendarYearStatus {
    pub year: i32,
    /// `bundled`, `county` (a signed release) or the file an administrator imported.
    pub source: String,
    pub imported_at: Option<String>,
    pub sha256: Option<String>,
    pub holidays: usize,
    pub make_up_workdays: usize,
    /// False: no published holidays for the year; deadlines in it are provisional.
    pub published: bool,
    pub status_zh: String,
}

/// One item with its legal basis cited as a notice cites it.
#[derive(Debug, Clone, Serialize)]
pub struct CatalogItemView {
    #[serde(flatten)]
    pub item: ServiceItem,
    pub basis_zh: Vec<String>,
    pub statutory_basis_zh: Vec<String>,
}

/// The catalog in force, for the window's 事项清单 view.
#[derive(Debug, Clone, Serialize)]
pub struct CatalogOverview {
    pub version: String,
    pub published: String,
    pub items: Vec<CatalogItemView>,
    /// Every stored version: (version, imported at, active).
    pub versions: Vec<(String, String, bool)>,
}

impl StationSetup {
    /// Every field checked, nothing written: the window creates the
    /// station's (encrypted) database file only for a set-up that will pass.
    /// Returns the office name and address as they will be stored.
    pub fn check(&self) -> Result<(String, String)> {
        validate_station(&self.station_code, &self.station_name, &self.county)?;
        let office_name = setting_def("office.name")?.check(&self.office_name)?;
        let office_address = setting_def("office.address")?.check(&self.office_address)?;
        let staff_no = check_staff_no(&self.admin_staff_no)?;
        check_name(&self.admin_name)?;
        check_password(staff_no, &self.admin_password)?;
        Ok((office_name, office_address))
    }
}

impl Engine {
    /// Whether the window must run the set-up wizard: no station yet, or no
    /// administrator who could log in (a set-up that stopped half-way).
    pub fn needs_setup(&self) -> Result<bool> {
        if self.station().is_err() {
            return Ok(true);
        }
        let admins: i64 = self.conn.query_row(
            "SELECT count(*) FROM clerks WHERE role = 'admin' AND active = 1",
            [],
            |r| r.get(0),
        )?;
        Ok(admins == 0)
    }

    /// Sets up a new station: identity, the first administrator (who chose the
    /// password), the issuing office; then logs the administrator in. Every
    /// field is checked before anything is written; refused once set up.
    pub fn set_up_station(&mut self, s: &StationSetup) -> Result<Session> {
        if !self.needs_setup()? {
            return Err(Error::AlreadyInitialised);
        }
        let (office_name, office_address) = s.check()?;
        if self.station().is_err() {
            self.init(&s.station_code, &s.station_name, &s.county)?;
        }
        let admin = self.add_account(
            None,
            &NewAccount {
                staff_no: s.admin_staff_no.clone(),
                name: s.admin_name.clone(),
                role: Role::Admin,
                window_no: String::new(),
                password: s.admin_password.clone(),
                must_change_password: false,
            },
        )?;
        if !office_name.is_empty() {
            self.set_setting(&admin, "office.name", &office_name)?;
        }
        if !office_address.is_empty() {
            self.set_setting(&admin, "office.address", &office_address)?;
        }
        self.login(&admin.staff_no, &s.admin_password)?;
        self.session()?.ok_or(Error::NotLoggedIn)
    }

    /// The calendar's stored years and the next year, with their status.
    pub fn calendar_status(&self, _actor: &Clerk) -> Result<Vec<CalendarYearStatus>> {
        let mut stmt = self.conn.prepare(
            "SELECT year, source, imported_at, sha256 FROM calendar_years ORDER BY year",
        )?;
        let stored = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i32>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let cal = self.calendar();
        let counts = |year: i32| {
            let (mut h, mut m) = (0, 0);
            let mut d = chrono::NaiveDate::from_ymd_opt(year, 1, 1);
            while let Some(day) = d.filter(|x| x.year() == year) {
                match cal.describe(day) {
                    Some(crate::domain::calendar::DayOverride::Holiday(_)) => h += 1,
                    Some(crate::domain::calendar::DayOverride::MakeUpWorkday(_)) => m += 1,
                    None => {}
                }
                d = day.succ_opt();
            }
            (h, m)
        };
        let mut out: Vec<CalendarYearStatus> = stored
            .into_iter()
            .map(|(year, source, at, sha)| {
                let (holidays, make_up_workdays) = counts(year);
                let published = cal.has_year(year);
                CalendarYearStatus {
                    status_zh: if published {
                        format!("已发布（{holidays} 天假日，{make_up_workdays} 天调休上班）")
                    } else {
                        "未发布假日安排：期限按暂定计算".into()
                    },
                    year,
                    source,
                    imported_at: Some(at),
                    sha256: Some(sha),
                    holidays,
                    make_up_workdays,
                    published,
                }
            })
            .collect();
        let next = self.clock.today().year() + 1;
        if !out.iter().any(|y| y.year == next) {
            out.push(CalendarYearStatus {
                year: next,
                source: String::new(),
                imported_at: None,
                sha256: None,
                holidays: 0,
                make_up_workdays: 0,
                published: false,
                status_zh: "尚未收到：落在该年的期限按暂定计算（标注“暂定”）".into(),
            });
        }
        Ok(out)
    }

    /// The catalog in force with every item, and the stored versions.
    pub fn catalog_overview(&self, _actor: &Clerk) -> Result<CatalogOverview> {
        let cat = self.catalog()?;
        Ok(CatalogOverview {
            version: cat.version.clone(),
            published: cat.published.clone(),
            items: cat
                .items
                .iter()
                .map(|i| CatalogItemView {
                    basis_zh: i.legal_basis.iter().map(|b| b.cite()).collect(),
                    statutory_basis_zh: i.statutory_basis.iter().map(|b| b.cite()).collect(),
                    item: i.clone(),
                })
                .collect(),
            versions: self.catalog_versions()?,
        })
    }
}

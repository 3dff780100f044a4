//! Accounts an administrator manages, lockout after wrong passwords (log-in
//! and leader approval), the idle lock, the set-up of a new station, the
//! recorded reveal of an ID number, and who may read what.

use yichuang_engine::accounts::{AccountChange, NewAccount};
use yichuang_engine::clerk::Purpose;
use yichuang_engine::setup::StationSetup;
use yichuang_engine::{Engine, Error, Role};
use yichuang_testkit::*;

fn kinds(s: &Station, n: usize) -> Vec<String> {
    s.e.tail_events(n)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

#[test]
fn an_administrator_adds_disables_and_re_enables_a_clerk() {
    let s = station();
    let new = NewAccount {
        staff_no: "2003".into(),
        name: "赵新人".into(),
        role: Role::Clerk,
        window_no: "3".into(),
        password: "initial-pw1".into(),
        must_change_password: true,
    };
    // Only an administrator manages accounts.
    assert!(matches!(
        s.e.add_account(Some(&s.leader), &new),
        Err(Error::Forbidden { .. })
    ));
    assert!(matches!(
        s.e.accounts(&s.clerk),
        Err(Error::Forbidden { .. })
    ));
    s.e.add_account(Some(&s.admin), &new).unwrap();
    // The initial password works once, then must be changed before any work.
    s.e.login("2003", "initial-pw1").unwrap();
    assert!(s.e.session().unwrap().unwrap().must_change_password);
    assert!(matches!(
        s.e.current_clerk(),
        Err(Error::PasswordChangeRequired(_))
    ));
    assert!(s.e.change_password("2003", "initial-pw1", "2003").is_err());
    s.e.change_password("2003", "initial-pw1", "my-own-pw9")
        .unwrap();
    let me = s.e.current_clerk().unwrap();
    assert_eq!((me.staff_no.as_str(), me.window_no.as_str()), ("2003", "3"));

    // Disabled with a reason: logged out, refused as an unknown number would be.
    assert!(s.e.disable_clerk(&s.admin, "2003", " ").is_err());
    let a = s.e.disable_clerk(&s.admin, "2003", "调离本站").unwrap();
    assert!(!a.active);
    assert_eq!(a.disabled_reason.as_deref(), Some("调离本站"));
    assert!(matches!(s.e.current_clerk(), Err(Error::NotLoggedIn)));
    assert!(matches!(
        s.e.login("2003", "my-own-pw9"),
        Err(Error::AuthFailed(_))
    ));
    assert!(s.e.clerk_by_staff_no("2003").is_err());
    // History stays: the account is listed, and its events are in the log.
    let all = s.e.accounts(&s.admin).unwrap();
    assert!(all.iter().any(|a| a.clerk.staff_no == "2003" && !a.active));

    let a = s.e.enable_clerk(&s.admin, "2003", "返岗").unwrap();
    assert!(a.active && a.disabled_reason.is_none());
    s.e.login("2003", "my-own-pw9").unwrap();
    assert!(s.e.current_clerk().is_ok());
    assert!(
        s.e.tail_events(40)
            .unwrap()
            .iter()
            .any(|e| e.kind == "clerk.disabled"
                && e.payload.contains("调离本站")
                && e.payload.contains("\"actor\":\"0001\""))
    );
    assert_eq!(kinds(&s, 1), ["clerk.login"]);
}

#[test]
fn edits_resets_and_the_last_administrator() {
    let s = station();
    let a =
        s.e.update_account(
            &s.admin,
            "2001",
            &AccountChange {
                name: Some("张窗口（新）".into()),
                role: Some(Role::Leader),
                window_no: Some("5".into()),
            },
        )
        .unwrap();
    assert_eq!(
        (a.clerk.role, a.clerk.window_no.as_str()),
        (Role::Leader, "5")
    );
    assert_eq!(a.clerk.name, "张窗口（新）");
    // The station keeps one active administrator.
    let demote = AccountChange {
        role: Some(Role::Clerk),
        ..Default::default()
    };
    assert!(matches!(
        s.e.update_account(&s.admin, "0001", &demote),
        Err(Error::Rule {
            rule: "last_admin",
            ..
        })
    ));
    assert!(s.e.disable_clerk(&s.admin, "0001", "测试").is_err());
    // A reset forces a change at the next log-in; the rules apply to it too.
    assert!(s.e.reset_password(&s.admin, "2002", "2002").is_err());
    assert!(s.e.reset_password(&s.admin, "2002", "short").is_err());
    s.e.reset_password(&s.admin, "2002", "temp-pass-1").unwrap();
    assert!(s.e.login("2002", PW).is_err());
    s.e.login("2002", "temp-pass-1").unwrap();
    assert!(matches!(
        s.e.current_clerk(),
        Err(Error::PasswordChangeRequired(_))
    ));
    let last = s.e.accounts(&s.admin).unwrap();
    let li = last.iter().find(|a| a.clerk.staff_no == "2002").unwrap();
    assert!(li.must_change_password && li.last_login_at.is_some());
}

#[test]
fn repeated_wrong_passwords_lock_the_number_for_a_while() {
    let mut s = station();
    for i in 1..5 {
        assert!(
            matches!(s.e.login("2001", "wrong-pass"), Err(Error::AuthFailed(_))),
            "attempt {i}"
        );
    }
    // The fifth failure locks (default 5 / 15 minutes) …
    assert!(matches!(
        s.e.login("2001", "wrong-pass"),
        Err(Error::Locked { .. })
    ));
    // … and the right password is refused while the lock holds.
    let err = s.e.login("2001", PW).unwrap_err();
    assert!(
        err.user_message().contains("09:45"),
        "{}",
        err.user_message()
    );
    assert!(kinds(&s, 3).contains(&"clerk.locked_out".to_string()));
    // An unknown number locks the same way: nobody learns which numbers exist.
    for _ in 0..5 {
        assert!(s.e.login("9999", "whatever1").is_err());
    }
    assert!(matches!(
        s.e.login("9999", "whatever1"),
        Err(Error::Locked { .. })
    ));
    // Time lifts it.
    s.e.set_clock(clock("2026-11-23T09:45:00+08:00"));
    s.e.login("2001", PW).unwrap();
    // Or an administrator does, and the lift is recorded.
    s.e.set_clock(clock(TEST_NOW));
    for _ in 0..5 {
        let _ = s.e.login("2002", "wrong-pass");
    }
    assert!(s.e.login("2002", PW).is_err());
    let locked = s.e.accounts(&s.admin).unwrap();
    assert!(
        locked
            .iter()
            .any(|a| a.clerk.staff_no == "2002" && a.locked_until.is_some())
    );
    assert!(s.e.lift_lockout(&s.clerk, "2002").is_err());
    s.e.lift_lockout(&s.admin, "2002").unwrap();
    assert_eq!(kinds(&s, 1), ["clerk.lockout_lifted"]);
    s.e.login("2002", PW).unwrap();
}

#[test]
fn a_leaders_approval_has_its_own_lockout() {
    let s = station();
    s.e.login("2001", PW).unwrap();
    let c =
        s.e.register_case(&s.clerk, &new_case(&s.e, "RS-SY-001", 1, &[]))
            .unwrap();
    s.e.propose_rejection(&s.clerk, &c.case_no, "不符合条件", "《社会保险法》第十六条")
        .unwrap();
    for _ in 0..4 {
        assert!(matches!(
            s.e.approve_rejection(&c.case_no, "1001", "wrong-pass"),
            Err(Error::AuthFailed(_))
        ));
    }
    assert!(matches!(
        s.e.approve_rejection(&c.case_no, "1001", "wrong-pass"),
        Err(Error::Locked {
            purpose: "approval",
            ..
        })
    ));
    assert!(s.e.approve_rejection(&c.case_no, "1001", PW).is_err());
    // The leader can still log in at their own window.
    assert!(s.e.authenticate("1001", PW, Purpose::Login).is_ok());
    s.e.lift_lockout(&s.admin, "1001").unwrap();
    s.e.approve_rejection(&c.case_no, "1001", PW).unwrap();
}

#[test]
fn an_idle_counter_locks_and_the_clerks_password_opens_it() {
    let mut s = station();
    s.e.login("2001", PW).unwrap();
    s.e.set_clock(clock("2026-11-23T09:39:00+08:00"));
    assert!(s.e.current_clerk().is_ok(), "9 minutes: still open");
    s.e.set_clock(clock("2026-11-23T09:48:30+08:00"));
    assert!(
        s.e.current_clerk().is_ok(),
        "activity at 09:39 restarted the timer"
    );
    s.e.set_clock(clock("2026-11-23T09:58:30+08:00"));
    assert!(matches!(
        s.e.current_clerk(),
        Err(Error::SessionLocked { .. })
    ));
    assert!(s.e.session().unwrap().unwrap().locked);
    s.e.login("2001", PW).unwrap();
    assert!(s.e.current_clerk().is_ok());
    // Locked by hand, and the setting turns the idle lock off.
    s.e.lock_counter().unwrap();
    assert!(s.e.current_clerk().is_err());
    s.e.set_setting(&s.admin, "security.idle_lock_minutes", "0")
        .unwrap();
    s.e.login("2001", PW).unwrap();
    s.e.set_clock(clock("2026-11-23T18:00:00+08:00"));
    assert!(s.e.current_clerk().is_ok());
}

#[test]
fn a_full_id_number_is_shown_on_request_and_the_view_is_listed() {
    let s = station();
    let c =
        s.e.register_case(&s.clerk, &new_case(&s.e, "RS-SY-001", 1, &[]))
            .unwrap();
    let masked = s.e.case_for(&s.clerk, &c.case_no).unwrap();
    assert!(masked.id_masked);
    assert_ne!(masked.applicant_id_no, c.applicant_id_no);
    assert!(masked.applicant_id_no.contains('*'));
    let full = s.e.reveal_id(&s.clerk, &c.case_no).unwrap();
    assert_eq!(full.applicant_id_no, c.applicant_id_no);
    let ev = s.e.tail_events(1).unwrap().pop().unwrap();
    assert_eq!(ev.kind, "case.id_revealed");
    assert!(ev.payload.contains("\"staff_no\":\"2001\""));
    // Leaders see who looked; a clerk may not.
    assert!(s.e.id_reveals(&s.clerk, &c.case_no).is_err());
    let views = s.e.id_reveals(&s.leader, &c.case_no).unwrap();
    assert_eq!(views.len(), 1);
    assert_eq!(
        (views[0].staff_no.as_str(), views[0].clerk_name.as_str()),
        ("2001", "张窗口")
    );
}

#[test]
fn registers_and_statistics_are_for_leaders() {
    let s = station();
    let day = s.e.clock().today();
    for who in [&s.clerk, &s.clerk2] {
        assert!(matches!(
            s.e.rejection_filings(who, 10),
            Err(Error::Forbidden { .. })
        ));
        assert!(s.e.evaluation_stats(who, day, day).is_err());
    }
    for who in [&s.leader, &s.admin] {
        assert!(s.e.rejection_filings(who, 10).is_ok());
        assert!(s.e.evaluation_stats(who, day, day).is_ok());
    }
    // Imports that drive deadlines: administrators only, with the actor recorded.
    let mut s = s;
    let year = include_str!("../../../assets/calendar/2026.json");
    let (clerk, admin) = (s.clerk.clone(), s.admin.clone());
    assert!(matches!(
        s.e.import_calendar_year(&clerk, year, "x.json"),
        Err(Error::Forbidden { .. })
    ));
    s.e.import_calendar_year(&admin, year, "x.json").unwrap();
    let ev = s.e.tail_events(1).unwrap().pop().unwrap();
    assert!(ev.payload.contains("\"actor\":\"0001\""), "{}", ev.payload);
}

#[test]
fn the_worklist_holds_todays_cases_and_the_clerks_open_ones() {
    let s = station();
    let mine =
        s.e.register_case(&s.clerk, &new_case(&s.e, "RS-SY-001", 1, &[]))
            .unwrap();
    let theirs =
        s.e.register_case(&s.clerk2, &new_case(&s.e, "RS-SY-001", 2, &[]))
            .unwrap();
    let list = s.e.worklist(&s.clerk, 50).unwrap();
    let nos: Vec<_> = list.iter().map(|c| c.case_no.as_str()).collect();
    assert!(nos.contains(&mine.case_no.as_str()) && nos.contains(&theirs.case_no.as_str()));
    assert!(list.iter().all(|c| c.applicant_id_masked.contains('*')));
}

#[test]
fn a_new_station_sets_itself_up() {
    let dir = tempfile::tempdir().unwrap();
    let mut e = Engine::open(&dir.path().join("new.sqlite3"))
        .unwrap()
        .with_clock(clock(TEST_NOW));
    assert!(e.needs_setup().unwrap());
    let mut setup = StationSetup {
        station_code: "XQ02".into(),
        station_name: "新区服务站".into(),
        county: "示范县".into(),
        office_name: String::new(),
        office_address: "示范县新区路1号".into(),
        admin_staff_no: "0001".into(),
        admin_name: "钱管理".into(),
        admin_password: "0001".into(),
    };
    // A refused field writes nothing: the station is still to be set up.
    assert!(e.set_up_station(&setup).is_err());
    assert!(e.station().is_err());
    setup.admin_password = "first-admin-1".into();
    let session = e.set_up_station(&setup).unwrap();
    assert_eq!(session.clerk.role, Role::Admin);
    assert!(!session.must_change_password);
    assert!(session.may.contains(&"manage_clerks"));
    assert!(!e.needs_setup().unwrap());
    assert_eq!(e.station().unwrap().code, "XQ02");
    assert_eq!(
        e.setting_or_default("office.name").unwrap(),
        "示范县人力资源和社会保障局"
    );
    assert_eq!(
        e.setting("office.address").unwrap().as_deref(),
        Some("示范县新区路1号")
    );
    assert!(matches!(
        e.set_up_station(&setup),
        Err(Error::AlreadyInitialised)
    ));
    let years = e.calendar_status(&session.clerk).unwrap();
    assert!(years.iter().any(|y| y.year == 2026 && y.published));
    assert!(years.iter().any(|y| y.year == 2027));
    let cat = e.catalog_overview(&session.clerk).unwrap();
    assert!(!cat.items.is_empty() && !cat.version.is_empty());
}

//! `yichuang-county`: the county server and its admin commands.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use yichuang_county::adminlog::Act;
use yichuang_county::console::accounts::{self, Actor, NewStaff};
use yichuang_county::console::device_acts::{self, ActError};
use yichuang_county::console::rules::Refusal;
use yichuang_county::console::{PublishError, publish_checked};
use yichuang_county::storage::{Admin, Console, NewAudit, Projections, Staging};
use yichuang_county::{Config, keys, pg, prepare, serve};

#[derive(Parser)]
#[command(name = "yichuang-county", about = "一窗 county server")]
struct Cli {
    /// TOML config file; YICHUANG_COUNTY_* environment variables override it.
    #[arg(long, global = true, env = "YICHUANG_COUNTY_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the answer key and the release key files (never overwrites).
    Keygen {
        /// Move a release key an earlier version kept in the database into
        /// the release key file (stations enrolled with it keep working),
        /// then delete it from the database.
        #[arg(long)]
        adopt_database_key: bool,
    },
    /// Run the HTTP server.
    Serve,
    /// Apply pending database migrations (as the owner role; the server's
    /// own role has no right to change the schema).
    Migrate,
    /// Grant a PostgreSQL role exactly what `serve` needs (run as the owner):
    /// it can append events but never delete or rewrite them.
    GrantServerRole {
        #[arg(long)]
        role: String,
    },
    /// Print a one-time enrolment code for a station.
    EnrollCode {
        #[arg(long)]
        station: String,
    },
    /// Publish an immutable signed release of reference data, after the
    /// stations' own check of the file (a file that fails is never
    /// published).
    Publish {
        /// catalog | calendar | templates
        #[arg(required_unless_present = "staged")]
        kind: Option<String>,
        #[arg(required_unless_present = "staged")]
        file: Option<PathBuf>,
        /// Publish the file staged in the console's 发布 page under this
        /// number (checked again here) instead of KIND FILE.
        #[arg(long, conflicts_with_all = ["kind", "file"])]
        staged: Option<i64>,
    },
    /// Re-verify every device's stored chain; non-zero exit if any is bad.
    VerifyChains,
    /// Refuse every further request of a device.
    Revoke {
        device: String,
        /// Why (kept in the staff audit log).
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Accept a revoked device again.
    Unrevoke {
        device: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// List the enrolled devices (station, log, head, revoked).
    Devices,
    /// Replace the answer or the release key with a new one, written to
    /// NEW_FILE and endorsed by the old key: stations follow it. Then point
    /// the key file setting at NEW_FILE and restart the server.
    RotateKey {
        /// answer | release
        #[arg(long)]
        role: String,
        #[arg(long)]
        new_file: PathBuf,
    },
    /// Set a device's log aside at the county (kept for the audit) so that
    /// its station can upload its log again: after a fork, or before the
    /// station re-enrols with a new device.
    ResetLog {
        device: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// List events kept out of the projections by business validation.
    Quarantine,
    /// Print the 否定备案 register (cases whose latest state is rejected).
    Rejections,
    /// Drop every projection and project all stored events again from the
    /// start (the result equals the incremental projection).
    Reproject,
    /// County staff accounts of the console.
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
}

#[derive(Subcommand)]
enum StaffCommand {
    /// Add an account (the first administrator, say). The password is read
    /// from the terminal (twice, not echoed) or one line of standard input.
    Add {
        /// admin | reviewer | approval_office | leader | complaints
        #[arg(long)]
        role: String,
        #[arg(long)]
        login: String,
        #[arg(long)]
        name: String,
    },
    /// List the accounts.
    List,
}

/// An act on a device: an unknown one is named as before.
fn device_act<T>(r: Result<T, ActError>, device: &str) -> Result<T, Box<dyn std::error::Error>> {
    match r {
        Err(ActError::Refused(Refusal::NotFound(_))) => Err(format!("no device {device}").into()),
        other => Ok(other?),
    }
}

/// The password from the terminal (asked twice) or from standard input.
fn read_password() -> Result<String, Box<dyn std::error::Error>> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        let a = rpassword::prompt_password("密码（至少 10 个字符）：")?;
        let b = rpassword::prompt_password("再次输入密码：")?;
        if a != b {
            return Err("the two passwords differ".into());
        }
        Ok(a)
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let needs_db = !matches!(
        cli.command,
        Command::Keygen {
            adopt_database_key: false
        }
    );
    let loaded = if needs_db {
        Config::load(cli.config.as_deref())
    } else {
        Config::load_keys_only(cli.config.as_deref())
    };
    let config = match loaded {
        Ok(c) => c,
        Err(e) => {
            eprintln!("yichuang-county: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("yichuang-county: cannot start runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("yichuang-county: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A listing ends quietly when its reader goes away (`devices | head`):
/// `println!` would panic on the broken pipe.
fn print_listing(lines: impl IntoIterator<Item = String>) -> std::io::Result<()> {
    use std::io::{ErrorKind, Write};
    let mut out = std::io::stdout().lock();
    let written = lines
        .into_iter()
        .try_for_each(|l| writeln!(out, "{l}"))
        .and_then(|()| out.flush());
    match written {
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(()),
        r => r,
    }
}

async fn run(command: Command, config: Config) -> Result<ExitCode, Box<dyn std::error::Error>> {
    if let Command::Keygen { adopt_database_key } = command {
        return keygen(&config, adopt_database_key).await;
    }
    if matches!(command, Command::Migrate | Command::GrantServerRole { .. }) {
        let pool = pg::make_pool(&config.database_url, 2, config.database_ca_file.as_deref())?;
        let applied = pg::migrate(&pool).await?;
        println!(
            "schema at version {} (applied {applied:?})",
            pg::latest_schema()
        );
        if let Command::GrantServerRole { role } = &command {
            pg::grant_server_role(&pool, role).await?;
            println!("granted {role} what the server needs");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let listen = config.listen.clone();
    let release_key_file = config.release_key_file.clone();
    let config_answer = config.answer_key_file.clone();
    let state = prepare(config).await?;
    let cli_actor = Actor::command_line();
    match command {
        Command::Keygen { .. } | Command::Migrate | Command::GrantServerRole { .. } => {
            return Err("handled before start-up".into());
        }
        Command::Serve => {
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
            eprintln!("yichuang-county: listening on {listen}");
            serve(listener, state, async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        }
        Command::EnrollCode { station } => {
            let issued = match device_acts::issue_code(&state, &cli_actor, &station).await {
                Err(ActError::Refused(r)) => {
                    eprintln!("yichuang-county: {}", r.message_zh());
                    return Ok(ExitCode::from(2));
                }
                other => other?,
            };
            println!("{}", issued.code);
            eprintln!(
                "one-time code for station {}, valid {} hours",
                issued.station_code, issued.valid_hours
            );
        }
        Command::Publish { kind, file, staged } => {
            let (kind, file_name, bytes) = match (staged, kind, file) {
                (Some(id), _, _) => {
                    let (row, content) = state
                        .storage
                        .staged_upload(id)
                        .await?
                        .ok_or_else(|| format!("no staged upload {id}"))?;
                    if let Some(p) = &row.problem_zh {
                        eprintln!("yichuang-county: 上传 #{id} 未通过校验，不能发布：{p}");
                        return Ok(ExitCode::from(2));
                    }
                    if let Some(v) = &row.published_version {
                        return Err(format!("staged upload {id} is already release {v}").into());
                    }
                    (row.kind, row.file_name, content)
                }
                (None, Some(kind), Some(file)) => {
                    let bytes = std::fs::read(&file)
                        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
                    (kind, file.display().to_string(), bytes)
                }
                _ => return Err("give KIND FILE or --staged ID".into()),
            };
            // The console's 发布 and this command check and sign alike; the
            // release key's secret is read only while publishing.
            let m = match publish_checked(&state, &kind, &file_name, &bytes).await {
                Ok(m) => m,
                Err(PublishError::Refused { en, zh }) => {
                    eprintln!("yichuang-county: not published: {en}\n{zh}");
                    return Ok(ExitCode::from(2));
                }
                Err(e) => return Err(e.into()),
            };
            if let Some(id) = staged {
                let detail = format!("{} 第 {} 版（上传 #{id}）", m.kind, m.version);
                state
                    .storage
                    .mark_published(
                        id,
                        &m.version,
                        NewAudit {
                            staff_id: None,
                            login: "(command line)",
                            action: yichuang_county::console::rules::action::RELEASE_PUBLISHED,
                            detail: &detail,
                            address: "local",
                        },
                    )
                    .await?;
            }
            println!("{}", serde_json::to_string_pretty(&m)?);
        }
        Command::VerifyChains => {
            let reports = device_acts::verify_chains(&state, &cli_actor).await?;
            let mut bad = 0;
            for r in &reports {
                match &r.first_bad {
                    None => println!("{} log {}: OK ({} events)", r.device_id, r.log_id, r.events),
                    Some((seq, why)) => {
                        bad += 1;
                        println!("{} log {}: BAD at seq {seq}: {why}", r.device_id, r.log_id);
                    }
                }
            }
            println!("{} devices, {bad} bad", reports.len());
            if bad > 0 {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Revoke { device, reason } => {
            device_act(
                device_acts::set_revoked(&state, &cli_actor, &device, true, &reason).await,
                &device,
            )?;
            println!("revoked {device}");
        }
        Command::Unrevoke { device, reason } => {
            device_act(
                device_acts::set_revoked(&state, &cli_actor, &device, false, &reason).await,
                &device,
            )?;
            println!("{device} is accepted again");
        }
        Command::RotateKey { role, new_file } => {
            let old_file = match role.as_str() {
                "answer" => config_answer.clone(),
                "release" => release_key_file.clone(),
                other => return Err(format!("role {other:?}: answer or release").into()),
            };
            let old = keys::read_secret(
                old_file
                    .as_deref()
                    .ok_or("the key file of that role is not configured")?,
            )?;
            let new = yichuang_wire::SecretKey::generate_for(old.algorithm())?;
            keys::write_new(&new_file, &new)?;
            let mut r = yichuang_wire::KeyRotation {
                role: role.clone(),
                old_algorithm: old.algorithm().into(),
                old_public_key: old.public_key_hex(),
                new_algorithm: new.algorithm().into(),
                new_public_key: new.public_key_hex(),
                signature: String::new(),
            };
            r.signature = old.sign_hex(r.signing_string().as_bytes());
            // Logged with the answer key in force (for an answer rotation,
            // the old one: the entries after it are the new key's).
            state.record(Act::KeyRotated(r))?;
            let env = if role == "answer" {
                keys::ANSWER_KEY_ENV
            } else {
                keys::RELEASE_KEY_ENV
            };
            println!(
                "new {role} key in {}; set {env} to it and restart serve (stations follow the endorsement)",
                new_file.display()
            );
        }
        Command::Devices => {
            let rows = state.storage.list_devices().await?;
            print_listing(
                rows.iter()
                    .map(|d| {
                        format!(
                            "{}\t{}\t{}\tlog {}\thead {}\t{}\tenrolled {}\tlast upload {}",
                            d.device_id,
                            d.station_code,
                            d.label,
                            d.log_id.as_deref().unwrap_or("-"),
                            d.head_seq,
                            if d.revoked { "REVOKED" } else { "active" },
                            d.enrolled_at,
                            d.last_upload_at.as_deref().unwrap_or("-")
                        )
                    })
                    .chain([format!("{} devices", rows.len())]),
            )?;
        }
        Command::ResetLog { device, reason } => {
            let reset = device_acts::reset_log(&state, &cli_actor, &device, &reason).await;
            match device_act(reset, &device)? {
                None => println!("{device} has no log at the county yet; nothing to reset"),
                Some((old, archived)) => {
                    println!(
                        "log {old} of {device} set aside as {archived}; the station uploads its log again"
                    );
                }
            }
        }
        Command::Quarantine => {
            let rows = state.storage.list_quarantine().await?;
            print_listing(
                rows.iter()
                    .map(|q| {
                        format!(
                            "{}\t{}\tseq {}\t{}\t{}",
                            q.station_code, q.log_id, q.seq, q.kind, q.reason
                        )
                    })
                    .chain([format!("{} quarantined events", rows.len())]),
            )?;
        }
        Command::Rejections => {
            let rows = state.storage.rejection_register().await?;
            print_listing(
                rows.iter()
                    .map(|r| {
                        format!(
                            "{}\t{}\t{}\t{}\t{}",
                            r.station_code,
                            r.case_no,
                            r.item_code.as_deref().unwrap_or("-"),
                            r.actor.as_deref().unwrap_or("-"),
                            r.device_time
                        )
                    })
                    .chain([format!("{} cases in the 否定备案 register", rows.len())]),
            )?;
        }
        Command::Reproject => {
            let quarantined = state.storage.reproject().await?;
            let detail = format!("quarantined={quarantined}");
            state
                .storage
                .audit(NewAudit {
                    staff_id: None,
                    login: "(command line)",
                    action: yichuang_county::console::rules::action::REPROJECTED,
                    detail: &detail,
                    address: "local",
                })
                .await?;
            println!(
                "projections rebuilt from the stored events; {quarantined} events quarantined"
            );
        }
        Command::Staff { command } => match command {
            StaffCommand::Add { role, login, name } => {
                let password = read_password()?;
                let input = NewStaff {
                    login,
                    name,
                    role,
                    password,
                };
                match accounts::add_staff(&state.storage, &Actor::command_line(), &input).await {
                    Ok(v) => println!("added {} ({}, {})", v.login, v.name, v.role_zh),
                    Err(accounts::AccountError::Refused(r)) => {
                        eprintln!("yichuang-county: {}", r.message_zh());
                        return Ok(ExitCode::from(2));
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            StaffCommand::List => {
                let rows = state.storage.list_staff().await?;
                print_listing(
                    rows.iter()
                        .map(|s| {
                            format!(
                                "{}\t{}\t{}\t{}\tcreated {}",
                                s.login,
                                s.name,
                                s.role,
                                if s.disabled { "DISABLED" } else { "active" },
                                s.created_at
                            )
                        })
                        .chain([format!("{} accounts", rows.len())]),
                )?;
            }
        },
    }
    Ok(ExitCode::SUCCESS)
}

/// Creates both key files; with `adopt`, the release key is the one an
/// earlier version kept in the database, which is then deleted there.
async fn keygen(config: &Config, adopt: bool) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let need = |p: &Option<PathBuf>, env: &str| {
        p.clone()
            .filter(|p| !p.as_os_str().is_empty())
            .ok_or_else(|| format!("set {env} (or the key file in the config file)"))
    };
    let answer_path = need(&config.answer_key_file, keys::ANSWER_KEY_ENV)?;
    let release_path = need(&config.release_key_file, keys::RELEASE_KEY_ENV)?;
    let pool = if adopt {
        Some(pg::make_pool(
            &config.database_url,
            2,
            config.database_ca_file.as_deref(),
        )?)
    } else {
        None
    };
    let release = match &pool {
        Some(pool) => pg::database_key(pool)
            .await?
            .ok_or("no release key in the database to adopt")?,
        None => yichuang_wire::SecretKey::generate_for(&config.suite)?,
    };
    if !answer_path.exists() {
        keys::write_new(
            &answer_path,
            &yichuang_wire::SecretKey::generate_for(&config.suite)?,
        )?;
        println!("answer key: {}", answer_path.display());
    }
    keys::write_new(&release_path, &release)?;
    println!(
        "release key: {} (keep it where only `publish` runs)",
        release_path.display()
    );
    if let Some(pool) = &pool {
        pg::forget_database_key(pool).await?;
        println!("the database copy of the release key is deleted");
    }
    Ok(ExitCode::SUCCESS)
}

//! `yichuang-county`: the county server and its admin commands.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use yichuang_county::storage::{Devices, EventLog, Projections, Releases};
use yichuang_county::{Config, prepare, serve};

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
    /// Run the HTTP server.
    Serve,
    /// Print a one-time enrolment code for a station.
    EnrollCode {
        #[arg(long)]
        station: String,
    },
    /// Publish an immutable signed release of reference data.
    Publish {
        /// catalog | calendar | templates
        kind: String,
        file: PathBuf,
    },
    /// Re-verify every device's stored chain; non-zero exit if any is bad.
    VerifyChains,
    /// Refuse every further request of a device.
    Revoke { device: String },
    /// List events kept out of the projections by business validation.
    Quarantine,
    /// Print the 否定备案 register (cases whose latest state is rejected).
    Rejections,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
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

async fn run(command: Command, config: Config) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let listen = config.listen.clone();
    let ttl = config.enrol_code_ttl_hours;
    let state = prepare(config).await?;
    match command {
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
            let code = state.storage.issue_enrol_code(&station, ttl).await?;
            println!("{code}");
            eprintln!("one-time code for station {station}, valid {ttl} hours");
        }
        Command::Publish { kind, file } => {
            let bytes =
                std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let m = state
                .storage
                .publish(&state.release_key, &kind, &bytes)
                .await?;
            println!("{}", serde_json::to_string_pretty(&m)?);
        }
        Command::VerifyChains => {
            let reports = state.storage.verify_chains().await?;
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
        Command::Revoke { device } => {
            if !state.storage.revoke(&device).await? {
                return Err(format!("no device {device}").into());
            }
            println!("revoked {device}");
        }
        Command::Quarantine => {
            let rows = state.storage.list_quarantine().await?;
            for q in &rows {
                println!(
                    "{}\t{}\tseq {}\t{}\t{}",
                    q.station_code, q.log_id, q.seq, q.kind, q.reason
                );
            }
            println!("{} quarantined events", rows.len());
        }
        Command::Rejections => {
            let rows = state.storage.rejection_register().await?;
            for r in &rows {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    r.station_code,
                    r.case_no,
                    r.item_code.as_deref().unwrap_or("-"),
                    r.actor.as_deref().unwrap_or("-"),
                    r.device_time
                );
            }
            println!("{} cases in the 否定备案 register", rows.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}

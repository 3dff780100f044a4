//! Sending saved notice PDFs to the system printer and rendering a preview.
//! Linux (UOS, Kylin, Debian): CUPS `lp` / `lpstat`; Windows: the shell's
//! print verb. The PDF file is the artefact: whatever happens here, the
//! notice record made by the engine stays, and printing can be retried.

use std::path::Path;
use std::process::Command;

use base64::Engine as _;
use serde::Serialize;

/// Environment variable naming an `lp`-compatible command (a site wrapper, or
/// the end-to-end tests' spool). Defaults to `lp`.
pub const LP_ENV: &str = "YICHUANG_LP";

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct PrinterList {
    pub printers: Vec<String>,
    pub system_default: Option<String>,
    /// Why the list could not be read (no CUPS, say); the window shows it.
    pub error: Option<String>,
}

/// Parses `lpstat -p -d` output (C locale).
pub fn parse_lpstat(out: &str) -> (Vec<String>, Option<String>) {
    let mut printers = Vec::new();
    let mut default = None;
    for line in out.lines() {
        if let Some(rest) = line.strip_prefix("printer ") {
            if let Some(name) = rest.split_whitespace().next() {
                printers.push(name.to_owned());
            }
        } else if let Some(rest) = line.strip_prefix("system default destination:") {
            default = Some(rest.trim().to_owned()).filter(|s| !s.is_empty());
        }
    }
    (printers, default)
}

#[cfg(not(windows))]
pub fn printers() -> PrinterList {
    // C locale so the output can be parsed whatever the desktop language is.
    match Command::new("lpstat")
        .args(["-p", "-d"])
        .env("LC_ALL", "C")
        .output()
    {
        Ok(out) => {
            let (printers, system_default) = parse_lpstat(&String::from_utf8_lossy(&out.stdout));
            let error = (printers.is_empty()).then(|| {
                let err = String::from_utf8_lossy(&out.stderr).trim().to_owned();
                if err.is_empty() {
                    "本机没有配置打印机".to_owned()
                } else {
                    format!("读取打印机列表失败：{err}")
                }
            });
            PrinterList {
                printers,
                system_default,
                error,
            }
        }
        Err(e) => PrinterList {
            error: Some(format!("未找到 CUPS 打印服务（lpstat）：{e}")),
            ..PrinterList::default()
        },
    }
}

#[cfg(windows)]
pub fn printers() -> PrinterList {
    let out = Command::new("powershell")
        .args([
            "-NoProfile",
            "-Command",
            "Get-Printer | ForEach-Object { $_.Name }",
        ])
        .output();
    match out {
        Ok(out) => PrinterList {
            printers: String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(|l| l.trim().to_owned())
                .filter(|l| !l.is_empty())
                .collect(),
            system_default: None,
            error: None,
        },
        Err(e) => PrinterList {
            error: Some(format!("读取打印机列表失败：{e}")),
            ..PrinterList::default()
        },
    }
}

/// Sends a PDF to a printer (or the system default) and follows the job until
/// CUPS says it was printed or failed. Ok: what to tell the clerk; Err: why it
/// did not print (a job the printer refused is cancelled, so a repaired
/// printer does not print it unannounced later; the notice record stays).
#[cfg(not(windows))]
pub fn send(file: &Path, printer: Option<&str>) -> Result<String, String> {
    let lp = std::env::var(LP_ENV)
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "lp".to_owned());
    let mut cmd = Command::new(&lp);
    if let Some(p) = printer.filter(|p| !p.is_empty()) {
        cmd.args(["-d", p]);
    }
    cmd.arg(file).env("LC_ALL", "C");
    let answer = match cmd.output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        Ok(out) => {
            return Err(format!(
                "打印失败：{}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Err(e) => return Err(format!("无法调用打印命令 {lp}：{e}")),
    };
    let Some(job) = parse_request_id(&answer) else {
        return Ok("已发送到打印机".to_owned());
    };
    match follow(&job, std::time::Duration::from_secs(8)) {
        JobCheck::Printed => Ok(format!("已发送到打印机，打印完成（作业 {job}）")),
        JobCheck::Pending => Ok(format!(
            "已发送到打印机（作业 {job}），打印机尚未报告完成，请到打印机旁查看"
        )),
        JobCheck::Failed(why) => {
            let _ = Command::new("cancel").arg(&job).env("LC_ALL", "C").output();
            Err(format!(
                "打印机“{}”出错：{why}。该打印作业已取消，文书记录已保存：排除故障后可重试，或换一台打印机",
                queue_of(&job)
            ))
        }
    }
}

/// What CUPS says of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobCheck {
    Printed,
    /// Queued or printing, no sign of trouble.
    Pending,
    /// The queue stopped on it, or its attempt failed (the spooler's message).
    Failed(String),
}

/// `lp`'s answer "request id is QUEUE-12 (1 file(s))" → `QUEUE-12`.
pub fn parse_request_id(answer: &str) -> Option<String> {
    let rest = answer.split("request id is ").nth(1)?;
    let id = rest.split_whitespace().next()?;
    (id.contains('-')).then(|| id.to_owned())
}

/// A job id's queue: everything before its last `-`.
pub fn queue_of(job: &str) -> &str {
    job.rsplit_once('-').map_or(job, |(q, _)| q)
}

/// From `lpstat -W completed -o QUEUE`, `lpstat -p QUEUE` and `lpstat -l -o
/// QUEUE` (C locale): whether `job` printed, failed or is still on its way.
/// lpstat lists a job the spooler aborted (policy `abort-job`) among the
/// completed ones too: under that policy a failure reads as printed.
pub fn judge_job(job: &str, completed: &str, printer: &str, jobs: &str) -> JobCheck {
    let starts = |line: &str| line.split_whitespace().next() == Some(job);
    if completed.lines().any(starts) {
        return JobCheck::Printed;
    }
    // The printer's line and the indented message below it.
    let mut lines = printer.lines();
    let head = lines.next().unwrap_or("");
    let printer_message = lines
        .next()
        .filter(|l| l.starts_with('\t'))
        .map(|l| l.trim().to_owned())
        .filter(|m| !m.is_empty());
    // Queue stopped on an error ("stop-printer", CUPS's own default).
    if head.contains(" disabled since") {
        return JobCheck::Failed(printer_message.unwrap_or_else(|| "打印机已停用".into()));
    }
    // The job's own block: its first line, then indented Status/Alerts lines.
    let mut status = None;
    let mut alerts = String::new();
    let mut inside = false;
    for line in jobs.lines() {
        if !line.starts_with('\t') && !line.starts_with(' ') {
            inside = starts(line);
            continue;
        }
        if inside {
            let l = line.trim();
            if let Some(s) = l.strip_prefix("Status:") {
                status = Some(s.trim().to_owned()).filter(|s| !s.is_empty());
            } else if let Some(a) = l.strip_prefix("Alerts:") {
                alerts = a.trim().to_owned();
            }
        }
    }
    if !jobs.lines().any(starts) {
        // Not listed yet (just submitted) or already done between the two
        // reads: the next look tells.
        return JobCheck::Pending;
    }
    // "retry-job" (Debian's default): the attempt failed, the job waits for
    // the next one, the printer idles with the backend's message.
    let printing = head.contains(" now printing ");
    if !printing && alerts.contains("resources-are-not-ready") {
        return JobCheck::Failed(
            status
                .or(printer_message)
                .unwrap_or_else(|| "打印机没有响应".into()),
        );
    }
    JobCheck::Pending
}

#[cfg(not(windows))]
fn lpstat(args: &[&str]) -> String {
    Command::new("lpstat")
        .args(args)
        .env("LC_ALL", "C")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

/// Polls CUPS about `job` until it printed or failed, or `timeout` passed.
#[cfg(not(windows))]
fn follow(job: &str, timeout: std::time::Duration) -> JobCheck {
    let queue = queue_of(job);
    let end = std::time::Instant::now() + timeout;
    loop {
        let (completed, printer, jobs) = (
            lpstat(&["-W", "completed", "-o", queue]),
            lpstat(&["-p", queue]),
            lpstat(&["-l", "-o", queue]),
        );
        let check = judge_job(job, &completed, &printer, &jobs);
        if check != JobCheck::Pending {
            return check;
        }
        if std::time::Instant::now() >= end {
            eprintln!(
                "yichuang-desktop: print job {job} not reported done in {timeout:?}; lpstat: {printer:?} {jobs:?}"
            );
            return check;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
}

#[cfg(windows)]
pub fn send(file: &Path, printer: Option<&str>) -> Result<String, String> {
    // The shell's print verbs: "Print" to the default printer, "PrintTo" to a named one.
    let path = file.display().to_string().replace('\'', "''");
    let script = match printer.filter(|p| !p.is_empty()) {
        Some(p) => format!(
            "Start-Process -FilePath '{path}' -Verb PrintTo -ArgumentList '\"{}\"' -Wait",
            p.replace('\'', "''")
        ),
        None => format!("Start-Process -FilePath '{path}' -Verb Print -Wait"),
    };
    match Command::new("powershell")
        .args(["-NoProfile", "-Command", &script])
        .output()
    {
        Ok(out) if out.status.success() => Ok("已发送到打印机".to_owned()),
        Ok(out) => Err(format!(
            "打印失败：{}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => Err(format!("无法调用系统打印：{e}")),
    }
}

/// A notice as the print dialog shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preview {
    pub path: String,
    /// PNG data URLs, one per page.
    pub pages: Vec<String>,
    /// Without pdftoppm: the PDF itself as a data URL, for a webview that
    /// shows PDFs (WebView2 on Windows does; WebKitGTK does not).
    pub pdf: Option<String>,
    /// Why there are no page images, in Chinese.
    pub note: Option<String>,
}

/// `YICHUANG_PDFTOPPM` names another pdftoppm (e.g. a bundled one on Windows).
const PDFTOPPM_ENV: &str = "YICHUANG_PDFTOPPM";

/// Page images by pdftoppm; if pdftoppm is not installed, the PDF itself.
pub fn preview(file: &Path, work_dir: &Path, dpi: u32) -> Result<Preview, String> {
    let tool = std::env::var_os(PDFTOPPM_ENV).unwrap_or_else(|| "pdftoppm".into());
    preview_with(&tool, file, work_dir, dpi)
}

fn preview_with(
    tool: &std::ffi::OsStr,
    file: &Path,
    work_dir: &Path,
    dpi: u32,
) -> Result<Preview, String> {
    let path = file.display().to_string();
    match preview_pages(tool, file, work_dir, dpi) {
        Ok(pages) => Ok(Preview {
            path,
            pages,
            pdf: None,
            note: None,
        }),
        Err(PagesError::NoTool(e)) => {
            let bytes = std::fs::read(file).map_err(|e| format!("无法读取文书 PDF：{e}"))?;
            Ok(Preview {
                path,
                pages: Vec::new(),
                pdf: Some(format!(
                    "data:application/pdf;base64,{}",
                    base64::engine::general_purpose::STANDARD.encode(bytes)
                )),
                note: Some(format!(
                    "本机未安装 pdftoppm（poppler-utils），以 PDF 方式预览；打印不受影响（{e}）"
                )),
            })
        }
        Err(PagesError::Failed(m)) => Err(m),
    }
}

enum PagesError {
    NoTool(std::io::Error),
    Failed(String),
}

/// Renders the pages of a PDF as PNG data URLs with poppler's `pdftoppm`
/// (the webview has no PDF viewer of its own on Linux).
fn preview_pages(
    tool: &std::ffi::OsStr,
    file: &Path,
    work_dir: &Path,
    dpi: u32,
) -> Result<Vec<String>, PagesError> {
    std::fs::create_dir_all(work_dir)
        .map_err(|e| PagesError::Failed(format!("无法创建预览目录：{e}")))?;
    let prefix = work_dir.join("page");
    let out = match Command::new(tool)
        .args(["-png", "-r", &dpi.to_string()])
        .arg(file)
        .arg(&prefix)
        .output()
    {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(PagesError::NoTool(e)),
        Err(e) => return Err(PagesError::Failed(format!("无法运行 pdftoppm：{e}"))),
    };
    if !out.status.success() {
        return Err(PagesError::Failed(format!(
            "预览生成失败：{}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let mut files: Vec<_> = std::fs::read_dir(work_dir)
        .map_err(|e| PagesError::Failed(format!("无法读取预览目录：{e}")))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "png"))
        .collect();
    // pdftoppm pads page numbers to the same width, so names sort in page order.
    files.sort();
    let mut pages = Vec::with_capacity(files.len());
    for p in &files {
        let bytes =
            std::fs::read(p).map_err(|e| PagesError::Failed(format!("无法读取预览页：{e}")))?;
        pages.push(format!(
            "data:image/png;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        ));
    }
    // The preview images are throwaway; the PDF stays.
    let _ = std::fs::remove_dir_all(work_dir);
    Ok(pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lpstat_output() {
        let out = "printer HP_LaserJet is idle.  enabled since Mon 23 Nov 2026\n\
                   printer 柜台打印机 disabled since …\n\
                   system default destination: HP_LaserJet\n";
        let (p, d) = parse_lpstat(out);
        assert_eq!(p, vec!["HP_LaserJet".to_string(), "柜台打印机".to_string()]);
        assert_eq!(d.as_deref(), Some("HP_LaserJet"));
        assert_eq!(
            parse_lpstat("no system default destination\n"),
            (vec![], None)
        );
    }

    #[test]
    fn what_cups_says_of_a_job() {
        assert_eq!(
            parse_request_id("request id is counter-12 (1 file(s))").as_deref(),
            Some("counter-12")
        );
        assert_eq!(parse_request_id("whatever"), None);
        assert_eq!(queue_of("柜台-激光-7"), "柜台-激光");
        let idle = "printer counter is idle.  enabled since Tue Dec  1 19:34:51 2026\n";
        let done = "counter-1               root              1024   Tue Dec  1 19:34:52 2026\n";
        assert_eq!(judge_job("counter-1", done, idle, ""), JobCheck::Printed);
        // Still queued, the printer busy with it: on its way.
        let busy = "printer counter now printing counter-2.  enabled since …\n";
        let queued = "counter-2  root  1024  Tue Dec  1 19:34:52 2026\n\tStatus: Sending data to printer.\n\tAlerts: job-printing\n\tqueued for counter\n";
        assert_eq!(
            judge_job("counter-2", done, busy, queued),
            JobCheck::Pending
        );
        // stop-printer: the queue is disabled with the backend's message.
        let stopped = "printer broken disabled since Tue Dec  1 19:35:21 2026 -\n\tprinter not responding (test printer)\n";
        let waiting = "broken-3  root  1024  Tue Dec  1 19:35:21 2026\n";
        assert_eq!(
            judge_job("broken-3", "", stopped, waiting),
            JobCheck::Failed("printer not responding (test printer)".into())
        );
        // retry-job: the printer idles, the job waits with the failure as its status.
        let retry =
            "printer broken is idle.  enabled since …\n\tprinter not responding (test printer)\n";
        let failed = "broken-2  root  1024  Tue Dec  1 19:34:54 2026\n\tStatus: printer not responding (test printer)\n\tAlerts: resources-are-not-ready\n\tqueued for broken\n";
        assert_eq!(
            judge_job("broken-2", "", retry, failed),
            JobCheck::Failed("printer not responding (test printer)".into())
        );
        // Just submitted, not listed yet: on its way.
        assert_eq!(judge_job("counter-7", "", idle, ""), JobCheck::Pending);
        // A backend that could not even run leaves no message.
        let mute = "broken-4  root  1024  …\n\tStatus: \n\tAlerts: resources-are-not-ready\n\tqueued for broken\n";
        let idle = "printer broken is idle.  enabled since …\n";
        assert_eq!(
            judge_job("broken-4", "", idle, mute),
            JobCheck::Failed("打印机没有响应".into())
        );
        // Another job's failure is not this one's.
        assert_eq!(
            judge_job(
                "broken-9",
                "",
                retry,
                &format!("{failed}broken-9  root  1024  …\n")
            ),
            JobCheck::Pending
        );
    }

    #[test]
    fn without_pdftoppm_the_preview_is_the_pdf_itself() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pdf = dir.path().join("n.pdf");
        std::fs::write(&pdf, b"%PDF-1.7 test bytes").expect("write");
        let p = preview_with(
            "/nonexistent/pdftoppm".as_ref(),
            &pdf,
            &dir.path().join("w"),
            60,
        )
        .expect("fallback");
        assert!(p.pages.is_empty());
        let url = p.pdf.expect("pdf data url");
        let b64 = url
            .strip_prefix("data:application/pdf;base64,")
            .expect("data url");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("base64");
        assert_eq!(bytes, b"%PDF-1.7 test bytes");
        assert!(p.note.expect("note").contains("pdftoppm"));
        // A tool that runs but fails is an error, not a silent fallback.
        let err = preview_with("false".as_ref(), &pdf, &dir.path().join("w2"), 60).unwrap_err();
        assert!(err.starts_with("预览生成失败"), "{err}");
    }
}

//! Printing through a real CUPS: a private cupsd (scripts/cups-test-printer.sh)
//! with a raw queue whose backend keeps each job's bytes and one whose
//! backend fails. A notice sent to the first arrives byte for byte and is
//! reported printed; one sent to the second is reported as the printer's
//! error, its job cancelled, and a retry on the working printer prints it.

use std::path::Path;
use std::process::Command;

use yichuang_desktop::print;

fn script() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/cups-test-printer.sh")
}

struct Cups {
    state: std::path::PathBuf,
}

impl Drop for Cups {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script())
            .arg("stop")
            .arg(&self.state)
            .status();
    }
}

#[test]
fn a_notice_prints_through_cups_and_a_failing_printer_is_reported() {
    assert!(
        Path::new("/usr/sbin/cupsd").exists(),
        "cupsd missing: scripts/install-deps.sh --test installs cups-daemon and cups-client"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let spool = dir.path().join("spool");
    let state = dir.path().join("cups");
    let out = Command::new("bash")
        .arg(script())
        .arg("start")
        .arg(&state)
        .arg(&spool)
        .output()
        .expect("start cupsd");
    let _cups = Cups {
        state: state.clone(),
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let server = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .expect("server")
        .to_owned();
    // SAFETY: this test binary runs this one test; nothing else reads the
    // environment meanwhile. lp and lpstat find the private cupsd by it.
    unsafe { std::env::set_var("CUPS_SERVER", &server) };

    let list = print::printers();
    assert!(list.printers.contains(&"counter".to_owned()), "{list:?}");
    assert_eq!(list.system_default.as_deref(), Some("counter"));

    let notice = dir.path().join("示范县城关镇服务站受字〔2026〕第1号.pdf");
    let bytes = b"%PDF-1.7\n% a notice's bytes, as the engine rendered them\n%%EOF\n".to_vec();
    std::fs::write(&notice, &bytes).expect("write");

    // The failing printer: reported, the job cancelled, nothing printed.
    let failed = print::send(&notice, Some("broken")).expect_err("the broken printer fails");
    assert!(
        failed.contains("出错") && failed.contains("文书记录已保存"),
        "{failed}"
    );
    assert!(failed.contains("printer not responding"), "{failed}");
    let queued = Command::new("lpstat")
        .args(["-o", "broken"])
        .env("LC_ALL", "C")
        .output()
        .expect("lpstat");
    assert_eq!(
        String::from_utf8_lossy(&queued.stdout).trim(),
        "",
        "the failed job was cancelled"
    );
    let kept = spool.join(notice.file_name().expect("name"));
    assert!(!kept.exists());

    // Retried on the working printer: printed, and it is that notice.
    let ok = print::send(&notice, Some("counter")).expect("prints");
    assert!(ok.contains("打印完成"), "{ok}");
    for _ in 0..50 {
        if kept.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(std::fs::read(&kept).expect("the job's bytes"), bytes);
}

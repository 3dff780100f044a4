//! Shared helpers: the system fonts and poppler/qpdf tools the tests need.
//! Missing fonts or tools fail loudly with the Debian package to install.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use yichuang_pdf::{Block, Document, FontConfig, FontOverrides, FontSet};

pub const NOTO_SERIF: &str = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc";
pub const HANA_B: &str = "/usr/share/fonts/truetype/hanazono/HanaMinB.ttf";

/// Fonts as discovered on this machine (loaded once per test binary).
pub fn fonts() -> &'static FontSet {
    static FONTS: OnceLock<FontSet> = OnceLock::new();
    FONTS.get_or_init(|| {
        for (path, pkg) in [(NOTO_SERIF, "fonts-noto-cjk"), (HANA_B, "fonts-hanazono")] {
            assert!(
                Path::new(path).is_file(),
                "missing {path}: install the Debian package `{pkg}`"
            );
        }
        let cfg = FontConfig::discover(&FontOverrides::default()).expect("discover fonts");
        FontSet::load(&cfg).expect("load fonts")
    })
}

/// Runs a tool, failing clearly if it is not installed.
pub fn run(tool: &str, args: &[&str]) -> std::process::Output {
    let pkg = match tool {
        "qpdf" => "qpdf",
        _ => "poppler-utils",
    };
    Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{tool}` ({e}): install the Debian package `{pkg}`"))
}

pub fn stdout(tool: &str, args: &[&str]) -> String {
    let out = run(tool, args);
    assert!(
        out.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Writes `bytes` to a fresh file under the system temp dir.
pub fn write_pdf(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join("yichuang-pdf-tests");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!("{name}.pdf"));
    std::fs::write(&path, bytes).expect("write pdf");
    path
}

pub fn text_layout(path: &Path) -> String {
    stdout("pdftotext", &["-layout", path.to_str().unwrap(), "-"])
}

pub fn text_raw(path: &Path) -> String {
    stdout("pdftotext", &["-raw", path.to_str().unwrap(), "-"])
}

pub fn page_count(path: &Path) -> usize {
    let info = stdout("pdfinfo", &[path.to_str().unwrap()]);
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("pdfinfo Pages")
}

pub fn para(text: &str, field: &str) -> Block {
    Block::Paragraph {
        text: text.into(),
        indent_first: true,
        field: field.into(),
    }
}

pub fn doc(title: &str, blocks: Vec<Block>) -> Document {
    Document {
        title: title.into(),
        doc_no: None,
        blocks,
        footer_note: None,
        qr_payload: None,
        creation_date: "2026-11-23T09:30:00+08:00".into(),
        pdf_title: title.into(),
    }
}

/// A realistic one-page 一次性告知单 (fictional person, valid-checksum test ID).
pub fn sample_document() -> Document {
    let materials = [
        ("1", "居民身份证原件及复印件", "已收"),
        ("2", "户口簿原件及复印件", "已收"),
        ("3", "失业登记证明", "缺"),
        ("4", "解除或终止劳动合同的证明", "容缺"),
        ("5", "近期一寸免冠照片二张", "已收"),
        ("6", "社会保障卡（银行账户信息）", "已收"),
    ];
    Document {
        title: "失业保险金申领一次性告知单".into(),
        doc_no: Some("青人社告〔2026〕第0012号".into()),
        blocks: vec![
            Block::Addressee("张三：".into()),
            para(
                "您于2026年11月23日到本窗口申请办理“失业保险金申领”事项（身份证号码11010519491231002X）。根据《失业保险条例》规定，现将所需材料一次性告知如下：",
                "告知正文",
            ),
            Block::Table {
                headers: vec!["序号".into(), "材料名称".into(), "状态".into()],
                rows: materials
                    .iter()
                    .map(|(a, b, c)| vec![a.to_string(), b.to_string(), c.to_string()])
                    .collect(),
                col_widths_chars: vec![4, 18, 6],
                field: "材料清单".into(),
            },
            para(
                "请于2026年12月7日前补齐材料，到区政务服务大厅3号窗口办理，10个工作日内办结。咨询电话：0571-88886666。",
                "办理程序",
            ),
            Block::Signature {
                office: "青山区人力资源和社会保障局".into(),
                date_text: "2026年11月23日".into(),
            },
            Block::Stub {
                lines: vec!["本人已收到本告知单。申请人签名：__________".into()],
            },
        ],
        footer_note: None,
        qr_payload: Some("YC:notice:2026-0012".into()),
        creation_date: "2026-11-23T09:30:00+08:00".into(),
        pdf_title: "一次性告知单".into(),
    }
}

/// The stub line of the acceptance notice template: 31 characters, wider
/// than the 28 of a line.
pub const ACCEPTANCE_STUB: &str = "本通知书已收到。申请人（签名）：＿＿＿＿＿＿＿＿　　年　月　日";

/// A 受理通知书 as the engine builds it from the bundled template: addressee,
/// three paragraphs, the materials table (序号/收取材料/形式/份数/状态), the
/// paragraph naming the clerk, the signature and a two-line 回执 stub.
pub fn acceptance_notice(materials: usize) -> Document {
    let names = [
        "居民身份证原件及复印件",
        "户口簿原件及复印件",
        "失业登记证明",
        "解除或终止劳动合同的证明",
        "近期一寸免冠照片二张",
        "社会保障卡（银行账户信息）",
        "失业保险金申领登记表",
        "委托书及受托人身份证件",
    ];
    let rows = (0..materials)
        .map(|i| {
            vec![
                (i + 1).to_string(),
                names[i % names.len()].to_string(),
                "原件".to_string(),
                "1".to_string(),
                "已收".to_string(),
            ]
        })
        .collect();
    Document {
        title: "受理通知书".into(),
        doc_no: Some("青人社受〔2026〕第0012号".into()),
        blocks: vec![
            Block::Addressee("张三：".into()),
            para(
                "你（单位）于2026年11月23日申请办理“失业保险金申领”事项，申请材料齐全、符合法定形式。根据《失业保险条例》、《浙江省失业保险条例》的规定，本机关决定予以受理，受理日期为2026年11月23日。",
                "正文",
            ),
            para(
                "本事项承诺于2026年12月7日前办结，法定办结期限届满日为2026年12月21日。",
                "办结期限",
            ),
            para(
                "注：上述期限跨入尚未公布节假日安排的年度，为暂定日期，国务院公布安排后将重新计算并告知。",
                "暂定说明",
            ),
            Block::Table {
                headers: vec![
                    "序号".into(),
                    "收取材料".into(),
                    "形式".into(),
                    "份数".into(),
                    "状态".into(),
                ],
                rows,
                col_widths_chars: vec![3, 13, 5, 3, 4],
                field: "材料清单".into(),
            },
            para(
                "经办人：李四（工号A0123），区政务服务大厅3号窗口，电话0571-88886666。",
                "经办信息",
            ),
            Block::Signature {
                office: "青山区人力资源和社会保障局".into(),
                date_text: "2026年11月23日".into(),
            },
            Block::Stub {
                lines: vec![ACCEPTANCE_STUB.into(), "办件编号：QS-2026-001234".into()],
            },
        ],
        footer_note: None,
        qr_payload: Some("YC1|青人社受〔2026〕第0012号|QS-2026-001234|0123456789abcdef".into()),
        creation_date: "2026-11-23T09:30:00+08:00".into(),
        pdf_title: "受理通知书".into(),
    }
}

/// The text of page `page` (1-based), laid out.
pub fn page_text(path: &Path, page: usize) -> String {
    let p = page.to_string();
    stdout(
        "pdftotext",
        &["-layout", "-f", &p, "-l", &p, path.to_str().unwrap(), "-"],
    )
}

/// A word pdftotext found, its box in mm from the page's top-left corner.
pub struct Word {
    pub text: String,
    pub x_min: f32,
    pub y_min: f32,
    pub x_max: f32,
}

/// The words of each page.
pub fn words_by_page(path: &Path) -> Vec<Vec<Word>> {
    let bbox = stdout("pdftotext", &["-bbox", path.to_str().unwrap(), "-"]);
    let mm = |pt: f32| pt * 25.4 / 72.0;
    bbox.split("<page ")
        .skip(1)
        .map(|page| {
            page.lines()
                .filter(|l| l.contains("<word"))
                .map(|l| {
                    let attr = |name: &str| -> f32 {
                        let start = l.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                        mm(l[start..].split('"').next().unwrap().parse().unwrap())
                    };
                    let text = l
                        .split('>')
                        .nth(1)
                        .and_then(|w| w.split('<').next())
                        .unwrap()
                        .to_string();
                    Word {
                        text,
                        x_min: attr("xMin"),
                        y_min: attr("yMin"),
                        x_max: attr("xMax"),
                    }
                })
                .collect()
        })
        .collect()
}

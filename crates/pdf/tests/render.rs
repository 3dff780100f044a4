//! End-to-end: render real PDFs and inspect them with poppler and qpdf.

mod common;

use common::*;
use yichuang_pdf::{
    Block, Document, FontConfig, FontOverrides, FontRole, FontSet, PdfError, render,
};

/// Removes all whitespace so order checks ignore pdftotext's column layout.
fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn assert_in_order(haystack: &str, needles: &[&str]) {
    let hay = squash(haystack);
    let mut from = 0;
    for n in needles {
        let n = squash(n);
        match hay[from..].find(&n) {
            Some(i) => from += i + n.len(),
            None => panic!("{n:?} missing or out of order in:\n{haystack}"),
        }
    }
}

#[test]
fn realistic_notice_has_all_text_in_order_embedded_subset_fonts_and_is_small() {
    let doc = sample_document();
    let bytes = render(&doc, fonts()).unwrap();
    let path = write_pdf("notice", &bytes);

    assert_eq!(page_count(&path), 1, "the sample notice fits on one page");
    assert!(bytes.len() <= 150 * 1024, "{} bytes", bytes.len());

    let text = text_layout(&path);
    assert_in_order(
        &text,
        &[
            "失业保险金申领一次性告知单",
            "青人社告〔2026〕第0012号",
            "张三：",
            "您于2026年11月23日到本窗口申请办理",
            "11010519491231002X",
            "序号",
            "材料名称",
            "状态",
            "居民身份证原件及复印件",
            "已收",
            "失业登记证明",
            "缺",
            "解除或终止劳动合同的证明",
            "容缺",
            "社会保障卡（银行账户信息）",
            "请于2026年12月7日前补齐材料",
            "0571-88886666。",
            "青山区人力资源和社会保障局",
            "2026年11月23日",
            "本人已收到本告知单。申请人签名：",
            "— 1 —",
        ],
    );

    let fonts_out = stdout("pdffonts", &[path.to_str().unwrap()]);
    let rows: Vec<&str> = fonts_out.lines().skip(2).collect();
    assert!(
        rows.len() >= 3,
        "body, title and heading fonts:\n{fonts_out}"
    );
    for row in &rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        let name = cols[0];
        let (tag, _) = name.split_once('+').expect("subset tag");
        assert!(
            tag.len() == 6 && tag.chars().all(|c| c.is_ascii_uppercase()),
            "{row}"
        );
        // emb sub uni are the three yes/no columns before the object id.
        let n = cols.len();
        assert_eq!(&cols[n - 5..n - 2], &["yes", "yes", "yes"], "{row}");
    }
    // Face 2 of the Noto collections is Simplified Chinese (face 0 would be JP).
    assert!(fonts_out.contains("NotoSerifCJKsc-Regular"), "{fonts_out}");
    assert!(fonts_out.contains("NotoSerifCJKsc-Bold"), "{fonts_out}");
    assert!(fonts_out.contains("NotoSansCJKsc-Bold"), "{fonts_out}");

    let info = stdout("pdfinfo", &[path.to_str().unwrap()]);
    assert!(info.contains("Title:           一次性告知单"), "{info}");
    assert!(!info.contains("PDF/X"), "no conformance claimed: {info}");

    let check = run("qpdf", &["--check", path.to_str().unwrap()]);
    assert!(
        check.status.success(),
        "qpdf --check: {}",
        String::from_utf8_lossy(&check.stdout)
    );
}

#[test]
fn two_renders_are_byte_identical_and_carry_the_record_date() {
    let doc = sample_document();
    let a = render(&doc, fonts()).unwrap();
    let b = render(&doc, fonts()).unwrap();
    assert!(a == b, "renders differ");
    // 09:30 +08:00 is 01:30 UTC.
    let needle = b"D:20261123013000";
    assert!(a.windows(needle.len()).any(|w| w == needle));

    let mut other = doc.clone();
    other.creation_date = "2026-11-24T09:30:00+08:00".into();
    assert!(render(&other, fonts()).unwrap() != a);
}

#[test]
fn closing_punctuation_never_starts_a_line_and_opening_never_ends_one() {
    // 28 characters fill a line exactly; the 29th is "。" (or "，"), which
    // must not start the next line. Line 3 puts "（" in the last column.
    let full = "一二三四五六七八九十一二三四五六七八九十一二三四五六七八";
    let text = format!(
        "{full}。{full}，{}（括号）结束。",
        &full[..full.char_indices().nth(27).unwrap().0]
    );
    let d = doc(
        "",
        vec![Block::Paragraph {
            text,
            indent_first: false,
            field: "正文".into(),
        }],
    );
    let bytes = render(&d, fonts()).unwrap();
    let path = write_pdf("bitouwei", &bytes);
    let text = text_layout(&path);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('—'))
        .collect();
    assert!(lines.len() >= 4, "{text}");
    for l in &lines {
        let first = l.chars().next().unwrap();
        let last = l.chars().last().unwrap();
        assert!(
            !"。，、；：？！）」》”’".contains(first),
            "line starts with {first}: {text}"
        );
        assert!(!"（「《“‘".contains(last), "line ends with {last}: {text}");
    }
    // The pulled-down character travels with the punctuation.
    assert!(lines[1].starts_with("八。"), "{text}");
    assert_in_order(&text, &[full, "。", full, "，", "（括号）结束。"]);
}

#[test]
fn an_id_number_is_not_split_across_lines() {
    // 20 characters, then an 18-digit ID that would straddle the line end.
    let text = "二十个汉字二十个汉字二十个汉字二十个汉字110105194912310029号码在此。";
    let d = doc(
        "",
        vec![Block::Paragraph {
            text: text.into(),
            indent_first: false,
            field: "正文".into(),
        }],
    );
    let path = write_pdf("idnumber", &render(&d, fonts()).unwrap());
    let out = text_layout(&path);
    assert!(
        out.lines()
            .any(|l| l.trim_start().starts_with("110105194912310029")),
        "{out}"
    );
}

#[test]
fn a_long_table_breaks_pages_repeats_its_header_and_numbers_pages() {
    let rows: Vec<Vec<String>> = (1..=40)
        .map(|i| {
            vec![
                i.to_string(),
                format!("第{i}项申请材料（原件及复印件各一份）"),
                if i % 3 == 0 { "缺" } else { "已收" }.to_string(),
            ]
        })
        .collect();
    let d = doc(
        "材料清单",
        vec![Block::Table {
            headers: vec!["序号".into(), "材料名称".into(), "状态".into()],
            rows,
            col_widths_chars: vec![4, 18, 6],
            field: "材料清单".into(),
        }],
    );
    let bytes = render(&d, fonts()).unwrap();
    let path = write_pdf("longtable", &bytes);
    let pages = page_count(&path);
    assert!(pages >= 2, "{pages} pages");
    let raw = text_raw(&path);
    for p in 1..=pages {
        assert!(raw.contains(&format!("— {p} —")), "page number {p}:\n{raw}");
        let page_text = stdout(
            "pdftotext",
            &[
                "-layout",
                "-f",
                &p.to_string(),
                "-l",
                &p.to_string(),
                path.to_str().unwrap(),
                "-",
            ],
        );
        assert!(page_text.contains("材料名称"), "header on page {p}");
    }
    assert_in_order(&raw, &["第1项申请材料", "第20项申请材料", "第40项申请材料"]);
    let check = run("qpdf", &["--check", path.to_str().unwrap()]);
    assert!(check.status.success());
}

#[test]
fn page_break_starts_a_second_page() {
    let d = doc(
        "承诺告知书",
        vec![
            para("第一页内容。", "正文"),
            Block::PageBreak,
            Block::Title("承诺书".into()),
            para("第二页内容：承诺书。", "正文"),
        ],
    );
    let path = write_pdf("pagebreak", &render(&d, fonts()).unwrap());
    assert_eq!(page_count(&path), 2);
    let p2 = stdout(
        "pdftotext",
        &["-f", "2", "-l", "2", path.to_str().unwrap(), "-"],
    );
    assert!(p2.contains("第二页内容"), "{p2}");
    assert_in_order(&p2, &["承诺书", "第二页内容"]);
    let fonts_out = stdout("pdffonts", &[path.to_str().unwrap()]);
    assert!(
        fonts_out.contains("NotoSerifCJKsc-Bold"),
        "title face used: {fonts_out}"
    );
}

#[test]
fn rare_character_renders_from_the_fallback_font() {
    // U+20001 (CJK Ext-B) is in HanaMinB but not in Noto CJK.
    let name = "王\u{20001}明";
    assert!(
        fonts().check_text(FontRole::Body, "申请人", name).is_ok(),
        "fallback chain covers it"
    );
    let d = doc(
        "告知单",
        vec![
            Block::Addressee(format!("{name}：")),
            para("正文。", "正文"),
        ],
    );
    let path = write_pdf("rare", &render(&d, fonts()).unwrap());
    let text = text_layout(&path);
    assert!(text.contains(name), "{text}");
    let fonts_out = stdout("pdffonts", &[path.to_str().unwrap()]);
    assert!(fonts_out.contains("HanaMinB"), "{fonts_out}");

    // And it is drawn (a wrong glyph id would extract fine but print blank):
    // the second cell of the first line, 33.6–39.1 mm from the left, 37–47 mm down.
    let d = doc("", vec![Block::Addressee("\u{3000}\u{20001}".into())]);
    let path = write_pdf("rare-raster", &render(&d, fonts()).unwrap());
    let (w, _, px) = rasterise_page_one(&path, 100);
    let mm_px = |mm: f32| (mm * 100.0 / 25.4) as usize;
    let dark_in = |x0: f32, x1: f32| {
        (mm_px(37.0)..mm_px(47.2))
            .flat_map(|y| (mm_px(x0)..mm_px(x1)).map(move |x| (x, y)))
            .filter(|&(x, y)| px[y * w + x] < 160)
            .count()
    };
    let dark = dark_in(33.6, 39.1);
    assert!(dark > 40, "rare character cell has {dark} dark pixels");
    assert_eq!(
        dark_in(28.0, 33.4),
        0,
        "the ideographic space cell is blank"
    );
}

#[test]
fn rare_character_without_a_font_is_an_error_naming_field_and_character() {
    let cfg = FontConfig::discover(&FontOverrides::default()).unwrap();
    let no_fallback = FontSet::load(&FontConfig {
        fallback: Vec::new(),
        ..cfg
    })
    .unwrap();
    let d = doc(
        "告知单",
        vec![Block::Paragraph {
            text: "申请人王\u{20001}明。".into(),
            indent_first: true,
            field: "申请人".into(),
        }],
    );
    let err = render(&d, &no_fallback).unwrap_err();
    match &err {
        PdfError::MissingGlyph {
            field,
            ch,
            codepoint,
        } => {
            assert_eq!(field, "申请人");
            assert_eq!(*ch, '\u{20001}');
            assert_eq!(*codepoint, 0x20001);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(
        err.user_message(),
        "字段“申请人”中的字符“\u{20001}”(U+20001)没有任何字体可以显示，无法打印"
    );
    assert_eq!(
        err.to_string(),
        "field \"申请人\": character '\u{20001}' (U+20001) is in no configured font"
    );

    // Ext-G U+30000 is in no installed font, fallback or not.
    let e = fonts()
        .check_text(FontRole::Body, "地址", "\u{30000}")
        .unwrap_err();
    assert!(matches!(e, PdfError::MissingGlyph { .. }));
}

/// Page 1 as 8-bit greyscale: (width, height, pixels).
fn rasterise_page_one(path: &std::path::Path, dpi: u32) -> (usize, usize, Vec<u8>) {
    let prefix = path.with_extension("");
    let out = run(
        "pdftoppm",
        &[
            "-r",
            &dpi.to_string(),
            "-gray",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            path.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "pdftoppm failed");
    let pgm = std::fs::read(prefix.with_extension("pgm")).expect("pdftoppm wrote a PGM");
    let (w, h, pixels) = parse_pgm(&pgm);
    (w, h, pixels.to_vec())
}

#[test]
fn page_one_rasterises_to_a_non_blank_image() {
    let path = write_pdf("raster", &render(&sample_document(), fonts()).unwrap());
    let (w, h, pixels) = rasterise_page_one(&path, 50);
    // A4 at 50 dpi (poppler rounds the width up).
    assert!((413..=414).contains(&w) && h == 585, "{w}x{h}");
    let dark = pixels.iter().filter(|&&p| p < 128).count();
    assert!(dark > 2_000, "only {dark} dark pixels");
    // The QR code makes the top-right corner dark; the left margin stays white.
    let at = |x: usize, y: usize| pixels[y * w + x];
    let qr_dark = (20..65)
        .flat_map(|y| (320..365).map(move |x| (x, y)))
        .filter(|&(x, y)| at(x, y) < 128)
        .count();
    assert!(qr_dark > 300, "QR region has {qr_dark} dark pixels");
    assert!((0..h).all(|y| at(10, y) > 200), "left margin is blank");
}

/// Binary PGM (P5, maxval ≤ 255).
fn parse_pgm(data: &[u8]) -> (usize, usize, &[u8]) {
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while data[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while !data[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(std::str::from_utf8(&data[start..i]).unwrap().to_string());
    }
    assert_eq!(fields[0], "P5");
    let w: usize = fields[1].parse().unwrap();
    let h: usize = fields[2].parse().unwrap();
    let pixels = &data[i + 1..];
    assert_eq!(pixels.len(), w * h);
    (w, h, pixels)
}

#[test]
fn bad_inputs_are_reported() {
    let mut d = sample_document();
    d.creation_date = "23/11/2026".into();
    assert!(matches!(render(&d, fonts()), Err(PdfError::InvalidDate(_))));

    let d = doc(
        "",
        vec![Block::Table {
            headers: vec!["甲".into(), "乙".into()],
            rows: vec![],
            col_widths_chars: vec![20, 10],
            field: "材料清单".into(),
        }],
    );
    match render(&d, fonts()) {
        Err(PdfError::InvalidTable { field, .. }) => assert_eq!(field, "材料清单"),
        other => panic!("unexpected {other:?}"),
    }

    let mut d = sample_document();
    d.qr_payload = Some("x".repeat(400));
    assert!(matches!(
        render(&d, fonts()),
        Err(PdfError::QrTooLong { len: 400 })
    ));
}

#[test]
fn font_hashes_name_each_file_once() {
    let hashes = fonts().font_hashes().unwrap();
    assert!(hashes.iter().any(|(n, _)| n == "NotoSerifCJK-Regular.ttc"));
    assert!(hashes.iter().any(|(n, _)| n == "HanaMinB.ttf"));
    for (_, h) in &hashes {
        assert_eq!(h.len(), 64);
    }
    let mut names: Vec<_> = hashes.iter().map(|(n, _)| n).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), hashes.len());
}

#[test]
fn discovery_finds_the_debian_faces_with_the_sc_index() {
    let cfg = FontConfig::discover(&FontOverrides::default()).unwrap();
    println!("{cfg:#?}");
    let has = |chain: &[yichuang_pdf::FontSpec], file: &str, idx: u32| {
        chain
            .iter()
            .any(|s| s.path.ends_with(file) && s.face_index == idx)
    };
    assert!(has(&cfg.body, "NotoSerifCJK-Regular.ttc", 2), "{cfg:?}");
    // Sans faces are a last resort for the body, not extra weight in its chain.
    assert!(!has(&cfg.body, "NotoSansCJK-Regular.ttc", 2), "{cfg:?}");
    assert!(has(&cfg.title, "NotoSerifCJK-Bold.ttc", 2), "{cfg:?}");
    assert!(has(&cfg.heading, "NotoSansCJK-Bold.ttc", 2), "{cfg:?}");
    assert!(has(&cfg.fallback, "HanaMinA.ttf", 0), "{cfg:?}");
    assert!(has(&cfg.fallback, "HanaMinB.ttf", 0), "{cfg:?}");
    // No face twice in a chain (Debian aliases HanaMinA as fonts-japanese-mincho.ttf).
    for chain in [&cfg.body, &cfg.title, &cfg.heading, &cfg.fallback] {
        let mut seen: Vec<_> = chain
            .iter()
            .map(|s| (std::fs::canonicalize(&s.path).unwrap(), s.face_index))
            .collect();
        let n = seen.len();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), n, "{chain:?}");
    }
    // The settings form describes the chains without loading them; loading
    // must not change what it said.
    let set = FontSet::load(&cfg).unwrap();
    for role in [FontRole::Body, FontRole::Title, FontRole::Heading] {
        assert_eq!(cfg.describe(role), set.describe(role), "{role:?}");
    }

    // Configured faces come first; `exclusive` skips the system search.
    let only = FontOverrides {
        body: vec![yichuang_pdf::FontSpec::new(NOTO_SERIF, 2)],
        exclusive: true,
        ..Default::default()
    };
    let cfg = FontConfig::discover(&only).unwrap();
    assert_eq!(cfg.body.len(), 1);
    assert!(cfg.fallback.is_empty() && cfg.title.is_empty());
}

#[test]
fn a_page_holds_22_lines_of_28_characters() {
    let glyphs: Vec<char> = "国家标准公文格式版心".chars().collect();
    let text = |n: usize| -> String { (0..n).map(|i| glyphs[i % glyphs.len()]).collect() };
    let page = |n: usize| {
        doc(
            "",
            vec![Block::Paragraph {
                text: text(n),
                indent_first: false,
                field: "正文".into(),
            }],
        )
    };
    let full = write_pdf("grid-full", &render(&page(28 * 22), fonts()).unwrap());
    assert_eq!(page_count(&full), 1, "616 characters fit on one page");
    let layout = text_layout(&full);
    let lines: Vec<&str> = layout
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('—'))
        .collect();
    assert_eq!(lines.len(), 22, "{layout}");
    assert!(lines.iter().all(|l| l.chars().count() == 28), "{layout}");

    // The 617th character would start page 2: the page tightens to 23 lines
    // instead (GB/T 9704 §5.2.3, §7.3.5.5).
    let over = write_pdf("grid-over", &render(&page(28 * 22 + 1), fonts()).unwrap());
    assert_eq!(page_count(&over), 1, "23 lines still fit on one page");
    // Text that does not fit even on the tightest grid keeps the 22 lines.
    let long = write_pdf("grid-long", &render(&page(28 * 33), fonts()).unwrap());
    assert_eq!(page_count(&long), 2);
    let first: Vec<String> = page_text(&long, 1)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('—'))
        .map(String::from)
        .collect();
    assert_eq!(first.len(), 22, "{first:?}");

    // The text block starts 28 mm from the left and 37 mm from the top.
    let bbox = stdout("pdftotext", &["-bbox", full.to_str().unwrap(), "-"]);
    let first = bbox.lines().find(|l| l.contains("<word")).unwrap();
    let attr = |name: &str| -> f32 {
        let start = first.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        first[start..].split('"').next().unwrap().parse().unwrap()
    };
    let mm = |pt: f32| pt * 25.4 / 72.0;
    assert!((mm(attr("xMin")) - 28.0).abs() < 0.5, "{first}");
    assert!(
        mm(attr("yMin")) > 37.0 && mm(attr("yMin")) < 40.0,
        "{first}"
    );
    assert!((mm(attr("xMax")) - (28.0 + 156.0)).abs() < 1.0, "{first}");
}

#[test]
fn title_wraps_to_balanced_centred_lines_and_markers_and_notes_print() {
    let mut d = doc(
        "关于青山区人力资源和社会保障局办理失业保险金申领事项的不予受理通知书",
        vec![
            Block::Marker("作废".into()),
            para("正文。", "正文"),
            Block::Spacer { lines: 2 },
            para("正文二。", "正文"),
        ],
    );
    d.footer_note = Some("注：本通知书一式两份，一份交申请人，一份存档。".into());
    let path = write_pdf("title", &render(&d, fonts()).unwrap());
    let layout = text_layout(&path);
    let title_lines: Vec<&str> = layout
        .lines()
        .filter(|l| l.contains("关于") || l.contains("通知书") && !l.contains("注"))
        .collect();
    assert_eq!(title_lines.len(), 2, "{layout}");
    let lens: Vec<usize> = title_lines
        .iter()
        .map(|l| l.trim().chars().count())
        .collect();
    assert!(lens[0].abs_diff(lens[1]) <= 2, "balanced: {lens:?}");
    assert_in_order(
        &layout,
        &[
            "作废",
            "关于",
            "通知书",
            "正文。",
            "正文二。",
            "注：本通知书一式两份",
        ],
    );
}

#[test]
fn a_table_row_taller_than_a_page_is_split_across_pages() {
    // Taller than a page even on the tightest grid.
    let long: String = (1..=90)
        .map(|i| format!("第{i}条说明文字较长需要换行。"))
        .collect();
    let d = doc(
        "",
        vec![Block::Table {
            headers: vec!["序号".into(), "说明".into()],
            rows: vec![
                vec!["1".into(), long.clone()],
                vec!["2".into(), "末行".into()],
            ],
            col_widths_chars: vec![4, 24],
            field: "说明".into(),
        }],
    );
    let path = write_pdf("tallrow", &render(&d, fonts()).unwrap());
    let pages = page_count(&path);
    assert!(pages >= 2, "{pages}");
    let raw = text_raw(&path);
    assert_in_order(
        &raw,
        &["第1条", "第45条", "第90条说明文字较长需要换行。", "末行"],
    );
    // Nothing is drawn below the text area except the page number.
    let bbox = stdout("pdftotext", &["-bbox", path.to_str().unwrap(), "-"]);
    let bottom_limit = (297.0 - 35.0) * 72.0 / 25.4 + 1.0;
    for line in bbox.lines().filter(|l| l.contains("<word")) {
        let y_max: f32 = line
            .split("yMax=\"")
            .nth(1)
            .and_then(|v| v.split('"').next())
            .and_then(|v| v.parse().ok())
            .unwrap();
        let word = line
            .split('>')
            .nth(1)
            .and_then(|w| w.split('<').next())
            .unwrap();
        let page_no = word == "—" || word.chars().all(|c| c.is_ascii_digit());
        assert!(y_max <= bottom_limit || page_no, "{line}");
    }
    for p in 1..=pages {
        let t = stdout(
            "pdftotext",
            &[
                "-f",
                &p.to_string(),
                "-l",
                &p.to_string(),
                path.to_str().unwrap(),
                "-",
            ],
        );
        assert!(t.contains("说明"), "header on page {p}");
    }
}

/// Helper for the cross-process check below: writes the sample PDF to
/// `$YC_PDF_OUT` when run explicitly.
#[test]
#[ignore = "helper, run by identical_bytes_across_processes"]
fn helper_write_sample_pdf() {
    if let Ok(out) = std::env::var("YC_PDF_OUT") {
        std::fs::write(out, render(&sample_document(), fonts()).unwrap()).unwrap();
    }
}

#[test]
fn identical_bytes_across_processes() {
    // Hash-map seeds and other per-process randomness only show up across processes.
    let in_process = render(&sample_document(), fonts()).unwrap();
    let exe = std::env::current_exe().unwrap();
    let dir = std::env::temp_dir().join("yichuang-pdf-tests");
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..2 {
        let out = dir.join(format!("process-{i}.pdf"));
        let status = std::process::Command::new(&exe)
            .args(["--exact", "helper_write_sample_pdf", "--ignored", "--quiet"])
            .env("YC_PDF_OUT", &out)
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        let bytes = std::fs::read(&out).unwrap();
        assert!(bytes == in_process, "process {i} wrote different bytes");
    }
}

#[test]
fn a_paragraph_leaves_no_lone_line_at_a_page_head_or_foot() {
    let page_lines = |path: &std::path::Path, page: usize| -> usize {
        let p = page.to_string();
        stdout(
            "pdftotext",
            &["-layout", "-f", &p, "-l", &p, path.to_str().unwrap(), "-"],
        )
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('—'))
        .count()
    };
    // (para() indents its first line by two characters. The documents are
    // too long for a tighter grid to keep them on one page.)
    // 45 lines: 22 + 22 + 1 would leave the last line alone on page 3 (a widow).
    let widow = doc("", vec![para(&"字".repeat(28 * 45 - 2), "正文")]);
    let path = write_pdf("widow", &render(&widow, fonts()).unwrap());
    let lines = |path: &std::path::Path| (1..=3).map(|p| page_lines(path, p)).collect::<Vec<_>>();
    assert_eq!(lines(&path), [22, 21, 2]);
    // 43 lines, then a 3-line paragraph: its first line alone at the foot of
    // page 2 (an orphan) — the paragraph starts page 3 instead.
    let orphan = doc(
        "",
        vec![
            para(&"字".repeat(28 * 43 - 2), "正文"),
            para(&"文".repeat(28 * 3 - 2), "正文"),
        ],
    );
    let path = write_pdf("orphan", &render(&orphan, fonts()).unwrap());
    assert_eq!(lines(&path), [22, 21, 3]);
}

#[test]
fn the_stub_sits_at_the_page_foot() {
    let d = doc(
        "",
        vec![
            para("短短一段正文。", "正文"),
            Block::Signature {
                office: "青山区人力资源和社会保障局".into(),
                date_text: "2026年11月23日".into(),
            },
            Block::Stub {
                lines: vec!["回执".into(), "申请人签收：".into()],
            },
        ],
    );
    let path = write_pdf("stub-foot", &render(&d, fonts()).unwrap());
    assert_eq!(page_count(&path), 1);
    let bbox = stdout("pdftotext", &["-bbox", path.to_str().unwrap(), "-"]);
    let top_of = |word: &str| -> f32 {
        let line = bbox
            .lines()
            .find(|l| l.contains("<word") && l.contains(word))
            .unwrap_or_else(|| panic!("{word} not found:\n{bbox}"));
        let start = line.find("yMin=\"").unwrap() + 6;
        let pt: f32 = line[start..].split('"').next().unwrap().parse().unwrap();
        pt * 25.4 / 72.0
    };
    // The text area ends 262 mm from the top (37 + 225); the stub's last line
    // is the area's last line, far below the signature.
    let last = top_of("申请人签收");
    assert!(last > 250.0 && last < 262.0, "stub line at {last} mm");
    assert!(top_of("青山区") < 120.0, "signature stays under the text");
}

#[test]
fn a_signature_right_after_a_table_keeps_the_last_row_with_it() {
    // Every table length from "fits easily" to "a second page": wherever the
    // table ends, the signature's page also carries table rows.
    let mut carried = 0;
    for n in 12..40 {
        let rows: Vec<Vec<String>> = (1..=n)
            .map(|i| vec![i.to_string(), format!("第{i}项材料"), "已收".into()])
            .collect();
        let d = doc(
            "",
            vec![
                Block::Table {
                    headers: vec!["序号".into(), "材料名称".into(), "状态".into()],
                    rows,
                    col_widths_chars: vec![4, 18, 6],
                    field: "材料清单".into(),
                },
                Block::Signature {
                    office: "青山区人力资源和社会保障局".into(),
                    date_text: "2026年11月23日".into(),
                },
            ],
        );
        let path = write_pdf(
            &format!("table-signature-{n}"),
            &render(&d, fonts()).unwrap(),
        );
        let pages = page_count(&path);
        let p = pages.to_string();
        let last = stdout(
            "pdftotext",
            &["-layout", "-f", &p, "-l", &p, path.to_str().unwrap(), "-"],
        );
        assert!(last.contains("青山区人力资源和社会保障局"), "{n}: {last}");
        assert!(
            last.contains("项材料"),
            "{n} rows: the signature stands alone:\n{last}"
        );
        if pages > 1 && last.contains("材料名称") && !last.contains("第1项材料") {
            carried += 1;
        }
    }
    assert!(
        carried > 0,
        "some length makes the last row go over with the header"
    );
}

#[test]
fn the_signature_never_stands_alone_on_a_page() {
    // Fill the page so that 2 lines remain: office + date need 2, the seal 2 more.
    let filler: String = "字".repeat(28 * 19);
    let d = doc(
        "",
        vec![
            Block::Paragraph {
                text: filler,
                indent_first: false,
                field: "正文".into(),
            },
            para("最后一段文字在此。", "正文"),
            Block::Signature {
                office: "青山区人力资源和社会保障局".into(),
                date_text: "2026年11月23日".into(),
            },
        ],
    );
    let path = write_pdf("signature-carry", &render(&d, fonts()).unwrap());
    let pages = page_count(&path);
    let last = stdout(
        "pdftotext",
        &[
            "-layout",
            "-f",
            &pages.to_string(),
            "-l",
            &pages.to_string(),
            path.to_str().unwrap(),
            "-",
        ],
    );
    assert!(last.contains("青山区人力资源和社会保障局"), "{last}");
    assert!(
        last.contains("字") || last.contains("最后一段"),
        "body text shares the signature page:\n{last}"
    );
}

#[test]
fn fallback_faces_load_on_first_use_and_must_not_change_on_disk() {
    let dir = std::env::temp_dir().join("yichuang-pdf-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let copy = dir.join("HanaMinB-copy.ttf");
    std::fs::copy(HANA_B, &copy).unwrap();
    let set = FontSet::load(&FontConfig {
        body: vec![yichuang_pdf::FontSpec::new(NOTO_SERIF, 2)],
        fallback: vec![yichuang_pdf::FontSpec::new(&copy, 0)],
        ..Default::default()
    })
    .unwrap();
    let d = doc("", vec![Block::Addressee("王\u{20001}明：".into())]);
    // Changing the file after load would silently change the output: refuse.
    let mut bytes = std::fs::read(&copy).unwrap();
    bytes.push(0);
    std::fs::write(&copy, &bytes).unwrap();
    match render(&d, &set) {
        Err(PdfError::FontChanged { path }) => assert_eq!(path, copy),
        other => panic!("unexpected {other:?}"),
    }
    // Notices without rare characters never touch the fallback file.
    assert!(render(&doc("", vec![para("正文。", "正文")]), &set).is_ok());
}

#[test]
fn concurrent_renders_share_one_fontset_and_agree() {
    let set = std::sync::Arc::new(
        FontSet::load(&FontConfig::discover(&FontOverrides::default()).unwrap()).unwrap(),
    );
    // The rare character makes both threads race to parse the lazy fallback face.
    let d = doc("告知单", vec![Block::Addressee("王\u{20001}明：".into())]);
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let (set, d) = (set.clone(), d.clone());
            std::thread::spawn(move || render(&d, &set).unwrap())
        })
        .collect();
    let outs: Vec<Vec<u8>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(outs[0] == outs[1]);
    assert!(
        outs[0] == render(&d, fonts()).unwrap(),
        "same as with the shared test fonts"
    );
}

/// Lines of text on a page, page number left out.
fn body_lines(page: &str) -> Vec<String> {
    page.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('—'))
        .map(String::from)
        .collect()
}

const OFFICE: &str = "青山区人力资源和社会保障局";

fn signature() -> Block {
    Block::Signature {
        office: OFFICE.into(),
        date_text: "2026年11月23日".into(),
    }
}

#[test]
fn an_acceptance_notice_with_eight_materials_is_one_page() {
    // 30 lines on the 22-line grid: the line pitch tightens (GB/T 9704
    // §7.3.5.5) so that signature and stub stay on the page with the text.
    let bytes = render(&acceptance_notice(8), fonts()).unwrap();
    assert!(
        bytes == render(&acceptance_notice(8), fonts()).unwrap(),
        "the tightened layout is deterministic too"
    );
    let path = write_pdf("acceptance-8", &bytes);
    assert_eq!(page_count(&path), 1);
    assert_in_order(
        &text_layout(&path),
        &[
            "受理通知书",
            "张三：",
            "本机关决定予以受理",
            "暂定日期",
            "收取材料",
            "委托书及受托人身份证件",
            "经办人：李四",
            OFFICE,
            "2026年11月23日",
            "本通知书已收到。",
            "办件编号：QS-2026-001234",
            "— 1 —",
        ],
    );
}

#[test]
fn the_signature_takes_a_whole_short_paragraph_to_the_next_page() {
    // Page 2 ends with a 3-line paragraph and has no room for the signature.
    // Taking only its last two lines along would leave its first line alone
    // at the foot of page 2: the whole paragraph goes with the signature.
    let d = doc(
        "",
        vec![
            para(&"字".repeat(28 * 22 - 2), "正文"),
            para(&"文".repeat(28 * 17 - 2), "正文"),
            para(&"末".repeat(28 * 3 - 2), "正文"),
            signature(),
        ],
    );
    let path = write_pdf("signature-paragraph", &render(&d, fonts()).unwrap());
    assert_eq!(page_count(&path), 3);
    let count = |page: usize, c: char| {
        body_lines(&page_text(&path, page))
            .iter()
            .filter(|l| l.contains(c))
            .count()
    };
    assert_eq!(count(2, '末'), 0, "no line of the paragraph left behind");
    assert_eq!(count(3, '末'), 3, "{}", page_text(&path, 3));
    assert!(page_text(&path, 3).contains(OFFICE));
}

#[test]
fn the_stub_takes_the_signature_and_its_lines_to_the_next_page() {
    // Page 2: 18 lines of text and the signature fill it; the stub does not
    // fit. Too long to tighten onto fewer pages, so the stub takes the
    // signature and the last two lines of text with it.
    let d = doc(
        "",
        vec![
            para(&"字".repeat(28 * 22 - 2), "正文"),
            para(&"文".repeat(28 * 18 - 2), "正文"),
            signature(),
            Block::Stub {
                lines: vec!["回执：本通知书已收到。".into()],
            },
        ],
    );
    let path = write_pdf("stub-carry", &render(&d, fonts()).unwrap());
    assert_eq!(page_count(&path), 3);
    let last = page_text(&path, 3);
    let lines = body_lines(&last);
    assert_eq!(
        lines.iter().filter(|l| l.contains('文')).count(),
        2,
        "{last}"
    );
    assert!(last.contains(OFFICE), "{last}");
    assert!(last.contains("回执：本通知书已收到。"), "{last}");
    assert!(!page_text(&path, 2).contains(OFFICE));
}

#[test]
fn a_stub_that_alone_would_spill_keeps_the_notice_on_one_page() {
    // Only the stub would not fit on the 22-line grid: the notice is set on
    // a tighter grid instead of sending the stub (with the signature) over.
    let d = doc(
        "",
        vec![
            para(&"文".repeat(28 * 18 - 2), "正文"),
            signature(),
            Block::Stub {
                lines: vec![ACCEPTANCE_STUB.into()],
            },
        ],
    );
    let path = write_pdf("stub-tighten", &render(&d, fonts()).unwrap());
    assert_eq!(page_count(&path), 1);
    assert_in_order(&text_layout(&path), &["文", OFFICE, "本通知书已收到。"]);
}

#[test]
fn the_stub_date_is_never_split_from_its_blank() {
    // The acceptance stub (31 characters) narrows its blanks to stay on one
    // line; the rejection stub (34) cannot, and breaks before its label.
    let d = doc(
        "",
        vec![
            para("正文。", "正文"),
            signature(),
            Block::Stub {
                lines: vec![
                    ACCEPTANCE_STUB.into(),
                    "送达回执：本通知书已收到。申请人（签收）：＿＿＿＿＿＿　　年　月　日".into(),
                ],
            },
        ],
    );
    let path = write_pdf("stub-date", &render(&d, fonts()).unwrap());
    let lines: Vec<String> = body_lines(&text_layout(&path))
        .iter()
        .map(|l| squash(l))
        .collect();
    let with_blank: Vec<&String> = lines.iter().filter(|l| l.contains('＿')).collect();
    assert_eq!(
        with_blank,
        [
            "本通知书已收到。申请人（签名）：＿＿＿＿＿＿＿＿年月日",
            "申请人（签收）：＿＿＿＿＿＿年月日",
        ],
        "{lines:#?}"
    );
    assert!(lines.iter().any(|l| l == "送达回执：本通知书已收到。"));
}

#[test]
fn page_numbers_sit_right_on_odd_pages_and_left_on_even_pages() {
    // GB/T 9704 §7.5: one character (156/28 mm) in from the text area's edge.
    let d = doc(
        "",
        vec![
            para("第一页。", "正文"),
            Block::PageBreak,
            para("第二页。", "正文"),
            Block::PageBreak,
            para("第三页。", "正文"),
        ],
    );
    let path = write_pdf("page-numbers", &render(&d, fonts()).unwrap());
    let pages = words_by_page(&path);
    assert_eq!(pages.len(), 3);
    let cell = 156.0 / 28.0;
    for (i, words) in pages.iter().enumerate() {
        // The page number is the only text below the text area (262 mm).
        let number: Vec<_> = words.iter().filter(|w| w.y_min > 262.0).collect();
        let texts: Vec<&str> = number.iter().map(|w| w.text.as_str()).collect();
        let n = (i + 1).to_string();
        assert_eq!(texts, ["—", n.as_str(), "—"], "page {}", i + 1);
        let x_min = number.iter().map(|w| w.x_min).fold(f32::MAX, f32::min);
        let x_max = number.iter().map(|w| w.x_max).fold(f32::MIN, f32::max);
        if (i + 1) % 2 == 1 {
            assert!(
                (x_max - (28.0 + 156.0 - cell)).abs() < 0.3,
                "page {}: {x_max}",
                i + 1
            );
        } else {
            assert!(
                (x_min - (28.0 + cell)).abs() < 0.3,
                "page {}: {x_min}",
                i + 1
            );
        }
    }
    // A single page is numbered too, at the right.
    let one = write_pdf(
        "page-number-one",
        &render(&sample_document(), fonts()).unwrap(),
    );
    let words = &words_by_page(&one)[0];
    let x_max = words
        .iter()
        .filter(|w| w.y_min > 262.0)
        .map(|w| w.x_max)
        .fold(f32::MIN, f32::max);
    assert!((x_max - (28.0 + 156.0 - cell)).abs() < 0.3, "{x_max}");
}

#[test]
fn a_stub_after_a_table_and_signature_keeps_table_rows_with_it() {
    // Every table length ending on page 2 (where ending on page 1 would
    // strand the stub, the notice tightens onto one page instead): the page
    // with the stub also carries the signature and table rows.
    for n in 36..52 {
        let rows: Vec<Vec<String>> = (1..=n)
            .map(|i| vec![i.to_string(), format!("第{i}项材料"), "已收".into()])
            .collect();
        let d = doc(
            "",
            vec![
                Block::Table {
                    headers: vec!["序号".into(), "材料名称".into(), "状态".into()],
                    rows,
                    col_widths_chars: vec![4, 18, 6],
                    field: "材料清单".into(),
                },
                signature(),
                Block::Stub {
                    lines: vec![ACCEPTANCE_STUB.into()],
                },
            ],
        );
        let path = write_pdf(&format!("table-stub-{n}"), &render(&d, fonts()).unwrap());
        let last = page_text(&path, page_count(&path));
        for needle in ["项材料", OFFICE, "本通知书已收到。"] {
            assert!(last.contains(needle), "{n} rows: {needle} missing:\n{last}");
        }
    }
}

#[test]
fn a_table_ending_near_a_page_foot_keeps_its_last_row_with_the_signature() {
    // Page 2: two lines of text, then a table whose last row ends just where
    // the signature would still fit below it, but for the air and the grid
    // line the text below a table resumes on.
    let rows: Vec<Vec<String>> = (1..=18)
        .map(|i| vec![i.to_string(), format!("第{i}项材料"), "已收".into()])
        .collect();
    let d = doc(
        "",
        vec![
            para(&"字".repeat(28 * 22 - 2), "正文"),
            para(&"文".repeat(28 * 2 - 2), "正文"),
            Block::Table {
                headers: vec!["序号".into(), "材料名称".into(), "状态".into()],
                rows,
                col_widths_chars: vec![4, 18, 6],
                field: "材料清单".into(),
            },
            signature(),
        ],
    );
    let path = write_pdf("table-foot-signature", &render(&d, fonts()).unwrap());
    let last = page_text(&path, page_count(&path));
    assert!(last.contains(OFFICE), "{last}");
    assert!(
        last.contains("第18项材料"),
        "the signature stands alone:\n{last}"
    );
}

/// A 一次性告知单 as the engine builds it for a 工伤认定 application with
/// eight materials, two of them with three-line names, one missing.
fn one_time_notice_with_eight_materials() -> Document {
    let rows = [
        ("1", "工伤认定申请表", "原件", "2", "已收"),
        (
            "2",
            "与用人单位存在劳动关系（包括事实劳动关系）的证明材料",
            "原件及复印件",
            "1",
            "已收",
        ),
        (
            "3",
            "医疗诊断证明或者职业病诊断证明书（职业病诊断鉴定书）",
            "原件及复印件",
            "1",
            "已收",
        ),
        ("4", "受伤职工居民身份证", "复印件", "1", "已收"),
        ("5", "用人单位营业执照或登记信息", "复印件", "1", "已收"),
        ("6", "事故发生经过的书面说明", "原件", "1", "已收"),
        ("7", "证人证言", "原件", "1", "缺"),
        ("8", "住院病历复印件", "原件", "1", "已收"),
    ]
    .iter()
    .map(|&(a, b, c, d, e)| [a, b, c, d, e].map(String::from).to_vec())
    .collect();
    Document {
        title: "一次性告知单".into(),
        doc_no: Some("示人社告〔2026〕第0006号".into()),
        blocks: vec![
            Block::Addressee("赵测试：".into()),
            para(
                "你（单位）于2026年11月23日向本机关申请办理“工伤认定申请”事项。经审查，申请材料尚不齐全或者不符合法定形式。根据《工伤保险条例》第十七条、第十八条、第二十条、《工伤认定办法》第八条的规定，现将需要补正的全部材料一次性告知如下：",
                "正文",
            ),
            Block::Table {
                headers: ["序号", "材料名称", "形式", "份数", "状态"]
                    .map(String::from)
                    .to_vec(),
                rows,
                col_widths_chars: vec![3, 13, 5, 3, 4],
                field: "材料清单".into(),
            },
            para(
                "需补正的材料及其要求：证人证言（原件1份）。请按本告知单一次性补齐全部材料后重新提交，办理时限自材料齐全受理之日起计算。",
                "补正要求",
            ),
            para(
                "办理流程：申请—受理—调查核实—认定决定—送达。承诺办结时限为30个工作日，法定办结时限为60日。受理机关：示范县人力资源和社会保障局。经办人：张窗口（工号2001），社会保险综合窗口，电话0000-12333。",
                "办理程序",
            ),
            Block::Signature {
                office: "示范县人力资源和社会保障局".into(),
                date_text: "2026年11月23日".into(),
            },
            Block::Stub {
                lines: vec![
                    "本告知单已收到。申请人（签名）：＿＿＿＿＿＿＿＿　　年　月　日".into(),
                    "办件编号：DEMO01-20261123-0006".into(),
                ],
            },
        ],
        footer_note: None,
        qr_payload: Some(
            "YC1|示人社告〔2026〕第0006号|DEMO01-20261123-0006|0123456789abcdef".into(),
        ),
        creation_date: "2026-11-23T09:30:00+08:00".into(),
        pdf_title: "一次性告知单".into(),
    }
}

#[test]
fn a_one_time_notice_with_eight_materials_is_one_page() {
    let d = one_time_notice_with_eight_materials();
    let bytes = render(&d, fonts()).unwrap();
    assert!(bytes == render(&d, fonts()).unwrap(), "deterministic");
    let path = write_pdf("one-time-8", &bytes);
    let text = text_layout(&path);
    assert_eq!(page_count(&path), 1, "{text}");
    assert_in_order(
        &text,
        &[
            "一次性告知单",
            "赵测试：",
            "一次性告知如下：",
            "工伤认定申请表",
            "住院病历复印件",
            "需补正的材料及其要求",
            "电话0000-12333。",
            "示范县人力资源和社会保障局",
            "2026年11月23日",
            "本告知单已收到。",
            "办件编号：DEMO01-20261123-0006",
            "— 1 —",
        ],
    );
}

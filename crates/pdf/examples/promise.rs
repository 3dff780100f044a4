//! A two-page 承诺告知书 + 承诺书 (one print job), marked 补打, for eyeballing:
//! `cargo run -p yichuang-pdf --example promise -- out.pdf`.

#[path = "../tests/common/mod.rs"]
mod common;

use yichuang_pdf::{Block, Document};

fn main() {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "promise.pdf".into());
    let d = Document {
        title: "告知承诺制\n承诺告知书".into(),
        doc_no: Some("青人社承告〔2026〕第0031号".into()),
        blocks: vec![
            Block::Marker("补打".into()),
            Block::Addressee("李四：".into()),
            common::para(
                "您申请办理的“就业困难人员认定”事项适用告知承诺制（依据：《人力资源社会保障部关于全面推行证明事项和涉企经营许可事项告知承诺制的通知》人社部发〔2021〕57号）。下列材料可暂缓提交，由您书面承诺后先行受理：",
                "告知正文",
            ),
            Block::Heading("一、暂缓提交的材料".into()),
            common::para(
                "1．劳动合同解除证明；2．近6个月社会保险缴费记录（可由本机关核查）。",
                "材料",
            ),
            Block::Heading("二、补交期限与方式".into()),
            common::para(
                "请于2026年12月21日前（20个工作日内），将上述材料交至青山区政务服务中心3号窗口，或通过“浙里办”APP上传。",
                "补交",
            ),
            Block::Heading("三、未履行承诺的后果".into()),
            common::para(
                "逾期未补交的，本机关将终止办理；承诺不实的，依法撤销相关决定，并记入社会信用记录……",
                "后果",
            ),
            Block::Signature {
                office: "青山区人力资源和社会保障局".into(),
                date_text: "2026年11月23日".into(),
            },
            Block::PageBreak,
            Block::Title("承诺书".into()),
            common::para(
                "本人李四（身份证号码11010519491231002X）已知晓上述告知内容，承诺所填信息真实、有效，并于2026年12月21日前补交材料。如承诺不实，愿承担相应法律责任。",
                "承诺正文",
            ),
            Block::Spacer { lines: 2 },
            Block::Stub {
                lines: vec!["承诺人（签名）：____________    日期：2026年11月23日".into()],
            },
        ],
        footer_note: Some("本告知书一式两份，申请人与受理窗口各执一份。".into()),
        qr_payload: Some("YC:notice:2026-0031".into()),
        creation_date: "2026-11-23T10:05:00+08:00".into(),
        pdf_title: "承诺告知书".into(),
    };
    let bytes = yichuang_pdf::render(&d, common::fonts()).expect("render");
    std::fs::write(&out, &bytes).expect("write");
    println!("{} bytes -> {out}", bytes.len());
}

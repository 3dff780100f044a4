//! `notice`: issue, print, reprint, re-render, verify and void notices.

use std::path::PathBuf;

use clap::Subcommand;
use serde_json::json;
use yichuang_engine::{Engine, Error, NoticeKind, Result};

use super::{actor, print, write_file};

#[derive(Subcommand)]
pub enum NoticeCmd {
    /// 出具文书（分配文号并保存字段快照）
    Issue {
        case_no: String,
        kind: String,
    },
    List {
        case_no: String,
    },
    Show {
        doc_no: String,
    },
    /// 出具并打印文书为 PDF（一个事务：文号、记录、PDF 哈希）
    Print {
        case_no: String,
        /// one-time | commitment | rejection | acceptance
        kind: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// 补打（标注“补打”并记录）
    Reprint {
        doc_no: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// 按记录重新生成原始 PDF（逐字节一致，用于核对）
    Render {
        doc_no: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// 核验一份 PDF 是否为本站出具的文书
    Verify {
        file: PathBuf,
    },
    /// 记录纸质打印（第二次起为补打）
    Printed {
        doc_no: String,
    },
    Void {
        doc_no: String,
        #[arg(long)]
        reason: String,
    },
}

pub fn notice_cmd(e: &Engine, cmd: NoticeCmd, json: bool) -> Result<()> {
    let show = |n: &yichuang_engine::notice::NoticeRecord| {
        print(json, n, || {
            format!(
                "{}\t{}\t{}\t打印{}次{}",
                n.doc_no,
                n.kind.title_zh(),
                n.case_no,
                n.print_count,
                n.void_reason
                    .as_ref()
                    .map(|r| format!("\t已作废：{r}"))
                    .unwrap_or_default()
            )
        })
    };
    match cmd {
        NoticeCmd::Issue { case_no, kind } => {
            show(&e.issue_notice(&actor(e)?, &case_no, NoticeKind::parse(&kind)?)?)
        }
        NoticeCmd::List { case_no } => {
            let list = e.notices_for_case(&case_no)?;
            print(json, &list, || {
                list.iter()
                    .map(|n| {
                        format!(
                            "{}\t{}\t打印{}次{}",
                            n.doc_no,
                            n.kind.title_zh(),
                            n.print_count,
                            if n.voided_at.is_some() {
                                "\t已作废"
                            } else {
                                ""
                            }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        NoticeCmd::Show { doc_no } => show(&e.notice(&doc_no)?),
        NoticeCmd::Print { case_no, kind, out } => {
            let (n, pdf) = e.print_notice(&actor(e)?, &case_no, NoticeKind::parse(&kind)?)?;
            // The record is committed before the file is written: a failed write
            // is retried with `notice reprint`, never by issuing a new number.
            write_file(&out, &pdf)?;
            show(&n)
        }
        NoticeCmd::Reprint { doc_no, out } => {
            let (m, pdf) = e.reprint_notice(&actor(e)?, &doc_no)?;
            write_file(&out, &pdf)?;
            print(json, &m, || {
                format!(
                    "{doc_no} 第{}次打印{}，已写入 {}",
                    m.n,
                    if m.reprint { "（补打）" } else { "" },
                    out.display()
                )
            })
        }
        NoticeCmd::Render { doc_no, out } => {
            let pdf = e.rerender_notice(&doc_no)?;
            write_file(&out, &pdf)?;
            print(
                json,
                &json!({"doc_no": doc_no, "sha256": yichuang_wire::sha256_hex(&pdf)}),
                || format!("已重新生成 {}", out.display()),
            )
        }
        NoticeCmd::Verify { file } => {
            let bytes = std::fs::read(&file).map_err(|source| Error::Io {
                path: file.display().to_string(),
                source,
            })?;
            match e.identify_pdf(&bytes)? {
                Some((doc_no, n, voided)) => print(
                    json,
                    &json!({"doc_no": doc_no, "print": n, "voided": voided}),
                    || {
                        format!(
                            "真实文书：{doc_no}（第{n}次打印）{}",
                            if voided {
                                "，但该文书已作废"
                            } else {
                                ""
                            }
                        )
                    },
                ),
                None => Err(Error::rule(
                    "unknown_pdf",
                    "PDF matches no notice printed here",
                    "该 PDF 不是本站出具的文书，或内容已被改动",
                )),
            }
        }
        NoticeCmd::Printed { doc_no } => {
            let m = e.record_print(&actor(e)?, &doc_no, None)?;
            print(json, &m, || {
                format!("第{}次打印{}", m.n, if m.reprint { "（补打）" } else { "" })
            })
        }
        NoticeCmd::Void { doc_no, reason } => show(&e.void_notice(&actor(e)?, &doc_no, &reason)?),
    }
}

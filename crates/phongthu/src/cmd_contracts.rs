//! The three contract commands (`nvqs assess`, `reserve assign`, `directive parse`): plain files in,
//! plain JSON out, no database. Exit 2 with a Vietnamese message on malformed input.

use crate::{CmdResult, Failure};
use clap::Subcommand;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum NvqsCommand {
    /// Xét điều kiện gọi nhập ngũ từ tệp JSON / Assess eligibility from a JSON file
    Assess {
        /// Tệp đầu vào ("-" là đầu vào chuẩn) / input file, "-" for stdin
        #[arg(long)]
        input: PathBuf,
        /// Tệp kết quả (mặc định: đầu ra chuẩn) / output file (default stdout)
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum ReserveCommand {
    /// Sắp xếp quân nhân dự bị vào biên chế / Assign reservists to positions
    Assign {
        #[arg(long)]
        input: PathBuf,
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum DirectiveCommand {
    /// Đọc văn bản và trích xuất các trường, nhiệm vụ / Read a document and extract its fields and tasks
    Parse {
        /// Tệp văn bản: .txt, .docx, .pdf hoặc ảnh quét / the document
        file: PathBuf,
        /// In JSON theo hợp đồng / print the contract JSON
        #[arg(long)]
        json: bool,
    },
}

fn input_error(message: String) -> Failure {
    Failure { code: 2, message }
}

fn read_input(path: &Path) -> Result<String, Failure> {
    let mut s = String::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| input_error(format!("Không đọc được đầu vào chuẩn: {e}.")))?;
    } else {
        s = std::fs::read_to_string(path)
            .map_err(|e| input_error(format!("Không đọc được tệp \"{}\": {e}.", path.display())))?;
    }
    Ok(s)
}

fn write_output(path: Option<&Path>, json: &str) -> CmdResult {
    match path {
        Some(p) => std::fs::write(p, format!("{json}\n"))
            .map_err(|e| Failure::from(format!("Không ghi được tệp \"{}\": {e}.", p.display()))),
        None => {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{json}").map_err(Failure::from)
        }
    }
}

pub fn nvqs(cmd: &NvqsCommand) -> CmdResult {
    let NvqsCommand::Assess { input, output } = cmd;
    // Read case by case: memory does not grow with the number of cases.
    crate::stream_contracts::nvqs_assess(input, output.as_deref())
}

pub fn reserve(cmd: &ReserveCommand) -> CmdResult {
    let ReserveCommand::Assign { input, output } = cmd;
    let text = read_input(input)?;
    let json = phongthu_domain::reserve::assign_contract_json(&text).map_err(|e| input_error(e.to_string()))?;
    write_output(output.as_deref(), &json)
}

pub fn directive(cmd: &DirectiveCommand) -> CmdResult {
    let DirectiveCommand::Parse { file, json } = cmd;
    let is_tty = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let mut progress = |p: phongthu_documents::Progress| {
        if is_tty {
            eprint!("\r{p}");
        }
    };
    let extracted = phongthu_documents::read_document(file, &mut progress).map_err(|e| input_error(e.to_string()))?;
    if is_tty {
        eprintln!();
    }
    let parsed = phongthu_domain::directive::parse(&extracted.text);
    if *json {
        let s = serde_json::to_string_pretty(&parsed).map_err(Failure::from)?;
        write_output(None, &s)
    } else {
        write_output(None, &parsed.summary_vi())
    }
}

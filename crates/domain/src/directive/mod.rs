//! The directive reader's text rules: from the plain text of an incoming document (chỉ thị, kế
//! hoạch, thông báo, …, or a news report) to the fields of the contract
//! `contracts/directive-parse.md`: kind, number and symbol, issuer, place and date, title, signer,
//! recipients, cited documents, tasks and topics.
//!
//! The parser is pure and total: [`parse`] never fails and never panics; a field the text does not
//! state stays `None` (or empty). It reads text as it comes out of word processors (markdown
//! emphasis, `<sup>`), web pages, `pdftotext -layout` (columns, broken lines) and OCR (stamps,
//! lines repeated across page breaks, the look-alike "Ð"), in NFC or NFD, with either tone-mark
//! placement ("uỷ"/"ủy"): matching is done on folded text and values are cut from the original.
//!
//! Formats follow the law brief §7: ND 30/2020/NĐ-CP for State documents and HD 36-HD/VPTW for
//! Party documents ([`DocumentNumber`]).

mod folded;
mod header;
pub mod indicator;
mod kind;
pub mod legacy;
mod lost;
mod number;
mod prep;
pub mod recurring;
mod signature;
mod tasks;
#[cfg(test)]
mod tests;

pub use kind::{DocumentKind, Topic};
pub use number::{find_document_numbers, DocumentNumber, NumberError, NumberFamily};

use serde::{Deserialize, Serialize};
use time::Date;

/// The person who signed, from the signature block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signer {
    pub name: String,
    /// The rank or position printed with the name, else the authority line(s) joined by " / "
    /// ("T/M Ban Thường vụ", "KT. Chủ tịch / Phó Chủ tịch").
    pub title_or_rank: Option<String>,
    /// The position and authority lines printed above the name when `title_or_rank` is the rank
    /// ("Chánh Văn phòng" above "Thiếu tướng Đỗ Mạnh Vui"), so that the title is not lost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
}

/// How sure the reader is that an item is a task of the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// A numbered item or a closing assignment of the document.
    #[default]
    High,
    /// A request reported from a meeting ("đề nghị…", "yêu cầu…", "mong muốn…"): a proposed task
    /// that the reviewer confirms or drops.
    Low,
}

impl Confidence {
    fn is_high(&self) -> bool {
        *self == Confidence::High
    }
}

/// One top-level numbered item that assigns work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    /// As numbered in the document: "1", "2", "a".
    pub ordinal: String,
    /// The whole text of the item, with its sub-items (never shortened).
    pub summary: String,
    /// The unit that leads (chủ trì) or is directed to carry the item out; `None` when the item
    /// addresses everyone.
    pub lead: Option<String>,
    /// The units after "phối hợp (với)".
    pub coordinating: Vec<String>,
    /// "YYYY", "YYYY-MM" or "YYYY-MM-DD".
    pub deadline: Option<String>,
    /// Quantitative or graded targets as written ("100% chỉ tiêu", "1,5ha").
    pub targets: Vec<String>,
    /// Low for a request reported from a meeting; absent from the JSON when high.
    #[serde(default, skip_serializing_if = "Confidence::is_high")]
    pub confidence: Confidence,
}

/// What the reader found in a document (the JSON object of the contract).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParsedDirective {
    pub kind: DocumentKind,
    /// Normalised number and symbol ("677/TB-VP"), `None` when the document has none.
    pub number_symbol: Option<String>,
    pub issuer: Option<String>,
    pub place: Option<String>,
    /// Date of issue (ISO "YYYY-MM-DD" in JSON).
    #[serde(with = "iso_date")]
    pub date: Option<Date>,
    pub title: Option<String>,
    pub signer: Option<Signer>,
    pub recipients: Vec<String>,
    pub cited_documents: Vec<String>,
    pub tasks: Vec<Task>,
    pub topics: Vec<Topic>,
    /// What the reader could not read with certainty (Vietnamese), e.g. letters lost by an old
    /// code page; absent from the JSON when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

mod iso_date {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    const FMT: &[time::format_description::BorrowedFormatItem<'static>] =
        time::macros::format_description!("[year]-[month]-[day]");

    pub fn serialize<S: Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_str(&d.format(FMT).map_err(serde::ser::Error::custom)?),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        let s: Option<String> = Option::deserialize(d)?;
        s.map(|s| Date::parse(&s, FMT).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// Signs of a press or web report rather than an administrative document.
fn looks_like_news(lines: &[String]) -> bool {
    use folded::fold_str;
    lines.iter().take(12).any(|l| {
        let f = fold_str(&prep::flat(l));
        f.starts_with("toc do:")
            || f.starts_with("nghe bai viet")
            || (f.starts_with('(')
                && f.find(") -")
                    .or_else(|| f.find(")-"))
                    .or_else(|| f.find(") –"))
                    .is_some_and(|i| i < 40))
            || f.starts_with("ttxvn")
    })
}

/// Reads the fields of a document from its text. Never panics; unknown fields stay empty.
pub fn parse(text: &str) -> ParsedDirective {
    // Text typed in TCVN3 or VNI (as the mojibake it becomes when read as Unicode).
    let converted = legacy::to_unicode(text);
    let text = converted.as_deref().unwrap_or(text);
    // Text that lost the letters of one code page ("ngy" for "ngày"): the certain words repaired.
    let repaired = lost::repair(text);
    let mut warnings = Vec::new();
    if repaired.is_some() {
        warnings.push(
            "Văn bản bị mất các chữ à, ã, ò, ì, è, ù, ỳ, õ (lỗi bảng mã khi trích xuất): đã khôi phục các từ chắc chắn \
             (ngày, phòng, và, xã, hoàn, toàn, đã); các từ khác có thể còn thiếu chữ, cần đối chiếu bản gốc."
                .to_string(),
        );
    }
    let text = repaired.as_deref().unwrap_or(text);
    let lines = prep::drop_page_furniture(prep::drop_preamble(prep::clean_lines(text)));
    let head = header::read_head(&lines);
    let news = head.kind.is_none() && head.number.is_none() && looks_like_news(&lines);
    let foot = signature::read_foot(&lines, head.body_start, !news);
    let body_end = foot.recipients_line.unwrap_or(lines.len()).max(head.body_start);
    let body_lines = &lines[head.body_start.min(body_end)..body_end];
    let paragraphs = prep::paragraphs(body_lines);
    let kind = match head.kind {
        Some(k) => k,
        None if news => DocumentKind::News,
        None => DocumentKind::Other,
    };
    let number_symbol = head.number.as_ref().map(DocumentNumber::normalized);
    let issuer = if news {
        None
    } else {
        header::compose_issuer(&head).or_else(|| header::issuer_from_body(&paragraphs))
    };
    let title = match (&head.title, news) {
        (Some(t), _) => Some(t.clone()),
        (None, true) => lines
            .iter()
            .map(|l| prep::flat(l))
            .find(|l| !l.is_empty())
            .filter(|l| l.chars().count() <= 250 && !l.ends_with('.')),
        (None, false) => None,
    };
    // Cited documents: every number in the text except the document's own.
    let all_text: String = lines.iter().map(|l| prep::flat(l)).collect::<Vec<_>>().join("\n");
    let mut cited_documents: Vec<String> = Vec::new();
    for (_, n) in find_document_numbers(&all_text) {
        let s = n.normalized();
        if Some(&s) != number_symbol.as_ref() && !cited_documents.contains(&s) {
            cited_documents.push(s);
        }
    }
    let with_text = if news {
        tasks::requests_of(&paragraphs, None)
    } else {
        tasks::tasks_of(&paragraphs, head.date)
    };
    let task_text = with_text.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>().join("\n");
    let tasks: Vec<Task> = with_text.into_iter().map(|(t, _)| t).collect();
    let focus = format!("{}\n{task_text}", title.as_deref().unwrap_or(""));
    let topics = tasks::topics_of(&paragraphs.join("\n"), &focus, news);
    ParsedDirective {
        kind,
        number_symbol,
        issuer,
        place: if news { None } else { head.place },
        date: if news { None } else { head.date },
        title,
        signer: foot.signer,
        recipients: foot.recipients,
        cited_documents,
        tasks,
        topics,
        warnings,
    }
}

impl ParsedDirective {
    /// A readable Vietnamese summary of what was found.
    pub fn summary_vi(&self) -> String {
        const NONE: &str = "(không ghi)";
        let mut s = String::new();
        let mut line = |k: &str, v: &str| {
            s.push_str(k);
            s.push_str(": ");
            s.push_str(v);
            s.push('\n');
        };
        line("Loại văn bản", self.kind.label_vi());
        line("Số, ký hiệu", self.number_symbol.as_deref().unwrap_or(NONE));
        line("Cơ quan ban hành", self.issuer.as_deref().unwrap_or(NONE));
        let date = self
            .date
            .map(|d| format!("ngày {:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year()))
            .unwrap_or_else(|| NONE.to_string());
        match &self.place {
            Some(p) => line("Địa danh, ngày ban hành", &format!("{p}, {date}")),
            None => line("Ngày ban hành", &date),
        }
        line("Trích yếu", self.title.as_deref().unwrap_or(NONE));
        let signer = match &self.signer {
            Some(Signer {
                name,
                title_or_rank: Some(t),
                position: Some(p),
            }) => format!("{name} ({t}, {p})"),
            Some(Signer {
                name,
                title_or_rank: Some(t),
                position: None,
            }) => format!("{name} ({t})"),
            Some(Signer {
                name,
                title_or_rank: None,
                ..
            }) => name.clone(),
            None => NONE.to_string(),
        };
        line("Người ký", &signer);
        if self.cited_documents.is_empty() {
            line("Văn bản dẫn chiếu", "không có");
        } else {
            line(
                &format!("Văn bản dẫn chiếu ({})", self.cited_documents.len()),
                &self.cited_documents.join("; "),
            );
        }
        line(
            "Lĩnh vực",
            &self.topics.iter().map(|t| t.label_vi()).collect::<Vec<_>>().join(", "),
        );
        if self.tasks.is_empty() {
            s.push_str("Nhiệm vụ: không tìm thấy mục nhiệm vụ được đánh số\n");
        } else {
            s.push_str(&format!("Nhiệm vụ ({}):\n", self.tasks.len()));
            for t in &self.tasks {
                let proposed = if t.confidence == Confidence::Low {
                    " (đề xuất, cần xác nhận)"
                } else {
                    ""
                };
                s.push_str(&format!("  {}. {}{proposed}\n", t.ordinal, t.summary));
                if let Some(l) = &t.lead {
                    s.push_str(&format!("     Chủ trì: {l}\n"));
                }
                if !t.coordinating.is_empty() {
                    s.push_str(&format!("     Phối hợp: {}\n", t.coordinating.join("; ")));
                }
                if let Some(d) = &t.deadline {
                    s.push_str(&format!("     Thời hạn: {}\n", deadline_vi(d)));
                }
                if !t.targets.is_empty() {
                    s.push_str(&format!("     Chỉ tiêu: {}\n", t.targets.join("; ")));
                }
            }
        }
        for w in &self.warnings {
            s.push_str(&format!("Lưu ý: {w}\n"));
        }
        if self.recipients.is_empty() {
            s.push_str("Nơi nhận: không ghi\n");
        } else {
            s.push_str(&format!("Nơi nhận ({}):\n", self.recipients.len()));
            for r in &self.recipients {
                s.push_str(&format!("  - {r}\n"));
            }
        }
        s
    }
}

/// "2025" → "năm 2025", "2025-03" → "tháng 3/2025", "2025-06-30" → "ngày 30/6/2025".
fn deadline_vi(d: &str) -> String {
    let parts: Vec<&str> = d.split('-').collect();
    let num = |s: &str| s.trim_start_matches('0').to_string();
    match parts.as_slice() {
        [y] => format!("năm {y}"),
        [y, m] => format!("tháng {}/{y}", num(m)),
        [y, m, dd] => format!("ngày {}/{}/{y}", num(dd), num(m)),
        _ => d.to_string(),
    }
}

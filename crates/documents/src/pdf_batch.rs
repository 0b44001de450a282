//! Large batches of official documents as one PDF, in bounded memory and time.
//!
//! Typesetting a whole batch as one typst document costs more per page the longer it is (a
//! commune's 1,853 decisions took 17.6 s and 2.9 GB; 333,000 did not finish in 23 GB). Here
//! the batch is typeset in chunks of [`CHUNK_DOCS`] documents (each document keeps its own page
//! numbers, so a chunk boundary changes nothing on the page), two chunks at a time on machines
//! with two cores or more, and the chunks' pages are copied into one file as they come
//! (`hayro-write`, the page copier typst's own PDF writer uses to embed PDFs; pdf-writer for the
//! file's page tree, catalogue and information). Memory holds the output and the chunks in
//! hand, not a typst document of the whole batch.

use crate::official::{batch_pdf, OfficialDocument, WriteError};
use hayro_write::{ChunkSettings, ExtractionQuery};
use pdf_writer::{Date, Finish, Pdf, Ref, TextStr};

/// Documents typeset together (one typst document).
pub const CHUNK_DOCS: usize = 200;

/// [`batch_pdf`] for a batch of any size: the same pages, typeset [`CHUNK_DOCS`] documents at a
/// time. `progress` is called with the number of documents done after each chunk. A batch of
/// one chunk is [`batch_pdf`]'s own file.
pub fn batch_pdf_chunked(
    docs: &[OfficialDocument],
    chunk: usize,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Vec<u8>, WriteError> {
    let chunk = chunk.max(1);
    if docs.len() <= chunk {
        let bytes = batch_pdf(docs)?;
        progress(docs.len());
        return Ok(bytes);
    }
    let Some(first) = docs.first() else {
        return Err(WriteError::EmptyBatch);
    };
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 2);
    let mut out = Merged::new();
    let mut done = 0;
    // A round of `workers` chunks typeset side by side, then copied in order: at most that many
    // chunk files are in memory at once.
    for round in docs.chunks(chunk * workers) {
        let typeset: Vec<Result<Vec<u8>, WriteError>> = std::thread::scope(|s| {
            let handles: Vec<_> = round.chunks(chunk).map(|c| s.spawn(move || batch_pdf(c))).collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(WriteError::Typeset("lỗi khi dàn trang một phần của tập".into())))
                })
                .collect()
        });
        for bytes in typeset {
            out.append(bytes?)?;
        }
        done += round.len();
        progress(done);
    }
    let (title, author) = crate::official::batch_meta(docs);
    Ok(out.finish(&title, &author, first.date, docs.len()))
}

/// The number of pages of a PDF file, as its page tree says; None when it cannot be read.
pub fn page_count(pdf: &[u8]) -> Option<usize> {
    let src = hayro_write::hayro_syntax::Pdf::new(pdf.to_vec()).ok()?;
    Some(src.pages().len())
}

/// The output file being assembled: each appended chunk's pages under a page-tree node of
/// their own, all under one root.
struct Merged {
    pdf: Pdf,
    next: Ref,
    catalog: Ref,
    root: Ref,
    info: Ref,
    kids: Vec<Ref>,
    pages: i32,
}

impl Merged {
    fn new() -> Merged {
        let mut next = Ref::new(1);
        let catalog = next.bump();
        let root = next.bump();
        let info = next.bump();
        Merged {
            pdf: Pdf::new(),
            next,
            catalog,
            root,
            info,
            kids: vec![],
            pages: 0,
        }
    }

    /// Copies every page of a typeset chunk (with the fonts and resources they use).
    fn append(&mut self, bytes: Vec<u8>) -> Result<(), WriteError> {
        let bad = |what: String| WriteError::Typeset(format!("không ghép được các phần của tập ({what})"));
        let src = hayro_write::hayro_syntax::Pdf::new(bytes).map_err(|e| bad(format!("{e:?}")))?;
        let n = src.pages().len();
        let queries: Vec<ExtractionQuery> = (0..n).map(ExtractionQuery::new_page).collect();
        let next = &mut self.next;
        let extracted = hayro_write::extract(
            &src,
            Box::new(|| next.bump()),
            ChunkSettings::default(),
            |_: &mut pdf_writer::writers::Group<'_>| {},
            &queries,
        )
        .map_err(|e| bad(format!("{e:?}")))?;
        let refs = extracted
            .root_refs
            .iter()
            .map(|r| r.map_err(|e| bad(format!("{e:?}"))))
            .collect::<Result<Vec<Ref>, _>>()?;
        let count = i32::try_from(refs.len()).map_err(|e| bad(e.to_string()))?;
        self.pdf
            .pages(extracted.page_tree_parent_ref)
            .parent(self.root)
            .kids(refs)
            .count(count);
        self.pdf.extend(&extracted.chunk);
        self.kids.push(extracted.page_tree_parent_ref);
        self.pages += count;
        Ok(())
    }

    fn finish(mut self, title: &str, author: &str, date: time::Date, docs: usize) -> Vec<u8> {
        self.pdf
            .pages(self.root)
            .kids(self.kids.iter().copied())
            .count(self.pages);
        let mut catalog = self.pdf.catalog(self.catalog);
        catalog.pages(self.root);
        catalog.lang(TextStr("vi"));
        catalog.finish();
        let created = Date::new(u16::try_from(date.year().clamp(0, 9999)).unwrap_or(0))
            .month(u8::from(date.month()))
            .day(date.day())
            .hour(0)
            .minute(0)
            .second(0);
        self.pdf
            .document_info(self.info)
            .title(TextStr(title))
            .author(TextStr(author))
            .creator(TextStr("phongthu"))
            .creation_date(created);
        // A stable identifier: the same batch gives the same /ID.
        use sha2::Digest;
        let ident = sha2::Sha256::digest(format!("phongthu/{docs}/{date}/{title}/{}", self.pages).as_bytes());
        self.pdf.set_file_id((ident[..16].to_vec(), ident[..16].to_vec()));
        self.pdf.finish()
    }
}

//! Typesetting PDF with typst: a minimal `World` that holds one source file, no other files, no
//! packages, no clock, and the fonts that the `typst-assets` crate embeds (loaded once, on first
//! use).
//!
//! User text never enters the typst source: the caller passes it as `sys.inputs` strings (a JSON
//! document that the template decodes with `json(bytes(..))`), so `#`, `*`, `[`, `$`, `//` and
//! the like in a title print as they are.
//!
//! Fonts: Libertinus Serif (SIL Open Font License 1.1), a free serif font close to Times in
//! colour and proportions, with every precomposed Vietnamese letter in the regular, bold and
//! italic styles; its bold italic lacks ơ, ư, Ơ and Ư, which typst then takes from New Computer
//! Modern Bold Italic (GUST Font License 1.0), the second font of the list. Both come from the
//! `typst-assets` crate (feature `fonts`); no font file is in this repository and none is read
//! from the system, so the output is the same on every machine. Times New Roman itself is not
//! free, and no crate on crates.io that we know of ships a metric-compatible clone (Liberation
//! Serif, TeX Gyre Termes); see data/README.md.

use std::sync::OnceLock;
use time::Date;
use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Dict, IntoValue, Smart};
use typst::syntax::{FileId, Source};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

/// The font families, in order of preference (the template names them in this order; a test
/// checks both).
#[cfg(test)]
pub(crate) const FONT_FAMILIES: [&str; 2] = ["Libertinus Serif", "New Computer Modern"];

struct Fonts {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

/// The embedded fonts, parsed once per process.
fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| {
        let fonts: Vec<Font> = typst_assets::fonts()
            .flat_map(|data| Font::iter(Bytes::new(data)))
            .collect();
        Fonts {
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            fonts,
        }
    })
}

/// One compilation: the template as `main.typ` and the library with the inputs.
struct TypesetWorld {
    library: LazyHash<Library>,
    main: Source,
}

impl World for TypesetWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &fonts().book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn file(&self, _id: FileId) -> FileResult<Bytes> {
        // The template reads no file: images, packages and includes are not available.
        Err(FileError::AccessDenied)
    }

    fn font(&self, index: usize) -> Option<Font> {
        fonts().fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        // No clock: the output depends only on the input.
        None
    }
}

/// What goes into the PDF's metadata besides the pages.
pub(crate) struct PdfMeta {
    /// A stable identifier of the document (its hash becomes the PDF's /ID).
    pub ident: String,
    /// The creation date written into the PDF (the document's date, at midnight UTC).
    pub date: Date,
}

/// Compiles `template` with the string `inputs` (available as `sys.inputs`) into PDF bytes.
/// Errors are the compiler's messages, joined; they point at a bug in the template, not at the
/// user's data.
pub(crate) fn pdf(template: &str, inputs: &[(&str, String)], meta: &PdfMeta) -> Result<Vec<u8>, String> {
    let inputs: Dict = inputs
        .iter()
        .map(|(k, v)| ((*k).into(), v.as_str().into_value()))
        .collect();
    let world = TypesetWorld {
        library: LazyHash::new(Library::builder().with_inputs(inputs).build()),
        main: Source::detached(template),
    };
    let result = typst::compile::<PagedDocument>(&world).output;
    let document = result.map_err(|e| messages(&e))?;
    let timestamp = Datetime::from_ymd_hms(meta.date.year(), u8::from(meta.date.month()), meta.date.day(), 0, 0, 0)
        .map(typst_pdf::Timestamp::new_utc);
    let options = typst_pdf::PdfOptions {
        ident: Smart::Custom(meta.ident.clone()),
        creator: Smart::Custom(Some("phongthu".to_string())),
        timestamp,
        ..typst_pdf::PdfOptions::default()
    };
    let bytes = typst_pdf::pdf(&document, &options).map_err(|e| messages(&e));
    // Keep the compiler's memo caches from growing without bound in a long-running server.
    typst::comemo::evict(10);
    bytes
}

fn messages(diagnostics: &[SourceDiagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| d.message.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn meta() -> PdfMeta {
        PdfMeta {
            ident: "test".into(),
            date: date!(2026 - 03 - 05),
        }
    }

    #[test]
    fn the_fonts_of_the_template_are_embedded() {
        let book = &fonts().book;
        for family in FONT_FAMILIES {
            assert!(book.families().any(|(name, _)| name == family), "thiếu phông {family}");
        }
        let template = include_str!("official.typ");
        let list = FONT_FAMILIES.map(|f| format!("\"{f}\"")).join(", ");
        assert!(template.contains(&format!("font: ({list})")), "{list}");
    }

    #[test]
    fn inputs_are_data_not_markup() {
        let text = "#set text(red) *đậm* $x$ [a] \\ <l> @r `c` // chú";
        let pdf = pdf(
            "#set page(width: 10cm, height: auto)\n#sys.inputs.at(\"t\")",
            &[("t", text.to_string())],
            &meta(),
        )
        .unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
    }

    #[test]
    fn template_errors_are_reported() {
        let e = pdf("#undefined-function()", &[], &meta()).unwrap_err();
        assert!(e.contains("undefined"), "{e}");
    }

    #[test]
    fn no_file_can_be_read() {
        let e = pdf("#read(\"/etc/passwd\")", &[], &meta()).unwrap_err();
        assert!(!e.is_empty());
    }
}

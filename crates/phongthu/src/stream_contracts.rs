//! `nvqs assess` on inputs of any size: the input is read as a stream (a buffered reader that
//! drops `//` line comments, as the contract allows, feeding the domain's case-by-case reader),
//! each decision is written to a temporary file as soon as it is made, and the file becomes the
//! output only when the whole input was good (a malformed input still writes nothing). Memory
//! does not grow with the number of cases, except by the ids kept to refuse a repeated one.

use crate::{CmdResult, Failure};
use phongthu_domain::nvqs::contract_stream::{assess_stream, output_close, Scan, OUTPUT_OPEN};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, Write};
use std::path::Path;

/// A reader that leaves out `//` line comments outside JSON strings (keeping their line break),
/// byte by byte: the markers are ASCII, so UTF-8 text passes through unchanged.
pub struct StripComments<R> {
    inner: R,
    state: Strip,
    pending: Vec<u8>,
    pos: usize,
}

#[derive(Default)]
struct Strip {
    in_string: bool,
    escaped: bool,
    in_comment: bool,
    /// A '/' not yet known to start a comment.
    slash: bool,
}

impl Strip {
    fn push(&mut self, b: u8, out: &mut Vec<u8>) {
        if self.in_comment {
            if b == b'\n' {
                self.in_comment = false;
                out.push(b);
            }
            return;
        }
        if self.in_string {
            out.push(b);
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.in_string = false;
            }
            return;
        }
        if self.slash {
            self.slash = false;
            if b == b'/' {
                self.in_comment = true;
                return;
            }
            out.push(b'/');
        }
        match b {
            b'/' => self.slash = true,
            b'"' => {
                self.in_string = true;
                out.push(b);
            }
            _ => out.push(b),
        }
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        if std::mem::take(&mut self.slash) {
            out.push(b'/');
        }
    }
}

impl<R: BufRead> StripComments<R> {
    pub fn new(inner: R) -> Self {
        StripComments {
            inner,
            state: Strip::default(),
            pending: Vec::new(),
            pos: 0,
        }
    }
}

impl<R: BufRead> Read for StripComments<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if self.pos < self.pending.len() {
                let n = out.len().min(self.pending.len() - self.pos);
                out[..n].copy_from_slice(&self.pending[self.pos..self.pos + n]);
                self.pos += n;
                return Ok(n);
            }
            self.pending.clear();
            self.pos = 0;
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                self.state.finish(&mut self.pending);
                if self.pending.is_empty() {
                    return Ok(0);
                }
                continue;
            }
            for &b in buf {
                self.state.push(b, &mut self.pending);
            }
            let used = buf.len();
            self.inner.consume(used);
        }
    }
}

fn input_error(message: String) -> Failure {
    Failure { code: 2, message }
}

/// Where the input is read from: a file, read once or twice (stdin is first copied to a
/// temporary file, so that it can be read a second time when the cycle comes last).
fn open_input(path: &Path) -> Result<File, Failure> {
    if path.as_os_str() == "-" {
        let mut tmp = tempfile::tempfile().map_err(|e| Failure::from(format!("Không tạo được tệp tạm: {e}.")))?;
        std::io::copy(&mut std::io::stdin().lock(), &mut tmp)
            .map_err(|e| input_error(format!("Không đọc được đầu vào chuẩn: {e}.")))?;
        tmp.rewind().map_err(Failure::from)?;
        return Ok(tmp);
    }
    File::open(path).map_err(|e| input_error(format!("Không đọc được tệp \"{}\": {e}.", path.display())))
}

/// One reading of the input; decisions go to `out`.
fn scan(file: &mut File, cycle: Option<&serde_json::Value>, out: &mut BufWriter<File>) -> Result<Scan, Failure> {
    file.rewind().map_err(Failure::from)?;
    let reader = StripComments::new(BufReader::with_capacity(1 << 16, &mut *file));
    let mut de = serde_json::Deserializer::from_reader(reader);
    let mut emit = |s: &str| out.write_all(s.as_bytes()).map_err(|e| e.to_string());
    let json_error = |e: serde_json::Error| input_error(format!("Đầu vào không phải JSON hợp lệ: {e}."));
    let found = assess_stream(&mut de, cycle, &mut emit).map_err(json_error)?;
    de.end().map_err(json_error)?;
    Ok(found)
}

/// `phongthu nvqs assess --input IN [--output OUT]`, streamed.
pub fn nvqs_assess(input: &Path, output: Option<&Path>) -> CmdResult {
    let mut file = open_input(input)?;
    // The output is written beside its destination (so that it is renamed into place), or to
    // a temporary file copied to stdout at the end.
    let dir = output
        .and_then(Path::parent)
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = match output {
        Some(_) => tempfile::NamedTempFile::new_in(dir),
        None => tempfile::NamedTempFile::new(),
    }
    .map_err(|e| Failure::from(format!("Không tạo được tệp tạm: {e}.")))?;
    let mut out = BufWriter::with_capacity(1 << 16, tmp.reopen().map_err(Failure::from)?);
    out.write_all(OUTPUT_OPEN.as_bytes()).map_err(Failure::from)?;
    let mut found = scan(&mut file, None, &mut out)?;
    if let Scan::CycleAfterCitizens(cycle) = found {
        found = scan(&mut file, Some(&cycle), &mut out)?;
    }
    let n = match found {
        Scan::Done(n) => n,
        Scan::Refused(e) => return Err(input_error(e.to_string())),
        Scan::OutputFailed(e) => return Err(Failure::from(format!("Không ghi được kết quả: {e}."))),
        Scan::CycleAfterCitizens(_) => unreachable!("the second reading has its cycle"),
    };
    out.write_all(output_close(n).as_bytes()).map_err(Failure::from)?;
    out.flush().map_err(Failure::from)?;
    drop(out);
    match output {
        Some(p) => tmp
            .persist(p)
            .map(|_| ())
            .map_err(|e| Failure::from(format!("Không ghi được tệp \"{}\": {e}.", p.display()))),
        None => {
            let mut f = tmp.reopen().map_err(Failure::from)?;
            std::io::copy(&mut f, &mut std::io::stdout().lock())
                .map(|_| ())
                .map_err(Failure::from)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn strip_all(input: &str, cap: usize) -> String {
        let mut r = StripComments::new(BufReader::with_capacity(cap, input.as_bytes()));
        let mut out = Vec::new();
        let mut buf = vec![0u8; cap.max(1)];
        loop {
            let n = r.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn comments_go_strings_stay() {
        let input = "{ // chú thích\n\"a\": \"http://x//y\", \"b\": 1 / 2 // cuối\n}";
        let want = "{ \n\"a\": \"http://x//y\", \"b\": 1 / 2 \n}";
        for cap in [1, 2, 3, 7, 64] {
            assert_eq!(strip_all(input, cap), want, "cap {cap}");
        }
        assert_eq!(strip_all("a/", 1), "a/");
        assert_eq!(strip_all("\"\\\"//\" //x", 2), "\"\\\"//\" ");
    }

    proptest! {
        #[test]
        fn stripping_by_chunks_is_stripping_at_once(
            s in "[a-c/\"\\\\\n ]{0,60}",
            cap in 1usize..9,
        ) {
            prop_assert_eq!(strip_all(&s, cap), phongthu_domain::nvqs::contract_stream::strip_comments(&s));
        }
    }
}

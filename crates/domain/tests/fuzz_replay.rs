//! The fuzz targets' bodies (fuzz/bodies/*.rs, the same code cargo-fuzz runs) replayed on a
//! bounded corpus in the ordinary test build, so that they run on every `cargo test`, also where
//! there is no nightly toolchain for cargo-fuzz: the reader's fixtures, then deterministic
//! mutations of them (bytes flipped, cut, repeated, spliced, legacy-encoded), 1,500 inputs.

include!("../../../fuzz/bodies/directive_parse.rs");
include!("../../../fuzz/bodies/legacy_encoding.rs");

/// The seed corpus: every fixture text of the reader.
fn seeds() -> Vec<Vec<u8>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/directive/fixtures");
    let mut out = Vec::new();
    for dir in [root.clone(), root.join("own")] {
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "txt"))
            .collect();
        files.sort();
        for f in files {
            out.push(std::fs::read(f).unwrap());
        }
    }
    assert!(out.len() >= 3, "the reader's fixtures are the seed corpus");
    out.push(Vec::new());
    out.push("1. Điều 2.\n\u{feff}a) Nhiệm vụ:\r\n".into());
    out
}

/// xorshift64*: the same inputs on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(r: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut v = seeds[r.below(seeds.len())].clone();
    // At most 4 KB of a seed, from a random place: the replay stays quick.
    if v.len() > 4_096 {
        let start = r.below(v.len() - 4_096);
        v = v[start..start + 4_096].to_vec();
    }
    for _ in 0..=r.below(4) {
        match r.below(6) {
            0 if !v.is_empty() => {
                let i = r.below(v.len());
                v[i] = r.next() as u8;
            }
            1 if !v.is_empty() => {
                let cut = r.below(v.len());
                v.truncate(cut);
            }
            2 if !v.is_empty() => {
                let i = r.below(v.len());
                let j = (i + 1 + r.below(64)).min(v.len());
                let piece = v[i..j].to_vec();
                for _ in 0..r.below(20) {
                    v.splice(i..i, piece.iter().copied());
                }
            }
            3 => {
                let other = &seeds[r.below(seeds.len())];
                if !other.is_empty() {
                    let i = r.below(other.len());
                    let j = (i + r.below(512)).min(other.len());
                    let at = r.below(v.len() + 1);
                    v.splice(at..at, other[i..j].iter().copied());
                }
            }
            4 => {
                // Bytes typical of TCVN3/VNI text and of broken UTF-8.
                let bytes = [0xA9u8, 0xB5, 0xAE, 0xF5, 0xC3, 0xE2, 0x80, 0xFF, b'\n', b'.'];
                let at = r.below(v.len() + 1);
                v.insert(at, bytes[r.below(bytes.len())]);
            }
            _ => v.extend_from_slice("\n2. Giao Ban CHQS xã hoàn thành trước 30/6/2026.\n".as_bytes()),
        }
    }
    v
}

#[test]
fn fuzz_bodies_replayed_on_a_bounded_corpus() {
    let seeds = seeds();
    for s in &seeds {
        directive_parse(s);
        legacy_encoding(s);
    }
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..1_500 {
        let input = mutate(&mut r, &seeds);
        directive_parse(&input);
        legacy_encoding(&input);
    }
}

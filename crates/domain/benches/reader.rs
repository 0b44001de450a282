//! Directive reader throughput on text documents: `cargo bench -p phongthu-domain --bench reader`.
//! The corpus is the three seeds and the twelve own fixtures (one of them typed in VNI), parsed in
//! turn; divan reports documents per second and bytes per second.

use phongthu_domain::directive::parse;

fn main() {
    divan::main();
}

fn corpus() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/directive/fixtures");
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    for d in [dir.to_string(), format!("{dir}/own")] {
        for e in std::fs::read_dir(&d).expect("fixtures") {
            let p = e.expect("entry").path();
            if p.extension().is_some_and(|x| x == "txt") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("utf-8 fixture"))
        .collect()
}

#[divan::bench(sample_count = 20)]
fn parse_corpus(bencher: divan::Bencher) {
    let docs = corpus();
    let bytes: usize = docs.iter().map(String::len).sum();
    bencher.counter(divan::counter::BytesCount::new(bytes)).bench_local(|| {
        docs.iter()
            .map(|d| parse(divan::black_box(d)).tasks.len())
            .sum::<usize>()
    });
}

#[divan::bench(sample_count = 20)]
fn parse_documents(bencher: divan::Bencher) {
    let docs = corpus();
    bencher
        .counter(divan::counter::ItemsCount::new(docs.len()))
        .bench_local(|| {
            docs.iter()
                .map(|d| parse(divan::black_box(d)).tasks.len())
                .sum::<usize>()
        });
}

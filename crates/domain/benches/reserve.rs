//! Reserve assignment solver benchmarks: `cargo bench -p phongthu-domain --bench reserve`.

use phongthu_domain::reserve::{assign, synthetic_instance};

fn main() {
    divan::main();
}

/// The size required by the brief: 100,000 reservists, 5,000 positions, 200 units.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn assign_100k_5k_200(bencher: divan::Bencher) {
    let inst = synthetic_instance(42, 100_000, 5_000, 200);
    bencher.bench_local(|| assign(divan::black_box(&inst)));
}

#[divan::bench(args = [1_000, 10_000], sample_count = 10)]
fn assign_scaled(bencher: divan::Bencher, reservists: usize) {
    let inst = synthetic_instance(42, reservists, reservists / 20, (reservists / 500).max(1));
    bencher.bench_local(|| assign(divan::black_box(&inst)));
}

/// Contract path including JSON parse and print, 100k reservists.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn contract_json_100k(bencher: divan::Bencher) {
    let json = synthetic_instance(42, 100_000, 5_000, 200).to_contract_json();
    bencher.bench_local(|| phongthu_domain::reserve::assign_contract_json(divan::black_box(&json)));
}

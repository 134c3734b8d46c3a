//! Erasure coding throughput, both candidate crates side by side, at the chain's common shapes
//! (2 of 3, 4 of 6, 16 of 18) and 3 of 10: encode, and decode with `n - k` data fragments
//! missing (the slow case; with all data fragments present nothing is decoded).
//!
//!   cargo bench -p blocktree-storage --bench codec            (or scripts/bench/storage.sh)
//!
//! Throughput is MiB of original data per second, on one core. `rse_*` is reed-solomon-erasure
//! (simd-accel), `rss_*` reed-solomon-simd, both on pre-cut shards; `coder_encode` is the
//! project's `ErasureCoder::encode`, which also cuts the block into owned fragments.

use std::time::Duration;

use blocktree_primitives::storage::fragment_size;
use blocktree_storage::codec::ErasureCoder;
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use reed_solomon_erasure::galois_8::ReedSolomon;

/// Bytes coded per iteration: 16 MiB (large enough to leave caches, small enough for CI-less
/// runs on 2 cores).
const BLOCK: usize = 16 << 20;

const SHAPES: [(u8, u8); 4] = [(2, 3), (4, 6), (16, 18), (3, 10)];

fn data() -> Vec<u8> {
	(0..BLOCK).map(|i| (i as u8).wrapping_mul(31).wrapping_add((i >> 9) as u8)).collect()
}

fn bench(c: &mut Criterion) {
	let block = data();
	let mut group = c.benchmark_group("erasure");
	group.throughput(Throughput::Bytes(BLOCK as u64)).sample_size(10).measurement_time(Duration::from_secs(4));
	for (k, n) in SHAPES {
		let shape = format!("{k}_of_{n}");
		let fsize = fragment_size(BLOCK as u64, k) as usize;
		let lost = (n - k) as usize;
		let mut padded = block.clone();
		padded.resize(k as usize * fsize, 0);
		let originals: Vec<&[u8]> = padded.chunks(fsize).collect();

		// The codecs alone, like for like: parity from the k data shards, and the data back
		// with the first n - k data shards missing.
		let rs = ReedSolomon::new(k as usize, lost).unwrap();
		let mut parity = vec![vec![0u8; fsize]; lost];
		group.bench_function(BenchmarkId::new("rse_encode", &shape), |b| {
			b.iter(|| rs.encode_sep(&originals, &mut parity).unwrap())
		});
		rs.encode_sep(&originals, &mut parity).unwrap();
		let shards: Vec<Option<Vec<u8>>> = originals
			.iter()
			.map(|o| o.to_vec())
			.chain(parity.iter().cloned())
			.enumerate()
			.map(|(i, s)| (i >= lost).then_some(s))
			.collect();
		group.bench_function(BenchmarkId::new("rse_decode", &shape), |b| {
			b.iter_batched(|| shards.clone(), |mut s| rs.reconstruct_data(&mut s).unwrap(), BatchSize::LargeInput)
		});

		group.bench_function(BenchmarkId::new("rss_encode", &shape), |b| {
			b.iter(|| reed_solomon_simd::encode(k as usize, lost, &originals).unwrap())
		});
		let recovery = reed_solomon_simd::encode(k as usize, lost, &originals).unwrap();
		group.bench_function(BenchmarkId::new("rss_decode", &shape), |b| {
			b.iter(|| {
				let present = originals.iter().enumerate().skip(lost).map(|(i, o)| (i, *o));
				let parity = recovery.iter().enumerate().map(|(i, r)| (i, r.as_slice()));
				reed_solomon_simd::decode(k as usize, lost, present, parity).unwrap()
			})
		});

		// The project's coder end to end: cutting the block into owned fragments included.
		let coder = ErasureCoder::new(k, n).unwrap();
		group.bench_function(BenchmarkId::new("coder_encode", &shape), |b| b.iter(|| coder.encode(&block, fsize).unwrap()));
	}
	group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Block encryption and decryption throughput (MB/s), whole blocks and single-sector reads.
//!
//!   cargo bench -p blocktree-primitives --bench block_crypto

use std::time::Duration;

use blocktree_primitives::{
	block::DEFAULT_SECTOR_SIZE,
	cap::{KnownPrincipals, WriteCapChain},
	crypto::{block_key_for, open_block, read_sector, seal_block, KeyScheme, PrincipalKeys, WriteRequest},
	path::BlockPath,
};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const NOW: u64 = 1_800_000_000_000;

fn bench(c: &mut Criterion) {
	let writer = PrincipalKeys::from_seed(KeyScheme::Sr25519, [1; 32]);
	let path = BlockPath::root_of(&writer.id()).join("bench.bin").unwrap();
	let chain = sp_core::H256([0xc4; 32]);
	let ctx = KnownPrincipals::at(NOW).on_chain(chain).with(writer.principal());
	let mut group = c.benchmark_group("block");
	group.measurement_time(Duration::from_secs(4)).sample_size(10);

	for size in [64 * 1024usize, 1 << 20, 16 << 20] {
		let plaintext = vec![0x5au8; size];
		let request = || WriteRequest {
			path: &path,
			version: 1,
			write_caps: WriteCapChain::default(),
			readers: &[],
			sector_size: DEFAULT_SECTOR_SIZE,
		};
		group.throughput(Throughput::Bytes(size as u64));
		group.bench_with_input(BenchmarkId::new("seal", size), &plaintext, |b, p| {
			b.iter(|| seal_block(&writer, request(), p, &ctx).unwrap())
		});
		let (block, _) = seal_block(&writer, request(), &plaintext, &ctx).unwrap();
		group.bench_with_input(BenchmarkId::new("open", size), &block, |b, blk| {
			b.iter(|| open_block(blk, &writer, &ctx).unwrap())
		});
	}

	// One sector of a 16 MiB block: the cost of a random read.
	let plaintext = vec![0x5au8; 16 << 20];
	let request = WriteRequest {
		path: &path,
		version: 1,
		write_caps: WriteCapChain::default(),
		readers: &[],
		sector_size: DEFAULT_SECTOR_SIZE,
	};
	let (block, _) = seal_block(&writer, request, &plaintext, &ctx).unwrap();
	let key = block_key_for(&block.header, &writer, &ctx).unwrap();
	let proof = block.sector_proof(100).unwrap();
	group.throughput(Throughput::Bytes(DEFAULT_SECTOR_SIZE as u64));
	group.bench_function("read_one_sector_of_16MiB", |b| {
		b.iter(|| read_sector(&block.header.header, &key, 100, &block.sectors[100], &proof).unwrap())
	});
	group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

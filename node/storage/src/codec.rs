//! Erasure coding of a sealed block into fragments.
//!
//! The block (its stored bytes, already encrypted) is padded with zeros to `k * fragment_size`
//! and cut into `k` **data fragments**; `n - k` **parity fragments** are computed from them.
//! The code is systematic: the data fragments *are* the block, so a reader that has all `k` of
//! them concatenates and never decodes; any `k` of the `n` fragments rebuild it otherwise.
//! `k`, `n` and the fragment size come from the chain's redundancy rule
//! (`FragmentsApi_erasure_params`, [`blocktree_primitives::storage::fragment_size`]).
//!
//! The code is identified by [`CODEC_RS_GF8`], so that the format can change later.

use core::fmt;

use reed_solomon_erasure::galois_8::ReedSolomon;

/// Codec id of systematic Reed-Solomon over GF(2^8) with the Vandermonde-derived matrix of
/// `reed-solomon-erasure` 6 (at most 256 fragments).
pub const CODEC_RS_GF8: u8 = 1;

/// Why coding failed; each says what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodecError {
	/// `k` must be at least 1 and below `n`, and `n` at most 256.
	BadShape { k: u8, n: u8 },
	/// Fragments must be at least 1 byte and of even size (the chain's rule).
	BadFragmentSize(usize),
	/// The block does not fit in `k` fragments of this size.
	BlockTooLarge { len: usize, capacity: usize },
	/// `n` fragment slots are expected (present or not).
	WrongFragmentCount { expected: usize, found: usize },
	/// A fragment is not `fragment_size` bytes long.
	WrongFragmentSize { index: usize, expected: usize, found: usize },
	/// Fewer than `k` fragments are available: fetch more.
	TooFewFragments { have: usize, need: usize },
	/// The block length asked for exceeds what the fragments hold.
	BadBlockLength { len: usize, capacity: usize },
}

impl fmt::Display for CodecError {
	fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
		match self {
			CodecError::BadShape { k, n } =>
				write!(f, "erasure shape {k} of {n} is invalid: need 1 <= k < n <= 256"),
			CodecError::BadFragmentSize(s) =>
				write!(f, "fragment size {s} is invalid: it must be even and above zero"),
			CodecError::BlockTooLarge { len, capacity } =>
				write!(f, "a block of {len} bytes does not fit in fragments holding {capacity}: ask the chain for the erasure parameters of this size"),
			CodecError::WrongFragmentCount { expected, found } =>
				write!(f, "{found} fragment slots given, {expected} expected (one per fragment index, missing ones empty)"),
			CodecError::WrongFragmentSize { index, expected, found } =>
				write!(f, "fragment {index} has {found} bytes, {expected} expected: it is corrupt or of another block"),
			CodecError::TooFewFragments { have, need } =>
				write!(f, "only {have} fragments available, {need} needed to rebuild the block: fetch more"),
			CodecError::BadBlockLength { len, capacity } =>
				write!(f, "block length {len} exceeds the {capacity} bytes the fragments hold"),
		}
	}
}

impl std::error::Error for CodecError {}

/// Encodes blocks into `n` fragments of which any `k` decode, for one shape.
pub struct ErasureCoder {
	k: usize,
	n: usize,
	rs: ReedSolomon,
}

impl ErasureCoder {
	/// A coder for `k` data fragments out of `n`.
	pub fn new(k: u8, n: u8) -> Result<Self, CodecError> {
		let (kk, nn) = (k as usize, n as usize);
		if kk == 0 || kk >= nn {
			return Err(CodecError::BadShape { k, n })
		}
		let rs = ReedSolomon::new(kk, nn - kk).map_err(|_| CodecError::BadShape { k, n })?;
		Ok(ErasureCoder { k: kk, n: nn, rs })
	}

	/// Data fragments `k`.
	pub fn data_fragments(&self) -> usize {
		self.k
	}

	/// All fragments `n`.
	pub fn total_fragments(&self) -> usize {
		self.n
	}

	/// Cuts `block` into `k` data fragments of `fragment_size` bytes (zero-padded) and computes
	/// the `n - k` parity fragments. Returns all `n`, data first.
	pub fn encode(&self, block: &[u8], fragment_size: usize) -> Result<Vec<Vec<u8>>, CodecError> {
		if fragment_size == 0 || fragment_size % 2 != 0 {
			return Err(CodecError::BadFragmentSize(fragment_size))
		}
		let capacity = self.k.saturating_mul(fragment_size);
		if block.len() > capacity {
			return Err(CodecError::BlockTooLarge { len: block.len(), capacity })
		}
		let mut fragments: Vec<Vec<u8>> = (0..self.n)
			.map(|i| {
				let start = (i * fragment_size).min(block.len());
				let end = ((i + 1) * fragment_size).min(block.len());
				let mut f = Vec::with_capacity(fragment_size);
				if i < self.k {
					f.extend_from_slice(&block[start..end]);
				}
				f.resize(fragment_size, 0);
				f
			})
			.collect();
		self.rs.encode(&mut fragments).expect("n shards of equal, non-zero size; qed");
		Ok(fragments)
	}

	/// Rebuilds the first `block_len` bytes of a block from its fragment slots (`n` of them,
	/// `None` where a fragment is missing). With every data fragment present nothing is
	/// decoded; otherwise any `k` present fragments rebuild the missing data fragments. The
	/// caller verifies each fragment against its root on chain first: a corrupt fragment
	/// decodes to a wrong block.
	pub fn decode(&self, mut fragments: Vec<Option<Vec<u8>>>, block_len: usize) -> Result<Vec<u8>, CodecError> {
		if fragments.len() != self.n {
			return Err(CodecError::WrongFragmentCount { expected: self.n, found: fragments.len() })
		}
		let have = fragments.iter().filter(|f| f.is_some()).count();
		if have < self.k {
			return Err(CodecError::TooFewFragments { have, need: self.k })
		}
		let size = fragments.iter().flatten().next().map(Vec::len).unwrap_or(0);
		for (index, f) in fragments.iter().enumerate() {
			if let Some(f) = f {
				if f.len() != size || size == 0 {
					return Err(CodecError::WrongFragmentSize { index, expected: size, found: f.len() })
				}
			}
		}
		let capacity = self.k * size;
		if block_len > capacity {
			return Err(CodecError::BadBlockLength { len: block_len, capacity })
		}
		if fragments[..self.k].iter().any(Option::is_none) {
			self.rs
				.reconstruct_data(&mut fragments)
				.map_err(|_| CodecError::TooFewFragments { have, need: self.k })?;
		}
		let mut block = Vec::with_capacity(block_len);
		for f in fragments.into_iter().take(self.k).flatten() {
			let take = (block_len - block.len()).min(f.len());
			block.extend_from_slice(&f[..take]);
			if block.len() == block_len {
				break
			}
		}
		Ok(block)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use blocktree_primitives::storage::{fragment_root, fragment_size};

	fn block(len: usize) -> Vec<u8> {
		(0..len).map(|i| (i as u8).wrapping_mul(151).wrapping_add(7)).collect()
	}

	/// Every subset of `0..n` of size `k`.
	fn subsets(n: usize, k: usize) -> Vec<Vec<usize>> {
		(0u32..(1 << n)).filter(|m| m.count_ones() as usize == k).map(|m| (0..n).filter(|i| m & (1 << i) != 0).collect()).collect()
	}

	#[test]
	fn every_k_subset_of_the_fragments_rebuilds_the_block() {
		for (k, n, len) in [(2u8, 3u8, 1000usize), (3, 5, 3001), (4, 6, 4096), (2, 6, 7)] {
			let coder = ErasureCoder::new(k, n).unwrap();
			let data = block(len);
			let fsize = fragment_size(len as u64, k) as usize;
			let fragments = coder.encode(&data, fsize).unwrap();
			assert_eq!(fragments.len(), n as usize);
			for keep in subsets(n as usize, k as usize) {
				let slots = (0..n as usize).map(|i| keep.contains(&i).then(|| fragments[i].clone())).collect();
				assert_eq!(coder.decode(slots, len).unwrap(), data, "{k} of {n}, kept {keep:?}");
			}
		}
	}

	#[test]
	fn the_code_is_systematic_data_fragments_are_the_block() {
		let coder = ErasureCoder::new(4, 6).unwrap();
		let data = block(10_000);
		let fragments = coder.encode(&data, 2500).unwrap();
		assert_eq!(fragments[..4].concat(), data);
	}

	#[test]
	fn too_few_fragments_is_an_error_that_says_fetch_more() {
		let coder = ErasureCoder::new(3, 5).unwrap();
		let fragments = coder.encode(&block(3000), 1000).unwrap();
		let slots = vec![Some(fragments[0].clone()), None, None, Some(fragments[4].clone()), None];
		let err = coder.decode(slots, 3000).unwrap_err();
		assert_eq!(err, CodecError::TooFewFragments { have: 2, need: 3 });
		assert!(err.to_string().contains("fetch more"));
	}

	#[test]
	fn malformed_inputs_are_refused_without_panicking() {
		assert_eq!(ErasureCoder::new(0, 3).err(), Some(CodecError::BadShape { k: 0, n: 3 }));
		assert_eq!(ErasureCoder::new(3, 3).err(), Some(CodecError::BadShape { k: 3, n: 3 }));
		let coder = ErasureCoder::new(2, 3).unwrap();
		assert_eq!(coder.encode(&block(10), 3).unwrap_err(), CodecError::BadFragmentSize(3));
		assert_eq!(coder.encode(&block(10), 0).unwrap_err(), CodecError::BadFragmentSize(0));
		assert_eq!(coder.encode(&block(11), 4).unwrap_err(), CodecError::BlockTooLarge { len: 11, capacity: 8 });
		let fragments = coder.encode(&block(8), 4).unwrap();
		assert_eq!(
			coder.decode(vec![Some(fragments[0].clone()), None], 8).unwrap_err(),
			CodecError::WrongFragmentCount { expected: 3, found: 2 }
		);
		let short = vec![Some(fragments[0].clone()), Some(vec![1, 2]), None];
		assert_eq!(coder.decode(short, 8).unwrap_err(), CodecError::WrongFragmentSize { index: 1, expected: 4, found: 2 });
		let all: Vec<_> = fragments.iter().cloned().map(Some).collect();
		assert_eq!(coder.decode(all, 9).unwrap_err(), CodecError::BadBlockLength { len: 9, capacity: 8 });
	}

	#[test]
	fn fragment_roots_are_what_the_chain_records() {
		// The roots a client records with `record_block` are computed over these fragments;
		// a rebuilt fragment has the same root as the original.
		let coder = ErasureCoder::new(2, 4).unwrap();
		let data = block(5000);
		let fragments = coder.encode(&data, 2500).unwrap();
		let roots: Vec<_> = fragments.iter().map(|f| fragment_root(f)).collect();
		let rebuilt = coder.decode(vec![None, None, Some(fragments[2].clone()), Some(fragments[3].clone())], 5000).unwrap();
		let again = coder.encode(&rebuilt, 2500).unwrap();
		assert_eq!(again.iter().map(|f| fragment_root(f)).collect::<Vec<_>>(), roots);
	}
}

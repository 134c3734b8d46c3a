//! Merkle proofs over sectors: every leaf of every tree size proves, nothing else does.

use blocktree_primitives::merkle::{empty_root, leaf_hash, prove, root, verify};
use proptest::prelude::*;

fn leaves(n: usize) -> Vec<sp_core::H256> {
	(0..n).map(|i| leaf_hash(&(i as u64).to_le_bytes())).collect()
}

#[test]
fn every_leaf_of_every_small_tree_proves_against_the_root() {
	for n in 1..=33 {
		let l = leaves(n);
		let r = root(&l);
		for i in 0..n {
			let proof = prove(&l, i).expect("leaf exists");
			assert!(verify(&r, &l[i], &proof), "n={n} i={i}");
			for j in (0..n).filter(|&j| j != i) {
				assert!(!verify(&r, &l[j], &proof), "leaf {j} passes for {i} (n={n})");
			}
		}
		assert!(prove(&l, n).is_none());
	}
	assert_eq!(root(&[]), empty_root());
}

#[test]
fn proofs_are_bound_to_the_tree_size() {
	let l = leaves(6);
	let r = root(&l);
	let mut proof = prove(&l, 5).unwrap();
	proof.leaf_count = 7;
	assert!(!verify(&r, &l[5], &proof));
	proof.leaf_count = 5;
	assert!(!verify(&r, &l[5], &proof));
}

#[test]
fn an_inner_node_cannot_pass_for_a_leaf() {
	let l = leaves(4);
	let r = root(&l);
	// The hash of leaves 0 and 1 is an inner node; as a "leaf" of a 2-leaf view it must fail.
	let inner_as_leaf = prove(&l[..2], 0).unwrap();
	assert!(!verify(&r, &l[0], &inner_as_leaf));
}

proptest! {
	#[test]
	fn random_trees_prove_and_reject(n in 1usize..200, pick in any::<prop::sample::Index>(), flip in any::<u8>()) {
		let l = leaves(n);
		let r = root(&l);
		let i = pick.index(n);
		let proof = prove(&l, i).unwrap();
		prop_assert!(verify(&r, &l[i], &proof));
		let mut bad = l[i];
		bad.0[(flip % 32) as usize] ^= 1 | flip;
		prop_assert!(!verify(&r, &bad, &proof));
	}
}

#[test]
fn a_kept_tree_has_the_root_and_proofs_of_the_leaves() {
	use blocktree_primitives::merkle::MerkleTree;
	assert!(MerkleTree::new(Vec::new()).is_none());
	for n in [1usize, 2, 3, 7, 8, 9, 100] {
		let l = leaves(n);
		let tree = MerkleTree::new(l.clone()).expect("leaves");
		assert_eq!(tree.root(), root(&l), "n={n}");
		assert_eq!(tree.leaves(), &l[..]);
		for i in 0..n {
			assert!(verify(&root(&l), &l[i], &tree.prove(i).unwrap()), "n={n} i={i}");
		}
		assert!(tree.prove(n).is_none());
	}
}

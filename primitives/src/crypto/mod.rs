//! Client-side cryptography (feature `client`, std only): principal key pairs, sector
//! encryption, read-cap key wrapping, sealing and opening blocks, and the block key cache.
//!
//! Algorithms:
//! - sectors: XChaCha20-Poly1305, key = the block key, nonce = 16-byte random prefix per
//!   version || sector index (u64 LE), associated data = path hash || version || index;
//! - read caps: X25519 (ephemeral-static) + HKDF-SHA256 + XChaCha20-Poly1305;
//! - signatures: sr25519 or ed25519 from sp-core;
//! - integrity: blake2-256 merkle tree over ciphertext sectors, root signed in the header;
//! - key files and backups: Argon2id (64 MiB / 256 MiB) + XChaCha20-Poly1305 over the seed.

mod block_ops;
mod cache;
mod error;
mod keyfile;
mod keys;
mod read_cap;
mod sector;

pub use block_ops::{block_key_for, open_block, read_sector, seal_block, SealedBlock, WriteRequest};
pub use cache::BlockKeyCache;
pub use error::BlockError;
pub use keyfile::{open_key_file, seal_key_file, KdfParams, KeyFileError};
pub use keys::{KeyScheme, PrincipalKeys};
pub use read_cap::{unwrap_block_key, wrap_block_key};
pub use sector::{decrypt_sector, encrypt_sector, BlockKey};

//! Signatures per second for `cargo xtask bench share`: signing 100-photo pages of URLs
//! for ever new objects (every URL a fresh RSA signature) and for the same objects again
//! (answered from the cache, as a family reloading an album is).

use std::net::IpAddr;
use std::time::{Duration, Instant};

use picup_server::cdn::{CdnSigner, generate_rsa_pem};

fn main() {
    let (private, _) = generate_rsa_pem().expect("OpenSSL makes a key");
    let signer = CdnSigner::from_pem(
        private.as_bytes(),
        "KBENCH",
        "http://127.0.0.1:8080",
        Duration::from_secs(3600),
    )
    .expect("the key loads");
    let viewer: IpAddr = "203.0.113.7".parse().expect("an address");
    let now = 1_750_000_000;
    let fresh = 3_000;
    let started = Instant::now();
    for n in 0..fresh {
        std::hint::black_box(signer.sign(&format!("{n:032x}/thumbnail"), viewer, now));
    }
    let uncached = fresh as f64 / started.elapsed().as_secs_f64();
    let repeats = 300_000;
    let started = Instant::now();
    for n in 0..repeats {
        std::hint::black_box(signer.sign(&format!("{:032x}/thumbnail", n % 100), viewer, now));
    }
    let cached = repeats as f64 / started.elapsed().as_secs_f64();
    println!("{uncached:.0} {cached:.0}");
}

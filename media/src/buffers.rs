//! Picture buffers kept by each thread between photos.
//!
//! One 12-megapixel photo passes through three or four buffers of 8–9 MB (the scaled
//! decode, the preview, the preview turned upright). Allocations that size are mapped
//! fresh from the kernel and handed back on free, so every photo paid again for
//! zero-filled pages: page faults took about a fifth of the import's CPU in `perf`.
//! Keeping a few large buffers per thread and handing them out again removes that cost
//! without a different allocator (mimalloc did the same job but raised the import's
//! peak memory by 30–60 MB).
//!
//! The pool is per thread so that workers never wait on each other, and it is small:
//! a thread keeps at most [`KEPT`] buffers, which is what one photo's pipeline has
//! alive at once, so memory stays what the busiest moment of one photo needs. Buffers
//! go when the thread ends (import workers live for one import).

use std::cell::RefCell;

/// Buffers smaller than this are left to the allocator, which keeps them cheaply.
const WORTH_KEEPING: usize = 256 * 1024;
/// How many buffers a thread keeps: the decode, the preview and its upright copy.
const KEPT: usize = 3;

thread_local! {
    static SPARE: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// An empty buffer that can hold `capacity` bytes without growing: the smallest spare
/// one that is large enough, or a new one.
pub fn empty(capacity: usize) -> Vec<u8> {
    let reused = SPARE.with_borrow_mut(|spare| {
        let best = spare
            .iter()
            .enumerate()
            .filter(|(_, buffer)| buffer.capacity() >= capacity)
            .min_by_key(|(_, buffer)| buffer.capacity())
            .map(|(at, _)| at)?;
        Some(spare.swap_remove(best))
    });
    match reused {
        Some(mut buffer) => {
            buffer.clear();
            buffer
        }
        None => Vec::with_capacity(capacity),
    }
}

/// A buffer of `len` zero bytes, for a decoder or resizer that writes into a slice.
pub fn zeroed(len: usize) -> Vec<u8> {
    let mut buffer = empty(len);
    buffer.resize(len, 0);
    buffer
}

/// Gives a buffer back for the next photo on this thread. When the thread already
/// keeps [`KEPT`] buffers, the smallest of them all is let go.
pub fn recycle(buffer: Vec<u8>) {
    if buffer.capacity() < WORTH_KEEPING {
        return;
    }
    SPARE.with_borrow_mut(|spare| {
        spare.push(buffer);
        if spare.len() > KEPT {
            let smallest = spare
                .iter()
                .enumerate()
                .min_by_key(|(_, buffer)| buffer.capacity())
                .map(|(at, _)| at)
                .unwrap_or(0);
            spare.swap_remove(smallest);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const BIG: usize = 4 * 1024 * 1024;

    #[test]
    fn a_recycled_buffer_is_handed_out_again_and_zeroed() {
        let mut first = zeroed(BIG);
        first.fill(7);
        let address = first.as_ptr();
        recycle(first);
        let again = zeroed(BIG - 10);
        assert_eq!(again.as_ptr(), address, "the same memory is reused");
        assert_eq!(again.len(), BIG - 10);
        assert!(again.iter().all(|&b| b == 0), "reused memory is zeroed");
    }

    #[test]
    fn the_smallest_buffer_large_enough_is_chosen() {
        let small = Vec::<u8>::with_capacity(BIG);
        let large = Vec::<u8>::with_capacity(BIG * 2);
        let (small_at, large_at) = (small.as_ptr(), large.as_ptr());
        recycle(large);
        recycle(small);
        let for_half = empty(BIG / 2);
        let for_more = empty(BIG + 1);
        assert_eq!(for_half.as_ptr(), small_at);
        assert_eq!(for_more.as_ptr(), large_at);
    }

    #[test]
    fn a_thread_keeps_only_a_few_buffers_and_no_small_ones() {
        for n in 1..=KEPT + 2 {
            recycle(Vec::with_capacity(BIG * n));
        }
        recycle(Vec::with_capacity(WORTH_KEEPING - 1));
        let kept: Vec<usize> = SPARE.with_borrow(|spare| {
            let mut sizes: Vec<usize> = spare.iter().map(Vec::capacity).collect();
            sizes.sort_unstable();
            sizes
        });
        assert_eq!(kept.len(), KEPT);
        assert!(kept[0] >= BIG * 3, "the largest buffers are kept: {kept:?}");
    }
}

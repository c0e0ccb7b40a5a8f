//! The engine's decisions, with no threads, network, disk or clock of their own: every
//! function is handed the time (and the jitter) it needs. The coordinator feeds them what
//! happened and does what they say; the tests below walk them through tables of events
//! in milliseconds of made-up time.
//!
//! - [`Breaker`]: stop sending while the server or the store is down, probe again later.
//! - [`retry_after`]: an item's own failures, with exponential backoff and jitter.
//! - [`QuotaPause`]: the pause while the family's space is full, re-checked now and then.
//! - [`gate`]: how many items may go now, or how long to wait.
//! - [`Speed`] and [`status`]: what the page shows.
//!
//! This file is long because most of it is the tables that test it (the policy itself is
//! about 330 lines), kept beside the code they pin down.

use std::time::{Duration, Instant};

use super::{SyncOptions, SyncState, SyncStatus};
use crate::index::SyncCounts;

/// A factor of 0.75 to 1.25 on a pause, so many clients do not come back at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Jitter(f64);

impl Jitter {
    /// No jitter: the pause as computed.
    #[cfg(test)]
    pub const NONE: Jitter = Jitter(1.0);

    /// From 16 random bits: 0 is a quarter less, `u16::MAX` a quarter more.
    pub fn from_bits(bits: u16) -> Jitter {
        Jitter(0.75 + (bits as f64 / u16::MAX as f64) * 0.5)
    }

    fn apply(self, pause: Duration) -> Duration {
        pause.mul_f64(self.0)
    }
}

/// Stops sending after repeated failures and probes again after a growing pause.
#[derive(Debug, Default)]
pub struct Breaker {
    consecutive_failures: u32,
    open_until: Option<Instant>,
    pause: Duration,
    probing: bool,
}

impl Breaker {
    const TRIPS_AFTER: u32 = 3;

    /// Until when nothing is sent, while the breaker is open.
    pub fn open_until(&self) -> Option<Instant> {
        self.open_until
    }

    /// How many of `free` items may be sent now: all, one (a probe), or none. Asking
    /// when the pause is over takes the probe.
    pub fn allowance(&mut self, now: Instant, free: usize) -> usize {
        match self.open_until {
            None => free,
            // With every sender busy the probe waits, rather than being taken unsent.
            Some(until) if now >= until && !self.probing && free > 0 => {
                self.probing = true;
                1
            }
            Some(_) => 0,
        }
    }

    pub fn success(&mut self) {
        *self = Breaker::default();
    }

    /// Returns true when this failure says something about the item rather than the
    /// server: others were getting through when it failed.
    pub fn failure(&mut self, now: Instant, options: &SyncOptions, jitter: Jitter) -> bool {
        let others_were_fine = self.consecutive_failures == 0 && self.open_until.is_none();
        self.consecutive_failures += 1;
        if self.probing || self.consecutive_failures >= Self::TRIPS_AFTER {
            self.pause = if self.pause.is_zero() {
                options.breaker_base
            } else {
                (self.pause * 2).min(options.breaker_max)
            };
            self.open_until = Some(now + jitter.apply(self.pause));
            self.probing = false;
        }
        others_were_fine
    }
}

/// What becomes of an item after a failure of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Out of attempts: it waits for the parent to ask again.
    GiveUp,
    /// Try again after this pause.
    After(Duration),
}

/// The longest pause between two attempts of one item.
const LONGEST_RETRY: Duration = Duration::from_secs(600);

/// After `attempts` spent: give up, or wait `retry_base` doubled for each attempt
/// after the first, at most ten minutes, with `jitter`.
pub fn retry_after(attempts: i64, options: &SyncOptions, jitter: Jitter) -> Retry {
    if attempts >= options.max_attempts {
        return Retry::GiveUp;
    }
    let exponent = (attempts.max(1) - 1).min(16) as u32;
    let pause = options
        .retry_base
        .saturating_mul(1 << exponent)
        .min(LONGEST_RETRY);
    Retry::After(jitter.apply(pause))
}

/// The pause while the family's space is full: one item at a time tries again every
/// `quota_probe`, or at once when the parent asks.
#[derive(Debug, Default)]
pub struct QuotaPause {
    /// Set while the space is full: when the next item may try.
    next_probe: Option<Instant>,
}

impl QuotaPause {
    pub fn is_full(&self) -> bool {
        self.next_probe.is_some()
    }

    /// The server said the space is full.
    pub fn full(&mut self, now: Instant, options: &SyncOptions) {
        self.next_probe = Some(now + options.quota_probe);
    }

    /// An item was stored. Returns true when the space had been full, so everything
    /// waiting may go now.
    pub fn freed(&mut self) -> bool {
        self.next_probe.take().is_some()
    }

    /// The parent asked to look again: while full, the next item tries at once.
    pub fn wake(&mut self, now: Instant) {
        if self.next_probe.is_some() {
            self.next_probe = Some(now);
        }
    }
}

/// What the coordinator does on one look at the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Hand out up to this many due items.
    Send(usize),
    /// Nothing may go: look again after this long, or when something happens.
    Wait(Duration),
}

/// How long an engine with nothing to do waits before looking again.
pub const IDLE_WAIT: Duration = Duration::from_secs(2);
/// Looking again sooner than this only spins.
const SHORTEST_WAIT: Duration = Duration::from_millis(50);

/// The engine's state as [`gate`] sees it.
#[derive(Debug)]
pub struct Pacing<'a> {
    pub signed_out: bool,
    pub breaker: &'a mut Breaker,
    pub quota: &'a mut QuotaPause,
    /// Items being sent now.
    pub busy: usize,
}

/// How many items may be handed out at `now`. Taking the breaker's probe or the
/// quota's re-check counts as using it.
pub fn gate(now: Instant, pacing: Pacing<'_>, options: &SyncOptions) -> Gate {
    if pacing.signed_out {
        // Only signing in again helps; "Try again" wakes the engine anyway.
        return Gate::Wait(Duration::from_secs(3600));
    }
    let free = options.concurrency.saturating_sub(pacing.busy);
    if let Some(next_probe) = pacing.quota.next_probe {
        if now < next_probe || pacing.busy > 0 {
            return Gate::Wait(
                next_probe
                    .saturating_duration_since(now)
                    .clamp(SHORTEST_WAIT, IDLE_WAIT),
            );
        }
        // The quota is looked at before the breaker's probe is taken, so a probe is
        // never spent on a look that sends nothing.
        if pacing.breaker.allowance(now, free.min(1)) == 0 {
            return breaker_wait(now, pacing.breaker);
        }
        // One item tries whether there is room again.
        pacing.quota.next_probe = Some(now + options.quota_probe);
        return Gate::Send(1);
    }
    match pacing.breaker.allowance(now, free) {
        0 => breaker_wait(now, pacing.breaker),
        allowed => Gate::Send(allowed),
    }
}

fn breaker_wait(now: Instant, breaker: &Breaker) -> Gate {
    match breaker.open_until {
        Some(until) => Gate::Wait(until.saturating_duration_since(now).max(SHORTEST_WAIT)),
        // All senders are busy; their reports wake the coordinator.
        None => Gate::Wait(IDLE_WAIT),
    }
}

/// How long to wait for the next retry that is due at `next_due` (Unix ms), if any.
pub fn wait_for_due(next_due: Option<i64>, now_ms: i64) -> Duration {
    match next_due {
        Some(at) => Duration::from_millis((at - now_ms).clamp(50, 2000) as u64),
        None => IDLE_WAIT,
    }
}

/// Bytes per second, smoothed over a few seconds.
#[derive(Debug, Default)]
pub struct Speed {
    last: Option<(Instant, u64)>,
    rate: f64,
}

impl Speed {
    /// The rate after `total` bytes were sent by `now`. Samples closer than half a
    /// second to the last one are too noisy to count.
    pub fn sample(&mut self, now: Instant, total: u64) -> f64 {
        match self.last {
            Some((at, bytes)) if now.duration_since(at) >= Duration::from_millis(500) => {
                let instant = (total - bytes) as f64 / now.duration_since(at).as_secs_f64();
                self.rate = if self.rate == 0.0 {
                    instant
                } else {
                    0.7 * self.rate + 0.3 * instant
                };
                self.last = Some((now, total));
            }
            Some(_) => {}
            None => self.last = Some((now, total)),
        }
        self.rate
    }
}

/// Everything [`status`] needs to know.
#[derive(Debug, Clone, Default)]
pub struct StatusInputs {
    pub signed_out: bool,
    pub full: bool,
    pub breaker_open_until: Option<Instant>,
    pub counts: SyncCounts,
    pub bytes_per_second: f64,
    /// Used and total bytes, as the server last said.
    pub quota: Option<(i64, i64)>,
}

/// The page's status at `now`: the most pressing state first (signed out, full,
/// offline), then how far the queue is.
pub fn status(now: Instant, inputs: StatusInputs) -> SyncStatus {
    let StatusInputs {
        signed_out,
        full,
        breaker_open_until,
        counts,
        bytes_per_second: rate,
        quota,
    } = inputs;
    let (state, message) = if signed_out {
        (
            SyncState::SignedOut,
            "Your sign-in to the family cloud has ended. Please sign in again in Settings."
                .to_owned(),
        )
    } else if full {
        (
            SyncState::Full,
            "The family cloud is full. New photos stay safe on this computer and will \
             be copied when there is space again."
                .to_owned(),
        )
    } else if let Some(until) = breaker_open_until {
        let seconds = until.saturating_duration_since(now).as_secs().max(1);
        (
            SyncState::Offline,
            format!(
                "Cannot reach the family cloud right now. Your photos are safe on this \
                 computer; trying again in {seconds} s."
            ),
        )
    } else if counts.waiting > 0 {
        (
            SyncState::Sending,
            format!(
                "Copying to the family cloud: {} of {} done.",
                counts.done, counts.total
            ),
        )
    } else if counts.failed > 0 {
        (
            SyncState::Idle,
            format!(
                "{} of {} are in the family cloud; {} could not be copied. Press \
                 \u{201c}Try again\u{201d}; if this keeps happening, use \u{201c}Save a \
                 report\u{201d} in Settings.",
                counts.done, counts.total, counts.failed
            ),
        )
    } else {
        (
            SyncState::Idle,
            "Everything is in the family cloud.".to_owned(),
        )
    };
    let sending = state == SyncState::Sending;
    // Below 1 KiB/s the estimate would jump about more than it helps.
    let seconds_left = (sending && rate > 1024.0).then(|| counts.waiting_bytes as f64 / rate);
    SyncStatus {
        state,
        message,
        counts,
        bytes_per_second: if sending { rate } else { 0.0 },
        seconds_left,
        used_bytes: quota.map(|q| q.0),
        quota_bytes: quota.map(|q| q.1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Made-up time: `at(ms)` is `ms` milliseconds after a fixed start.
    struct Time(Instant);

    impl Time {
        fn new() -> Time {
            Time(Instant::now())
        }
        fn at(&self, ms: u64) -> Instant {
            self.0 + Duration::from_millis(ms)
        }
        fn ms(&self, instant: Instant) -> u64 {
            instant.duration_since(self.0).as_millis() as u64
        }
    }

    fn options() -> SyncOptions {
        SyncOptions {
            concurrency: 4,
            max_attempts: 5,
            retry_base: Duration::from_secs(2),
            breaker_base: Duration::from_secs(2),
            breaker_max: Duration::from_secs(8),
            quota_probe: Duration::from_secs(30),
            ..SyncOptions::default()
        }
    }

    #[derive(Debug, Clone, Copy)]
    enum Event {
        /// A network failure at this ms; the expected answer to "was it the item's own?".
        Fail(u64, bool),
        Succeed,
        /// Ask for an allowance of 4 at this ms; the expected answer.
        Ask(u64, usize),
        /// Ask with every sender busy: nothing, and no probe taken.
        AskAllBusy(u64),
        /// The breaker is open until this ms (None: closed).
        OpenUntil(Option<u64>),
    }
    use Event::*;

    #[test]
    fn the_breaker_follows_its_table() {
        let options = options();
        let cases: &[(&str, &[Event])] = &[
            ("closed, everything goes", &[Ask(0, 4), OpenUntil(None)]),
            (
                "the first failure while others were fine is the item's own",
                &[Fail(0, true), Ask(0, 4), Fail(10, false), Ask(10, 4)],
            ),
            (
                "three in a row open it for the base pause",
                &[
                    Fail(0, true),
                    Fail(5, false),
                    Fail(10, false),
                    OpenUntil(Some(2010)),
                    Ask(10, 0),
                    Ask(2009, 0),
                ],
            ),
            (
                "after the pause one probe, and only one",
                &[
                    Fail(0, true),
                    Fail(0, false),
                    Fail(0, false),
                    Ask(2000, 1),
                    Ask(2000, 0),
                    Ask(5000, 0),
                ],
            ),
            (
                "a probe waits for a free sender",
                &[
                    Fail(0, true),
                    Fail(0, false),
                    Fail(0, false),
                    AskAllBusy(2000),
                    Ask(2500, 1),
                ],
            ),
            (
                "a failed probe doubles the pause",
                &[
                    Fail(0, true),
                    Fail(0, false),
                    Fail(0, false),
                    Ask(2000, 1),
                    Fail(2100, false),
                    OpenUntil(Some(6100)),
                    Ask(6099, 0),
                    Ask(6100, 1),
                    Fail(6100, false),
                    OpenUntil(Some(14100)),
                ],
            ),
            (
                "the pause never grows beyond the maximum",
                &[
                    Fail(0, true),
                    Fail(0, false),
                    Fail(0, false),
                    Ask(2000, 1),
                    Fail(2000, false),
                    Ask(6000, 1),
                    Fail(6000, false),
                    Ask(14000, 1),
                    Fail(14000, false),
                    OpenUntil(Some(22000)),
                ],
            ),
            (
                "a success closes it and forgets the pause",
                &[
                    Fail(0, true),
                    Fail(0, false),
                    Fail(0, false),
                    Ask(2000, 1),
                    Succeed,
                    OpenUntil(None),
                    Ask(2000, 4),
                    Fail(2000, true),
                    Fail(2000, false),
                    Fail(2000, false),
                    OpenUntil(Some(4000)),
                ],
            ),
            (
                "a success in between starts the count again",
                &[
                    Fail(0, true),
                    Fail(0, false),
                    Succeed,
                    Fail(10, true),
                    Fail(10, false),
                    OpenUntil(None),
                    Ask(10, 4),
                ],
            ),
        ];
        for (case, events) in cases {
            let time = Time::new();
            let mut breaker = Breaker::default();
            for (step, event) in events.iter().enumerate() {
                let at = format!("{case}, step {step} ({event:?})");
                match *event {
                    Fail(ms, own) => assert_eq!(
                        breaker.failure(time.at(ms), &options, Jitter::NONE),
                        own,
                        "{at}"
                    ),
                    Succeed => breaker.success(),
                    Ask(ms, allowed) => {
                        assert_eq!(breaker.allowance(time.at(ms), 4), allowed, "{at}")
                    }
                    AskAllBusy(ms) => assert_eq!(breaker.allowance(time.at(ms), 0), 0, "{at}"),
                    OpenUntil(until) => {
                        assert_eq!(breaker.open_until().map(|i| time.ms(i)), until, "{at}")
                    }
                }
            }
        }
    }

    #[test]
    fn the_breakers_pause_varies_by_a_quarter_at_most() {
        let options = options();
        let time = Time::new();
        for (bits, until_ms) in [(0, 1500), (u16::MAX / 2, 2000), (u16::MAX, 2500)] {
            let mut breaker = Breaker::default();
            for _ in 0..3 {
                breaker.failure(time.at(0), &options, Jitter::from_bits(bits));
            }
            let until = time.ms(breaker.open_until().unwrap());
            assert!(until.abs_diff(until_ms) <= 1, "{bits}: {until} ms");
        }
    }

    #[test]
    fn retries_back_off_to_ten_minutes_and_give_up_after_the_last_attempt() {
        let s = Duration::from_secs;
        let options = options();
        let long = SyncOptions {
            max_attempts: 30,
            ..options.clone()
        };
        let cases = [
            // (options, attempts spent, jitter bits, expected)
            (&options, 0, u16::MAX / 2, Retry::After(s(2))),
            (&options, 1, u16::MAX / 2, Retry::After(s(2))),
            (&options, 2, u16::MAX / 2, Retry::After(s(4))),
            (&options, 4, u16::MAX / 2, Retry::After(s(16))),
            (&options, 4, 0, Retry::After(s(12))),
            (&options, 4, u16::MAX, Retry::After(s(20))),
            (&options, 5, u16::MAX / 2, Retry::GiveUp),
            (&options, 9, 0, Retry::GiveUp),
            (&long, 9, u16::MAX / 2, Retry::After(s(512))),
            (&long, 10, u16::MAX / 2, Retry::After(s(600))),
            (&long, 29, u16::MAX, Retry::After(s(750))),
            (&long, 30, 0, Retry::GiveUp),
        ];
        for (options, attempts, bits, expected) in cases {
            let got = retry_after(attempts, options, Jitter::from_bits(bits));
            let close = match (got, expected) {
                (Retry::After(a), Retry::After(b)) => a.abs_diff(b) < Duration::from_millis(20),
                (a, b) => a == b,
            };
            assert!(close, "{attempts} attempts, jitter {bits}: {got:?}");
        }
    }

    /// What happened before the look at the queue.
    #[derive(Debug, Clone, Copy)]
    enum Before {
        Nothing,
        /// The space was full at this ms.
        Full(u64),
        /// Full at the first ms, then the parent asked at the second.
        FullThenWake(u64, u64),
        /// Full at this ms, then an item was stored.
        FullThenStored(u64),
        /// Three network failures at this ms.
        Down(u64),
        /// Full at the first ms; three network failures at the second.
        FullAndDown(u64, u64),
        SignedOut,
    }

    #[test]
    fn the_gate_follows_its_table() {
        let ms = Duration::from_millis;
        let options = options();
        // (what happened, items busy, the look at ms, expected, the next look at ms and
        // its expected answer)
        type Then = Option<(u64, Gate)>;
        let cases: &[(Before, usize, u64, Gate, Then)] = &[
            (Before::Nothing, 0, 0, Gate::Send(4), None),
            (Before::Nothing, 3, 0, Gate::Send(1), None),
            (Before::Nothing, 4, 0, Gate::Wait(IDLE_WAIT), None),
            (
                Before::SignedOut,
                0,
                0,
                Gate::Wait(Duration::from_secs(3600)),
                None,
            ),
            // Full: wait for the re-check (never longer than the idle wait, so a freed
            // space is seen soon after a wake), then one item, then wait again.
            (Before::Full(0), 0, 10, Gate::Wait(IDLE_WAIT), None),
            (Before::Full(0), 0, 29_900, Gate::Wait(ms(100)), None),
            (Before::Full(0), 0, 29_990, Gate::Wait(ms(50)), None),
            (
                Before::Full(0),
                0,
                30_000,
                Gate::Send(1),
                Some((30_001, Gate::Wait(IDLE_WAIT))),
            ),
            (
                Before::Full(0),
                0,
                60_000,
                Gate::Send(1),
                Some((90_000, Gate::Send(1))),
            ),
            // While an item is out, no second one tries the space.
            (Before::Full(0), 1, 30_000, Gate::Wait(ms(50)), None),
            (Before::FullThenWake(0, 500), 0, 500, Gate::Send(1), None),
            (Before::FullThenStored(0), 0, 10, Gate::Send(4), None),
            // Down: wait out the breaker's pause, then one probe.
            (Before::Down(0), 0, 10, Gate::Wait(ms(1990)), None),
            (Before::Down(0), 0, 1990, Gate::Wait(ms(50)), None),
            (
                Before::Down(0),
                0,
                2000,
                Gate::Send(1),
                Some((2001, Gate::Wait(ms(50)))),
            ),
            // Full and down: the probe is not spent while the quota still waits.
            (
                Before::FullAndDown(0, 0),
                0,
                10_000,
                Gate::Wait(IDLE_WAIT),
                Some((30_000, Gate::Send(1))),
            ),
            (
                Before::FullAndDown(0, 29_000),
                0,
                30_000,
                Gate::Wait(ms(1000)),
                None,
            ),
        ];
        for (before, busy, look, expected, then) in cases {
            let time = Time::new();
            let mut breaker = Breaker::default();
            let mut quota = QuotaPause::default();
            let mut signed_out = false;
            let down = |breaker: &mut Breaker, at: u64| {
                for _ in 0..3 {
                    breaker.failure(time.at(at), &options, Jitter::NONE);
                }
            };
            match *before {
                Before::Nothing => {}
                Before::Full(at) => quota.full(time.at(at), &options),
                Before::FullThenWake(at, wake) => {
                    quota.full(time.at(at), &options);
                    quota.wake(time.at(wake));
                }
                Before::FullThenStored(at) => {
                    quota.full(time.at(at), &options);
                    assert!(quota.freed());
                }
                Before::Down(at) => down(&mut breaker, at),
                Before::FullAndDown(full, at) => {
                    quota.full(time.at(full), &options);
                    down(&mut breaker, at);
                }
                Before::SignedOut => signed_out = true,
            }
            let mut look_at = |ms: u64| {
                let pacing = Pacing {
                    signed_out,
                    breaker: &mut breaker,
                    quota: &mut quota,
                    busy: *busy,
                };
                gate(time.at(ms), pacing, &options)
            };
            assert_eq!(
                look_at(*look),
                *expected,
                "{before:?}, {busy} busy, at {look}"
            );
            if let Some((next, expected)) = then {
                assert_eq!(look_at(*next), *expected, "{before:?}, then at {next}");
            }
        }
    }

    #[test]
    fn the_wait_for_a_retry_is_between_fifty_ms_and_two_seconds() {
        for (next_due, now, expected_ms) in [
            (None, 0, 2000),
            (Some(1000), 0, 1000),
            (Some(10), 0, 50),
            (Some(0), 5000, 50),
            (Some(60_000), 0, 2000),
        ] {
            assert_eq!(
                wait_for_due(next_due, now),
                Duration::from_millis(expected_ms),
                "{next_due:?} at {now}"
            );
        }
    }

    #[test]
    fn speed_is_smoothed_over_half_second_samples() {
        // (ms, total bytes sent, expected bytes per second)
        let samples = [
            (0, 0, 0.0),
            (1000, 1_000_000, 1_000_000.0),
            // Too soon after the last sample: the rate stands (counted, it would fall).
            (1200, 1_000_000, 1_000_000.0),
            (2000, 1_000_000, 700_000.0),
            (3000, 2_000_000, 790_000.0),
        ];
        let time = Time::new();
        let mut speed = Speed::default();
        for (ms, total, expected) in samples {
            let rate = speed.sample(time.at(ms), total);
            assert!((rate - expected).abs() < 1.0, "at {ms}: {rate}");
        }
    }

    #[test]
    fn the_status_says_the_most_pressing_thing_first() {
        let time = Time::new();
        let counts = |done, waiting, failed| SyncCounts {
            total: done + waiting + failed,
            done,
            waiting,
            failed,
            waiting_bytes: waiting * 1_000_000,
            ..SyncCounts::default()
        };
        let sending = StatusInputs {
            counts: counts(3, 2, 0),
            bytes_per_second: 500_000.0,
            quota: Some((10, 100)),
            ..StatusInputs::default()
        };
        // (inputs, state, words in the message, seconds left)
        let cases = [
            (
                sending.clone(),
                SyncState::Sending,
                "3 of 5 done",
                Some(4.0),
            ),
            (
                StatusInputs {
                    bytes_per_second: 1000.0,
                    ..sending.clone()
                },
                SyncState::Sending,
                "3 of 5 done",
                None,
            ),
            (
                StatusInputs {
                    breaker_open_until: Some(time.at(4200)),
                    ..sending.clone()
                },
                SyncState::Offline,
                "trying again in 4 s",
                None,
            ),
            (
                StatusInputs {
                    breaker_open_until: Some(time.at(0)),
                    ..sending.clone()
                },
                SyncState::Offline,
                "trying again in 1 s",
                None,
            ),
            (
                StatusInputs {
                    full: true,
                    breaker_open_until: Some(time.at(4200)),
                    ..sending.clone()
                },
                SyncState::Full,
                "stay safe on this computer",
                None,
            ),
            (
                StatusInputs {
                    signed_out: true,
                    full: true,
                    ..sending.clone()
                },
                SyncState::SignedOut,
                "sign in again",
                None,
            ),
            (
                StatusInputs {
                    counts: counts(4, 0, 1),
                    ..sending.clone()
                },
                SyncState::Idle,
                "4 of 5 are in the family cloud; 1 could not be copied",
                None,
            ),
            (
                StatusInputs {
                    counts: counts(5, 0, 0),
                    ..sending.clone()
                },
                SyncState::Idle,
                "Everything is in the family cloud.",
                None,
            ),
        ];
        for (inputs, state, words, seconds_left) in cases {
            let status = status(time.at(0), inputs.clone());
            assert_eq!(status.state, state, "{inputs:?}");
            assert!(status.message.contains(words), "{}", status.message);
            assert_eq!(status.seconds_left, seconds_left, "{inputs:?}");
            let rate = if state == SyncState::Sending {
                inputs.bytes_per_second
            } else {
                0.0
            };
            assert_eq!(status.bytes_per_second, rate, "{inputs:?}");
            assert_eq!(
                (status.used_bytes, status.quota_bytes),
                (Some(10), Some(100))
            );
        }
    }
}

//! Time and memory limits of policy evaluation: whatever a policy does, the run ends, with a
//! `policy/resource-limit` finding naming the document where a limit was reached.
//!
//! - Time: a wall-clock budget per document ([`Limits::document_time`], once, retries included)
//!   and one for all evaluation of the run ([`Limits::run_time`], the time documents spend being
//!   evaluated, summed over the workers: [`RunBudget`]); documents reached after it are not
//!   evaluated but reported. regorus's
//!   interpreter and VM check their execution timer every [`CHECK_INTERVAL`] steps and stop with an
//!   error when it runs out.
//! - Memory: regorus 0.14 has no memory hook (its `allocator-memory-limits` feature needs its own
//!   fork of mimalloc and checks a process-wide total). tollgate's global allocator,
//!   [`Metered`], counts the bytes each thread allocates and frees while it evaluates. An
//!   evaluation that goes over [`Limits::memory`] is made to wait, inside the allocation, until its
//!   time budget runs out: regorus's timer then stops it at its next check (as a time limit, which
//!   the meter reports as the memory ceiling). The wait costs the rest of the document's time
//!   budget, but it is the one way to stop regorus from outside. Past the deadline it may allocate
//!   up to twice the ceiling to reach that check; beyond, the thread is parked for good.
//! - A watchdog: a built-in function that never reaches a check (one call building a huge value,
//!   or a thread parked by the meter) cannot be stopped. Once an evaluation is [`GRACE`] past its
//!   deadline, the watchdog calls the handler the binary installed ([`on_stuck`]), which reports it
//!   and exits with status 2.
//! - Stack: evaluation threads get [`EVAL_STACK`]; the compile-time checks of
//!   [`super::graph`] and [`super::screen`] bound how deep an evaluation can nest within it.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use regorus::utils::limits::ExecutionTimerConfig;

/// Stack of every thread that compiles or evaluates policies. Reserved, not used: the pages are
/// only touched as deep as an evaluation goes. A policy at [`super::graph::MAX_EVAL_DEPTH`]
/// (24 chained rules of 195 nested `some` each) raised the whole process's memory by 40 MiB in a
/// release build, 75 MiB in a debug build, heap included.
pub const EVAL_STACK: usize = 256 << 20;
/// Default wall-clock budget of one document's evaluation (real policies take milliseconds).
pub const DEFAULT_DOCUMENT_TIME: Duration = Duration::from_secs(10);
/// Default wall-clock budget of all policy evaluation of a run.
pub const DEFAULT_RUN_TIME: Duration = Duration::from_secs(300);
/// Default memory ceiling of one evaluation (the built-in library needs a few MiB per document).
pub const DEFAULT_MEMORY: u64 = 512 << 20;
/// How long past its deadline an evaluation may go before the watchdog stops the run.
pub const GRACE: Duration = Duration::from_secs(10);
/// Steps of regorus's interpreter or VM between two looks at the clock.
pub const CHECK_INTERVAL: NonZeroU32 = NonZeroU32::MIN.saturating_add(999);

/// The limits of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub document_time: Duration,
    pub run_time: Duration,
    /// Bytes one evaluation may hold beyond what it started with.
    pub memory: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { document_time: DEFAULT_DOCUMENT_TIME, run_time: DEFAULT_RUN_TIME, memory: DEFAULT_MEMORY }
    }
}

impl Limits {
    /// From `--policy-timeout SECONDS`, `--policy-run-timeout SECONDS` and `--policy-memory MIB`
    /// (the defaults where not given). Command line only: `.tollgate.yaml` comes from the
    /// repository a pull request may change.
    pub fn from_flags(document: Option<f64>, run: Option<f64>, memory_mib: Option<u64>) -> Result<Limits, String> {
        let seconds = |flag: &str, v: Option<f64>, default: Duration| match v {
            None => Ok(default),
            Some(s) if s.is_finite() && s > 0.0 && s <= 86_400.0 => Ok(Duration::from_secs_f64(s)),
            Some(s) => Err(format!("invalid {flag} {s}: a number of seconds above 0, at most 86400")),
        };
        let memory = match memory_mib {
            None => DEFAULT_MEMORY,
            Some(m) if (1..=1 << 20).contains(&m) => m << 20,
            Some(m) => Err(format!("invalid --policy-memory {m}: a number of MiB from 1 to 1048576"))?,
        };
        Ok(Limits {
            document_time: seconds("--policy-timeout", document, DEFAULT_DOCUMENT_TIME)?,
            run_time: seconds("--policy-run-timeout", run, DEFAULT_RUN_TIME)?,
            memory,
        })
    }
}

/// regorus's timer set to stop at `deadline` (at once when it has passed).
pub(crate) fn timer_until(deadline: Instant) -> ExecutionTimerConfig {
    let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
    ExecutionTimerConfig { limit: left, check_interval: CHECK_INTERVAL }
}

/// The run's budget of policy evaluation ([`Limits::run_time`]): the time documents spend being
/// evaluated, summed over the worker threads, so that reading, parsing and validating a large
/// repository spend none of it (counted from when the policies compiled, a 1,000,000-file run on a
/// busy machine left documents unevaluated after 300 s of reading, a different number each run).
/// Shared by the copies of a policy set that the workers hold.
#[derive(Debug)]
pub(crate) struct RunBudget {
    total: Duration,
    /// Nanoseconds spent so far.
    spent: AtomicU64,
}

impl RunBudget {
    pub(crate) fn new(total: Duration) -> Arc<RunBudget> {
        Arc::new(RunBudget { total, spent: AtomicU64::new(0) })
    }

    /// What is left of the budget (zero once it is spent).
    pub(crate) fn left(&self) -> Duration {
        self.total.saturating_sub(Duration::from_nanos(self.spent.load(Ordering::Relaxed)))
    }

    /// Charges the time since `start` (when an evaluation began) to the budget.
    pub(crate) fn charge(&self, start: Instant) {
        let nanos = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        // Saturating: a sum past u64::MAX nanoseconds (584 years) stays spent.
        let _ = self.spent.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |s| Some(s.saturating_add(nanos)));
    }

    /// The deadline of an evaluation starting at `start` within `document_time` and what is left of
    /// the run's budget, and whether the run's budget is the nearer (`None`: nothing is left).
    pub(crate) fn deadline(&self, start: Instant, document_time: Duration) -> Option<(Instant, bool)> {
        let left = self.left();
        if left.is_zero() {
            return None;
        }
        let by_run = document_time >= left;
        Some((start + document_time.min(left), by_run))
    }
}

/// How an evaluation was stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    Time,
    Memory,
}

/// `N s` or `N ms`, as a budget is shown in a message.
pub(crate) fn show_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// `N MiB` for a byte count.
pub(crate) fn show_memory(bytes: u64) -> String {
    format!("{} MiB", bytes >> 20)
}

// ---- Memory ----------------------------------------------------------------------------------

/// The meter of one thread: active while the thread evaluates, that is while `limit` is not
/// `i64::MAX` (one compare on the allocator's path instead of a flag and a compare).
struct Meter {
    /// Bytes allocated minus bytes freed since the evaluation started (meaningless otherwise).
    used: Cell<i64>,
    limit: Cell<i64>,
    deadline: Cell<Option<Instant>>,
    exceeded: Cell<bool>,
}

thread_local! {
    // Const-initialised and without a destructor: usable from inside the allocator.
    static METER: Meter = const {
        Meter {
            used: Cell::new(0),
            limit: Cell::new(i64::MAX),
            deadline: Cell::new(None),
            exceeded: Cell::new(false),
        }
    };
}

/// The global allocator of the `tollgate` binary: `A`, with the bytes of each evaluating thread
/// counted (a thread-local add and compare per allocation while it evaluates, a flag test
/// otherwise).
pub struct Metered<A>(pub A);

// SAFETY: every method forwards to `A` with the caller's arguments unchanged; the accounting
// around it neither allocates nor unwinds (thread-local cells, the clock, sleeping).
unsafe impl<A: GlobalAlloc> GlobalAlloc for Metered<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        charge(layout.size() as i64);
        // SAFETY: as the caller's contract.
        unsafe { self.0.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        charge(layout.size() as i64);
        // SAFETY: as the caller's contract.
        unsafe { self.0.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as the caller's contract.
        unsafe { self.0.dealloc(ptr, layout) };
        charge(-(layout.size() as i64));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        charge(new_size as i64 - layout.size() as i64);
        // SAFETY: as the caller's contract.
        unsafe { self.0.realloc(ptr, layout, new_size) }
    }
}

/// Count `bytes` (negative: freed) against the thread's evaluation, if one is metered.
#[inline]
fn charge(bytes: i64) {
    let _ = METER.try_with(|m| {
        // Wrapping: an unmetered thread's count may drift anywhere; it is reset when metering
        // starts, and compared only against a real limit.
        let used = m.used.get().wrapping_add(bytes);
        m.used.set(used);
        // Never true when unmetered: nothing exceeds `i64::MAX`.
        if used > m.limit.get() && bytes > 0 {
            over(m, used);
        }
    });
}

/// An allocation takes the evaluation over its ceiling (see the module doc).
#[cold]
fn over(m: &Meter, used: i64) {
    m.exceeded.set(true);
    if let Some(deadline) = m.deadline.get() {
        let now = Instant::now();
        if now < deadline {
            std::thread::sleep(deadline - now);
        }
    }
    if used > m.limit.get().saturating_mul(2) {
        // Nothing else can stop it: hold the thread (and no more memory) until the watchdog
        // ends the run.
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
}

/// Meters the calling thread until dropped.
pub(crate) struct MeterGuard {
    _not_send: std::marker::PhantomData<*const ()>,
}

/// Start metering the calling thread's allocations: over `limit` bytes the evaluation waits for
/// `deadline` (see the module doc).
pub(crate) fn meter(limit: u64, deadline: Instant) -> MeterGuard {
    let _ = METER.try_with(|m| {
        m.used.set(0);
        m.deadline.set(Some(deadline));
        m.exceeded.set(false);
        m.limit.set(i64::try_from(limit).unwrap_or(i64::MAX - 1).min(i64::MAX - 1));
    });
    MeterGuard { _not_send: std::marker::PhantomData }
}

impl MeterGuard {
    /// Whether the evaluation went over its ceiling.
    pub(crate) fn exceeded(&self) -> bool {
        exceeded()
    }
}

/// Whether the calling thread's metered evaluation went over its ceiling.
pub(crate) fn exceeded() -> bool {
    METER.try_with(|m| m.exceeded.get()).unwrap_or(false)
}

/// Bytes the calling thread's metered evaluation may still allocate (the default ceiling when
/// none is metered, as in the library's own tests).
pub(crate) fn headroom() -> u64 {
    METER
        .try_with(|m| match m.limit.get() {
            i64::MAX => DEFAULT_MEMORY,
            limit => u64::try_from(limit.saturating_sub(m.used.get())).unwrap_or(0),
        })
        .unwrap_or(DEFAULT_MEMORY)
}

/// Mark the calling thread's evaluation as over its ceiling (a guarded built-in refused to build
/// a value that would not fit).
pub(crate) fn refuse() {
    let _ = METER.try_with(|m| m.exceeded.set(true));
}

impl Drop for MeterGuard {
    fn drop(&mut self) {
        let _ = METER.try_with(|m| {
            m.limit.set(i64::MAX);
            m.deadline.set(None);
        });
    }
}

// ---- Watchdog --------------------------------------------------------------------------------

/// What a watched thread is evaluating, for the watchdog's message.
pub(crate) struct Slot {
    /// Milliseconds since [`anchor`] at which the current evaluation is due (0: idle).
    due: AtomicU64,
    what: Mutex<String>,
}

fn anchor() -> Instant {
    static ANCHOR: OnceLock<Instant> = OnceLock::new();
    *ANCHOR.get_or_init(Instant::now)
}

fn millis(at: Instant) -> u64 {
    u64::try_from(at.saturating_duration_since(anchor()).as_millis()).unwrap_or(u64::MAX).max(1)
}

static SLOTS: Mutex<Vec<Weak<Slot>>> = Mutex::new(Vec::new());
static STUCK: OnceLock<fn(&str)> = OnceLock::new();

/// Install what happens when an evaluation cannot be stopped (the binary reports it and exits
/// with status 2). Without a handler the watchdog does nothing.
pub fn on_stuck(handler: fn(&str)) {
    let _ = STUCK.set(handler);
}

impl Slot {
    /// A slot the watchdog looks at (and the watchdog running).
    pub(crate) fn new() -> Arc<Slot> {
        let slot = Arc::new(Slot { due: AtomicU64::new(0), what: Mutex::new(String::new()) });
        if let Ok(mut slots) = SLOTS.lock() {
            slots.retain(|s| s.strong_count() > 0);
            slots.push(Arc::downgrade(&slot));
        }
        static WATCHDOG: OnceLock<()> = OnceLock::new();
        WATCHDOG.get_or_init(|| {
            let _ = std::thread::Builder::new().name("tollgate-watchdog".into()).spawn(watch);
        });
        slot
    }

    /// Watch an evaluation of `what` due at `deadline`, until the guard is dropped.
    pub(crate) fn watch(&self, what: impl FnOnce() -> String, deadline: Instant) -> Watching<'_> {
        if let Ok(mut w) = self.what.lock() {
            *w = what();
        }
        self.due.store(millis(deadline), Ordering::Release);
        Watching { slot: self }
    }
}

/// An evaluation being watched.
pub(crate) struct Watching<'a> {
    slot: &'a Slot,
}

impl Drop for Watching<'_> {
    fn drop(&mut self) {
        self.slot.due.store(0, Ordering::Release);
    }
}

fn watch() {
    loop {
        std::thread::sleep(Duration::from_millis(250));
        let now = millis(Instant::now());
        let grace = u64::try_from(GRACE.as_millis()).unwrap_or(u64::MAX);
        let slots: Vec<Arc<Slot>> = match SLOTS.lock() {
            Ok(s) => s.iter().filter_map(Weak::upgrade).collect(),
            Err(_) => continue,
        };
        for slot in slots {
            let due = slot.due.load(Ordering::Acquire);
            if due != 0 && now > due.saturating_add(grace) {
                let what = slot.what.lock().map(|w| w.clone()).unwrap_or_default();
                if let Some(handler) = STUCK.get() {
                    handler(&format!(
                        "policy evaluation of {what} did not stop within its time budget and {} more \
                         (a built-in function that runs long without yielding, or the memory ceiling \
                         reached inside one); the run is stopped",
                        show_duration(GRACE)
                    ));
                }
            }
        }
    }
}

/// Run `f` on a thread with [`EVAL_STACK`] (on this one when no thread can be started), and
/// wait for it; a panic in it goes on here.
pub(crate) fn on_big_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    let f = Mutex::new(Some(f));
    // Copied into the thread (it only borrows `f`), and run here when the thread cannot start.
    let run = || f.lock().ok().and_then(|mut g| g.take()).map(|f| f());
    let spawned = std::thread::scope(|s| {
        std::thread::Builder::new().stack_size(EVAL_STACK).spawn_scoped(s, run).ok().map(|h| h.join())
    });
    match spawned {
        Some(Ok(Some(v))) => v,
        Some(Err(panic)) => std::panic::resume_unwind(panic),
        _ => match run() {
            Some(v) => v,
            None => unreachable!("`f` runs once, on the thread or here"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_checked() {
        assert_eq!(Limits::from_flags(None, None, None), Ok(Limits::default()));
        let l = Limits::from_flags(Some(0.5), Some(60.0), Some(64)).expect("valid");
        assert_eq!(
            (l.document_time, l.run_time, l.memory),
            (Duration::from_millis(500), Duration::from_secs(60), 64 << 20)
        );
        assert!(Limits::from_flags(Some(0.0), None, None).is_err());
        assert!(Limits::from_flags(None, Some(f64::NAN), None).is_err());
        assert!(Limits::from_flags(None, Some(1e9), None).is_err());
        assert!(Limits::from_flags(None, None, Some(0)).is_err());
    }

    #[test]
    fn the_run_budget_counts_only_what_is_charged() {
        let budget = RunBudget::new(Duration::from_millis(200));
        // Time passing outside evaluations spends nothing.
        std::thread::sleep(Duration::from_millis(250));
        let start = Instant::now();
        let (deadline, by_run) = budget.deadline(start, Duration::from_secs(10)).expect("nothing spent yet");
        assert!(by_run && deadline == start + Duration::from_millis(200));
        assert_eq!(budget.deadline(start, Duration::from_millis(50)), Some((start + Duration::from_millis(50), false)));
        // An evaluation that ran 250 ms (a past start) spends it all.
        budget.charge(start.checked_sub(Duration::from_millis(250)).expect("a monotonic clock past 250 ms"));
        assert_eq!(budget.left(), Duration::ZERO);
        assert_eq!(budget.deadline(Instant::now(), Duration::from_secs(10)), None);
    }

    #[test]
    fn big_stack_runs_the_closure_once() {
        let mut n = 0;
        let v = on_big_stack(|| {
            n += 1;
            42
        });
        assert_eq!((v, n), (42, 1));
    }
}

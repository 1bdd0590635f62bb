//! Many files on several cores, results in input order: what `ser predict`, `ser features`,
//! `ser eval` and `ser export` share.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::ops::ControlFlow;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use indicatif::{ProgressBar, ProgressStyle};

/// All the cores, the default of `--jobs`.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The sentence for a file whose analysis panicked (a bug, but one file's bug).
pub fn internal_error(name: &str) -> String {
    format!("{name}: internal error while analysing this file.")
}

/// Runs `work` on every item on `jobs` threads and hands each result to `sink` in item order,
/// `Err` where the work panicked. `sink` runs on the calling thread and may stop the batch.
///
/// Results that finish early wait for their turn, but at most a few per thread: the next item
/// is started only when the result `4 * jobs` places before it has been handed on, so a folder
/// of any size holds a bounded number of results at once.
pub fn run_ordered<I, T, W, S>(items: &[I], jobs: usize, work: W, mut sink: S)
where
    I: Sync,
    T: Send,
    W: Fn(&I) -> T + Sync,
    S: FnMut(usize, Result<T, ()>) -> ControlFlow<()>,
{
    let jobs = jobs.max(1);
    let Ok(pool) = rayon::ThreadPoolBuilder::new().num_threads(jobs).thread_name(|i| format!("ser-{i}")).build() else {
        // No threads to be had: the same results, one after the other.
        for (i, item) in items.iter().enumerate() {
            if sink(i, catch_unwind(AssertUnwindSafe(|| work(item))).map_err(|_| ())).is_break() {
                return;
            }
        }
        return;
    };
    let window = 4 * jobs;
    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel::<(usize, Result<T, ()>)>();
    let (work, stop_ref) = (&work, &stop);
    // The calling thread only hands out work and passes results on; the pool computes.
    pool.in_place_scope(|scope| {
        let mut pending: BTreeMap<usize, Result<T, ()>> = BTreeMap::new();
        let mut next = 0;
        // Receives one result, then hands on every result whose turn has come.
        let mut receive = |pending: &mut BTreeMap<usize, Result<T, ()>>, next: &mut usize| -> bool {
            let Ok((i, result)) = rx.recv() else { return false };
            pending.insert(i, result);
            while let Some(result) = pending.remove(next) {
                let flow = sink(*next, result);
                *next += 1;
                if flow.is_break() {
                    stop_ref.store(true, Ordering::Relaxed);
                    return false;
                }
            }
            true
        };
        for (i, item) in items.iter().enumerate() {
            while i >= next + window {
                if !receive(&mut pending, &mut next) {
                    return;
                }
            }
            let tx = tx.clone();
            scope.spawn(move |_| {
                if stop_ref.load(Ordering::Relaxed) {
                    return;
                }
                let result = catch_unwind(AssertUnwindSafe(|| work(item))).map_err(|_| ());
                let _ = tx.send((i, result));
            });
        }
        while next < items.len() {
            if !receive(&mut pending, &mut next) {
                return;
            }
        }
    });
}

/// A progress bar on stderr when stderr is a terminal, and nothing otherwise; messages and
/// results are printed around it so that neither is torn.
#[derive(Clone)]
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    pub fn new(total: usize) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let style = ProgressStyle::with_template("{bar:30} {pos}/{len} files  {elapsed_precise}  {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            ProgressBar::new(total as u64).with_style(style)
        });
        Progress { bar }
    }

    /// One more file done.
    pub fn advance(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
            // A long file's percentage is stale once a file is done; one still running says
            // its own again at its next step.
            bar.set_message("");
        }
    }

    /// How far a long recording is (it can take minutes alone).
    pub fn long_file(&self, name: &str, fraction: f64) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{name}: {:.0} %", fraction * 100.0));
        }
    }

    /// Runs `f` (which prints) with the bar out of the way.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    /// One line on stderr.
    pub fn note(&self, line: &str) {
        self.suspend(|| eprintln!("{line}"));
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_input_order_whatever_the_finishing_order() {
        let items: Vec<u64> = (0..200).collect();
        for jobs in [1, 2, 7] {
            let mut seen = Vec::new();
            run_ordered(
                &items,
                jobs,
                |&i| {
                    // Later items finish first.
                    std::thread::sleep(std::time::Duration::from_micros((200 - i) * 20));
                    i * 3
                },
                |i, r| {
                    seen.push((i, r.unwrap()));
                    ControlFlow::Continue(())
                },
            );
            assert_eq!(seen, items.iter().map(|&i| (i as usize, i * 3)).collect::<Vec<_>>(), "jobs {jobs}");
        }
    }

    #[test]
    fn a_panic_is_one_failed_item_and_a_break_stops_the_batch() {
        let items: Vec<usize> = (0..50).collect();
        let mut seen = Vec::new();
        run_ordered(
            &items,
            3,
            |&i| {
                assert!(i != 5, "item 5 fails");
                i
            },
            |i, r| {
                seen.push(r.ok());
                if i == 9 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
            },
        );
        assert_eq!(seen.len(), 10);
        assert_eq!(seen[5], None);
        assert_eq!(seen[6], Some(6));
    }
}

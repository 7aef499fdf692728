//! Which job slot boots which kernel, and in what order. The run lasts as
//! long as its busiest slot: with five kernels on two slots, taking them
//! in kernels.yaml order left one slot idle for a whole kernel's boot
//! while the other booted the last (and longest) one. Each kernel's last
//! boot time, kept in the cache, sizes it; the slots get the split whose
//! busiest slot is shortest, longest kernel first, and a slot that runs
//! out takes the shortest kernel still waiting elsewhere, so an estimate
//! that was wrong costs little.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// Where the last boot time of each kernel is kept, by kernel name.
pub fn durations_file(cache: &Path) -> PathBuf {
    cache.join("durations")
}

/// The boot times of earlier runs (`name seconds` lines); a missing or
/// unreadable file is no history, never an error.
pub fn load_durations(cache: &Path) -> BTreeMap<String, f64> {
    std::fs::read_to_string(durations_file(cache))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let (name, secs) = l.rsplit_once(' ')?;
            let secs: f64 = secs.parse().ok()?;
            (secs.is_finite() && secs > 0.0).then(|| (name.to_string(), secs))
        })
        .collect()
}

/// Keep this run's boot times next to those of kernels it did not boot.
/// Only a hint for the next run's order: failing to write it is ignored.
pub fn save_durations(cache: &Path, measured: &[(String, Duration)]) {
    if measured.is_empty() {
        return;
    }
    let mut all = load_durations(cache);
    for (name, d) in measured {
        // A name with a newline would corrupt the file; such a name
        // never comes out of kernels.yaml's validation, but skip it.
        if !name.contains('\n') {
            all.insert(name.clone(), d.as_secs_f64());
        }
    }
    let text: String = all.iter().map(|(n, s)| format!("{n} {s:.1}\n")).collect();
    let _ = mapspec_safefs::write_io(&durations_file(cache), text.as_bytes(), Default::default());
}

/// A kernel's expected boot time: its last one, or, for a kernel never
/// timed, its version read as a number (newer kernels carry more claims
/// and a slower verifier, so "7.2" counts for more than "5.10").
fn estimate(name: &str, history: &BTreeMap<String, f64>) -> f64 {
    if let Some(&s) = history.get(name) {
        return s;
    }
    let mut parts = name.split('.').map(|p| p.parse::<f64>().unwrap_or(0.0));
    let major = parts.next().unwrap_or(0.0);
    let minor = parts.next().unwrap_or(0.0);
    // Scaled like a boot time, so that a mix of timed and untimed
    // kernels still weighs them comparably.
    (major + minor / 100.0).max(1.0) * 2.0
}

/// The kernels (indices into `names`) of each of `jobs` slots, longest
/// first in each slot.
pub fn plan(
    names: &[String],
    jobs: usize,
    history: &BTreeMap<String, f64>,
) -> Vec<VecDeque<usize>> {
    let jobs = jobs.clamp(1, names.len().max(1));
    let est: Vec<f64> = names.iter().map(|n| estimate(n, history)).collect();
    let mut order: Vec<usize> = (0..names.len()).collect();
    // Longest first; among equals, the order of kernels.yaml.
    order.sort_by(|&a, &b| est[b].total_cmp(&est[a]).then(a.cmp(&b)));
    let assign = best_assignment(&order, &est, jobs);
    let mut slots = vec![VecDeque::new(); jobs];
    for (&k, &s) in order.iter().zip(&assign) {
        slots[s].push_back(k);
    }
    slots
}

/// The slot of each kernel of `order`: an exhaustive search while it is
/// small (a matrix has a handful of kernels), else longest-processing-time
/// first, which is within a third of the best.
fn best_assignment(order: &[usize], est: &[f64], jobs: usize) -> Vec<usize> {
    let n = order.len();
    let exhaustive = (jobs as f64).powi(n as i32) <= 200_000.0;
    if !exhaustive || jobs == 1 {
        let mut load = vec![0.0f64; jobs];
        return order
            .iter()
            .map(|&k| {
                let s = (0..jobs)
                    .min_by(|&a, &b| load[a].total_cmp(&load[b]))
                    .unwrap_or(0);
                load[s] += est[k];
                s
            })
            .collect();
    }
    let mut best: Option<(f64, Vec<usize>)> = None;
    let mut cur = vec![0usize; n];
    let total = jobs.pow(n as u32);
    for code in 0..total {
        let mut c = code;
        let mut load = vec![0.0f64; jobs];
        for (i, &k) in order.iter().enumerate() {
            cur[i] = c % jobs;
            c /= jobs;
            load[cur[i]] += est[k];
        }
        let span = load.iter().cloned().fold(0.0, f64::max);
        // Strictly better only: the first found (the lowest code, which
        // puts the longest kernel on slot 0) wins ties.
        if best.as_ref().is_none_or(|(b, _)| span < *b - 1e-9) {
            best = Some((span, cur.clone()));
        }
    }
    best.map(|(_, a)| a).unwrap_or_else(|| vec![0; n])
}

/// The slots' queues while the boots run.
pub struct Queues(Mutex<Vec<VecDeque<usize>>>);

impl Queues {
    pub fn new(slots: Vec<VecDeque<usize>>) -> Queues {
        Queues(Mutex::new(slots))
    }

    /// The next kernel for `slot`: its own longest, else the shortest one
    /// waiting in the slot with the most left.
    pub fn next(&self, slot: usize) -> Option<usize> {
        let mut q = self.0.lock().ok()?;
        if let Some(k) = q.get_mut(slot).and_then(VecDeque::pop_front) {
            return Some(k);
        }
        let other = (0..q.len()).max_by_key(|&s| q[s].len())?;
        q[other].pop_back()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn span(slots: &[VecDeque<usize>], est: &[f64]) -> f64 {
        slots
            .iter()
            .map(|s| s.iter().map(|&k| est[k]).sum::<f64>())
            .fold(0.0, f64::max)
    }

    #[test]
    fn five_timed_kernels_split_so_the_busiest_slot_is_shortest() {
        // The boot times of issue 12's measurement.
        let n = names(&["5.10", "6.1", "6.12", "7.2", "7.3"]);
        let est = [11.9, 11.7, 15.6, 21.4, 17.1];
        let history: BTreeMap<String, f64> = n.iter().cloned().zip(est.iter().cloned()).collect();
        let slots = plan(&n, 2, &history);
        // kernels.yaml order on a shared queue ended at 44.4 s; the best
        // split of 77.7 s over two slots is 39.2 s.
        assert!((span(&slots, &est) - 39.2).abs() < 1e-6, "{slots:?}");
        for s in &slots {
            let t: Vec<f64> = s.iter().map(|&k| est[k]).collect();
            assert!(t.windows(2).all(|w| w[0] >= w[1]), "longest first: {t:?}");
        }
        let mut all: Vec<usize> = slots.iter().flatten().cloned().collect();
        all.sort();
        assert_eq!(all, vec![0, 1, 2, 3, 4], "every kernel once");
    }

    #[test]
    fn untimed_kernels_go_newest_first() {
        let n = names(&["5.10", "6.1", "7.2"]);
        let slots = plan(&n, 1, &BTreeMap::new());
        assert_eq!(slots, vec![VecDeque::from(vec![2, 1, 0])]);
        // More slots than kernels: one kernel each, none left empty-handed.
        let slots = plan(&n, 8, &BTreeMap::new());
        assert_eq!(slots.len(), 3);
        assert!(slots.iter().all(|s| s.len() == 1), "{slots:?}");
    }

    #[test]
    fn a_slot_that_runs_out_takes_the_shortest_waiting_kernel() {
        let q = Queues::new(vec![VecDeque::from(vec![0]), VecDeque::from(vec![1, 2, 3])]);
        assert_eq!(q.next(0), Some(0));
        assert_eq!(q.next(0), Some(3), "stolen from the back of slot 1");
        assert_eq!(q.next(1), Some(1));
        assert_eq!(q.next(1), Some(2));
        assert_eq!(q.next(0), None);
        assert_eq!(q.next(1), None);
    }

    #[test]
    fn durations_round_trip_and_bad_lines_are_ignored() {
        let d = tempfile::tempdir().unwrap();
        assert!(load_durations(d.path()).is_empty());
        save_durations(d.path(), &[("6.1".into(), Duration::from_millis(11_700))]);
        save_durations(d.path(), &[("7.2".into(), Duration::from_secs(21))]);
        let h = load_durations(d.path());
        assert_eq!(h.get("6.1"), Some(&11.7));
        assert_eq!(h.get("7.2"), Some(&21.0));
        std::fs::write(durations_file(d.path()), "junk\n5.10 x\n6.12 -3\n6.1 9.5\n").unwrap();
        let h = load_durations(d.path());
        assert_eq!(h.len(), 1);
        assert_eq!(h.get("6.1"), Some(&9.5));
    }
}

//! CPU placement of the calling thread, for the concurrency checks.

/// Pin the calling thread to one CPU.
pub fn pin(cpu: usize) -> bool {
    // SAFETY: a zeroed cpu_set_t is valid; CPU_SET stays within it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) == 0
    }
}

/// Online CPUs of the machine, not of this thread's affinity mask: the
/// matrix guest pins its main thread to CPU 0, and the concurrency checks
/// must still spread their threads over every CPU.
pub fn online_cpus() -> usize {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    usize::try_from(n).unwrap_or(1).max(1)
}

/// Let the calling thread run on every online CPU (threads inherit their
/// creator's mask, which may be one CPU).
pub fn allow_all_cpus() {
    // SAFETY: a zeroed cpu_set_t is valid; CPU_SET stays within it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for c in 0..online_cpus().min(libc::CPU_SETSIZE as usize) {
            libc::CPU_SET(c, &mut set);
        }
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// The calling thread's affinity mask, put back when dropped: a check that
/// pins the runner's own thread leaves it as it found it.
pub struct SavedAffinity(Option<libc::cpu_set_t>);

impl SavedAffinity {
    pub fn save() -> SavedAffinity {
        // SAFETY: a zeroed cpu_set_t is valid and sched_getaffinity fills it.
        SavedAffinity(unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            (libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) == 0)
                .then_some(set)
        })
    }
}

impl Drop for SavedAffinity {
    fn drop(&mut self) {
        if let Some(set) = &self.0 {
            // SAFETY: a mask sched_getaffinity returned for this thread.
            unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), set) };
        }
    }
}

//! The timer thread: fires what is due, batch by batch, and sleeps until
//! the next deadline.

use std::sync::PoisonError;

use crate::sync::Arc;
#[cfg(feature = "loom")]
use crate::sync::model::Mutant;

use super::Driver;
use super::later::Later;

/// How many due timers the timer thread handles per turn of the lock.
pub(super) const BATCH: usize = 64;

impl Driver {
    /// The timer thread: fires what is due, sleeps until the next deadline,
    /// until stopped.
    pub(crate) fn run_timers(this: &Arc<Self>) {
        let mut core = this.lock();
        loop {
            if core.stop {
                return;
            }
            // A burst is fired batch by batch, the lock released between
            // batches (reports get through); the calls it decides are
            // submitted once it is over, so that the call threads do not
            // take the CPU from the timer thread while events are due.
            let mut later = Later::default();
            loop {
                let mut fired = 0;
                while fired < BATCH && core.state.fire(this.now()) {
                    fired += 1;
                }
                if fired == 0 {
                    break;
                }
                this.drain(core, Some(this), &mut later);
                core = this.lock();
                if core.stop {
                    break;
                }
            }
            if !later.is_empty() {
                drop(core);
                later.run(this);
                core = this.lock();
                continue;
            }
            // Stopped during the burst, which decided nothing to carry out:
            // the stop's notification came while the lock was released, so
            // waiting now would wait for ever.
            #[cfg(feature = "loom")]
            let stopped = core.stop && this.mutant != Some(Mutant::BurstForgetsTheStop);
            #[cfg(not(feature = "loom"))]
            let stopped = core.stop;
            if stopped {
                return;
            }
            core = match core.state.next_deadline() {
                Some(at) => {
                    let now = this.now();
                    if at <= now {
                        continue;
                    }
                    #[cfg(feature = "loom")]
                    {
                        core = this.let_go_if(Mutant::TimerDeadlineUnlocked, core);
                    }
                    let wait = this.timer.wait_timeout(core, at - now);
                    wait.unwrap_or_else(PoisonError::into_inner).0
                }
                None => {
                    #[cfg(feature = "loom")]
                    {
                        core = this.let_go_if(Mutant::TimerDeadlineUnlocked, core);
                    }
                    this.timer
                        .wait(core)
                        .unwrap_or_else(PoisonError::into_inner)
                }
            };
            core.wakeups += 1;
        }
    }
}

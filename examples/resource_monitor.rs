//! Placeholder demo until the monitor lands: a worker that reports progress
//! and is terminated while it sleeps.
use std::time::{Duration, Instant};

use clusworker::{Terminate, Worker};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let start = Instant::now();
    let worker = Worker::spawn(|ctx| {
        let mut checkpoint = 0u32;
        while ctx.sleep(Duration::from_millis(100)).is_ok() {
            checkpoint += 1;
            println!("worker: checkpoint {checkpoint}");
        }
        checkpoint
    })?;
    std::thread::sleep(Duration::from_millis(550));
    let t = Instant::now();
    assert_eq!(worker.terminate(), Terminate::First);
    println!("terminate took {:?}", t.elapsed());
    let checkpoints = worker.join().map_err(|_| "worker panicked")?;
    println!("worker exited after {checkpoints} checkpoints, {:?} in all", start.elapsed());
    Ok(())
}

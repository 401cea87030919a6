//! A worker's reports, through its status handle: the locked path (the
//! heartbeat's lock-free path is [`crate::beat`]).

use crate::error::StatusError;
use crate::machine::ResourceState;
use crate::status::ReportSink;
use crate::types::{ExitState, ResourceId};

use super::Driver;

impl ReportSink for Driver {
    fn report(
        &self,
        resource: ResourceId,
        generation: u64,
        state: ResourceState,
        checkpoint: u32,
    ) -> Result<ExitState, StatusError> {
        let now = self.now();
        let mut core = self.lock();
        if core.stop {
            return Err(StatusError::Stopped);
        }
        let r = core
            .state
            .report(resource, generation, state, checkpoint, now);
        self.apply(core, None);
        r
    }

    fn signal_failure(
        &self,
        resource: ResourceId,
        generation: u64,
        code: u32,
    ) -> Result<(), StatusError> {
        let now = self.now();
        let mut core = self.lock();
        if core.stop {
            return Err(StatusError::Stopped);
        }
        let r = core.state.signal_failure(resource, generation, code, now);
        self.apply(core, None);
        r
    }
}

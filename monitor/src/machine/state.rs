//! [`ResourceState`] and [`Operation`].

use core::fmt;

/// The state of a cluster resource, with the values of Windows'
/// `CLUSTER_RESOURCE_STATE` (`ClusterResourceOnline` = 2, ...).
///
/// # Examples
///
/// ```
/// use clusworker_monitor::machine::ResourceState;
/// assert_eq!(ResourceState::OnlinePending.value(), 129);
/// assert_eq!(ResourceState::try_from(3), Ok(ResourceState::Offline));
/// assert!(ResourceState::try_from(5).is_err());
/// assert!(ResourceState::OfflinePending.is_pending());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(i32)]
pub enum ResourceState {
    /// The state is not known (`ClusterResourceStateUnknown`, -1).
    #[doc(alias = "ClusterResourceStateUnknown")]
    Unknown = -1,
    /// The resource is online and available (`ClusterResourceOnline`, 2).
    #[doc(alias = "ClusterResourceOnline")]
    Online = 2,
    /// The resource is offline (`ClusterResourceOffline`, 3).
    #[doc(alias = "ClusterResourceOffline")]
    Offline = 3,
    /// The resource failed (`ClusterResourceFailed`, 4).
    #[doc(alias = "ClusterResourceFailed")]
    Failed = 4,
    /// Coming online: an `Online` operation is pending
    /// (`ClusterResourceOnlinePending`, 129).
    #[doc(alias = "ClusterResourceOnlinePending")]
    OnlinePending = 129,
    /// Going offline: an `Offline` operation is pending
    /// (`ClusterResourceOfflinePending`, 130).
    #[doc(alias = "ClusterResourceOfflinePending")]
    OfflinePending = 130,
}

impl ResourceState {
    /// Every state, in value order.
    pub const ALL: [ResourceState; 6] = [
        ResourceState::Unknown,
        ResourceState::Online,
        ResourceState::Offline,
        ResourceState::Failed,
        ResourceState::OnlinePending,
        ResourceState::OfflinePending,
    ];

    /// The Windows value.
    #[inline]
    pub const fn value(self) -> i32 {
        self as i32
    }

    /// Is this `OnlinePending` or `OfflinePending`?
    #[inline]
    pub const fn is_pending(self) -> bool {
        matches!(
            self,
            ResourceState::OnlinePending | ResourceState::OfflinePending
        )
    }

    /// The state's name, as Windows spells it without the
    /// `ClusterResource` prefix.
    pub const fn name(self) -> &'static str {
        match self {
            ResourceState::Unknown => "Unknown",
            ResourceState::Online => "Online",
            ResourceState::Offline => "Offline",
            ResourceState::Failed => "Failed",
            ResourceState::OnlinePending => "OnlinePending",
            ResourceState::OfflinePending => "OfflinePending",
        }
    }
}

impl fmt::Display for ResourceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// A value that is not a [`ResourceState`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InvalidStateValue(pub i32);

impl fmt::Display for InvalidStateValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is not a cluster resource state", self.0)
    }
}

impl core::error::Error for InvalidStateValue {}

impl TryFrom<i32> for ResourceState {
    type Error = InvalidStateValue;

    fn try_from(value: i32) -> Result<Self, Self::Error> {
        ResourceState::ALL
            .into_iter()
            .find(|s| s.value() == value)
            .ok_or(InvalidStateValue(value))
    }
}

impl From<ResourceState> for i32 {
    fn from(state: ResourceState) -> i32 {
        state.value()
    }
}

/// An operation that can be pending: bringing a resource online, or taking
/// it offline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// The `Online` entry point.
    Online,
    /// The `Offline` entry point.
    Offline,
}

impl Operation {
    /// The state while the operation is pending.
    pub const fn pending_state(self) -> ResourceState {
        match self {
            Operation::Online => ResourceState::OnlinePending,
            Operation::Offline => ResourceState::OfflinePending,
        }
    }

    /// The state the operation ends in when it succeeds.
    pub const fn target(self) -> ResourceState {
        match self {
            Operation::Online => ResourceState::Online,
            Operation::Offline => ResourceState::Offline,
        }
    }

    /// Can a status report for this operation carry `state`? Its pending
    /// state, its target, and `Failed`; nothing else.
    pub const fn can_reach(self, state: ResourceState) -> bool {
        matches!(state, ResourceState::Failed)
            || state as i32 == self.pending_state() as i32
            || state as i32 == self.target() as i32
    }

    /// May the operation start from `state`? Online from Offline, Failed or
    /// Unknown; Offline from Online, Failed or Unknown. Never while an
    /// operation is pending, nor towards the state the resource is in.
    pub const fn can_start_from(self, state: ResourceState) -> bool {
        !state.is_pending() && state as i32 != self.target() as i32
    }

    /// `"online"` or `"offline"`.
    pub const fn name(self) -> &'static str {
        match self {
            Operation::Online => "online",
            Operation::Offline => "offline",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_the_windows_values() {
        let values = ResourceState::ALL.map(ResourceState::value);
        assert_eq!(values, [-1, 2, 3, 4, 129, 130]);
    }

    #[test]
    fn every_value_round_trips_and_others_are_rejected() {
        for s in ResourceState::ALL {
            assert_eq!(ResourceState::try_from(s.value()), Ok(s));
        }
        for v in [-2, 0, 1, 5, 128, 131, i32::MIN, i32::MAX] {
            assert_eq!(ResourceState::try_from(v), Err(InvalidStateValue(v)));
        }
    }

    #[test]
    fn only_the_two_pending_states_are_pending() {
        let pending: [bool; 6] = ResourceState::ALL.map(ResourceState::is_pending);
        assert_eq!(pending, [false, false, false, false, true, true]);
    }

    #[test]
    fn an_operation_reaches_its_pending_state_its_target_and_failed() {
        use ResourceState::*;
        let reach = |op: Operation| ResourceState::ALL.map(|s| op.can_reach(s));
        // Unknown, Online, Offline, Failed, OnlinePending, OfflinePending
        assert_eq!(
            reach(Operation::Online),
            [false, true, false, true, true, false]
        );
        assert_eq!(
            reach(Operation::Offline),
            [false, false, true, true, false, true]
        );
        assert!(!Operation::Online.can_reach(Unknown));
    }

    #[test]
    fn an_operation_starts_from_a_settled_state_other_than_its_target() {
        let start = |op: Operation| ResourceState::ALL.map(|s| op.can_start_from(s));
        assert_eq!(
            start(Operation::Online),
            [true, false, true, true, false, false]
        );
        assert_eq!(
            start(Operation::Offline),
            [true, true, false, true, false, false]
        );
    }
}

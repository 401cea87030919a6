//! The host's exit codes. The unit file (`clusworker-host.service`) lists
//! the ones systemd should not restart on (`RestartPreventExitStatus=`).
//!
//! | code | meaning | restarted by `Restart=on-failure` |
//! |---|---|---|
//! | 0 | stopped by SIGTERM / SIGINT (also `--check` on a good config) | no |
//! | 1 | could not start: the socket, the monitor, the signal thread | yes |
//! | 2 | the config (or the command line) was refused: nothing started | no |
//! | 3 | another live host holds the control socket | no |
//! | 70 | a resource's entry point hung past DeadlockTimeout and `exit_on_escalation` is on: the rest were terminated (the resource host recycle) | yes |

/// Stopped by SIGTERM / SIGINT, every resource offline or terminated.
pub const STOPPED: i32 = 0;
/// Could not start (the socket cannot be made, a thread cannot start).
pub const START_FAILED: i32 = 1;
/// The config or the command line was refused; nothing started.
pub const CONFIG: i32 = 2;
/// Another live host holds the control socket.
pub const SOCKET_IN_USE: i32 = 3;
/// An entry point hung past DeadlockTimeout (`EX_SOFTWARE`): the host
/// terminated the rest and exited, to be restarted.
pub const ESCALATED: i32 = 70;

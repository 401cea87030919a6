#!/bin/bash
# The OCF agent's tests against the real Pacemaker (issue 15): installs Debian's pacemaker,
# corosync and resource-agents (no service autostarts), starts a single-node corosync +
# pacemakerd cluster bound to 127.0.0.1, runs the ignored tests of clusworker-ocf (ocf-tester,
# crm_resource standalone, the cluster's; then two nodes in network and mount namespaces
# through ocf/ci/two-node.sh), and stops every daemon it started, by PID.
# Needs root. Reuses the debug build of `cargo test` (no --release).
# Facts: the install is ~35 s; with stonith-enabled=false and dc-deadtime=2s seeded into the
# CIB the node is DC in ~5 s. A stale cib.xml.sig makes Pacemaker reject a new cib.xml, so
# the CIB folder is cleared first.
set -euo pipefail
cd "$(dirname "$0")/.."
T0=$(date +%s%N)
secs() { local ms=$(( ($(date +%s%N) - $1) / 1000000 )); printf '%d.%03d' $((ms / 1000)) $((ms % 1000)); }
elapsed() { secs "$T0"; }
[ "$(id -u)" = 0 ] || { echo "pacemaker.sh: needs root" >&2; exit 1; }
WORK=${WORK:-/tmp/clusworker-pacemaker}
rm -rf "$WORK"; mkdir -p "$WORK"

export DEBIAN_FRONTEND=noninteractive
if ! command -v pacemakerd >/dev/null || ! command -v ocf-tester >/dev/null || ! command -v xmllint >/dev/null; then
  # Package scripts must not start daemons: policy-rc.d exits 101 ("action forbidden").
  [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; }
  apt-get update -qq
  apt-get install -y -qq pacemaker pacemaker-cli-utils resource-agents corosync libxml2-utils >"$WORK/apt.log" 2>&1 \
    || { tail -30 "$WORK/apt.log"; exit 1; }
fi
echo "pacemaker.sh: packages ready at $(elapsed)s"

# The host's binary beside the agent's: the tests install both from the target folder.
cargo build -q -p clusworker-host -p clusworker-ocf --bins
echo "pacemaker.sh: built at $(elapsed)s"

# The agent's meta-data, as an unprivileged user, against the DTD resource-agents ships.
agent_bin=${CARGO_TARGET_DIR:-target}/debug/clusworker-ocf
install -D -m 0755 "$agent_bin" "$WORK/ra/clusworker"
chmod 755 "$WORK" "$WORK/ra"
su nobody -s /bin/sh -c "$WORK/ra/clusworker meta-data" >"$WORK/meta-data.xml"
(cd /usr/share/resource-agents && xmllint --noout --valid - <"$WORK/meta-data.xml")
echo "pacemaker.sh: meta-data valid against ra-api-1.dtd"

cat >"$WORK/corosync.conf" <<CONF
totem {
    version: 2
    cluster_name: clusworker-ci
    transport: knet
    crypto_cipher: none
    crypto_hash: none
}
nodelist {
    node {
        name: node1
        nodeid: 1
        ring0_addr: 127.0.0.1
    }
}
quorum {
    provider: corosync_votequorum
}
logging {
    to_stderr: yes
    to_syslog: no
}
CONF
rm -f /var/lib/pacemaker/cib/cib* /var/lib/pacemaker/pengine/pe-*
cibadmin --empty >"$WORK/cib.xml"
CIB_file=$WORK/cib.xml crm_attribute --type crm_config --name stonith-enabled --update false
CIB_file=$WORK/cib.xml crm_attribute --type crm_config --name dc-deadtime --update 2s
CIB_file=$WORK/cib.xml crm_attribute --type crm_config --name cluster-recheck-interval --update 10s
install -o hacluster -g haclient -m 0600 "$WORK/cib.xml" /var/lib/pacemaker/cib/cib.xml

PCMK_PID=; CS_PID=
stop_pid() { # PID: SIGTERM, then wait (pacemakerd runs its resources' stops first)
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 300); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  [ -n "$PCMK_PID" ] && stop_pid "$PCMK_PID"
  [ -n "$CS_PID" ] && stop_pid "$CS_PID"
  # A host a failed test left behind: by the pid in its lock file, if it is one.
  for lock in /run/clusworker-ocf-test/*/host.sock.lock; do
    [ -e "$lock" ] || continue
    pid=$(cat "$lock" 2>/dev/null || true)
    [ -n "$pid" ] && [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = clusworker-host ] && stop_pid "$pid"
  done
  echo "pacemaker.sh: total wall time $(elapsed)s (apt, build, cluster and tests)"
  exit $rc
}
trap cleanup EXIT

corosync -f -c "$WORK/corosync.conf" >"$WORK/corosync.log" 2>&1 & CS_PID=$!
for i in $(seq 50); do corosync-quorumtool -s >/dev/null 2>&1 && break; sleep 0.2; done
PCMK_logfile=$WORK/pacemaker.log PCMK_logfacility=none /usr/sbin/pacemakerd >"$WORK/pacemakerd.out" 2>&1 & PCMK_PID=$!
for i in $(seq 300); do crm_mon -1 --output-as=xml 2>/dev/null | grep -q '<current_dc present="true"' && break; sleep 0.2; done
echo "pacemaker.sh: cluster up (DC) at $(elapsed)s"

TESTS0=$(date +%s%N)
status=0
cargo test -p clusworker-ocf --test tools --test cluster -- --ignored --show-output || status=$?
echo "pacemaker.sh: the single-node tests took $(secs "$TESTS0")s"
if [ "$status" -ne 0 ]; then
  crm_mon -1 -rf || true
  tail -40 "$WORK/pacemaker.log" || true
  exit "$status"
fi

# Two nodes on this machine (network and mount namespaces): the single node goes first.
stop_pid "$PCMK_PID"; PCMK_PID=; stop_pid "$CS_PID"; CS_PID=

# The ClipBook resource DLL (issue 18) through the agent, with crm_resource
# and no cluster: online pending with checkpoints, offline, and a stalled
# copy failed by PendingTimeout with its Terminate called.
DLL0=$(date +%s%N)
cargo test -p clusworker-host --test resdll_pacemaker -- --ignored --show-output || status=$?
echo "pacemaker.sh: the resource DLL's tests took $(secs "$DLL0")s"
[ "$status" -eq 0 ] || exit "$status"

TWO=$WORK/two-node
trap 'bash ocf/ci/two-node.sh down "$TWO"; cleanup' EXIT
TWO0=$(date +%s%N)
bash ocf/ci/two-node.sh up "$TWO"
CLUSWORKER_TWO_NODE=$TWO cargo test -p clusworker-ocf --test two_node -- --ignored --show-output || status=$?
echo "pacemaker.sh: the two-node test took $(secs "$TWO0")s, the nodes' start included"
[ "$status" -eq 0 ] || tail -30 "$TWO/n2/pacemaker.log" || true
exit "$status"

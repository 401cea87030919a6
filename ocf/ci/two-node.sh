#!/bin/bash
# Two corosync + pacemaker nodes on one machine (issue 15, item 3), for ocf/tests/two_node.rs.
#   two-node.sh up WORK     start them; WORK/nI/shell.pid is node I's namespaces (nsenter -t PID -n -m)
#   two-node.sh down WORK   stop everything it started, by PID, and delete the namespaces
# Each node has its own network namespace (cw-n1, cw-n2: a veth pair on 10.213.0.0/24, knet
# over it) and its own mount namespace, in which /var/lib/pacemaker, /var/lib/corosync, /run
# and /dev/shm are its own (the daemons' IPC is abstract sockets, scoped by the network
# namespace, and shared memory in /dev/shm). two_node: 1 keeps the survivor quorate.
set -euo pipefail
cmd=${1:?up or down}; W=${2:?work folder}
alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null; }
stop_pid() { # PID [signal]: signal it and wait (pacemakerd runs its resources' stops first)
  local pid=$1 i; kill "-${2:-TERM}" "$pid" 2>/dev/null || return 0
  for i in $(seq 150); do alive "$pid" || return 0; sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
}
children() { local p; for p in /proc/[0-9]*; do [ "$(awk '{print $4}' "$p/stat" 2>/dev/null)" = "$1" ] && echo "${p#/proc/}"; done; return 0; }

if [ "$cmd" = down ]; then
  for i in 1 2; do
    d=$W/n$i
    if [ -s "$d/pacemakerd.pid" ]; then
      pp=$(cat "$d/pacemakerd.pid"); kids=$(children "$pp")
      stop_pid "$pp"
      for k in $kids; do [ "$(cat /proc/"$k"/comm 2>/dev/null)" != "" ] && alive "$k" && stop_pid "$k" KILL; done
    fi
    # The pacemaker daemons a killed node left (the test records them).
    for k in $(cat "$d/orphans" 2>/dev/null); do alive "$k" && stop_pid "$k" KILL; done
    [ -s "$d/corosync.pid" ] && stop_pid "$(cat "$d/corosync.pid")"
    lock=$d/run/clusworker-ocf/host.sock.lock
    if [ -s "$lock" ] && [ "$(cat /proc/"$(cat "$lock")"/comm 2>/dev/null)" = clusworker-host ]; then stop_pid "$(cat "$lock")"; fi
    [ -s "$d/shell.pid" ] && stop_pid "$(cat "$d/shell.pid")"
    ip netns del "cw-n$i" 2>/dev/null || true
  done
  exit 0
fi

rm -rf "$W"; mkdir -p "$W"
cat >"$W/corosync.conf" <<CONF
totem {
    version: 2
    cluster_name: clusworker-two
    transport: knet
    crypto_cipher: none
    crypto_hash: none
    token: 1000
}
nodelist {
    node {
        name: node1
        nodeid: 1
        ring0_addr: 10.213.0.1
    }
    node {
        name: node2
        nodeid: 2
        ring0_addr: 10.213.0.2
    }
}
quorum {
    provider: corosync_votequorum
    two_node: 1
}
logging {
    to_stderr: yes
    to_syslog: no
}
CONF
cibadmin --empty >"$W/cib.xml"
CIB_file=$W/cib.xml crm_attribute --type crm_config --name stonith-enabled --update false
CIB_file=$W/cib.xml crm_attribute --type crm_config --name dc-deadtime --update 2s
for i in 1 2; do
  d=$W/n$i; mkdir -p "$d/run" "$d/lib-corosync"
  cp -a /var/lib/pacemaker "$d/lib-pacemaker"
  rm -f "$d"/lib-pacemaker/cib/cib* "$d"/lib-pacemaker/pengine/pe-*
  install -o hacluster -g haclient -m 0600 "$W/cib.xml" "$d/lib-pacemaker/cib/cib.xml"
  ip netns del "cw-n$i" 2>/dev/null || true
  ip netns add "cw-n$i"
  ip -n "cw-n$i" link set lo up
done
ip link add cw-v1 netns cw-n1 type veth peer name cw-v2 netns cw-n2
ip -n cw-n1 addr add 10.213.0.1/24 dev cw-v1; ip -n cw-n1 link set cw-v1 up
ip -n cw-n2 addr add 10.213.0.2/24 dev cw-v2; ip -n cw-n2 link set cw-v2 up
for i in 1 2; do
  d=$W/n$i
  ip netns exec "cw-n$i" unshare --mount --propagation private bash -c "
    mount -t tmpfs tmpfs /dev/shm
    mount --bind $d/lib-pacemaker /var/lib/pacemaker
    mount --bind $d/lib-corosync /var/lib/corosync
    mount --bind $d/run /run
    echo \$\$ > $d/shell.pid
    corosync -f -c $W/corosync.conf > $d/corosync.log 2>&1 & echo \$! > $d/corosync.pid
    for k in \$(seq 50); do corosync-cfgtool -s >/dev/null 2>&1 && break; sleep 0.2; done
    PCMK_logfile=$d/pacemaker.log PCMK_logfacility=none /usr/sbin/pacemakerd > $d/pacemakerd.out 2>&1 &
    echo \$! > $d/pacemakerd.pid
    wait
  " </dev/null >"$d/shell.out" 2>&1 &
done
for k in $(seq 50); do [ -s "$W/n1/shell.pid" ] && [ -s "$W/n2/shell.pid" ] && break; sleep 0.1; done
for k in $(seq 300); do
  nsenter -t "$(cat "$W/n2/shell.pid")" -n -m crm_mon -1 --output-as=xml 2>/dev/null \
    | grep -q '<current_dc present="true"' && break
  sleep 0.2
done
echo "two-node.sh: both nodes up"

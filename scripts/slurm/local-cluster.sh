#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for testing the job-array template: munge,
# slurmctld and slurmd as root with their state under a scratch folder, the node's CPUs
# and memory as Slurm sees them (slurmd -C), one partition "test" without GPUs.
#   scripts/slurm/local-cluster.sh start DIR    (prints the SLURM_CONF to export)
#   scripts/slurm/local-cluster.sh stop DIR
# Needs the Debian packages slurmctld slurmd slurm-client munge (run as root).
set -euo pipefail
action=${1:?start|stop}
dir=$(realpath -m "${2:?scratch folder}")
case $action in
start)
  mkdir -p "$dir"/{spool,state,log,run}
  # munge: its own key and socket under dir, so it neither needs nor disturbs a system munge
  dd if=/dev/urandom of="$dir/munge.key" bs=1024 count=1 status=none
  chmod 400 "$dir/munge.key"
  munged --key-file="$dir/munge.key" --socket="$dir/run/munge.socket" --pid-file="$dir/run/munged.pid" \
    --log-file="$dir/log/munged.log" --seed-file="$dir/run/munge.seed" --force
  node=$(slurmd -C | head -1 | sed 's/ UpTime=.*//')
  name=$(hostname -s)
  cat >"$dir/slurm.conf" <<CONF
ClusterName=hexgpu-test
SlurmctldHost=$name
AuthType=auth/munge
AuthInfo=socket=$dir/run/munge.socket
CryptoType=crypto/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
$node State=UNKNOWN
PartitionName=test Nodes=$name Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
  export SLURM_CONF=$dir/slurm.conf
  slurmctld -f "$SLURM_CONF"
  slurmd -f "$SLURM_CONF"
  for _ in $(seq 1 60); do
    sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)' && break
    sleep 1
  done
  sinfo -h -o %T | grep -qE '^(idle|mixed|allocated)' || { echo "slurm did not come up; see $dir/log" >&2; exit 1; }
  echo "export SLURM_CONF=$dir/slurm.conf"
  ;;
stop)
  # SIGTERM, up to 10 s to finish, then SIGKILL: the next start must find the ports free.
  pids=()
  for file in "$dir"/run/slurmd.pid "$dir"/run/slurmctld.pid "$dir"/run/munged.pid; do
    [ -f "$file" ] && pids+=("$(cat "$file")")
  done
  ((${#pids[@]})) || exit 0
  kill "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 1 20); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && [ "$(ps -o stat= -p "$pid")" != Z ] && alive=1; done
    ((alive)) || break
    sleep 0.5
  done
  kill -9 "${pids[@]}" 2>/dev/null || true
  ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac

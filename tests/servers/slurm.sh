#!/bin/sh
# slurm.sh start|stop DIR: a private single-host Slurm for the tests:
# munged, slurmctld and slurmd on localhost, state and logs under DIR, one
# partition `sw` on this machine's cores. `start` prints the SLURM_CONF path
# to export; `stop` stops all three. Needs root (slurmd runs jobs as their
# submitter) and Debian's slurm-wlm and munge. With --fixture, DIR/up (or
# DIR/down: why not) tells the tests, and a failure to start exits 0 (the
# tests then say they are skipped).
set -eu
cmd=$1 dir=$(mkdir -p "$2" && cd "$2" && pwd) fixture=${3:-}
down() {
    echo "$1" >"$dir/down"
    echo "slurm.sh: $1" >&2
    [ -n "$fixture" ] && exit 0 || exit 1
}
stop() {
    for p in slurmd slurmctld munge/munged; do
        [ -f "$dir/$p.pid" ] && kill "$(cat "$dir/$p.pid")" 2>/dev/null || true
    done
}
case $cmd in
start)
    stop
    rm -rf "${dir:?}"/*
    [ "$(id -u)" -eq 0 ] || down "needs root (slurmd runs jobs as their submitter)"
    command -v slurmctld >/dev/null || down "Slurm is not installed (slurm-wlm)"
    command -v munged >/dev/null || down "munge is not installed"
    mkdir -p "$dir/munge" "$dir/ctld" "$dir/d" "$dir/log"
    chmod 700 "$dir/munge"
    dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 2>/dev/null
    chmod 400 "$dir/munge/munge.key"
    munged --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
        --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/seed" --force || down "munged did not start"
    host=$(hostname -s)
    cpus=$(nproc)
    mem=$(awk '/MemTotal/ {print int($2 / 1024 / 2)}' /proc/meminfo)
    cat >"$dir/slurm.conf" <<CONF
ClusterName=swtest
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/ctld
SlurmdSpoolDir=$dir/d
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
ReturnToService=2
MpiDefault=none
SwitchType=switch/none
KillWait=5
InactiveLimit=0
MinJobAge=600
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=sw Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
    export SLURM_CONF="$dir/slurm.conf"
    slurmctld -f "$dir/slurm.conf" || down "slurmctld did not start"
    slurmd -f "$dir/slurm.conf" || down "slurmd did not start"
    i=0
    until sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; do
        i=$((i + 1))
        [ $i -lt 60 ] || down "the node did not come up: $(tail -n 2 "$dir/log/slurmd.log" | tr '\n' ' ')"
        sleep 0.5
    done
    echo "$dir/slurm.conf" | tee "$dir/up"
    ;;
stop)
    stop
    ;;
*) echo "usage: slurm.sh start|stop DIR" >&2; exit 2 ;;
esac

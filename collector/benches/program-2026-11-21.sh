# For comparison only (`collection_cost --compare`): the every-cycle program of commit b32618e
# (2026-11-21), before the cycle was made to start fewer programs; its scripts, framed as its
# program.rs framed them, with the descriptors of 10 processes counted.
# Fleetwatch collection program: read-only, POSIX sh. See scripts/README.md.
LC_ALL=C; export LC_ALL; LANG=C; export LANG
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH; export PATH
echo '@@fw begin files'
{
head -n 99999999 /proc/stat /proc/uptime /proc/loadavg /proc/meminfo /proc/sys/kernel/hostname \
	/proc/sys/fs/file-nr /proc/diskstats /proc/net/dev /proc/net/snmp /proc/net/sockstat \
	/proc/net/sockstat6 /proc/mounts /etc/passwd \
	/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq 2>/dev/null || :
} </dev/null
echo "@@fw end files $?"
echo '@@fw begin procs'
{
head -n 99 /proc/[0-9]*/stat 2>/dev/null || :
} </dev/null
echo "@@fw end procs $?"
echo '@@fw begin owners'
{
ls -ln /proc 2>/dev/null || :
} </dev/null
echo "@@fw end owners $?"
echo '@@fw begin users'
{
TZ=UTC0 who
} </dev/null
echo "@@fw end users $?"
echo '@@fw begin sockets'
{
awk=awk
if command -v mawk >/dev/null 2>&1; then awk=mawk; fi
if command -v ss >/dev/null 2>&1; then
	ss -tan 2>/dev/null | $awk '
		NR == 1 { if ($1 == "State") ok = 1; next }
		{ n[$1]++ }
		$1 == "LISTEN" { print "listen", $4 }
		END { if (ok) { print "source ss"; for (s in n) print "state", s, n[s] } }'
else
	tcp6=/proc/net/tcp6
	if [ ! -r "$tcp6" ]; then tcp6=; fi
	$awk '
		FNR == 1 { v6 = (FILENAME ~ /6$/); ok = 1; next }
		{ n[$4]++ }
		$4 == "0A" { print "listen", (v6 ? "tcp6" : "tcp"), $2 }
		END { if (ok) { print "source proc"; for (s in n) print "state", s, n[s] } }' /proc/net/tcp $tcp6
fi
} </dev/null
echo "@@fw end sockets $?"
echo '@@fw begin fds'
(
pids='10177 2965 3350 3785 10577 2210 2209 2973 1 2213'
for p in $pids; do
	set -- /proc/"$p"/fd/*
	if [ -e "$1" ] || [ -L "$1" ]; then
		echo "$p $#"
	fi
done
) </dev/null
echo "@@fw end fds $?"
echo '@@fw begin containers'
(
bounded() {
	rc=0
	timeout -s KILL 10 "$@" || rc=$?
	case $rc in 125 | 126 | 127) "$@" ;; *) return $rc ;; esac
}
tool=
if command -v docker >/dev/null 2>&1; then
	case ${DOCKER_HOST-} in
	tcp://* | ssh://* | fd://*) tool=docker ;;
	*)
		for s in "${DOCKER_HOST#unix://}" /var/run/docker.sock /run/docker.sock "${XDG_RUNTIME_DIR:-/nonexistent}/docker.sock"; do
			if [ -S "$s" ] && [ -w "$s" ]; then
				tool=docker
				DOCKER_HOST=unix://$s
				export DOCKER_HOST
				break
			fi
		done
		;;
	esac
fi
if [ -z "$tool" ] && command -v podman >/dev/null 2>&1; then
	tool=podman
fi
if [ -z "$tool" ]; then
	echo none
	exit 0
fi
ps=$(bounded "$tool" ps -a --no-trunc --format '{{.ID}}\t{{.Names}}\t{{.Image}}\t{{.State}}\t{{.Status}}' 2>/dev/null) || exit
echo "tool $tool"
printf '%s\n' "$ps"
tab='	'
set -f
IFS='
'
set -- $ps
IFS=' 	
'
set +f
files=
for row in "$@"; do
	case $row in *"${tab}running${tab}"*) ;; *) continue ;; esac
	id=${row%%"$tab"*}
	v2=
	procs=
	for c in /sys/fs/cgroup/system.slice/docker-"$id".scope /sys/fs/cgroup/docker/"$id" \
		/sys/fs/cgroup/machine.slice/libpod-"$id".scope \
		/sys/fs/cgroup/user.slice/user-*.slice/user@*.service/user.slice/libpod-"$id".scope; do
		if [ -d "$c" ]; then
			v2=$c
			break
		fi
	done
	if [ -n "$v2" ]; then
		procs=$v2/cgroup.procs
		files="$files $v2/cpu.stat $v2/memory.current $v2/memory.max $v2/memory.stat $v2/io.stat"
	else
		for c in docker/"$id" system.slice/docker-"$id".scope machine.slice/libpod-"$id".scope; do
			if [ -d /sys/fs/cgroup/memory/"$c" ]; then
				procs=/sys/fs/cgroup/memory/$c/cgroup.procs
				files="$files /sys/fs/cgroup/cpuacct/$c/cpuacct.usage /sys/fs/cgroup/memory/$c/memory.usage_in_bytes"
				files="$files /sys/fs/cgroup/memory/$c/memory.limit_in_bytes /sys/fs/cgroup/memory/$c/memory.stat"
				files="$files /sys/fs/cgroup/blkio/$c/blkio.throttle.io_service_bytes"
				break
			fi
		done
	fi
	pid=
	if [ -r "$procs" ]; then
		read -r pid <"$procs" || :
	fi
	if [ -n "$pid" ]; then
		echo "pid $id $pid"
		files="$files /proc/$pid/net/dev"
	fi
done
echo '@@files'
if [ -n "$files" ]; then
	head -n 999 $files 2>/dev/null || :
fi
) </dev/null
echo "@@fw end containers $?"
echo '@@fw begin mounts'
(
bounded() {
	rc=0
	timeout -s KILL 5 "$@" 2>/dev/null || rc=$?
	case $rc in
	125 | 126 | 127) "$@" 2>/dev/null ;;
	137) return 137 ;;
	esac
	return 0
}
out=$(bounded df -k --output=source,fstype,size,used,avail,itotal,iused,iavail,target)
st=$?
if [ -n "$out" ]; then
	echo '@@output'
	printf '%s\n' "$out"
elif [ "$st" != 137 ]; then
	bounded df -P -k
	echo '@@inodes'
	bounded df -P -i
fi
) </dev/null
echo "@@fw end mounts $?"

# Containers, where docker (or podman) is usable by this user; the single line "none" where not.
# Usable means: a docker socket is writable (or DOCKER_HOST points elsewhere) and the docker
# command or curl exists, else the podman command exists.
#
# The running containers are found in the cgroup file system, which costs no program start:
# their cgroup files (CPU time, memory, block I/O; v2 or v1) and the /proc/PID/net/dev of their
# first process are read by one `head`. The daemon itself is asked for the list (names, images,
# states, health, exit codes) only when something it alone knows may have changed: on the first
# cycle (`listed` empty), when the set of running containers differs from the one the last
# cycle saw (`seen`, both set by the program), and once `every` seconds of the server's uptime
# have passed since the last list (a minute where a container has a health check, an hour
# otherwise: see program.rs). It is asked over its socket with `nc -U` (netcat-openbsd, about
# 1 ms of CPU) where there is one, else with curl (about 10 ms: it links 33 libraries), else
# with `docker ps` / `podman ps` (a large Go program: about 20 ms); a client that failed on an
# earlier cycle is named in `avoid`. Never `docker stats`, not even --no-stream: it waits for
# two samples (1-2 s) per call and costs the daemon a stats round per container.
#   tool docker|podman
#   pid ID [PID]                   each running container, and its first process where readable
#   cached                         the daemon was not asked: the collector keeps the last list
#   @@http  +  the HTTP/1.0 answer to GET /containers/json?all=1 (Docker Engine API; podman's is
#              the same), or
#   @@json  +  its body (curl), or
#   @@ps  +  ID<TAB>NAME<TAB>IMAGE<TAB>STATE<TAB>STATUS   one `docker ps -a` line per container,
#                                  the status text holding health and exit code; `@@failed RC`
#                                  after them when the command failed
#   @@files
#   ==> PATH <==  ...              the cgroup files and /proc/PID/net/dev
tool=
sock=
case ${DOCKER_HOST-} in
tcp://* | ssh://* | fd://*) command -v docker >/dev/null 2>&1 && tool=docker ;;
*)
	if command -v docker >/dev/null 2>&1 || command -v curl >/dev/null 2>&1; then
		for s in "${DOCKER_HOST#unix://}" /var/run/docker.sock /run/docker.sock "${XDG_RUNTIME_DIR:-/nonexistent}/docker.sock"; do
			if [ -S "$s" ] && [ -w "$s" ]; then
				tool=docker
				sock=$s
				DOCKER_HOST=unix://$s
				export DOCKER_HOST
				break
			fi
		done
	fi
	;;
esac
if [ -z "$tool" ] && command -v podman >/dev/null 2>&1; then
	tool=podman
	for s in /run/podman/podman.sock "${XDG_RUNTIME_DIR:-/nonexistent}/podman/podman.sock"; do
		if [ -S "$s" ] && [ -w "$s" ]; then
			sock=$s
			break
		fi
	done
fi
if [ -z "$tool" ]; then
	echo none
	return 0
fi
echo "tool $tool"
if [ "$tool" = docker ]; then
	set -- /sys/fs/cgroup/system.slice/docker-*.scope /sys/fs/cgroup/docker/* \
		/sys/fs/cgroup/memory/docker/* /sys/fs/cgroup/memory/system.slice/docker-*.scope
else
	set -- /sys/fs/cgroup/machine.slice/libpod-*.scope \
		/sys/fs/cgroup/user.slice/user-*.slice/user@*.service/user.slice/libpod-*.scope \
		/sys/fs/cgroup/memory/machine.slice/libpod-*.scope
fi
files=
now=
for c in "$@"; do
	[ -d "$c" ] || continue
	id=${c##*/}
	id=${id#docker-}
	id=${id#libpod-}
	id=${id%.scope}
	case $id in '' | *[!0-9a-f]*) continue ;; esac
	[ ${#id} = 64 ] || continue
	case $c in
	/sys/fs/cgroup/memory/*)
		rel=${c#/sys/fs/cgroup/memory/}
		files="$files /sys/fs/cgroup/cpuacct/$rel/cpuacct.usage $c/memory.usage_in_bytes"
		files="$files $c/memory.limit_in_bytes $c/memory.stat /sys/fs/cgroup/blkio/$rel/blkio.throttle.io_service_bytes"
		;;
	*) files="$files $c/cpu.stat $c/memory.current $c/memory.max $c/memory.stat $c/io.stat" ;;
	esac
	pid=
	if [ -r "$c/cgroup.procs" ]; then
		read -r pid <"$c/cgroup.procs" || :
	fi
	echo "pid $id $pid"
	if [ -n "$pid" ]; then
		files="$files /proc/$pid/net/dev"
	fi
	now="$now $id"
done
up=
read -r up rest </proc/uptime || :
up=${up%.*}
case $up in '' | *[!0-9]*) up=0 ;; esac
client=cli
for c in nc curl; do
	case " $avoid " in *" $c "*) continue ;; esac
	if [ -n "$sock" ] && command -v $c >/dev/null 2>&1; then
		client=$c
		break
	fi
done
if [ -n "$listed" ] && [ "$now" = "$seen" ] && [ "$up" -ge "$listed" ] && [ "$up" -lt $((listed + every)) ]; then
	echo cached
elif [ "$client" = nc ]; then
	echo '@@http'
	printf 'GET /containers/json?all=1 HTTP/1.0\r\n\r\n' | nc -U -N -w 10 "$sock" 2>/dev/null
	echo
elif [ "$client" = curl ]; then
	echo '@@json'
	curl -sS --max-time 10 --unix-socket "$sock" 'http://localhost/containers/json?all=1' 2>/dev/null
	echo
else
	echo '@@ps'
	rc=0
	timeout -s KILL 10 "$tool" ps -a --no-trunc --format '{{.ID}}\t{{.Names}}\t{{.Image}}\t{{.State}}\t{{.Status}}' 2>/dev/null || rc=$?
	case $rc in
	125 | 126 | 127)
		rc=0
		"$tool" ps -a --no-trunc --format '{{.ID}}\t{{.Names}}\t{{.Image}}\t{{.State}}\t{{.Status}}' 2>/dev/null || rc=$?
		;;
	esac
	if [ "$rc" != 0 ]; then
		echo "@@failed $rc"
	fi
fi
echo '@@files'
if [ -n "$files" ]; then
	head -n 999 $files 2>/dev/null || :
fi

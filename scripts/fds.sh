# Open file descriptors of a few processes: `pids` is set by the program to the previous cycle's
# top processes (by CPU and by memory). Counted by globbing /proc/PID/fd in the shell, so no
# fork; "PID COUNT" per line. A process of another user (its fd directory is unreadable), one
# that exited, or one without any descriptor prints nothing: its count stays unknown.
for p in $pids; do
	set -- /proc/"$p"/fd/*
	if [ -e "$1" ] || [ -L "$1" ]; then
		echo "$p $#"
	fi
done

# /proc/PID/stat of every process (see proc_pid_stat(5)), by one `head`: it opens, reads and
# closes each file in about half the system calls `cat` makes (measured: 3.8 ms against 7.8 ms
# of CPU for 312 processes), and prints "==> /proc/PID/stat <==" before each, which the parser
# skips. 99 lines is more than any record holds: a command name may contain newlines, but has
# at most 64 bytes. Processes that exit between the glob and the read are simply missing, so
# errors are silenced and the status forced to 0.
head -n 99 /proc/[0-9]*/stat 2>/dev/null || :

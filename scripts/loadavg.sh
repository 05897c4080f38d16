# /proc/loadavg: 1, 5, 15 minute load, runnable/total threads, last pid.
read -r l </proc/loadavg && printf '%s\n' "$l"

# The CPU lines of /proc/stat ("cpu" then one "cpuN" per online CPU, in USER_HZ ticks) and
# "btime" (boot time, seconds since the epoch). The long "intr" line is left on the server.
grep -e '^cpu' -e '^btime ' /proc/stat
